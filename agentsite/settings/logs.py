"""JSON logs, and the level of each noisy library."""

from __future__ import annotations

from ops.settings_guard import log_level_normalise

from .base import env

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
