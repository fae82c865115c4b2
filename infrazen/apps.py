from __future__ import annotations

from django.apps import AppConfig


class InfrazenConfig(AppConfig):
    name = "infrazen"
    verbose_name = "InfraZen"
    default_auto_field = "django.db.models.BigAutoField"
