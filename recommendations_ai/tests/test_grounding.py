from __future__ import annotations

from recommendations_ai.grounding import allowed_numbers, numbers_in_text, ungrounded_numbers

FACTS = {
    "resource_name": "gitdisk-1740816592565",
    "savings_monthly": 1708.5,
    "current_monthly": 1708.5,
    "age_days": 248,
    "size_gb": 507.2,
    "wasted_rub": 14124,
    "target_sku": "v4-r8-d100-network_ssd:ru-6a",
}


def test_it_reads_thousands_separators_and_decimal_commas():
    assert numbers_in_text("Экономия 1,709 ₽/мес, 14 119 ₽ и 8,5 GB, 92.0 GB") == [
        1709.0,
        14119.0,
        8.5,
        92.0,
    ]


def test_it_ignores_digits_glued_to_words():
    assert numbers_in_text("IPv4 адрес и кластер K8s на c3-c2-m4") == []


def test_rounded_figures_from_the_facts_are_grounded():
    allowed = allowed_numbers(FACTS)
    text = "Экономия 1,709 ₽/мес (20,502 ₽/год): снапшот 248 дней, 507 GB, потрачено 14,124 ₽."
    assert ungrounded_numbers(text, allowed) == []


def test_an_invented_price_or_wrong_savings_is_caught():
    allowed = allowed_numbers(FACTS)
    assert ungrounded_numbers("Экономия 2,500 ₽/мес", allowed) == [2500.0]
    assert ungrounded_numbers("аналог за 990 ₽/мес", allowed) == [990.0]


def test_numbers_inside_names_are_allowed():
    allowed = allowed_numbers(FACTS)
    assert ungrounded_numbers("снапшот gitdisk-1740816592565", allowed) == []
