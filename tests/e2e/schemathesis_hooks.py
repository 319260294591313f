"""Schemathesis hooks for tests/e2e/fuzz.e2e.test.ts.

A well-formed Idempotency-Key is made unique per request, as a real client makes it: otherwise the fuzzer sends
the same few keys with different bodies and paths, every POST after the first is answered 422
IDEMPOTENCY_KEY_REUSED (correctly, and documented), and the operations behind it are never exercised.
Malformed keys are left as generated, so the 400 IDEMPOTENCY_KEY_INVALID path is still fuzzed.
"""

import re
import uuid

import schemathesis

WELL_FORMED = re.compile(r"^[\x20-\x7e]{1,200}$")


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    for name, value in list((case.headers or {}).items()):
        if name.lower() == "idempotency-key" and isinstance(value, str) and WELL_FORMED.match(value):
            case.headers[name] = f"{value}-{uuid.uuid4().hex}"
