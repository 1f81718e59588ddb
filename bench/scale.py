#!/usr/bin/env python3
"""make bench-scale: the API's latency on a PostgreSQL database of 1,000,000 users and 10,000,000 tasks
against the same on a 1,000-user database, plus the query plans that serve it.

Each database (cluster_scale_<users>) is loaded with generate_series in plain SQL (minutes, not hours):
secondary indexes and constraints are dropped first and rebuilt after, as a bulk load should. A database
that already holds the expected rows is reused. Then one release API process runs on it and a single
keep-alive client measures, one request at a time: sign-in, the session check (GET /api/auth/me), the task
list of a user with 20 tasks and of one with 10,000 (size, time, the process's memory), and task create.

Environment: SCALE_USERS (1000000), SCALE_TASKS (10000000), SCALE_SMALL_USERS (1000), SCALE_SAMPLES (300;
sign-in and the 10,000-task list take a tenth), BENCH_BCRYPT_COST (10), API_BIN, SCALE_OUT (the report,
bench/out/scale.md). Standard library only; psql on PATH.
"""

import http.client
import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
API_BIN = os.environ.get("API_BIN", str(ROOT / "backend" / "target" / "release" / "todo-auth-api"))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "scripts" / "lib"))
import harness  # noqa: E402  (the scripts' shared helpers: psql)

ADMIN = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
USERS = int(os.environ.get("SCALE_USERS", "1000000"))
TASKS = int(os.environ.get("SCALE_TASKS", "10000000"))
SMALL_USERS = int(os.environ.get("SCALE_SMALL_USERS", "1000"))
SAMPLES = int(os.environ.get("SCALE_SAMPLES", "300"))
COST = os.environ.get("BENCH_BCRYPT_COST", "10")
OUT = Path(os.environ.get("SCALE_OUT", str(ROOT / "bench" / "out" / "scale.md")))
SECRET = "scale-bench-secret-0123456789abcdef0123"
PASSWORD = "scale-password-1"
HEAVY, LIGHT = 10_000, 20  # tasks of user 1 and user 2; user 3 creates; users 4.. share the rest


def log(*a):
    print("[scale]", *a, flush=True)


def psql(db, sql, timeout=None):
    return harness.psql(f"{ADMIN}/{db}", sql, timeout=timeout)


def user_id(i):
    return f"md5('u' || ({i}))::uuid::text"


def email(i):
    return f"user{i}@scale.example"


class Api:
    def __init__(self, db, log_path):
        env = {"PATH": os.environ.get("PATH", ""), "DATABASE_URL": f"{ADMIN}/{db}", "JWT_SECRET": SECRET,
               "BCRYPT_COST": COST, "API_HOST": "127.0.0.1", "API_PORT": "0", "RUST_LOG": "warn,todo_auth_api=info",
               "NO_COLOR": "1", "REGISTRATIONS_PER_CLIENT": "0", "LOGIN_FAILURES_PER_CLIENT": "0",
               "LOGIN_FAILURES_PER_EMAIL_CLIENT": "0", "LOGINS_PER_EMAIL": "0"}
        self.log = open(log_path, "w")
        self.proc = subprocess.Popen([API_BIN], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            m = re.search(r"listening on http://([\d.]+):(\d+)", Path(log_path).read_text())
            if m:
                self.host, self.port = m.group(1), int(m.group(2))
                break
            if self.proc.poll() is not None:
                sys.exit(f"the API exited:\n{Path(log_path).read_text()}")
            time.sleep(0.1)
        else:
            sys.exit("the API did not start")
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)

    def call(self, method, path, body=None, token=None):
        headers = {"Content-Type": "application/json"} if body is not None else {}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        start = time.perf_counter()
        self.conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        res = self.conn.getresponse()
        raw = res.read()
        return res.status, raw, time.perf_counter() - start

    def memory_kib(self):
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        get = lambda k: int(re.search(rf"{k}:\s+(\d+)", status).group(1))
        return get("VmRSS"), get("VmHWM")

    def stop(self):
        self.conn.close()
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()


def expected_tasks(users):
    return TASKS if users == USERS else HEAVY + LIGHT + 10 * (users - 3)


def load(db, users):
    """Creates and fills `db` unless it already holds the expected rows."""
    tasks = expected_tasks(users)
    exists = psql("postgres", f"SELECT count(*) FROM pg_database WHERE datname = '{db}'") == "1"
    if exists:
        try:
            have = psql(db, "SELECT (SELECT count(*) FROM users), (SELECT count(*) FROM tasks)")
            if have == f"{users}|{tasks}":
                log(f"{db}: reusing ({users:,} users, {tasks:,} tasks)")
                return None
        except RuntimeError:
            pass
        psql("postgres", f"DROP DATABASE {db} WITH (FORCE)")
    psql("postgres", f"CREATE DATABASE {db}")
    api = Api(db, OUT.parent / f"{db}-load.log")  # runs the migrations
    status, raw, _ = api.call("POST", "/api/auth/register", {"email": "template@scale.example", "password": PASSWORD})
    assert status == 201, raw
    api.stop()
    hashed = psql(db, "SELECT hashed_password FROM users WHERE email = 'template@scale.example'")
    psql(db, "DELETE FROM users")
    started = time.monotonic()
    # Constraints and indexes off for the load, rebuilt once at the end (the statements are read back
    # from the catalog, so they are exactly the migrations').
    constraints = psql(db, "SELECT conrelid::regclass || '|' || conname || '|' || pg_get_constraintdef(oid) FROM pg_constraint "
                           "WHERE conrelid IN ('users'::regclass, 'tasks'::regclass) ORDER BY contype = 'f', conname").splitlines()
    indexes = psql(db, "SELECT indexdef FROM pg_indexes WHERE tablename IN ('users', 'tasks') AND indexname NOT IN "
                       "(SELECT conname FROM pg_constraint)").splitlines()
    index_names = psql(db, "SELECT indexname FROM pg_indexes WHERE tablename IN ('users', 'tasks') AND indexname NOT IN "
                           "(SELECT conname FROM pg_constraint)").splitlines()
    for c in reversed(constraints):
        table, name, _ = c.split("|", 2)
        psql(db, f"ALTER TABLE {table} DROP CONSTRAINT {name}")
    for name in index_names:
        psql(db, f"DROP INDEX {name}")
    rest = tasks - HEAVY - LIGHT
    others = users - 3
    fill = f"""
SET synchronous_commit = off;
INSERT INTO users (id, email, hashed_password, name, created_at, updated_at, token_version)
SELECT {user_id('i')}, 'user' || i || '@scale.example', '{hashed}', 'User ' || i,
       timestamp '2026-01-01' + i * interval '1 second', timestamp '2026-01-01' + i * interval '1 second', 0
FROM generate_series(1, {users}) AS i;
INSERT INTO tasks (id, user_id, title, description, is_completed, created_at, updated_at)
SELECT md5('h' || j)::uuid::text, {user_id(1)}, 'Heavy task ' || j, CASE WHEN j % 2 = 0 THEN 'details of ' || j END,
       j % 3 = 0, timestamp '2026-02-01' + j * interval '1 second', timestamp '2026-02-01' + j * interval '1 second'
FROM generate_series(1, {HEAVY}) AS j;
INSERT INTO tasks (id, user_id, title, description, is_completed, created_at, updated_at)
SELECT md5('l' || j)::uuid::text, {user_id(2)}, 'Light task ' || j, CASE WHEN j % 2 = 0 THEN 'details of ' || j END,
       j % 3 = 0, timestamp '2026-02-01' + j * interval '1 second', timestamp '2026-02-01' + j * interval '1 second'
FROM generate_series(1, {LIGHT}) AS j;
INSERT INTO tasks (id, user_id, title, description, is_completed, created_at, updated_at)
SELECT md5('t' || j)::uuid::text, {user_id(f'4 + j % {others}')}, 'Task ' || j, CASE WHEN j % 2 = 0 THEN 'details of ' || j END,
       j % 3 = 0, timestamp '2026-02-01' + j * interval '1 second', timestamp '2026-02-01' + j * interval '1 second'
FROM generate_series(1, {rest}) AS j;
"""
    psql(db, fill)
    loaded = time.monotonic()
    for c in constraints:
        table, name, definition = c.split("|", 2)
        psql(db, f"SET maintenance_work_mem = '256MB'; ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
    for definition in indexes:
        psql(db, f"SET maintenance_work_mem = '256MB'; {definition}")
    psql(db, "VACUUM ANALYZE users")
    psql(db, "VACUUM ANALYZE tasks")
    done = time.monotonic()
    size = psql(db, f"SELECT pg_size_pretty(pg_database_size('{db}'))")
    log(f"{db}: {users:,} users and {tasks:,} tasks loaded in {loaded - started:.0f} s, constraints and indexes "
        f"rebuilt in {done - loaded:.0f} s ({size})")
    return {"load_s": loaded - started, "index_s": done - loaded, "size": size}


def pct(samples, q):
    s = sorted(samples)
    return s[max(0, min(len(s) - 1, int(len(s) * q + 0.999999) - 1))] * 1000


def measure(db, users):
    api = Api(db, OUT.parent / f"{db}-api.log")
    try:
        def login(i):
            status, raw, t = api.call("POST", "/api/auth/login", {"email": email(i), "password": PASSWORD})
            assert status == 200, (status, raw[:200])
            return json.loads(raw)["access_token"], t

        heavy, _ = login(1)
        light, _ = login(2)
        writer, _ = login(3)
        # Warm-up: connections, caches.
        for _ in range(20):
            api.call("GET", "/api/tasks", token=light)
            api.call("GET", "/api/auth/me", token=light)
        results = {}
        n_slow = max(10, SAMPLES // 10)
        results["sign-in"] = [login(4 + i % max(1, users - 3))[1] for i in range(n_slow)]

        def run(name, n, method, path, token, body=None, expect=200):
            ts = []
            for _ in range(n):
                status, raw, t = api.call(method, path, body() if callable(body) else body, token)
                assert status == expect, (name, status, raw[:200])
                ts.append(t)
            results[name] = ts
            return raw

        run("session check (GET /api/auth/me)", SAMPLES, "GET", "/api/auth/me", light)
        raw = run("list, 20 tasks", SAMPLES, "GET", "/api/tasks", light)
        assert json.loads(raw)["total"] == LIGHT
        rss_before, _ = api.memory_kib()
        raw = run("list, 10,000 tasks", n_slow, "GET", "/api/tasks", heavy)
        rss_after, peak = api.memory_kib()
        body = json.loads(raw)
        assert body["total"] == HEAVY and len(body["tasks"]) == HEAVY
        n = [0]

        def new_task():
            n[0] += 1
            return {"title": f"created {n[0]}"}

        run("create", SAMPLES, "POST", "/api/tasks", writer, new_task, expect=201)
        psql(db, f"DELETE FROM tasks WHERE user_id = {user_id(3)}")
        big = {"bytes": len(raw), "rss_before": rss_before, "rss_after": rss_after, "peak": peak}
        return results, big
    finally:
        api.stop()


PLANS = {
    # db.rs user_by_email (sign-in)
    "sign-in: user by email": "SELECT id, email, hashed_password, name, created_at, token_version FROM users "
        "WHERE lower(email) = 'user2@scale.example' ORDER BY CASE WHEN email = 'user2@scale.example' THEN 0 ELSE 1 END, "
        "created_at LIMIT 1",
    # db.rs session_user (every authenticated request but the list)
    "session check": "SELECT id, email, name, created_at, token_version, (SELECT COUNT(*) FROM revoked_tokens "
        "WHERE token_id = 'x') AS revoked FROM users WHERE id = {uid}",
    # db.rs session_tasks (GET /api/tasks: the user and the tasks in one query)
    "list (user with 10,000 tasks)": "SELECT u.id, u.email, u.name, u.created_at, u.token_version, (SELECT COUNT(*) "
        "FROM revoked_tokens WHERE token_id = 'x') AS revoked, t.id AS task_id, t.title, t.description, t.is_completed, "
        "t.created_at AS task_created_at, t.updated_at AS task_updated_at FROM users u LEFT JOIN tasks t ON "
        "t.user_id = u.id WHERE u.id = {heavy} ORDER BY t.created_at DESC, t.id DESC",
    # db.rs attempt_counts (throttle check before any bcrypt)
    "throttle check": "SELECT key, COUNT(*), MIN(at) FROM auth_attempts WHERE at > now() - interval '15 minutes' "
        "AND key IN ('fail:email+client:user2@scale.example|127.0.0.1', 'fail:client:127.0.0.1', "
        "'login:email:user2@scale.example') GROUP BY key",
}


def plans(db):
    out = {}
    for name, sql in PLANS.items():
        sql = sql.format(uid=user_id(2), heavy=user_id(1))
        out[name] = psql(db, f"EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) {sql}")
    return out


def main():
    OUT.parent.mkdir(parents=True, exist_ok=True)
    sizes = [(SMALL_USERS, f"cluster_scale_{SMALL_USERS}"), (USERS, f"cluster_scale_{USERS}")]
    report = {}
    for users, db in sizes:
        loaded = load(db, users)
        results, big = measure(db, users)
        report[users] = (loaded, results, big, plans(db))
    lines = ["| | " + " | ".join(f"{u:,} users, {expected_tasks(u):,} tasks: p50 / p99 (ms)" for u, _ in sizes) + " |",
             "|---|" + "---|" * len(sizes)]
    names = list(report[sizes[0][0]][1].keys())
    for name in names:
        cells = []
        for u, _ in sizes:
            ts = report[u][1][name]
            cells.append(f"{pct(ts, .5):.2f} / {pct(ts, .99):.2f} (n={len(ts)})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    text = ["## Data at scale (`make bench-scale`)", "", *lines, ""]
    for u, db in sizes:
        loaded, _, big, _ = report[u]
        if loaded:
            text.append(f"- {db}: loaded in {loaded['load_s']:.0f} s, constraints and indexes rebuilt in "
                        f"{loaded['index_s']:.0f} s, {loaded['size']} on disk")
        text.append(f"- {db}: the 10,000-task list is {big['bytes']:,} bytes; the process's RSS "
                    f"{big['rss_before'] / 1024:.1f} MiB before those requests, {big['rss_after'] / 1024:.1f} MiB "
                    f"after, peak {big['peak'] / 1024:.1f} MiB")
    text += ["", f"Query plans on cluster_scale_{USERS}:", ""]
    for name, plan in report[USERS][3].items():
        text += [f"{name}:", "```", plan, "```", ""]
    OUT.write_text("\n".join(text))
    print("\n".join(text))
    log(f"written to {OUT}")


if __name__ == "__main__":
    main()
