"""What the Python scripts share: HTTP calls to a local server, free ports, waiting, stopping a server, and psql.

Used by scripts/cluster.py (make cluster, the cluster tests), scripts/seed_compat.py (the seed-database
stage of make test), bench/bench.py and bench/scale.py (make bench, make bench-scale). Standard library
only, so every script runs with the machine's python3. Import it with
`sys.path.insert(0, <repo>/scripts/lib); import harness`.
"""

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import time


def request(method, url, body=None, token=None, source=None, timeout=15, headers=None):
    """One request on a fresh connection: (status, parsed JSON or None, headers with lower-case names).
    `body` is sent as JSON; `token` as a bearer token; `source` binds the client's address (a loopback
    address other than 127.0.0.1 is another client to the API's per-client throttles)."""
    m = re.match(r"http://([^:/]+):(\d+)(/.*)", url)
    host, port, path = m.group(1), int(m.group(2)), m.group(3)
    conn = http.client.HTTPConnection(host, port, timeout=timeout, source_address=(source, 0) if source else None)
    headers = {"Connection": "close", **(headers or {})}
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, body=data, headers=headers)
        res = conn.getresponse()
        raw = res.read()
        try:
            parsed = json.loads(raw) if raw else None
        except ValueError:
            parsed = None
        return res.status, parsed, {k.lower(): v for k, v in res.getheaders()}
    finally:
        conn.close()


def free_ports(n):
    """n distinct loopback ports the kernel considers free right now."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


def free_port():
    return free_ports(1)[0]


def wait_for(cond, seconds, what):
    """Poll `cond` every 50 ms until it is true; AssertionError naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {seconds}s waiting for {what}")


def stop_group(proc, grace):
    """Stops a server started with `start_new_session=True` and everything it started (node:cluster's workers, a
    shell's children): SIGTERM to its process group, then SIGKILL after `grace` seconds. Nothing if it is gone."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=grace)
    except ProcessLookupError:
        pass  # the whole group has exited already (a server that did not start)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def psql(url, sql=None, file=None, timeout=None):
    """Run SQL (statements one by one, as psql reads a script: DROP/CREATE DATABASE work) or a file against
    the database at `url`; stop at the first error. Returns the output, unaligned and without headers."""
    args = ["psql", url, "-XAtq", "-v", "ON_ERROR_STOP=1"] + (["-f", file] if file else [])
    res = subprocess.run(args, input=sql, capture_output=True, text=True, timeout=timeout)
    if res.returncode != 0:
        raise RuntimeError(f"psql on {url}: {res.stderr.strip()}\n{(sql or file or '')[:300]}")
    return res.stdout.strip()


def database_url_of(admin_url, name):
    """The URL of database `name` on the server of `admin_url`."""
    return admin_url.rsplit("/", 1)[0] + "/" + name
