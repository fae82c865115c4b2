"""What the model seam counts into core.metrics: requests by model, purpose and outcome,
retries, tokens by kind, roubles marked provider-reported or estimated."""

from __future__ import annotations

import pytest
from prometheus_client import REGISTRY

from llm.fake_server import Reply
from llm.tests.answers import asked, streamed

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGES = [{"role": "user", "content": "Сколько я сэкономлю?"}]
MODEL = "text/primary"


def _sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def test_a_streamed_answer_counts_its_request_tokens_and_estimated_roubles(
    fake_llm, settings
):
    settings.USD_RUB_RATE = 100.0
    ok = _sample("infrazen_agent_model_requests_total", model=MODEL, purpose="mt1", outcome="ok")
    prompt = _sample("infrazen_agent_model_tokens_total", model=MODEL, kind="prompt")
    rub = _sample("infrazen_agent_model_cost_rub_total", model=MODEL, source="estimated")
    fake_llm.enqueue(Reply.answer("Около 3 000 ₽", prompt_tokens=1000, completion_tokens=500))

    await streamed(purpose="mt1", messages=MESSAGES)

    after = _sample("infrazen_agent_model_requests_total", model=MODEL, purpose="mt1", outcome="ok")
    assert after == ok + 1
    assert _sample("infrazen_agent_model_tokens_total", model=MODEL, kind="prompt") == prompt + 1000
    # 0.002 USD (the price table) × 100
    assert _sample(
        "infrazen_agent_model_cost_rub_total", model=MODEL, source="estimated"
    ) == pytest.approx(rub + 0.2)


async def test_a_provider_reported_cost_is_marked_so_and_a_retry_is_counted(fake_llm, settings):
    settings.USD_RUB_RATE = 100.0
    settings.LLM_RETRY_BASE_S = 0.01
    failed = {"model": MODEL, "purpose": "mt2", "outcome": "server_error"}
    before = _sample("infrazen_agent_model_requests_total", **failed)
    retries = _sample("infrazen_agent_model_retries_total", model=MODEL)
    rub = _sample("infrazen_agent_model_cost_rub_total", model=MODEL, source="provider")
    fake_llm.enqueue(
        Reply.error(503),
        Reply.structured_output({"text": "ok"}, prompt_tokens=10, completion_tokens=5, cost=0.5),
    )

    await asked(purpose="mt2", messages=MESSAGES)

    assert _sample("infrazen_agent_model_requests_total", **failed) == before + 1
    assert _sample("infrazen_agent_model_retries_total", model=MODEL) == retries + 1
    assert _sample(
        "infrazen_agent_model_cost_rub_total", model=MODEL, source="provider"
    ) == pytest.approx(rub + 50)
