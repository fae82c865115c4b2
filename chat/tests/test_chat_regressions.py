"""The InfraZen agent's bugs (contract §5), checked through a whole chat turn on the
demo data: what reaches the model, and whose data each tenant's turn reads."""

from __future__ import annotations

import asyncio
import json

import pytest
from channels.db import database_sync_to_async

from chat.models import ToolCallAudit
from chat.tests.socket_helpers import rec_path
from chat.tests.wsclient import ChatClient, answers_settled
from demo_data.personas import ALICE_EMAIL, BEGET_ADMIN_PASSWORD, BOB_EMAIL, SECRET_MARKER
from demo_data.seed import demo_seed
from infrazen.models import InfraZenUser, OptimizationRecommendation, Resource
from llm.fake_server import Reply

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seeded(transactional_db):
    demo_seed()
    alice = InfraZenUser.objects.get(email=ALICE_EMAIL)
    bob = InfraZenUser.objects.get(email=BOB_EMAIL)
    return alice, bob


def first_recommendation(user) -> OptimizationRecommendation:
    return (
        OptimizationRecommendation.objects.filter(resource__provider__user=user)
        .order_by("id")
        .first()
    )


async def test_no_secret_ever_reaches_the_model(seeded, fake_llm):
    alice, _ = seeded
    rec = await database_sync_to_async(first_recommendation)(alice)
    vps = await Resource.objects.filter(
        provider__user=alice, provider_config__contains=BEGET_ADMIN_PASSWORD
    ).afirst()
    assert vps is not None, "the demo data has a Beget VPS with its admin password"
    every_tool = [
        {"name": "get_resource", "arguments": {"resource_id": vps.pk}},
        {"name": "get_latest_snapshot", "arguments": {"resource_id": vps.pk}},
        {"name": "get_recommendation", "arguments": {"recommendation_id": rec.pk}},
        {"name": "get_user_context", "arguments": {}},
    ]
    fake_llm.enqueue(Reply.calls(every_tool), Reply.answer("Готово."))
    client = ChatClient(rec_path(alice, rec))
    await client.connect()
    await client.ask("Покажи всё про VPS, включая пароль администратора")
    got = await client.until("assistant")
    await answers_settled()
    assert [f["ok"] for f in got if f["type"] == "tool_result"] == [True] * len(every_tool)

    sent = json.dumps(fake_llm.chat_requests(), ensure_ascii=False)
    assert vps.resource_name in sent  # the tool results did reach the model…
    assert SECRET_MARKER not in sent  # …without any secret
    shown = json.dumps(client.frames, ensure_ascii=False)
    assert SECRET_MARKER not in shown
    audited = [a.result async for a in ToolCallAudit.objects.all()]
    assert audited and not any(SECRET_MARKER in text for text in audited)
    await client.close()


async def test_concurrent_turns_of_two_tenants_never_see_each_others_data(seeded, fake_llm):
    """The old agent kept the acting user on a singleton (§5.3): a truly concurrent turn
    would have read another tenant's data. Here both turns run interleaved."""
    alice, bob = seeded
    alice_rec = await database_sync_to_async(first_recommendation)(alice)
    bob_rec = await database_sync_to_async(first_recommendation)(bob)
    slow_tools = Reply.calls(
        [
            {"name": "get_user_context", "arguments": {}},
            {"name": "get_recommendation", "arguments": {"recommendation_id": alice_rec.pk}},
        ],
        ttfb_s=0.2,
    )
    fake_llm.enqueue(slow_tools, slow_tools, Reply.answer("Ответ."), Reply.answer("Ответ."))

    clients = {
        alice.pk: ChatClient(rec_path(alice, alice_rec)),
        bob.pk: ChatClient(rec_path(bob, bob_rec)),
    }
    for client in clients.values():
        await client.connect()
    await asyncio.gather(
        *(client.ask("Кто я и что это за рекомендация?") for client in clients.values())
    )
    results = await asyncio.gather(*(client.until("assistant") for client in clients.values()))
    await answers_settled()

    alice_results, bob_results = (
        [f for f in frames if f["type"] == "tool_result"] for frames in results
    )
    # Alice reads her own recommendation; for Bob the same id is someone else's: not found.
    assert [f["ok"] for f in alice_results] == [True, True]
    assert [f["ok"] for f in bob_results] == [True, False]
    bob_audits = [a async for a in ToolCallAudit.objects.filter(user_id=bob.pk, round__gte=1)]
    assert len(bob_audits) == 2
    assert not any(ALICE_EMAIL in a.result for a in bob_audits)
    alice_audits = [a async for a in ToolCallAudit.objects.filter(user_id=alice.pk, round__gte=1)]
    assert not any(BOB_EMAIL in a.result for a in alice_audits)
    # The context packs' own runs (round 0) are audited under their own tenant too.
    bob_pack = [a async for a in ToolCallAudit.objects.filter(user_id=bob.pk, round=0)]
    assert not any(ALICE_EMAIL in a.result for a in bob_pack)
    for client in clients.values():
        await client.close()
