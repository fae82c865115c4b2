"""One answer's tool calls: each framed (`tool_call`, `tool_result`), run as the connection's
user, counted against its limits and audited (chat.model_loop asks them as the model wants)."""

from __future__ import annotations

import functools
import json
import logging
import time
from typing import Any

from pydantic import BaseModel

from chat import frames, texts
from chat.citations import tool_source
from chat.neutralise import html_neutralise
from chat.quota import tool_refusal
from chat.services import tool_call_audit_create
from chat.turns import Answer, Broadcast, Turn
from core.db import db_sync_to_async, db_waiting
from infrazen.models import InfraZenUser
from infrazen.selectors import user_get
from tools.base import ToolError
from tools.registry import TOOLS, result_summary, tool_refused_count, tool_run

logger = logging.getLogger(__name__)


class Tools:
    """One answer's tool calls: each framed (`tool_call`, `tool_result`), run as the
    connection's user and audited."""

    def __init__(self, *, turn: Turn, answer: Answer, broadcast: Broadcast) -> None:
        self.turn = turn
        self.answer = answer
        self.broadcast = broadcast

    @functools.cached_property
    def user(self) -> InfraZenUser:
        """The principal's row, which the tools act as (sync: read on the first call, once
        per answer). An answer that calls no tool needs none."""
        return user_get(user_id=self.turn.principal.user_id)

    async def call(
        self,
        *,
        call_id: str,
        name: str,
        arguments_json: str,
        round_number: int,
        admitted: bool = False,
        refusal: ToolError | None = None,
    ) -> BaseModel | ToolError:
        """Frame, run and audit one call; `admitted`: its policy and calls-a-minute limit
        were checked already (with its model call's settle), `refusal` what they said."""
        turn = self.turn
        module = TOOLS.get(name)
        self.answer.tool_calls += 1
        arguments = _arguments_for_frame(arguments_json)
        await self.broadcast(
            frames.frame(
                "tool_call",
                message_id=turn.answer_id,
                call_id=call_id,
                name=html_neutralise(name[:64]),
                label=getattr(module, "LABEL", texts.TOOL_LABEL_DEFAULT),
                arguments=arguments,
            )
        )
        # A tool that waits on a model (analyze_screenshot) runs off the database thread.
        run = db_waiting if getattr(module, "WAITS_ON_MODEL", False) else db_sync_to_async
        result = await run(self._execute)(
            name=name,
            arguments_json=arguments_json,
            arguments=arguments,
            round_number=round_number,
            admitted=admitted,
            refusal=refusal,
        )
        ok = not isinstance(result, ToolError)
        summary = result_summary(result) if ok else str(result)[:120]
        if ok:
            self.answer.sources.append(
                tool_source(
                    tool=name[:64],
                    label=getattr(module, "LABEL", texts.TOOL_LABEL_DEFAULT),
                    summary=summary,
                    data=result.model_dump(mode="json"),
                )
            )
        await self.broadcast(
            frames.frame(
                "tool_result",
                message_id=turn.answer_id,
                call_id=call_id,
                name=html_neutralise(name[:64]),
                ok=ok,
                # Summaries quote the user's own data (resource names), which may hold markup.
                summary=html_neutralise(summary),
            )
        )
        return result

    def _execute(
        self,
        *,
        name: str,
        arguments_json: str,
        arguments: Any,
        round_number: int,
        admitted: bool,
        refusal: ToolError | None,
    ) -> BaseModel | ToolError:
        """Run one tool as the connection's user and audit it (sync: it reads the database)."""
        turn = self.turn
        principal = turn.principal
        started = time.monotonic()
        try:
            # The user's tool policy and calls-a-minute limit; the model is told a refusal.
            if not admitted:
                refusal = tool_refusal(policy=turn.policy, name=name)
            if refusal is not None:
                tool_refused_count(name)
            result: BaseModel | ToolError = refusal or tool_run(
                user=self.user,
                name=name,
                arguments_json=arguments_json,
                scenario=principal.scenario,
            )
        except ToolError as exc:
            result = exc
        except Exception:
            logger.exception("tool %s failed", name[:64], extra={"session_id": turn.session_id})
            result = ToolError(f"{name[:64]} failed; the data is unavailable right now")
        ok = not isinstance(result, ToolError)
        tool_call_audit_create(
            session_id=turn.session_id,
            user_id=principal.user_id,
            tool=name,
            arguments=arguments,
            result=result if ok else None,
            ok=ok,
            error="" if ok else str(result),
            latency_ms=(time.monotonic() - started) * 1000,
            round=round_number,
            correlation_id=turn.correlation_id,
            message_id=turn.answer_id,
        )
        return result


def _arguments_for_frame(arguments_json: str) -> Any:
    try:
        return json.loads(arguments_json or "{}")
    except ValueError:
        return arguments_json[:500]
