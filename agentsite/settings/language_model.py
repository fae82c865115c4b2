"""The language model: provider presets, keys, models, retries, prices; refused if unworkable."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured

from llm import providers as llm_providers

from .base import env

# --- LLM ----------------------------------------------------------------------------------
# Providers are presets of the one seam (llm.providers): each an OpenAI-compatible endpoint,
# the key it needs and its default models. A configuration that cannot work stops the start
# (below), so a key that is set never leaves the service silently offline.
OPENROUTER_API_KEY = env.str("OPENROUTER_API_KEY", default="")
OPENAI_API_KEY = env.str("OPENAI_API_KEY", default="")
ANTHROPIC_API_KEY = env.str("ANTHROPIC_API_KEY", default="")
# The key of openai_compatible, and of any provider whose own key is not set.
LLM_API_KEY = env.str("LLM_API_KEY", default="")
# Wins over the provider's own endpoint (a proxy, a test server).
LLM_BASE_URL = env.str("LLM_BASE_URL", default="")
OLLAMA_BASE_URL = env.str("OLLAMA_BASE_URL", default="")
_llm_keys = {
    "OPENROUTER_API_KEY": OPENROUTER_API_KEY,
    "OPENAI_API_KEY": OPENAI_API_KEY,
    "ANTHROPIC_API_KEY": ANTHROPIC_API_KEY,
    "LLM_API_KEY": LLM_API_KEY,
}
_llm_provider_given = env.str("LLM_PROVIDER", default="")
# Unset: the provider whose key is set (llm.providers.provider_default), else offline.
LLM_PROVIDER = llm_providers.provider_normalise(
    value=_llm_provider_given
) or llm_providers.provider_default(keys=_llm_keys, llm_base_url=LLM_BASE_URL)
_llm_preset = llm_providers.PRESETS.get(LLM_PROVIDER, llm_providers.PRESETS["offline"])
LLM_MODEL_TEXT = env.str("LLM_MODEL_TEXT", default=_llm_preset.model_text)
LLM_MODEL_VISION = env.str("LLM_MODEL_VISION", default=_llm_preset.model_vision)
LLM_FALLBACK_MODELS = env.list("LLM_FALLBACK_MODELS", default=[])
# Models that accept images; a vision call is only ever routed to one of these.
LLM_VISION_MODELS = env.list("LLM_VISION_MODELS", default=[]) or [LLM_MODEL_VISION]
LLM_TIMEOUT_S = env.float("LLM_TIMEOUT_S", default=20.0)
# Personal data kept from the model (llm.pii): public IPv4/IPv6 addresses too, unless off.
PII_SCRUB_PUBLIC_IPS = env.bool("PII_SCRUB_PUBLIC_IPS", default=True)
LLM_MAX_CONNECTIONS = env.int("LLM_MAX_CONNECTIONS", default=1000)
LLM_MAX_RETRIES = env.int("LLM_MAX_RETRIES", default=2)
LLM_RETRY_BASE_S = env.float("LLM_RETRY_BASE_S", default=0.5)
LLM_RETRY_MAX_S = env.float("LLM_RETRY_MAX_S", default=8.0)
# USD per million tokens (input, output), used when the provider reports no cost.
LLM_PRICES = env.json(
    "LLM_PRICES_JSON",
    default={
        "openai/gpt-4o-mini": [0.15, 0.60],
        "gpt-4o-mini": [0.15, 0.60],
        "openai/gpt-4o": [2.50, 10.00],
        "gpt-4o": [2.50, 10.00],
        "anthropic/claude-3-5-sonnet-20241022": [3.00, 15.00],
        "anthropic/claude-3.5-sonnet": [3.00, 15.00],
        "claude-haiku-4-5": [1.00, 5.00],
    },
)
_llm_problems = llm_providers.startup_problems(
    provider_given=bool(_llm_provider_given.strip()),
    provider=LLM_PROVIDER,
    keys=_llm_keys,
    llm_base_url=LLM_BASE_URL,
    ollama_base_url=OLLAMA_BASE_URL,
    models=[LLM_MODEL_TEXT, LLM_MODEL_VISION, *LLM_FALLBACK_MODELS],
)
if _llm_problems:
    # In every environment: a dev start on a broken configuration would only look online.
    raise ImproperlyConfigured(
        "The language model configuration cannot work: " + "; ".join(_llm_problems)
    )
