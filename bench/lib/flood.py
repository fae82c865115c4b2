"""The history flood of bench/replay_flood.py: flooder sockets in a process of their own,
their long chats, and what the worker logged about them.

    python -m bench.lib.flood OUT_JSON --port P --paths-file F --start-at T --duration-s S
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import resource
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from . import ROOT
from .chat import QUESTIONS, ws_connect
from .fake_models import WORDS

FLOOD_CLOSE_LOGGED = "chat socket closed for flooding"  # chat.consumers' warning
HISTORY_FRAME = json.dumps({"type": "history", "after": 0})
# Server frames start with their type (json.dumps keeps the dict's order).
MESSAGE_PREFIXES = ('{"type": "user"', '{"type": "assistant"')


@dataclass
class FloodStats:
    connections: int = 0
    connect_failures: int = 0
    frames_sent: int = 0
    message_frames: int = 0
    system_frames: int = 0
    other_frames: int = 0
    errors: Counter = field(default_factory=Counter)
    closes: Counter = field(default_factory=Counter)
    # Seconds from the flood's start to each server close the flooder saw.
    closed_at_s: list[float] = field(default_factory=list)


async def _flood_read(ws, stats: FloodStats) -> None:
    from websockets.exceptions import ConnectionClosed

    try:
        async for message in ws:
            if message.startswith(MESSAGE_PREFIXES):
                stats.message_frames += 1
            elif message.startswith('{"type": "system"'):
                stats.system_frames += 1
            elif message.startswith('{"type": "error"'):
                stats.errors[json.loads(message).get("code")] += 1
            else:
                stats.other_frames += 1
    except ConnectionClosed:
        pass


async def _flood_socket(
    port: int, path: str, start_at: float, until: float, stats: FloodStats
) -> None:
    from websockets.exceptions import ConnectionClosed, WebSocketException

    while time.monotonic() < until:
        try:
            async with ws_connect(port, path) as ws:
                stats.connections += 1
                reader = asyncio.create_task(_flood_read(ws, stats))
                try:
                    while time.monotonic() < until and not reader.done():
                        await ws.send(HISTORY_FRAME)
                        stats.frames_sent += 1
                        if stats.frames_sent % 32 == 0:
                            # Let the reader (and the other flooders) run now and then.
                            await asyncio.sleep(0)
                except ConnectionClosed:
                    pass
                ours = time.monotonic() >= until and not reader.done()
                if ours:
                    await ws.close()
                await reader
                code = ws.close_code if ws.close_code is not None else "none"
                stats.closes["1000 (the flooder's, at the end)" if ours else str(code)] += 1
                if not ours:
                    stats.closed_at_s.append(round(time.monotonic() - start_at, 2))
        except (OSError, TimeoutError, WebSocketException):
            stats.connect_failures += 1
            await asyncio.sleep(0.01)


async def _flood(port: int, paths: list[str], start_at: float, duration_s: float) -> FloodStats:
    await asyncio.sleep(max(0.0, start_at - time.monotonic()))
    stats = FloodStats()
    until = start_at + duration_s
    await asyncio.gather(*(_flood_socket(port, path, start_at, until, stats) for path in paths))
    return stats


def flooder_serve(*, port: int, paths: list[str], start_at: float, duration_s: float, out: Path):
    started = time.monotonic()
    stats = asyncio.run(_flood(port, paths, start_at, duration_s))
    usage = resource.getrusage(resource.RUSAGE_SELF)
    result = {
        **{k: v for k, v in stats.__dict__.items() if not isinstance(v, Counter)},
        "errors": dict(stats.errors),
        "closes": dict(stats.closes),
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "wall_s": time.monotonic() - started,
    }
    out.write_text(json.dumps(result))


# --- the database ------------------------------------------------------------------------------
def flooder_sessions_fill(paths: list[str], *, stored: int) -> None:
    """Each path's recommendation chat made active with `stored` messages, as a long chat
    would be: questions and answers in turn, a second apart."""
    from chat.services import STATUS_ACTIVE
    from infrazen.clock import utc_now
    from infrazen.models import ChatMessage, ChatSession, OptimizationRecommendation

    rng = random.Random(3)
    for path in paths:
        rec_id = int(re.search(r"/v1/chat/rec/([0-9]+)", path).group(1))
        owner = OptimizationRecommendation.objects.values_list(
            "resource__provider__user", flat=True
        ).get(pk=rec_id)
        start = utc_now() - timedelta(seconds=stored + 60)
        session = ChatSession.objects.create(
            id=str(uuid.uuid4()),
            user_id=owner,
            recommendation_id=rec_id,
            scenario=ChatSession.SCENARIO_RECOMMENDATION,
            context="{}",
            created_at=start,
            last_activity_at=start + timedelta(seconds=stored),
            message_count=stored,
            status=STATUS_ACTIVE,
        )
        messages = []
        for index in range(stored):
            if index % 2 == 0:
                role, content = "user", QUESTIONS[index // 2 % len(QUESTIONS)]
            else:
                first = rng.randrange(len(WORDS))
                words = [WORDS[(first + i) % len(WORDS)] for i in range(rng.randint(60, 120))]
                role, content = "assistant", " ".join(words)
            messages.append(
                ChatMessage(
                    session_id=session.pk,
                    role=role,
                    content=content,
                    created_at=start + timedelta(seconds=index),
                )
            )
        ChatMessage.objects.bulk_create(messages)


def flooder_spawn(
    *, port: int, paths: list[str], start_at: float, name: str, seconds: float, run_dir: Path
):
    """A flooder process for one phase: (the process, where its figures go)."""
    out = run_dir / f"{name}.json"
    spec = run_dir / f"{name}_paths.json"
    spec.write_text(json.dumps(paths))
    command = [
        sys.executable,
        "-m",
        "bench.lib.flood",
        str(out),
        "--port",
        str(port),
        "--paths-file",
        str(spec),
        "--start-at",
        repr(start_at),
        "--duration-s",
        str(seconds),
    ]
    return subprocess.Popen(command, cwd=ROOT, start_new_session=True), out


def flood_closes_logged(log: Path) -> int:
    return log.read_text(errors="replace").count(FLOOD_CLOSE_LOGGED)


def server_log_kinds(log: Path) -> dict:
    """What the worker logged (WARNING and up): counts by message, and the refused-frame
    counts at which chat.consumers closed flooding sockets."""
    kinds: Counter = Counter()
    refused_at_close: list[int] = []
    for line in log.read_text(errors="replace").splitlines():
        try:
            record = json.loads(line)
        except ValueError:
            kinds[line[:80]] += 1
            continue
        message = record.get("msg", "")
        if message == FLOOD_CLOSE_LOGGED:
            refused_at_close.append(record.get("refused"))
        # Task names, ports and paths differ per line: counted as one message.
        message = re.sub(r"<Task .*", "<Task …> …", re.sub(r"[0-9]+", "N", message))
        kinds[f"{record.get('level')} {record.get('logger')}: {message[:90]}"] += 1
    return {"messages": dict(kinds.most_common(12)), "refused_at_4429": refused_at_close[:20]}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--paths-file", type=Path, required=True)
    parser.add_argument("--start-at", type=float, required=True)
    parser.add_argument("--duration-s", type=float, required=True)
    args = parser.parse_args(argv)
    flooder_serve(
        port=args.port,
        paths=json.loads(args.paths_file.read_text()),
        start_at=args.start_at,
        duration_s=args.duration_s,
        out=args.out,
    )


if __name__ == "__main__":
    main()
