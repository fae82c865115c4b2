from __future__ import annotations

import asyncio
import gc
import json

import openai
import pytest

from llm import gateway
from llm.fake_server import Reply
from llm.tests.answers import asked, said

MESSAGES = [{"role": "user", "content": "Привет"}]


async def test_offline_raises_unavailable_without_sending_anything(fake_llm, settings):
    settings.LLM_PROVIDER = "offline"

    assert gateway.llm_available() is False
    with pytest.raises(gateway.LLMUnavailable) as raised:
        await asked(purpose="test", messages=MESSAGES)
    with pytest.raises(gateway.LLMUnavailable):
        async for _ in gateway.stream(purpose="test", messages=MESSAGES):
            pass

    assert raised.value.retryable is False
    assert fake_llm.requests == []


async def test_a_misconfigured_provider_raises_without_sending_anything(fake_llm, settings):
    settings.LLM_PROVIDER = "openrouter"
    settings.OPENROUTER_API_KEY = settings.LLM_API_KEY = ""

    assert gateway.llm_available() is False
    with pytest.raises(gateway.LLMUnavailable) as raised:
        await asked(purpose="test", messages=MESSAGES)

    assert raised.value.retryable is False
    assert fake_llm.requests == []


def test_offline_is_described_as_offline_with_no_problems(settings):
    settings.LLM_PROVIDER = "offline"

    config = gateway.describe_config()

    assert config["offline"] is True
    assert config["problems"] == []
    assert set(config) == {
        "provider",
        "model_text",
        "model_vision",
        "fallback_models",
        "offline",
        "base_url_host",
        "api_key_from",
        "problems",
    }


def test_openrouter_without_a_key_is_reported_as_a_problem(settings):
    settings.LLM_PROVIDER = "openrouter"
    settings.OPENROUTER_API_KEY = settings.LLM_API_KEY = ""
    settings.LLM_BASE_URL = ""

    config = gateway.describe_config()

    assert config["base_url_host"] == "openrouter.ai"
    assert config["problems"] == ["LLM_PROVIDER=openrouter needs OPENROUTER_API_KEY"]


def test_an_unknown_provider_is_reported_as_a_problem(settings):
    settings.LLM_PROVIDER = "mistral"

    assert "unknown LLM_PROVIDER 'mistral'" in gateway.describe_config()["problems"][0]
    assert gateway.llm_available() is False


def test_the_description_never_contains_keys(settings):
    settings.LLM_PROVIDER = "openrouter"
    settings.OPENROUTER_API_KEY = "sk-or-very-secret"
    settings.LLM_API_KEY = "sk-also-secret"
    settings.LLM_BASE_URL = "https://user:password@proxy.example.com/v1"

    text = json.dumps(gateway.describe_config())

    assert "secret" not in text
    assert "password" not in text
    assert gateway.describe_config()["base_url_host"] == "proxy.example.com"


def test_llm_base_url_overrides_the_provider_default(settings):
    settings.LLM_PROVIDER = "openrouter"
    settings.OPENROUTER_API_KEY = "k"
    settings.LLM_BASE_URL = "http://gateway.internal:4000/v1"

    assert gateway.describe_config()["base_url_host"] == "gateway.internal"


async def test_clients_are_cached_per_endpoint_with_sdk_retries_off(settings):
    first = gateway.get_client(base_url="http://a.example/v1", api_key="k1")

    assert gateway.get_client(base_url="http://a.example/v1", api_key="k1") is first
    assert gateway.get_client(base_url="http://b.example/v1", api_key="k1") is not first
    assert first.max_retries == 0


async def test_clients_use_the_sdks_aiohttp_transport_with_a_full_keep_alive_pool(settings):
    settings.LLM_MAX_CONNECTIONS = 321
    client = gateway.get_client(base_url="http://c.example/v1", api_key="k1")

    assert isinstance(client._client, openai.DefaultAioHttpClient)
    transport = client._client._transport
    assert transport.limits.max_connections == 321
    assert transport.limits.max_keepalive_connections == 321


def test_a_loops_clients_are_closed_when_the_loop_ends(fake_llm, caplog):
    """asyncio.run (the backfill command), pytest's and asgiref's loops all end with
    shutdown_asyncgens: the aiohttp sessions are closed then, not reported as leaked."""
    fake_llm.enqueue(Reply.structured_output(said("Готово.")))
    used = []

    async def ask() -> None:
        with gateway.llm_calls_collected():
            await asked(purpose="test", messages=MESSAGES)
        used.append(gateway.get_client(base_url=fake_llm.base_url, api_key="test-key"))
        assert not used[0].is_closed()

    asyncio.run(ask())
    gc.collect()

    assert used[0].is_closed()
    assert not [r for r in caplog.records if "Unclosed" in r.getMessage()]
