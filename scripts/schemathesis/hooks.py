"""Schemathesis hooks for scripts/test.d/30-schemathesis.sh: authentication that survives the API itself.

A fixed `Authorization` header is not enough here: schemathesis calls POST /api/auth/logout and
/logout-all like every other operation, and those revoke the very token it would keep sending, so every
later protected call would be a 401 and test nothing. Instead every test case signs in afresh (cheap at
BCRYPT_COST=4) as the user the script registered.
"""

import json
import os
import urllib.request

import schemathesis
from hypothesis.internal import lambda_sources

API = os.environ["ST_API_URL"]

# This machine's Python (CPython 3.11.7) can raise SystemError("AST constructor recursion depth mismatch") from
# ast.parse when it is called deep in a stack. Hypothesis parses a module's source only to *describe* a filter's
# lambda in a strategy's repr, and catches SyntaxError alone, so one coverage case of `CI=true make test` errored
# at random on 2026-12-05 (GET /api/auth/activity; the rerun passed). Such a lambda is described as "<unknown>",
# as Hypothesis does for any lambda whose source it cannot read; what is generated and checked does not change.
_describe_lambda = lambda_sources._lambda_description


def _lambda_description(f, *args, **kwargs):
    try:
        return _describe_lambda(f, *args, **kwargs)
    except SystemError:
        return "lambda: <unknown>"


lambda_sources._lambda_description = _lambda_description
EMAIL = os.environ["ST_EMAIL"]
PASSWORD = os.environ["ST_PASSWORD"]


@schemathesis.auth(refresh_interval=None)
class FreshToken:
    def get(self, case, context):
        req = urllib.request.Request(
            f"{API}/api/auth/login",
            data=json.dumps({"email": EMAIL, "password": PASSWORD}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(req, timeout=10) as res:
            return json.load(res)["access_token"]

    def set(self, case, data, context):
        case.headers = case.headers or {}
        case.headers["Authorization"] = f"Bearer {data}"
