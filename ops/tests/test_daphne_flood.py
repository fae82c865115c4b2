"""A WebSocket flood is stopped in daphne's protocol, before its frames reach the chat
(ops/daphne/flood.py): a person never meets the limit, a flooder is closed with 4429."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from websockets.exceptions import ConnectionClosed

from chat.tests.browser.live import LiveAgent, live_agent
from ops.daphne.flood import _FloodGuard, daphne_flood_install
from ops.tests.test_daphne_hardening import _socket, health_ok


@pytest.fixture(scope="module")
def agent(tmp_path_factory) -> Iterator[LiveAgent]:
    with live_agent(tmp_path_factory.mktemp("flood-agent"), offline=True) as served:
        yield served


@pytest.fixture
def limits(settings):
    settings.WS_PROTOCOL_FRAMES_PER_S = 10.0
    settings.WS_PROTOCOL_FRAMES_BURST = 40
    settings.WS_PROTOCOL_FLOOD_DROPS = 100


def test_a_burst_passes_then_frames_are_dropped_then_the_socket_is_closed(limits):
    guard = _FloodGuard(now=0.0)
    verdicts = [guard.admit(0.0) for _ in range(200)]
    assert verdicts[:40] == [True] * 40
    assert verdicts[40:140] == [False] * 100
    assert verdicts[140] is None
    # Once closed, nothing more passes and it is not closed twice.
    assert verdicts[141:] == [False] * 59 and guard.dropped == 101


def test_a_person_sending_a_frame_a_second_for_an_hour_is_never_refused(limits):
    guard = _FloodGuard(now=0.0)
    assert all(guard.admit(float(second)) for second in range(3600))


def test_a_client_at_the_refill_rate_keeps_its_socket(limits):
    guard = _FloodGuard(now=0.0)
    for _ in range(40):
        guard.admit(0.0)
    # Twice the refill rate for a minute: half dropped, but drops refill as fast as they come.
    verdicts = [guard.admit(i * 0.05) for i in range(1, 1200)]
    assert None not in verdicts and verdicts.count(True) >= 550


def test_the_guard_applies_to_the_pinned_daphne():
    assert daphne_flood_install() is True


def test_a_flooding_socket_on_a_real_daphne_is_closed_with_4429_and_others_are_served(agent):
    frame = json.dumps({"type": "history", "after": 0})
    started = time.monotonic()
    with _socket(agent) as ws, pytest.raises(ConnectionClosed):
        for _ in range(20_000):
            ws.send(frame)
        while True:
            ws.recv(timeout=10)
    assert ws.close_code == 4429 and ws.close_reason == "Too many frames"
    assert time.monotonic() - started < 10
    assert health_ok(agent)
    with _socket(agent) as other:
        other.send(json.dumps({"type": "history", "after": 0}))
        other.ping().wait(timeout=5)
