"""Generated handshakes and frames (Hypothesis) against the chat WebSocket through the real ASGI
router: whatever the path, query string, Origin or frame, the answer is a `system` frame or an
application close code (44xx) on connect, and per frame nothing, an `error` frame with a known
code or the normal reply; never a crash (daphne's 1011), never an ERROR log line or a logged
traceback, and the socket goes on answering (issue 16).

The hand-written cases are in test_unrouted_socket.py and test_consumer.py; these generate
their variants. The frame limiter is set out of reach here: test_frame_limits.py covers it.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from typing import Any
from urllib.parse import parse_qs, quote

import hypothesis
import pytest
from channels.testing import WebsocketCommunicator
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from chat import frames
from chat.auth import CLOSE_FORBIDDEN, CLOSE_NOT_FOUND, CLOSE_UNAUTHORIZED
from chat.flask_tokens import chat_token_mint_for_tests
from chat.not_found import CLOSE_UNKNOWN_ENDPOINT
from chat.services import chat_message_create, chat_session_open
from chat.tests.principals import rec_principal
from chat.tests.wsclient import FRAME_TIMEOUT_S, answers_settled, health_status
from ops.tests.asgi_http import TRACEBACK_MARKERS

pytestmark = pytest.mark.django_db(transaction=True)
FUZZ = hypothesis.settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
APPLICATION_CLOSES = {CLOSE_UNAUTHORIZED, CLOSE_FORBIDDEN, CLOSE_NOT_FOUND, CLOSE_UNKNOWN_ENDPOINT}
FRAME_ERRORS = {frames.ERROR_BAD_FRAME, frames.ERROR_EMPTY, frames.ERROR_TOO_LONG}
REPLAYED = {"user", "assistant"}
ANSWER_FRAMES = {"user", "typing", "assistant_delta", "tool_call", "tool_result", "assistant"}
# A frame no client sends: its `bad_frame` error, which carries the client_id back, marks
# that every frame sent before it has been handled (frames are handled in order).
PROBE_TYPE = "fuzz-probe"


# --- fixtures -------------------------------------------------------------------------------------
@pytest.fixture(autouse=True)
def _limits_out_of_reach(settings):
    settings.CHAT_WS_FRAMES_PER_S = 1_000_000.0
    settings.CHAT_WS_FRAMES_BURST = 1_000_000
    settings.CHAT_WS_REPLAYS_PER_MINUTE = 1_000_000.0
    settings.CHAT_WS_REPLAYS_BURST = 1_000_000
    settings.CHAT_WS_FLOOD_CLOSE_AFTER = 1_000_000
    # And the questions and tool calls a minute (governance; chat/tests/test_quota.py).
    settings.AGENT_ROLE_LIMITS = {
        role: {**limits, "questions_per_minute": 1_000_000, "tool_calls_per_minute": 1_000_000}
        for role, limits in settings.AGENT_ROLE_LIMITS.items()
    }


@pytest.fixture(autouse=True)
async def _worker_still_answers_health():
    yield
    assert await health_status() == 200


@pytest.fixture
def logged(caplog):
    """`clean()`: no record so far is at ERROR or carries a traceback; then starts afresh."""
    caplog.set_level(logging.INFO)

    def clean() -> None:
        bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
        assert not bad, [(r.levelname, r.getMessage()) for r in bad]
        caplog.clear()

    return clean


class Seeded:
    """alice's recommendation chat with a few stored messages, and tokens for her sockets."""

    def __init__(self, alice, rec) -> None:
        self.rec = rec
        self.session, _ = chat_session_open(principal=rec_principal(alice, rec))
        messages = [
            chat_message_create(session=self.session, role=role, content=f"сообщение {n}")
            for n, role in enumerate(["user", "assistant", "user", "assistant"])
        ]
        self.last_id = messages[-1].pk
        self.rec_token = chat_token_mint_for_tests(user_id=alice.pk, recommendation_id=rec.pk)
        self.analytics_token = chat_token_mint_for_tests(user_id=alice.pk, scenario="analytics")

    @property
    def rec_path(self) -> str:
        return f"/v1/chat/rec/{self.rec.pk}"


@pytest.fixture
def seeded(alice, rec) -> Seeded:
    return Seeded(alice, rec)


# --- talking to a socket --------------------------------------------------------------------------
async def opened(
    path: str, query: bytes = b"", origin: bytes | None = None
) -> tuple[WebsocketCommunicator, dict]:
    """A handshake with this exact path and query string: the communicator and its first
    output (a `system` frame or the close)."""
    from agentsite.asgi import application

    headers = [(b"origin", origin)] if origin is not None else []
    communicator = WebsocketCommunicator(application, "/", headers=headers)
    # Set as given, not parsed and unquoted from a URL as the communicator would.
    communicator.scope["path"] = path
    communicator.scope["query_string"] = query
    connected, _ = await communicator.connect(timeout=FRAME_TIMEOUT_S)
    assert connected, "the server accepts before it refuses"
    first = await communicator.receive_output(timeout=FRAME_TIMEOUT_S)
    if first["type"] == "websocket.send":
        first = json.loads(first["text"])
    outcome(first)
    return communicator, first


def outcome(first: dict) -> None:
    """Counted for `pytest --hypothesis-show-statistics`: how many examples got how far."""
    hypothesis.event("system" if first["type"] == "system" else f"closed {first.get('code')}")


def check_refusal(closed: dict, *, secrets: tuple[str, ...] = ()) -> None:
    assert closed["type"] == "websocket.close", closed
    assert closed["code"] in APPLICATION_CLOSES, closed
    reason = closed.get("reason")
    assert isinstance(reason, str) and reason and reason.isascii(), closed
    for secret in secrets:
        assert secret not in reason


async def next_frame(communicator: WebsocketCommunicator) -> dict:
    # A crashed consumer raises here (daphne would close with 1011); a close fails the test.
    output = await communicator.receive_output(timeout=FRAME_TIMEOUT_S)
    assert output["type"] == "websocket.send", f"the socket was closed: {output}"
    frame = json.loads(output["text"])
    if frame["type"] == "error":
        assert isinstance(frame["message"], str) and frame["message"], frame
        assert not any(marker in frame["message"] for marker in TRACEBACK_MARKERS), frame
    return frame


async def send_raw(communicator: WebsocketCommunicator, kind: str, data: str | bytes) -> None:
    # Not send_to(): it refuses an empty frame, which a client may send.
    await communicator.send_input({"type": "websocket.receive", kind: data})


async def handled(communicator: WebsocketCommunicator) -> list[dict]:
    """Every frame the server sends until the frames sent so far are handled."""
    probe_id = f"probe-{uuid.uuid4().hex}"
    await send_raw(communicator, "text", json.dumps({"type": PROBE_TYPE, "client_id": probe_id}))
    got = []
    while True:
        frame = await next_frame(communicator)
        if frame["type"] == "error" and frame.get("client_id") == probe_id:
            assert frame["code"] == frames.ERROR_BAD_FRAME
            return got
        got.append(frame)


async def settled(communicator: WebsocketCommunicator) -> list[dict]:
    """The rest of any answer still running, once none is."""
    await answers_settled()
    got = []
    while not await communicator.receive_nothing(timeout=0.02):
        got.append(await next_frame(communicator))
    return got


async def still_answers_history(communicator: WebsocketCommunicator, seeded: Seeded) -> None:
    """A valid `history` frame replays from the last seeded message on (what came before it,
    a replay on connect or an answer's frames, is let through first)."""
    await handled(communicator)
    await send_raw(
        communicator, "text", json.dumps({"type": "history", "after": seeded.last_id - 1})
    )
    replay = await handled(communicator)
    assert replay and replay[0]["message_id"] == seeded.last_id, replay
    assert {frame["type"] for frame in replay} <= REPLAYED


# --- handshakes -----------------------------------------------------------------------------------
KNOWN_PATHS = ["/v1/chat/rec/", "/v1/chat/analytics", "/v1/chat/ws", "/v1/chat/", "/", ""]
DIGITS = "0123456789٠١٢٣٤٥٦٧٨٩²³０１９"


def paths(seeded: Seeded) -> st.SearchStrategy[str]:
    pk = seeded.rec.pk
    return st.one_of(
        st.text(max_size=60),
        st.builds(lambda tail: "/" + tail, st.text(max_size=60)),
        st.builds(
            lambda prefix, tail: prefix + tail, st.sampled_from(KNOWN_PATHS), st.text(max_size=30)
        ),
        st.builds(lambda digits: f"/v1/chat/rec/{digits}", st.text(DIGITS, max_size=25)),
        st.builds(lambda number: f"/v1/chat/rec/{number}", st.integers(-(2**70), 2**70)),
        # The recommendation's own route, and lookalikes of it.
        st.just(seeded.rec_path),
        st.builds(
            lambda slashes, zeros: f"{'/' * slashes}v1/chat/rec/{'0' * zeros}{pk}",
            st.integers(0, 3),
            st.integers(0, 12 - len(str(pk))),
        ),
        st.builds(
            lambda slashes, zeros, tail: f"{'/' * slashes}v1/chat/rec/{'0' * zeros}{pk}{tail}",
            st.integers(0, 3),
            st.integers(0, 12),
            st.sampled_from(["", "", "/", "\n", "%0a", "?", "#", " ", "\x00", "/..", ".json"]),
        ),
        st.builds(
            lambda prefix, tail: f"{prefix}{pk}{tail}",
            st.sampled_from(["/v1/chat/rec/", "/V1/chat/rec/", "/v1/chat//rec/", "/v1/chat/rec/+"]),
            st.text(max_size=5),
        ),
    )


@FUZZ
@given(data=st.data())
async def test_any_path_gets_a_system_frame_or_an_application_close(data, seeded, logged):
    path = data.draw(paths(seeded), label="path")
    communicator, first = await opened(path, f"token={seeded.rec_token}".encode())

    # Only the real route takes the handshake (leading slashes stripped, ASCII digits, zeros
    # allowed in front): the router stretches to no lookalike.
    routed = re.fullmatch(r"/*v1/chat/rec/([0-9]{1,10})", path)
    assert (first["type"] == "system") == (routed is not None and int(routed[1]) == seeded.rec.pk)
    if first["type"] == "system":
        await still_answers_history(communicator, seeded)
    else:
        check_refusal(first, secrets=(seeded.rec_token,))
    await communicator.disconnect()
    logged()


ENDPOINTS = ["rec", "analytics", "ws"]
query_keys = st.sampled_from(["token", "after", "session", "Token", "token[]", "after "]) | st.text(
    max_size=8
)


def query_values(seeded: Seeded) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(
            [
                seeded.rec_token,
                seeded.analytics_token,
                seeded.session.pk,
                seeded.session.pk.upper(),
                str(uuid.uuid4()),
                str(seeded.last_id),
                str(frames.MESSAGE_ID_MAX),
                str(frames.MESSAGE_ID_MAX + 1),
                "0" * 30 + "1",
                "",
            ]
        ),
        st.text(max_size=40),
        st.text(DIGITS, min_size=1, max_size=25),
        st.integers(-(2**80), 2**80).map(str),
        st.integers(0, 2_000).map(lambda n: "9" * n),
        st.builds(lambda token, cut: token[:cut], st.just(seeded.rec_token), st.integers(0, 300)),
        st.builds(lambda token, tail: token + tail, st.just(seeded.rec_token), st.text(max_size=5)),
    )


def query_strings(seeded: Seeded, endpoint: str) -> st.SearchStrategy[bytes]:
    """Pairs of fuzzed keys and values, often around the ones that open the endpoint, in any
    order, escaped or not; or any bytes at all."""
    opening = {
        "rec": [("token", seeded.rec_token)],
        "analytics": [("token", seeded.analytics_token)],
        "ws": [("token", seeded.rec_token), ("session", seeded.session.pk)],
    }[endpoint]
    fuzzed = st.lists(st.tuples(query_keys, query_values(seeded)), max_size=4)
    pairs = st.builds(
        lambda keep, extra: (opening if keep else []) + extra, st.booleans(), fuzzed
    ).flatmap(st.permutations)
    encoded = st.builds(
        lambda pairs, escape: "&".join(
            f"{quote(key)}={quote(value)}" if escape else f"{key}={value}" for key, value in pairs
        ).encode(),
        pairs,
        st.booleans(),
    )
    return st.one_of(encoded, encoded, st.binary(max_size=200))


@FUZZ
@given(data=st.data(), endpoint=st.sampled_from(ENDPOINTS))
async def test_any_query_string_gets_a_system_frame_or_an_application_close(
    data, endpoint, seeded, logged
):
    query = data.draw(query_strings(seeded, endpoint), label="query")
    path = {"rec": seeded.rec_path, "analytics": "/v1/chat/analytics", "ws": "/v1/chat/ws"}
    communicator, first = await opened(path[endpoint], query)

    if first["type"] == "system":
        after_given = "after" in parse_qs(query.decode("latin-1"))
        # An `after` that is no message id is told about once; stored messages are replayed.
        for frame in await handled(communicator):
            if frame["type"] == "error":
                assert after_given and frame["code"] == frames.ERROR_BAD_FRAME, frame
                assert frame["message"] == frames.AFTER_INVALID_TEXT
                hypothesis.event("after refused")
            else:
                assert frame["type"] in REPLAYED, frame
        if first["session_id"] == seeded.session.pk:
            await still_answers_history(communicator, seeded)
    else:
        check_refusal(first, secrets=(seeded.rec_token, seeded.analytics_token))
    await communicator.disconnect()
    logged()


origins = st.one_of(
    st.binary(max_size=80),
    st.text(st.characters(max_codepoint=255), max_size=80).map(lambda text: text.encode("latin-1")),
    st.builds(
        lambda scheme, host, port: f"{scheme}://{host}{port}".encode(),
        st.sampled_from(["http", "https", "HTTP", "ws", "file", "javascript", ""]),
        st.sampled_from(["localhost", "127.0.0.1", "[::1]", "[::1", "evil.example", "", "a@b"])
        | st.text(max_size=20),
        st.sampled_from(["", ":80", ":443", ":99999", ":-1", ":x", "/path", "?q"]),
    ),
)


@FUZZ
@given(origin=origins)
async def test_any_origin_is_let_in_or_closed_with_4403(origin, seeded, logged):
    communicator, first = await opened(
        seeded.rec_path, f"token={seeded.rec_token}".encode(), origin
    )

    if first["type"] == "system":
        await still_answers_history(communicator, seeded)
    else:
        check_refusal(first)
        assert (first["code"], first["reason"]) == (CLOSE_FORBIDDEN, "Origin not allowed")
    await communicator.disconnect()
    logged()


# --- frames ---------------------------------------------------------------------------------------
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**80), 2**80) | st.floats() | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=20,
)
afters = st.one_of(
    st.integers(-(2**80), 2**80),
    st.integers(frames.MESSAGE_ID_MAX - 2, frames.MESSAGE_ID_MAX + 2),
    st.integers(0, 50),
    st.floats(),
    st.text(DIGITS, min_size=1, max_size=25),
    json_values,
)
contents = st.one_of(
    st.text(max_size=120),
    st.sampled_from(["", " ", "\t\n\u00a0\u2028", "<script>alert(1)</script>", "\x00", "Сколько?"]),
    st.integers(frames.CONTENT_MAX_CHARS - 2, frames.CONTENT_MAX_CHARS + 2).map(lambda n: "я" * n),
    json_values,
)
frame_types = (
    st.sampled_from(["message", "stop", "history", "Message", "HISTORY", " stop", "", PROBE_TYPE])
    | json_values
)
client_ids = st.one_of(
    st.text(max_size=80),
    st.integers(-(2**70), 2**70),
    st.integers(0, 200).map(lambda n: "c" * n),
    json_values,
)
shaped = st.fixed_dictionaries(
    {},
    optional={"type": frame_types, "content": contents, "client_id": client_ids, "after": afters},
)


def as_json(payload: Any, ascii_only: bool) -> str:
    return json.dumps(payload, ensure_ascii=ascii_only)


def with_lone_surrogate(field: str) -> str:
    return f'{{"type": "message", "content": "x", "{field}": "a\\ud800b"}}'


def oversized(size: int, wide: bool) -> str:
    """A message frame of about `size` UTF-8 bytes."""
    filler = "я" * (size // 2) if wide else "x" * size
    return json.dumps({"content": filler}, ensure_ascii=False)


def nested(depth: int, inside_object: bool) -> str:
    brackets = "[" * depth + "]" * depth
    return f'{{"content": {brackets}}}' if inside_object else brackets


questions = st.one_of(
    st.builds(lambda content: {"content": content}, st.text(min_size=1, max_size=120)),
    st.builds(
        lambda content, client_id: {"type": "message", "content": content, "client_id": client_id},
        st.text(min_size=1, max_size=120),
        st.text(max_size=70) | st.integers(-(2**70), 2**70),
    ),
)
stops = st.builds(lambda client_id: {"type": "stop", "client_id": client_id}, client_ids)
histories = st.builds(lambda after: {"type": "history", "after": after}, st.integers(0, 50))
wellformed = st.one_of(questions, stops, histories)
texts = st.one_of(
    st.text(max_size=200),
    st.builds(as_json, json_values, st.booleans()),
    st.builds(as_json, shaped, st.booleans()),
    st.builds(as_json, shaped, st.booleans()),
    st.builds(lambda after: as_json({"type": "history", "after": after}, True), afters),
    st.integers(1, 5_000).map(lambda n: f'{{"type": "history", "after": {"9" * n}}}'),
    st.sampled_from(["content", "client_id", "type"]).map(with_lone_surrogate),
    st.builds(
        oversized,
        st.integers(frames.FRAME_MAX_BYTES - 40, frames.FRAME_MAX_BYTES + 40),
        st.booleans(),
    ),
    st.builds(nested, st.integers(1, 30_000), st.booleans()),
    st.sampled_from(["NaN", "Infinity", "-Infinity", "null", "1e999", '"content"', "{", "}"]),
)
raw_frames = st.one_of(
    # Twice: a question's answer is where the most code runs.
    st.builds(as_json, wellformed, st.booleans()).map(lambda text: ("text", text)),
    st.builds(as_json, questions, st.booleans()).map(lambda text: ("text", text)),
    texts.map(lambda text: ("text", text)),
    st.binary(max_size=200).map(lambda data: ("bytes", data)),
    texts.map(lambda text: ("bytes", text.encode())),
    st.integers(frames.FRAME_MAX_BYTES - 2, frames.FRAME_MAX_BYTES + 2).map(
        lambda n: ("bytes", b"\xff" * n)
    ),
)


def verdict(kind: str, data: str | bytes) -> frames.ClientFrame | frames.FrameError:
    """What the frame contract (chat.frames) says of a frame: the frame or its error."""
    try:
        if kind == "text":
            return frames.frame_parse(data)
        return frames.frame_parse(None, data)
    except frames.FrameError as refused:
        return refused


@FUZZ
@given(sent=st.lists(raw_frames, min_size=1, max_size=3))
async def test_any_frame_gets_nothing_an_error_or_its_reply_and_the_socket_stays(
    sent, seeded, logged
):
    communicator, first = await opened(seeded.rec_path, f"token={seeded.rec_token}".encode())
    assert first["type"] == "system"
    await handled(communicator)

    for kind, data in sent:
        await send_raw(communicator, kind, data)
        got = await handled(communicator)
        expected = verdict(kind, data)
        hypothesis.event(getattr(expected, "code", None) or expected.kind)
        rest = await settled(communicator)
        if isinstance(expected, frames.FrameError):
            assert [frame["type"] for frame in got] == ["error"], got
            assert got[0]["code"] == expected.code and got[0]["code"] in FRAME_ERRORS
            assert got[0].get("client_id") == expected.client_id
        elif expected.kind == frames.KIND_HISTORY:
            assert {frame["type"] for frame in got} <= REPLAYED, got
        elif expected.kind == frames.KIND_STOP:
            assert got == []
        else:
            # A question: its answer, streamed and finished (no model here: the offline one).
            answer = got + rest
            assert {frame["type"] for frame in answer} <= ANSWER_FRAMES, answer
            assert answer[-1]["type"] == "assistant" and answer[-1]["status"] == "done", answer
            continue
        assert rest == [], rest

    await still_answers_history(communicator, seeded)
    await communicator.disconnect()
    logged()
