"""A socket for the chat's budget tests that only listens."""

from __future__ import annotations


class Listener:
    """A socket of a session that keeps every frame it is sent (chat.fanout.Socket)."""

    def __init__(self, name: str) -> None:
        self.channel_name = name
        self.frames: list[dict] = []

    async def deliver(self, frame: dict) -> None:
        self.frames.append(frame)

    def of_type(self, frame_type: str) -> list[dict]:
        return [f for f in self.frames if f["type"] == frame_type]
