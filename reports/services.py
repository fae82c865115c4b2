"""Render a report and keep it: snapshot → narrative (model or template) → HTML → stored."""

from __future__ import annotations

import logging
import uuid

from asgiref.sync import sync_to_async

from core import metrics
from core.db import db_sync_to_async
from governance.budgets import cost_rub
from reports.links import pdf_link
from reports.models import AgentReport
from reports.narrative_llm import narrative_generate
from reports.render import plain, report_html
from reports.snapshot import ReportSnapshot, snapshot_build

logger = logging.getLogger(__name__)


def _store(
    *, report_uuid: uuid.UUID, snapshot: ReportSnapshot, html: str, user_id: int, result
) -> AgentReport:
    return AgentReport.objects.create(
        uuid=report_uuid,
        user_id=user_id,
        role=snapshot.role,
        period_days=snapshot.period_days,
        snapshot=snapshot.model_dump(mode="json"),
        html=html,
        summary=plain(result.narrative.executive_summary, snapshot.facts),
        narrative_source=result.source,
        narrative_note=result.note[:2000],
        model=result.model[:120],
        prompt_tokens=result.prompt_tokens,
        completion_tokens=result.completion_tokens,
        cost_usd=result.cost_usd,
        cost_rub=cost_rub(cost_usd=result.cost_usd),
    )


async def report_snapshot(*, user_id: int, role: str, period_days: int) -> ReportSnapshot:
    """Raises NotFound for an unknown or inactive user."""
    return await db_sync_to_async(snapshot_build)(
        user_id=user_id, role=role, period_days=period_days
    )


async def report_render(
    *, user_id: int, role: str, period_days: int, deadline: float
) -> tuple[AgentReport, ReportSnapshot]:
    snapshot = await report_snapshot(user_id=user_id, role=role, period_days=period_days)
    result = await narrative_generate(snapshot=snapshot, user_id=user_id, deadline=deadline)
    if result.source != "llm":
        logger.info("report narrative from the template: %s", result.note[:200])
    report_uuid = uuid.uuid4()
    html = await sync_to_async(report_html, thread_sensitive=False)(
        snapshot=snapshot, narrative=result.narrative, pdf_url=pdf_link(str(report_uuid))
    )
    report = await db_sync_to_async(_store)(
        report_uuid=report_uuid, snapshot=snapshot, html=html, user_id=user_id, result=result
    )
    metrics.report_renders.labels("html", result.source).inc()
    return report, snapshot
