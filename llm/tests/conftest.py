from __future__ import annotations

import pytest

from llm.fake_server import FakeLLMServer


@pytest.fixture
def fake_llm(settings):
    """A running fake server with the gateway pointed at it and fast, small retries."""
    with FakeLLMServer(default=None) as server:
        settings.LLM_PROVIDER = "openai_compatible"
        settings.LLM_BASE_URL = server.base_url
        settings.LLM_API_KEY = "test-key"
        settings.OPENROUTER_API_KEY = ""
        settings.LLM_MODEL_TEXT = "text/primary"
        settings.LLM_MODEL_VISION = "vision/primary"
        settings.LLM_VISION_MODELS = ["vision/primary", "vision/backup"]
        settings.LLM_FALLBACK_MODELS = []
        settings.LLM_TIMEOUT_S = 2.0
        settings.LLM_MAX_RETRIES = 2
        settings.LLM_RETRY_BASE_S = 0.01
        settings.LLM_RETRY_MAX_S = 0.05
        settings.LLM_PRICES = {"text/primary": [1.0, 2.0], "text/backup": [10.0, 20.0]}
        yield server
