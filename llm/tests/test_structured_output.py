from __future__ import annotations

import pytest
from pydantic import BaseModel, Field, ValidationInfo, model_validator

from llm import gateway, sdk_private
from llm.fake_server import Reply
from llm.models import LLMCall

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGES = [{"role": "user", "content": "Напиши тексты рекомендации"}]


class Texts(BaseModel):
    """Two texts of a recommendation card."""

    short_html: str = Field(description="60-80 characters")
    detailed_html: str
    savings_rub: int


GOOD = {
    "short_html": "Перенос в Selectel",
    "detailed_html": "Экономия 3 000 ₽",
    "savings_rub": 3000,
}


async def outcomes() -> list[str]:
    return [r.outcome async for r in LLMCall.objects.order_by("id")]


async def test_it_parses_the_forced_tool_call_into_the_model(fake_llm):
    fake_llm.enqueue(Reply.structured_output(GOOD, prompt_tokens=50, completion_tokens=20))

    texts, accounting = await gateway.structured(
        purpose="text", messages=MESSAGES, response_model=Texts
    )

    assert isinstance(texts, Texts)
    assert texts.model_dump() == GOOD
    assert (accounting.prompt_tokens, accounting.completion_tokens) == (50, 20)
    assert accounting.attempts == 1
    sent = fake_llm.chat_requests()[0]
    assert "stream" not in sent
    assert sent["tool_choice"] == {"type": "function", "function": {"name": "Texts"}}
    assert set(sent["tools"][0]["function"]["parameters"]["required"]) == {
        "short_html",
        "detailed_html",
        "savings_rub",
    }
    assert await outcomes() == [LLMCall.Outcome.OK]


async def test_an_invalid_answer_is_re_asked_once_and_the_second_answer_is_used(fake_llm):
    fake_llm.enqueue(
        Reply.structured_output('{"short_html": "oops"', prompt_tokens=50, completion_tokens=5),
        Reply.structured_output(GOOD, prompt_tokens=80, completion_tokens=20),
    )

    texts, accounting = await gateway.structured(
        purpose="text", messages=MESSAGES, response_model=Texts
    )

    assert texts.savings_rub == 3000
    assert accounting.prompt_tokens == 130
    assert accounting.attempts == 2
    reask = fake_llm.chat_requests()[1]["messages"]
    assert len(reask) > len(MESSAGES)
    assert await outcomes() == [LLMCall.Outcome.VALIDATION_ERROR, LLMCall.Outcome.OK]


async def test_still_invalid_after_the_re_ask_raises_a_validation_error_with_the_report(fake_llm):
    fake_llm.route(Reply.structured_output({"short_html": "only this"}))

    with pytest.raises(gateway.LLMValidationError) as raised:
        await gateway.structured(purpose="text", messages=MESSAGES, response_model=Texts)

    assert "detailed_html" in raised.value.errors
    assert "detailed_html" not in raised.value.message
    assert raised.value.completion.attempts == 2
    assert len(fake_llm.chat_requests()) == 2
    assert await outcomes() == [LLMCall.Outcome.VALIDATION_ERROR] * 2


async def test_zero_validation_retries_means_exactly_one_request(fake_llm):
    fake_llm.route(Reply.structured_output("not json"))

    with pytest.raises(gateway.LLMValidationError):
        await gateway.structured(
            purpose="text", messages=MESSAGES, response_model=Texts, max_validation_retries=0
        )

    assert len(fake_llm.chat_requests()) == 1


async def test_http_errors_are_retried_by_the_gateway_not_re_asked(fake_llm):
    fake_llm.enqueue(Reply.error(500), Reply.structured_output(GOOD))

    texts, accounting = await gateway.structured(
        purpose="text", messages=MESSAGES, response_model=Texts, max_validation_retries=0
    )

    assert texts.short_html == "Перенос в Selectel"
    assert accounting.attempts == 2
    assert fake_llm.chat_requests()[1]["messages"] == MESSAGES
    assert await outcomes() == [LLMCall.Outcome.SERVER_ERROR, LLMCall.Outcome.OK]


async def test_an_unavailable_model_surfaces_as_unavailable_not_as_validation(fake_llm):
    fake_llm.route(Reply.error(401))

    with pytest.raises(gateway.LLMUnavailable):
        await gateway.structured(purpose="text", messages=MESSAGES, response_model=Texts)


async def test_the_fake_servers_default_answers_a_forced_tool_call_with_a_valid_object(fake_llm):
    texts, _ = await gateway.structured(purpose="text", messages=MESSAGES, response_model=Texts)

    assert isinstance(texts.savings_rub, int)


class Grounded(BaseModel):
    """A text whose figure must be the one the caller passes in the validation context."""

    text: str

    @model_validator(mode="after")
    def figure_from_context(self, info: ValidationInfo) -> Grounded:
        expected = (info.context or {}).get("figure")
        if expected is None or str(expected) not in self.text:
            raise ValueError(f"the text must name {expected}")
        return self


async def test_the_validation_context_reaches_the_models_validators(fake_llm):
    fake_llm.enqueue(
        Reply.structured_output({"text": "Экономия 100 ₽"}),
        Reply.structured_output({"text": "Экономия 250 ₽"}),
    )

    answer, accounting = await gateway.structured(
        purpose="text",
        messages=MESSAGES,
        response_model=Grounded,
        validation_context={"figure": 250},
    )

    assert answer.text == "Экономия 250 ₽" and isinstance(answer, Grounded)
    assert accounting.attempts == 2
    assert "the text must name 250" in str(fake_llm.chat_requests()[1]["messages"])


async def test_every_call_sends_the_same_tool_schema_and_the_plain_request(fake_llm):
    for _ in range(2):
        await gateway.structured(
            purpose="text", messages=MESSAGES, response_model=Texts, temperature=0.1, max_tokens=77
        )

    first, second = fake_llm.chat_requests()
    assert first == second
    assert first["messages"] == MESSAGES
    assert (first["temperature"], first["max_tokens"]) == (0.1, 77)
    assert first["tools"][0]["function"]["name"] == "Texts"
    assert first["tools"][0]["function"]["description"] == "Two texts of a recommendation card."
    assert first["model"] == "text/primary"
    headers = {k.lower(): v for k, v in fake_llm.requests[-1].headers.items()}
    assert headers["authorization"] == "Bearer test-key"


async def test_a_model_prepared_at_startup_is_not_built_again_by_its_first_call(fake_llm):
    class Prepared(BaseModel):
        """A model no other test has asked for."""

        title: str

    gateway.structured_prepare(Prepared)
    built = sdk_private.instructor_tools.cache_info().misses
    fake_llm.enqueue(Reply.structured_output({"title": "Готово"}))

    answer, _ = await gateway.structured(purpose="text", messages=MESSAGES, response_model=Prepared)

    assert answer.title == "Готово"
    assert sdk_private.instructor_tools.cache_info().misses == built
