"""Settings for the InfraZen Agent Service.

Everything comes from the environment (django-environ); `.env.example` documents every key.
With nothing set the service runs on its embedded defaults: a SQLite file, the in-memory
channel layer and an offline LLM, which is what `make demo` and `make test` rely on.
"""

from __future__ import annotations

import sys
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

from llm import providers as llm_providers
from ops.public_url import script_name_from
from ops.settings_guard import (
    environment_normalise,
    log_level_normalise,
    production_problems,
    vector_store_check,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VERSION = "0.2.0"
SERVICE_NAME = "infrazen-agent"

env = environ.Env()
# A developer's .env (say, with an OpenRouter key) must not change what the tests see:
# pytest is imported before Django loads these settings.
if "pytest" not in sys.modules and (BASE_DIR / ".env").exists():
    environ.Env.read_env(BASE_DIR / ".env")

# The default the InfraZen Flask app ships with; accepted in dev so a stock checkout works,
# refused in production.
DEV_JWT_SECRET = "dev-jwt-secret-change-in-production"
DEV_DJANGO_SECRET = "dev-only-django-secret-key-not-for-production"

# "dev" or "prod", whatever accepted spelling was set (ops.settings_guard.ENVIRONMENTS);
# an unknown one stops the start rather than falling back to development defaults.
AGENT_ENV = environment_normalise(value=env.str("AGENT_ENV", default="") or "dev")
_prod = AGENT_ENV == "prod"
# AGENT_PORT belongs to the launchers (scripts/serve.py, scripts/demo.py); not read here.
# Off by default everywhere: Django's debug pages show settings and source to whoever reaches
# the port, and `make demo` is often the first thing put on a network. Refused in prod.
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEV_DJANGO_SECRET)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
# Browser origins allowed to open chat WebSockets (the InfraZen app's own pages).
CHAT_ALLOWED_ORIGINS = env.list(
    "CHAT_ALLOWED_ORIGINS",
    default=[
        "http://localhost:5001",
        "http://127.0.0.1:5001",
        "http://localhost:8001",
        "http://127.0.0.1:8001",
        "https://infrazen.ru",
        "https://www.infrazen.ru",
        "https://infrazen.team",
    ],
)

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

# --- Database ---------------------------------------------------------------------------
# `default` is InfraZen's database. The service's own tables (Django's auth, sessions, admin;
# the agent_* tables) go to `agent` when AGENT_DATABASE_URL is set (production: another schema
# on the same MySQL server), so that InfraZen's schema holds only the tables InfraZen defines
# (core/db_router.py). Unset, one database holds both: `make demo`, the first test pass.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'agent.sqlite3'}")
}
if env.str("AGENT_DATABASE_URL", default=""):
    DATABASES["agent"] = env.db("AGENT_DATABASE_URL")
    # Nothing is migrated on InfraZen's database (Alembic owns it): the test database is made
    # the same way, without even a django_migrations table.
    DATABASES["default"].setdefault("TEST", {})["MIGRATE"] = False
DATABASE_ROUTERS = ["core.db_router.AgentRouter"]
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.mysql":
        # InfraZen itself talks to MySQL through PyMySQL; it is pure Python, so no compiler or
        # client headers are needed to install the service.
        import pymysql

        pymysql.install_as_MySQLdb()
        _database.setdefault("OPTIONS", {}).update({"charset": "utf8mb4"})
        _database.setdefault("TEST", {}).update(
            {"CHARSET": "utf8mb4", "COLLATION": "utf8mb4_unicode_ci"}
        )
    if _database["ENGINE"] == "django.db.backends.sqlite3":
        # The embedded default serves many chat sockets from one process: WAL lets reads go
        # on while a write commits, and NORMAL syncs at checkpoints rather than on every
        # commit.
        _database.setdefault("OPTIONS", {}).update(
            {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            }
        )
    # 0 under ASGI, as Django's docs advise: sync work runs in a thread per request, and a
    # persistent connection would stay open with each finished thread until it is collected.
    _database.setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=0))
# The one long-lived thread-sensitive thread (chat, async ORM) keeps its connection this
# long (core/db.py); well under MariaDB's wait_timeout.
DB_THREAD_CONN_MAX_AGE_S = env.int("DB_THREAD_CONN_MAX_AGE_S", default=300)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# InfraZen stores naive datetimes: chat tables in UTC, most others in server local time
# (contract §1). Django therefore runs with USE_TZ off and we write each table's convention
# explicitly through infrazen.clock.
USE_TZ = False
TIME_ZONE = env.str("INFRAZEN_TIME_ZONE", default="Europe/Moscow")
LANGUAGE_CODE = "ru"
USE_I18N = True

# --- Channels -----------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
REDIS_MAX_CONNECTIONS = env.int("REDIS_MAX_CONNECTIONS", default=2000)
# redis-py 8 gives up on a read after 5 s by default, the very time channels_redis asks Redis
# to block a receive (BZPOPMIN, 5 s): an idle socket's receive then timed out whenever the
# reply came a moment late. A read waits this long instead; a dead Redis is still noticed.
REDIS_SOCKET_TIMEOUT_S = env.float("REDIS_SOCKET_TIMEOUT_S", default=15.0)
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "chat.layers.ChatRedisChannelLayer",
            "CONFIG": {
                # redis-py's pool holds at most 100 connections by default and fails at once
                # past that; every concurrent group_send takes one.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "max_connections": REDIS_MAX_CONNECTIONS,
                        "socket_timeout": REDIS_SOCKET_TIMEOUT_S,
                        "socket_connect_timeout": 5.0,
                    }
                ],
                "capacity": 1500,
                "expiry": 60,
            },
        }
    }
else:
    # Each socket's queue holds a whole streamed answer: a full queue drops frames silently.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "chat.layers.ChatInMemoryChannelLayer",
            "CONFIG": {"capacity": 1500, "expiry": 60},
        }
    }

# --- LLM ----------------------------------------------------------------------------------
# Providers are presets of the one seam (llm.providers): each an OpenAI-compatible endpoint,
# the key it needs and its default models. A configuration that cannot work stops the start
# (below), so a key that is set never leaves the service silently offline.
OPENROUTER_API_KEY = env.str("OPENROUTER_API_KEY", default="")
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
ANTHROPIC_API_KEY = env.str("ANTHROPIC_API_KEY", default="")
# The key of openai_compatible, and of any provider whose own key is not set.
LLM_API_KEY = env.str("LLM_API_KEY", default="")
# Wins over the provider's own endpoint (a proxy, a test server).
LLM_BASE_URL = env.str("LLM_BASE_URL", default="")
OLLAMA_BASE_URL = env.str("OLLAMA_BASE_URL", default="")
_llm_keys = {
    "OPENROUTER_API_KEY": OPENROUTER_API_KEY,
    "OPENAI_API_KEY": OPENAI_API_KEY,
    "ANTHROPIC_API_KEY": ANTHROPIC_API_KEY,
    "LLM_API_KEY": LLM_API_KEY,
}
_llm_provider_given = env.str("LLM_PROVIDER", default="")
# Unset: the provider whose key is set (llm.providers.provider_default), else offline.
LLM_PROVIDER = llm_providers.provider_normalise(
    value=_llm_provider_given
) or llm_providers.provider_default(keys=_llm_keys, llm_base_url=LLM_BASE_URL)
_llm_preset = llm_providers.PRESETS.get(LLM_PROVIDER, llm_providers.PRESETS["offline"])
LLM_MODEL_TEXT = env.str("LLM_MODEL_TEXT", default=_llm_preset.model_text)
LLM_MODEL_VISION = env.str("LLM_MODEL_VISION", default=_llm_preset.model_vision)
LLM_FALLBACK_MODELS = env.list("LLM_FALLBACK_MODELS", default=[])
# Models that accept images; a vision call is only ever routed to one of these.
LLM_VISION_MODELS = env.list("LLM_VISION_MODELS", default=[]) or [LLM_MODEL_VISION]
LLM_TIMEOUT_S = env.float("LLM_TIMEOUT_S", default=20.0)
# Personal data kept from the model (llm.pii): public IPv4/IPv6 addresses too, unless off.
PII_SCRUB_PUBLIC_IPS = env.bool("PII_SCRUB_PUBLIC_IPS", default=True)
LLM_MAX_CONNECTIONS = env.int("LLM_MAX_CONNECTIONS", default=1000)
LLM_MAX_RETRIES = env.int("LLM_MAX_RETRIES", default=2)
LLM_RETRY_BASE_S = env.float("LLM_RETRY_BASE_S", default=0.5)
LLM_RETRY_MAX_S = env.float("LLM_RETRY_MAX_S", default=8.0)
# USD per million tokens (input, output), used when the provider reports no cost.
LLM_PRICES = env.json(
    "LLM_PRICES_JSON",
    default={
        "openai/gpt-4o-mini": [0.15, 0.60],
        "gpt-4o-mini": [0.15, 0.60],
        "openai/gpt-4o": [2.50, 10.00],
        "gpt-4o": [2.50, 10.00],
        "anthropic/claude-3-5-sonnet-20241022": [3.00, 15.00],
        "anthropic/claude-3.5-sonnet": [3.00, 15.00],
        "claude-haiku-4-5": [1.00, 5.00],
    },
)
_llm_problems = llm_providers.startup_problems(
    provider_given=bool(_llm_provider_given.strip()),
    provider=LLM_PROVIDER,
    keys=_llm_keys,
    llm_base_url=LLM_BASE_URL,
    ollama_base_url=OLLAMA_BASE_URL,
    models=[LLM_MODEL_TEXT, LLM_MODEL_VISION, *LLM_FALLBACK_MODELS],
)
if _llm_problems:
    # In every environment: a dev start on a broken configuration would only look online.
    raise ImproperlyConfigured(
        "The language model configuration cannot work: " + "; ".join(_llm_problems)
    )
# --- Roles and budgets (governance) --------------------------------------------------------
# Per role, per InfraZen user: model tokens and roubles a Moscow day (reset at 00:00
# Europe/Moscow), questions and tool calls a minute. AGENT_ROLE_LIMITS_JSON overrides any of
# them, e.g. {"user": {"rub_per_day": 300}}; per-user overrides are edited in the admin. A role
# not listed here gets the `user` limits.
AGENT_ROLE_LIMITS = {
    "user": {
        "tokens_per_day": 200_000,
        "rub_per_day": 150,
        "questions_per_minute": 10,
        "tool_calls_per_minute": 30,
    },
    "admin": {
        "tokens_per_day": 500_000,
        "rub_per_day": 500,
        "questions_per_minute": 20,
        "tool_calls_per_minute": 60,
    },
    "super_admin": {
        "tokens_per_day": 1_000_000,
        "rub_per_day": 1000,
        "questions_per_minute": 30,
        "tool_calls_per_minute": 120,
    },
    "demouser": {
        "tokens_per_day": 50_000,
        "rub_per_day": 30,
        "questions_per_minute": 5,
        "tool_calls_per_minute": 15,
    },
}
for _role, _overrides in env.json("AGENT_ROLE_LIMITS_JSON", default={}).items():
    AGENT_ROLE_LIMITS.setdefault(_role, dict(AGENT_ROLE_LIMITS["user"])).update(_overrides)
# The model of demo chats; empty: LLM_MODEL_TEXT.
LLM_MODEL_DEMO = env.str("LLM_MODEL_DEMO", default="")
# Roubles the whole service may spend on models a Moscow day; past it every answer comes from
# templates and the offline assistant, and says so, until midnight.
AGENT_DAILY_CAP_RUB = env.float("AGENT_DAILY_CAP_RUB", default=3000.0)
# Providers report USD (OpenRouter per call); budgets are in roubles.
USD_RUB_RATE = env.float("USD_RUB_RATE", default=90.0)
# Days of budget counters the database keeps before today (`manage.py budget_counters_purge`,
# daily); Redis keys expire on their own.
AGENT_BUDGET_COUNTERS_KEEP_DAYS = env.int("AGENT_BUDGET_COUNTERS_KEEP_DAYS", default=35)

# Accepted for InfraZen's old agent env and ignored: knowledge search is BM25 in process.
VECTOR_STORE = vector_store_check(value=env.str("VECTOR_STORE", default=""))

# --- Scenario settings ----------------------------------------------------------------------
AI_TEXT_MODE = env.str("AI_TEXT_MODE", default="auto")  # auto | template | llm
TEXT_ENDPOINT_DEADLINE_S = env.float("TEXT_ENDPOINT_DEADLINE_S", default=25.0)
# Reports (POST /v1/reports/render): answered within this many seconds whatever the model does
# (the InfraZen client waits 20 s). The PDF link is signed for REPORT_LINK_TTL_S and built on
# AGENT_PUBLIC_URL (in production https://<host>/agent); REPORT_LINK_SECRET defaults to the
# Django secret key.
REPORT_DEADLINE_S = env.float("REPORT_DEADLINE_S", default=15.0)
# InfraZen stores the page in a MySQL TEXT column (65,535 bytes); longer pages list fewer rows.
REPORT_HTML_MAX_BYTES = env.int("REPORT_HTML_MAX_BYTES", default=64_000)
REPORT_LINK_TTL_S = env.int("REPORT_LINK_TTL_S", default=7 * 24 * 3600)
REPORT_LINK_SECRET = env.str("REPORT_LINK_SECRET", default="")
AGENT_PUBLIC_URL = env.str("AGENT_PUBLIC_URL", default="http://127.0.0.1:8001")
CHAT_MAX_TOOL_ROUNDS = env.int("CHAT_MAX_TOOL_ROUNDS", default=5)
# A whole chat answer (every model round and tool call) ends within this many seconds.
CHAT_ANSWER_DEADLINE_S = env.float("CHAT_ANSWER_DEADLINE_S", default=90.0)
CHAT_MAX_ANSWER_TOKENS = env.int("CHAT_MAX_ANSWER_TOKENS", default=900)
# On SIGTERM (a deploy) answers still running may finish for this many seconds; the rest are
# stored with what was streamed and a restart marker (chat.running.RunningAnswers.drain).
CHAT_SHUTDOWN_GRACE_S = env.float("CHAT_SHUTDOWN_GRACE_S", default=15.0)
# While an answer streams, what it has streamed so far is stored (marked interrupted) at most
# this often, so a worker killed mid-answer loses no more than that (chat.turns; 0: never).
CHAT_CHECKPOINT_S = env.float("CHAT_CHECKPOINT_S", default=2.0)
# The history sent to the model: the latest messages that fit this many tokens.
CHAT_HISTORY_TOKEN_BUDGET = env.int("CHAT_HISTORY_TOKEN_BUDGET", default=3000)
# Streamed text is sent at most this often per answer, the first piece at once. Ten updates
# a second read as a smooth stream; each frame costs a send per socket (≈ 0.1 ms here).
CHAT_DELTA_FLUSH_MS = env.int("CHAT_DELTA_FLUSH_MS", default=100)
# A session's context pack (KPIs, the recommendation, alternatives) is rebuilt after this long.
# Its figures change with a sync (hourly at the most often), and the model's tools always read
# live rows; a build is ~12 ms of CPU, which at 60 s was rebuilt twice per conversation.
CHAT_CONTEXT_TTL_S = env.float("CHAT_CONTEXT_TTL_S", default=300.0)
# Build it in the background when a socket opens and as it ages (chat.prompt_cache).
CHAT_CONTEXT_PREFETCH = env.bool("CHAT_CONTEXT_PREFETCH", default=True)
# Frames one chat socket may send (chat.limits): a burst, then this many a second. A person
# sends a few a minute; past the limit frames are dropped with a `rate_limited` error.
CHAT_WS_FRAMES_PER_S = env.float("CHAT_WS_FRAMES_PER_S", default=1.0)
CHAT_WS_FRAMES_BURST = env.int("CHAT_WS_FRAMES_BURST", default=20)
# `history` frames (each replays up to 200 messages) per socket: a burst, then per minute.
CHAT_WS_REPLAYS_PER_MINUTE = env.float("CHAT_WS_REPLAYS_PER_MINUTE", default=6.0)
CHAT_WS_REPLAYS_BURST = env.int("CHAT_WS_REPLAYS_BURST", default=3)
# A socket that has this many frames refused within about 10 s is closed with 4429.
CHAT_WS_FLOOD_CLOSE_AFTER = env.int("CHAT_WS_FLOOD_CLOSE_AFTER", default=200)
# Below the chat, in daphne's protocol (ops.daphne.flood): frames a connection may send before
# any reach the application (far looser than the chat's own limit), and how many dropped
# within 10 s close it with 4429. A flood costs the worker its parsing, never a queue.
WS_PROTOCOL_FRAMES_PER_S = env.float("WS_PROTOCOL_FRAMES_PER_S", default=10.0)
WS_PROTOCOL_FRAMES_BURST = env.int("WS_PROTOCOL_FRAMES_BURST", default=40)
WS_PROTOCOL_FLOOD_DROPS = env.int("WS_PROTOCOL_FLOOD_DROPS", default=100)
# Blocks of this size or more are mapped alone and returned when freed (ops.memory); 0: glibc's
# dynamic default, which keeps the memory of past large uploads in the process.
MALLOC_MMAP_THRESHOLD_BYTES = env.int("MALLOC_MMAP_THRESHOLD_BYTES", default=131072)

# --- Screenshots in the chat (POST /v1/chat/upload, chat.images) ----------------------------
_upload_dir = Path(env.str("CHAT_UPLOAD_DIR", default="var/uploads"))
CHAT_UPLOAD_DIR = _upload_dir if _upload_dir.is_absolute() else BASE_DIR / _upload_dir
# An image can be referenced in the chat for this long after its upload, then it is purged.
CHAT_IMAGE_TTL_S = env.int("CHAT_IMAGE_TTL_S", default=3600)
# The stock InfraZen client uploads without a token; an anonymous image belongs to the first
# user whose chat message refers to it. False: a chat token is required to upload.
CHAT_UPLOAD_ANONYMOUS = env.bool("CHAT_UPLOAD_ANONYMOUS", default=True)
CHAT_UPLOAD_MAX_MB = env.int("CHAT_UPLOAD_MAX_MB", default=5)
# A 5K screen (5120 × 2880) or a long page screenshot fits; a 25 MP bomb does not.
CHAT_UPLOAD_MAX_PIXELS = env.int("CHAT_UPLOAD_MAX_PIXELS", default=16_777_216)
CHAT_UPLOAD_RATE_PER_MINUTE = env.int("CHAT_UPLOAD_RATE_PER_MINUTE", default=10)
# Upload attempts per client address and per user a minute, refused ones included.
CHAT_UPLOAD_ATTEMPTS_PER_MINUTE = env.int("CHAT_UPLOAD_ATTEMPTS_PER_MINUTE", default=20)
# Decodes at once per process, how long an upload waits for one, and the memory one decode may
# take (pixels × bytes per pixel, plus the RGB(A) copy), from the header before any decoding.
CHAT_UPLOAD_DECODE_CONCURRENCY = env.int("CHAT_UPLOAD_DECODE_CONCURRENCY", default=1)
CHAT_UPLOAD_DECODE_WAIT_S = env.float("CHAT_UPLOAD_DECODE_WAIT_S", default=5.0)
CHAT_UPLOAD_DECODE_MAX_MB = env.int("CHAT_UPLOAD_DECODE_MAX_MB", default=120)
CHAT_UPLOAD_MAX_TOTAL_MB = env.int("CHAT_UPLOAD_MAX_TOTAL_MB", default=512)
# The header the proxy sets to the client's address (e.g. X-Real-IP), for per-address limits
# (uploads, admin logins). Empty: REMOTE_ADDR. The older upload-only name is still read.
CLIENT_IP_HEADER = env.str(
    "CLIENT_IP_HEADER", default=env.str("CHAT_UPLOAD_CLIENT_IP_HEADER", default="")
)
# Admin sign-in: failed attempts allowed per username and per address in the window, after
# which even the right password waits for the window to pass (ops.admin_login).
ADMIN_LOGIN_FAILURES_PER_USERNAME = env.int("ADMIN_LOGIN_FAILURES_PER_USERNAME", default=5)
ADMIN_LOGIN_FAILURES_PER_ADDRESS = env.int("ADMIN_LOGIN_FAILURES_PER_ADDRESS", default=20)
ADMIN_LOGIN_WINDOW_S = env.int("ADMIN_LOGIN_WINDOW_S", default=900)
# What is stored and sent to the vision model: longest side and bytes after re-encoding.
CHAT_IMAGE_MAX_SIDE = env.int("CHAT_IMAGE_MAX_SIDE", default=2048)
CHAT_IMAGE_MAX_BYTES = env.int("CHAT_IMAGE_MAX_BYTES", default=1_048_576)
CHAT_IMAGE_MAX_PER_MESSAGE = env.int("CHAT_IMAGE_MAX_PER_MESSAGE", default=4)

# --- Django plumbing ------------------------------------------------------------------------
INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "channels",
    "infrazen",
    "demo_data",
    "llm",
    "ops",
    "governance",
    "recommendations_ai",
    "chat",
    "tools",
    "reports",
    "knowledge",
    "console",
]

MIDDLEWARE = [
    "ops.metrics_http.HttpMetricsMiddleware",
    "ops.logging.CorrelationIdMiddleware",
    # A Host outside ALLOWED_HOSTS gets a JSON 400 here, the fast path's requests too.
    "ops.security.AllowedHostsMiddleware",
    # The REST endpoints the InfraZen app calls stop here: of the middleware below they get
    # the security ones' redirect and headers only (ops.security.ResponseSecurity).
    "ops.service_api.ServiceApiMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "ops.security.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# InfraZen's real index names (e.g. ix_chat_messages_session_created) exceed Django's
# 30-character rule, which exists only for Oracle.
SILENCED_SYSTEM_CHECKS = ["models.E034"]
# HSTS for subdomains and preloading are left to the domain's owner (see above): decided,
# not forgotten, so `check --deploy` does not ask again.
if not SECURE_HSTS_INCLUDE_SUBDOMAINS:
    SILENCED_SYSTEM_CHECKS.append("security.W005")
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS.append("security.W021")

ROOT_URLCONF = "agentsite.urls"
ASGI_APPLICATION = "agentsite.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# Relative: Django puts the script name in front (/agent/static/ behind nginx).
STATIC_URL = "static/"
# The project's own static files, when it has any (the admin's come with Django).
STATICFILES_DIRS = [d for d in [BASE_DIR / "static"] if d.is_dir()]
# Where `collectstatic` puts them: nginx serves /agent/static/ from here in production.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "var" / "staticfiles")))
# daphne does not serve static files; in dev the ASGI app does it (see asgi.py), in prod nginx.
SERVE_STATIC = env.bool("SERVE_STATIC", default=not _prod)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["ops.parsers.SafeJSONParser"],
    "EXCEPTION_HANDLER": "ops.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}

# The OpenAPI document (/v1/schema) and its browsable docs (/v1/docs, Swagger UI from the
# sidecar package: nothing loaded from another origin). Open in development; in production
# only to staff signed in to the admin.
SPECTACULAR_SETTINGS = {
    "TITLE": "InfraZen Agent Service",
    "DESCRIPTION": "Recommendation texts, reports and the chat's REST endpoints.",
    "VERSION": VERSION,
    "OAS_VERSION": "3.1.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_AUTHENTICATION": ["rest_framework.authentication.SessionAuthentication"],
    "SERVE_PERMISSIONS": ["ops.openapi.DocsAccess"],
    "PREPROCESSING_HOOKS": ["ops.openapi.no_discovered_endpoints"],
    "POSTPROCESSING_HOOKS": ["ops.openapi.document_paths"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
}

LOG_LEVEL = log_level_normalise(value=env.str("LOG_LEVEL", default="INFO"))
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "ops.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        "httpx": {"level": "WARNING"},
        # openai 3.x talks through httpx2, which logs every request at INFO.
        "httpx2": {"level": "WARNING"},
        # Instructor logs failed validations with the model's text; LLMCall records them.
        "instructor": {"level": "CRITICAL"},
        "openai": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        # Its access log, one JSON line per request or socket event (ops.daphne.access_log);
        # ACCESS_LOG_LEVEL=WARNING turns it off.
        "daphne.access": {"level": env.str("ACCESS_LOG_LEVEL", default="INFO")},
        # WeasyPrint logs every layout step of a PDF at INFO, and at WARNING each SVG
        # presentation property of the charts its CSS parser does not know (it draws them).
        "weasyprint": {"level": "ERROR"},
        "fontTools": {"level": "WARNING"},
        "bm25s": {"level": "WARNING"},
    },
}

# --- Refuse to run production on development defaults ----------------------------------
if _prod:
    _problems = production_problems(
        debug=DEBUG,
        secret_key=SECRET_KEY,
        jwt_secret=AGENT_SERVICE_JWT_SECRET,
        jwt_previous_secrets=AGENT_SERVICE_JWT_PREVIOUS_SECRETS,
        service_token=AGENT_SERVICE_TOKEN,
        known_dev_secrets=(DEV_JWT_SECRET, DEV_DJANGO_SECRET, "dev-secret-change-in-production"),
        own_database_missing=DATABASES["default"]["ENGINE"] == "django.db.backends.mysql"
        and "agent" not in DATABASES,
    )
    if _problems:
        raise ImproperlyConfigured(
            "AGENT_ENV=prod refuses to start on development defaults: " + "; ".join(_problems)
        )
