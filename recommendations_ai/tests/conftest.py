from __future__ import annotations

import pytest

from conftest import make_recommendation, make_resource
from governance.tests.wiring import budget_settings  # noqa: F401 (fixtures)
from infrazen.models import CloudProvider

OFFICE_INSIGHTS = (
    "{'recommended_provider': 'selectel', 'recommended_region': 'ru-6a', "
    "'recommended_sku': 'v4-r8-d100-network_ssd:ru-6a', 'recommended_price_id': 4410, "
    "'specs_unknown': False, 'top2': [{'provider': 'selectel', 'region': 'ru-6a', "
    "'sku': 'v4-r8-d100-network_ssd:ru-6a', 'monthly': 5349.44, 'score': 0.95, "
    "'price_id': 4410}]}"
)
OFFICE_METRICS = "{'similarity': 0.95, 'target_monthly': 5349.44, 'current_monthly': 5610.3}"
OFFICE_CONFIG = '{"vcpus": 4, "ram_gb": 8.0, "total_storage_gb": 92.0}'

GOOD_SHORT = (
    "<span class='provider-name'>selectel</span> предлагает аналог за "
    "<strong>5,349 ₽/мес</strong> вместо текущих <strong>5,610 ₽/мес</strong>"
)
GOOD_DETAILED = (
    "Экономия <strong>261 ₽/мес</strong> при переносе сервера office в "
    "<span class='provider-name'>selectel</span>. Схожая конфигурация (4 CPU, 8 GB RAM, "
    "92 GB HD) там стоит <strong>5,349 ₽/мес</strong>, это примерно на 5% дешевле."
)


@pytest.fixture
def office(alice):
    """The product description's price example, as the rule engine stores it."""
    return office_make(CloudProvider.objects.get(user=alice, provider_type="yandex"))


def office_make(provider: CloudProvider):
    """The `office` fixture's server and offer, in any user's connection."""
    resource = make_resource(
        provider, "office", daily_cost=187.01, effective_cost=187.01, provider_config=OFFICE_CONFIG
    )
    return make_recommendation(
        resource,
        recommendation_type="price_compare_cross_provider",
        source="cost.price_check.cross_provider",
        estimated_monthly_savings=260.86,
        target_provider="selectel",
        target_sku="v4-r8-d100-network_ssd:ru-6a",
        target_region="ru-6a",
        insights=OFFICE_INSIGHTS,
        metrics_snapshot=OFFICE_METRICS,
    )


@pytest.fixture
def service_client(client, settings):
    settings.AGENT_SERVICE_TOKEN = "svc-token"
    client.defaults["HTTP_AUTHORIZATION"] = "Bearer svc-token"
    return client
