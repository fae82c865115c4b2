from __future__ import annotations

import pytest

from chat.auth import (
    CLOSE_FORBIDDEN,
    CLOSE_NOT_FOUND,
    CLOSE_UNAUTHORIZED,
    REASON_RECOMMENDATION_MISMATCH,
    REASON_RECOMMENDATION_NOT_FOUND,
    REASON_SCENARIO_MISMATCH,
    REASON_USER_NOT_ALLOWED,
    ChatAuthError,
    ChatPrincipal,
    chat_connection_authorize,
)
from chat.flask_tokens import chat_token_mint_for_tests, claims_for_tests, token_encode_for_tests
from conftest import make_recommendation, make_resource
from infrazen.models import CloudProvider, InfraZenUser


@pytest.fixture
def alices_recommendation(alice):
    yandex = CloudProvider.objects.get(user=alice, provider_type="yandex")
    return make_recommendation(make_resource(yandex, "office"))


def refused(**kwargs) -> ChatAuthError:
    with pytest.raises(ChatAuthError) as caught:
        chat_connection_authorize(**kwargs)
    return caught.value


def test_it_admits_alice_to_her_recommendation(alice, alices_recommendation):
    rec_id = alices_recommendation.pk
    token = chat_token_mint_for_tests(user_id=alice.pk, recommendation_id=rec_id)

    principal = chat_connection_authorize(
        token=token, endpoint_scenario="recommendation", url_recommendation_id=rec_id
    )

    assert principal == ChatPrincipal(
        user_id=alice.pk,
        role="user",
        is_read_only=False,
        scenario="recommendation",
        recommendation_id=rec_id,
        context={},
    )


def test_it_admits_a_recommendation_token_whose_id_came_as_a_string(alice, alices_recommendation):
    rec_id = alices_recommendation.pk
    token = chat_token_mint_for_tests(user_id=alice.pk, recommendation_id=str(rec_id))

    principal = chat_connection_authorize(
        token=token, endpoint_scenario="recommendation", url_recommendation_id=rec_id
    )

    assert principal.recommendation_id == rec_id


def test_it_admits_alice_to_analytics_with_her_context(alice):
    token = chat_token_mint_for_tests(
        user_id=alice.pk, scenario="analytics", time_range_days=7, filters={"b": 1, "a": 2}
    )

    principal = chat_connection_authorize(
        token=token, endpoint_scenario="analytics", url_recommendation_id=None
    )

    assert principal.scenario == "analytics"
    assert principal.recommendation_id is None
    assert principal.context == {"filters": {"a": 2, "b": 1}, "time_range_days": 7}
    assert principal.context_json == '{"filters": {"a": 2, "b": 1}, "time_range_days": 7}'


def test_it_marks_the_demo_user_read_only(demo):
    token = chat_token_mint_for_tests(user_id=demo.pk, scenario="analytics")

    principal = chat_connection_authorize(
        token=token, endpoint_scenario="analytics", url_recommendation_id=None
    )

    assert (principal.role, principal.is_read_only) == ("demouser", True)


def test_it_refuses_an_analytics_token_on_the_recommendation_endpoint(alice, alices_recommendation):
    token = chat_token_mint_for_tests(user_id=alice.pk, scenario="analytics")

    error = refused(
        token=token,
        endpoint_scenario="recommendation",
        url_recommendation_id=alices_recommendation.pk,
    )

    assert (error.close_code, error.reason) == (CLOSE_FORBIDDEN, REASON_SCENARIO_MISMATCH)


def test_it_refuses_a_recommendation_token_on_the_analytics_endpoint(alice, alices_recommendation):
    token = chat_token_mint_for_tests(user_id=alice.pk, recommendation_id=alices_recommendation.pk)

    error = refused(token=token, endpoint_scenario="analytics", url_recommendation_id=None)

    assert (error.close_code, error.reason) == (CLOSE_FORBIDDEN, REASON_SCENARIO_MISMATCH)


def test_it_refuses_a_token_for_another_recommendation_than_the_url(alice, alices_recommendation):
    token = chat_token_mint_for_tests(user_id=alice.pk, recommendation_id=alices_recommendation.pk)

    error = refused(
        token=token,
        endpoint_scenario="recommendation",
        url_recommendation_id=alices_recommendation.pk + 1,
    )

    assert (error.close_code, error.reason) == (CLOSE_FORBIDDEN, REASON_RECOMMENDATION_MISMATCH)


def test_bob_is_refused_alices_recommendation_exactly_like_a_missing_one(
    alice, bob, alices_recommendation
):
    rec_id = alices_recommendation.pk
    foreign = refused(
        token=chat_token_mint_for_tests(user_id=bob.pk, recommendation_id=rec_id),
        endpoint_scenario="recommendation",
        url_recommendation_id=rec_id,
    )
    missing = refused(
        token=chat_token_mint_for_tests(user_id=bob.pk, recommendation_id=rec_id + 1000),
        endpoint_scenario="recommendation",
        url_recommendation_id=rec_id + 1000,
    )

    assert (foreign.close_code, foreign.reason) == (
        CLOSE_NOT_FOUND,
        REASON_RECOMMENDATION_NOT_FOUND,
    )
    assert (missing.close_code, missing.reason) == (foreign.close_code, foreign.reason)
    assert str(foreign) == str(missing)


def test_it_refuses_a_recommendation_of_a_soft_deleted_provider(alice, alices_recommendation):
    CloudProvider.objects.filter(pk=alices_recommendation.provider_id).update(is_deleted=True)
    rec_id = alices_recommendation.pk

    error = refused(
        token=chat_token_mint_for_tests(user_id=alice.pk, recommendation_id=rec_id),
        endpoint_scenario="recommendation",
        url_recommendation_id=rec_id,
    )

    assert error.close_code == CLOSE_NOT_FOUND


def test_it_refuses_a_deactivated_user_with_a_still_valid_token(alice):
    token = chat_token_mint_for_tests(user_id=alice.pk, scenario="analytics")
    InfraZenUser.objects.filter(pk=alice.pk).update(is_active=False)

    error = refused(token=token, endpoint_scenario="analytics", url_recommendation_id=None)

    assert (error.close_code, error.reason) == (CLOSE_FORBIDDEN, REASON_USER_NOT_ALLOWED)


def test_it_refuses_a_user_that_does_not_exist(db):
    token = chat_token_mint_for_tests(user_id=987654, scenario="analytics")

    error = refused(token=token, endpoint_scenario="analytics", url_recommendation_id=None)

    assert (error.close_code, error.reason) == (CLOSE_FORBIDDEN, REASON_USER_NOT_ALLOWED)


def test_it_checks_the_token_before_touching_the_database():
    # No db fixture: any query would raise RuntimeError instead of ChatAuthError.
    token = token_encode_for_tests(claims_for_tests(user_id="1"))

    error = refused(token=token, endpoint_scenario="recommendation", url_recommendation_id=1)

    assert error.close_code == CLOSE_UNAUTHORIZED
