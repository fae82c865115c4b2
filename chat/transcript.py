"""A chat session as the admin shows it: the messages in order, what the model wrote made
safe (every data string escaped; only **bold** and line breaks become markup), each answer's
tool calls inline with their arguments, outcome, latency and result, and how its figures were
traced to its data (chat.citations): how many were cited, which were not verified."""

from __future__ import annotations

import json
import re

from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from chat.image_memory import readings_by_message
from chat.models import AgentMessageFigures, ToolCallAudit
from infrazen.models import ChatMessage, ChatSession

BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
ROLES = {"user": "Пользователь", "assistant": "Ассистент", "system": "Система"}
RESULT_SHOWN = 600


def markdown_safe(text: str) -> SafeString:
    """Escaped first, then **bold** and newlines: nothing the model wrote becomes a tag."""
    escaped = escape(text or "")
    return mark_safe(BOLD.sub(r"<strong>\1</strong>", escaped).replace("\n", "<br>"))  # noqa: S308


def _calls(audits: list[ToolCallAudit]) -> SafeString:
    return format_html_join(
        "",
        "<li><code>{}</code> {} · {} мс<br><small>аргументы: <code>{}</code></small>"
        "<br><small>{}</small></li>",
        (
            (
                audit.tool,
                "✓" if audit.ok else "✗ " + audit.error[:200],
                round(audit.latency_ms),
                json.dumps(audit.arguments, ensure_ascii=False)[:300],
                audit.result[:RESULT_SHOWN],
            )
            for audit in audits
        ),
    )


def _figures(record: AgentMessageFigures | None) -> SafeString:
    if record is None:
        return mark_safe("")
    unverified = ", ".join(record.unverified_figures)
    return format_html(
        '<div class="transcript-figures"><small>Цифры: с источником {}, не проверено {}{}'
        "</small></div>",
        record.cited,
        record.unverified,
        f": {unverified}" if unverified else "",
    )


def transcript_html(*, session: ChatSession) -> SafeString:
    messages = list(ChatMessage.objects.filter(session_id=session.pk).order_by("created_at", "id"))
    audits: dict[int, list[ToolCallAudit]] = {}
    for audit in ToolCallAudit.objects.filter(session_id=session.pk, message_id__isnull=False):
        audits.setdefault(audit.message_id, []).append(audit)
    figures = {
        record.message_id: record
        for record in AgentMessageFigures.objects.filter(session_id=session.pk)
    }
    parts = [
        format_html(
            '<div class="transcript-message {}"><b>{}</b> <small>{}</small><div>{}</div>{}{}</div>',
            message.role,
            ROLES.get(message.role, message.role),
            message.created_at.strftime("%d.%m.%Y %H:%M:%S UTC") if message.created_at else "",
            markdown_safe(message.content),
            _figures(figures.get(message.pk)),
            format_html("<ul>{}</ul>", _calls(audits[message.pk])) if message.pk in audits else "",
        )
        for message in messages
    ]
    parts = _with_readings(parts, messages=messages, session_id=session.pk)
    return mark_safe("".join(parts)) if parts else mark_safe("<p>Сообщений нет.</p>")  # noqa: S308


def _with_readings(
    parts: list[SafeString], *, messages: list[ChatMessage], session_id: str
) -> list[SafeString]:
    """Each message followed by what the vision model read from its images: the readings
    outlive the images (chat.image_memory)."""
    readings = readings_by_message(session_id=session_id)
    return [
        part
        + format_html_join(
            "",
            '<div class="transcript-reading"><small>изображение {} прочитано: {}</small></div>',
            ((reading.position, reading.text) for reading in readings.get(message.pk, [])),
        )
        for part, message in zip(parts, messages, strict=True)
    ]
