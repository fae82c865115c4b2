"""Answers about the account: the cloud connections and their syncs, and what can be asked."""

from __future__ import annotations

from chat.offline import wording
from chat.offline.answer import Answer, bold, clean, joined, numbered
from chat.offline.intents import SCENARIO_RECOMMENDATION
from tools import get_user_context


def answer_connections(a: Answer) -> list[str]:
    context = a.get(get_user_context.Result)
    if context is None:
        return a.no_data()
    items = []
    for connection in context.connections:
        kind = a.provider(connection.provider_type)
        name = bold(clean(connection.connection_name)) + (f" ({kind})" if kind else "")
        when = a.date(connection.last_sync, time=True)
        state = joined(
            [
                a.say("conn_active" if connection.is_active else "conn_inactive"),
                a.say("conn_synced", when=when) if when else a.say("conn_never"),
                a.label(wording.SYNC_STATUSES, connection.sync_status),
            ]
        )
        items.append(f"{name} — {state}.")
    if items:
        lead = a.say("conn_lead", count=a.count(len(items), "connection"))
    else:
        lead = a.say("conn_none")
    disabled = None
    if context.disabled_target_providers:
        names = ", ".join(a.provider(p) or p for p in context.disabled_target_providers)
        disabled = a.say("conn_disabled", providers=names)
    return [lead, *numbered(items), disabled, *a.missing(), a.next_step("connections")]


def answer_help(a: Answer) -> list[str]:
    lines = [a.say("help_lead"), *numbered(a.pick(wording.HELP[a.plan.scenario]))]
    if a.plan.scenario == SCENARIO_RECOMMENDATION and not a.plan.recommendation_id:
        lines.insert(0, a.say("no_recommendation"))
    return lines
