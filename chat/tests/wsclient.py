"""A WebSocket test client that goes through the real ASGI router (agentsite.asgi)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from channels.testing import WebsocketCommunicator

from chat.running import ANSWERS

FRAME_TIMEOUT_S = 10.0


class ChatClient:
    """One browser tab: connect, send frames, read frames until one of a type arrives."""

    def __init__(self, path: str, *, origin: str | None = None):
        from agentsite.asgi import application

        headers = [(b"origin", origin.encode())] if origin else []
        self.communicator = WebsocketCommunicator(application, path, headers=headers)
        self.frames: list[dict[str, Any]] = []
        self.closed: dict[str, Any] | None = None

    async def connect(self) -> dict[str, Any] | None:
        """The `system` frame, or None when the server closed the connection (see .closed)."""
        connected, _ = await self.communicator.connect(timeout=FRAME_TIMEOUT_S)
        assert connected, "the server must accept before it refuses"
        first = await self.communicator.receive_output(timeout=FRAME_TIMEOUT_S)
        if first["type"] == "websocket.close":
            self.closed = first
            # As a browser's socket ends after the close: the consumer gets its disconnect and
            # finishes, rather than waiting on the channel layer until the test's loop is torn
            # down (with Redis, a receive left pending there hung one teardown).
            await self.communicator.disconnect()
            return None
        frame = json.loads(first["text"])
        self.frames.append(frame)
        return frame

    async def send(self, payload: Any) -> None:
        text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
        await self.communicator.send_to(text_data=text)

    async def ask(self, content: str, **fields: Any) -> None:
        await self.send({"content": content, **fields})

    async def receive(self, timeout: float = FRAME_TIMEOUT_S) -> dict[str, Any]:
        frame = await self.communicator.receive_json_from(timeout=timeout)
        self.frames.append(frame)
        return frame

    async def until(self, frame_type: str, timeout: float = FRAME_TIMEOUT_S) -> list[dict]:
        """Every frame up to and including the first of `frame_type`."""
        got = []
        while True:
            frame = await self.receive(timeout)
            got.append(frame)
            if frame["type"] == frame_type:
                return got

    async def nothing(self, timeout: float = 0.2) -> bool:
        return await self.communicator.receive_nothing(timeout=timeout)

    async def close(self) -> None:
        await self.communicator.disconnect()


def types(frames: list[dict]) -> list[str]:
    return [frame["type"] for frame in frames]


async def answers_settled(timeout: float = FRAME_TIMEOUT_S) -> None:
    """Wait until no answer runs in this process (tests must not leave tasks behind)."""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while ANSWERS.any() and loop.time() < end:
        await asyncio.sleep(0.01)
    assert not ANSWERS.any(), "an answer was still running"


async def health_status(timeout: float = 10.0) -> int:
    """GET /v1/health through the real application, waited for to the end: a communicator
    dropped mid-request cancels Django's handler and orphans its disconnect watch, which
    asyncio later logs at ERROR ("Task was destroyed but it is pending!")."""
    from channels.testing import HttpCommunicator

    from agentsite.asgi import application

    communicator = HttpCommunicator(
        application, "GET", "/v1/health", headers=[(b"host", b"127.0.0.1")]
    )
    response = await communicator.get_response(timeout=timeout)
    await communicator.wait(timeout=timeout)
    return response["status"]
