"""HTTPS, cookies, security headers, the console's sign-in and the service's own credentials."""

from __future__ import annotations

from ops.public_url import script_name_from

from .base import DEV_JWT_SECRET, _prod, env

# --- HTTPS, cookies and security headers (ops.security) ---------------------------------
# nginx terminates TLS and sets X-Forwarded-Proto; trusted in prod, where the agent listens on
# loopback behind it. Never trust it where clients reach daphne directly.
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https")
    if env.bool("TRUST_X_FORWARDED_PROTO", default=_prod)
    else None
)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=_prod)
# The InfraZen app, load balancers and scrapers call these over plain http on loopback.
SECURE_REDIRECT_EXEMPT = [
    r"^v1/health$",
    r"^v1/readiness$",
    r"^v1/generate/",
    r"^v1/reports/",
    r"^metrics$",
]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31_536_000 if _prod else 0)
# Off by default: the agent answers on the InfraZen app's own domain (nginx /agent/), and
# these would bind every subdomain of it to HTTPS for a year (preload: in browsers' built-in
# lists, slow to undo). That is the domain owner's decision, not this service's.
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = _prod
CSRF_COOKIE_SECURE = _prod
# Behind nginx the service is https://<host>/agent/ (AGENT_PUBLIC_URL): the admin's links,
# redirects and static URLs carry that prefix, and its cookies stay on it, apart from the
# InfraZen app's own on the same host. nginx passes the prefix on (ops.script_prefix); a
# request straight to the workers (loopback) has none and is served the same.
# AGENT_SCRIPT_NAME overrides the prefix taken from AGENT_PUBLIC_URL ("" for none).
FORCE_SCRIPT_NAME = script_name_from(
    public_url=env.str("AGENT_PUBLIC_URL", default=""),
    override=env.str("AGENT_SCRIPT_NAME", default=None),
)
SESSION_COOKIE_PATH = CSRF_COOKIE_PATH = f"{FORCE_SCRIPT_NAME or ''}/"
# Origins (scheme://host) allowed to POST forms, e.g. https://infrazen.ru when nginx does not
# pass the browser's Host header on. Default: none beyond the request's own host.
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# django-csp (ops.security). HTML is only the admin's, which loads its scripts and styles from
# /static/ and uses no inline script; JSON answers get `default-src 'none'` instead.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# The console (console/): the service's own pages for `make demo` (which turns it on) and
# operators, behind a Django sign-in, staff only in production; `/` shows it when enabled.
CONSOLE_ENABLED = env.bool("CONSOLE_ENABLED", default=False)
LOGIN_URL = "console:login"
LOGIN_REDIRECT_URL = "console:recommendations"

# --- Authentication between InfraZen and the agent -------------------------------------
AGENT_SERVICE_JWT_SECRET = env.str("AGENT_SERVICE_JWT_SECRET", default="") or env.str(
    "JWT_SECRET_KEY", default=DEV_JWT_SECRET
)
# Secrets still accepted while a rotation is under way (comma list); tokens are never minted here.
AGENT_SERVICE_JWT_PREVIOUS_SECRETS = env.list("AGENT_SERVICE_JWT_PREVIOUS_SECRETS", default=[])
AGENT_SERVICE_JWT_LEEWAY_S = env.int("AGENT_SERVICE_JWT_LEEWAY_S", default=30)
# Bearer token the InfraZen app sends on server-to-server REST calls.
AGENT_SERVICE_TOKEN = env.str("AGENT_SERVICE_TOKEN", default="")
# Networks (CIDR) from which REST calls without a token are accepted. Empty: none.
AGENT_ANONYMOUS_NETWORKS = env.list("AGENT_ANONYMOUS_NETWORKS", default=[])
# GET /metrics (Prometheus): a scraper sends Authorization: Bearer <METRICS_TOKEN>, or comes
# straight (not through a proxy) from METRICS_NETWORKS. Default: this machine only.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
METRICS_NETWORKS = env.list("METRICS_NETWORKS", default=["127.0.0.0/8", "::1/128"])
# A chat token may live at most this long: exp - iat (or exp - now without iat). Flask mints
# 24 h tokens; a validly signed one with a far exp is refused (chat.auth.token_decode).
AGENT_SERVICE_JWT_MAX_LIFETIME_S = env.int("AGENT_SERVICE_JWT_MAX_LIFETIME_S", default=86_400)
