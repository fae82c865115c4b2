"""CPU the fast path of `POST /v1/generate/recommendation-text` pays for host validation and
the security headers (ops.security), per request: timeit over exactly the calls it added.

The calls, on a request and a response shaped like the endpoint's (a JSON 200 of ~1 KB):
`AllowedHostsMiddleware` (one more middleware layer: get_host() and an await),
`ResponseSecurity.request_check` (SecurityMiddleware's HTTPS redirect check and django-csp's
process_request), `ResponseSecurity.response_secure` (X-Frame-Options, CSP, nosniff,
Referrer-Policy, COOP, HSTS). Measured with the production settings that matter (HSTS on,
the redirect on with its exemptions) over plain http and over https (X-Forwarded-Proto).

    .venv/bin/python bench/fast_path_security.py
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib import ROOT
from lib.results import results_write

TEXT_URL = "/v1/generate/recommendation-text"
# What the README reports as the endpoint's server CPU per request under load.
ENDPOINT_CPU_MS = 8.7


def setup() -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "agentsite.settings",
            "LOG_LEVEL": "WARNING",
            "DATABASE_URL": "sqlite:///:memory:",
            # Production's HTTPS settings, on the dev secrets (AGENT_ENV stays dev).
            "SECURE_SSL_REDIRECT": "true",
            "SECURE_HSTS_SECONDS": "31536000",
            "TRUST_X_FORWARDED_PROTO": "true",
        }
    )
    os.chdir(ROOT)
    import django

    django.setup()


def request_make(*, secure: bool):
    from django.test import RequestFactory

    headers = {"Authorization": "Bearer bench-token", "X-Request-ID": "bench"}
    if secure:
        headers["X-Forwarded-Proto"] = "https"
    return RequestFactory().post(
        TEXT_URL,
        b'{"recommendation_id": 42}',
        content_type="application/json",
        headers=headers,
        HTTP_HOST="127.0.0.1:8001",
    )


def response_make():
    from ops.errors import error_response

    # The size of a real answer's headers matters, not its body.
    return error_response("x" * 900, "ok", 200)


def per_call_us(call, *, number: int, repeat: int, secure: bool) -> dict[str, float]:
    """µs per `call(request, response)`, each call on a fresh request and response made
    beforehand (get_host() and the headers are per request), outside the timing."""
    runs = []
    for _ in range(repeat):
        pairs = [(request_make(secure=secure), response_make()) for _ in range(number)]
        started = time.perf_counter()
        for request, response in pairs:
            call(request, response)
        runs.append((time.perf_counter() - started) / number * 1e6)
    return {"best_us": round(min(runs), 2), "median_us": round(statistics.median(runs), 2)}


def measure(*, secure: bool, number: int, repeat: int) -> dict:
    from ops.security import AllowedHostsMiddleware, ResponseSecurity

    security = ResponseSecurity()
    loop = asyncio.new_event_loop()

    async def view(request):
        return None

    layer = AllowedHostsMiddleware(view)
    calls = {
        # One more middleware layer: its await and get_host(), less awaiting the view alone.
        "host_layer": lambda request, response: loop.run_until_complete(layer(request)),
        "view_alone": lambda request, response: loop.run_until_complete(view(request)),
        "request_check": lambda request, response: security.request_check(request),
        "response_secure": security.response_secure,
        # Its parts, for where the time goes.
        "x_frame_options": security._frame.process_response,
        "csp": security._csp.process_response,
        "security_middleware": security._security.process_response,
    }
    try:
        figures = {
            name: per_call_us(call, number=number, repeat=repeat, secure=secure)
            for name, call in calls.items()
        }
    finally:
        loop.close()
    added = {
        "host_layer_us": round(
            figures["host_layer"]["best_us"] - figures["view_alone"]["best_us"], 2
        ),
        "request_check_us": figures["request_check"]["best_us"],
        "response_secure_us": figures["response_secure"]["best_us"],
    }
    added["total_us"] = round(sum(added.values()), 2)
    figures["added_per_request"] = added
    sample = security.response_secure(request_make(secure=secure), response_make())
    figures["headers_added"] = sorted(
        h
        for h in sample.headers
        if h.lower() not in ("content-type", "content-length", "x-request-id")
    )
    return figures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--number", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args(argv)
    setup()
    figures = {
        scheme: measure(secure=scheme == "https", number=args.number, repeat=args.repeat)
        for scheme in ("http", "https")
    }
    for scheme, shown in figures.items():
        added = shown["added_per_request"]
        print(
            f"{scheme}: +{added['total_us']:.1f} µs per request "
            f"(host layer {added['host_layer_us']:.1f}, redirect check "
            f"{added['request_check_us']:.1f}, headers {added['response_secure_us']:.1f}); "
            f"{added['total_us'] / (ENDPOINT_CPU_MS * 10):.2f} % of the endpoint's "
            f"{ENDPOINT_CPU_MS} ms of CPU"
        )
    path = results_write(
        "fast_path_security",
        parameters={"number": args.number, "repeat": args.repeat},
        figures=figures,
        notes=[
            "Best of `repeat` runs of `number` calls each, per call; the added figures "
            "subtract the cost of making the request and response objects themselves.",
            f"Endpoint CPU per request for scale: {ENDPOINT_CPU_MS} ms (README, closed loop).",
        ],
    )
    print(f"written: {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
