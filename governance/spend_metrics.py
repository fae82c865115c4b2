"""The service's spend today and its daily cap as gauges, read from the shared counter at each
scrape (deploy/prometheus/alerts.yml: InfrazenAgentDailyCapNear)."""

from __future__ import annotations

from django.conf import settings

from core import metrics
from governance.budgets import service_spend_today_rub


def spend_gauges_set() -> None:
    metrics.spend_today_rub.set(float(service_spend_today_rub()))
    metrics.daily_cap_rub.set(float(settings.AGENT_DAILY_CAP_RUB))
