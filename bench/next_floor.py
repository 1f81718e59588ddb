"""What one server-rendered page costs Next.js itself, beside our /tasks and the API, in one run.

`make bench`'s phase (w) measures the server-rendered `/tasks` against the API direct. This asks the question
behind its result: how fast can any page be that Next.js (the version in frontend/package-lock.json) renders per
request on this machine? It builds, in a temporary folder, a Next.js app with the same next.config.ts and
server.mjs as ours but an empty root layout and one dynamic page that reads a cookie and renders one paragraph
(no API call, no component of ours), and measures side by side, interleaved over 3 rounds:
  1. the API direct: `GET /api/tasks` with a bearer token (20 tasks), as (w) does;
  2. our server-rendered `/tasks` with the session cookie (make run's build and server.mjs);
  3. the empty dynamic page on the same server.mjs.
For each: req/s, p99, the ratio to the API direct, and the web server's CPU time per request.

Run: `python3 bench/next_floor.py` after `make bench` (or bench/run.sh's build steps): it needs the release
API (backend/target/release/todo-auth-api), the web app's build (frontend/.next), its node_modules and wrk.
Knobs: BENCH_DURATION (10 s), BENCH_REPEATS (3), BENCH_CONNS (32), WEB_WORKERS (server.mjs's default).
"""

import os
import re
import shutil
import secrets
import statistics
import subprocess
import sys
import tempfile

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "scripts", "lib"))
import harness  # noqa: E402

DURATION = int(os.environ.get("BENCH_DURATION", "10"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
CONNS = int(os.environ.get("BENCH_CONNS", "32"))
FRONTEND = os.path.join(REPO, "frontend")

EMPTY_LAYOUT = """export default function RootLayout({ children }: { children: React.ReactNode }) {
  return (
    <html lang="en">
      <body>{children}</body>
    </html>
  );
}
"""
EMPTY_PAGE = """import { cookies } from "next/headers";

/** Rendered per request (it reads a cookie), and nothing else: what Next.js itself costs per page. */
export default async function Floor() {
  const session = (await cookies()).get("todo_session")?.value;
  return <p>{session ? "signed in" : "signed out"}</p>;
}
"""


def cpu_ticks(pid):
    """User + system clock ticks of a process and all its descendants."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
            with open(f"/proc/{p}/task/{p}/children") as f:
                todo += [int(c) for c in f.read().split()]
        except FileNotFoundError:
            pass
    return total


def wrk(port, path, header):
    out = subprocess.run(["wrk", "-t1", f"-c{CONNS}", f"-d{DURATION}s", "--latency", "-H", header,
                          f"http://127.0.0.1:{port}{path}"], capture_output=True, text=True, check=True).stdout
    n = int(re.search(r"(\d+) requests in", out).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    v, unit = re.search(r"99%\s+([\d.]+)(us|ms|s)", out).groups()
    p99_ms = float(v) * {"us": 0.001, "ms": 1, "s": 1000}[unit]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"n": n, "rps": rps, "p99_ms": p99_ms, "non2xx": int(non2xx.group(1)) if non2xx else 0}


def answers(url, headers=None):
    """True when `url` answers 200 (False while nothing listens yet)."""
    try:
        return harness.request("GET", url, headers=headers)[0] == 200
    except OSError:
        return False


def start(cmd, env, cwd, log):
    with open(log, "ab") as f:
        return subprocess.Popen(cmd, env=env, cwd=cwd, stdout=f, stderr=subprocess.STDOUT, start_new_session=True)


def main():
    api_bin = os.path.join(REPO, "backend", "target", "release", "todo-auth-api")
    for need, what in [(api_bin, "the release API (cargo build --release)"),
                       (os.path.join(FRONTEND, ".next", "BUILD_ID"), "the web app's build (frontend/scripts/build.sh)"),
                       (os.path.join(FRONTEND, "node_modules", "next"), "frontend/node_modules")]:
        if not os.path.exists(need):
            sys.exit(f"next_floor: {what} is missing ({need})")
    if not shutil.which("wrk"):
        sys.exit("next_floor: wrk is missing (bench/prepare.sh installs it)")
    work = tempfile.mkdtemp(prefix="next-floor.")
    procs = []
    try:
        # The empty app: our config and server, an empty layout, one dynamic page. node_modules is copied, not
        # linked: Next.js resolves nothing outside the app's own folder.
        app = os.path.join(work, "app")
        os.makedirs(app)
        for name in ["package.json", "next.config.ts", "tsconfig.json", "server.mjs", "api-stream.mjs",
                     "static-pages.mjs"]:
            shutil.copy(os.path.join(FRONTEND, name), app)
        shutil.copytree(os.path.join(FRONTEND, "node_modules"), os.path.join(app, "node_modules"), symlinks=True)
        os.makedirs(os.path.join(app, "app", "floor"))
        with open(os.path.join(app, "app", "layout.tsx"), "w") as f:
            f.write(EMPTY_LAYOUT)
        with open(os.path.join(app, "app", "floor", "page.tsx"), "w") as f:
            f.write(EMPTY_PAGE)
        env = {**os.environ, "NEXT_TELEMETRY_DISABLED": "1", "NODE_ENV": "production"}
        print("next_floor: building the empty app", flush=True)
        subprocess.run(["./node_modules/.bin/next", "build"], cwd=app, env=env, check=True, capture_output=True)

        api_port, web_port, floor_port = harness.free_ports(3)
        origins = f"http://127.0.0.1:{web_port},http://127.0.0.1:{floor_port}"
        api = start([api_bin], {**env, "DATABASE_URL": f"sqlite:///{work}/floor.db", "JWT_SECRET": secrets.token_hex(32),
                                "API_HOST": "127.0.0.1", "API_PORT": str(api_port), "RUST_LOG": "info",
                                "TRUSTED_PROXIES": "127.0.0.1", "WEB_URL": origins, "BCRYPT_COST": "4"},
                    work, os.path.join(work, "api.log"))
        procs.append(api)
        base = f"http://127.0.0.1:{api_port}"
        harness.wait_for(lambda: answers(f"{base}/health"), 30, "the API")
        user = {"email": "floor@example.com", "password": "a floor of nine words", "full_name": "Floor"}
        harness.request("POST", f"{base}/api/auth/register", user)
        token = harness.request("POST", f"{base}/api/auth/login", user)[1]["access_token"]
        for i in range(20):
            harness.request("POST", f"{base}/api/tasks", {"title": f"Task {i}", "description": "x" * 40}, token)

        web_env = {**env, "WEB_HOST": "127.0.0.1", "WEB_URL": origins, "API_INTERNAL_URL": base}
        web = start(["node", "server.mjs"], {**web_env, "WEB_PORT": str(web_port)}, FRONTEND,
                    os.path.join(work, "web.log"))
        floor = start(["node", "server.mjs"], {**web_env, "WEB_PORT": str(floor_port)}, app,
                      os.path.join(work, "floor.log"))
        procs += [web, floor]
        cookie = f"Cookie: todo_session={token}"
        rows = [("api", "API direct, bearer: `GET /api/tasks`", api, api_port, "/api/tasks",
                 f"Authorization: Bearer {token}"),
                ("tasks", "our server-rendered `/tasks` (make run's build and server)", web, web_port, "/tasks",
                 cookie),
                ("floor", "an empty page Next.js renders per request (empty layout, reads a cookie)", floor,
                 floor_port, "/floor", cookie)]
        for _, _, _, port, path, header in rows:
            harness.wait_for(lambda: answers(f"http://127.0.0.1:{port}{path}", dict([header.split(": ", 1)])),
                             90, f"{path} on {port}")
        for _, _, _, port, path, header in rows:  # warm-up
            subprocess.run(["wrk", "-t1", "-c4", "-d2s", "-H", header, f"http://127.0.0.1:{port}{path}"],
                           capture_output=True, check=True)
        runs = {key: [] for key, *_ in rows}
        for k in range(REPEATS):
            for key, _, proc, port, path, header in rows:
                before = cpu_ticks(proc.pid)
                r = wrk(port, path, header)
                r["cpu_us"] = (cpu_ticks(proc.pid) - before) * 1e6 / os.sysconf("SC_CLK_TCK") / max(r["n"], 1)
                runs[key].append(r)
                print(f"  #{k + 1} {key}: {r['rps']:.0f} req/s, p99 {r['p99_ms']:.1f} ms, "
                      f"{r['cpu_us']:.0f} µs CPU/request, non-2xx {r['non2xx']}", flush=True)
        print(f"\n{CONNS} connections, {DURATION} s, {REPEATS} rounds; medians [min–max]; ratios per round\n")
        print("| path | req/s | p99 ms | ÷ API direct | its server's CPU µs/request |")
        print("|---|---|---|---|---|")
        for key, label, *_ in rows:
            rr = runs[key]
            ratios = [x["rps"] / a["rps"] for x, a in zip(rr, runs["api"])]

            def med(vals, fmt):
                return f"{fmt.format(statistics.median(vals))} [{fmt.format(min(vals))}–{fmt.format(max(vals))}]"
            print(f"| {label} | {med([x['rps'] for x in rr], '{:,.0f}')} | {med([x['p99_ms'] for x in rr], '{:.1f}')} "
                  f"| {med(ratios, '{:.3f}')} | {med([x['cpu_us'] for x in rr], '{:,.0f}')} |")
    finally:
        for p in procs:
            if p.poll() is None:
                harness.stop_group(p, 15)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
