"""The chat load generator: sessions over WebSocket, each asking its questions in sequence, with
the client-side clock of every turn (sent, first delta, final answer) for the figures."""

from __future__ import annotations

import asyncio
import json
import random
import time

from .chat import ANALYTICS_QUESTIONS, QUESTIONS, LoopLag, ws_connect
from .fake_models import answer_text

QUESTION_TIMEOUT_S = 60.0


async def session_run(
    *,
    index: int,
    spec: dict,
    port: int,
    questions: int,
    tokens: tuple[int, int],
    start_at: asyncio.Event,
    delay_s: float,
    connected: list,
    think_s: tuple[float, float] = (0.0, 0.0),
    rng: random.Random | None = None,
    open_late: bool = False,
) -> dict:
    """One session: connect, wait for the start, ask `questions` questions in sequence.

    Between an answer and the next question the user thinks for uniform(think_s) seconds
    (0 by default: the next question goes at once, the stress case). `open_late`: the
    socket opens only at the session's start (`delay_s` after the run's), and the user
    thinks before the first question too, as someone who opens the chat and then types.
    """
    from websockets.exceptions import WebSocketException

    result: dict = {"index": index, "scenario": spec["scenario"], "turns": [], "errors": []}
    texts = ANALYTICS_QUESTIONS if spec["scenario"] == "analytics" else QUESTIONS
    rng = rng or random.Random()
    try:
        if open_late:
            await start_at.wait()
            await asyncio.sleep(delay_s)
        async with ws_connect(port, spec["path"]) as ws:
            system = json.loads(await ws.recv())
            if system.get("type") != "system":
                result["errors"].append(f"first frame {system.get('type')}")
                connected.append(index)
                return result
            result["session_id"] = system["session_id"]
            # A session reused from an earlier run (a kept database) replays its history.
            last = system.get("last_message_id")
            while last is not None and json.loads(await ws.recv()).get("message_id") != last:
                pass
            connected.append(index)
            if not open_late:
                await start_at.wait()
                await asyncio.sleep(delay_s)
            for number in range(questions):
                if (number or open_late) and think_s[1] > 0:
                    await asyncio.sleep(rng.uniform(*think_s))
                question = f"{texts[number % len(texts)]} (сессия {index}, вопрос {number + 1})"
                turn = {"question": question, "number": number}
                result["turns"].append(turn)
                turn["t0"] = time.monotonic()
                await ws.send(
                    json.dumps(
                        {"type": "message", "content": question, "client_id": f"{index}.{number}"},
                        ensure_ascii=False,
                    )
                )
                deltas: list[str] = []
                async with asyncio.timeout(QUESTION_TIMEOUT_S):
                    while True:
                        frame = json.loads(await ws.recv())
                        kind = frame["type"]
                        if kind == "assistant_delta":
                            if not deltas:
                                turn["t3"] = time.monotonic()
                            deltas.append(frame["content"])
                        elif kind == "assistant":
                            turn["t_final"] = time.monotonic()
                            turn["status"] = frame.get("status")
                            turn["answer_id"] = frame.get("message_id")
                            turn["content_ok"] = frame.get("content") == "".join(
                                deltas
                            ).strip() and frame.get("content") == answer_text(
                                question, tokens=tokens
                            )
                            break
                        elif kind == "user":
                            turn["question_id"] = frame.get("message_id")
                        elif kind == "error":
                            result["errors"].append(f"error frame {frame.get('code')}")
    except (OSError, TimeoutError, ValueError, KeyError, WebSocketException) as exc:
        # Counted, and the other sessions go on.
        result["errors"].append(f"{type(exc).__name__}: {exc}"[:200])
        if index not in connected:
            connected.append(index)
    return result


async def load_run(
    *,
    port: int,
    specs: list[dict],
    warmup: list[dict],
    questions: int,
    tokens: tuple[int, int],
    ramp_s: float,
    on_measure,
    think_s: tuple[float, float] = (0.0, 0.0),
    open_late: bool = False,
) -> tuple[list[dict], list[dict], dict]:
    # Warm-up: a few sessions, one question each, so imports, the SDK client and the first
    # queries of the service are not in the figures.
    go = asyncio.Event()
    go.set()
    warm = await asyncio.gather(
        *(
            session_run(
                index=-1 - i,
                spec=spec,
                port=port,
                questions=1,
                tokens=tokens,
                start_at=go,
                delay_s=0,
                connected=[],
            )
            for i, spec in enumerate(warmup)
        )
    )

    start_at = asyncio.Event()
    connected: list[int] = []
    rng = random.Random(7)
    tasks = [
        asyncio.create_task(
            session_run(
                index=i,
                spec=spec,
                port=port,
                questions=questions,
                tokens=tokens,
                start_at=start_at,
                # Spread the first questions over the ramp, so they do not all land at once.
                delay_s=rng.uniform(0, ramp_s),
                connected=connected,
                think_s=think_s,
                rng=random.Random(1000 + i),
                open_late=open_late,
            )
        )
        for i, spec in enumerate(specs)
    ]
    connect_started = time.monotonic()
    while not open_late and len(connected) < len(specs):
        await asyncio.sleep(0.05)
    # Opening late, the sockets open during the measured run: no separate connect phase.
    connect_s = None if open_late else time.monotonic() - connect_started
    lag = LoopLag()
    lag.start()
    marks = on_measure()
    started = time.monotonic()
    start_at.set()
    results = await asyncio.gather(*tasks)
    wall = time.monotonic() - started
    lag.stop()
    return warm, results, {"connect_s": connect_s, "wall_s": wall, "lag": lag, **marks}
