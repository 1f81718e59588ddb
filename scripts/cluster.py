#!/usr/bin/env python3
"""API processes on one PostgreSQL and web app processes behind Debian's nginx, configured by
deploy/nginx/todo-auth.conf: one origin for the pages, /api/... and the static files.

    python3 scripts/cluster.py serve   # `make cluster`: the processes + nginx until Ctrl-C
    python3 scripts/cluster.py test    # the cluster tests (a `make test` stage, scripts/test.d/60-cluster.sh)
    python3 scripts/cluster.py check   # `nginx -t` on the shipped site, unchanged

The shipped site is used as it is; only its `listen` port and the lines between the "api servers" and "web
servers" markers are rewritten (the ports of this machine's processes, and `down` on a process being
restarted). Everything stays on 127.0.0.1. Standard library only.

Environment: CLUSTER_SIZE (3 API processes), CLUSTER_WEB_SIZE (2 web processes, 0 = none), CLUSTER_PORT (nginx,
8080), CLUSTER_API_PORT (first API port, 8001), CLUSTER_WEB_PORT (first web port, 8011), CLUSTER_METRICS_PORT
(first metrics port, 9101; `test` uses ports the kernel picks unless CLUSTER_PORT is set: then nginx on it, APIs
from +1, metrics from +11, web processes from +21), DATABASE_URL (PostgreSQL; `serve` defaults to the local
database todo_cluster, `test` makes and drops a fresh cluster_test_<pid>), API_BIN (the release binary),
CLUSTER_SMTPD_PYTHON (`test`: a Python with aiosmtpd, the SMTP server the processes deliver to; 60-cluster.sh
installs it into .venv). The web processes serve the production build in frontend/.next (frontend/scripts/build.sh).
"""

import http.client
import email
import email.policy
import json
import mailbox
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "lib"))
from harness import database_url_of, free_ports, psql, request, wait_for  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "deploy" / "nginx" / "todo-auth.conf"
WEB_SERVER = ROOT / "frontend" / "server.mjs"
MIGRATIONS = ROOT / "backend" / "migrations" / "postgres"
API_BIN = os.environ.get("API_BIN", str(ROOT / "backend" / "target" / "release" / "todo-auth-api"))
ADMIN_URL = os.environ.get("CLUSTER_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres")
PASSWORD = "cluster-password-1"
# The tests' own key (never a deployment's): every process of one cluster must share it.
TEST_SECRET = "cluster-test-secret-0123456789abcdef"


def log(*args):
    print("[cluster]", *args, flush=True)


def nginx_bin():
    path = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if not path:
        sys.exit("nginx is not installed (scripts/lib/nginx.sh installs Debian's)")
    return path


# ---------------------------------------------------------------- nginx


def render_site(api_ports, web_ports, listen_port, down=()):
    """The shipped site with this machine's upstream servers and listen port."""
    text = SITE.read_text()

    def servers(kind, ports):
        begin, end = f"    # {kind} servers begin\n", f"    # {kind} servers end\n"
        head, rest = text.split(begin, 1)
        _, tail = rest.split(end, 1)
        lines = "".join(
            f"    server 127.0.0.1:{p} max_fails=3 fail_timeout=5s{' down' if p in down else ''};\n" for p in ports
        )
        # An upstream needs a server: with no web process, pages answer 502.
        return head + begin + (lines or "    server 127.0.0.1:9 down;\n") + end + tail

    text = servers("api", api_ports)
    text = servers("web", web_ports)
    text = text.replace("    listen 80;\n", f"    listen 127.0.0.1:{listen_port};\n").replace("    listen [::]:80;\n", "")
    assert f"listen 127.0.0.1:{listen_port};" in text, "the shipped site no longer has 'listen 80;'"
    return text


def main_conf(work, site_file):
    """A private nginx main configuration (pid, logs, temp files in `work`) that includes one site."""
    user = "user root root;\n" if os.geteuid() == 0 else ""
    temps = "".join(f"    {k}_temp_path {work}/tmp/{k};\n" for k in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    return f"""{user}worker_processes 2;
pid {work}/nginx.pid;
error_log {work}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    log_format cluster '$status $request_method $uri upstream=$upstream_addr upstream_status=$upstream_status';
    access_log {work}/access.log cluster;
{temps}    include {site_file};
}}
"""


class Nginx:
    def __init__(self, work, api_ports, web_ports, port):
        self.work, self.api_ports, self.web_ports, self.port = Path(work), list(api_ports), list(web_ports), port
        (self.work / "tmp").mkdir(parents=True, exist_ok=True)
        self.conf = self.work / "nginx.conf"
        self.site = self.work / "site.conf"
        self.site.write_text(render_site(self.api_ports, self.web_ports, port))
        self.conf.write_text(main_conf(self.work, self.site))
        self.proc = None

    def cmd(self, *args):
        return [nginx_bin(), "-p", str(self.work), "-c", str(self.conf), *args]

    def start(self):
        subprocess.run(self.cmd("-t", "-q"), check=True)
        self.proc = subprocess.Popen(self.cmd("-g", "daemon off;"), start_new_session=True)
        wait_for(lambda: http_status("GET", f"http://127.0.0.1:{self.port}/health/live") == 200, 20, "nginx to answer")

    def workers(self):
        out = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True).stdout
        return {int(p) for p in out.split()}

    def set_down(self, down=()):
        """Rewrites the upstream lists (`down` on the given ports), reloads, and waits until every worker
        of the old configuration has finished its requests and exited: from then on no request reaches
        a `down` process."""
        self.site.write_text(render_site(self.api_ports, self.web_ports, self.port, down))
        old = self.workers()
        subprocess.run(self.cmd("-s", "reload"), check=True, stderr=subprocess.DEVNULL)
        wait_for(lambda: not (self.workers() & old) and self.workers(), 30, "nginx's old workers to exit")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGQUIT)  # graceful: finish requests, then exit
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def upstream_log(self):
        path = self.work / "access.log"
        return path.read_text().splitlines() if path.exists() else []


def check_shipped_config():
    """`nginx -t` on deploy/nginx/todo-auth.conf exactly as shipped."""
    with tempfile.TemporaryDirectory(prefix="cluster-nginx-check-") as work:
        (Path(work) / "tmp").mkdir()
        conf = Path(work) / "nginx.conf"
        conf.write_text(main_conf(work, SITE))
        res = subprocess.run([nginx_bin(), "-t", "-p", work, "-c", str(conf)], capture_output=True, text=True)
        print(res.stderr.strip())
        if res.returncode != 0:
            sys.exit(f"nginx -t failed on {SITE.relative_to(ROOT)}")
        print(f"nginx -t: {SITE.relative_to(ROOT)} is valid")


# ---------------------------------------------------------------- HTTP


def page(url, headers=None, source=None, method="GET", body=None, timeout=15):
    """One request on a fresh connection, for pages: (status, body text, headers with Set-Cookie as a list)."""
    m = re.match(r"http://([^:/]+):(\d+)(/.*)", url)
    conn = http.client.HTTPConnection(m.group(1), int(m.group(2)), timeout=timeout,
                                      source_address=(source, 0) if source else None)
    try:
        conn.request(method, m.group(3), body=None if body is None else json.dumps(body).encode(),
                     headers={"Connection": "close", **({"Content-Type": "application/json"} if body is not None else {}),
                              **(headers or {})})
        res = conn.getresponse()
        text = res.read().decode("utf-8", "replace")
        got = {k.lower(): v for k, v in res.getheaders()}
        got["set-cookie"] = [v for k, v in res.getheaders() if k.lower() == "set-cookie"]
        return res.status, text, got
    finally:
        conn.close()


def http_status(method, url):
    try:
        return request(method, url, timeout=2)[0]
    except OSError:
        return None


# ---------------------------------------------------------------- PostgreSQL


# ---------------------------------------------------------------- API processes


class Api:
    def __init__(self, index, port, metrics_port, env, work):
        self.index, self.port, self.metrics_port, self.env, self.work = index, port, metrics_port, env, Path(work)
        self.proc = None
        self.log_path = self.work / f"api-{index}.log"

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        env = dict(self.env, API_HOST="127.0.0.1", API_PORT=str(self.port), NO_COLOR="1")
        if self.metrics_port:
            env["METRICS_ADDR"] = f"127.0.0.1:{self.metrics_port}"
        logf = open(self.log_path, "a")
        self.proc = subprocess.Popen([API_BIN], env=env, stdout=logf, stderr=subprocess.STDOUT, start_new_session=True)
        logf.close()

    def wait_ready(self, seconds=30):
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"API {self.index} exited ({self.proc.returncode}):\n{self.log_path.read_text()}")
            return http_status("GET", self.base + "/health") == 200

        wait_for(ready, seconds, f"API {self.index} on :{self.port}")

    def terminate(self):
        """SIGTERM (graceful: in-flight requests finish) and the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(30)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def metrics(self):
        """This process's Prometheus text (METRICS_ADDR)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.metrics_port, timeout=5)
        try:
            conn.request("GET", "/metrics")
            res = conn.getresponse()
            text, status = res.read().decode(), res.status
        finally:
            conn.close()
        assert status == 200, f"metrics of API {self.index}: {status}"
        return text


def counter(text, name, **labels):
    """Sum of the samples of `name` whose labels include `labels`."""
    total = 0.0
    for line in text.splitlines():
        m = re.match(r"^(\w+)(\{[^}]*\})? ([0-9.e+-]+)$", line)
        if not m or m.group(1) != name:
            continue
        got = dict(re.findall(r'(\w+)="([^"]*)"', m.group(2) or ""))
        if all(got.get(k) == v for k, v in labels.items()):
            total += float(m.group(3))
    return total


class Web:
    """One web app process (frontend/server.mjs, one worker) on its own port, reaching the API through nginx."""

    def __init__(self, index, port, env, work):
        self.index, self.port, self.env, self.work = index, port, env, Path(work)
        self.proc = None
        self.log_path = self.work / f"web-{index}.log"

    @property
    def base(self):
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        env = dict(self.env, WEB_HOST="127.0.0.1", WEB_PORT=str(self.port), WEB_WORKERS="1", NODE_ENV="production",
                   NEXT_TELEMETRY_DISABLED="1")
        logf = open(self.log_path, "a")
        self.proc = subprocess.Popen(["node", str(WEB_SERVER)], env=env, stdout=logf, stderr=subprocess.STDOUT,
                                     start_new_session=True, cwd=WEB_SERVER.parent)
        logf.close()

    def wait_ready(self, seconds=60):
        def ready():
            if self.proc.poll() is not None:
                raise AssertionError(f"web {self.index} exited ({self.proc.returncode}):\n{self.log_path.read_text()}")
            return http_status("GET", self.base + "/login") == 200

        wait_for(ready, seconds, f"web {self.index} on :{self.port}")

    def terminate(self):
        """SIGTERM (graceful: requests in hand finish) and the exit code."""
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(30)


class Cluster:
    def __init__(self, database_url, env, nginx_port, api_ports, metrics_ports, work, web_ports=(), web_env=None):
        self.work = Path(work)
        self.apis = [Api(i, p, m, env, self.work) for i, (p, m) in enumerate(zip(api_ports, metrics_ports))]
        self.webs = [Web(i, p, web_env or {}, self.work) for i, p in enumerate(web_ports)]
        self.nginx = Nginx(self.work / "nginx", api_ports, web_ports, nginx_port)
        self.url = f"http://127.0.0.1:{nginx_port}"
        self.database_url = database_url

    def start(self):
        """Every API process at the same moment, then nginx in front, then the web processes."""
        for api in self.apis:
            api.start()
        for api in self.apis:
            api.wait_ready()
        self.nginx.start()
        for web in self.webs:
            web.start()
        for web in self.webs:
            web.wait_ready()

    def stop(self):
        self.nginx.stop()
        for proc in [*self.webs, *self.apis]:
            if proc.proc and proc.proc.poll() is None:
                proc.terminate()

    def rolling_restart(self, processes=None):
        """Each process in turn (the API's by default): out of nginx's list (reload; old workers finish),
        SIGTERM (drain), start the same program again, ready, back into the list."""
        for proc in processes or self.apis:
            self.nginx.set_down({proc.port})
            code = proc.terminate()
            assert code == 0, f"{type(proc).__name__} {proc.index} exited with {code} on SIGTERM"
            proc.start()
            proc.wait_ready()
            self.nginx.set_down(set())


class Smtpd:
    """A real SMTP server in its own process (aiosmtpd, from PyPI) keeping every message it accepts in a Maildir."""

    def __init__(self, python, port, work):
        self.python, self.port, self.maildir = python, port, Path(work) / "maildir"
        self.proc = None

    @property
    def url(self):
        return f"smtp://127.0.0.1:{self.port}"

    def start(self):
        cmd = [self.python, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{self.port}",
               "-c", "aiosmtpd.handlers.Mailbox", str(self.maildir)]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)

        def listening():
            if self.proc.poll() is not None:
                raise AssertionError(f"aiosmtpd exited ({self.proc.returncode}): {self.proc.stderr.read().decode()}")
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", self.port)) == 0

        wait_for(listening, 20, f"aiosmtpd on :{self.port}")

    def messages(self):
        if not self.maildir.exists():
            return []
        box = mailbox.Maildir(self.maildir, factory=lambda f: email.message_from_binary_file(f, policy=email.policy.default))
        return list(box)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


# ---------------------------------------------------------------- load


class Load:
    """A few readers and writers through nginx, one request at a time each, on fresh connections.
    Every answer is recorded; writers remember the task ids whose 201 they received."""

    def __init__(self, url, token, readers=2, writers=2):
        self.url, self.token = url, token
        self.stop_flag = threading.Event()
        self.lock = threading.Lock()
        self.results = Counter()  # (kind, status or error name) -> n
        self.acknowledged = []
        self.failed_writes = []  # titles of writes without a 201
        self.threads = [threading.Thread(target=self.reader, daemon=True) for _ in range(readers)]
        self.threads += [threading.Thread(target=self.writer, args=(w,), daemon=True) for w in range(writers)]

    def record(self, kind, outcome):
        with self.lock:
            self.results[(kind, outcome)] += 1

    def reader(self):
        while not self.stop_flag.is_set():
            try:
                status, body, _ = request("GET", self.url + "/api/tasks", token=self.token)
                ok = status == 200 and isinstance(body, dict) and "tasks" in body
                self.record("read", status if ok or status != 200 else "bad body")
            except OSError as e:
                self.record("read", type(e).__name__)

    def writer(self, w):
        n = 0
        while not self.stop_flag.is_set():
            n += 1
            title = f"w{w}-{n}-{uuid.uuid4().hex[:8]}"
            try:
                status, body, _ = request("POST", self.url + "/api/tasks", body={"title": title}, token=self.token)
                self.record("write", status)
                if status == 201:
                    with self.lock:
                        self.acknowledged.append((body["id"], title))
                else:
                    with self.lock:
                        self.failed_writes.append(title)
            except OSError as e:
                self.record("write", type(e).__name__)
                with self.lock:
                    self.failed_writes.append(title)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop_flag.set()
        for t in self.threads:
            t.join(30)

    def total(self, kind=None):
        return sum(n for (k, _), n in self.results.items() if kind in (None, k))

    def failures(self, kind=None):
        ok = {"read": {200}, "write": {201}}
        return {key: n for key, n in self.results.items() if key[1] not in ok[key[0]] and kind in (None, key[0])}

    def wait_requests(self, n, seconds=60):
        start = self.total()
        wait_for(lambda: self.total() >= start + n, seconds, f"{n} more requests of the load")


class PageLoad(Load):
    """What a signed-in browser asks of the one origin, on fresh connections: a public page, a protected page
    rendered on the server, the same page as a client-side navigation (RSC), and the task list through /api.
    Every answer is recorded; a protected page must hold the user's task, a public one its CSP."""

    def __init__(self, url, cookie, title, readers=4):
        super().__init__(url, token=None, readers=0, writers=0)
        self.cookie, self.title = cookie, title
        self.bad = []  # (kind, status, CSP, the start of the body) of the first failures, for the report
        self.threads = [threading.Thread(target=self.browse, args=(r,), daemon=True) for r in range(readers)]

    def browse(self, r):
        visits = [
            ("public", "/login", {}),
            ("protected", "/tasks", {"Cookie": self.cookie}),
            ("navigation", "/tasks", {"Cookie": self.cookie, "RSC": "1"}),
            ("api", "/api/tasks", {"Cookie": self.cookie}),
        ]
        n = r
        while not self.stop_flag.is_set():
            kind, path, headers = visits[n % len(visits)]
            n += 1
            try:
                status, text, got = page(self.url + path, headers=headers)
                if kind == "navigation" and status == 307 and "_rsc" in got.get("location", ""):
                    # Next.js first sends an RSC request to the URL with its cache-busting parameter, as the
                    # client router asks it in the first place.
                    location = got["location"]
                    status, text, got = page(self.url + location[location.index("/", 8):] if "://" in location
                                             else self.url + location, headers=headers)
                good = status == 200 and {
                    "public": "'sha256-" in got.get("content-security-policy", ""),
                    "protected": self.title in text and "'nonce-" in got.get("content-security-policy", ""),
                    "navigation": self.title in text,
                    "api": self.title in text,
                }[kind]
                self.record(kind, 200 if good else (status if status != 200 else "bad body"))
                if not good:
                    with self.lock:
                        main = text.find("<main")
                        self.bad.append((kind, status, text[main:main + 400] if main >= 0 else text[-400:]))
            except OSError as e:
                self.record(kind, type(e).__name__)

    def failures(self, kind=None):
        return {key: n for key, n in self.results.items() if key[1] != 200 and kind in (None, key[0])}


# ---------------------------------------------------------------- the tests


def register(url, email, source=None):
    status, body, _ = request("POST", url + "/api/auth/register", {"email": email, "password": PASSWORD}, source=source)
    assert status == 201, f"register {email}: {status} {body}"
    return body["access_token"]


def test_fresh_database_start(cluster):
    n_files = len(list(MIGRATIONS.glob("*.sql")))
    versions = psql(cluster.database_url, "SELECT count(*), count(DISTINCT version), bool_and(success) FROM _sqlx_migrations")
    count, distinct, success = versions.split("|")
    assert int(count) == n_files == int(distinct) and success == "t", f"_sqlx_migrations: {versions}, files: {n_files}"
    for api in cluster.apis:
        assert api.proc.poll() is None, f"API {api.index} exited"
    log(f"fresh database: {len(cluster.apis)} processes started at the same moment, all ready; "
        f"_sqlx_migrations holds each of the {n_files} migrations once, all successful")


def test_requests_spread(cluster):
    token = register(cluster.url, f"spread-{uuid.uuid4().hex[:8]}@example.com")
    before = [counter(a.metrics(), "http_requests_total", route="/api/auth/me") for a in cluster.apis]
    for _ in range(3 * len(cluster.apis)):
        status, _, _ = request("GET", cluster.url + "/api/auth/me", token=token)
        assert status == 200
    after = [counter(a.metrics(), "http_requests_total", route="/api/auth/me") for a in cluster.apis]
    served = [int(b - a) for a, b in zip(before, after)]
    assert all(s > 0 for s in served), f"not every process served: {served}"
    log(f"spread: {3 * len(cluster.apis)} requests through nginx served {served} by the processes (their own metrics)")


def test_sign_out_is_seen_by_every_process(cluster):
    token = register(cluster.url, f"signout-{uuid.uuid4().hex[:8]}@example.com")
    for api in cluster.apis:
        assert request("GET", api.base + "/api/auth/me", token=token)[0] == 200
    status, _, _ = request("POST", cluster.url + "/api/auth/logout", token=token)
    assert status == 204, status
    for api in cluster.apis:
        status, body, headers = request("GET", api.base + "/api/auth/me", token=token)
        assert status == 401 and body == {"detail": "Token has been revoked"}, f"API {api.index}: {status} {body}"
    for _ in range(len(cluster.apis)):
        assert request("GET", cluster.url + "/api/tasks", token=token)[0] == 401
    log("sign-out: a token revoked through nginx is refused by every process (asked directly) and through nginx")


def test_throttling_counts_across_processes(cluster, limit):
    email = f"throttle-{uuid.uuid4().hex[:8]}@example.com"
    register(cluster.url, email, source="127.0.0.5")
    wrong = {"email": email, "password": "not the password"}
    before = [counter(a.metrics(), "http_requests_total", route="/api/auth/login", status="401") for a in cluster.apis]
    statuses = [request("POST", cluster.url + "/api/auth/login", wrong, source="127.0.0.2")[0] for _ in range(limit)]
    assert statuses == [401] * limit, statuses
    after = [counter(a.metrics(), "http_requests_total", route="/api/auth/login", status="401") for a in cluster.apis]
    spread = [int(b - a) for a, b in zip(before, after)]
    assert sum(1 for s in spread if s) >= 2, f"the failures all landed on one process: {spread}"
    status, body, headers = request("POST", cluster.url + "/api/auth/login", wrong, source="127.0.0.2")
    assert status == 429 and int(headers.get("retry-after", "0")) > 0, (status, body, headers)
    # Every process refuses that client now, even with the right password.
    right = {"email": email, "password": PASSWORD}
    for api in cluster.apis:
        status, _, _ = request("POST", cluster.url + "/api/auth/login", right, source="127.0.0.2")
        assert status == 429, status
    # Keyed on the real client (X-Forwarded-For from nginx, TRUSTED_PROXIES): another address is not throttled.
    status, _, _ = request("POST", cluster.url + "/api/auth/login", right, source="127.0.0.3")
    assert status == 200, status
    hits = sum(counter(a.metrics(), "throttle_hits_total") for a in cluster.apis)
    log(f"throttling: {limit} failures from 127.0.0.2 spread over the processes as {spread}; the next attempt "
        f"and the right password on every process: 429; the same account from 127.0.0.3: 200 "
        f"({int(hits)} throttle hits in the processes' metrics)")


def test_forwarded_chain(cluster, limit):
    """The web server (a trusted proxy, here 127.0.0.1) calls the API through nginx with the browser's address in
    X-Forwarded-For: the API keys on that address. A client that is not a trusted proxy cannot choose its key."""
    email = f"chain-{uuid.uuid4().hex[:8]}@example.com"
    register(cluster.url, email, source="127.0.0.5")
    wrong = {"email": email, "password": "not the password"}
    login = cluster.url + "/api/auth/login"
    as_browser = lambda ip: {"X-Forwarded-For": ip}  # noqa: E731
    statuses = [request("POST", login, wrong, source="127.0.0.1", headers=as_browser("203.0.113.7"))[0]
                for _ in range(limit + 1)]
    assert statuses == [401] * limit + [429], f"browser 203.0.113.7 through the web server: {statuses}"
    other_browser = request("POST", login, wrong, source="127.0.0.1", headers=as_browser("203.0.113.8"))[0]
    assert other_browser == 401, f"another browser behind the same web server: {other_browser}"
    forged = request("POST", login, wrong, source="127.0.0.6", headers=as_browser("203.0.113.8"))[0]
    assert forged == 401, forged
    forged = [request("POST", login, wrong, source="127.0.0.6", headers=as_browser("203.0.113.9"))[0]
              for _ in range(limit)]
    assert forged[-1] == 429, f"127.0.0.6 escaped its limit by writing X-Forwarded-For: {forged}"
    log(f"forwarded chain: {limit} failures of browser 203.0.113.7 through the web server's address, then 429; "
        f"browser 203.0.113.8 behind the same web server: 401 (its own count); a client at 127.0.0.6 writing "
        f"X-Forwarded-For is counted as 127.0.0.6 (429 after {limit}, whatever address it wrote)")


def browser_sign_up(cluster, email, source=None):
    """Registers as the web app's client does through nginx; returns the Cookie header of the session."""
    origin = cluster.url
    status, text, got = page(cluster.url + "/api/auth/register", method="POST", source=source,
                             body={"email": email, "password": PASSWORD},
                             headers={"X-Session": "cookie", "Origin": origin, "Sec-Fetch-Site": "same-origin"})
    assert status == 201, f"register {email}: {status} {text}"
    assert "access_token" not in text, text
    cookie = got["set-cookie"][0].split(";")[0]
    assert cookie.startswith("todo_session=") and "HttpOnly" in got["set-cookie"][0], got["set-cookie"]
    return cookie


def test_one_origin_for_pages_and_api(cluster):
    """nginx routes by path: /api/... to the API (which reads the cookie), pages to the web processes."""
    origin = cluster.url
    cookie = browser_sign_up(cluster, f"web-{uuid.uuid4().hex[:8]}@example.com", source="127.0.0.7")
    title = f"through nginx {uuid.uuid4().hex[:6]}"
    status, text, _ = page(cluster.url + "/api/tasks", method="POST", body={"title": title},
                           headers={"Cookie": cookie, "X-Session": "cookie", "Origin": origin})
    assert status == 201, (status, text)
    status, text, _ = page(cluster.url + "/api/tasks", method="POST", body={"title": "forged"},
                           headers={"Cookie": cookie, "Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"})
    assert status == 403 and "Cross-site request refused" in text, (status, text)
    status, text, got = page(cluster.url + "/tasks", headers={"Cookie": cookie})
    assert status == 200 and title in text and "forged" not in text, status
    assert "'nonce-" in got["content-security-policy"], got["content-security-policy"]
    status, _, got = page(cluster.url + "/tasks")
    assert status == 307 and got["location"] == "/login?next=/tasks", (status, got.get("location"))
    status, text, got = page(cluster.url + "/login")
    assert status == 200 and "'sha256-" in got["content-security-policy"] and "nonce" not in got["content-security-policy"]
    for path in ("/health", "/openapi.json"):
        assert page(cluster.url + path)[0] == 200, path
    # The session was keyed on the browser's address (X-Forwarded-For from nginx), not nginx's.
    status, text, _ = page(cluster.url + "/api/auth/sessions", headers={"Cookie": cookie})
    sessions = json.loads(text)["sessions"]
    assert status == 200 and [s["ip"] for s in sessions] == ["127.0.0.7"], text
    log(f"one origin: sign-up and a task through nginx's /api (cookie set by the API, forged Origin 403), /tasks "
        f"rendered by a web process with the task (nonce CSP), /login from memory (hash CSP), /health and "
        f"/openapi.json from the API; the session recorded the browser's address 127.0.0.7")


def test_web_rolling_restart(cluster):
    cookie = browser_sign_up(cluster, f"web-rolling-{uuid.uuid4().hex[:8]}@example.com")
    title = f"kept {uuid.uuid4().hex[:6]}"
    status, _, _ = page(cluster.url + "/api/tasks", method="POST", body={"title": title},
                        headers={"Cookie": cookie, "X-Session": "cookie", "Origin": cluster.url})
    assert status == 201
    started = time.monotonic()
    with PageLoad(cluster.url, cookie, title) as load:
        load.wait_requests(40)
        cluster.rolling_restart(cluster.webs)
        load.wait_requests(40)
    seconds = time.monotonic() - started
    failures = load.failures()
    kinds = {kind: load.total(kind) for kind in ("public", "protected", "navigation", "api")}
    summary = (f"rolling restart of {len(cluster.webs)} web processes in {seconds:.1f} s under load: {load.total()} "
               f"requests {kinds}, failed: {sum(failures.values())} {dict(failures) or ''}"
               + (f"; first failures: {load.bad[:3]}" if load.bad else ""))
    assert not failures, summary
    log(summary)
    return summary


def test_outbox_delivered_once(cluster, smtpd, n=200):
    """n registrations through nginx queue n verification mails; the processes share the outbox (FOR UPDATE SKIP
    LOCKED) and the SMTP server must receive each exactly once."""
    run = uuid.uuid4().hex[:8]
    emails = [f"outbox-{run}-{i}@example.com" for i in range(n)]
    limit = 10  # REGISTRATIONS_PER_CLIENT: ten per client address
    errors = []

    def register_some(chunk):
        for i in chunk:
            try:
                register(cluster.url, emails[i], source=f"127.0.1.{10 + i // limit}")
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(f"{emails[i]}: {e}")

    started = time.monotonic()
    threads = [threading.Thread(target=register_some, args=(range(t, n, 8),)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors[:5]
    pending = "SELECT count(*) FROM mail_outbox WHERE sent_at IS NULL AND failed_at IS NULL"
    wait_for(lambda: psql(cluster.database_url, pending) == "0", 120, "the outbox to be delivered")
    seconds = time.monotonic() - started
    # A process's last delivery is marked sent just after the server accepted it: give a duplicate time to show.
    time.sleep(1)
    wanted = set(emails)
    received = Counter(str(m["To"]) for m in smtpd.messages())
    counts = Counter(received[e] for e in emails)
    assert counts == Counter({1: n}), f"mails per address (count -> addresses): {dict(counts)}"
    subjects = {str(m["Subject"]) for m in smtpd.messages() if str(m["To"]) in wanted}
    assert all("Confirm your email address" in s for s in subjects), subjects
    failed = psql(cluster.database_url, "SELECT count(*) FROM mail_outbox WHERE failed_at IS NOT NULL")
    assert failed == "0", f"{failed} mails given up"
    delivered_by = [sum(1 for line in api.log_path.read_text().splitlines() if "mail delivered over SMTP" in line)
                    for api in cluster.apis]
    texts = [api.metrics() for api in cluster.apis]
    assert all(re.search(r'^mail_outbox\{state="waiting"\} 0$', t, re.M) for t in texts), "mail_outbox backlog not 0"
    assert all(counter(t, "mail_outbox", state="sent") >= n for t in texts), "mail_outbox{state=sent} below the batch"
    log(f"outbox: {n} registrations through nginx, {n} verification mails received by aiosmtpd over SMTP, each "
        f"address exactly once, in {seconds:.1f} s; deliveries per process (their logs, whole run): {delivered_by}; "
        f"outbox backlog metric 0 on every process")


def check_acknowledged(cluster, token, load):
    status, body, _ = request("GET", cluster.url + "/api/tasks", token=token)
    assert status == 200
    stored = {t["id"]: t["title"] for t in body["tasks"]}
    missing = [(i, t) for i, t in load.acknowledged if stored.get(i) != t]
    assert not missing, f"{len(missing)} acknowledged tasks are missing: {missing[:5]}"
    stored_titles = set(stored.values())
    unacknowledged_stored = sum(1 for t in load.failed_writes if t in stored_titles)
    return len(stored), unacknowledged_stored


def test_rolling_restart(cluster):
    token = register(cluster.url, f"rolling-{uuid.uuid4().hex[:8]}@example.com")
    started = time.monotonic()
    with Load(cluster.url, token) as load:
        load.wait_requests(50)
        cluster.rolling_restart()
        load.wait_requests(50)
    seconds = time.monotonic() - started
    failures = load.failures()
    stored, _ = check_acknowledged(cluster, token, load)
    summary = (f"rolling restart of {len(cluster.apis)} processes in {seconds:.1f} s under load: "
               f"{load.total()} requests ({load.total('read')} reads, {load.total('write')} writes), "
               f"failed: {sum(failures.values())} {dict(failures) or ''}; {len(load.acknowledged)} acknowledged "
               f"writes, all {stored} stored")
    assert not failures, summary
    log(summary)
    return summary


def test_sigkill_under_load(cluster):
    token = register(cluster.url, f"kill-{uuid.uuid4().hex[:8]}@example.com")
    victim = cluster.apis[len(cluster.apis) // 2]
    retried_before = len([l for l in cluster.nginx.upstream_log() if "," in l.split("upstream=")[1].split()[0]])
    with Load(cluster.url, token, readers=2, writers=2) as load:
        load.wait_requests(50)
        victim.kill9()
        load.wait_requests(100)
        victim.start()
        victim.wait_ready()
        load.wait_requests(50)
    read_failures = load.failures("read")
    write_failures = load.failures("write")
    writers = 2
    stored, unacked_stored = check_acknowledged(cluster, token, load)
    retried = len([l for l in cluster.nginx.upstream_log() if "," in l.split("upstream=")[1].split()[0]]) - retried_before
    summary = (f"SIGKILL of one of {len(cluster.apis)} processes under load: {load.total()} requests "
               f"({load.total('read')} reads, {load.total('write')} writes); failed reads {sum(read_failures.values())}, "
               f"failed writes {sum(write_failures.values())} {dict(write_failures) or ''} (at most {writers} "
               f"can be in flight on it; {unacked_stored} of them stored all the same); {retried} requests retried "
               f"on another process by nginx; {len(load.acknowledged)} acknowledged writes, all present")
    assert not read_failures, summary
    assert sum(write_failures.values()) <= writers, summary
    log(summary)
    return summary


def web_env(nginx_port):
    """The web processes' environment: the public origins, and the API reached through nginx."""
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "WEB_URL": f"http://localhost:{nginx_port},http://127.0.0.1:{nginx_port}",
        "API_INTERNAL_URL": f"http://127.0.0.1:{nginx_port}",
    }


def run_tests():
    size = int(os.environ.get("CLUSTER_SIZE", "3"))
    web_size = max(2, int(os.environ.get("CLUSTER_WEB_SIZE", "2")))
    if os.environ.get("CLUSTER_PORT"):
        nginx_port = int(os.environ["CLUSTER_PORT"])
        api_ports = [nginx_port + 1 + i for i in range(size)]
        metrics_ports = [nginx_port + 11 + i for i in range(size)]
        web_ports = [nginx_port + 21 + i for i in range(web_size)]
    else:  # ports the kernel hands out, so two runs on one machine do not collide
        nginx_port, *rest = free_ports(1 + 2 * size + web_size)
        api_ports, metrics_ports, web_ports = rest[:size], rest[size:2 * size], rest[2 * size:]
    python = os.environ.get("CLUSTER_SMTPD_PYTHON")
    assert python, "CLUSTER_SMTPD_PYTHON: a Python with aiosmtpd (scripts/test.d/60-cluster.sh installs one)"
    limit = 5
    name = f"cluster_test_{os.getpid()}"
    admin = ADMIN_URL
    psql(admin, f"DROP DATABASE IF EXISTS {name}")
    psql(admin, f"CREATE DATABASE {name}")
    database_url = database_url_of(admin, name)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "DATABASE_URL": database_url,
        "JWT_SECRET": TEST_SECRET,
        "DATA_ENCRYPTION_KEY": TEST_SECRET,
        "BCRYPT_COST": "4",
        "RUST_LOG": "info",
        "TRUSTED_PROXIES": "127.0.0.1",
        "LOGIN_FAILURES_PER_EMAIL_CLIENT": str(limit),
        "DB_MAX_CONNECTIONS": "5",
        "SHUTDOWN_GRACE_SECONDS": "10",
        "WEB_URL": web_env(nginx_port)["WEB_URL"],
    }
    work = tempfile.mkdtemp(prefix="cluster-test-")
    smtpd = Smtpd(python, free_ports(1)[0], work)
    env["SMTP_URL"] = smtpd.url
    cluster = Cluster(database_url, env, nginx_port, api_ports, metrics_ports, work, web_ports, web_env(nginx_port))
    ok = False
    figures = []
    try:
        smtpd.start()
        cluster.start()
        test_fresh_database_start(cluster)
        test_requests_spread(cluster)
        test_sign_out_is_seen_by_every_process(cluster)
        test_throttling_counts_across_processes(cluster, limit)
        test_forwarded_chain(cluster, limit)
        test_outbox_delivered_once(cluster, smtpd)
        test_one_origin_for_pages_and_api(cluster)
        figures.append(test_rolling_restart(cluster))
        figures.append(test_web_rolling_restart(cluster))
        figures.append(test_sigkill_under_load(cluster))
        ok = True
    finally:
        cluster.stop()
        smtpd.stop()
        if not ok:
            for proc in [*cluster.apis, *cluster.webs]:
                print(f"--- last lines of {type(proc).__name__} {proc.index} ---")
                print("\n".join(proc.log_path.read_text().splitlines()[-15:]) if proc.log_path.exists() else "(no log)")
            err = cluster.nginx.work / "error.log"
            if err.exists():
                print("--- nginx error.log ---\n" + "\n".join(err.read_text().splitlines()[-15:]))
        shutil.rmtree(work, ignore_errors=True)
        psql(admin, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    log("cluster tests: 10 passed")


def serve():
    """`make cluster`: CLUSTER_SIZE API processes on DATABASE_URL and CLUSTER_WEB_SIZE web processes behind nginx
    on CLUSTER_PORT, until Ctrl-C."""
    size = int(os.environ.get("CLUSTER_SIZE", "3"))
    web_size = int(os.environ.get("CLUSTER_WEB_SIZE", "2"))
    nginx_port = int(os.environ.get("CLUSTER_PORT", "8080"))
    api_port = int(os.environ.get("CLUSTER_API_PORT", "8001"))
    web_port = int(os.environ.get("CLUSTER_WEB_PORT", "8011"))
    metrics_port = int(os.environ.get("CLUSTER_METRICS_PORT", "9101"))
    database_url = os.environ.get("DATABASE_URL") or database_url_of(ADMIN_URL, "todo_cluster")
    if not os.environ.get("DATABASE_URL"):
        if psql(ADMIN_URL, "SELECT count(*) FROM pg_database WHERE datname = 'todo_cluster'") == "0":
            psql(ADMIN_URL, "CREATE DATABASE todo_cluster")
    if not database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("make cluster needs PostgreSQL: every process must share one database (DATABASE_URL)")
    # The public origins (nginx's), for the API (mailed links, cookie-authenticated changes) and the web processes.
    web_url = os.environ.get("WEB_URL") or web_env(nginx_port)["WEB_URL"]
    env = dict(os.environ, DATABASE_URL=database_url, WEB_URL=web_url)
    env.setdefault("TRUSTED_PROXIES", "127.0.0.1")
    env.pop("API_PORT", None)
    webs = dict(os.environ, WEB_URL=web_url, API_INTERNAL_URL=web_env(nginx_port)["API_INTERNAL_URL"])
    work = Path(os.environ.get("CLUSTER_WORK") or tempfile.mkdtemp(prefix="todo-cluster-"))
    ports = [api_port + i for i in range(size)]
    web_ports = [web_port + i for i in range(web_size)]
    cluster = Cluster(database_url, env, nginx_port, ports, [metrics_port + i for i in range(size)], work,
                      web_ports, webs)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    try:
        cluster.start()
        print(f"\n  Web app and API   http://localhost:{nginx_port}   (nginx: /api/..., /docs, /health to {size} API "
              f"processes on ports {api_port}-{api_port + size - 1}, the rest to {web_size} web processes on ports "
              f"{web_port}-{web_port + web_size - 1}; metrics on 127.0.0.1:{metrics_port}-{metrics_port + size - 1})")
        print(f"  logs              {work}\n", flush=True)
        while not stopping.is_set():
            for proc in [*cluster.apis, *cluster.webs]:
                if proc.proc.poll() is not None:
                    log(f"{type(proc).__name__} {proc.index} exited ({proc.proc.returncode}); see {proc.log_path}")
                    stopping.set()
            stopping.wait(1)
    finally:
        cluster.stop()


if __name__ == "__main__":
    what = sys.argv[1] if len(sys.argv) > 1 else ""
    if what == "test":
        run_tests()
    elif what == "serve":
        serve()
    elif what == "check":
        check_shipped_config()
    else:
        sys.exit(__doc__)
