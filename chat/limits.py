"""How much one chat socket may ask of the worker: frames per second, history replays.

One 30-byte `history` frame replays up to 200 messages; a client sending a thousand of them a
second had the worker send 200,000 frames and slowed every other user's answers for 25 s.
A real user sends a few frames a minute and a reconnecting client one history request, so
each socket gets two token buckets (`FrameLimiter`): every frame takes from the first, a
history frame from the second too. A refused frame is dropped with at most one `error` frame
(`rate_limited`) a second, since an error per dropped frame would be a flood of its own; a
socket that goes on flooding far past its limit is closed with 4429.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

from chat import frames, texts
from ops.token_bucket import TokenBucket

CLOSE_TOO_MANY_FRAMES = 4429
REASON_TOO_MANY_FRAMES = "Too many frames"
ERROR_RATE_LIMITED = "rate_limited"
# At most one `rate_limited` error frame per socket in this many seconds.
NOTIFY_INTERVAL_S = 1.0
# Refused frames are counted in a bucket of CHAT_WS_FLOOD_CLOSE_AFTER that refills whole in
# this many seconds: a socket that empties it is closed.
FLOOD_WINDOW_S = 10.0


@dataclass(frozen=True)
class Refusal:
    """A frame the socket may not have now. `error`: the frame to send, or None when one was
    sent less than a second ago; `close`: the socket floods far beyond its limit."""

    error: dict | None
    close: bool


class FrameLimiter:
    """The limits of one socket; not shared, so it needs no lock and leaves nothing behind."""

    def __init__(
        self,
        *,
        frames_per_s: float,
        frames_burst: int,
        replays_per_minute: float,
        replays_burst: int,
        flood_close_after: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        now = clock()
        self.frames = TokenBucket(capacity=frames_burst, per_s=frames_per_s, now=now)
        self.replays = TokenBucket(capacity=replays_burst, per_s=replays_per_minute / 60, now=now)
        self.flood = TokenBucket(
            capacity=flood_close_after, per_s=flood_close_after / FLOOD_WINDOW_S, now=now
        )
        self.notified_at: float | None = None
        self.refused = 0

    @classmethod
    def from_settings(cls) -> FrameLimiter:
        return cls(
            frames_per_s=settings.CHAT_WS_FRAMES_PER_S,
            frames_burst=settings.CHAT_WS_FRAMES_BURST,
            replays_per_minute=settings.CHAT_WS_REPLAYS_PER_MINUTE,
            replays_burst=settings.CHAT_WS_REPLAYS_BURST,
            flood_close_after=settings.CHAT_WS_FLOOD_CLOSE_AFTER,
        )

    def frame_admit(self) -> Refusal | None:
        """Called for every frame the socket sends, before it is parsed."""
        now = self.clock()
        if self.frames.take(now):
            return None
        return self._refusal(now, wait_s=self.frames.wait_s(now))

    def replay_admit(self) -> Refusal | None:
        """Called for a `history` frame, after frame_admit let it through."""
        now = self.clock()
        if self.replays.take(now):
            return None
        return self._refusal(now, wait_s=self.replays.wait_s(now))

    def _refusal(self, now: float, *, wait_s: float) -> Refusal:
        self.refused += 1
        close = not self.flood.take(now)
        error = None
        if self.notified_at is None or now - self.notified_at >= NOTIFY_INTERVAL_S:
            self.notified_at = now
            error = rate_limited_frame(retry_after_s=wait_s)
        return Refusal(error=error, close=close)


def _whole_seconds(retry_after_s: float) -> int:
    return max(1, math.ceil(retry_after_s)) if math.isfinite(retry_after_s) else 60


def rate_limited_text(*, retry_after_s: float) -> str:
    return texts.rate_limited_text(seconds=_whole_seconds(retry_after_s))


def rate_limited_frame(*, retry_after_s: float) -> dict:
    return frames.error_frame(
        ERROR_RATE_LIMITED,
        rate_limited_text(retry_after_s=retry_after_s),
        retry_after_s=_whole_seconds(retry_after_s),
    )
