"""Generated chat tokens (Hypothesis) for `chat.auth.token_decode` and the chat handshake:
claims of every JSON type, garbage strings, hand-built headers, tampered, foreign-signed and
foreign-algorithm tokens. Each is accepted only when it is genuinely valid (the claims come
back as minted) or refused with a ChatAuthError carrying 4401 and one of the documented
reasons, never echoing the token; no other exception ever leaves the decoder. On a socket,
a bad token closes the handshake with a 44xx code and that reason (issue 16).

The hand-written cases are in test_token_decode.py and test_consumer.py.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import logging
import re
import time
import uuid
from typing import Any
from urllib.parse import quote

import hypothesis
import jwt
import pytest
from channels.testing import WebsocketCommunicator
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from chat.auth import (
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_UNAUTHORIZED,
    REASON_CLAIMS_INVALID,
    REASON_LIFETIME_TOO_LONG,
    REASON_RECOMMENDATION_MISMATCH,
    REASON_RECOMMENDATION_NOT_FOUND,
    REASON_SCENARIO_MISMATCH,
    REASON_SESSION_NOT_FOUND,
    REASON_TOKEN_EXPIRED,
    REASON_TOKEN_INVALID,
    REASON_TOKEN_REQUIRED,
    REASON_TOKEN_TOO_LONG,
    REASON_USER_NOT_ALLOWED,
    TOKEN_MAX_CHARS,
    ChatAuthError,
    ChatClaims,
    token_decode,
)
from chat.tests.wsclient import FRAME_TIMEOUT_S, health_status
from conftest import make_recommendation, make_resource
from infrazen.models import CloudProvider

SECRET = "fuzz-secret-long-enough-for-hs256-0123456789"
PREVIOUS_SECRET = "fuzz-previous-secret-still-valid-while-rotating"
LEEWAY_S = 30
MAX_LIFETIME_S = 86_400
# Within this many seconds of a time limit either answer is right: the decoder reads the
# clock a moment after the token was made.
CLOCK_MARGIN_S = 5
DAY_S = 86_400
INT_MAX = 2**31 - 1

DECODE_REASONS = {
    REASON_TOKEN_REQUIRED,
    REASON_TOKEN_INVALID,
    REASON_TOKEN_EXPIRED,
    REASON_TOKEN_TOO_LONG,
    REASON_LIFETIME_TOO_LONG,
    REASON_CLAIMS_INVALID,
}
HANDSHAKE_REASONS = DECODE_REASONS | {
    REASON_SCENARIO_MISMATCH,
    REASON_RECOMMENDATION_MISMATCH,
    REASON_USER_NOT_ALLOWED,
    REASON_RECOMMENDATION_NOT_FOUND,
    REASON_SESSION_NOT_FOUND,
}
FUZZ = hypothesis.settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FUZZ_SOCKETS = hypothesis.settings(FUZZ, max_examples=50)
# Short generated secrets are the point of some examples.
pytestmark = pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")


@pytest.fixture(autouse=True)
def _auth_settings(settings):
    """The limits the oracle below assumes, whatever the environment says."""
    settings.AGENT_SERVICE_JWT_SECRET = SECRET
    settings.AGENT_SERVICE_JWT_PREVIOUS_SECRETS = [PREVIOUS_SECRET]
    settings.AGENT_SERVICE_JWT_LEEWAY_S = LEEWAY_S
    settings.AGENT_SERVICE_JWT_MAX_LIFETIME_S = MAX_LIFETIME_S


def now() -> int:
    return int(time.time())


def decoded(token: Any) -> ChatClaims | ChatAuthError:
    """token_decode's answer: claims, or its refusal checked for the documented shape. Any
    other exception is left to fail the test."""
    try:
        return token_decode(token=token)
    except ChatAuthError as refused:
        assert refused.close_code == CLOSE_UNAUTHORIZED
        assert refused.reason in DECODE_REASONS, refused.reason
        assert refused.args == (f"{CLOSE_UNAUTHORIZED} {refused.reason}",)
        hypothesis.event(refused.reason)
        return refused


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def hs256_by_hand(header: Any, payload: Any, secret: str = SECRET) -> str:
    """A token with any header at all, signed as HS256 with `secret` (PyJWT writes only
    headers it likes)."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def hs256_raw_payload(payload_json: str, secret: str = SECRET) -> str:
    """An HS256 token whose payload is this JSON text, nested deeper than json.dumps goes."""
    signing_input = (
        f"{b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}).encode())}.{b64(payload_json.encode())}"
    )
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def with_nested_context(payload: dict, depth: int) -> str:
    """The payload as an analytics token whose context is `depth` objects one in another."""
    claims = {**payload, "scenario": "analytics", "recommendation_id": None}
    claims.pop("context", None)
    nested = '{"a": ' * depth + "1" + "}" * depth
    return hs256_raw_payload(json.dumps(claims)[:-1] + f', "context": {nested}}}')


def nesting(context: Any) -> int:
    depth = 0
    while isinstance(context, dict):
        context, depth = context["a"], depth + 1
    return depth


# --- what a valid token is, from the contract (chat.auth's docstrings, contract §4.2) ------------
UNSURE = object()


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _id(value: Any, *, numeric_string: bool) -> int | None:
    if _is_int(value):
        number = value
    elif numeric_string and isinstance(value, str) and re.fullmatch(r"[0-9]{1,10}", value.strip()):
        number = int(value.strip())
    else:
        return None
    return number if 0 < number <= INT_MAX else None


def _context(value: Any) -> dict:
    if value is None:
        return {}
    if isinstance(value, dict):
        return value
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError):
            return {"raw": value}
        return parsed if isinstance(parsed, dict) else {"raw": value}
    return {"raw": value}


def expected(payload: dict, issued_at: int) -> ChatClaims | object | None:
    """The claims token_decode must return for this payload signed right, None when it must
    refuse it, UNSURE when the token sits within seconds of a time limit."""
    payload = json.loads(json.dumps(payload))
    scenario = payload.get("scenario")
    user_id = _id(payload.get("user_id"), numeric_string=False)
    if scenario not in ("recommendation", "analytics") or user_id is None:
        return None
    recommendation_id = None
    if scenario == "recommendation":
        recommendation_id = _id(payload.get("recommendation_id"), numeric_string=True)
        if recommendation_id is None:
            return None
    exp, iat, nbf = payload.get("exp"), payload.get("iat"), payload.get("nbf")
    if not _is_int(exp) or any(
        claim in payload and not _is_int(payload[claim]) for claim in ("iat", "nbf")
    ):
        return None
    # (how far past its limit a claim is: > 0 refuses) for every time check that applies
    overshoots = [issued_at - LEEWAY_S - exp + 1]
    if iat is not None:
        overshoots.append(iat - issued_at - LEEWAY_S)
        lifetime_over = exp - iat - MAX_LIFETIME_S
    else:
        overshoots.append(exp - issued_at - MAX_LIFETIME_S - LEEWAY_S)
        lifetime_over = None
    if nbf is not None:
        overshoots.append(nbf - issued_at - LEEWAY_S)
    # A lifetime counted from iat does not depend on the clock: exact.
    if lifetime_over is not None and lifetime_over > 0:
        return None
    if any(over > CLOCK_MARGIN_S for over in overshoots):
        return None
    if any(abs(over) <= CLOCK_MARGIN_S for over in overshoots):
        return UNSURE
    return ChatClaims(
        user_id=user_id,
        scenario=scenario,
        recommendation_id=recommendation_id,
        context=_context(payload.get("context")) if scenario == "analytics" else None,
        exp=exp,
        iat=iat,
    )


def check_against_contract(token: str, want: Any) -> None:
    """token_decode(token) does what `expected` said of its payload (a token too long is
    refused before anything else)."""
    answer = decoded(token)
    if len(token) > TOKEN_MAX_CHARS:
        assert isinstance(answer, ChatAuthError) and answer.reason == REASON_TOKEN_TOO_LONG
    elif want is None:
        assert isinstance(answer, ChatAuthError), answer
    elif want is not UNSURE:
        assert answer == want
        hypothesis.event("accepted")


# --- strategies -----------------------------------------------------------------------------------
MISSING = object()
DIGITS = "0123456789٠١٢٣٤٥٦٧٨٩²０９"
BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _json_containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.lists(children, max_size=3) | st.dictionaries(
        st.text(max_size=8), children, max_size=3
    )


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**80), 2**80)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    _json_containers,
    max_leaves=12,
)


def numeric_dates(issued_at: int) -> st.SearchStrategy[Any]:
    near = st.integers(-3 * DAY_S, 3 * DAY_S).map(lambda offset: issued_at + offset)
    return st.one_of(
        near,
        st.integers(-(2**70), 2**70),
        st.sampled_from([0, -1, 2**31, 2**63, 2**64, 10**30, 10**400, 253_402_300_799]),
        st.floats(),
        near.map(float),
        near.map(lambda value: value + 0.5),
        near.map(str),
        st.text(DIGITS, min_size=1, max_size=12),
        st.booleans(),
        json_values,
    )


user_ids = st.one_of(
    st.integers(1, INT_MAX),
    st.integers(-(2**70), 2**70),
    st.sampled_from([0, -1, INT_MAX, INT_MAX + 1, 2**63, 1.0, 7.5, "7", " 7 ", True, False]),
    json_values,
)
scenarios = (
    st.sampled_from(
        ["recommendation", "analytics", "Recommendation", "ANALYTICS", " analytics", "", "admin"]
    )
    | json_values
)
recommendation_ids = st.one_of(
    st.integers(1, INT_MAX),
    st.integers(-(2**70), 2**70),
    st.integers(0, 10**12).map(str),
    st.builds(
        lambda number, left, right: f"{left}{number}{right}",
        st.integers(0, 10**11),
        st.sampled_from(["", " ", "\t", "\u2003", "+", "0"]),
        st.sampled_from(["", " ", "\n", "\u00a0", ".0", "x"]),
    ),
    st.text(DIGITS, min_size=1, max_size=12),
    st.sampled_from([True, False, None, 4.0, 4.2, "", "4.2", "-4", "1e3"]),
    json_values,
)
contexts = st.one_of(
    st.none(),
    st.dictionaries(st.text(max_size=8), json_values, max_size=4),
    json_values,
    json_values.map(json.dumps),
    st.text(max_size=40),
    # A context string nested deeper than json.loads can follow.
    st.integers(1, 5_000).map(lambda depth: "[" * depth),
    # A JSON object string nested shallow enough to parse, or too deep wherever it is parsed
    # (the limit depends on the stack below the parser: no depth near it).
    st.one_of(st.integers(1, 600), st.just(1_100)).map(
        lambda depth: '{"a":' * depth + "1" + "}" * depth
    ),
)


def valid_payloads(issued_at: int) -> st.SearchStrategy[dict]:
    """Claims Flask would mint (some a little old or about to expire)."""
    return st.builds(
        lambda user_id, scenario, recommendation_id, context, age, lifetime: {
            "user_id": user_id,
            "scenario": scenario,
            "recommendation_id": recommendation_id if scenario == "recommendation" else None,
            "context": None if scenario == "recommendation" else context,
            "iat": issued_at - age,
            "exp": issued_at - age + lifetime,
        },
        st.integers(1, INT_MAX),
        st.sampled_from(["recommendation", "analytics"]),
        st.integers(1, INT_MAX),
        st.dictionaries(st.text(max_size=8), json_values, max_size=3),
        # Issued just now, or up to two days ago (then often expired).
        st.integers(0, 600) | st.integers(0, 2 * DAY_S),
        st.integers(60, MAX_LIFETIME_S),
    )


CLAIM_VALUES = {
    "user_id": user_ids,
    "scenario": scenarios,
    "recommendation_id": recommendation_ids,
    "context": contexts,
}


def payloads(issued_at: int) -> st.SearchStrategy[dict]:
    """A valid payload with up to three claims replaced by anything, or dropped."""
    dates = numeric_dates(issued_at)
    values = {**CLAIM_VALUES, "exp": dates, "iat": dates, "nbf": dates}
    change = st.sampled_from(sorted(values)).flatmap(
        lambda name: st.tuples(st.just(name), st.just(MISSING) | values[name])
    )

    def changed(payload: dict, changes: list[tuple[str, Any]]) -> dict:
        payload = dict(payload)
        for name, value in changes:
            if value is MISSING:
                payload.pop(name, None)
            else:
                payload[name] = value
        return payload

    return st.builds(changed, valid_payloads(issued_at), st.lists(change, max_size=3))


segments = st.one_of(
    st.text(BASE64URL, max_size=60),
    st.binary(max_size=60).map(b64),
    json_values.map(lambda value: b64(json.dumps(value).encode())),
    st.text(max_size=20),
)
garbage_tokens = st.one_of(
    st.text(max_size=300),
    # Lone surrogates: no entry point passes one today (query strings and headers arrive as
    # latin-1, DRF refuses them in a body), and the decoder refuses them all the same.
    # (st.text leaves surrogates out whatever its alphabet.)
    st.lists(st.characters(categories=["Cs"]) | st.characters(), min_size=1, max_size=40).map(
        "".join
    ),
    st.lists(segments, max_size=6).map(".".join),
    st.integers(TOKEN_MAX_CHARS - 2, TOKEN_MAX_CHARS + 2).map(lambda n: "a" * n),
    st.integers(TOKEN_MAX_CHARS - 2, TOKEN_MAX_CHARS + 2).map(lambda n: "a." * (n // 2)),
    st.sampled_from(["", ".", "..", "...", "Bearer x.y.z", "null", "undefined"]),
)


@functools.cache
def foreign_keys() -> dict[str, Any]:
    """One private key per asymmetric algorithm, made once (RSA keys take a while)."""
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return {
        "RS256": rsa_key,
        "PS256": rsa_key,
        "ES256": ec.generate_private_key(ec.SECP256R1()),
        "EdDSA": ed25519.Ed25519PrivateKey.generate(),
    }


# --- token_decode ---------------------------------------------------------------------------------
@FUZZ
@given(data=st.data(), secret=st.sampled_from([SECRET, PREVIOUS_SECRET]))
def test_generated_claims_are_accepted_only_when_valid(data, secret):
    issued_at = now()
    payload = data.draw(payloads(issued_at), label="payload")
    token = jwt.encode(payload, secret, algorithm="HS256")

    check_against_contract(token, expected(payload, issued_at))


@FUZZ
@given(data=st.data(), context=contexts)
def test_any_analytics_context_is_taken_as_an_object_or_kept_raw(data, context):
    issued_at = now()
    payload = data.draw(valid_payloads(issued_at), label="payload")
    payload.update(scenario="analytics", recommendation_id=None, context=context)
    token = jwt.encode(payload, SECRET, algorithm="HS256")

    check_against_contract(token, expected(payload, issued_at))


@FUZZ
@given(data=st.data(), depth=st.integers(1, 1_100))
def test_a_deeply_nested_context_object_is_taken_whole_or_refused(data, depth):
    issued_at = now()
    payload = data.draw(valid_payloads(issued_at), label="payload")
    token = with_nested_context(payload, depth)

    answer = decoded(token)

    # Deeper than the JSON parser follows (a thousand less the stack below it), or too long:
    # refused.
    if isinstance(answer, ChatClaims):
        assert nesting(answer.context) == depth
    elif len(token) <= TOKEN_MAX_CHARS and expected(payload, issued_at) not in (None, UNSURE):
        assert answer.reason == REASON_TOKEN_INVALID and depth > 500


@FUZZ
@given(token=garbage_tokens)
def test_a_garbage_token_is_refused(token):
    refused = decoded(token)

    assert isinstance(refused, ChatAuthError)
    if len(token) >= 8:
        assert token not in str(refused)


@FUZZ
@given(token=st.none() | st.integers() | st.binary() | st.lists(st.text()))
def test_a_token_that_is_no_string_is_refused(token):
    assert isinstance(decoded(token), ChatAuthError)


headers = st.one_of(
    st.fixed_dictionaries(
        {
            "alg": st.sampled_from(
                ["HS256", "HS256", "hs256", "HS256 ", "none", "None", "HS512", "RS256", ""]
            )
            | json_values
        },
        optional={
            "typ": st.sampled_from(["JWT", "jwt", ""]) | json_values,
            "kid": json_values,
            "crit": st.sampled_from([["b64"], ["exp"], [], "b64"]) | json_values,
            "b64": st.booleans() | json_values,
            "jku": st.text(max_size=30),
            "zip": st.sampled_from(["DEF", ""]),
        },
    ),
    json_values,
)


@FUZZ
@given(data=st.data(), header=headers)
def test_a_hand_built_header_never_gets_a_foreign_algorithm_in(data, header):
    issued_at = now()
    payload = data.draw(valid_payloads(issued_at), label="payload")
    token = hs256_by_hand(header, payload)

    answer = decoded(token)

    if isinstance(answer, ChatClaims):
        assert isinstance(header, dict) and header.get("alg") == "HS256"
        check_against_contract(token, expected(payload, issued_at))


@FUZZ
@given(
    data=st.data(),
    secret=st.text(min_size=1, max_size=64).filter(lambda s: s not in (SECRET, PREVIOUS_SECRET)),
    algorithm=st.sampled_from(["HS256", "HS384", "HS512"]),
)
def test_a_token_signed_with_another_secret_is_refused_as_invalid(data, secret, algorithm):
    payload = data.draw(payloads(now()), label="payload")
    token = jwt.encode(payload, secret, algorithm=algorithm)

    refused = decoded(token)

    # The signature is checked before any claim: nothing about them is told.
    too_long = len(token) > TOKEN_MAX_CHARS
    assert isinstance(refused, ChatAuthError)
    assert refused.reason == (REASON_TOKEN_TOO_LONG if too_long else REASON_TOKEN_INVALID)


@FUZZ
@given(
    data=st.data(),
    algorithm=st.sampled_from(["HS384", "HS512", "RS256", "PS256", "ES256", "EdDSA"]),
)
def test_a_token_of_another_algorithm_is_refused_even_with_the_right_secret(data, algorithm):
    payload = data.draw(valid_payloads(now()), label="payload")
    key = SECRET if algorithm.startswith("HS") else foreign_keys()[algorithm]
    token = jwt.encode(payload, key, algorithm=algorithm)

    refused = decoded(token)

    assert isinstance(refused, ChatAuthError) and refused.reason == REASON_TOKEN_INVALID


def tampered(token: str, how: str, where: int, character: str) -> str:
    position = where % (len(token) + 1)
    if how == "replace" and position < len(token):
        return token[:position] + character + token[position + 1 :]
    if how == "insert":
        return token[:position] + character + token[position:]
    if how == "cut":
        return token[:position]
    if how == "swap":
        header, payload, signature = token.split(".")
        return f"{payload}.{header}.{signature}"
    if how == "extra":
        return f"{token}.{token.split('.')[-1]}"
    return token[:position] + token[position + 1 :]


@FUZZ
@given(
    data=st.data(),
    how=st.sampled_from(["replace", "insert", "cut", "swap", "extra", "drop"]),
    where=st.integers(0, 2_000),
    character=st.sampled_from([*BASE64URL, ".", "=", " ", "+", "/", "%", "é"]),
)
def test_a_tampered_token_is_refused_or_still_says_what_it_said(data, how, where, character):
    issued_at = now()
    payload = data.draw(valid_payloads(issued_at), label="payload")
    token = jwt.encode(payload, SECRET, algorithm="HS256")
    edited = tampered(token, how, where, character)

    answer = decoded(edited)

    # A change can be a no-op (the spare bits of the last base64 character, padding):
    # then the claims are the ones signed, never others.
    if isinstance(answer, ChatClaims) or edited == token:
        check_against_contract(edited, expected(payload, issued_at))


# --- the handshake --------------------------------------------------------------------------------
@pytest.fixture
def rec(alice):
    yandex = CloudProvider.objects.get(user=alice, provider_type="yandex")
    return make_recommendation(make_resource(yandex, "old-backup", status="STOPPED"))


def handshake_tokens(
    issued_at: int, user_id: int, recommendation_id: int
) -> st.SearchStrategy[str]:
    """Anything, and often the user's own claims, which get past the decoder to the database
    checks and the session."""
    claims = payloads(issued_at)

    def own(payload: dict) -> dict:
        if payload.get("scenario") == "recommendation":
            payload = {**payload, "recommendation_id": recommendation_id}
        return {**payload, "user_id": user_id}

    own_valid = valid_payloads(issued_at).map(own)
    return st.one_of(
        own_valid.map(lambda payload: jwt.encode(payload, SECRET, algorithm="HS256")),
        claims.map(own).map(lambda payload: jwt.encode(payload, SECRET, algorithm="HS256")),
        st.builds(with_nested_context, own_valid, st.integers(1, 1_100)),
        st.text(max_size=300),
        st.lists(segments, max_size=6).map(".".join),
        st.integers(TOKEN_MAX_CHARS - 2, TOKEN_MAX_CHARS + 2).map(lambda n: "a" * n),
        claims.map(lambda payload: jwt.encode(payload, SECRET, algorithm="HS256")),
        claims.map(lambda payload: jwt.encode(payload, "not-the-secret", algorithm="HS256")),
        claims.map(lambda payload: hs256_by_hand({"alg": "none"}, payload)),
    )


@FUZZ_SOCKETS
@given(data=st.data(), endpoint=st.sampled_from(["rec", "analytics", "ws"]))
@pytest.mark.django_db(transaction=True)
async def test_a_bad_token_in_the_query_string_closes_the_socket_with_44xx_and_a_reason(
    data, endpoint, alice, rec, caplog
):
    from agentsite.asgi import application

    caplog.set_level(logging.INFO)
    caplog.clear()
    token = data.draw(handshake_tokens(now(), alice.pk, rec.pk), label="token")
    answer = decoded(token)
    path, query = {
        "rec": (f"/v1/chat/rec/{rec.pk}", f"token={quote(token, safe='')}"),
        "analytics": ("/v1/chat/analytics", f"token={quote(token, safe='')}"),
        "ws": ("/v1/chat/ws", f"session={uuid.uuid4()}&token={quote(token, safe='')}"),
    }[endpoint]
    communicator = WebsocketCommunicator(application, f"{path}?{query}")
    connected, _ = await communicator.connect(timeout=FRAME_TIMEOUT_S)
    assert connected
    # A crashed consumer raises here (daphne would close with 1011).
    first = await communicator.receive_output(timeout=FRAME_TIMEOUT_S)
    await communicator.disconnect()

    if isinstance(answer, ChatAuthError):
        # The decoder's refusal, as it is: 4401 and its reason.
        assert (first["type"], first["code"], first["reason"]) == (
            "websocket.close",
            CLOSE_UNAUTHORIZED,
            answer.reason,
        )
    elif first["type"] == "websocket.close":
        # A good token for someone or something else: refused by the database checks.
        assert first["code"] in (CLOSE_FORBIDDEN, CLOSE_NOT_FOUND)
        assert first["reason"] in HANDSHAKE_REASONS
    else:
        assert answer.user_id == alice.pk
    hypothesis.event("system" if first["type"] == "websocket.send" else f"closed {first['code']}")
    if first["type"] == "websocket.close" and len(token) >= 8:
        assert token not in first["reason"] and quote(token, safe="") not in first["reason"]
    bad = [r for r in caplog.records if r.levelno >= logging.ERROR or r.exc_info]
    assert not bad, [(r.levelname, r.getMessage()) for r in bad]
    # Tokens are never logged (a short one could match any log text by chance).
    assert len(token) < 24 or token not in caplog.text
    assert await health_status() == 200
