#!/usr/bin/env python3
"""Side-by-side benchmark: our release API against the seed's FastAPI backend (ROUTE_STYLE=async and sync),
each on SQLite and on PostgreSQL, with the same prepared data, driven by wrk on loopback.

Started by bench/run.sh (which installs wrk, builds the release binary and the seed's virtualenv). Python
standard library only. Writes bench/out/results.json, BENCHMARKS.md (repo root) and bench/latency.svg.

Environment knobs (defaults in brackets): BENCH_DURATION [10] seconds per measured run, BENCH_REPEATS [3]
runs of (a), (c), (f) and (w), BENCH_TARGETS [all] comma list of target names (see TARGETS), BENCH_PORT [18700;
the web phase also uses the next two ports], BENCH_USERS [50], BENCH_TASKS [20] per user, BENCH_CURVE [1] the
paced latency-vs-load runs, BENCH_CURVE_SECONDS [5], BENCH_WEB_WORKERS [the web server's default: one per CPU].

(w), the web phase (target web-sqlite): the browser's paths against the API itself, in one run, interleaved
round by round: our API on SQLite as (a) measures it, the web server of `make run` (frontend/server.mjs on the
production build, pointed at that API) and nginx with the shipped site (deploy/nginx) in front of both.
"""
import datetime
import http.client
import json
import os
import platform
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(REPO, "scripts", "lib"))
import harness  # noqa: E402  (the scripts' shared helpers: psql, stop_group)
OUT = os.path.join(HERE, "out")
SEED_DIR = os.path.abspath(os.environ.get("SEED_DIR", os.path.join(REPO, "..", "shared", "peers", "fastapi-seed")))
SEED_VENV = os.environ.get("SEED_VENV", os.path.expanduser("~/.cache/fastapi-seed-venv"))
# run.sh copies the release binary here, so a build in the shared tree cannot swap it mid-run
OUR_BIN = os.environ.get("OUR_BIN", os.path.join(REPO, "backend", "target", "release", "todo-auth-api"))
# (k): complete passkey sign-ins (backend/examples/passkey_bench.rs; bench/run.sh builds it)
PASSKEY_BIN = os.environ.get("PASSKEY_BENCH_BIN",
                             os.path.join(REPO, "backend", "target", "release", "examples", "passkey_bench"))
WRK_LUA = os.path.join(HERE, "wrk.lua")

DURATION = int(os.environ.get("BENCH_DURATION", "10"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "3"))
PORT = int(os.environ.get("BENCH_PORT", "18700"))
N_USERS = int(os.environ.get("BENCH_USERS", "50"))
N_TASKS = int(os.environ.get("BENCH_TASKS", "20"))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
CURVE = os.environ.get("BENCH_CURVE", "1") == "1"
CURVE_SECONDS = int(os.environ.get("BENCH_CURVE_SECONDS", "5"))
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
PASSWORD = "bench-password-123"
COST = 12
CORES = os.cpu_count() or 1
READ_CONNS = 32  # (a) and (c) as the issue says
STORM_CONNS = 16  # (c)'s login storm
LOGIN_CONNS = 8  # (b): enough to keep every hashing thread busy
# The async style stops answering once 16 or more requests are in flight: it is measured where it holds.
ASYNC_READ_CONNS = 8
ASYNC_STORM_CONNS = 4
ASYNC_LOGIN_CONNS = 4
OFFERED = [50, 100, 200, 400, 800, 1600, 3200, 6400, 12800, 25600]

# name, server, database, RUST_LOG (ours only), phases
TARGETS = [
    # (k): passkey sign-ins per second, beside (b)'s bcrypt-12 logins of the same server
    ("ours-sqlite", "ours", "sqlite", "info", "afbkcde"),
    ("ours-postgres", "ours", "postgres", "info", "afbkcde"),
    ("ours-sqlite-warn", "ours", "sqlite", "warn", "af"),
    ("ours-postgres-warn", "ours", "postgres", "warn", "af"),
    # PASSWORD_HASH=argon2id (a name ending in -argon2id): the users' bcrypt hashes become Argon2id at their
    # first sign-in (sign_in_everyone), then (b) measures logins against the Argon2id limit
    ("ours-sqlite-argon2id", "ours", "sqlite", "warn", "b"),
    ("ours-postgres-argon2id", "ours", "postgres", "warn", "b"),
    ("seed-sync-sqlite", "seed-sync", "sqlite", None, "abcde"),
    ("seed-sync-postgres", "seed-sync", "postgres", None, "abcde"),
    ("seed-async-sqlite", "seed-async", "sqlite", None, "abcde"),
    ("seed-async-postgres", "seed-async", "postgres", None, "abcde"),
    # (w): the browser's paths through the web server and nginx against API direct (see the docstring)
    ("web-sqlite", "web", "sqlite", "info", "w"),
    # bench/profile.sh and bench/ab.sh only (not run by default; results in bench/out/<target>.json, no report)
    ("profile-sqlite", "ours", "sqlite", "info", "p"),
    ("profile-postgres", "ours", "postgres", "info", "p"),
    ("ab-sqlite", "ours", "sqlite", "info", "ad"),
    ("ab-postgres", "ours", "postgres", "info", "ad"),
    ("ab-all-sqlite", "ours", "sqlite", "info", "abcde"),
    ("ab-all-postgres", "ours", "postgres", "info", "abcde"),
    ("ab-seed-sync-sqlite", "seed-sync", "sqlite", None, "ad"),
    ("ab-seed-sync-postgres", "seed-sync", "postgres", None, "ad"),
]
SCRATCH = ("profile-", "ab-")
DEFAULT = [t[0] for t in TARGETS if not t[0].startswith(SCRATCH)]


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)


# ---------------------------------------------------------------- HTTP helpers


def call(method, path, body=None, token=None, timeout=30):
    conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=timeout)
    headers = {}
    if body is not None:
        body = json.dumps(body)
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, body=body, headers=headers)
        res = conn.getresponse()
        return res.status, res.read()
    finally:
        conn.close()


def wait_for_200(proc, path="/health", limit=60.0):
    """Seconds from now until `path` answers 200 (polled every 2 ms), or None."""
    start = time.perf_counter()
    while time.perf_counter() - start < limit:
        if proc.poll() is not None:
            return None
        try:
            status, _ = call("GET", path, timeout=1)
            if status == 200:
                return time.perf_counter() - start
        except OSError:
            pass
        time.sleep(0.002)
    return None


def port_free():
    s = socket.socket()
    try:
        return s.connect_ex(("127.0.0.1", PORT)) != 0
    finally:
        s.close()


# ---------------------------------------------------------------- processes


class Server:
    def __init__(self, target, env, logfile):
        self.target = target
        self.env = env
        self.logfile = logfile
        self.proc = None

    def command(self):
        if self.target["server"] in ("ours", "web"):
            return os.environ.get("BENCH_WRAP", "").split() + [OUR_BIN]
        return ["bash", os.path.join(SEED_DIR, "run.sh"), str(PORT)]

    def start(self):
        """Starts the process; returns seconds from the spawn to the first 200 on /health (or None)."""
        assert port_free(), f"port {PORT} is taken"
        out = open(self.logfile, "ab")
        start = time.perf_counter()
        self.proc = subprocess.Popen(self.command(), env=self.env, stdout=out, stderr=subprocess.STDOUT,
                                     cwd=SEED_DIR if self.target["server"].startswith("seed") else REPO)
        out.close()
        waited = wait_for_200(self.proc, limit=120 if os.environ.get("BENCH_WRAP") else 60)
        return None if waited is None else time.perf_counter() - start

    def rss_kib(self):
        fields = {}
        with open(f"/proc/{self.proc.pid}/status") as f:
            for line in f:
                k, _, v = line.partition(":")
                if k in ("VmRSS", "VmHWM"):
                    fields[k] = int(v.split()[0])
        return fields

    def stop(self, grace=10):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        deadline = time.time() + 10
        while not port_free() and time.time() < deadline:
            time.sleep(0.05)


def wrk(mode, conns, seconds, extra_env=None, path=None, delay_ms=0, timeout="10s", threads=1, port=None):
    """Runs wrk once; returns its summary (dict) with derived rps and error count."""
    outfile = os.path.join(OUT, f"wrk-{os.getpid()}-{threading.get_ident()}.json")
    if os.path.exists(outfile):
        os.remove(outfile)
    env = dict(os.environ, BENCH_MODE=mode, BENCH_OUT=outfile, BENCH_DELAY_MS=str(delay_ms),
               BENCH_TOKENS=os.path.join(OUT, "tokens.txt"), BENCH_USERS=os.path.join(OUT, "users.txt"),
               BENCH_PASSWORD=PASSWORD)
    if path:
        env["BENCH_PATH"] = path
    if extra_env:
        env.update(extra_env)
    cmd = ["wrk", f"-t{min(threads, conns)}", f"-c{conns}", f"-d{seconds}s", f"--timeout={timeout}", "-s", WRK_LUA,
           f"http://127.0.0.1:{port or PORT}"]
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   timeout=seconds + 60, check=True)
    with open(outfile) as f:
        r = json.loads(f.readline())
    os.remove(outfile)
    r["rps"] = r["requests"] / (r["duration_us"] / 1e6)
    r["good_rps"] = max(r["requests"] - r["status"], 0) / (r["duration_us"] / 1e6)
    r["errors"] = r["connect"] + r["read"] + r["write"] + r["status"] + r["timeout"]
    r["conns"] = conns
    r["seconds"] = seconds
    return r


# ---------------------------------------------------------------- databases and data


def psql(sql, db="postgres"):
    harness.psql(f"{PG}/{db}", sql)


def fresh_database(target):
    if target["db"] == "sqlite":
        path = os.path.join(OUT, f"{target['name']}.db")
        for suffix in ("", "-wal", "-shm", ".jwt_secret"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        return path
    name = "bench_" + target["name"].replace("-", "_")
    psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE);\nCREATE DATABASE {name};")
    return name


def drop_database(target):
    if target["db"] == "postgres":
        psql(f"DROP DATABASE IF EXISTS {target['dbname']} WITH (FORCE);")


def bcrypt_hash(password):
    code = "import bcrypt,sys; print(bcrypt.hashpw(sys.argv[1].encode(), bcrypt.gensalt(12)).decode())"
    return subprocess.check_output([os.path.join(SEED_VENV, "bin", "python"), "-c", code, password]).decode().strip()


def bcrypt_seconds(n=5):
    """Median time of one cost-12 bcrypt hash (the seed's Python bcrypt, the same Rust core as ours)."""
    code = (
        "import bcrypt,time,statistics\n"
        "ts=[]\n"
        f"for _ in range({n}):\n"
        "    s=bcrypt.gensalt(12); t=time.perf_counter(); bcrypt.hashpw(b'bench-password-123', s)\n"
        "    ts.append(time.perf_counter()-t)\n"
        "print(statistics.median(ts), min(ts), max(ts))\n"
    )
    out = subprocess.check_output([os.path.join(SEED_VENV, "bin", "python"), "-c", code]).decode().split()
    return [float(x) for x in out]


def rows(password_hash):
    """The same 50 users × 20 tasks for every target (ids fixed by a seeded uuid, timestamps spread)."""
    base = datetime.datetime(2026, 1, 1, 12, 0, 0)
    users, tasks = [], []
    for u in range(N_USERS):
        uid = str(uuid.UUID(int=(0x5EED << 96) + u, version=4))
        created = base + datetime.timedelta(minutes=u)
        users.append((uid, f"bench-user-{u}@example.com", password_hash, f"Bench User {u}", created))
        for t in range(N_TASKS):
            tid = str(uuid.UUID(int=(0x7A5C << 96) + u * 1000 + t, version=4))
            at = created + datetime.timedelta(seconds=t, microseconds=123457)
            desc = None if t % 4 == 0 else f"Description of task {t} of user {u}: " + "x" * 40
            tasks.append((tid, uid, f"Task {t} of user {u}", desc, t % 3 == 0, at))
    return users, tasks


def insert_data(target, password_hash):
    users, tasks = rows(password_hash)

    def ts(d):
        return d.strftime("%Y-%m-%d %H:%M:%S.%f")

    if target["db"] == "sqlite":
        con = sqlite3.connect(target["dbpath"], timeout=30)
        with con:
            con.executemany("INSERT INTO users (id, email, hashed_password, name, created_at, updated_at) "
                            "VALUES (?, ?, ?, ?, ?, ?)", [(u[0], u[1], u[2], u[3], ts(u[4]), ts(u[4])) for u in users])
            con.executemany("INSERT INTO tasks (id, user_id, title, description, is_completed, created_at, updated_at) "
                            "VALUES (?, ?, ?, ?, ?, ?, ?)",
                            [(t[0], t[1], t[2], t[3], int(t[4]), ts(t[5]), ts(t[5])) for t in tasks])
        con.close()
    else:
        def q(s):
            return "NULL" if s is None else "'" + s.replace("'", "''") + "'"
        sql = ["BEGIN;"]
        for u in users:
            sql.append(f"INSERT INTO users (id, email, hashed_password, name, created_at, updated_at) VALUES "
                       f"({q(u[0])}, {q(u[1])}, {q(u[2])}, {q(u[3])}, '{ts(u[4])}', '{ts(u[4])}');")
        for t in tasks:
            sql.append(f"INSERT INTO tasks (id, user_id, title, description, is_completed, created_at, updated_at) "
                       f"VALUES ({q(t[0])}, {q(t[1])}, {q(t[2])}, {q(t[3])}, {'true' if t[4] else 'false'}, "
                       f"'{ts(t[5])}', '{ts(t[5])}');")
        sql.append("COMMIT; ANALYZE;")
        psql("\n".join(sql), target["dbname"])
    with open(os.path.join(OUT, "users.txt"), "w") as f:
        f.write("\n".join(u[1] for u in users) + "\n")


def sign_in_everyone(target):
    """A token per user, through the API's own login (so the seed's tokens and ours are each their own)."""
    emails = open(os.path.join(OUT, "users.txt")).read().split()

    def login(email):
        status, body = call("POST", "/api/auth/login", {"email": email, "password": PASSWORD}, timeout=120)
        if status != 200:
            raise RuntimeError(f"login {email}: {status} {body[:200]!r}")
        return json.loads(body)["access_token"]

    workers = 1 if target["server"] == "seed-async" else CORES
    with ThreadPoolExecutor(workers) as pool:
        tokens = list(pool.map(login, emails))
    with open(os.path.join(OUT, "tokens.txt"), "w") as f:
        f.write("\n".join(tokens) + "\n")
    status, body = call("GET", "/api/tasks", token=tokens[0])
    got = json.loads(body)
    assert status == 200 and got["total"] == N_TASKS and len(got["tasks"]) == N_TASKS, (status, body[:300])
    return tokens


# ---------------------------------------------------------------- phases


def summary(runs, key):
    vals = [r[key] for r in runs]
    return {"median": statistics.median(vals), "min": min(vals), "max": max(vals), "all": vals}


def processes():
    """Every process now running, by pid: (command name, parent pid, user + system CPU seconds), from
    /proc/PID/stat. A process that ends while it is read is left out."""
    found = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                head, _, rest = f.read().rpartition(")")
        except OSError:
            continue
        fields = rest.split()
        found[int(d)] = (head.partition("(")[2], int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS)
    return found


def process_tree(root, procs):
    """root and every process below it in procs (the seed runs uvicorn under bash)."""
    tree, grew = {root}, True
    while grew:
        below = {pid for pid, (_, ppid, _) in procs.items() if ppid in tree} - tree
        tree |= below
        grew = bool(below)
    return tree


def with_cpu(server, fn):
    """Runs fn (a wrk run) and adds the CPU microseconds per request spent by the server's processes and by
    PostgreSQL's (0 on SQLite, which runs inside the server); a process that ends during the run is missed.
    CPU time per request barely moves with the machine's other load, unlike requests per second."""
    pg = server.target["db"] == "postgres"

    def cpu():
        procs = processes()
        api = {pid: procs[pid][2] for pid in process_tree(server.proc.pid, procs) if pid in procs}
        db = {pid: p[2] for pid, p in procs.items() if pg and p[0] == "postgres"}
        return api, db

    api0, db0 = cpu()
    r = fn()
    # Read again whatever runs now: a pool opens connections under load, and each is a new PostgreSQL
    # process whose whole CPU time falls inside the run.
    api1, db1 = cpu()
    spent = lambda a, b: sum(b[p] - a.get(p, 0.0) for p in b)
    n = max(r["requests"], 1)
    r["api_cpu_us"] = spent(api0, api1) / n * 1e6
    r["db_cpu_us"] = spent(db0, db1) / n * 1e6
    return r


def repeated(label, n, fn):
    runs = []
    for k in range(n):
        r = fn()
        cpu = f", CPU/request: server {r['api_cpu_us']:.0f} µs, PostgreSQL {r['db_cpu_us']:.0f} µs" if "api_cpu_us" in r else ""
        log(f"  {label} #{k + 1}: {r['rps']:.0f} req/s, p50 {r['p50_us'] / 1000:.2f} ms, "
            f"p99 {r['p99_us'] / 1000:.2f} ms, errors {r['errors']} (timeouts {r['timeout']}, non-2xx {r['status']}){cpu}")
        runs.append(r)
    return runs


def storm(read_conns, storm_conns):
    """(c): reads at read_conns while storm_conns connections log in non-stop (started first)."""
    result = {}

    def logins():
        result["storm"] = wrk("login", storm_conns, DURATION + 4, timeout="30s")

    t = threading.Thread(target=logins)
    t.start()
    time.sleep(2)  # the hashing threads are saturated and the queue filled before the reads start
    reads = wrk("tasks", read_conns, DURATION)
    t.join()
    reads["storm"] = result["storm"]
    return reads


def curve(read_conns):
    """Paced runs: each of read_conns connections waits conns/rate before each request, so the offered
    load is `rate` requests/s until the server cannot keep up (then it is a closed loop at read_conns)."""
    points = []
    saturated = 0
    for rate in OFFERED:
        delay = max(1, round(read_conns * 1000 / rate))
        offered = read_conns * 1000 / delay
        r = wrk("tasks", read_conns, CURVE_SECONDS, delay_ms=delay, timeout="5s")
        r["offered"] = offered
        # The first pause of each connection is part of the run: what a server that keeps up achieves.
        expected = offered * max(CURVE_SECONDS - delay / 1000, 0.1) / CURVE_SECONDS
        r["saturated"] = bool(r["rps"] < 0.85 * expected or r["errors"] or r["p99_us"] > 1_000_000)
        points.append(r)
        log(f"  offered {offered:.0f}/s: achieved {r['rps']:.0f}/s p50 {r['p50_us'] / 1000:.2f} ms "
            f"p99 {r['p99_us'] / 1000:.2f} ms errors {r['errors']}{' (saturated)' if r['saturated'] else ''}")
        if r["saturated"]:
            saturated += 1
            if saturated >= 2:
                break
    return points


# ---------------------------------------------------------------- (w) the web phase

WEB_ROWS = [
    # key, what, how wrk asks, path, which server
    ("api", "API direct, bearer: `GET /api/tasks`", "tasks", "/api/tasks", "api"),
    ("web_api", "the browser's `GET /api/tasks` with the cookie, through `make run`'s web server", "cookie", "/api/tasks", "web"),
    ("nginx_api", "the same through nginx (`make cluster`'s site)", "cookie", "/api/tasks", "nginx"),
    ("tasks", "server-rendered `/tasks` with the cookie (its one API call included)", "cookie", "/tasks", "web"),
    ("login", "`/login`, a public page", "plain", "/login", "web"),
    ("landing", "`/`, a public page", "plain", "/", "web"),
]


def cpu_seconds(pids):
    procs = processes()
    tree = set()
    for pid in pids:
        tree |= process_tree(pid, procs)
    return sum(procs[p][2] for p in tree if p in procs)


def run_web(t, server):
    """(w): the rows of WEB_ROWS, interleaved for REPEATS rounds; CPU per request of the API and of the web
    server. The API (server) is already up, with its data and tokens."""
    web_port, nginx_port = PORT + 1, PORT + 2
    origins = f"http://127.0.0.1:{web_port},http://localhost:{web_port},http://127.0.0.1:{nginx_port}"
    web_env = {k: v for k, v in os.environ.items() if not k.startswith("BENCH_")}
    web_env.update(WEB_PORT=str(web_port), WEB_HOST="127.0.0.1", WEB_URL=origins,
                   API_INTERNAL_URL=f"http://127.0.0.1:{PORT}", NODE_ENV="production", NEXT_TELEMETRY_DISABLED="1")
    if os.environ.get("BENCH_WEB_WORKERS"):
        web_env["WEB_WORKERS"] = os.environ["BENCH_WEB_WORKERS"]
    log_file = open(os.path.join(OUT, f"{t['name']}-web.log"), "ab")
    web = subprocess.Popen(["node", os.path.join(REPO, "frontend", "server.mjs")], env=web_env, stdout=log_file,
                           stderr=subprocess.STDOUT, cwd=os.path.join(REPO, "frontend"), start_new_session=True)
    log_file.close()
    nginx = None
    res = {"web_workers": web_env.get("WEB_WORKERS", f"{CORES} (one per CPU)"), "rows": {}, "notes": []}
    try:
        deadline = time.time() + 120
        while True:
            try:
                c = http.client.HTTPConnection("127.0.0.1", web_port, timeout=2)
                c.request("GET", "/login")
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    break
            except OSError:
                pass
            if web.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"the web server did not start; see bench/out/{t['name']}-web.log")
            time.sleep(0.2)
        try:
            sys.path.insert(0, os.path.join(REPO, "scripts"))
            import cluster as cluster_script  # the cluster tests' nginx: the shipped site, this machine's ports
            nginx = cluster_script.Nginx(os.path.join(OUT, "nginx"), [PORT], [web_port], nginx_port)
            nginx.start()
        except (Exception, SystemExit) as e:  # no nginx on this machine: that row is left out
            nginx = None
            res["notes"].append(f"nginx row left out: {e}")
            log(f"  (w) nginx row left out: {e}")
        # Warm up each path (Next.js compiles nothing in production, but its first renders are slower).
        for key, _, mode, path, where in WEB_ROWS:
            if where != "nginx" or nginx:
                wrk(mode, 4, 2, path=path, port={"api": PORT, "web": web_port, "nginx": nginx_port}[where])
        rows = [row for row in WEB_ROWS if row[4] != "nginx" or nginx]
        runs = {key: [] for key, *_ in rows}
        for k in range(REPEATS):
            for key, _, mode, path, where in rows:
                port = {"api": PORT, "web": web_port, "nginx": nginx_port}[where]
                api0, web0 = cpu_seconds([server.proc.pid]), cpu_seconds([web.pid])
                r = wrk(mode, READ_CONNS, DURATION, path=path, port=port)
                api1, web1 = cpu_seconds([server.proc.pid]), cpu_seconds([web.pid])
                n = max(r["requests"], 1)
                r["api_cpu_us"] = (api1 - api0) / n * 1e6
                r["web_cpu_us"] = (web1 - web0) / n * 1e6
                runs[key].append(r)
                log(f"  (w) #{k + 1} {key}: {r['rps']:.0f} req/s, p50 {r['p50_us'] / 1000:.2f} ms, "
                    f"p99 {r['p99_us'] / 1000:.2f} ms, errors {r['errors']} (non-2xx {r['status']}); CPU/request: "
                    f"API {r['api_cpu_us']:.0f} µs, web server {r['web_cpu_us']:.0f} µs")
        for key, label, mode, path, where in rows:
            rr = runs[key]
            # Each run against API direct of the same round: the machine's other load moves both alike.
            ratios = [x["rps"] / a["rps"] for x, a in zip(rr, runs["api"])]
            p99x = [x["p99_us"] / a["p99_us"] for x, a in zip(rr, runs["api"])]
            res["rows"][key] = {"label": label, "mode": mode, "path": path, "where": where, "runs": rr,
                                "rps": summary(rr, "rps"), "p50_us": summary(rr, "p50_us"),
                                "p99_us": summary(rr, "p99_us"), "api_cpu_us": summary(rr, "api_cpu_us"),
                                "web_cpu_us": summary(rr, "web_cpu_us"),
                                "ratio": {"median": statistics.median(ratios), "min": min(ratios), "max": max(ratios)},
                                "p99_ratio": {"median": statistics.median(p99x), "min": min(p99x), "max": max(p99x)},
                                "errors": sum(x["errors"] for x in rr)}
    finally:
        if nginx:
            nginx.stop()
        if web.poll() is None:
            harness.stop_group(web, 15)
    return res


def run_target(t, password_hash, secret):
    name = t["name"]
    log(f"== {name}")
    res = {"name": name, "server": t["server"], "db": t["db"], "rust_log": t["rust_log"], "notes": []}
    env = {k: v for k, v in os.environ.items() if not k.startswith("BENCH_")}
    if t["db"] == "sqlite":
        t["dbpath"] = fresh_database(t)
        url = "sqlite:///" + t["dbpath"]
    else:
        t["dbname"] = fresh_database(t)
        url = f"{PG}/{t['dbname']}"
    if t["server"] in ("ours", "web"):
        env.update(DATABASE_URL=url, JWT_SECRET=secret, DATA_ENCRYPTION_KEY=secret, API_HOST="127.0.0.1", API_PORT=str(PORT),
                   BCRYPT_COST=str(COST), RUST_LOG=t["rust_log"], REGISTRATIONS_PER_CLIENT="0",
                   LOGIN_FAILURES_PER_CLIENT="0", LOGIN_FAILURES_PER_EMAIL_CLIENT="0", LOGINS_PER_EMAIL="0",
                   PASSKEY_STARTS_PER_CLIENT="0")
        res["command"] = (f"DATABASE_URL={url.replace(OUT, 'bench/out')} JWT_SECRET=… BCRYPT_COST=12 RUST_LOG={t['rust_log']} "
                          "REGISTRATIONS_PER_CLIENT=0 LOGIN_FAILURES_PER_CLIENT=0 LOGIN_FAILURES_PER_EMAIL_CLIENT=0 "
                          f"LOGINS_PER_EMAIL=0 API_PORT={PORT} backend/target/release/todo-auth-api")
        if name.endswith("-argon2id"):
            env["PASSWORD_HASH"] = "argon2id"
            res["command"] = "PASSWORD_HASH=argon2id " + res["command"]
        if t["server"] == "web":
            # As `make run` sets it: the web server, on this machine, names the browser in X-Forwarded-For,
            # and the web app's origins (the web server's and nginx's) may make cookie-authenticated changes.
            env.update(TRUSTED_PROXIES="127.0.0.1", WEB_URL=f"http://127.0.0.1:{PORT + 1},http://127.0.0.1:{PORT + 2}")
            res["command"] = (f"TRUSTED_PROXIES=127.0.0.1 WEB_URL=… {res['command']}\n"
                              f"WEB_PORT={PORT + 1} API_INTERNAL_URL=http://127.0.0.1:{PORT} WEB_URL=… "
                              "NODE_ENV=production node frontend/server.mjs   (frontend/scripts/build.sh first)\n"
                              f"nginx -c <deploy/nginx/todo-auth.conf: listen {PORT + 2}, api 127.0.0.1:{PORT}, "
                              f"web 127.0.0.1:{PORT + 1}>")
    else:
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://"):]
        style = t["server"].split("-")[1]
        env.update(DATABASE_URL=url, JWT_SECRET=secret, ROUTE_STYLE=style, VENV=SEED_VENV, WORKERS="1")
        res["command"] = (f"ROUTE_STYLE={style} DATABASE_URL={url.replace(OUT, 'bench/out')} JWT_SECRET=… "
                          f"../shared/peers/fastapi-seed/run.sh {PORT}  (uvicorn, 1 worker)")
    server = Server(t, env, os.path.join(OUT, f"{name}.log"))
    try:
        first = server.start()
        if first is None:
            raise RuntimeError(f"{name} did not answer /health; see bench/out/{name}.log")
        res["start_fresh_s"] = first
        insert_data(t, password_hash)
        sign_in_everyone(t)
        seed_async = t["server"] == "seed-async"
        read_conns = ASYNC_READ_CONNS if seed_async else READ_CONNS
        phases = t["phases"]
        if "p" in phases:
            # Profile (bench/profile.sh): instruction counts of the (a) load only, per request.
            subprocess.run(["callgrind_control", "-i", "on", str(server.proc.pid)], check=True,
                           stdout=subprocess.DEVNULL)
            r = wrk(os.environ.get("BENCH_PROFILE_MODE", "tasks"), 4, DURATION,
                    path=os.environ.get("BENCH_PROFILE_PATH"))
            subprocess.run(["callgrind_control", "-i", "off", str(server.proc.pid)], check=True,
                           stdout=subprocess.DEVNULL)
            res["p"] = r
            log(f"  (p) profiled {r['requests']} requests ({r['errors']} errors)")
        if "w" in phases:
            res["w"] = run_web(t, server)
        if "f" in phases:
            runs = repeated(f"(f) /health/live c={READ_CONNS}", REPEATS,
                            lambda: wrk("plain", READ_CONNS, DURATION, path="/health/live"))
            res["f"] = {"conns": READ_CONNS, "runs": runs, "rps": summary(runs, "rps"),
                        "p50_us": summary(runs, "p50_us"), "p99_us": summary(runs, "p99_us")}
        if "a" in phases:
            runs = repeated(f"(a) /api/tasks c={read_conns}", REPEATS,
                            lambda: with_cpu(server, lambda: wrk("tasks", read_conns, DURATION)))
            res["a"] = {"conns": read_conns, "runs": runs, "rps": summary(runs, "rps"),
                        "api_cpu_us": summary(runs, "api_cpu_us"), "db_cpu_us": summary(runs, "db_cpu_us"),
                        "p50_us": summary(runs, "p50_us"), "p99_us": summary(runs, "p99_us"),
                        "errors": sum(r["errors"] for r in runs)}
        if CURVE and "a" in phases and t["rust_log"] != "warn":
            log("  latency vs offered load")
            res["curve"] = curve(read_conns)
        if "b" in phases and name.endswith("-argon2id"):
            # The Argon2id limit, timed on this server: one sign-in at a time is one hash plus well under a
            # millisecond of request, so cores ÷ its median latency is the limit (slightly under it).
            one = wrk("login", 1, max(DURATION // 2, 2), timeout="30s")
            res["hash_s"] = one["p50_us"] / 1e6
            log(f"  argon2id: one sign-in at a time, median {one['p50_us'] / 1000:.1f} ms -> limit "
                f"{CORES / res['hash_s']:.1f} logins/s")
        if "b" in phases:
            conns = ASYNC_LOGIN_CONNS if seed_async else LOGIN_CONNS
            r = wrk("login", conns, DURATION * 2, timeout="30s")
            log(f"  (b) logins c={conns}: {r['good_rps']:.2f}/s, p50 {r['p50_us'] / 1000:.0f} ms, errors {r['errors']}")
            res["b"] = r
        if "c" in phases:
            storm_conns = ASYNC_STORM_CONNS if seed_async else STORM_CONNS
            runs = []
            for k in range(REPEATS):
                r = storm(read_conns, storm_conns)
                s = r["storm"]
                log(f"  (c) #{k + 1} reads c={read_conns} during {storm_conns} logins: {r['rps']:.0f} req/s, "
                    f"p99 {r['p99_us'] / 1000:.2f} ms, errors {r['errors']}; logins {s['good_rps']:.2f}/s "
                    f"(non-2xx {s['status']}, timeouts {s['timeout']})")
                runs.append(r)
            res["c"] = {"conns": read_conns, "storm_conns": storm_conns, "runs": runs,
                        "p99_us": summary(runs, "p99_us"), "rps": summary(runs, "rps")}
        if "d" in phases:
            res["d"] = server.rss_kib()
            log(f"  (d) RSS {res['d']['VmRSS'] / 1024:.1f} MiB (peak {res['d']['VmHWM'] / 1024:.1f} MiB)")
        if "e" in phases:
            starts = []
            for _ in range(REPEATS):
                server.stop()
                s = server.start()
                if s is None:
                    raise RuntimeError(f"{name} did not come back; see bench/out/{name}.log")
                starts.append(s)
            res["e"] = {"median": statistics.median(starts), "min": min(starts), "max": max(starts), "all": starts}
            log(f"  (e) start to first 200 on /health: {[round(s * 1000) for s in starts]} ms "
                f"(fresh database with migrations: {first * 1000:.0f} ms)")
        if "k" in phases:
            # Complete passkey sign-ins: login/start, the assertion signed (P-256), login/finish -> a session.
            # One signature check and no memory-hard hash: the target is at least 50 x (b)'s bcrypt-12 rate.
            # Run after (c)-(e) (on the server (e) restarted), never between them: its ~9,000 sessions made in
            # 10 s left PostgreSQL planning (c)'s reads on the statistics of a 50-row sessions table (a scan of
            # every session per read, 1/6 of the rate, until autovacuum analyzed it) and added 5-10 MiB to (d).
            env_k = dict(os.environ, PASSKEY_BENCH_URL=f"http://127.0.0.1:{PORT}", PASSKEY_BENCH_SECONDS=str(DURATION),
                         PASSKEY_BENCH_CONNS=str(LOGIN_CONNS))
            out = subprocess.run([PASSKEY_BIN], env=env_k, capture_output=True, text=True, timeout=DURATION + 60)
            if out.returncode != 0:
                raise RuntimeError(f"passkey bench failed: {out.stderr[-500:]}")
            r = json.loads(out.stdout.strip().splitlines()[-1])
            res["k"] = r
            bcrypt_rps = res.get("b", {}).get("good_rps") or 0
            r["x_bcrypt"] = r["good_rps"] / bcrypt_rps if bcrypt_rps else None
            log(f"  (k) passkey sign-ins c={r['conns']}: {r['good_rps']:.1f}/s, p50 {r['p50_us'] / 1000:.1f} ms, "
                f"errors {r['errors']}" + (f"; {r['x_bcrypt']:.0f} x bcrypt-12's {bcrypt_rps:.2f}/s "
                                          f"({'meets' if r['x_bcrypt'] >= 50 else 'BELOW'} the 50 x target)"
                                          if bcrypt_rps else ""))
        if seed_async and "a" in phases:
            # What the seed as written does at the issue's 32 connections: measured last (it may stall).
            r = wrk("tasks", READ_CONNS, DURATION, timeout="2s")
            log(f"  (a) at c={READ_CONNS}: {r['rps']:.1f} req/s, {r['requests']} answered, timeouts {r['timeout']}, "
                f"errors {r['errors']}")
            res["a_at_32"] = r
            after = wait_for_200(server.proc, limit=5)
            res["a_at_32"]["health_after_s"] = after
    finally:
        server.stop(grace=5)
        drop_database(t)
    return res


def main():
    os.makedirs(OUT, exist_ok=True)
    only = [s for s in os.environ.get("BENCH_TARGETS", "").split(",") if s]
    targets = [dict(name=n, server=s, db=d, rust_log=l, phases=p) for n, s, d, l, p in TARGETS
               if n in (only or DEFAULT)]
    secret = os.urandom(32).hex()
    started = datetime.datetime.now(datetime.timezone.utc)
    log(f"bench: {len(targets)} targets, {DURATION}s runs, {REPEATS} repeats, port {PORT}")
    info = machine()
    b0 = bcrypt_seconds()
    log(f"bcrypt cost 12: {b0[0] * 1000:.0f} ms per hash (min {b0[1] * 1000:.0f}, max {b0[2] * 1000:.0f})")
    password_hash = bcrypt_hash(PASSWORD)
    results = []
    for t in targets:
        try:
            results.append(run_target(t, password_hash, secret))
        except Exception as e:  # one failing target is reported, the others still run
            log(f"!! {t['name']} failed: {e}")
            results.append({"name": t["name"], "server": t["server"], "db": t["db"], "rust_log": t["rust_log"],
                            "failed": str(e)})
    b1 = bcrypt_seconds()
    log(f"bcrypt cost 12 (end): {b1[0] * 1000:.0f} ms per hash")
    # Sign-ins per second, one run: passkey (k) beside bcrypt-12 and Argon2id password sign-ins (b).
    by_name = {r["name"]: r for r in results}
    for db in ("sqlite", "postgres"):
        k = by_name.get(f"ours-{db}", {}).get("k")
        bcrypt = by_name.get(f"ours-{db}", {}).get("b", {}).get("good_rps")
        argon = by_name.get(f"ours-{db}-argon2id", {}).get("b", {}).get("good_rps")
        if k:
            parts = [f"passkey {k['good_rps']:.1f}/s"]
            if bcrypt:
                parts.append(f"bcrypt-12 {bcrypt:.2f}/s ({k['good_rps'] / bcrypt:.0f} x)")
            if argon:
                parts.append(f"Argon2id {argon:.2f}/s ({k['good_rps'] / argon:.0f} x)")
            log(f"sign-ins per second ({db}): " + ", ".join(parts))
    doc = {"started": started.isoformat(timespec="seconds"), "finished":
           datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
           "machine": info, "bcrypt": {"start": b0, "end": b1, "per_hash_s": statistics.median([b0[0], b1[0]]),
                                       "cores": CORES},
           "config": {"duration": DURATION, "repeats": REPEATS, "users": N_USERS, "tasks": N_TASKS, "cost": COST,
                      "read_conns": READ_CONNS, "storm_conns": STORM_CONNS, "login_conns": LOGIN_CONNS,
                      "async_read_conns": ASYNC_READ_CONNS, "async_storm_conns": ASYNC_STORM_CONNS,
                      "async_login_conns": ASYNC_LOGIN_CONNS, "curve_seconds": CURVE_SECONDS},
           "results": results}
    scratch = [t["name"] for t in targets if t["name"].startswith(SCRATCH)]
    path = os.path.join(OUT, ("profile.json" if scratch[0].startswith("profile-") else f"{scratch[0]}.json")
                        if scratch else "results.json")
    if only and os.path.exists(path) and os.environ.get("BENCH_MERGE") == "1":
        old = json.load(open(path))
        keep = [r for r in old["results"] if r["name"] not in only]
        doc["results"] = keep + results
    with open(path, "w") as f:
        json.dump(doc, f, indent=1)
    log(f"wrote {path}")
    if scratch:
        return
    import report
    report.write(doc)


def machine():
    model = ""
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        mem = open("/proc/meminfo").readline().split(":")[1].strip()
    except OSError:
        pass
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0]
    pg = subprocess.run(["psql", f"{PG}/postgres", "-tAXc", "SHOW server_version"], capture_output=True,
                        text=True).stdout.strip()
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    py = subprocess.run([os.path.join(SEED_VENV, "bin", "python"), "--version"], capture_output=True,
                        text=True).stdout.strip()
    return {"cores": CORES, "cpu": model, "memory": mem, "kernel": platform.release(), "load_at_start":
            os.getloadavg(), "wrk": wrk_version, "postgres": pg, "rustc": rustc, "seed_python": py,
            "sqlite": sqlite3.sqlite_version}


if __name__ == "__main__":
    sys.path.insert(0, HERE)
    main()
