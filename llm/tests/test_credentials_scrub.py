"""Credentials pasted into free text never reach the model; what a FinOps answer needs does."""

from __future__ import annotations

import json
import random
import string

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conftest import make_recommendation, make_resource
from infrazen.models import CloudProvider
from llm import gateway
from llm.fake_server import Reply
from llm.redact import MARKER, credentials_scrub, messages_scrub

SECRET = "Hunter2Secret"

SECRETS_IN_CONTEXT = [
    (f"db password: {SECRET} ok", SECRET),
    (f"DB_PASSWORD={SECRET}", SECRET),
    (f'{{"password": "{SECRET} with spaces", "vcpus": 2}}', SECRET),
    (f"password: '{SECRET}'", SECRET),
    (f"admin_pass: {SECRET}\nregion: ru-central1-a", SECRET),
    (f"https://api.example.ru/v1?api_key={SECRET}&page=2", SECRET),
    (f"X-Auth-Token: {SECRET}", SECRET),
    (f"clientSecret={SECRET}", SECRET),
    (f"session_id={SECRET}; path=/", SECRET),
    (f"Cookie: {SECRET}", SECRET),
    (f"export AWS_SECRET_ACCESS_KEY={SECRET}", SECRET),
    (f"Authorization: Bearer {SECRET}", SECRET),
    ("Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA"),
    (f"curl -H 'Bearer {SECRET}' https://x.ru", SECRET),
    (f"пароль: {SECRET}", SECRET),
    (f"Пароль от БД={SECRET}", SECRET),
    (f"токен: {SECRET}", SECRET),
    (f"ключ API: {SECRET}", SECRET),
    (f'notes: "root pwd={SECRET}, host db1"', SECRET),
]

SECRETS_IN_URLS = [
    (f"https://admin:{SECRET}@panel.example.ru/login", "https://[скрыто]@panel.example.ru/login"),
    (f"mysql://app:{SECRET}@10.0.0.5:3306/shop", "mysql://[скрыто]@10.0.0.5:3306/shop"),
    (f"redis://:{SECRET}@cache:6379/0", "redis://[скрыто]@cache:6379/0"),
    (f"https://u:p@{SECRET}@host.ru/a@b", "https://[скрыто]@host.ru/a@b"),
]

TOKEN_SHAPES = [
    "AKIAIOSFODNN7EXAMPLE",
    "ghp_" + "Ab1" * 12,
    "github_pat_11ABCDEFG0abcdefghijkl_mnopqrstuvwxyz0123456789",
    "xoxb-1234567890-0987654321-AbCdEfGhIjKl",
    "sk-proj-" + "Zx9" * 10,
    "sk-or-v1-" + "0a1b2c3d" * 8,
    "t1.9euelZqNmJ2Pk5eRk82Ry5aZmZWYnu3rnpWalpWWlJPKkZjJzpCSzpCcj5E.Xk1fQ2r-_LmN0pQrStUvWxYz",
    "y0_AgAAAAAAbbbbCCCCddddEEEEffff12",
    "AQVN1HHJReSrfo9jU3aopsXrJyfq_Zr1Ao9n",
    "YCAJEK0iX9ceT8lJ4hCQUC2Sf",
    "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "Kq8xZ2vT9mLp3RwN7yB4cH6jF1sD5gA0eU",  # a random base64 token, no known prefix
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",  # a hex secret
]

PEM = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n"
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
    "-----END OPENSSH PRIVATE KEY-----"
)

BENIGN = [
    "Ресурс fhm1a2b3c4d5e6f7g8h9 стоит 14,119 ₽/мес, экономия 3 500 ₽ с 2024-11-15.",
    "Рекомендация 123e4567-e89b-12d3-a456-426614174000 для epdvq4m3c1h7k2g5b8n0.",
    "Сервер с IP 10.0.0.1 и 2a02:6b8::1, SKU v4-r8-d100-network_ssd:ru-6a, 4 vCPU, 8 GB.",
    "Ключевые выводы: перенос в selectel сэкономит 261 ₽/мес.",
    "bypass: true, author: Иван, sessions: 5, passengers: 3",
    "k8s-cluster-production-worker-node-group-01 s3.standard-v3-50-percent-burstable",
    "MyCompanyProductionDatabaseServer2024x /var/lib/mysql/data/backups/2024-11-15/full",
    "https://console.yandex.cloud/folders/b1g2h3j4k5l6m7n8p9q0/compute",
    "Токены модели: 1 500, стоимость 0,12 ₽.",
    "",
]


class TestKeyValuePairs:
    @pytest.mark.parametrize(("text", "secret"), SECRETS_IN_CONTEXT)
    def test_a_value_under_a_secret_looking_key_is_replaced_by_the_marker(self, text, secret):
        scrubbed = credentials_scrub(text)

        assert secret not in scrubbed
        assert MARKER in scrubbed

    def test_the_key_and_the_text_around_it_stay(self):
        assert credentials_scrub(f"db password: {SECRET} ok") == "db password: [скрыто] ok"
        assert credentials_scrub(f'{{"password": "{SECRET}", "x": 1}}') == (
            '{"password": "[скрыто]", "x": 1}'
        )

    def test_json_with_a_scrubbed_value_still_parses(self):
        # Every prompt path dumps with ensure_ascii=False, so Russian keys arrive as written.
        text = json.dumps(
            {"notes": f"пароль: {SECRET}, token={SECRET}", "vcpus": 2}, ensure_ascii=False
        )

        assert json.loads(credentials_scrub(text)) == {
            "notes": "пароль: [скрыто], token=[скрыто]",
            "vcpus": 2,
        }


class TestUrlsWithUserinfo:
    @pytest.mark.parametrize(("text", "expected"), SECRETS_IN_URLS)
    def test_the_userinfo_goes_and_scheme_host_and_path_stay(self, text, expected):
        assert credentials_scrub(text) == expected


class TestKnownShapesAndRandomTokens:
    @pytest.mark.parametrize("token", TOKEN_SHAPES)
    def test_a_token_of_a_known_shape_or_random_looking_is_replaced(self, token):
        assert credentials_scrub(f"ключ {token} в заметке") == "ключ [скрыто] в заметке"

    def test_a_private_key_block_is_replaced_whole(self):
        assert credentials_scrub(f"до\n{PEM}\nпосле") == "до\n[скрыто]\nпосле"

    def test_an_unterminated_private_key_block_is_replaced_to_the_end(self):
        assert credentials_scrub("x " + PEM.rsplit("-----END", 1)[0]) == "x [скрыто]"


class TestWhatFinOpsNeeds:
    @pytest.mark.parametrize("text", BENIGN)
    def test_ids_uuids_amounts_dates_ips_and_sku_names_are_left_alone(self, text):
        assert credentials_scrub(text) == text


class TestMessages:
    def test_every_string_content_text_part_and_replayed_argument_is_scrubbed(self):
        image = {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}}
        messages = [
            {"role": "system", "content": "Ты ассистент FinOps."},
            {"role": "user", "content": [{"type": "text", "text": f"пароль: {SECRET}"}, image]},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {
                            "name": "get_resource",
                            "arguments": f'{{"q": "pwd={SECRET}"}}',
                        },
                    }
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": f'{{"notes": "token={SECRET}"}}'},
        ]
        original = json.dumps(messages)

        scrubbed = messages_scrub(messages)

        assert SECRET not in json.dumps(scrubbed)
        assert scrubbed[0] == messages[0]
        assert scrubbed[1]["content"][1] == image
        assert json.dumps(messages) == original  # the caller's list is untouched


# --- properties -------------------------------------------------------------------------------
_WORDS = ["Сервер", "стоит", "в месяц", "экономия", "ресурс", "диск", "перенос", "в", "и", "на"]
_ID_ALPHABET = string.ascii_lowercase + string.digits
_B64 = string.ascii_letters + string.digits + "_-"

ids = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(["fhm", "epd", "b1g", "fv4", "c8r"]),
    st.text(_ID_ALPHABET, min_size=17, max_size=17),
)
uuids = st.uuids().map(str)
amounts = st.integers(0, 10_000_000).map(lambda n: f"{n:,} ₽/мес")
dates = st.dates().map(lambda d: d.isoformat())
benign_sentences = st.lists(
    st.one_of(st.sampled_from(_WORDS), ids, uuids, amounts, dates), min_size=1, max_size=12
).map(" ".join)


def _random_token(seed: int, length: int) -> str:
    # A seeded PRNG, not Hypothesis' own draws: shrinking would make them all "A".
    return "".join(random.Random(seed).choices(_B64, k=length))


planted_values = st.one_of(
    st.builds(_random_token, st.integers(), st.integers(12, 40)),
    st.sampled_from(TOKEN_SHAPES),
)
templates = st.sampled_from(
    [
        "password={}",
        "Пароль: {}",
        '"api_key": "{}"',
        "Authorization: Bearer {}",
        "https://admin:{}@db.example.ru/x",
        "secret_key: {}",
        "{}",
    ]
)


@given(before=benign_sentences, after=benign_sentences, template=templates, value=planted_values)
def test_a_planted_secret_never_survives(before, after, template, value):
    # Bare random text must be long to look random: at 32 characters 0.6 % of random tokens
    # score below the entropy bar (llm.redact._MIXED_ENTROPY), at 40 none in 20,000.
    if template == "{}" and value not in TOKEN_SHAPES and len(value) < 40:
        value = _random_token(len(value), 40)
    planted = template.format(value)

    scrubbed = credentials_scrub(f"{before} {planted} {after}")

    assert value not in scrubbed


@given(text=benign_sentences)
def test_benign_finops_text_is_unchanged(text):
    assert credentials_scrub(text) == text


@given(
    text=st.one_of(
        st.text(),
        st.builds(
            lambda t, v, s: f"{s} {t.format(v)} {s}", templates, planted_values, benign_sentences
        ),
    )
)
def test_scrubbing_twice_changes_nothing_more(text):
    once = credentials_scrub(text)

    assert credentials_scrub(once) == once


# --- end to end -------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
async def test_a_password_planted_in_a_resources_free_text_never_reaches_the_model(alice, fake_llm):
    from asgiref.sync import sync_to_async

    from recommendations_ai.services import text_generate

    def plant():
        yandex = CloudProvider.objects.get(user=alice, provider_type="yandex")
        resource = make_resource(yandex, f"office pwd={SECRET}", provider_config='{"vcpus": 4}')
        return make_recommendation(
            resource,
            insights=str(
                {
                    "explanation": f"Заметка админа: пароль: {SECRET}, вход mysql://root:{SECRET}@db/x"
                }
            ),
        )

    recommendation = await sync_to_async(plant)()
    fake_llm.enqueue(Reply.answer("нет"))

    await text_generate(
        recommendation=recommendation,
        owner_id=alice.pk,
        deadline=gateway.deadline_in(5),
        force=True,
    )

    sent = json.dumps(fake_llm.chat_requests(), ensure_ascii=False)
    assert fake_llm.chat_requests(), "the text generation asked the model"
    assert "office pwd=[скрыто]" in sent  # the free text itself did reach the prompt
    assert SECRET not in sent


def test_a_long_text_is_scrubbed_once_per_process_with_the_same_result():
    from llm import redact

    text = "db password: " + SECRET + " " + "и ещё немного текста о расходах. " * 20
    redact._remembered_scrub.cache_clear()

    first, second = credentials_scrub(text), credentials_scrub(text)

    assert first == second == redact._credentials_scrub(text)
    assert SECRET not in first and MARKER in first
    assert redact._remembered_scrub.cache_info().hits == 1
