"""The model providers the service knows, as presets of the one seam (llm.gateway).

Every provider here speaks OpenAI's chat completions protocol, so a preset is only an
endpoint, the setting its key is read from, and default model names. Plain data and
functions of plain values: `agentsite/settings/` uses them at startup to choose the
provider and its models and to refuse a configuration that cannot work, and the gateway
applies the same rules at call time. Nothing here reads Django's settings.

GigaChat is refused rather than preset: its API is not OpenAI's (see GIGACHAT_REFUSAL).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlparse

OFFLINE = "offline"
OPENAI_COMPATIBLE = "openai_compatible"
# Read for every provider whose own key is not set (the only key of openai_compatible).
GENERIC_KEY = "LLM_API_KEY"
KEY_SETTINGS = ("OPENROUTER_API_KEY", "OPENAI_API_KEY", "ANTHROPIC_API_KEY", GENERIC_KEY)


@dataclass(frozen=True)
class Preset:
    base_url: str
    key: str | None  # the setting holding its API key; None: the endpoint needs none
    model_text: str
    model_vision: str
    # The endpoint takes its own model names only: an OpenRouter name such as
    # "openai/gpt-4o-mini" (InfraZen's old defaults) is refused by it with a 404.
    plain_model_names: bool = False


PRESETS: dict[str, Preset] = {
    "openrouter": Preset(
        "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", "openai/gpt-4o-mini", "openai/gpt-4o"
    ),
    "openai": Preset(
        "https://api.openai.com/v1",
        "OPENAI_API_KEY",
        "gpt-4o-mini",
        "gpt-4o",
        plain_model_names=True,
    ),
    # Anthropic's OpenAI SDK compatibility layer (docs.anthropic.com/en/api/openai-sdk), which
    # Anthropic calls a way to test models rather than a production API. What it does with
    # our requests: tools and tool_choice work, but `strict` is ignored (structured() checks
    # every answer with the Pydantic model and re-asks anyway); stream and
    # stream_options.include_usage work; temperature is capped at 1 (we send 0.25-0.7);
    # response_format is ignored (unused here: structured output is a forced tool call);
    # system messages are joined into one at the start. Claude Haiku 4.5 reads images; that
    # the layer takes them as image_url data URLs (our screenshots) is not in the part of its
    # field table we could read, so a screenshot question here is untested against the real
    # endpoint.
    "anthropic": Preset(
        "https://api.anthropic.com/v1/",
        "ANTHROPIC_API_KEY",
        "claude-haiku-4-5",
        "claude-haiku-4-5",
        plain_model_names=True,
    ),
    # A local Ollama (OLLAMA_BASE_URL elsewhere). llama3.1 calls tools; llama3.2-vision reads
    # images. Both must be pulled first (`ollama pull`), or calls fail as "model not found".
    "ollama": Preset("http://127.0.0.1:11434/v1", None, "llama3.1", "llama3.2-vision"),
    # Any other OpenAI-compatible server at LLM_BASE_URL (vLLM, LiteLLM, gpt2giga, ...).
    OPENAI_COMPATIBLE: Preset("", GENERIC_KEY, "openai/gpt-4o-mini", "openai/gpt-4o"),
    OFFLINE: Preset("", None, "openai/gpt-4o-mini", "openai/gpt-4o"),
}

# Named in InfraZen's product description (LLM_PROVIDER=...|gigachat) but not a preset: its
# chat API is close to OpenAI's only in shape. Tools are GigaChat `functions` (one call per
# answer, arguments as an object, no tool_calls), images are files uploaded first and
# referenced by id, the bearer token is a 30-minute OAuth exchange, and its hosts use the
# Russian Ministry of Digital Development's root CA. The chat's tools, the structured texts
# and screenshots would each need a second protocol inside the seam; the gpt2giga proxy
# (github.com/ai-forever/gpt2giga) already translates all of it, OAuth included.
GIGACHAT_REFUSAL = (
    "LLM_PROVIDER=gigachat is not supported directly: GigaChat's API is not OpenAI-compatible "
    "(functions instead of tools, images as uploaded files, OAuth tokens). Run the gpt2giga "
    "proxy with your GIGACHAT_CREDENTIALS and set LLM_PROVIDER=openai_compatible "
    "LLM_BASE_URL=http://127.0.0.1:8090/v1 (its address), or choose openrouter, openai, "
    "anthropic or ollama. / GigaChat напрямую не поддерживается: его API несовместим с OpenAI "
    "(functions вместо tools, изображения через загрузку файлов, OAuth-токены). Запустите прокси "
    "gpt2giga с вашими GIGACHAT_CREDENTIALS и задайте LLM_PROVIDER=openai_compatible и "
    "LLM_BASE_URL=http://127.0.0.1:8090/v1 (адрес прокси) или выберите openrouter, openai, "
    "anthropic или ollama."
)
REFUSED = {"gigachat": GIGACHAT_REFUSAL}


def provider_normalise(*, value: str) -> str:
    return value.strip().lower()


def provider_default(*, keys: Mapping[str, str], llm_base_url: str) -> str:
    """The provider when LLM_PROVIDER is not set: the one whose key is set. OpenRouter first
    and then an explicit LLM_BASE_URL, as before; offline only when no key is set at all
    (LLM_API_KEY alone names no endpoint: provider_problems says so)."""
    if keys.get("OPENROUTER_API_KEY"):
        return "openrouter"
    if llm_base_url:
        return OPENAI_COMPATIBLE
    if keys.get("OPENAI_API_KEY"):
        return "openai"
    if keys.get("ANTHROPIC_API_KEY"):
        return "anthropic"
    return OFFLINE


def ollama_url(*, value: str) -> str:
    """OLLAMA_BASE_URL as Ollama users write it (http://host:11434) or with its /v1."""
    value = value.strip().rstrip("/")
    if value and urlparse(value).path in ("", "/"):
        return value + "/v1"
    return value


def base_url(*, provider: str, llm_base_url: str, ollama_base_url: str) -> str:
    """LLM_BASE_URL wins over every preset's own endpoint."""
    if llm_base_url:
        return llm_base_url
    if provider == "ollama" and ollama_base_url:
        return ollama_url(value=ollama_base_url)
    preset = PRESETS.get(provider)
    return preset.base_url if preset else ""


def api_key_source(*, provider: str, keys: Mapping[str, str]) -> str | None:
    """The name of the setting the key is read from (its own, else LLM_API_KEY), or None."""
    preset = PRESETS.get(provider)
    if preset is None or provider == OFFLINE:
        return None
    if preset.key and keys.get(preset.key):
        return preset.key
    if keys.get(GENERIC_KEY):
        return GENERIC_KEY
    return None


def api_key(*, provider: str, keys: Mapping[str, str]) -> str:
    source = api_key_source(provider=provider, keys=keys)
    return keys.get(source, "") if source else ""


def provider_problems(
    *,
    provider: str,
    keys: Mapping[str, str],
    llm_base_url: str,
    ollama_base_url: str = "",
    models: Sequence[str] = (),
) -> list[str]:
    """Why this provider configuration cannot work, one sentence each naming the key to set.

    `models`: every model name that may be sent (text, vision, fallbacks).
    """
    if provider in REFUSED:
        return [REFUSED[provider]]
    if provider not in PRESETS:
        known = ", ".join(sorted(PRESETS))
        return [f"unknown LLM_PROVIDER {provider!r} (known: {known})"]
    if provider == OFFLINE:
        return []
    preset = PRESETS[provider]
    problems = []
    if preset.key and not api_key(provider=provider, keys=keys):
        problems.append(f"LLM_PROVIDER={provider} needs {preset.key}")
    if provider == OPENAI_COMPATIBLE and not llm_base_url:
        problems.append(f"LLM_PROVIDER={OPENAI_COMPATIBLE} needs LLM_BASE_URL")
    url = base_url(provider=provider, llm_base_url=llm_base_url, ollama_base_url=ollama_base_url)
    if url and urlparse(url).scheme not in ("http", "https"):
        name = "OLLAMA_BASE_URL" if url != llm_base_url else "LLM_BASE_URL"
        problems.append(f"{name} must be an http(s) URL")
    if preset.plain_model_names and not llm_base_url:
        host = urlparse(preset.base_url).hostname
        for model in dict.fromkeys(models):
            if "/" in model:
                plain = model.rsplit("/", 1)[1]
                problems.append(
                    f"model {model!r} is an OpenRouter name that {host} refuses: set "
                    f"LLM_MODEL_TEXT / LLM_MODEL_VISION / LLM_FALLBACK_MODELS to its own "
                    f"names (e.g. {plain!r}), or unset them for the {provider} defaults"
                )
    return problems


def startup_problems(
    *,
    provider_given: bool,
    provider: str,
    keys: Mapping[str, str],
    llm_base_url: str,
    ollama_base_url: str,
    models: Sequence[str],
) -> list[str]:
    """What stops the process at startup: provider_problems, and a key that no provider
    uses. With LLM_PROVIDER unset and only LLM_API_KEY set, the service would run offline
    while its operator believes the key is in use; LLM_PROVIDER=offline says so on purpose."""
    problems = provider_problems(
        provider=provider,
        keys=keys,
        llm_base_url=llm_base_url,
        ollama_base_url=ollama_base_url,
        models=models,
    )
    if not provider_given and provider == OFFLINE and keys.get(GENERIC_KEY):
        problems.append(
            f"{GENERIC_KEY} is set but nothing says where to use it: set LLM_PROVIDER "
            f"(openai, anthropic, openrouter, ...) or LLM_BASE_URL, or unset {GENERIC_KEY}"
        )
    return problems
