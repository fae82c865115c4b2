"""The per-socket frame limiter (chat.limits): its buckets on a fake clock, then a flooding
socket through the real ASGI router (issue 16)."""

from __future__ import annotations

import asyncio
import json
import logging
import math

import pytest

from chat.limits import (
    CLOSE_TOO_MANY_FRAMES,
    ERROR_RATE_LIMITED,
    FLOOD_WINDOW_S,
    NOTIFY_INTERVAL_S,
    REASON_TOO_MANY_FRAMES,
    FrameLimiter,
    TokenBucket,
    rate_limited_frame,
    rate_limited_text,
)
from chat.services import chat_message_create, chat_session_open
from chat.tests.principals import rec_principal
from chat.tests.socket_helpers import rec_path
from chat.tests.wsclient import FRAME_TIMEOUT_S, ChatClient, answers_settled, health_status


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, now: float = 1_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def limiter(clock: FakeClock, **overrides: float) -> FrameLimiter:
    limits = {
        "frames_per_s": 1.0,
        "frames_burst": 5,
        "replays_per_minute": 6.0,
        "replays_burst": 2,
        "flood_close_after": 10,
    }
    return FrameLimiter(clock=clock, **(limits | overrides))


def drain_frames(frames: FrameLimiter, count: int) -> None:
    for _ in range(count):
        assert frames.frame_admit() is None


# --- TokenBucket --------------------------------------------------------------------------------
def test_a_bucket_starts_full_and_gives_its_burst_at_once():
    bucket = TokenBucket(capacity=3, per_s=1.0, now=0.0)

    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]


def test_a_bucket_refills_at_its_rate_up_to_its_capacity():
    bucket = TokenBucket(capacity=3, per_s=2.0, now=0.0)
    for _ in range(3):
        bucket.take(0.0)

    assert not bucket.take(0.4)
    assert bucket.take(0.5)
    assert not bucket.take(0.5)
    # An hour idle refills it to its capacity, not beyond.
    assert [bucket.take(3_600.0) for _ in range(4)] == [True, True, True, False]


def test_a_bucket_tells_how_long_until_its_next_token():
    bucket = TokenBucket(capacity=1, per_s=0.5, now=0.0)
    assert bucket.wait_s(0.0) == 0.0
    bucket.take(0.0)

    assert bucket.wait_s(0.0) == pytest.approx(2.0)
    assert bucket.wait_s(1.5) == pytest.approx(0.5)
    assert bucket.wait_s(2.0) == 0.0


def test_a_bucket_that_never_refills_waits_forever():
    bucket = TokenBucket(capacity=1, per_s=0.0, now=0.0)
    bucket.take(0.0)

    assert not bucket.take(1e9)
    assert bucket.wait_s(1e9) == math.inf


def test_a_clock_going_backwards_adds_no_tokens():
    bucket = TokenBucket(capacity=2, per_s=1.0, now=100.0)
    bucket.take(100.0)
    bucket.take(100.0)

    assert not bucket.take(50.0)
    # Time is counted from the latest reading: 50 → 50.9 is less than a token.
    assert not bucket.take(50.9)
    assert bucket.take(51.0)


def test_a_bucket_holds_at_least_one_token_and_never_drains_by_itself():
    bucket = TokenBucket(capacity=0, per_s=-5.0, now=0.0)

    assert (bucket.capacity, bucket.per_s) == (1.0, 0.0)
    assert bucket.take(10.0)
    assert not bucket.take(20.0)


# --- FrameLimiter -------------------------------------------------------------------------------
def test_frames_within_the_burst_pass_and_the_next_gets_a_rate_limited_error():
    clock = FakeClock()
    frames = limiter(clock)
    drain_frames(frames, 5)

    refusal = frames.frame_admit()

    assert refusal is not None and not refusal.close
    error = refusal.error
    assert error["type"] == "error" and error["code"] == ERROR_RATE_LIMITED
    assert error["retry_after_s"] == 1 and error["message_id"] is None
    assert error["message"] == rate_limited_text(retry_after_s=1)
    assert frames.refused == 1


def test_a_refused_frame_passes_again_once_a_token_is_back():
    clock = FakeClock()
    frames = limiter(clock, frames_per_s=4.0)
    drain_frames(frames, 5)
    assert frames.frame_admit() is not None

    clock.advance(0.2)
    assert frames.frame_admit() is not None
    clock.advance(0.05)
    assert frames.frame_admit() is None
    assert frames.frame_admit() is not None


def test_retry_after_is_the_wait_for_the_next_token_in_whole_seconds():
    clock = FakeClock()
    frames = limiter(clock, frames_per_s=0.25, frames_burst=1)
    frames.frame_admit()
    clock.advance(1.5)

    # 4 s per token, 1.5 s of it gone: 2.5 s left, told as 3.
    assert frames.frame_admit().error["retry_after_s"] == 3


def test_history_frames_have_a_bucket_of_their_own():
    clock = FakeClock()
    frames = limiter(clock, replays_burst=2, replays_per_minute=6.0)
    for _ in range(2):
        assert frames.frame_admit() is None
        assert frames.replay_admit() is None

    assert frames.frame_admit() is None
    refusal = frames.replay_admit()
    assert refusal is not None and refusal.error["retry_after_s"] == 10
    # Plain frames still pass: the replays' bucket is the only one empty.
    assert frames.frame_admit() is None
    assert frames.frames.tokens == pytest.approx(1.0)

    clock.advance(10.0)
    assert frames.replay_admit() is None


def test_an_empty_frame_bucket_leaves_the_replays_untouched():
    clock = FakeClock()
    frames = limiter(clock, frames_per_s=0.0)
    drain_frames(frames, 5)
    assert frames.frame_admit() is not None

    assert frames.replays.tokens == 2.0
    assert frames.replay_admit() is None


def test_at_most_one_rate_limited_error_a_second():
    clock = FakeClock()
    frames = limiter(clock, frames_per_s=0.0, flood_close_after=1_000)
    drain_frames(frames, 5)

    first_error_at = clock.now
    refusals = []
    for _ in range(10):
        refusals.append(frames.frame_admit())
        clock.advance(0.099)
    assert refusals[0].error is not None
    assert [refusal.error for refusal in refusals[1:]] == [None] * 9

    clock.now = first_error_at + NOTIFY_INTERVAL_S
    assert frames.frame_admit().error is not None
    assert frames.frame_admit().error is None
    assert frames.refused == 12


def test_a_refused_history_frame_shares_the_one_error_a_second():
    clock = FakeClock()
    frames = limiter(clock, frames_per_s=0.0, replays_burst=1)
    frames.replay_admit()
    drain_frames(frames, 5)

    assert frames.replay_admit().error is not None
    assert frames.frame_admit().error is None


def test_a_socket_is_closed_once_its_flood_allowance_is_spent():
    clock = FakeClock()
    frames = limiter(clock, frames_per_s=0.0, flood_close_after=10)
    drain_frames(frames, 5)

    refusals = [frames.frame_admit() for _ in range(11)]

    assert [refusal.close for refusal in refusals] == [False] * 10 + [True]
    assert frames.refused == 11


def test_refused_history_frames_spend_the_flood_allowance_too():
    clock = FakeClock()
    frames = limiter(clock, replays_burst=1, replays_per_minute=0.0, flood_close_after=3)
    frames.replay_admit()

    assert [frames.replay_admit().close for _ in range(4)] == [False, False, False, True]


def test_the_flood_allowance_refills_over_the_flood_window():
    clock = FakeClock()
    frames = limiter(clock, frames_per_s=0.0, flood_close_after=10)
    drain_frames(frames, 5)
    for _ in range(10):
        assert not frames.frame_admit().close

    clock.advance(FLOOD_WINDOW_S)

    assert [frames.frame_admit().close for _ in range(11)] == [False] * 10 + [True]


def test_a_client_retrying_at_the_flood_rate_is_refused_but_never_closed():
    clock = FakeClock()
    frames = limiter(clock, frames_per_s=0.0, flood_close_after=10)
    drain_frames(frames, 5)
    refill_s = FLOOD_WINDOW_S / 10

    closes = []
    for _ in range(200):
        closes.append(frames.frame_admit().close)
        clock.advance(refill_s)

    assert not any(closes)


def test_limits_come_from_the_settings(settings):
    settings.CHAT_WS_FRAMES_PER_S = 3.0
    settings.CHAT_WS_FRAMES_BURST = 7
    settings.CHAT_WS_REPLAYS_PER_MINUTE = 12.0
    settings.CHAT_WS_REPLAYS_BURST = 4
    settings.CHAT_WS_FLOOD_CLOSE_AFTER = 50

    frames = FrameLimiter.from_settings()

    assert (frames.frames.capacity, frames.frames.per_s) == (7.0, 3.0)
    assert (frames.replays.capacity, frames.replays.per_s) == (4.0, 0.2)
    assert (frames.flood.capacity, frames.flood.per_s) == (50.0, 50 / FLOOD_WINDOW_S)


# --- the Russian text ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("retry_after_s", "told"),
    [
        (1, "1 секунду"),
        (2, "2 секунды"),
        (4, "4 секунды"),
        (5, "5 секунд"),
        (11, "11 секунд"),
        (12, "12 секунд"),
        (14, "14 секунд"),
        (21, "21 секунду"),
        (22, "22 секунды"),
        (25, "25 секунд"),
        (101, "101 секунду"),
        (111, "111 секунд"),
        # Fractions are rounded up, and never down to zero.
        (0.2, "1 секунду"),
        (1.01, "2 секунды"),
        (0, "1 секунду"),
        (-3, "1 секунду"),
        # A bucket that never refills: a minute, not "inf".
        (math.inf, "60 секунд"),
    ],
)
def test_the_rate_limited_text_agrees_in_number(retry_after_s, told):
    text = rate_limited_text(retry_after_s=retry_after_s)

    assert text == (
        f"Слишком много запросов подряд: последний не выполнен. Повторите через {told}."
    )


@pytest.mark.parametrize("retry_after_s", [0.5, 4.2, 59.0, math.inf])
def test_the_rate_limited_frame_says_what_its_text_says(retry_after_s):
    frame = rate_limited_frame(retry_after_s=retry_after_s)

    assert isinstance(frame["retry_after_s"], int) and frame["retry_after_s"] >= 1
    assert f"через {frame['retry_after_s']} " in frame["message"]


# --- a flooding socket, through the real ASGI router -------------------------------------------
QUESTION = "Что это за рекомендация?"


def socket_limits(
    settings,
    *,
    frames_per_s: float = 1_000.0,
    frames_burst: int = 1_000,
    replays_per_minute: float = 1_000.0,
    replays_burst: int = 1_000,
    flood_close_after: int = 1_000,
) -> None:
    settings.CHAT_WS_FRAMES_PER_S = frames_per_s
    settings.CHAT_WS_FRAMES_BURST = frames_burst
    settings.CHAT_WS_REPLAYS_PER_MINUTE = replays_per_minute
    settings.CHAT_WS_REPLAYS_BURST = replays_burst
    settings.CHAT_WS_FLOOD_CLOSE_AFTER = flood_close_after


async def until_quiet(client: ChatClient, quiet_s: float = 0.3) -> list[dict]:
    """Every frame the server sends until it has been silent for `quiet_s`; never a close."""
    got = []
    while not await client.nothing(quiet_s):
        output = await client.communicator.receive_output(timeout=FRAME_TIMEOUT_S)
        assert output["type"] == "websocket.send", output
        got.append(json.loads(output["text"]))
    return got


def rate_limited(frames: list[dict]) -> list[dict]:
    return [f for f in frames if f["type"] == "error" and f["code"] == ERROR_RATE_LIMITED]


def no_error_logged(caplog) -> None:
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]


@pytest.mark.django_db(transaction=True)
async def test_a_flood_gets_one_rate_limited_error_unparsed_and_the_socket_stays_open(
    alice, rec, settings, monkeypatch, caplog
):
    socket_limits(settings, frames_per_s=0.001, frames_burst=3, flood_close_after=50)
    monkeypatch.setattr("chat.limits.NOTIFY_INTERVAL_S", 0.2)
    client = ChatClient(rec_path(alice, rec))
    await client.connect()

    for _ in range(13):
        await client.send("not json")
    got = await until_quiet(client)

    # The burst is parsed (and refused as JSON); the rest is dropped unparsed, with one error
    # (one more per notice interval, should the machine be that slow).
    codes = [f["code"] for f in got]
    assert codes[:4] == ["bad_frame"] * 3 + [ERROR_RATE_LIMITED]
    assert set(codes[3:]) == {ERROR_RATE_LIMITED} and len(codes) < 3 + 10
    error = got[3]
    assert 900 <= error["retry_after_s"] <= 1_000
    assert error["message"] == rate_limited_text(retry_after_s=error["retry_after_s"])
    # Still open and still read: past the notice interval the next refusal is told again.
    await asyncio.sleep(0.25)
    await client.send({"type": "stop"})
    assert [f["code"] for f in await until_quiet(client)] == [ERROR_RATE_LIMITED]
    no_error_logged(caplog)
    await client.close()


@pytest.mark.django_db(transaction=True)
async def test_after_the_wait_a_normal_question_is_answered_again(alice, rec, settings):
    socket_limits(settings, frames_per_s=5.0, frames_burst=2, flood_close_after=100)
    client = ChatClient(rec_path(alice, rec))
    await client.connect()

    for _ in range(12):
        await client.send({"type": "stop"})
    errors = rate_limited(await until_quiet(client))
    assert errors and errors[0]["retry_after_s"] == 1

    await asyncio.sleep(0.25)
    await client.ask(QUESTION)
    final = (await client.until("assistant"))[-1]
    assert final["status"] == "done" and final["content"]
    await answers_settled()
    await client.close()


@pytest.fixture
def rec_with_history(alice, rec):
    session, _ = chat_session_open(principal=rec_principal(alice, rec))
    for number in range(5):
        role = "user" if number % 2 == 0 else "assistant"
        chat_message_create(session=session, role=role, content=f"сообщение {number}")
    return rec


@pytest.mark.django_db(transaction=True)
async def test_a_flood_of_history_frames_replays_a_bounded_number_of_messages(
    alice, rec_with_history, settings
):
    socket_limits(settings, replays_per_minute=0.6, replays_burst=3)
    client = ChatClient(rec_path(alice, rec_with_history))
    system = await client.connect()
    assert system["last_message_id"]
    greeted = await until_quiet(client)
    assert len(greeted) == 5

    for _ in range(50):
        await client.send({"type": "history", "after": 0})
    got = await until_quiet(client)

    replayed = [f for f in got if f["type"] in ("user", "assistant")]
    # 50 frames asked for 250 messages: the burst of 3 replays got them, the rest one error.
    assert len(replayed) == 3 * 5
    errors = rate_limited(got)
    assert len(errors) == len(got) - len(replayed) >= 1
    assert errors[0]["retry_after_s"] >= 90
    # Questions do not wait for the replays' bucket.
    await client.ask(QUESTION)
    assert (await client.until("assistant"))[-1]["status"] == "done"
    await answers_settled()
    await client.close()


@pytest.mark.django_db(transaction=True)
async def test_a_socket_flooding_far_past_its_limit_is_closed_with_4429(
    alice, rec, settings, caplog
):
    caplog.set_level(logging.INFO)
    socket_limits(settings, frames_per_s=0.001, frames_burst=2, flood_close_after=5)
    client = ChatClient(rec_path(alice, rec))
    await client.connect()

    for _ in range(30):
        await client.send({"type": "stop"})
    got = []
    output = await client.communicator.receive_output(FRAME_TIMEOUT_S)
    while output["type"] == "websocket.send":
        got.append(json.loads(output["text"]))
        output = await client.communicator.receive_output(FRAME_TIMEOUT_S)

    assert got and {f["code"] for f in got} == {ERROR_RATE_LIMITED}
    assert output == {
        "type": "websocket.close",
        "code": CLOSE_TOO_MANY_FRAMES,
        "reason": REASON_TOO_MANY_FRAMES,
    }
    # Frames still in flight after the close are dropped, not answered.
    assert await client.nothing(0.3)
    flooding = [r for r in caplog.records if r.getMessage() == "chat socket closed for flooding"]
    assert [r.levelno for r in flooding] == [logging.WARNING]
    no_error_logged(caplog)
    await client.close()

    # The worker is fine, and the limits are the socket's: a new one starts with its burst.
    assert await health_status() == 200
    again = ChatClient(rec_path(alice, rec))
    assert (await again.connect())["type"] == "system"
    await again.ask(QUESTION)
    assert (await again.until("assistant"))[-1]["status"] == "done"
    await answers_settled()
    await again.close()


@pytest.mark.django_db(transaction=True)
async def test_sockets_do_not_share_their_limits(alice, rec, settings):
    socket_limits(settings, frames_per_s=0.001, frames_burst=2, flood_close_after=100)
    flooding, quiet = ChatClient(rec_path(alice, rec)), ChatClient(rec_path(alice, rec))
    await flooding.connect()
    await quiet.connect()
    await until_quiet(quiet)

    for _ in range(10):
        await flooding.send({"type": "stop"})
    assert rate_limited(await until_quiet(flooding))

    await quiet.send({"type": "dance"})
    assert (await quiet.receive())["code"] == "bad_frame"
    await flooding.close()
    await quiet.close()
