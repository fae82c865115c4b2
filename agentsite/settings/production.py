"""Refuses to run production on development defaults, once every section is read."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from ops.settings_guard import production_problems

from .base import DEBUG, DEV_DJANGO_SECRET, DEV_JWT_SECRET, SECRET_KEY, _prod
from .databases import DATABASES
from .security import (
    AGENT_SERVICE_JWT_PREVIOUS_SECRETS,
    AGENT_SERVICE_JWT_SECRET,
    AGENT_SERVICE_TOKEN,
)

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
