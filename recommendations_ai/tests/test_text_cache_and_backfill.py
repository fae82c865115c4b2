from __future__ import annotations

import pytest
from django.core.management import call_command

from conftest import make_recommendation, make_resource
from infrazen.models import CloudProvider, OptimizationRecommendation
from llm.fake_server import Reply
from recommendations_ai.backfill import backfill_run, backfill_select
from recommendations_ai.models import TextGeneration
from recommendations_ai.tests.conftest import GOOD_DETAILED, GOOD_SHORT

URL = "/v1/generate/recommendation-text"
pytestmark = pytest.mark.django_db(transaction=True)
GOOD = Reply.structured_output(
    {"short_description_html": GOOD_SHORT, "detailed_description_html": GOOD_DETAILED}
)


def generate(client, rec):
    return client.post(URL, {"recommendation_id": rec.pk}, content_type="application/json").json()


def test_unchanged_facts_are_served_from_the_cache_without_a_model_call(
    service_client, office, fake_llm
):
    fake_llm.route(GOOD, when=lambda body: True)
    first = generate(service_client, office)
    second = generate(service_client, office)
    assert len(fake_llm.chat_requests()) == 1
    assert (first["source"], second["source"]) == ("llm", "cache")
    assert second["short_description_html"] == first["short_description_html"]


def test_a_cache_hit_leaves_the_stored_text_untouched(service_client, office, fake_llm):
    fake_llm.route(GOOD, when=lambda body: True)
    generate(service_client, office)
    stamped = OptimizationRecommendation.objects.get(pk=office.pk).ai_generated_at
    OptimizationRecommendation.objects.filter(pk=office.pk).update(
        ai_generated_at=stamped.replace(year=2000)
    )
    assert generate(service_client, office)["source"] == "cache"
    assert OptimizationRecommendation.objects.get(pk=office.pk).ai_generated_at.year == 2000


def test_changed_facts_generate_a_new_text(service_client, office, fake_llm):
    fake_llm.route(GOOD, when=lambda body: True)
    generate(service_client, office)
    OptimizationRecommendation.objects.filter(pk=office.pk).update(estimated_monthly_savings=300.0)
    body = generate(service_client, office)
    # The model is asked anew; its scripted answer still says 261 ₽, which the new facts no
    # longer support, so after one re-ask the true template text is served.
    assert len(fake_llm.chat_requests()) == 3
    assert body["source"] == "template"
    assert "<strong>300 ₽/мес</strong>" in body["detailed_description_html"]


def test_a_fallback_is_not_cached_so_the_model_is_asked_again(service_client, office, fake_llm):
    fake_llm.enqueue(Reply.error(400))
    assert generate(service_client, office)["source"] == "template"
    fake_llm.enqueue(GOOD)
    assert generate(service_client, office)["source"] == "llm"


@pytest.fixture
def many(alice):
    selectel = CloudProvider.objects.get(user=alice, provider_type="selectel")
    recs = []
    for i in range(12):
        res = make_resource(selectel, f"old-vm-{i}", status="STOPPED", daily_cost=10.0 + i)
        recs.append(
            make_recommendation(
                res,
                recommendation_type="cleanup_stopped",
                source="cost.cleanup.stopped_resources",
                estimated_monthly_savings=300.0 + 30 * i,
                metrics_snapshot="{'status': 'STOPPED', 'storage_cost_monthly': 300.0}",
            )
        )
    return recs


def test_backfill_twice_does_no_work_the_second_time(many, capsys):
    call_command("backfill", "--mode", "template")
    assert "12 done" in capsys.readouterr().out
    call_command("backfill", "--mode", "template")
    assert "0 done" in capsys.readouterr().out
    assert not OptimizationRecommendation.objects.filter(ai_short_description__isnull=True).exists()


def test_stale_regenerates_only_what_changed(many, capsys):
    call_command("backfill", "--mode", "template")
    changed = many[3]
    OptimizationRecommendation.objects.filter(pk=changed.pk).update(
        estimated_monthly_savings=9999.0
    )
    assert [r.pk for r in backfill_select(stale=True)] == [changed.pk]
    call_command("backfill", "--mode", "template", "--stale")
    assert "1 done" in capsys.readouterr().out
    changed.refresh_from_db()
    assert "9,999" in changed.ai_short_description


def test_force_regenerates_everything_and_filters_apply(many, bob, capsys):
    call_command("backfill", "--mode", "template")
    call_command("backfill", "--mode", "template", "--force", "--limit", "5")
    assert "5 done" in capsys.readouterr().out.splitlines()[-1]
    assert backfill_select(user_id=bob.pk, force=True) == []
    assert len(backfill_select(types=["cleanup_stopped"], force=True)) == 12


def test_dry_run_changes_nothing(many, capsys):
    call_command("backfill", "--dry-run", "--mode", "template")
    assert "Would generate 12 texts" in capsys.readouterr().out
    assert not TextGeneration.objects.exists()


def test_llm_backfill_runs_with_bounded_concurrency_and_one_failure_does_not_stop_it(
    many, fake_llm, settings, monkeypatch
):
    from recommendations_ai import backfill

    real = backfill.text_generate

    async def flaky(**kwargs):
        if kwargs["recommendation"].pk == many[5].pk:
            raise RuntimeError("a broken row")
        return await real(**kwargs)

    monkeypatch.setattr(backfill, "text_generate", flaky)
    fake_llm.route(Reply.error(400), when=lambda body: True)  # model refuses: template fallback
    stats = backfill_run(recommendations=backfill_select(), mode="llm", concurrency=4)
    assert (stats.done, stats.failed) == (11, 1)
    assert stats.by_source["template"] == 11
