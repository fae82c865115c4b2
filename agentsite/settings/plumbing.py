"""Django plumbing: apps, middleware, templates, static files, DRF and the OpenAPI document."""

from __future__ import annotations

from pathlib import Path

from .base import BASE_DIR, VERSION, _prod, env
from .security import SECURE_HSTS_INCLUDE_SUBDOMAINS, SECURE_HSTS_PRELOAD

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
