from __future__ import annotations

import json

from recommendations_ai import prompts
from recommendations_ai.text_model import RecommendationTexts

CLEANUP = {
    "family": "cleanup",
    "recommendation_id": 7,
    "recommendation_type": "cleanup_old_snapshot",
    "provider_type": "yandex",
    "resource_name": "gitdisk-1",
    "savings_monthly": 1708.5,
    "current_monthly": 1708.5,
    "age_days": 248,
    "size_gb": 507.2,
    "wasted_rub": 14124,
    "specs": {"storage_gb": 507.2, "ram_gb": None},
    "type_noun": {"nominative": "снапшот", "genitive": "снапшота"},
}
PRICE = {
    "family": "price",
    "provider_type": "yandex",
    "savings_monthly": 260.86,
    "current_monthly": 5610.3,
    "target_monthly": 5349.44,
    "target_provider": "selectel",
    "specs": {"ram_gb": 8.0, "storage_gb": 92.0, "vcpus": 4, "disk_type": "network-ssd"},
    "status": "RUNNING",
    "title": "Перенос",
}


def test_amounts_go_in_as_whole_rubles_and_round_sizes_without_a_decimal():
    payload = prompts.compact_facts(PRICE)
    assert payload["savings_monthly"] == 261  # half up, as the texts show it
    assert (payload["current_monthly"], payload["target_monthly"]) == (5610, 5349)
    assert payload["specs"] == {
        "ram_gb": 8,
        "storage_gb": 92,
        "vcpus": 4,
        "disk_type": "network-ssd",
    }
    assert prompts.compact_facts(CLEANUP)["size_gb"] == 507.2


def test_only_what_a_family_text_can_use_goes_in():
    price = prompts.compact_facts(PRICE)
    assert price["provider_type"] == "yandex" and "status" not in price and "title" not in price
    cleanup = prompts.compact_facts(CLEANUP)
    assert "provider_type" not in cleanup  # cleanup texts never name the provider
    assert "specs" not in cleanup  # a snapshot's specs repeat its size
    assert "recommendation_id" not in cleanup and "recommendation_type" not in cleanup
    assert cleanup["type_noun"] == "снапшот"


def test_the_prompt_is_one_system_message_and_the_facts():
    system, user = prompts.text_messages(facts=CLEANUP, family="cleanup")
    assert system == {"role": "system", "content": prompts.SYSTEM}
    hint, facts_json = user["content"].split("\nFACTS: ")
    assert hint == prompts.FAMILY_HINTS["cleanup"]
    assert json.loads(facts_json) == prompts.compact_facts(CLEANUP)


def test_the_answer_schema_carries_no_field_titles():
    schema = RecommendationTexts.model_json_schema()
    assert schema["title"] == "RecommendationTexts"  # the tool's name
    for field in schema["properties"].values():
        assert set(field) == {"type", "description"}
