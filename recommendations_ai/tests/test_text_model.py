from __future__ import annotations

import pytest
from pydantic import ValidationError

from recommendations_ai.text_model import RecommendationTexts, texts_validation_context

FACTS = {"savings_monthly": 1708.5, "age_days": 248, "size_gb": 507.2, "wasted_rub": 14124}
SHORT = "Экономия <strong>1,709 ₽/мес</strong> при удалении неиспользуемого снапшота"
DETAILED = (
    "Удаление снапшота сэкономит <strong>1,709 ₽/мес</strong>. Он не используется 248 дней "
    "и занимает 507 GB; за это время на него уже было потрачено <strong>14,124 ₽</strong>."
)


def answer(short: str = SHORT, detailed: str = DETAILED) -> dict:
    return {"short_description_html": short, "detailed_description_html": detailed}


def test_an_answer_true_to_the_facts_passes():
    texts = RecommendationTexts.model_validate(
        answer(), context=texts_validation_context(facts=FACTS)
    )
    assert texts.short_description_html == SHORT


def test_the_same_model_class_checks_each_answer_against_its_own_facts():
    other = texts_validation_context(facts={**FACTS, "savings_monthly": 990})
    with pytest.raises(ValidationError, match="нет суммы экономии 990"):
        RecommendationTexts.model_validate(answer(), context=other)


def test_without_facts_in_the_context_nothing_passes():
    with pytest.raises(ValidationError, match="no facts"):
        RecommendationTexts.model_validate(answer())


def test_an_invented_number_is_reported_to_the_model():
    bad = DETAILED.replace("507 GB", "600 GB")
    with pytest.raises(ValidationError, match="числа не из FACTS: 600"):
        RecommendationTexts.model_validate(
            answer(detailed=bad), context=texts_validation_context(facts=FACTS)
        )
