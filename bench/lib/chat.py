"""Chat sessions for the load: their paths and tokens, the service's environment, the
WebSocket client, and how late this process's event loop runs."""

from __future__ import annotations

import asyncio
import os
import secrets
import time

from .django_env import clone_recommendations
from .limits import UNLIMITED_ENV

QUESTIONS = (
    "Что это за рекомендация?",
    "Сколько я сэкономлю в месяц и в год?",
    "Какие есть альтернативы?",
    "Какие риски и сколько работы?",
    "Дай пошаговый план.",
)
ANALYTICS_QUESTIONS = (
    "Как менялись мои расходы?",
    "Были ли аномалии?",
    "Какие сервисы дороже всего?",
    "Что из рекомендаций самое выгодное?",
    "Сколько я трачу в день?",
)


def jwt_secret_new() -> str:
    """A fresh chat token secret, set in this process too (the tokens are minted here)."""
    secret = secrets.token_urlsafe(32)
    os.environ["AGENT_SERVICE_JWT_SECRET"] = secret
    return secret


def chat_env(
    *, database_url: str, secret: str, model_url: str | None = None, redis_url: str | None = None
) -> dict[str, str]:
    """The service's environment for a chat benchmark: the model at `model_url`, or the
    offline assistant; the in-memory channel layer unless `redis_url` ("" forces it)."""
    env = {
        "DATABASE_URL": database_url,
        "AGENT_SERVICE_JWT_SECRET": secret,
        **UNLIMITED_ENV,
    }
    if redis_url is not None:
        env["REDIS_URL"] = redis_url
    if model_url is None:
        return env | {"LLM_PROVIDER": "offline"}
    return env | {
        "LLM_PROVIDER": "openai_compatible",
        "LLM_BASE_URL": model_url,
        "LLM_API_KEY": "bench",
        "LLM_FALLBACK_MODELS": "",
    }


def session_paths(*, count: int, analytics_every: int, secret: str) -> list[dict]:
    """`count` connections, each its own chat session: distinct recommendations (cloned
    from the demo set as needed) and, every `analytics_every`-th, a distinct analytics
    range. Tokens are minted as the InfraZen app mints them."""
    from chat.flask_tokens import chat_token_mint_for_tests
    from infrazen.models import OptimizationRecommendation

    analytics = count // analytics_every if analytics_every else 0
    ids = clone_recommendations(count - analytics)
    recommendations = OptimizationRecommendation.objects.filter(pk__in=ids)
    owners = dict(recommendations.values_list("pk", "resource__provider__user"))
    users = sorted(set(owners.values()))
    paths = []
    rec_ids = iter(ids)
    for index in range(count):
        if analytics_every and index % analytics_every == analytics_every - 1:
            user_id = users[index % len(users)]
            # One session per (user, context): a distinct range per connection.
            token = chat_token_mint_for_tests(
                user_id=user_id,
                scenario="analytics",
                time_range_days=7 + index,
                secret=secret,
            )
            paths.append({"scenario": "analytics", "path": f"/v1/chat/analytics?token={token}"})
        else:
            rec_id = next(rec_ids)
            token = chat_token_mint_for_tests(
                user_id=owners[rec_id], recommendation_id=rec_id, secret=secret
            )
            paths.append(
                {"scenario": "recommendation", "path": f"/v1/chat/rec/{rec_id}?token={token}"}
            )
    return paths


def ws_connect(port: int, path: str):
    from websockets.asyncio.client import connect

    # No compression (daphne does not negotiate it); no client pings (daphne sends its own).
    return connect(
        f"ws://127.0.0.1:{port}{path}",
        compression=None,
        ping_interval=None,
        open_timeout=60,
        max_queue=256,
    )


class LoopLag:
    """How late this process's event loop wakes a 10 ms sleeper: is the client keeping up?"""

    def __init__(self) -> None:
        self.lags_ms: list[float] = []
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        while True:
            started = time.monotonic()
            await asyncio.sleep(0.01)
            self.lags_ms.append((time.monotonic() - started - 0.01) * 1000)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
