from __future__ import annotations

import json
import re

import pytest

from infrazen.values import Specs
from recommendations_ai.facts import (
    CleanupFacts,
    PriceCompareFacts,
    RecommendationFacts,
    StoppedFacts,
    facts_build,
    type_noun,
)
from recommendations_ai.sanitize import html_sanitize, visible_text
from recommendations_ai.templates_ru import texts_render
from recommendations_ai.tests.test_facts import (
    BEGET_VPS_CONFIG,
    IP_INSIGHTS,
    IP_METRICS,
    PRICE_INSIGHTS,
    PRICE_METRICS,
    RIGHTSIZING_INSIGHTS,
    RIGHTSIZING_METRICS,
    SELECTEL_SERVER_CONFIG,
    SNAPSHOT_INSIGHTS,
    SNAPSHOT_METRICS,
    STOPPED_INSIGHTS,
    STOPPED_METRICS,
    YANDEX_SERVER_CONFIG,
    build_rec,
)

SHORT_MAX = 110
DETAILED_MAX = 400
STRONG = re.compile(r"<strong>([^<]*)</strong>")
AMOUNT = re.compile(r"^-?\d{1,3}(,\d{3})* ₽(/(мес|день|год))?$")
PROVIDER_SPAN = re.compile(r"<span class='provider-name'>([^<]*)</span>")


def texts(facts: RecommendationFacts) -> tuple[str, str]:
    rendered = texts_render(facts=facts)
    return visible_text(rendered.short_html), visible_text(rendered.detailed_html)


def texts_for(rec_type: str, **fields) -> tuple[str, str]:
    return texts(facts_build(recommendation=build_rec(rec_type, **fields)))


# --- the product description's four examples --------------------------------------------------


def test_the_price_example_comes_out_exactly():
    facts = PriceCompareFacts(
        recommendation_id=1,
        recommendation_type="price_compare_cross_provider",
        resource_name="office",
        resource_type="server",
        type_noun=type_noun("server"),
        current_monthly=5610.3,
        target_monthly=5349.44,
        savings_monthly=260.86,
        specs=Specs(vcpus=4, ram_gb=8.0, storage_gb=92.0),
        target_provider="selectel",
    )
    assert texts(facts) == (
        "selectel предлагает аналог за 5,349 ₽/мес вместо текущих 5,610 ₽/мес",
        "Экономия 261 ₽/мес при переносе сервера office в selectel. "
        "Схожая конфигурация (4 CPU, 8.0 GB RAM, 92.0 GB HD) там стоит 5,349 ₽/мес",
    )


def test_the_price_example_html_marks_amounts_and_the_provider():
    facts = PriceCompareFacts(
        recommendation_id=1,
        recommendation_type="price_compare_cross_provider",
        resource_name="office",
        type_noun=type_noun("server"),
        current_monthly=5610.3,
        target_monthly=5349.44,
        savings_monthly=260.86,
        target_provider="selectel",
    )
    assert texts_render(facts=facts).short_html == (
        "<span class='provider-name'>selectel</span> предлагает аналог за "
        "<strong>5,349 ₽/мес</strong> вместо текущих <strong>5,610 ₽/мес</strong>"
    )


def test_the_snapshot_example_comes_out_exactly():
    # The doc's 14,119 came from a model, not from 1708.5 × 248 / 30: the renderer shows
    # whatever the facts say.
    facts = CleanupFacts(
        recommendation_id=1,
        recommendation_type="cleanup_old_snapshot",
        cleanup_kind="snapshot",
        resource_name="gitdisk-1740816592565",
        resource_type="snapshot",
        type_noun=type_noun("snapshot"),
        savings_monthly=1708.5,
        age_days=248,
        size_gb=507.2,
        wasted_rub=14119,
    )
    assert texts(facts) == (
        "Экономия 1,709 ₽/мес при удалении неиспользуемого снапшота",
        "Экономия 1,709 ₽/мес при удалении снапшота gitdisk-1740816592565. "
        "Снапшот не используется уже 248 дней (размер 507 GB), за это время "
        "на него уже было потрачено 14,119 ₽.",
    )


IP_EXAMPLE = (
    "Экономия 241 ₽/мес при удалении неиспользуемого IP-адреса",
    "Экономия 241 ₽/мес при удалении IP-адреса gitlab_new. "
    "IP не используется уже 547 дней, за это время на него уже было потрачено 4,394 ₽.",
)
STOPPED_EXAMPLE = (
    "Экономия 1,289 ₽/мес при удалении неиспользуемого сервера",
    "Экономия 1,289 ₽/мес при удалении остановленного сервера punch-dev-monitoring-1. "
    "Сервер находится в статусе STOPPED и продолжает потреблять средства на хранение.",
)


def test_the_ip_example_comes_out_exactly_from_its_row():
    assert (
        texts_for(
            "cleanup_unused_ip",
            resource_type="reserved_ip",
            name="gitlab_new",
            estimated_monthly_savings=241.0,
            insights="{'action': 'release_ip', 'age_days': 547, 'ip_address': '158.160.85.164'}",
        )
        == IP_EXAMPLE
    )


def test_the_stopped_server_example_comes_out_exactly_from_its_row():
    assert (
        texts_for(
            "cleanup_stopped",
            name="punch-dev-monitoring-1",
            status="STOPPED",
            estimated_monthly_savings=1289.0,
            metrics_snapshot=STOPPED_METRICS,
            insights=STOPPED_INSIGHTS,
        )
        == STOPPED_EXAMPLE
    )


def test_the_price_example_comes_out_exactly_from_a_selectel_row():
    assert texts_for(
        "price_compare_cross_provider",
        provider_type="yandex",
        config=SELECTEL_SERVER_CONFIG,  # ram_mb 8192 → 8.0 GB
        target_provider="selectel",
        estimated_monthly_savings=260.86,
        metrics_snapshot="{'target_monthly': 5349.44, 'current_monthly': 5610.3}",
    ) == (
        "selectel предлагает аналог за 5,349 ₽/мес вместо текущих 5,610 ₽/мес",
        "Экономия 261 ₽/мес при переносе сервера office в selectel. "
        "Схожая конфигурация (4 CPU, 8.0 GB RAM, 92.0 GB HD) там стоит 5,349 ₽/мес",
    )


# --- every family, every edge: invariants ------------------------------------------------------

CASES = {
    "price, yandex rule row": dict(
        rec_type="price_compare_cross_provider",
        name="punch-dev-backend-1",
        config=YANDEX_SERVER_CONFIG,
        target_provider="beget",
        estimated_monthly_savings=6809.4,
        metrics_snapshot=PRICE_METRICS,
        insights=PRICE_INSIGHTS,
    ),
    "price, no specs": dict(
        rec_type="price_compare_cross_provider",
        target_provider="selectel",
        metrics_snapshot="{'target_monthly': 5000.0, 'current_monthly': 6000.0}",
    ),
    "price, no target price": dict(
        rec_type="price_compare_cross_provider", target_provider="selectel"
    ),
    "price, nothing known": dict(
        rec_type="price_compare_cross_provider",
        estimated_monthly_savings=None,
        daily_cost=None,
        effective_cost=None,
    ),
    "price, no provider": dict(
        rec_type="price_compare_cross_provider",
        metrics_snapshot="{'target_monthly': 5000.0, 'current_monthly': 6000.0}",
    ),
    "price, zero savings": dict(
        rec_type="price_compare_cross_provider",
        target_provider="selectel",
        estimated_monthly_savings=0.0,
        metrics_snapshot="{'target_monthly': 6000.0, 'current_monthly': 6000.0}",
    ),
    "price, beget vps": dict(
        rec_type="price_compare_cross_provider",
        provider_type="beget",
        config=BEGET_VPS_CONFIG,
        target_provider="selectel",
        metrics_snapshot="{'target_monthly': 900.0}",
    ),
    "price, same provider": dict(
        rec_type="price_compare_same_provider",
        config=YANDEX_SERVER_CONFIG,
        target_provider="yandex",
        metrics_snapshot="{'target_monthly': 2000.0, 'current_monthly': 3000.0}",
    ),
    "price, same provider, no target": dict(
        rec_type="price_compare_same_provider", estimated_monthly_savings=None
    ),
    "cluster, kubernetes": dict(
        rec_type="price_compare_cross_provider",
        source="cost.price_check.kubernetes_cluster",
        resource_type="kubernetes-cluster",
        name="itlkube",
        target_provider="selectel",
        estimated_monthly_savings=2068.95,
        metrics_snapshot="{'target_monthly': 9931.05, 'current_monthly': 12000.0}",
        insights="{'total_nodes': 3, 'total_vcpus': 12, 'total_ram_gb': 48}",
    ),
    "cluster, postgresql": dict(
        rec_type="price_compare_cross_provider",
        source="cost.price_check.postgresql_cluster",
        resource_type="postgresql-cluster",
        name="pg-itl-prod",
        target_provider="selectel",
        estimated_monthly_savings=1900.0,
        metrics_snapshot="{'target_monthly': 6000.0, 'current_monthly': 7900.0}",
        insights="{'recommended_config': '2c/8GB/40GB SSD', 'total_nodes': 3}",
    ),
    "cluster, mysql": dict(
        rec_type="price_compare_cross_provider",
        source="cost.price_check.mysql_cluster",
        resource_type="mysql-cluster",
        target_provider="selectel",
        metrics_snapshot="{'target_monthly': 3000.0, 'current_monthly': 4000.0}",
        insights="{'recommended_config': '2c/4GB/20GB'}",
    ),
    "cluster, kafka": dict(
        rec_type="price_compare_cross_provider",
        source="cost.price_check.kafka_cluster",
        resource_type="kafka-cluster",
        target_provider="selectel",
        metrics_snapshot="{'target_monthly': 3000.0, 'current_monthly': 4000.0}",
        insights="{'total_brokers': 3, 'recommended_config': '2c/8GB/40GB SSD'}",
    ),
    "cluster, redis, bare": dict(
        rec_type="price_compare_cross_provider",
        source="cost.price_check.redis_cluster",
        resource_type="redis-cluster",
        target_provider="selectel",
        metrics_snapshot="{'target_monthly': 3000.0}",
    ),
    "rightsizing_cpu": dict(
        rec_type="rightsizing_cpu",
        estimated_monthly_savings=1450.0,
        metrics_snapshot=RIGHTSIZING_METRICS,
        insights=RIGHTSIZING_INSIGHTS,
    ),
    "rightsizing_cpu, idle vm": dict(
        rec_type="rightsizing_cpu",
        resource_type="vm",
        name="ci-runner-2",
        estimated_monthly_savings=820.5,
        metrics_snapshot="{'cpu_avg_percent': 0.0, 'current_vcpu': 2}",
        insights="{'current_monthly_cost': 2290.0, 'suggested_reduction': 0.5}",
    ),
    "rightsizing_cpu, no data": dict(
        rec_type="rightsizing_cpu", daily_cost=None, effective_cost=None
    ),
    "rightsizing_cpu, no savings": dict(
        rec_type="rightsizing_cpu",
        estimated_monthly_savings=None,
        metrics_snapshot=RIGHTSIZING_METRICS,
    ),
    "rightsizing, seed json": dict(
        rec_type="rightsizing",
        metrics_snapshot=json.dumps({"cpu_avg": 0.06, "cpu_p95": 0.18}),
        insights=json.dumps({"explanation": "Сервер почти простаивает"}),
    ),
    "snapshot": dict(
        rec_type="cleanup_old_snapshot",
        resource_type="snapshot",
        name="gitdisk-1740816592565",
        estimated_monthly_savings=1708.5,
        metrics_snapshot=SNAPSHOT_METRICS,
        insights=SNAPSHOT_INSIGHTS,
    ),
    "ip": dict(
        rec_type="cleanup_unused_ip",
        resource_type="reserved_ip",
        name="Reserved IP: 158.160.107.171",
        estimated_monthly_savings=241.2,
        metrics_snapshot=IP_METRICS,
        insights=IP_INSIGHTS,
    ),
    "volume": dict(
        rec_type="cleanup_unused_volume",
        resource_type="volume",
        config={"size_gb": 9.9},
        insights="{'age_days': 45}",
    ),
    "snapshot, young": dict(
        rec_type="cleanup_old_snapshot", resource_type="snapshot", insights="{'age_days': 12}"
    ),
    "snapshot, no savings": dict(
        rec_type="cleanup_old_snapshot",
        resource_type="snapshot",
        estimated_monthly_savings=0.0,
        insights=SNAPSHOT_INSIGHTS,
    ),
    "cleanup, seed": dict(rec_type="cleanup", resource_type="backup", name="old-backup"),
    "cleanup, seed, no savings": dict(
        rec_type="cleanup", resource_type="backup", estimated_monthly_savings=None
    ),
    "stopped": dict(
        rec_type="cleanup_stopped",
        status="STOPPED",
        estimated_monthly_savings=1289.0,
        metrics_snapshot=STOPPED_METRICS,
    ),
    "stopped vm, beget status": dict(
        rec_type="cleanup_stopped", resource_type="vm", provider_type="beget", status="stopped"
    ),
    "stopped, no status, no savings": dict(
        rec_type="cleanup_stopped", status="", estimated_monthly_savings=None
    ),
    "shutdown": dict(rec_type="shutdown", insights=json.dumps({"explanation": "ночью"})),
    "migrate": dict(rec_type="migrate", target_provider="beget"),
    "migrate, no savings": dict(rec_type="migrate", estimated_monthly_savings=0.0),
    "commitment": dict(rec_type="commitment", estimated_monthly_savings=None),
    "unknown type": dict(rec_type="brand_new_rule", resource_type="load_balancer", name="lb-1"),
    "unknown type and resource": dict(
        rec_type="mystery", resource_type="", name="", estimated_monthly_savings=None
    ),
    "huge amounts": dict(
        rec_type="price_compare_cross_provider",
        target_provider="selectel",
        estimated_monthly_savings=1234567.4,
        metrics_snapshot="{'target_monthly': 8765432.6, 'current_monthly': 9999999.99}",
    ),
    "long and hostile name": dict(
        rec_type="cleanup_old_snapshot",
        resource_type="snapshot",
        name="<img src=x onerror=alert(1)> " + "very-long-snapshot-name-" * 10,
        insights="{'age_days': 400, 'size_gb': 1024.0}",
    ),
}


@pytest.fixture(params=list(CASES), ids=list(CASES))
def case(request):
    fields = dict(CASES[request.param])
    rec_type = fields.pop("rec_type")
    facts = facts_build(recommendation=build_rec(rec_type, **fields))
    return facts, texts_render(facts=facts)


def test_no_text_shows_a_missing_value(case):
    _, rendered = case
    for html in (rendered.short_html, rendered.detailed_html):
        text = visible_text(html)
        assert text
        assert not re.search(r"\b(None|nan|NaN|null|undefined)\b", text), text


def test_no_text_invents_a_zero_amount(case):
    _, rendered = case
    for html in (rendered.short_html, rendered.detailed_html):
        assert not re.search(r"(?<![\d,])0 ₽", visible_text(html)), html


def test_every_amount_is_inside_strong(case):
    _, rendered = case
    for html in (rendered.short_html, rendered.detailed_html):
        assert "₽" not in STRONG.sub("", html), html
        for amount in STRONG.findall(html):
            assert AMOUNT.match(amount), amount


def test_every_provider_name_is_inside_the_provider_span(case):
    facts, rendered = case
    for html in (rendered.short_html, rendered.detailed_html):
        for name in PROVIDER_SPAN.findall(html):
            assert name == facts.target_provider
        outside = PROVIDER_SPAN.sub("", html)
        if facts.target_provider:
            assert not re.search(rf"\b{facts.target_provider}\b", outside), html


def test_every_template_output_is_a_fixed_point_of_the_sanitiser(case):
    _, rendered = case
    assert html_sanitize(rendered.short_html) == rendered.short_html
    assert html_sanitize(rendered.detailed_html) == rendered.detailed_html


def test_texts_stay_within_their_length_budgets(case):
    _, rendered = case
    assert len(visible_text(rendered.short_html)) <= SHORT_MAX
    assert len(visible_text(rendered.detailed_html)) <= DETAILED_MAX


def test_texts_are_tidy_prose(case):
    _, rendered = case
    for html in (rendered.short_html, rendered.detailed_html):
        text = visible_text(html)
        assert "  " not in html
        assert not re.search(r" [.,:)]", text), text
        assert "{" not in text and "}" not in text
        assert "Удаление полностью исключит" not in text
        assert "Ресурс не используется" not in text


def test_only_the_price_family_leaves_the_last_sentence_without_a_period(case):
    facts, rendered = case
    if facts.family != "price":
        assert visible_text(rendered.detailed_html).endswith(".")


# --- wording by type ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "phrase"), [(21, "21 день"), (22, "22 дня"), (25, "25 дней"), (30, "30 дней")]
)
def test_ages_agree_and_a_month_or_less_says_nothing_about_money_spent(age, phrase):
    _, detailed = texts_for(
        "cleanup_old_snapshot", resource_type="snapshot", insights=f"{{'age_days': {age}}}"
    )
    assert f"не используется уже {phrase}." in detailed
    assert "потрачено" not in detailed


def test_after_a_month_the_text_mentions_money_already_spent():
    _, detailed = texts_for(
        "cleanup_old_snapshot",
        resource_type="snapshot",
        estimated_monthly_savings=300.0,
        insights="{'age_days': 31}",
    )
    assert "не используется уже 31 день, за это время на него уже было потрачено 310 ₽." in (
        detailed
    )


def test_python_repr_and_json_insights_give_the_same_text():
    as_repr = texts_for(
        "cleanup_old_snapshot",
        resource_type="snapshot",
        metrics_snapshot=SNAPSHOT_METRICS,
        insights=SNAPSHOT_INSIGHTS,
    )
    as_json = texts_for(
        "cleanup_old_snapshot",
        resource_type="snapshot",
        metrics_snapshot=json.dumps(
            {"age_days": 248, "size_gb": 507.2, "current_monthly_cost": 1708.5}
        ),
        insights=json.dumps({"action": "delete_snapshot", "age_days": 248, "size_gb": 507.2}),
    )
    assert as_repr == as_json


def test_a_volume_is_called_a_disk_and_a_small_size_keeps_its_decimal():
    short, detailed = texts_for(
        "cleanup_unused_volume",
        resource_type="volume",
        name="data-1",
        estimated_monthly_savings=120.0,
        config={"size_gb": 9.9},
        insights="{'age_days': 45}",
    )
    assert short == "Экономия 120 ₽/мес при удалении неиспользуемого диска"
    assert detailed == (
        "Экономия 120 ₽/мес при удалении диска data-1. Диск не используется уже 45 дней "
        "(размер 9.9 GB), за это время на него уже было потрачено 180 ₽."
    )


def test_a_seed_disk_unattached_for_months_tells_its_age_and_money_spent():
    short, detailed = texts_for(
        "cleanup",
        resource_type="volume",
        name="backup-disk",
        estimated_monthly_savings=1600.0,
        metrics_snapshot=json.dumps({"last_attached_days": 214, "size_gb": 500}),
    )
    assert short == "Экономия 1,600 ₽/мес при удалении неиспользуемого диска"
    assert detailed == (
        "Экономия 1,600 ₽/мес при удалении диска backup-disk. Диск не используется уже "
        "214 дней (размер 500 GB), за это время на него уже было потрачено 11,413 ₽."
    )


@pytest.mark.parametrize(
    ("resource_type", "size", "ending"),
    [
        (
            "snapshot",
            None,
            "За год это 9,504 ₽. Перед удалением убедитесь, что снапшот не нужен для "
            "восстановления: удалённый снапшот не вернуть.",
        ),
        (
            "volume",
            120,
            "Размер диска — 120 GB. За год это 9,504 ₽. Если данные на диске ещё нужны, "
            "перед удалением сделайте его снапшот.",
        ),
        (
            "reserved_ip",
            None,
            "За год это 9,504 ₽. Перед освобождением проверьте, что адрес не указан в "
            "DNS-записях и настройках клиентов: после удаления он достанется другому владельцу.",
        ),
        (
            "backup",
            None,
            "За год это 9,504 ₽. Перед удалением убедитесь, что резервная копия "
            "действительно не используется: удаление необратимо.",
        ),
    ],
)
def test_without_an_age_a_cleanup_text_gives_the_years_figure_and_the_step_before(
    resource_type, size, ending
):
    metrics = {"size_gb": size} if size else {}
    _, detailed = texts_for(
        "cleanup",
        resource_type=resource_type,
        name="old-one",
        estimated_monthly_savings=792.0,
        metrics_snapshot=json.dumps(metrics),
    )
    assert detailed.startswith("Экономия 792 ₽/мес при удалении ")
    assert detailed.endswith(ending)
    assert 80 <= len(detailed) <= 300


def test_without_savings_or_an_age_a_cleanup_text_still_says_what_to_check():
    _, detailed = texts_for(
        "cleanup_old_snapshot", resource_type="snapshot", name="s-1", estimated_monthly_savings=0.0
    )
    assert detailed == (
        "Неиспользуемый снапшот s-1 можно удалить. Перед удалением убедитесь, что снапшот не "
        "нужен для восстановления: удалённый снапшот не вернуть."
    )


def test_a_stopped_server_never_gets_an_age_or_money_spent():
    facts = StoppedFacts(
        recommendation_id=1,
        recommendation_type="cleanup_stopped",
        resource_name="old-vps",
        type_noun=type_noun("server"),
        savings_monthly=310.2,
        status="STOPPED",
        age_days=400,
        wasted_rub=4136,
    )
    _, detailed = texts(facts)
    assert "дней" not in detailed
    assert "потрачено" not in detailed
    assert detailed.startswith("Экономия 310 ₽/мес при удалении остановленного сервера old-vps.")


def test_a_stopped_vm_agrees_in_the_feminine():
    short, detailed = texts_for(
        "cleanup_stopped",
        resource_type="vm",
        name="vm-1",
        status="STOPPED",
        estimated_monthly_savings=500.0,
    )
    assert short == "Экономия 500 ₽/мес при удалении неиспользуемой виртуальной машины"
    assert detailed == (
        "Экономия 500 ₽/мес при удалении остановленной виртуальной машины vm-1. "
        "Виртуальная машина находится в статусе STOPPED и продолжает потреблять средства "
        "на хранение."
    )


def test_a_price_row_without_specs_phrases_the_configuration_naturally():
    _, detailed = texts_for(
        "price_compare_cross_provider",
        target_provider="selectel",
        estimated_monthly_savings=1000.0,
        metrics_snapshot="{'target_monthly': 5000.0, 'current_monthly': 6000.0}",
    )
    assert detailed == (
        "Экономия 1,000 ₽/мес при переносе сервера office в selectel. "
        "Сопоставимая конфигурация там стоит 5,000 ₽/мес"
    )


def test_beget_vps_specs_appear_in_the_text():
    _, detailed = texts_for(
        "price_compare_cross_provider",
        provider_type="beget",
        config=BEGET_VPS_CONFIG,
        target_provider="selectel",
        metrics_snapshot="{'target_monthly': 900.0}",
    )
    assert "Схожая конфигурация (2 CPU, 4.0 GB RAM, 40.0 GB HD) там стоит 900 ₽/мес" in detailed


def test_an_ssd_disk_is_called_ssd():
    _, detailed = texts_for(
        "price_compare_cross_provider",
        config={"vcpus": 2, "ram_gb": 4, "disk_gb": 50, "disk_type": "network-ssd"},
        target_provider="selectel",
        metrics_snapshot="{'target_monthly': 900.0}",
    )
    assert "(2 CPU, 4.0 GB RAM, 50.0 GB SSD)" in detailed


def test_a_daily_unit_resource_is_compared_at_thirty_days_a_month():
    short, _ = texts_for(
        "price_compare_cross_provider",
        target_provider="selectel",
        daily_cost=187.01,
        effective_cost=187.01,
        metrics_snapshot="{'target_monthly': 5349.44}",
    )
    assert short == "selectel предлагает аналог за 5,349 ₽/мес вместо текущих 5,610 ₽/мес"


def test_huge_amounts_get_thousands_separators():
    short, detailed = texts_for(
        **{"rec_type": "price_compare_cross_provider"}
        | {k: v for k, v in CASES["huge amounts"].items() if k != "rec_type"}
    )
    assert short == (
        "selectel предлагает аналог за 8,765,433 ₽/мес вместо текущих 10,000,000 ₽/мес"
    )
    assert detailed.startswith("Экономия 1,234,567 ₽/мес")


def test_a_price_row_without_a_target_price_talks_about_savings_and_current_cost():
    short, detailed = texts_for(
        "price_compare_cross_provider", target_provider="selectel", estimated_monthly_savings=700.0
    )
    assert short == "Экономия 700 ₽/мес при переносе сервера в selectel"
    assert detailed == (
        "Экономия 700 ₽/мес при переносе сервера office в selectel. "
        "Сейчас он обходится в 3,000 ₽/мес"
    )


def test_a_same_provider_row_offers_a_cheaper_plan():
    short, detailed = texts_for(
        "price_compare_same_provider",
        config=YANDEX_SERVER_CONFIG,
        target_provider="yandex",
        estimated_monthly_savings=1000.0,
        metrics_snapshot="{'target_monthly': 2000.0, 'current_monthly': 3000.0}",
    )
    assert short == "Более дешёвый тариф за 2,000 ₽/мес вместо текущих 3,000 ₽/мес"
    assert detailed == (
        "Экономия 1,000 ₽/мес при переводе сервера office на более дешёвый тариф в yandex. "
        "Схожая конфигурация (4 CPU, 8.0 GB RAM, 100.0 GB HD) на этом тарифе стоит 2,000 ₽/мес"
    )


@pytest.mark.parametrize(
    ("case_name", "detailed"),
    [
        (
            "cluster, kubernetes",
            "Экономия 2,069 ₽/мес при переносе кластера Kubernetes itlkube в selectel. "
            "Сопоставимый кластер (3 узла, 12 vCPU, 48.0 GB RAM) там стоит 9,931 ₽/мес",
        ),
        (
            "cluster, postgresql",
            "Экономия 1,900 ₽/мес при переносе кластера PostgreSQL pg-itl-prod в selectel. "
            "Сопоставимый кластер (3 узла по 2c/8GB/40GB SSD) там стоит 6,000 ₽/мес",
        ),
        (
            "cluster, kafka",
            "Экономия 1,000 ₽/мес при переносе кластера Kafka office в selectel. "
            "Сопоставимый кластер (3 брокера по 2c/8GB/40GB SSD) там стоит 3,000 ₽/мес",
        ),
        (
            "cluster, redis, bare",
            "Экономия 1,000 ₽/мес при переносе кластера Redis office в selectel. "
            "Сопоставимый кластер там стоит 3,000 ₽/мес",
        ),
    ],
)
def test_cluster_texts_name_the_cluster_and_its_size(case_name, detailed):
    fields = dict(CASES[case_name])
    _, text = texts_for(fields.pop("rec_type"), **fields)
    assert text == detailed


def test_rightsizing_cpu_names_the_load_and_costs_without_a_target_provider():
    short, detailed = texts_for(
        "rightsizing_cpu",
        estimated_monthly_savings=1450.0,
        metrics_snapshot=RIGHTSIZING_METRICS,
        insights=RIGHTSIZING_INSIGHTS,
    )
    assert short == "Экономия 1,450 ₽/мес при уменьшении недогруженного сервера"
    assert detailed == (
        "Экономия 1,450 ₽/мес при уменьшении сервера office: средняя загрузка CPU 3.2% "
        "при 4 vCPU. Сейчас он обходится в 5,610 ₽/мес, конфигурация поменьше — около "
        "4,160 ₽/мес."
    )


def test_rightsizing_cpu_without_cost_data_says_nothing_about_costs():
    short, detailed = texts_for(
        "rightsizing_cpu",
        estimated_monthly_savings=820.5,
        daily_cost=None,
        effective_cost=None,
        metrics_snapshot="{'cpu_avg_percent': 0.0, 'current_vcpu': 2}",
    )
    assert detailed == (
        "Экономия 821 ₽/мес при уменьшении сервера office: средняя загрузка CPU 0% при 2 vCPU."
    )
    assert "None" not in short + detailed


def test_seed_rightsizing_shows_average_and_peak_load():
    _, detailed = texts_for(
        "rightsizing",
        resource_type="vm",
        name="web-1",
        estimated_monthly_savings=None,
        metrics_snapshot=json.dumps({"cpu_avg": 0.06, "cpu_p95": 0.18}),
    )
    assert detailed.startswith(
        "Виртуальную машину web-1 можно уменьшить: средняя загрузка CPU 6%, в пиках (p95) 18%."
    )


def test_an_unknown_type_gets_a_sound_generic_text():
    short, detailed = texts_for(
        "brand_new_rule",
        resource_type="load_balancer",
        name="lb-1",
        estimated_monthly_savings=500.0,
        daily_cost=40.0,
    )
    assert short == "Возможная экономия 500 ₽/мес для балансировщика нагрузки"
    assert detailed == (
        "Возможная экономия 500 ₽/мес (6,000 ₽/год) для балансировщика нагрузки lb-1. "
        "Сейчас он обходится в 1,200 ₽/мес."
    )


@pytest.mark.parametrize(
    ("rec_type", "short"),
    [
        ("shutdown", "Экономия 1,000 ₽/мес при выключении сервера"),
        ("migrate", "Экономия 1,000 ₽/мес при переносе сервера в beget"),
        ("commitment", "Экономия 1,000 ₽/мес при переходе на долгосрочный тариф для сервера"),
    ],
)
def test_seed_action_types_say_what_the_action_is(rec_type, short):
    assert texts_for(rec_type, target_provider="beget")[0] == short


@pytest.mark.parametrize("savings", [0.0, 0.4, -100.0, None])
@pytest.mark.parametrize(
    "rec_type",
    [
        "price_compare_cross_provider",
        "rightsizing_cpu",
        "cleanup_old_snapshot",
        "cleanup_unused_ip",
        "cleanup_stopped",
        "shutdown",
        "mystery",
    ],
)
def test_without_savings_no_text_announces_any(rec_type, savings):
    short, detailed = texts_for(rec_type, estimated_monthly_savings=savings)
    for text in (short, detailed):
        assert "Экономия" not in text
        assert "экономия" not in text
        assert not re.search(r"(?<![\d,])0 ₽", text)
        assert "None" not in text


def test_resource_names_are_shown_as_text_never_as_markup():
    rendered = texts_render(
        facts=facts_build(
            recommendation=build_rec("cleanup_stopped", name="<b onmouseover=alert(1)>x</b> & co")
        )
    )
    assert "&lt;b onmouseover=alert(1)&gt;x&lt;/b&gt; &amp; co" in rendered.detailed_html
    assert "<b onmouseover=alert(1)>x</b> & co" in visible_text(rendered.detailed_html)


def test_very_long_names_are_shortened_with_an_ellipsis():
    _, detailed = texts_for("cleanup_stopped", name="n" * 200)
    assert "n" * 59 + "…" in detailed
    assert "n" * 60 not in detailed


def test_plain_base_facts_render_as_generic_text():
    facts = RecommendationFacts(
        recommendation_id=1,
        recommendation_type="anything",
        resource_name="box",
        type_noun=type_noun("server"),
        savings_monthly=100.0,
    )
    assert texts(facts) == (
        "Возможная экономия 100 ₽/мес для сервера",
        "Возможная экономия 100 ₽/мес для сервера box.",
    )
