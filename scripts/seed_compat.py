#!/usr/bin/env python3
"""Both directions of the drop-in promise, with the seed's real backend (../shared/peers/fastapi-seed).

On a copy of the seed's own database (SQLite, then PostgreSQL):
  1. our API opens it (running its migrations), signs in a seed user, registers a user and adds a task;
  2. the seed's backend, on the database we have migrated, still starts, signs in its own user *and ours*
     (our bcrypt hash), lists our task (our timestamp format), registers a user and adds a task;
  3. our API again signs in the user the seed registered and lists everyone's tasks intact.
Standard library only. Exit status 0 only if every check passed.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lib"))
from harness import free_port, psql, request, stop_group  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.normpath(os.path.join(ROOT, "..", "shared"))
SEED_DB = os.path.join(ROOT, "backend", "tests", "fixtures", "seed-db")  # a copy of ../shared/seed-db
SEED_RUN = os.path.join(SHARED, "peers", "fastapi-seed", "run.sh")
OURS = os.path.join(ROOT, "backend", "target", "release", "todo-auth-api")
FIXTURE = json.load(open(os.path.join(SEED_DB, "fixture.json")))
SECRET = FIXTURE["jwt_secret"]
PG = os.environ.get("TEST_POSTGRES_HOST", "127.0.0.1")

passed = 0
failed = 0


def check(what, ok, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print(f"  ok    {what}")
    else:
        failed += 1
        print(f"  FAIL  {what} {detail}")


def call(port, method, path, body=None, token=None):
    status, parsed, _ = request(method, f"http://127.0.0.1:{port}{path}", body, token, timeout=30)
    return status, parsed


class Server:
    def __init__(self, name, cmd, env):
        self.name, self.port = name, free_port()
        env = {**os.environ, **env, "API_PORT": str(self.port), "API_HOST": "127.0.0.1"}
        self.log = tempfile.NamedTemporaryFile(prefix=f"{name}-", suffix=".log", delete=False)
        self.proc = subprocess.Popen(cmd + ([str(self.port)] if name == "seed" else []), env=env,
                                     stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 300  # the seed's first start creates its virtualenv
        while time.time() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if call(self.port, "GET", "/health")[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        sys.stdout.write(open(self.log.name).read()[-3000:])
        raise SystemExit(f"{name} did not start")

    def stop(self):
        stop_group(self.proc, 20)


def ours(url):
    return Server("ours", [OURS], {"DATABASE_URL": url, "JWT_SECRET": SECRET, "DATA_ENCRYPTION_KEY": SECRET, "RUST_LOG": "warn",
                                   "REGISTRATIONS_PER_CLIENT": "0"})


def seed(url):
    return Server("seed", ["bash", SEED_RUN], {"DATABASE_URL": url, "JWT_SECRET": SECRET, "ROUTE_STYLE": "sync"})


def login(port, email, password):
    status, body = call(port, "POST", "/api/auth/login", {"email": email, "password": password})
    return status, (body or {}).get("access_token")


def round_trip(kind, url, fx):
    ada = fx["users"][0]
    tag = uuid.uuid4().hex[:8]
    ours_email, seed_email = f"ours-{tag}@example.com", f"seed-{tag}@example.com"

    print(f"{kind}: 1. our API on the seed's database")
    s = ours(url)
    try:
        status, _ = login(s.port, ada["email"], ada["password"])
        check("a seed user signs in on ours", status == 200, status)
        status, body = call(s.port, "POST", "/api/auth/register", {"email": ours_email, "password": "made-by-ours-1", "name": "Ours"})
        check("ours registers a user", status == 201, body)
        token = body["access_token"]
        status, _ = call(s.port, "POST", "/api/tasks", {"title": "made by ours", "description": "with our timestamps"}, token)
        check("ours adds a task", status == 201, status)
    finally:
        s.stop()

    print(f"{kind}: 2. the seed's backend on the database we migrated")
    s = seed(url)
    try:
        status, _ = login(s.port, ada["email"], ada["password"])
        check("the seed still signs in its own user", status == 200, status)
        status, token = login(s.port, ours_email, "made-by-ours-1")
        check("the seed signs in the user we registered (our bcrypt hash)", status == 200, status)
        status, body = call(s.port, "GET", "/api/tasks", token=token)
        titles = [t["title"] for t in (body or {}).get("tasks", [])]
        check("the seed lists the task we wrote (our timestamp format)", status == 200 and titles == ["made by ours"], body)
        status, body = call(s.port, "GET", "/api/tasks", token=fx["tokens"]["valid_until_2099"])
        check("the seed's own token still works on the seed", status == 200 and body["total"] == 2, body)
        status, body = call(s.port, "POST", "/api/auth/register", {"email": seed_email, "password": "made-by-seed-1"})
        check("the seed registers a user (its INSERT leaves our new column to its default)", status == 201, body)
        status, _ = call(s.port, "POST", "/api/tasks", {"title": "made by the seed"}, body["access_token"])
        check("the seed adds a task", status == 201, status)
    finally:
        s.stop()

    print(f"{kind}: 3. our API again")
    s = ours(url)
    try:
        status, token = login(s.port, seed_email, "made-by-seed-1")
        check("ours signs in the user the seed registered", status == 200, status)
        status, body = call(s.port, "GET", "/api/tasks", token=token)
        check("ours lists the seed's new task", status == 200 and [t["title"] for t in body["tasks"]] == ["made by the seed"], body)
        status, body = call(s.port, "GET", "/api/tasks", token=fx["tokens"]["valid_until_2099"])
        check("the fixture user's tasks are intact", status == 200 and body["total"] == 2, body)
    finally:
        s.stop()


def admin(name):
    return f"postgresql://postgres@{PG}:5432/{name}"


def main():
    if not os.path.exists(OURS):
        subprocess.run(["cargo", "build", "--release", "--locked", "--manifest-path",
                        os.path.join(ROOT, "backend", "Cargo.toml")], check=True)
    work = tempfile.mkdtemp(prefix="seed-compat-")
    try:
        db = os.path.join(work, "seed.db")
        shutil.copyfile(os.path.join(SEED_DB, "seed-app.sqlite3"), db)  # not its read-only mode
        round_trip("sqlite", f"sqlite:///{db}", FIXTURE["sqlite"])

        name = f"seed_compat_{uuid.uuid4().hex[:10]}"
        psql(admin("postgres"), f"CREATE DATABASE {name}")
        try:
            psql(admin(name), file=os.path.join(SEED_DB, "seed-app.postgres.sql"))
            round_trip("postgres", admin(name), FIXTURE["postgres"])
        finally:
            psql(admin("postgres"), f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"seed-compat: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
