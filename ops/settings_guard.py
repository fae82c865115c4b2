"""The rules `agentsite/settings/` applies to the environment before Django starts.

Plain functions of plain values: settings are read at import time, and a mistake here must
stop the process with a message naming the key, not start a production service on a
developer's defaults. Imported by the settings module, so nothing here reads Django's
settings.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

# Every accepted spelling of AGENT_ENV (compared case-insensitively) and what it means.
# "test" and "testing" are refused rather than guessed: a "test server" on a network
# needs the production rules as much as production does, and the suite needs no AGENT_ENV.
ENVIRONMENTS = {
    "dev": "dev",
    "development": "dev",
    "local": "dev",
    "prod": "prod",
    "production": "prod",
    "live": "prod",
    "staging": "prod",
}

# Django's own rule for a secret key (django.core.checks.security.base, security.W009).
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5
SECRET_KEY_INSECURE_PREFIX = "django-insecure-"
# RFC 7518 §3.2: an HS256 key must be at least as long as the hash output, 256 bits.
JWT_SECRET_MIN_BYTES = 32
SERVICE_TOKEN_MIN_LENGTH = 32


def environment_normalise(*, value: str) -> str:
    """'dev' or 'prod' for an accepted spelling of AGENT_ENV; ImproperlyConfigured otherwise."""
    normalised = ENVIRONMENTS.get(value.strip().lower())
    if normalised is None:
        dev = ", ".join(k for k, v in ENVIRONMENTS.items() if v == "dev")
        prod = ", ".join(k for k, v in ENVIRONMENTS.items() if v == "prod")
        raise ImproperlyConfigured(
            f"AGENT_ENV={value!r} is not understood: use one of {dev} (development) "
            f"or {prod} (production rules)"
        )
    return normalised


# Levels LOG_LEVEL may name (any case), as the logging module spells them.
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL")
# VECTOR_STORE values InfraZen's agent env and product description use. None of them changes
# anything: the knowledge search is BM25 in this process (knowledge/).
VECTOR_STORES = ("", "none", "bm25", "chroma", "pgvector", "faiss")


def log_level_normalise(*, value: str) -> str:
    """LOG_LEVEL in upper case; ImproperlyConfigured for a level logging does not know (it
    would otherwise stop the start inside dictConfig with no name of the key)."""
    level = value.strip().upper() or "INFO"
    if level not in LOG_LEVELS:
        raise ImproperlyConfigured(
            f"LOG_LEVEL={value!r} is not a log level: use DEBUG, INFO, WARNING, ERROR or CRITICAL"
        )
    return level


def vector_store_check(*, value: str) -> str:
    """VECTOR_STORE as given, when it is one of the values InfraZen's env uses; it has no
    effect. Anything else is refused: whoever sets it expects a store this service lacks."""
    if value.strip().lower() not in VECTOR_STORES:
        accepted = ", ".join(v for v in VECTOR_STORES if v)
        raise ImproperlyConfigured(
            f"VECTOR_STORE={value!r} is not supported: the knowledge search is BM25 inside the "
            f"service and uses no vector store. Unset VECTOR_STORE (accepted and ignored: "
            f"{accepted})"
        )
    return value.strip().lower()


def secret_key_strong(*, key: str) -> bool:
    return (
        len(key) >= SECRET_KEY_MIN_LENGTH
        and len(set(key)) >= SECRET_KEY_MIN_UNIQUE_CHARACTERS
        and not key.startswith(SECRET_KEY_INSECURE_PREFIX)
    )


def production_problems(
    *,
    debug: bool,
    secret_key: str,
    jwt_secret: str,
    jwt_previous_secrets: list[str],
    service_token: str,
    known_dev_secrets: tuple[str, ...],
    own_database_missing: bool = False,
) -> list[str]:
    """What stops a production start, one sentence each naming the key to set.

    `own_database_missing`: InfraZen's MySQL without AGENT_DATABASE_URL, which would put the
    service's tables in InfraZen's schema (its Alembic autogenerate would drop them).
    """
    problems = []
    if own_database_missing:
        problems.append(
            "set AGENT_DATABASE_URL to the agent's own schema (deploy/README.md, step 3): "
            "on MySQL the service's tables must not land in InfraZen's schema"
        )
    if debug:
        problems.append("DEBUG must be off (unset DEBUG or set DEBUG=false)")
    if secret_key in known_dev_secrets or not secret_key_strong(key=secret_key):
        problems.append(
            f"set DJANGO_SECRET_KEY to a long random value (at least {SECRET_KEY_MIN_LENGTH} "
            f"characters, {SECRET_KEY_MIN_UNIQUE_CHARACTERS} of them different, not "
            f"'{SECRET_KEY_INSECURE_PREFIX}...'), e.g. `python -c \"import secrets; "
            'print(secrets.token_urlsafe(64))"`'
        )
    if jwt_secret in known_dev_secrets or not jwt_secret:
        problems.append(
            "set AGENT_SERVICE_JWT_SECRET (or JWT_SECRET_KEY) to the InfraZen app's JWT secret"
        )
    elif len(jwt_secret.encode()) < JWT_SECRET_MIN_BYTES:
        problems.append(
            f"AGENT_SERVICE_JWT_SECRET (or JWT_SECRET_KEY) is shorter than "
            f"{JWT_SECRET_MIN_BYTES} bytes: RFC 7518 requires an HS256 key of at least "
            "256 bits; give the InfraZen app and the agent a longer shared secret"
        )
    if any(len(s.encode()) < JWT_SECRET_MIN_BYTES for s in jwt_previous_secrets):
        problems.append(
            f"every AGENT_SERVICE_JWT_PREVIOUS_SECRETS entry must be at least "
            f"{JWT_SECRET_MIN_BYTES} bytes (RFC 7518, HS256): a short one forges tokens as "
            "easily as a short current secret"
        )
    if service_token and len(service_token) < SERVICE_TOKEN_MIN_LENGTH:
        problems.append(
            f"AGENT_SERVICE_TOKEN must be at least {SERVICE_TOKEN_MIN_LENGTH} characters "
            "(or unset to accept no token)"
        )
    return problems
