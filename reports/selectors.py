"""Reads of the agent's own reports."""

from __future__ import annotations

import uuid

from reports.models import AgentReport


def report_for_signed_link(*, report_uuid: uuid.UUID) -> AgentReport | None:
    """The report a PDF link names. Not scoped to a user on purpose: the caller has already
    checked the link's signature, which is the credential (the stock page has no session)."""
    return AgentReport.objects.filter(uuid=report_uuid).first()
