"""The knowledge search: approved notes found by a user's words, and only the user's own texts."""

from __future__ import annotations

import json

import pytest

from conftest import make_recommendation, make_resource
from infrazen.models import CloudProvider
from knowledge.search import approved_notes, knowledge_index
from tools.registry import tool_run

# Twenty questions as users ask them, with the note that answers each.
QUESTIONS = [
    ("Как долго хранить старые снапшоты?", "snapshot-lifecycle"),
    ("Сколько стоит неиспользуемый публичный IP в Яндексе?", "public-ip-yandex"),
    ("Платим ли мы за плавающие IP в Selectel, если они не подключены?", "public-ip-selectel"),
    ("Можно ли перенести продакшн базу данных на Beget?", "beget-dev-test"),
    ("Что проверить перед переносом сервера к другому провайдеру?", "migration-checklist-server"),
    ("Как мигрировать PostgreSQL без долгого простоя?", "migration-database"),
    ("Как перенести кластер Kubernetes в Selectel?", "migration-kubernetes"),
    (
        "По какой загрузке процессора решать, уменьшать ли виртуальную машину?",
        "rightsizing-practice",
    ),
    ("Машина выключена, почему мы всё ещё за неё платим?", "stopped-vm-costs"),
    ("Что делать с дисками, которые ни к чему не подключены?", "unattached-volumes"),
    ("Зачем ставить метки на ресурсы?", "tagging-allocation"),
    ("Был резкий всплеск расходов, как его разобрать?", "anomaly-review"),
    ("Есть ли скидка за резервирование в Yandex Cloud?", "commitments-yandex"),
    ("Подойдут ли прерываемые машины для CI?", "preemptible-vms"),
    ("Как экономить на тестовых стендах ночью и в выходные?", "schedule-shutdown"),
    ("Как сократить плату за хранение объектов в бакете?", "object-storage-lifecycle"),
    ("Почему растёт плата за исходящий трафик?", "egress-traffic"),
    ("Как подобрать конфигурацию облачного сервера Selectel?", "selectel-servers"),
    ("Сколько мы теряем, откладывая рекомендации?", "cost-of-delay"),
    ("Как спрогнозировать бюджет на следующий месяц?", "budget-forecast"),
]


def test_every_note_has_a_source_and_a_date():
    notes = approved_notes()
    assert len(notes) == len({n.id for n in notes}) >= 20
    for note in notes:
        assert note.source and note.date and len(note.text) > 80


def test_recall_at_3_on_twenty_questions_is_at_least_0_9():
    index = knowledge_index(user_id=None)
    found = [
        f"note-{expected}" in [hit.document.id for hit in index.search(question, limit=3)]
        for question, expected in QUESTIONS
    ]
    recall = sum(found) / len(found)
    missed = [q for (q, _), ok in zip(QUESTIONS, found, strict=True) if not ok]
    assert recall >= 0.9, (recall, missed)


def test_a_query_of_unknown_words_finds_nothing():
    assert knowledge_index(user_id=None).search("zzz qqq 123") == []


@pytest.fixture
def alices_text(alice):
    yandex = CloudProvider.objects.get(user=alice, provider_type="yandex")
    resource = make_resource(yandex, "alice-ledger-db")
    return make_recommendation(
        resource,
        title="Перенос alice-ledger-db",
        ai_detailed_description="<strong>Квазиуникальный</strong> перенос бухгалтерской базы",
    )


@pytest.mark.django_db
def test_the_user_finds_their_own_recommendation_texts(alice, alices_text):
    hits = knowledge_index(user_id=alice.pk).search("квазиуникальный перенос бухгалтерской базы")
    assert hits[0].document.id == f"rec-{alices_text.pk}"
    assert hits[0].document.kind == "recommendation"


@pytest.mark.django_db
def test_bob_never_finds_alices_texts(alice, bob, alices_text):
    hits = knowledge_index(user_id=bob.pk).search("квазиуникальный перенос бухгалтерской базы")
    assert all(hit.document.kind == "note" for hit in hits)
    result = tool_run(
        user=bob, name="search_knowledge", arguments_json=json.dumps({"query": "квазиуникальный"})
    )
    assert "alice" not in result.model_dump_json() and result.passages == []
