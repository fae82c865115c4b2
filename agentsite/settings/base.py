"""The ground every section stands on: the environment, the project root, dev or prod.

Everything comes from the environment (django-environ); `.env.example` documents every key.
"""

from __future__ import annotations

import sys
from pathlib import Path

import environ

from ops.settings_guard import environment_normalise

BASE_DIR = Path(__file__).resolve().parents[2]
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
