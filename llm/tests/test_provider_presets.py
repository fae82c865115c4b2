"""Each provider is a preset of the one seam: its endpoint, the key it reads, its default
models, and a real call through the SDK to the fake server (LLM_BASE_URL wins over the
preset's endpoint). The defaults chosen at startup are checked in test_provider_startup."""

from __future__ import annotations

import json

import pytest
from pydantic import BaseModel

from llm import config as llm_config
from llm import gateway, providers
from llm.fake_server import Reply
from llm.tests.answers import asked, said

MESSAGES = [{"role": "user", "content": "Привет"}]
SECRET = "sk-test-secret-value-1234"

# provider, the key it reads, host of its endpoint, default text and vision models
PRESETS = [
    ("openrouter", "OPENROUTER_API_KEY", "openrouter.ai", "openai/gpt-4o-mini", "openai/gpt-4o"),
    ("openai", "OPENAI_API_KEY", "api.openai.com", "gpt-4o-mini", "gpt-4o"),
    ("anthropic", "ANTHROPIC_API_KEY", "api.anthropic.com", "claude-haiku-4-5", "claude-haiku-4-5"),
    ("ollama", None, "127.0.0.1", "llama3.1", "llama3.2-vision"),
]


class Verdict(BaseModel):
    """Whether the text is right."""

    verdict: str
    reason: str


def use_preset(settings, provider: str, **keys: str) -> None:
    """The settings as a start with LLM_PROVIDER=<provider> and these keys would make them."""
    settings.LLM_PROVIDER = provider
    for name in providers.KEY_SETTINGS:
        setattr(settings, name, keys.get(name, ""))
    settings.LLM_BASE_URL = keys.get("LLM_BASE_URL", "")
    settings.OLLAMA_BASE_URL = keys.get("OLLAMA_BASE_URL", "")
    preset = providers.PRESETS[provider]
    settings.LLM_MODEL_TEXT = preset.model_text
    settings.LLM_MODEL_VISION = preset.model_vision
    settings.LLM_VISION_MODELS = [preset.model_vision]
    settings.LLM_FALLBACK_MODELS = []


def header(request, name: str) -> str | None:
    return {k.lower(): v for k, v in request.headers.items()}.get(name.lower())


@pytest.mark.parametrize(("provider", "key", "host", "text", "vision"), PRESETS)
def test_each_preset_has_its_endpoint_key_and_models(settings, provider, key, host, text, vision):
    assert providers.PRESETS[provider].model_text == text
    assert providers.PRESETS[provider].model_vision == vision
    use_preset(settings, provider, **({key: SECRET} if key else {}))

    config = gateway.describe_config()

    assert config["provider"] == provider
    assert config["base_url_host"] == host
    assert config["api_key_from"] == key
    assert (config["model_text"], config["model_vision"]) == (text, vision)
    assert config["problems"] == []
    assert gateway.llm_available() is True
    assert llm_config.route().api_key == (SECRET if key else "")
    assert SECRET not in json.dumps(config)


@pytest.mark.parametrize(("provider", "key"), [(p[0], p[1]) for p in PRESETS if p[1]])
def test_a_preset_without_its_key_is_a_problem_naming_the_key(settings, provider, key):
    use_preset(settings, provider)

    config = gateway.describe_config()

    assert config["problems"] == [f"LLM_PROVIDER={provider} needs {key}"]
    assert config["api_key_from"] is None
    assert gateway.llm_available() is False


def test_llm_api_key_serves_a_provider_whose_own_key_is_not_set(settings):
    use_preset(settings, "openai", LLM_API_KEY=SECRET)

    config = gateway.describe_config()

    assert config["api_key_from"] == "LLM_API_KEY"
    assert config["problems"] == []
    assert llm_config.route().api_key == SECRET


def test_the_providers_own_key_wins_over_llm_api_key(settings):
    use_preset(settings, "anthropic", ANTHROPIC_API_KEY=SECRET, LLM_API_KEY="sk-other")

    assert llm_config.route().api_key == SECRET
    assert gateway.describe_config()["api_key_from"] == "ANTHROPIC_API_KEY"


def test_ollama_needs_no_key_and_takes_its_url_as_ollama_users_write_it(settings):
    use_preset(settings, "ollama", OLLAMA_BASE_URL="http://gpu-box:11434")

    assert llm_config.route().base_url == "http://gpu-box:11434/v1"
    assert gateway.describe_config()["base_url_host"] == "gpu-box"
    assert gateway.describe_config()["problems"] == []
    settings.OLLAMA_BASE_URL = "http://gpu-box:11434/v1/"
    assert llm_config.route().base_url == "http://gpu-box:11434/v1"


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_openrouter_model_names_are_a_problem_at_providers_that_refuse_them(settings, provider):
    key = providers.PRESETS[provider].key
    use_preset(settings, provider, **{key: SECRET})
    settings.LLM_MODEL_TEXT = "anthropic/claude-3-5-sonnet-20241022"

    (problem,) = gateway.describe_config()["problems"]

    assert "'anthropic/claude-3-5-sonnet-20241022' is an OpenRouter name" in problem
    assert "LLM_MODEL_TEXT" in problem
    # Behind a proxy (LLM_BASE_URL) the names are the proxy's business.
    settings.LLM_BASE_URL = "http://litellm.internal:4000/v1"
    assert gateway.describe_config()["problems"] == []


def test_gigachat_is_refused_saying_what_to_use_instead_in_russian_and_english(settings):
    settings.LLM_PROVIDER = "gigachat"

    (problem,) = gateway.describe_config()["problems"]

    assert "not supported directly" in problem
    assert "напрямую не поддерживается" in problem
    assert "gpt2giga" in problem
    assert "LLM_PROVIDER=openai_compatible" in problem
    assert gateway.llm_available() is False


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        ({}, "offline"),
        ({"OPENROUTER_API_KEY": "k"}, "openrouter"),
        ({"OPENAI_API_KEY": "k"}, "openai"),
        ({"ANTHROPIC_API_KEY": "k"}, "anthropic"),
        # Today's rules first: OpenRouter's key, then an explicit endpoint.
        ({"OPENROUTER_API_KEY": "k", "OPENAI_API_KEY": "k"}, "openrouter"),
        ({"OPENAI_API_KEY": "k", "LLM_BASE_URL": "http://x/v1"}, "openai_compatible"),
        ({"OPENAI_API_KEY": "k", "ANTHROPIC_API_KEY": "k"}, "openai"),
        # A key that names no endpoint: offline here, refused at startup (startup_problems).
        ({"LLM_API_KEY": "k"}, "offline"),
    ],
)
def test_the_provider_implied_by_the_keys(keys, expected):
    base = keys.pop("LLM_BASE_URL", "")

    assert providers.provider_default(keys=keys, llm_base_url=base) == expected


# --- a real call through each preset, to the fake server -------------------------------------
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("provider", "keys", "bearer"),
    [
        ("openai", {"OPENAI_API_KEY": SECRET}, SECRET),
        ("anthropic", {"ANTHROPIC_API_KEY": SECRET}, SECRET),
        # Ollama ignores the key; the SDK sends a placeholder rather than none.
        ("ollama", {}, "unused"),
        ("openrouter", {"OPENROUTER_API_KEY": SECRET}, SECRET),
    ],
)
async def test_a_call_through_the_preset_sends_its_model_and_key(
    fake_llm, settings, provider, keys, bearer
):
    use_preset(settings, provider, LLM_BASE_URL=fake_llm.base_url, **keys)
    fake_llm.enqueue(Reply.structured_output(said("Готово.")))

    completion = await asked(purpose="test", messages=MESSAGES)

    assert completion.text == "Готово."
    (request,) = fake_llm.requests
    assert request.path.endswith("/chat/completions")
    assert request.body["model"] == providers.PRESETS[provider].model_text
    assert header(request, "Authorization") == f"Bearer {bearer}"


@pytest.mark.django_db(transaction=True)
async def test_anthropic_streams_with_usage_and_returns_structured_output(fake_llm, settings):
    """What the chat and the texts need of Anthropic's compatibility layer: SSE with
    stream_options.include_usage, and a forced tool call for structured output."""
    use_preset(settings, "anthropic", ANTHROPIC_API_KEY=SECRET, LLM_BASE_URL=fake_llm.base_url)
    fake_llm.enqueue(Reply.answer("Расходы стабильны."))
    fake_llm.enqueue(Reply.structured_output({"verdict": "ok", "reason": "всё верно"}))

    events = [e async for e in gateway.stream(purpose="chat", messages=MESSAGES)]
    verdict, _ = await gateway.structured(purpose="text", messages=MESSAGES, response_model=Verdict)

    assert events[-1].completion.text == "Расходы стабильны."
    streamed, forced = fake_llm.chat_requests()
    assert streamed["stream_options"] == {"include_usage": True}
    assert streamed["model"] == forced["model"] == "claude-haiku-4-5"
    assert forced["tool_choice"]["function"]["name"] == "Verdict"
    assert verdict.verdict == "ok"
