"""Demo visitors share one user id; each browser's key keeps its conversations its own."""

from __future__ import annotations

import pytest

from chat.auth import ChatAuthError
from chat.connection import connection_open, handshake_visitor
from chat.flask_tokens import chat_token_mint_for_tests
from chat.visitors import COOKIE, visitor_hash, visitor_key
from conftest import make_user

KEY_A = "visitor-a-0123456789abcdef"
KEY_B = "visitor-b-0123456789abcdef"


def _open(user, key: str, *, days: int = 30):
    token = chat_token_mint_for_tests(user_id=user.pk, scenario="analytics", time_range_days=days)
    return connection_open(endpoint="analytics", query={"token": token}, url_kwargs={}, visitor=key)


@pytest.fixture
def demo(db):
    return make_user("demo@infrazen.com", role="demouser")


def test_two_demo_browsers_get_two_conversations_and_each_finds_its_own_again(demo):
    _, first_a = _open(demo, KEY_A)
    _, first_b = _open(demo, KEY_B)
    _, again_a = _open(demo, KEY_A)

    assert first_a.pk != first_b.pk
    assert again_a.pk == first_a.pk
    # The key itself is never stored: its hash is.
    assert KEY_A not in first_a.context and visitor_hash(KEY_A) in first_a.context


def test_a_demo_visitor_without_a_key_shares_nothing(demo):
    _, first = _open(demo, "")
    _, second = _open(demo, "")

    assert first.pk != second.pk


def test_another_visitors_session_id_looks_like_a_missing_one(demo):
    _, session = _open(demo, KEY_A)
    token = chat_token_mint_for_tests(user_id=demo.pk, scenario="analytics")

    with pytest.raises(ChatAuthError) as refused:
        connection_open(
            endpoint="session",
            query={"token": token, "session": session.pk},
            url_kwargs={},
            visitor=KEY_B,
        )
    principal, same = connection_open(
        endpoint="session",
        query={"token": token, "session": session.pk},
        url_kwargs={},
        visitor=KEY_A,
    )

    assert refused.value.close_code == 4404
    assert same.pk == session.pk and principal.context == {"time_range_days": 30}


def test_a_regular_user_keeps_one_conversation_whatever_the_browser(alice):
    principal, first = _open(alice, KEY_A)
    _, second = _open(alice, KEY_B)

    assert first.pk == second.pk
    assert principal.visitor == "" and "demo_visitor" not in first.context


def test_the_key_comes_from_the_query_then_the_cookie_else_a_new_one():
    assert visitor_key(query={"visitor": KEY_A}, cookie_header=f"{COOKIE}={KEY_B}") == (
        KEY_A,
        False,
    )
    assert visitor_key(query={}, cookie_header=f"x=1; {COOKIE}={KEY_B}") == (KEY_B, False)
    assert visitor_key(query={"visitor": "short"}, cookie_header="")[1] is True
    assert visitor_key(query={}, cookie_header="\x00garbage=;;")[1] is True


def test_a_new_key_is_set_as_a_strict_http_only_cookie_on_the_chat_path():
    scope = {"scheme": "wss", "headers": []}

    key, headers = handshake_visitor(scope, {})
    again_key, again_headers = handshake_visitor(
        {"headers": [(b"cookie", f"{COOKIE}={key}".encode())]}, {}
    )

    [(name, value)] = headers
    assert name == b"set-cookie"
    assert value.decode().startswith(f"{COOKIE}={key}; Path=/v1/chat/;")
    assert all(flag in value.decode() for flag in ("HttpOnly", "SameSite=Strict", "Secure"))
    assert (again_key, again_headers) == (key, [])
