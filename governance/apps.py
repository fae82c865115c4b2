from __future__ import annotations

from django.apps import AppConfig


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = "Лимиты и расходы"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from core import metrics
        from governance.models import AgentUserLimits
        from governance.policy import overrides_forget
        from governance.spend_metrics import spend_gauges_set

        metrics.scrape_hook_add(spend_gauges_set)
        for signal in (post_save, post_delete):
            signal.connect(overrides_forget, sender=AgentUserLimits, dispatch_uid="overrides")
