from __future__ import annotations

from django.apps import AppConfig


class DemoDataConfig(AppConfig):
    name = "demo_data"
    verbose_name = "Demo data"
