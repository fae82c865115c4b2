"""Every recommendation of the demo dataset (all rule types, both text forms) gets a sound text."""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command

from core.errors import NotFound
from demo_data.personas import ALICE_EMAIL, BOB_EMAIL
from demo_data.seed import demo_seed
from infrazen.models import CloudProvider, InfraZenUser, OptimizationRecommendation
from recommendations_ai.facts import facts_build
from recommendations_ai.sanitize import html_sanitize, visible_text
from recommendations_ai.selectors import (
    recommendation_for_service_get,
    recommendations_missing_texts,
)
from recommendations_ai.templates_ru import texts_render
from recommendations_ai.text_model import DETAILED_LIMITS, SHORT_LIMITS

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(db):
    demo_seed()


def test_backfill_gives_every_demo_recommendation_a_sound_text(seeded):
    call_command("backfill", "--mode", "template")
    recs = list(OptimizationRecommendation.objects.all())
    assert len(recs) >= 30
    for rec in recs:
        for html in (rec.ai_short_description, rec.ai_detailed_description):
            text = visible_text(html)
            assert text, rec.recommendation_type
            assert not re.search(r"\b(None|nan|null)\b", text), (rec.pk, text)
            assert html_sanitize(html) == html
            # Every ₽ amount is highlighted: outside <strong> no ₽ remains.
            assert "₽" not in re.sub(r"<strong>.*?</strong>", "", html), html


def test_every_demo_template_text_is_within_the_lengths_a_model_answer_must_keep(seeded):
    """The template is what a rejected model answer falls back to: it keeps the same limits."""
    recs = list(recommendations_missing_texts(include_done=True))
    assert len(recs) >= 30
    for rec in recs:
        rendered = texts_render(facts=facts_build(recommendation=rec))
        for html, (low, high) in (
            (rendered.short_html, SHORT_LIMITS),
            (rendered.detailed_html, DETAILED_LIMITS),
        ):
            visible = visible_text(html)
            assert low <= len(visible) <= high, (rec.pk, rec.recommendation_type, visible)


def test_the_service_resolves_the_owner_through_the_resource_when_provider_is_null(seeded):
    rec = OptimizationRecommendation.objects.filter(provider__isnull=True).first()
    found, owner = recommendation_for_service_get(recommendation_id=rec.pk)
    assert found.pk == rec.pk
    assert owner == rec.resource.provider.user_id


def test_a_recommendation_whose_ownership_chain_disagrees_is_not_found(seeded):
    alice = InfraZenUser.objects.get(email=ALICE_EMAIL)
    bobs_provider = CloudProvider.objects.filter(user__email=BOB_EMAIL).first()
    rec = OptimizationRecommendation.objects.filter(resource__provider__user=alice).first()
    OptimizationRecommendation.objects.filter(pk=rec.pk).update(provider=bobs_provider)
    with pytest.raises(NotFound):
        recommendation_for_service_get(recommendation_id=rec.pk)
