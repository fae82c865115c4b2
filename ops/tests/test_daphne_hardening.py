"""What daphne's own layers (Twisted, autobahn) answer to hostile input, on a real daphne
process: a clear JSON error or a close code with a reason, never an empty 400, a silent drop
or a 1006, and the worker goes on serving (ops/daphne/hardening.py)."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from chat.flask_tokens import chat_token_mint_for_tests
from chat.tests.browser.live import INFRAZEN_ORIGIN, SECRET, LiveAgent, live_agent
from ops.daphne.hardening import (
    REQUEST_BODY_MAX_BYTES,
    REQUEST_HEAD_MAX_BYTES,
    WS_MESSAGE_MAX_BYTES,
    daphne_hardening_install,
)


@pytest.fixture(scope="module")
def agent(tmp_path_factory) -> Iterator[LiveAgent]:
    with live_agent(tmp_path_factory.mktemp("hardening-agent"), offline=True) as served:
        yield served


def raw_http(agent: LiveAgent, request: bytes, *, timeout: float = 10.0) -> tuple[int, dict, bytes]:
    """Send bytes as they are; read until the server closes or the response is complete."""
    with socket.create_connection(("127.0.0.1", agent.port), timeout=timeout) as conn:
        # The server may answer and close before it read everything: its answer is read.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.sendall(request)
        data = b""
        while True:
            try:
                chunk = conn.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            data += chunk
            head, sep, body = data.partition(b"\r\n\r\n")
            if sep and b"content-length:" in head.lower():
                length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                if len(body) >= length:
                    break
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    assert lines[0].startswith("HTTP/1."), f"no HTTP response: {data[:200]!r}"
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return int(lines[0].split()[1]), headers, body


def assert_json_error(status: int, headers: dict, body: bytes, expected: set[int]) -> dict:
    assert status in expected, (status, body[:300])
    assert headers.get("content-type", "").startswith("application/json"), headers
    payload = json.loads(body)
    assert payload["error"] and payload["code"] and payload["detail"]
    assert b"Traceback" not in body
    return payload


def health_ok(agent: LiveAgent) -> bool:
    status, _, _ = raw_http(
        agent, b"GET /v1/health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    return status == 200


def multipart(agent: LiveAgent, content_type: bytes, body: bytes) -> tuple[int, dict, bytes]:
    return raw_http(
        agent,
        b"POST /v1/chat/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
        b"Content-Type: " + content_type + b"\r\n"
        b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body,
    )


PART = (
    b'--abc\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n'
    b"xx\r\n--abc--\r\n"
)


@pytest.mark.parametrize(
    "content_type",
    [
        b"multipart/form-data",
        b"multipart/form-data; boundary=zzz",
        b"multipart/form-data; boundary=",
    ],
    ids=["no boundary", "wrong boundary", "empty boundary"],
)
def test_a_multipart_body_with_a_bad_boundary_reaches_the_app_and_gets_json(agent, content_type):
    status, headers, body = multipart(agent, content_type, PART)
    assert_json_error(status, headers, body, {400, 422})
    assert health_ok(agent)


def test_a_request_line_past_the_old_16_kib_limit_reaches_the_chat(agent):
    token = "x" * 20_000
    with connect(
        f"ws://127.0.0.1:{agent.port}/v1/chat/analytics?token={token}",
        origin=INFRAZEN_ORIGIN,
        open_timeout=10,
    ) as ws:
        with pytest.raises(ConnectionClosed):
            ws.recv(timeout=10)
        assert ws.close_code == 4401 and ws.close_reason


def test_a_request_head_past_the_limit_gets_a_json_400(agent):
    path = b"/v1/health?pad=" + b"x" * (REQUEST_HEAD_MAX_BYTES + 10)
    status, headers, body = raw_http(
        agent, b"GET " + path + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    )
    assert_json_error(status, headers, body, {400})
    assert health_ok(agent)


def test_malformed_chunked_framing_gets_a_json_400(agent):
    status, headers, body = raw_http(
        agent,
        b"POST /v1/generate/recommendation-text HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
        b"zz\r\n{}\r\n0\r\n\r\n",
    )
    assert_json_error(status, headers, body, {400})
    assert health_ok(agent)


def test_a_declared_body_over_the_limit_gets_413_before_it_is_read(agent):
    status, headers, body = raw_http(
        agent,
        b"POST /v1/chat/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        b"Content-Type: multipart/form-data; boundary=abc\r\n"
        b"Content-Length: " + str(REQUEST_BODY_MAX_BYTES + 1).encode() + b"\r\n\r\n" + b"x" * 1000,
    )
    assert_json_error(status, headers, body, {413})
    assert health_ok(agent)


def test_a_streamed_body_over_the_limit_gets_413(agent):
    chunk = b"x" * 1_048_576
    framed = (b"%x\r\n" % len(chunk)) + chunk + b"\r\n"
    count = REQUEST_BODY_MAX_BYTES // len(chunk) + 2
    status, headers, body = raw_http(
        agent,
        b"POST /v1/chat/upload HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
        b"Content-Type: multipart/form-data; boundary=abc\r\n\r\n" + framed * count + b"0\r\n\r\n",
        timeout=20,
    )
    assert_json_error(status, headers, body, {413})
    assert health_ok(agent)


@contextlib.contextmanager
def _socket(agent: LiveAgent):
    token = chat_token_mint_for_tests(user_id=agent.ids.alice, scenario="analytics", secret=SECRET)
    with connect(
        f"ws://127.0.0.1:{agent.port}/v1/chat/analytics?token={token}",
        origin=INFRAZEN_ORIGIN,
        open_timeout=10,
        max_size=None,
    ) as ws:
        first = json.loads(ws.recv(timeout=10))
        assert first["type"] == "system"
        while True:  # the history replay, if any
            try:
                ws.recv(timeout=0.5)
            except TimeoutError:
                break
        yield ws


def test_a_frame_over_the_chat_limit_gets_an_error_frame_and_the_socket_stays(agent):
    with _socket(agent) as ws:
        ws.send(json.dumps({"content": "x" * (WS_MESSAGE_MAX_BYTES // 2)}))
        frame = json.loads(ws.recv(timeout=10))
        assert frame["type"] == "error" and frame["code"]
        ws.send(json.dumps({"type": "stop"}))
        ws.ping().wait(timeout=5)


def test_a_frame_over_the_server_limit_closes_with_1009_and_a_reason(agent):
    with _socket(agent) as ws:
        ws.send("x" * (1024 * 1024 + 1))
        with pytest.raises(ConnectionClosed):
            while True:
                ws.recv(timeout=10)
        assert ws.close_code == 1009
        assert ws.close_reason
    assert health_ok(agent)


def test_every_patch_applies_to_the_pinned_server():
    assert daphne_hardening_install() == ["request", "channel", "websocket"]
