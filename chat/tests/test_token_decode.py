from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from chat.auth import (
    CLOSE_UNAUTHORIZED,
    REASON_CLAIMS_INVALID,
    REASON_LIFETIME_TOO_LONG,
    REASON_TOKEN_EXPIRED,
    REASON_TOKEN_INVALID,
    REASON_TOKEN_REQUIRED,
    REASON_TOKEN_TOO_LONG,
    TOKEN_MAX_CHARS,
    ChatAuthError,
    ChatClaims,
    token_decode,
)
from chat.flask_tokens import (
    DROP,
    chat_token_mint_for_tests,
    claims_for_tests,
    token_encode_for_tests,
    unsigned_token_for_tests,
)

OTHER_SECRET = "another-secret-that-is-long-enough-for-hs256!"


def refused(token: str, reason: str = REASON_TOKEN_INVALID) -> ChatAuthError:
    with pytest.raises(ChatAuthError) as caught:
        token_decode(token=token)
    assert caught.value.close_code == CLOSE_UNAUTHORIZED
    assert caught.value.reason == reason
    return caught.value


def test_it_accepts_a_recommendation_token_minted_like_flask():
    now = datetime.now(UTC)
    token = chat_token_mint_for_tests(user_id=7, recommendation_id=42, now=now)

    claims = token_decode(token=token)

    assert claims == ChatClaims(
        user_id=7,
        scenario="recommendation",
        recommendation_id=42,
        context=None,
        exp=int((now + timedelta(hours=24)).timestamp()),
        iat=int(now.timestamp()),
    )


def test_it_accepts_an_analytics_token_minted_like_flask():
    token = chat_token_mint_for_tests(
        user_id=7, scenario="analytics", time_range_days=90, filters={"provider": "yandex"}
    )

    claims = token_decode(token=token)

    assert claims.scenario == "analytics"
    assert claims.recommendation_id is None
    assert claims.context == {"time_range_days": 90, "filters": {"provider": "yandex"}}


def test_it_normalises_a_numeric_string_recommendation_id_to_an_int():
    token = chat_token_mint_for_tests(user_id=7, recommendation_id=" 42 ")

    assert token_decode(token=token).recommendation_id == 42


@pytest.mark.parametrize("context", ['{"time_range_days": 7}', {"time_range_days": 7}])
def test_it_accepts_an_analytics_context_as_object_or_json_string(context):
    token = token_encode_for_tests(
        claims_for_tests(scenario="analytics", recommendation_id=None, context=context)
    )

    assert token_decode(token=token).context == {"time_range_days": 7}


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ("last week", {"raw": "last week"}),
        ("[1, 2]", {"raw": "[1, 2]"}),
        ([1, 2], {"raw": [1, 2]}),
        (None, {}),
    ],
)
def test_it_wraps_any_other_analytics_context_as_raw(context, expected):
    token = token_encode_for_tests(
        claims_for_tests(scenario="analytics", recommendation_id=None, context=context)
    )

    assert token_decode(token=token).context == expected


def test_it_refuses_an_expired_token():
    token = chat_token_mint_for_tests(
        user_id=7, recommendation_id=42, now=datetime.now(UTC) - timedelta(hours=25)
    )

    refused(token, REASON_TOKEN_EXPIRED)


def test_it_honours_the_leeway_for_a_just_expired_token(settings):
    settings.AGENT_SERVICE_JWT_LEEWAY_S = 30
    token = token_encode_for_tests(claims_for_tests(exp=int(datetime.now(UTC).timestamp()) - 10))

    assert token_decode(token=token).user_id == 1


def test_it_refuses_a_token_expired_beyond_the_leeway(settings):
    settings.AGENT_SERVICE_JWT_LEEWAY_S = 5
    token = token_encode_for_tests(claims_for_tests(exp=int(datetime.now(UTC).timestamp()) - 10))

    refused(token, REASON_TOKEN_EXPIRED)


def test_it_refuses_a_token_signed_with_another_secret():
    refused(chat_token_mint_for_tests(user_id=7, recommendation_id=42, secret=OTHER_SECRET))


def test_it_accepts_a_token_signed_with_a_previous_secret_during_rotation(settings):
    settings.AGENT_SERVICE_JWT_PREVIOUS_SECRETS = [
        "an-old-secret-still-valid-while-rotating",
        OTHER_SECRET,
    ]
    token = chat_token_mint_for_tests(user_id=7, recommendation_id=42, secret=OTHER_SECRET)

    assert token_decode(token=token).user_id == 7


def test_it_refuses_a_previous_secret_once_the_rotation_is_over(settings):
    settings.AGENT_SERVICE_JWT_PREVIOUS_SECRETS = []

    refused(chat_token_mint_for_tests(user_id=7, recommendation_id=42, secret=OTHER_SECRET))


def test_it_still_reports_expiry_for_a_token_signed_with_a_previous_secret(settings):
    settings.AGENT_SERVICE_JWT_PREVIOUS_SECRETS = [OTHER_SECRET]
    token = chat_token_mint_for_tests(
        user_id=7,
        recommendation_id=42,
        secret=OTHER_SECRET,
        now=datetime.now(UTC) - timedelta(hours=25),
    )

    refused(token, REASON_TOKEN_EXPIRED)


def test_it_never_accepts_a_token_signed_with_an_empty_secret(settings):
    settings.AGENT_SERVICE_JWT_SECRET = ""
    settings.AGENT_SERVICE_JWT_PREVIOUS_SECRETS = [""]
    signing_input = unsigned_token_for_tests(claims_for_tests(), alg="HS256")[:-1]
    signature = hmac.new(b"", signing_input.encode(), hashlib.sha256).digest()
    token = signing_input + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode()

    refused(token)


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "HS256"])
def test_it_refuses_an_unsigned_token(alg):
    refused(unsigned_token_for_tests(claims_for_tests(), alg=alg))


@pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning")
def test_it_refuses_an_hs512_token_even_with_the_right_secret():
    refused(token_encode_for_tests(claims_for_tests(), algorithm="HS512"))


def test_it_refuses_an_rs256_token():
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)

    refused(token_encode_for_tests(claims_for_tests(), algorithm="RS256", key=private_key))


def test_it_refuses_a_token_without_exp():
    refused(token_encode_for_tests(claims_for_tests(exp=DROP)), REASON_CLAIMS_INVALID)


def test_it_accepts_a_token_without_iat():
    assert token_decode(token=token_encode_for_tests(claims_for_tests(iat=DROP))).iat is None


def test_it_refuses_a_token_without_user_id():
    refused(token_encode_for_tests(claims_for_tests(user_id=DROP)), REASON_CLAIMS_INVALID)


@pytest.mark.parametrize("user_id", ["7", 7.0, True, None, 0, -3, 2**40, [7]])
def test_it_refuses_a_user_id_that_is_not_a_positive_int(user_id):
    refused(token_encode_for_tests(claims_for_tests(user_id=user_id)), REASON_CLAIMS_INVALID)


@pytest.mark.parametrize("scenario", ["admin", "Recommendation", "", None, DROP])
def test_it_refuses_an_unknown_scenario(scenario):
    refused(token_encode_for_tests(claims_for_tests(scenario=scenario)), REASON_CLAIMS_INVALID)


@pytest.mark.parametrize("recommendation_id", [DROP, None, "abc", "4.2", True, 0, "", "١٢"])
def test_it_refuses_a_recommendation_token_without_a_usable_recommendation_id(recommendation_id):
    token = token_encode_for_tests(claims_for_tests(recommendation_id=recommendation_id))

    refused(token, REASON_CLAIMS_INVALID)


@pytest.mark.parametrize("token", ["", None])
def test_it_asks_for_a_token_when_there_is_none(token):
    refused(token, REASON_TOKEN_REQUIRED)


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "..."])
def test_it_refuses_malformed_tokens(token):
    refused(token)


@pytest.mark.parametrize("length", [TOKEN_MAX_CHARS + 1, 20_000, 70_000])
def test_it_refuses_a_token_too_long_before_decoding_it(length, monkeypatch):
    decoded = []
    monkeypatch.setattr("jwt.decode", lambda *args, **kwargs: decoded.append(1))
    refused("x" * length, REASON_TOKEN_TOO_LONG)
    assert not decoded


# --- exp, iat and nbf: integers, and a bounded lifetime -------------------------------------------
def _now() -> int:
    return int(datetime.now(UTC).timestamp())


@pytest.mark.parametrize(
    "exp",
    [
        253_402_300_799,  # 9999-12-31
        2**63,
        10**400,
    ],
)
def test_it_refuses_a_validly_signed_token_that_expires_far_away(exp):
    refused(token_encode_for_tests(claims_for_tests(exp=exp)), REASON_LIFETIME_TOO_LONG)


@pytest.mark.parametrize(
    "exp", [1e308, 4_102_444_800.0, "4102444800", "９９９９９９９９９９", True]
)
def test_it_refuses_an_exp_that_is_not_an_integer(exp):
    error = refused_any(token_encode_for_tests(claims_for_tests(exp=exp)))
    assert error.reason in (REASON_CLAIMS_INVALID, REASON_TOKEN_INVALID, REASON_TOKEN_EXPIRED)


@pytest.mark.parametrize("claim", ["iat", "nbf"])
@pytest.mark.parametrize("value", [1.5, "1", None, [1], {"a": 1}, False])
def test_it_refuses_an_iat_or_nbf_that_is_not_an_integer(claim, value):
    valid = _now() - 60
    if isinstance(value, float):
        value = valid + 0.5
    elif isinstance(value, str):
        value = str(valid)
    refused_any(token_encode_for_tests(claims_for_tests(**{claim: value})))


def test_it_accepts_a_token_living_exactly_the_maximum(settings):
    settings.AGENT_SERVICE_JWT_MAX_LIFETIME_S = 86_400
    now = _now()
    token = token_encode_for_tests(claims_for_tests(iat=now, exp=now + 86_400))
    assert token_decode(token=token).exp == now + 86_400


def test_it_refuses_a_token_living_a_second_longer_than_the_maximum(settings):
    settings.AGENT_SERVICE_JWT_MAX_LIFETIME_S = 3_600
    now = _now()
    token = token_encode_for_tests(claims_for_tests(iat=now, exp=now + 3_601))
    refused(token, REASON_LIFETIME_TOO_LONG)


def test_it_counts_the_lifetime_from_iat_even_when_issued_long_ago():
    now = _now()
    token = token_encode_for_tests(claims_for_tests(iat=now - 80_000, exp=now + 10_000))
    refused(token, REASON_LIFETIME_TOO_LONG)


def test_without_iat_exp_must_be_within_the_maximum_from_now(settings):
    settings.AGENT_SERVICE_JWT_MAX_LIFETIME_S = 3_600
    now = _now()
    assert token_decode(token=token_encode_for_tests(claims_for_tests(iat=DROP, exp=now + 3_000)))
    refused(
        token_encode_for_tests(claims_for_tests(iat=DROP, exp=now + 7_200)),
        REASON_LIFETIME_TOO_LONG,
    )


def test_a_flask_token_of_24_hours_is_accepted_by_default():
    token = chat_token_mint_for_tests(user_id=1, recommendation_id=1)
    assert token_decode(token=token).user_id == 1


def refused_any(token: str) -> ChatAuthError:
    with pytest.raises(ChatAuthError) as caught:
        token_decode(token=token)
    assert caught.value.close_code == CLOSE_UNAUTHORIZED
    return caught.value


def test_its_refusals_never_echo_the_token():
    token = chat_token_mint_for_tests(user_id=7, recommendation_id=42, secret=OTHER_SECRET)

    error = refused(token)

    for part in token.split("."):
        assert part not in str(error)
        assert part not in error.reason
    assert json.dumps(error.reason).isascii()
