"""The admin sign-in is throttled: failures per username and per address lock it for a window.

The probe found thirty wrong passwords and then the right one logged in. Now the fifth failure
for a username (or the twentieth from an address) locks every further attempt, the right
password too, until the window ends, with a Russian message saying when.
"""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

import ops.ratelimit
from ops.admin_login import locked_text

pytestmark = pytest.mark.django_db

PASSWORD = "the-right-password-1"
LOGIN = "/admin/login/?next=/admin/"


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.REDIS_URL = ""
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    settings.ADMIN_LOGIN_FAILURES_PER_USERNAME = 5
    settings.ADMIN_LOGIN_FAILURES_PER_ADDRESS = 20
    settings.ADMIN_LOGIN_WINDOW_S = 900


@pytest.fixture
def clock(monkeypatch):
    now = [1_800_000_000.0]  # the start of a 900-second window
    monkeypatch.setattr(ops.ratelimit, "time", SimpleNamespace(time=lambda: now[0]))
    return now


@pytest.fixture
def admin_user():
    return get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)


def sign_in(username: str, password: str, *, address: str = "203.0.113.7"):
    client = Client(headers={"X-Real-IP": address})
    response = client.post(LOGIN, {"username": username, "password": password})
    signed_in = response.status_code == 302 and "_auth_user_id" in client.session
    return signed_in, response.content.decode()


def test_the_right_password_signs_in(admin_user, clock):
    assert sign_in("root", PASSWORD)[0]


def test_four_failures_then_the_right_password_still_signs_in(admin_user, clock):
    for _ in range(4):
        assert not sign_in("root", "wrong")[0]
    assert sign_in("root", PASSWORD)[0]


def test_after_five_failures_even_the_right_password_is_refused(admin_user, clock):
    for _ in range(5):
        assert not sign_in("root", "wrong")[0]
    signed_in, page = sign_in("root", PASSWORD)
    assert not signed_in
    assert "Слишком много неудачных попыток входа. Повторите через 15 минут." in page


def test_thirty_wrong_passwords_then_the_right_one_does_not_sign_in(admin_user, clock):
    for _ in range(30):
        sign_in("root", "wrong")
    assert not sign_in("root", PASSWORD)[0]


def test_the_lock_ends_with_its_window(admin_user, clock):
    for _ in range(5):
        sign_in("root", "wrong")
    clock[0] += 600
    signed_in, page = sign_in("root", PASSWORD)
    assert not signed_in and "Повторите через 5 минут." in page
    clock[0] += 300
    assert sign_in("root", PASSWORD)[0]


def test_the_username_is_locked_whatever_address_the_guesses_come_from(admin_user, clock):
    for n in range(5):
        sign_in("root", "wrong", address=f"198.51.100.{n + 1}")
    assert not sign_in("root", PASSWORD, address="192.0.2.50")[0]


def test_the_username_is_counted_regardless_of_case(admin_user, clock):
    for name in ("ROOT", "Root", "rOOt", "root", "RooT"):
        sign_in(name, "wrong")
    assert not sign_in("root", PASSWORD)[0]


def test_an_address_guessing_many_usernames_is_locked_for_every_username(admin_user, clock):
    for n in range(20):
        sign_in(f"guess{n}", "wrong")
    signed_in, page = sign_in("root", PASSWORD)
    assert not signed_in and "Слишком много неудачных попыток" in page
    # The same admin from another address is not locked by it.
    assert sign_in("root", PASSWORD, address="192.0.2.50")[0]


def test_another_username_is_not_locked_by_failures_of_one(admin_user, clock):
    get_user_model().objects.create_superuser("ops", "ops@example.com", PASSWORD)
    for _ in range(5):
        sign_in("root", "wrong", address="198.51.100.1")
    assert sign_in("ops", PASSWORD, address="198.51.100.2")[0]


def test_a_refusal_is_logged_as_a_warning_without_the_password(admin_user, clock, caplog):
    for _ in range(5):
        sign_in("root", "wrong-secret-guess")
    sign_in("root", PASSWORD)
    refused = [r for r in caplog.records if "too many failures" in r.getMessage()]
    assert refused and all(r.levelname == "WARNING" for r in refused)
    assert PASSWORD not in caplog.text and "wrong-secret-guess" not in caplog.text


def test_the_counters_keep_no_usernames(admin_user, clock):
    from ops.models import RateCounter

    sign_in("root", "wrong")
    assert not any("root" in key for key in RateCounter.objects.values_list("key", flat=True))


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(1, "1 минуту"), (60, "1 минуту"), (61, "2 минуты"), (300, "5 минут"), (1260, "21 минуту")],
)
def test_the_lock_message_agrees_in_number(seconds, text):
    assert locked_text(retry_after_s=seconds).endswith(f"через {text}.")


@pytest.mark.redis
def test_with_redis_the_failures_are_counted_there(admin_user, clock, settings):
    import os

    import redis

    settings.REDIS_URL = os.environ["REDIS_URL"]
    redis.Redis.from_url(settings.REDIS_URL).flushdb()
    for _ in range(5):
        sign_in("root", "wrong")
    assert not sign_in("root", PASSWORD)[0]
    from ops.models import RateCounter

    assert not RateCounter.objects.exists()
