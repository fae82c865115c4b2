"""Which provider, endpoint, key and models a call uses, read from settings at call time.

The presets and their rules are llm.providers (plain data, also used by the settings at
startup); this module applies them to Django's settings of this moment, reports the result
for /v1/readiness, and routes a call that carries images to the vision-capable models.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlparse

from django.conf import settings

from llm import providers
from llm.errors import LLMUnavailable

OFFLINE = providers.OFFLINE


@dataclass(frozen=True)
class Route:
    provider: str
    base_url: str
    api_key: str
    api_key_from: str | None  # the setting's name, never its value


def _keys() -> dict[str, str]:
    return {name: getattr(settings, name, "") for name in providers.KEY_SETTINGS}


def route() -> Route:
    """The provider's endpoint and key (llm.providers), from the settings of this moment."""
    provider = providers.provider_normalise(value=settings.LLM_PROVIDER or OFFLINE)
    keys = _keys()
    return Route(
        provider=provider,
        base_url=providers.base_url(
            provider=provider,
            llm_base_url=settings.LLM_BASE_URL,
            ollama_base_url=settings.OLLAMA_BASE_URL,
        ),
        api_key=providers.api_key(provider=provider, keys=keys),
        api_key_from=providers.api_key_source(provider=provider, keys=keys),
    )


def _problems(route: Route) -> list[str]:
    problems = providers.provider_problems(
        provider=route.provider,
        keys=_keys(),
        llm_base_url=settings.LLM_BASE_URL,
        ollama_base_url=settings.OLLAMA_BASE_URL,
        models=[settings.LLM_MODEL_TEXT, settings.LLM_MODEL_VISION, *settings.LLM_FALLBACK_MODELS],
    )
    if route.provider == OFFLINE or route.provider not in providers.PRESETS:
        return problems
    if not settings.LLM_MODEL_TEXT:
        problems.append("LLM_MODEL_TEXT is empty")
    if settings.LLM_MODEL_VISION not in settings.LLM_VISION_MODELS:
        problems.append("LLM_MODEL_VISION is not listed in LLM_VISION_MODELS")
    if settings.LLM_TIMEOUT_S <= 0:
        problems.append("LLM_TIMEOUT_S must be positive")
    if settings.LLM_MAX_RETRIES < 0:
        problems.append("LLM_MAX_RETRIES must not be negative")
    return problems


def describe_config() -> dict:
    """The LLM configuration for /v1/readiness and the startup log. Never contains keys:
    `api_key_from` names the setting the key is read from."""
    current = route()
    return {
        "provider": current.provider,
        "model_text": settings.LLM_MODEL_TEXT,
        "model_vision": settings.LLM_MODEL_VISION,
        "fallback_models": list(settings.LLM_FALLBACK_MODELS),
        "offline": current.provider == OFFLINE,
        "base_url_host": urlparse(current.base_url).hostname if current.base_url else None,
        "api_key_from": current.api_key_from,
        "problems": _problems(current),
    }


def llm_available() -> bool:
    """False when calls would fail without trying: offline or misconfigured."""
    current = route()
    return current.provider != OFFLINE and not _problems(current)


def available_route() -> Route:
    current = route()
    if current.provider == OFFLINE:
        raise LLMUnavailable("the language model is switched off", retryable=False)
    if _problems(current):
        raise LLMUnavailable("the language model is misconfigured", retryable=False)
    return current


def wants_vision(messages: list[dict]) -> bool:
    for message in messages:
        content = message.get("content")
        if isinstance(content, list) and any(
            isinstance(part, dict) and part.get("type") == "image_url" for part in content
        ):
            return True
    return False


def models_for(*, model: str | None, vision: bool) -> list[str]:
    """The primary model and its fallbacks; for a vision call only the vision-capable ones."""
    primary = model or (settings.LLM_MODEL_VISION if vision else settings.LLM_MODEL_TEXT)
    chain = list(dict.fromkeys([primary, *settings.LLM_FALLBACK_MODELS]))
    if vision:
        capable = set(settings.LLM_VISION_MODELS)
        chain = [m for m in chain if m in capable]
        if not chain:
            raise LLMUnavailable("no vision-capable model is configured", retryable=False)
    return chain
