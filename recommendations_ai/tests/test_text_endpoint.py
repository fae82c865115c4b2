from __future__ import annotations

import pytest

from infrazen.models import CloudProvider, OptimizationRecommendation
from recommendations_ai.models import TextGeneration
from recommendations_ai.sanitize import visible_text
from recommendations_ai.tests.conftest import GOOD_DETAILED, GOOD_SHORT

URL = "/v1/generate/recommendation-text"
pytestmark = pytest.mark.django_db(transaction=True)


def post(client, body, **headers):
    return client.post(URL, body, content_type="application/json", **headers)


def test_offline_it_answers_the_infrazen_contract_with_the_template_text(service_client, office):
    response = post(service_client, {"recommendation_id": office.pk})
    assert response.status_code == 200
    body = response.json()
    assert "error" not in body
    assert set(body) >= {
        "recommendation_id",
        "short_description_html",
        "detailed_description_html",
        "model",
        "tokens",
        "source",
        "cost",
    }
    assert body["source"] == "template"
    assert visible_text(body["short_description_html"]) == (
        "selectel предлагает аналог за 5,349 ₽/мес вместо текущих 5,610 ₽/мес"
    )
    office.refresh_from_db()
    assert office.ai_short_description == body["short_description_html"]
    assert office.ai_detailed_description == body["detailed_description_html"]
    assert office.ai_generated_at is not None


def test_with_a_model_it_serves_the_models_grounded_text(service_client, office, fake_llm):
    from llm.fake_server import Reply

    fake_llm.enqueue(
        Reply.structured_output(
            {"short_description_html": GOOD_SHORT, "detailed_description_html": GOOD_DETAILED},
            prompt_tokens=310,
            completion_tokens=90,
        )
    )
    body = post(service_client, {"recommendation_id": office.pk}).json()
    assert body["source"] == "llm"
    assert body["model"] == "text/primary"
    assert body["tokens"] == 400
    assert body["cost"] > 0
    assert body["detailed_description_html"].startswith("Экономия <strong>261 ₽/мес</strong>")
    sent = fake_llm.chat_requests()[0]
    assert "FACTS" in sent["messages"][-1]["content"]
    assert '"target_monthly":5349,' in sent["messages"][-1]["content"]


def test_unknown_ids_get_404_with_an_error(service_client, db):
    response = post(service_client, {"recommendation_id": 999999})
    assert response.status_code == 404
    assert response.json()["error"]


def test_a_recommendation_of_a_soft_deleted_provider_is_not_found(service_client, office):
    CloudProvider.objects.filter(pk=office.provider_id).update(is_deleted=True)
    assert post(service_client, {"recommendation_id": office.pk}).status_code == 404


@pytest.mark.parametrize(
    "body",
    [{}, {"recommendation_id": "abc"}, {"recommendation_id": -1}, [1, 2], "x"],
)
def test_a_bad_body_gets_400_with_the_field_error(service_client, body):
    response = post(service_client, body)
    assert response.status_code == 400
    assert response.json()["fields"]


def test_non_json_gets_400(service_client):
    response = service_client.post(URL, "{not json", content_type="application/json")
    assert response.status_code == 400


def test_without_the_service_token_it_refuses(client, settings, office):
    settings.AGENT_SERVICE_TOKEN = "svc-token"
    assert post(client, {"recommendation_id": office.pk}).status_code == 401
    response = post(client, {"recommendation_id": office.pk}, HTTP_AUTHORIZATION="Bearer bad")
    assert response.status_code == 401
    assert "short_description_html" not in response.json()


def test_anonymous_calls_are_accepted_only_from_listed_networks(client, settings, office):
    settings.AGENT_ANONYMOUS_NETWORKS = ["127.0.0.1/32"]
    ok = post(client, {"recommendation_id": office.pk}, REMOTE_ADDR="127.0.0.1")
    assert ok.status_code == 200
    proxied = post(
        client,
        {"recommendation_id": office.pk},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.9",
    )
    assert proxied.status_code == 401
    foreign = post(client, {"recommendation_id": office.pk}, REMOTE_ADDR="192.0.2.7")
    assert foreign.status_code == 401


def test_generation_is_recorded(service_client, office):
    post(service_client, {"recommendation_id": office.pk})
    record = TextGeneration.objects.get(recommendation_id=office.pk)
    assert record.source == "template"
    assert record.facts["savings_monthly"] == pytest.approx(260.86)
    assert len(record.facts_hash) == 64
    assert OptimizationRecommendation.objects.get(pk=office.pk).ai_short_description


async def test_a_cancelled_requests_model_calls_are_still_recorded(office, fake_llm, settings):
    import asyncio

    from llm.fake_server import Reply
    from llm.gateway import deadline_in
    from llm.models import LLMCall
    from recommendations_ai.services import text_generate_for_service

    settings.AI_TEXT_MODE = "llm"
    fake_llm.enqueue(Reply.hang(5))
    task = asyncio.create_task(
        text_generate_for_service(recommendation_id=office.pk, deadline=deadline_in(10))
    )
    while not fake_llm.chat_requests():
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    outcomes = [row.outcome async for row in LLMCall.objects.all()]
    assert outcomes == [LLMCall.Outcome.CANCELLED]
    assert not await TextGeneration.objects.filter(recommendation_id=office.pk).aexists()


def test_the_texts_model_calls_are_recorded_with_the_text(service_client, office, fake_llm):
    from llm.fake_server import Reply
    from llm.models import LLMCall

    fake_llm.enqueue(
        Reply.error(500),
        Reply.structured_output(
            {"short_description_html": GOOD_SHORT, "detailed_description_html": GOOD_DETAILED}
        ),
    )
    response = post(service_client, {"recommendation_id": office.pk}, HTTP_X_REQUEST_ID="rt-1")

    assert response.json()["source"] == "llm"
    rows = LLMCall.objects.filter(correlation_id="rt-1").order_by("id")
    assert [row.outcome for row in rows] == [LLMCall.Outcome.SERVER_ERROR, LLMCall.Outcome.OK]
