"""InfraZen's agent env either starts the service on the provider it names (or whose key it
holds), with that provider's models, or stops the start with a message naming the key.

Settings are read at import time, so each case starts Django in a subprocess with its own
environment, as systemd would with the env file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SECRET = "sk-startup-secret-4711"
# Keys this module sets; the surrounding shell's are dropped so the cases mean the same
# everywhere.
OWN = (
    "LLM_",
    "OPENROUTER_API_KEY",
    "OPENAI_API_KEY",
    "ANTHROPIC_API_KEY",
    "OLLAMA_BASE_URL",
    "VECTOR_STORE",
    "LOG_LEVEL",
    "AGENT_",
    "DEBUG",
    "DJANGO_SECRET_KEY",
)
PRODUCTION = {
    "AGENT_ENV": "prod",
    "AGENT_SERVICE_JWT_SECRET": "a-real-shared-secret-from-the-infrazen-app",
    "DJANGO_SECRET_KEY": "p7Qv2-hWc9xLk4mZ8rT1bN6yF3sJ0dGa5eUoKiYwXqVnHtRlCz",
}
SHOW = (
    "import django, json; django.setup(); from django.conf import settings; "
    "from llm.gateway import describe_config; "
    "print(json.dumps({'llm': describe_config(), 'LOG_LEVEL': settings.LOG_LEVEL, "
    "'VECTOR_STORE': settings.VECTOR_STORE}))"
)


def _environment(env: dict[str, str]) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(OWN)}
    # The embedded SQLite (pass 2 exports MariaDB's URLs; production on MySQL without the
    # agent's own database refuses to start, ops/tests/test_production_settings.py).
    clean.pop("DATABASE_URL", None)
    clean.pop("AGENT_DATABASE_URL", None)
    return {**clean, "DJANGO_SETTINGS_MODULE": "agentsite.settings", **env}


def run(command: list[str], **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        command,
        cwd=ROOT,
        env=_environment(env),
        capture_output=True,
        text=True,
        timeout=60,
    )


def started(**env: str) -> dict:
    result = run([sys.executable, "-c", SHOW], **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def refused(**env: str) -> str:
    """The refusal's message, from `manage.py check` as an operator would run it."""
    result = run([sys.executable, "manage.py", "check"], **env)
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert SECRET not in result.stderr + result.stdout
    return result.stderr


@pytest.mark.parametrize(
    ("env", "provider", "host", "models", "key_from"),
    [
        ({}, "offline", None, ("openai/gpt-4o-mini", "openai/gpt-4o"), None),
        (
            {"OPENROUTER_API_KEY": SECRET},
            "openrouter",
            "openrouter.ai",
            ("openai/gpt-4o-mini", "openai/gpt-4o"),
            "OPENROUTER_API_KEY",
        ),
        (
            {"OPENAI_API_KEY": SECRET},
            "openai",
            "api.openai.com",
            ("gpt-4o-mini", "gpt-4o"),
            "OPENAI_API_KEY",
        ),
        (
            {"ANTHROPIC_API_KEY": SECRET},
            "anthropic",
            "api.anthropic.com",
            ("claude-haiku-4-5", "claude-haiku-4-5"),
            "ANTHROPIC_API_KEY",
        ),
        (
            {"LLM_PROVIDER": "Ollama"},
            "ollama",
            "127.0.0.1",
            ("llama3.1", "llama3.2-vision"),
            None,
        ),
        (
            {"LLM_BASE_URL": "http://127.0.0.1:8090/v1", "LLM_API_KEY": SECRET},
            "openai_compatible",
            "127.0.0.1",
            ("openai/gpt-4o-mini", "openai/gpt-4o"),
            "LLM_API_KEY",
        ),
    ],
)
def test_the_env_starts_the_provider_it_implies_with_its_models(
    env, provider, host, models, key_from
):
    llm = started(**env)["llm"]

    assert llm["provider"] == provider
    assert llm["base_url_host"] == host
    assert (llm["model_text"], llm["model_vision"]) == models
    assert llm["api_key_from"] == key_from
    assert llm["problems"] == []
    assert llm["offline"] is (provider == "offline")
    assert SECRET not in json.dumps(llm)


def test_infrazens_production_env_starts_on_openrouter_with_its_own_models():
    """The old agent's env file as production had it (contract §4.4, §5)."""
    shown = started(
        **PRODUCTION,
        AGENT_PORT="8001",
        LOG_LEVEL="info",
        LLM_PROVIDER="openrouter",
        LLM_MODEL_TEXT="anthropic/claude-3-5-sonnet-20241022",
        LLM_MODEL_VISION="anthropic/claude-3-5-sonnet-20241022",
        OPENROUTER_API_KEY=SECRET,
        OPENAI_API_KEY="",
        ANTHROPIC_API_KEY="",
        REDIS_URL="",
        VECTOR_STORE="chroma",
        AGENT_INTERNAL_API_BASE="http://127.0.0.1:5001/internal",
    )

    assert shown["llm"]["provider"] == "openrouter"
    assert shown["llm"]["model_text"] == "anthropic/claude-3-5-sonnet-20241022"
    assert shown["llm"]["problems"] == []
    assert shown["LOG_LEVEL"] == "INFO"
    assert shown["VECTOR_STORE"] == "chroma"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"LLM_PROVIDER": "anthropic"}, "LLM_PROVIDER=anthropic needs ANTHROPIC_API_KEY"),
        ({"LLM_PROVIDER": "openai"}, "LLM_PROVIDER=openai needs OPENAI_API_KEY"),
        ({"LLM_PROVIDER": "openrouter"}, "LLM_PROVIDER=openrouter needs OPENROUTER_API_KEY"),
        ({"LLM_PROVIDER": "openai_compatible"}, "needs LLM_BASE_URL"),
        ({"LLM_PROVIDER": "mistral", "OPENAI_API_KEY": SECRET}, "unknown LLM_PROVIDER 'mistral'"),
        ({"LLM_API_KEY": SECRET}, "LLM_API_KEY is set but nothing says where to use it"),
        (
            {
                "LLM_PROVIDER": "openai",
                "OPENAI_API_KEY": SECRET,
                "LLM_MODEL_TEXT": "openai/gpt-4o-mini",
            },
            "'openai/gpt-4o-mini' is an OpenRouter name that api.openai.com refuses",
        ),
        ({"LLM_PROVIDER": "ollama", "OLLAMA_BASE_URL": "gpu-box:11434"}, "OLLAMA_BASE_URL"),
    ],
)
def test_an_env_that_cannot_work_refuses_to_start_naming_the_key(env, named):
    assert named in refused(**env)


def test_production_refuses_a_provider_without_its_key_among_its_other_rules():
    stderr = refused(**PRODUCTION, LLM_PROVIDER="anthropic")

    assert "LLM_PROVIDER=anthropic needs ANTHROPIC_API_KEY" in stderr


def test_gigachat_refuses_to_start_saying_what_to_use_instead():
    stderr = refused(LLM_PROVIDER="gigachat", LLM_API_KEY=SECRET)

    assert "GigaChat напрямую не поддерживается" in stderr
    assert "not supported directly" in stderr
    assert "gpt2giga" in stderr


def test_explicit_offline_with_a_key_set_starts_offline():
    llm = started(LLM_PROVIDER="offline", LLM_API_KEY=SECRET)["llm"]

    assert llm["offline"] is True and llm["problems"] == []


@pytest.mark.parametrize("value", ["", "none", "chroma", "pgvector", "FAISS", "bm25"])
def test_vector_store_values_of_the_old_env_are_accepted_and_change_nothing(value):
    assert started(VECTOR_STORE=value)["VECTOR_STORE"] == value.lower()


def test_a_vector_store_the_service_does_not_have_is_refused():
    assert "VECTOR_STORE='weaviate' is not supported" in refused(VECTOR_STORE="weaviate")


def test_log_level_is_read_in_any_case_and_an_unknown_one_is_refused():
    assert started(LOG_LEVEL="debug")["LOG_LEVEL"] == "DEBUG"
    assert "LOG_LEVEL='verbose' is not a log level" in refused(LOG_LEVEL="verbose")


def test_agent_port_is_the_launchers_and_never_stops_the_settings():
    assert started(AGENT_PORT="not-a-port")["llm"]["provider"] == "offline"
