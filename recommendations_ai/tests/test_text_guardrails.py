"""A model that lies, injects HTML, breaks JSON or stalls never reaches the InfraZen UI."""

from __future__ import annotations

import time

import pytest

from llm.fake_server import Reply
from recommendations_ai.grounding import allowed_numbers, ungrounded_numbers
from recommendations_ai.models import TextGeneration
from recommendations_ai.sanitize import visible_text
from recommendations_ai.tests.conftest import GOOD_DETAILED, GOOD_SHORT

URL = "/v1/generate/recommendation-text"
pytestmark = pytest.mark.django_db(transaction=True)


def generate(client, rec):
    started = time.monotonic()
    response = client.post(URL, {"recommendation_id": rec.pk}, content_type="application/json")
    assert response.status_code == 200
    body = response.json()
    assert "error" not in body
    return body, time.monotonic() - started


def answer(short=GOOD_SHORT, detailed=GOOD_DETAILED):
    return Reply.structured_output(
        {"short_description_html": short, "detailed_description_html": detailed}
    )


def assert_true_and_safe(body, rec):
    record = TextGeneration.objects.filter(recommendation_id=rec.pk).latest("id")
    allowed = allowed_numbers(record.facts)
    for field in ("short_description_html", "detailed_description_html"):
        html = body[field]
        assert "<script" not in html and "onerror" not in html and "href" not in html
        assert ungrounded_numbers(visible_text(html), allowed) == []
    return record


WRONG_SAVINGS = GOOD_DETAILED.replace("261 ₽/мес", "2,610 ₽/мес")
INVENTED_PRICE = GOOD_SHORT.replace("5,349", "3,990")
SCRIPT = GOOD_DETAILED + "<script>fetch('/steal')</script><img src=x onerror=alert(1)>"


@pytest.mark.parametrize(
    ("bad", "why"),
    [
        (answer(detailed=WRONG_SAVINGS), "числа не из FACTS"),
        (answer(short=INVENTED_PRICE), "числа не из FACTS"),
        (answer(detailed=SCRIPT), "запрещённый HTML"),
        (Reply.structured_output('```json\n{"short_description_html": "x"}\n```'), "validation"),
        (Reply.structured_output("{not json"), "validation"),
        (Reply.answer(""), "validation"),
    ],
    ids=["wrong-savings", "invented-price", "script", "fenced-json", "invalid-json", "nothing"],
)
def test_a_bad_answer_twice_falls_back_to_the_true_template(
    service_client, office, fake_llm, bad, why
):
    fake_llm.enqueue(bad, bad)
    body, _ = generate(service_client, office)
    assert body["source"] == "template"
    record = assert_true_and_safe(body, office)
    assert record.validation.startswith("validation")
    assert why in record.validation
    assert len(fake_llm.chat_requests()) == 2  # the answer was fed back once, no more


def test_a_bad_answer_corrected_on_the_re_ask_is_used(service_client, office, fake_llm):
    fake_llm.enqueue(answer(detailed=WRONG_SAVINGS), answer())
    body, _ = generate(service_client, office)
    assert body["source"] == "llm"
    assert_true_and_safe(body, office)
    reask = fake_llm.chat_requests()[1]["messages"]
    assert any("2610" in str(m.get("content")) or "2,610" in str(m.get("content")) for m in reask)


def test_sanitiser_still_runs_on_accepted_model_html(service_client, office, fake_llm):
    quoted = GOOD_SHORT.replace("class='provider-name'", 'class="provider-name"')
    fake_llm.enqueue(answer(short=quoted))
    body, _ = generate(service_client, office)
    assert body["source"] == "llm"
    assert "class='provider-name'" in body["short_description_html"]


@pytest.mark.parametrize(
    "fault",
    [
        Reply.error(429, retry_after=0.05),
        Reply.error(500),
        Reply.hang(30),
    ],
    ids=["429", "500", "hang"],
)
def test_model_faults_end_in_the_template_text_within_the_deadline(
    service_client, office, fake_llm, settings, fault
):
    settings.TEXT_ENDPOINT_DEADLINE_S = 3.0
    settings.LLM_TIMEOUT_S = 1.0
    fake_llm.route(fault, when=lambda body: True)
    body, elapsed = generate(service_client, office)
    assert body["source"] == "template"
    assert elapsed < settings.TEXT_ENDPOINT_DEADLINE_S
    assert visible_text(body["short_description_html"]).startswith("selectel предлагает")
    assert TextGeneration.objects.get(recommendation_id=office.pk).validation.startswith("llm:")
