"""A recommendation text keeps personal data from the model (llm.pii, issue 20): the owner's
name from `users`, an email, a phone, an INN and a public IP in the recommendation's data reach
the fake model as placeholders; the model's placeholders are restored before the fact-lock
checks its numbers, and the stored text shows the real values."""

from __future__ import annotations

import json

import pytest

from conftest import make_provider, make_recommendation, make_resource, make_user
from llm.fake_server import Reply
from llm.tests.pii_helpers import PLANTED, placeholder_in
from recommendations_ai.models import TextGeneration

URL = "/v1/generate/recommendation-text"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def planted_ip():
    """Anna's idle public IP, named after her, with her contacts in the rule's explanation."""
    anna = make_user("anna@example.com", first_name="Анна", last_name="Петрова")
    provider = make_provider(anna, "yandex")
    resource = make_resource(
        provider,
        "ip-Петрова",
        resource_type="reserved_ip",
        service_name="VPC",
        daily_cost=5.0,
        external_ip="95.165.10.20",
    )
    explanation = "Владелец: anna.petrova@itlab.ru, +7 916 123-45-67, ИНН 7707083893."
    return make_recommendation(
        resource,
        recommendation_type="cleanup_unused_ip",
        estimated_monthly_savings=150.0,
        insights=repr({"age_days": 120, "explanation": explanation}),
    )


def test_the_model_sees_placeholders_and_the_stored_text_the_real_values(
    service_client, planted_ip, fake_llm
):
    def answer(body: dict) -> Reply:
        sent = json.dumps(body["messages"], ensure_ascii=False)
        # The model copies the placeholders it was given, whatever their numbers.
        ip, name = placeholder_in(sent, "ip"), placeholder_in(sent, "имя")
        return Reply.structured_output(
            {
                "short_description_html": f"IP {ip} ({name}) не используется 120 дней",
                "detailed_description_html": (
                    f"Адрес {ip} ресурса ip-{name} простаивает 120 дней и стоит "
                    "<strong>150 ₽/мес</strong>. Освободите его, чтобы сэкономить "
                    "<strong>1 800 ₽/год</strong>."
                ),
            }
        )

    fake_llm.route(answer)
    response = service_client.post(
        URL, {"recommendation_id": planted_ip.pk}, content_type="application/json"
    )
    assert response.status_code == 200
    body = response.json()

    sent = json.dumps(fake_llm.chat_requests(), ensure_ascii=False)
    for value in PLANTED:
        assert value not in sent
    assert "[email 1]" in sent and "[инн 1]" in sent and "[телефон 1]" in sent
    # The fact-lock held the restored text to the facts: the model's text ships.
    assert body["source"] == "llm", TextGeneration.objects.latest("id").validation
    assert "95.165.10.20" in body["short_description_html"]
    assert "ip-Петрова" in body["detailed_description_html"]
    planted_ip.refresh_from_db()
    assert "95.165.10.20" in planted_ip.ai_detailed_description
