"""Personal data becomes placeholders on its way to a model and comes back for the user;
the service's own figures pass untouched."""

from __future__ import annotations

import json
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from llm.pii import (
    PLACEHOLDER,
    PiiScrubber,
    inn_valid,
    luhn_valid,
    snils_valid,
)
from llm.redact import MARKER, credentials_scrub

INN_10 = "7707083893"
INN_12 = "500100732259"
SNILS = "11223344595"
CARD = "4276380012345679"
NAMES = ("Алиса", "Смирнова")


def _one_off(value: str, index: int = 3) -> str:
    """value with one digit changed, so its checksum no longer holds."""
    digit = str((int(value[index]) + 1) % 10)
    return value[:index] + digit + value[index + 1 :]


def _kinds(text: str, **options) -> list[str]:
    return [m.group(1) for m in PLACEHOLDER.finditer(PiiScrubber(**options).scrub(text))]


PERSONAL = [
    ("пишите на alice@itlab.ru, спасибо", "alice@itlab.ru", "email"),
    ("Contact: Ivan.Petrov+ops@mail.example.co.uk.", "Ivan.Petrov+ops@mail.example.co.uk", "email"),
    ('{"owner":"ops-team@infrazen.ru"}', "ops-team@infrazen.ru", "email"),
    ("звоните +7 (912) 345-67-89", "+7 (912) 345-67-89", "телефон"),
    ("тел. +79123456789", "+79123456789", "телефон"),
    ("тел. 8 912 345 67 89", "8 912 345 67 89", "телефон"),
    ("тел. 8-912-345-67-89", "8-912-345-67-89", "телефон"),
    ("тел. 8 (800) 555-35-35, бесплатно", "8 (800) 555-35-35", "телефон"),
    ("тел. 89123456789", "89123456789", "телефон"),
    ("офис (495) 123-45-67", "(495) 123-45-67", "телефон"),
    ("мобильный 912 345-67-89", "912 345-67-89", "телефон"),
    ("сервер 95.213.4.18 отвечает", "95.213.4.18", "ip"),
    ("http://8.8.4.4/status", "8.8.4.4", "ip"),
    ("адреса 1.1.1.1,8.8.8.8", "8.8.8.8", "ip"),
    ("пример 203.0.113.7 из документации", "203.0.113.7", "ip"),
    ("IPv6 2a02:6b8::2:242, ok", "2a02:6b8::2:242", "ip"),
    ("IPv6 2a00:1450:4010:c05:0:0:0:71.", "2a00:1450:4010:c05:0:0:0:71", "ip"),
    (f"ИНН {INN_10}", INN_10, "инн"),
    (f"ИНН: {INN_12}.", INN_12, "инн"),
    ("СНИЛС 112-233-445 95", "112-233-445 95", "снилс"),
    (f"снилс {SNILS}", SNILS, "снилс"),
    ("паспорт 45 06 123456", "45 06 123456", "паспорт"),
    ("Паспорт: 4506 123456, выдан", "4506 123456", "паспорт"),
    ("серия 4506 номер 654321", "4506 номер 654321", "паспорт"),
    ("passport no. 4506123456", "4506123456", "паспорт"),
    (f"карта {CARD}", CARD, "карта"),
    ("карта 4276 3800 1234 5679", "4276 3800 1234 5679", "карта"),
    ("карта 4276-3800-1234-5679!", "4276-3800-1234-5679", "карта"),
    ("Amex 3782 822463 10005", "3782 822463 10005", "карта"),
    ("Алиса спрашивает", "Алиса", "имя"),
    ("передайте Алисе Смирновой", "Алисе Смирновой", "имя"),
    ("от Смирновой", "Смирновой", "имя"),
    ("АЛИСА", "АЛИСА", "имя"),
]


@pytest.mark.parametrize(("text", "value", "kind"), PERSONAL)
def test_each_personal_value_becomes_one_typed_placeholder_and_comes_back(text, value, kind):
    scrubber = PiiScrubber(names=NAMES)
    scrubbed = scrubber.scrub(text)
    assert value not in scrubbed
    assert f"[{kind} 1]" in scrubbed
    assert scrubber.issued[f"[{kind} 1]"] == value
    assert scrubber.restore(scrubbed) == text


@pytest.mark.parametrize(
    "text",
    [
        f"ИНН {_one_off(INN_10)}",
        f"ИНН {_one_off(INN_12)}",
        f"ИНН {_one_off(INN_12, 10)}",
        "ИНН 0000000000",
        f"СНИЛС {_one_off(SNILS)}",
        "СНИЛС 112-233-445 96",
        f"карта {_one_off(CARD)}",
        "карта 4276 3800 1234 5670",
        "номер 4506 123456 без слова",
        "тел. 9123456789",  # ten bare digits: no phone's shape
        "тел. 8 112 345 67 89",  # no Russian area code starts with 1
        "+7 12 34",
    ],
)
def test_a_near_miss_stays_as_it_is(text):
    assert PiiScrubber().scrub(text) == text


@pytest.mark.parametrize(
    ("check", "valid", "invalid"),
    [
        (inn_valid, [INN_10, INN_12, "7830002293"], [_one_off(INN_10), "123"]),
        (snils_valid, [SNILS, "112-233-445 95"], [_one_off(SNILS, 9), "00000000000"]),
        (luhn_valid, [CARD, "4111 1111 1111 1111"], [_one_off(CARD, 0), "4111"]),
    ],
)
def test_checksums(check, valid, invalid):
    assert all(check(value) for value in valid)
    assert not any(check(value) for value in invalid)


FIGURES = [
    "Экономия 12 345 ₽/мес, 1 234,56 ₽/мес и 1 234 567 890 ₽ за год",
    "5,349 ₽/мес вместо текущих 5,610 ₽/мес, это примерно на 5% дешевле (4,65 %)",
    "Экономия 1,709 ₽/мес (20,502 ₽/год): снапшот 248 дней, 507 GB, потрачено 14,124 ₽.",
    "перерасход 100 ₽ за весь всплеск, 8 912 345 ₽ и 89123456789 ₽",
    "с 12.03.2024 по 2024-03-12, в 10:30:00, 2024-03-12T10:30:00Z, 07.12.2026 09:10",
    "рекомендация #123, ресурс #4506123456, ids 1234567890 и 12345678901",
    "fhm1abc2345678901234, epd80qrfbkt7ng2sb8g9, b1g4506123456ab, 4506123456abc",
    "123e4567-e89b-12d3-a456-426614174000 и 550e8400-e29b-41d4-a716-446655440000",
    "v4-r8-d100-network_ssd:ru-6a, s3.medium, standard-v3, SL1.2-4096, c2-m4-d50",
    "4 vCPU, 16 GB RAM, 92 GB HD, 100% CPU, p95 0.867 s, 38.5 recs/s",
    "10.0.0.5, 192.168.1.10, 172.16.0.1, 127.0.0.1, 100.64.0.1, 169.254.0.1, 0.0.0.0",
    "::1, fe80::1, fd00::5, в 12:30:45 и 12:30",
    "версия 1.2.3, 2.10.0, Python 3.11.4",
    "std::vector и a::b, MAC 00:1a:2b:3c:4d:5e",
    "Итого: **1 000 ₽**. [скрыто] и [ответ остановлен], [image:abc]",
    "phone placeholder [телефон 1] typed by the user",
]


@pytest.mark.parametrize("text", FIGURES)
def test_the_services_figures_come_out_as_they_went_in(text):
    scrubber = PiiScrubber(names=NAMES)
    assert scrubber.scrub(text) == text
    assert scrubber.issued == {}


def test_public_ips_are_kept_when_the_setting_is_off():
    text = "сервер 95.213.4.18 и 2a02:6b8::2:242, почта a@b.ru"
    assert _kinds(text, public_ips=False) == ["email"]
    assert _kinds(text) == ["ip", "ip", "email"]


def test_names_match_their_case_forms_but_not_other_words():
    scrubber = PiiScrubber(names=("Иван Иванов", "Мария", "Игорь", "Сергей", "Толстой", "Ян"))
    forms = "Иванову Ивановым Ивана Иваном Марии Марией Игоря Игорем Сергею Толстого Ян Яна"
    assert re.fullmatch(r"(\[имя \d+\] ?)+", scrubber.scrub(forms))
    others = "Ивановка ивановский Маринад Игорёк ян-ян яндекс, янв. Толстолобик"
    assert scrubber.scrub(others) == others


def test_a_full_name_is_one_placeholder_and_latin_names_match_too():
    scrubber = PiiScrubber(names=("Ivan Petrov",))
    assert (
        scrubber.scrub("Dear Ivan Petrov, ivan and PETROV") == "Dear [имя 1], [имя 2] and [имя 3]"
    )


def test_ordinary_words_of_test_accounts_are_not_names():
    text = "Демо Пользователь: пользователь видит demo-данные"
    assert PiiScrubber(names=("Демо", "Пользователь", "demo")).scrub(text) == text


def test_the_same_value_keeps_its_placeholder_within_one_scrubber():
    scrubber = PiiScrubber(names=NAMES)
    first = scrubber.scrub("a@b.ru, c@d.ru, +7 912 345-67-89")
    second = scrubber.scrub("снова c@d.ru и a@b.ru")
    assert first == "[email 1], [email 2], [телефон 1]"
    assert second == "снова [email 2] и [email 1]"
    assert PiiScrubber().scrub("c@d.ru") == "[email 1]"  # each scrubber numbers its own


def test_scrubbing_scrubbed_text_changes_nothing():
    scrubber = PiiScrubber(names=NAMES)
    text = f"Алиса, alice@itlab.ru, +7 912 345-67-89, ИНН {INN_12}, 95.213.4.18"
    once = scrubber.scrub(text)
    assert scrubber.scrub(once) == once
    assert PiiScrubber(names=NAMES).scrub(once) == once


def test_a_placeholder_the_scrubber_never_issued_stays_as_it_is():
    scrubber = PiiScrubber()
    scrubber.scrub("a@b.ru")
    assert scrubber.restore("[email 1] и [email 7], [телефон 1], [скрыто]") == (
        "a@b.ru и [email 7], [телефон 1], [скрыто]"
    )
    assert scrubber.restore("[Email 1]") == "a@b.ru"


def test_a_placeholder_typed_in_the_input_is_never_reused():
    scrubber = PiiScrubber()
    scrubbed = scrubber.scrub("в шаблоне [email 1], реальный a@b.ru")
    assert scrubbed == "в шаблоне [email 1], реальный [email 2]"
    assert scrubber.restore(scrubbed) == "в шаблоне [email 1], реальный a@b.ru"


def test_secrets_are_dropped_first_and_never_restored():
    scrubber = PiiScrubber()
    text = scrubber.scrub(credentials_scrub("password: hunter2@mail.ru, контакт a@b.ru"))
    assert text == f"password: {MARKER}, контакт [email 1]"
    assert scrubber.restore(text) == f"password: {MARKER}, контакт a@b.ru"


def test_nested_data_keeps_its_keys_and_shape():
    scrubber = PiiScrubber(names=NAMES)
    data = {
        "owner": {"email": "alice@itlab.ru", "name": "Алиса Смирнова"},
        "alice@itlab.ru": [1, 2.5, None, True, ("95.213.4.18", "10.0.0.1")],
        "cost": "12 345 ₽/мес",
    }
    scrubbed = scrubber.scrub_data(data)
    assert scrubbed == {
        "owner": {"email": "[email 1]", "name": "[имя 1]"},
        "alice@itlab.ru": [1, 2.5, None, True, ("[ip 1]", "10.0.0.1")],
        "cost": "12 345 ₽/мес",
    }
    assert scrubber.restore_data(scrubbed) == data
    assert data["owner"]["email"] == "alice@itlab.ru"  # the caller's data is not changed


def test_tool_arguments_the_model_sends_back_are_restored_as_valid_json():
    scrubber = PiiScrubber(names=NAMES)
    scrubber.scrub('Алиса: мой (495) 123-45-67, почта "alice@itlab.ru"')
    arguments = '{"query": "[имя 1] [телефон 1]", "to": "[email 1]"}'
    assert json.loads(scrubber.restore(arguments)) == {
        "query": "Алиса (495) 123-45-67",
        "to": "alice@itlab.ru",
    }


def _streamed(scrubber: PiiScrubber, deltas: list[str]) -> list[str]:
    restorer = scrubber.stream_restorer()
    return [restorer.feed(delta) for delta in deltas] + [restorer.flush()]


def test_a_placeholder_split_across_deltas_comes_out_whole():
    scrubber = PiiScrubber(names=NAMES)
    scrubber.scrub("alice@itlab.ru и Алиса")
    answer = "Пишите [email 1], [имя 1]! [ссылка] и [email 9]."
    for cut in range(1, len(answer)):
        for cut2 in range(cut, len(answer)):
            out = _streamed(scrubber, [answer[:cut], answer[cut:cut2], answer[cut2:]])
            assert "".join(out) == "Пишите alice@itlab.ru, Алиса! [ссылка] и [email 9]."


def test_the_stream_holds_back_only_a_possible_placeholder():
    scrubber = PiiScrubber()
    scrubber.scrub("a@b.ru")
    assert _streamed(scrubber, ["Итого ", "12 345 ₽ [", "em", "ail 1] ок"]) == [
        "Итого ",
        "12 345 ₽ ",
        "",
        "a@b.ru ок",
        "",
    ]
    # "[ответ" cannot begin "[email 1]": it goes out at once.
    assert _streamed(scrubber, ["[ответ", " остановлен]"]) == ["[ответ", " остановлен]", ""]
    assert _streamed(scrubber, ["конец [ema"]) == ["конец ", "[ema"]  # flushed at the end
    assert _streamed(PiiScrubber(), ["[email"]) == ["[email", ""]  # nothing issued: no wait


FRAGMENTS = st.sampled_from(
    [
        "alice@itlab.ru",
        "Ivan.Petrov+x@mail.example.com",
        "+7 (912) 345-67-89",
        "8 800 555-35-35",
        "95.213.4.18",
        "10.0.0.5",
        "2a02:6b8::2:242",
        INN_10,
        INN_12,
        "112-233-445 95",
        "паспорт 45 06 123456",
        CARD,
        "Алиса",
        "Смирновой",
        "12 345 ₽/мес",
        "1 234,56 ₽",
        "5%",
        "#123",
        "2024-03-12",
        "fhm1abc2345678901234",
        "[email 1]",
        "[имя 3]",
        "[скрыто]",
        "[",
        "]",
        " ",
        ", ",
        "\n",
    ]
)
TEXTS = st.lists(st.one_of(FRAGMENTS, st.text(max_size=12)), max_size=12).map("".join)


@settings(max_examples=300, deadline=None)
@given(TEXTS)
def test_restore_undoes_scrub_and_scrub_is_idempotent(text):
    scrubber = PiiScrubber(names=NAMES)
    scrubbed = scrubber.scrub(text)
    assert scrubber.restore(scrubbed) == text
    assert scrubber.scrub(scrubbed) == scrubbed


@settings(max_examples=150, deadline=None)
@given(TEXTS, st.lists(st.integers(min_value=0, max_value=200), max_size=6))
def test_a_streamed_restore_equals_the_whole_restore(text, cuts):
    scrubber = PiiScrubber(names=NAMES)
    scrubbed = scrubber.scrub(text)
    points = sorted({min(cut, len(scrubbed)) for cut in cuts})
    deltas = [scrubbed[a:b] for a, b in zip([0, *points], [*points, len(scrubbed)], strict=True)]
    assert "".join(_streamed(scrubber, deltas)) == scrubber.restore(scrubbed) == text


def test_demo_packs_texts_and_tool_results_have_nothing_to_scrub_but_names_and_public_ips(world):
    from chat.context import context_pack_build, context_pack_json
    from infrazen.models import OptimizationRecommendation
    from recommendations_ai import prompts
    from recommendations_ai.facts import facts_build
    from recommendations_ai.templates_ru import texts_render
    from tools.base import ToolError
    from tools.registry import TOOLS, tool_run

    for user in (world.alice, world.bob):
        texts = [
            context_pack_json(
                pack=context_pack_build(
                    user=user, scenario="analytics", recommendation_id=None, context={}
                )
            )
        ]
        for rec in OptimizationRecommendation.objects.filter(resource__provider__user=user):
            facts = facts_build(recommendation=rec)
            rendered = texts_render(facts=facts)
            texts += [
                context_pack_json(
                    pack=context_pack_build(
                        user=user, scenario="recommendation", recommendation_id=rec.pk, context={}
                    )
                ),
                prompts.text_messages(facts=facts.as_dict(), family=facts.family)[1]["content"],
                rendered.short_html,
                rendered.detailed_html,
            ]
        before = len(texts)
        for name in TOOLS:
            try:  # the tools that need no arguments, as the model calls them
                result = tool_run(user=user, name=name, arguments_json="{}")
            except ToolError:
                continue
            texts.append(json.dumps(result.model_dump(mode="json"), ensure_ascii=False))
        assert len(texts) - before >= 5
        scrubber = PiiScrubber(names=(user.first_name, user.last_name))
        for text in texts:
            scrubbed = scrubber.scrub(text)
            assert {m.group(1) for m in PLACEHOLDER.finditer(scrubbed)} <= {"имя", "ip"}, scrubbed
            assert scrubber.restore(scrubbed) == text
