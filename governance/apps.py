from __future__ import annotations

from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from governance.spend_metrics import spend_gauges_set
        from ops import metrics

        metrics.scrape_hook_add(spend_gauges_set)
