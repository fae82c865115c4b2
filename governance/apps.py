from __future__ import annotations

from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Лимиты и расходы"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core import metrics
        from governance.spend_metrics import spend_gauges_set

        metrics.scrape_hook_add(spend_gauges_set)
