"""Readiness checks: each one real, timed, and reported on its own."""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict, dataclass, field

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import connections

from core.db_router import agent_alias, databases_separate, infrazen_alias
from core.shutdown import shutting_down
from llm import gateway


@dataclass
class Check:
    name: str
    ok: bool
    required: bool
    latency_ms: float
    detail: dict = field(default_factory=dict)


def _timed(name: str, required: bool, probe) -> Check:
    started = time.perf_counter()
    try:
        detail = probe() or {}
        ok = True
    except Exception as exc:  # noqa: BLE001 - a failing dependency is a check result, not a crash
        detail, ok = {"error": type(exc).__name__}, False
    return Check(name, ok, required, round((time.perf_counter() - started) * 1000, 2), detail)


def _database(alias: str) -> dict:
    connection = connections[alias]
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return {"vendor": connection.vendor}


def _databases() -> list[Check]:
    """InfraZen's database, and the agent's own when it is apart: the service needs both."""
    checks = [_timed("database", True, lambda: _database(infrazen_alias()))]
    if databases_separate():
        checks.append(_timed("agent_database", True, lambda: _database(agent_alias())))
    return checks


def _channel_layer() -> dict:
    layer = get_channel_layer()

    async def round_trip() -> None:
        # The default prefix: channels_redis reads every process-local channel through one
        # list per prefix, so a channel of its own prefix would wait behind the sockets'.
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "readiness.ping"})
        await asyncio.wait_for(layer.receive(channel), timeout=2.0)

    # On the server's own event loop (async_to_sync from the view's thread gets there):
    # channels_redis refuses a receive() from a second loop while an open chat socket is
    # receiving on the first one, so a fresh loop here failed readiness on every busy worker.
    async_to_sync(round_trip)()
    return {"backend": _backend_name(layer)}


def _backend_name(layer: object) -> str:
    """The Channels backend the layer is built on (the chat's layers extend Channels' own)."""
    for cls in type(layer).__mro__:
        if cls.__module__.split(".")[0] in ("channels", "channels_redis"):
            return cls.__name__
    return type(layer).__name__


def _llm() -> Check:
    # Not timed through _timed: the configuration is reported even when it is wrong.
    started = time.perf_counter()
    summary = gateway.describe_config()
    latency_ms = round((time.perf_counter() - started) * 1000, 2)
    return Check("llm", not summary["problems"], False, latency_ms, summary)


def _serving() -> Check:
    # False from a deploy's SIGTERM on: running answers finish, new work goes elsewhere.
    stopping = shutting_down()
    return Check("serving", not stopping, True, 0.0, {"shutting_down": stopping})


def readiness_checks() -> list[dict]:
    checks = [
        _serving(),
        *_databases(),
        _timed("channel_layer", True, _channel_layer),
        _llm(),
    ]
    return [asdict(c) for c in checks]
