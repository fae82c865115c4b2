"""The chat assistant without a language model: keyword intents, the same tools, fixed wording.

When no LLM is configured the engine still answers:

1. `offline_plan` reads the question (Russian or English; any case, ё or е, punctuation, light
   typos), picks an intent (chat.offline.intents) and the read-only tool calls that answer it
   (chat.offline.plan);
2. the engine runs them through `tools.registry.tool_run` as the connected user (with the
   usual tool_call/tool_result frames and audit rows);
3. optionally it runs `offline_followup`: calls whose arguments come from the first results
   (calculate_savings needs the recommendation's monthly costs, get_resource its resource id);
4. it streams the text of `offline_answer` (chat.offline.compose): the renderer of the intent
   (chat.offline.renderers, one module per family, each reading its tools' typed Results).

All three functions are pure: no database and no user. A plan names tools and arguments only,
so it cannot reach another tenant's rows; every figure in an answer is read from a tool
result, and a ToolError becomes a plain "no data" sentence, never a number. The wording lives
in chat.offline.wording, the English of the tools' own texts in chat.offline.tool_wording.
"""

from __future__ import annotations

from chat.offline.compose import offline_answer
from chat.offline.plan import OfflinePlan, PlannedCall, offline_followup, offline_plan
from chat.offline.wording import OFFLINE_NOTICE_EN, OFFLINE_NOTICE_RU

__all__ = [
    "OFFLINE_NOTICE_EN",
    "OFFLINE_NOTICE_RU",
    "OfflinePlan",
    "PlannedCall",
    "offline_answer",
    "offline_followup",
    "offline_plan",
]
