from __future__ import annotations

import math

import pytest

from ru_format import capitalised, counted, days, plural, rub, rub_period, rub_round, short_number

DAY_FORMS = ("день", "дня", "дней")


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "дней"),
        (1, "день"),
        (2, "дня"),
        (3, "дня"),
        (4, "дня"),
        (5, "дней"),
        (11, "дней"),
        (12, "дней"),
        (14, "дней"),
        (20, "дней"),
        (21, "день"),
        (22, "дня"),
        (25, "дней"),
        (101, "день"),
        (111, "дней"),
        (112, "дней"),
        (122, "дня"),
        (248, "дней"),
        (547, "дней"),
        (1001, "день"),
    ],
)
def test_plural_follows_russian_rules_for_whole_numbers(n, expected):
    assert plural(n, *DAY_FORMS) == expected


def test_plural_treats_negative_numbers_like_positive_ones():
    assert plural(-21, *DAY_FORMS) == "день"
    assert plural(-3, *DAY_FORMS) == "дня"


@pytest.mark.parametrize("n", [1.5, 0.5, 2.25, 11.5])
def test_plural_uses_the_genitive_singular_for_fractions(n):
    assert plural(n, *DAY_FORMS) == "дня"


def test_plural_accepts_whole_floats_as_integers():
    assert plural(21.0, *DAY_FORMS) == "день"


@pytest.mark.parametrize(
    ("n", "expected"),
    [(1, "1 день"), (21, "21 день"), (22, "22 дня"), (25, "25 дней"), (248, "248 дней")],
)
def test_days_writes_the_number_and_the_agreeing_noun(n, expected):
    assert days(n) == expected


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (1708.5, "1,709"),
        (5349.44, "5,349"),
        (5610.3, "5,610"),
        (260.86, "261"),
        (14119, "14,119"),
        (241.0, "241"),
        (0, "0"),
        (999.5, "1,000"),
        (1234567.4, "1,234,567"),
        (9876543210.0, "9,876,543,210"),
    ],
)
def test_rub_rounds_to_whole_rubles_with_comma_thousands(amount, expected):
    assert rub(amount) == expected


@pytest.mark.parametrize(("amount", "expected"), [(0.5, 1), (2.5, 3), (260.5, 261), (1.49, 1)])
def test_rub_rounds_half_up_not_to_even(amount, expected):
    assert rub_round(amount) == expected


def test_rub_keeps_the_sign_of_negative_amounts():
    assert rub(-1708.5) == "-1,709"
    assert rub(-241) == "-241"


@pytest.mark.parametrize("amount", [math.nan, math.inf, -math.inf])
def test_rub_refuses_amounts_that_are_not_numbers(amount):
    with pytest.raises(ValueError):
        rub(amount)


@pytest.mark.parametrize(
    ("period", "expected"),
    [("month", "1,709 ₽/мес"), ("day", "1,709 ₽/день"), ("year", "1,709 ₽/год")],
)
def test_rub_period_always_states_the_period(period, expected):
    assert rub_period(1708.5, period) == expected


@pytest.mark.parametrize(
    ("n", "expected"), [(1, "1 шаг"), (3, "3 шага"), (11, "11 шагов"), (21, "21 шаг")]
)
def test_counted_puts_the_noun_in_the_form_that_agrees(n, expected):
    assert counted(n, "шаг", "шага", "шагов") == expected
    assert days(n) == counted(n, *DAY_FORMS)


@pytest.mark.parametrize(
    ("value", "expected"), [(3.2, "3.2"), (3.0, "3"), (3.04, "3"), (0.25, "0.2"), (-3.0, "-3")]
)
def test_short_number_keeps_one_decimal_and_drops_a_trailing_zero(value, expected):
    assert short_number(value) == expected


def test_capitalised_changes_only_the_first_letter():
    assert capitalised("сложность 3 из 5 (DNS)") == "Сложность 3 из 5 (DNS)"
    assert capitalised("") == ""
