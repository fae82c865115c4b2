"""Read-only admin for chat transcripts (InfraZen's tables), the tool-call audit trail and the
uploaded screenshots' records."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from chat.models import AgentMessageCost, AgentMessageFigures, ChatImage, ToolCallAudit
from chat.transcript import transcript_html
from core.admin import ReadOnlyAdminMixin
from infrazen.models import ChatMessage, ChatSession


def session_link(session_id: str) -> str:
    url = reverse("admin:infrazen_chatsession_change", args=[session_id])
    return format_html('<a href="{}">{}</a>', url, session_id)


class ChatMessageInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ChatMessage
    fields = ("id", "created_at", "role", "content", "tokens")
    readonly_fields = fields
    ordering = ("created_at", "id")
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name = "message"
    verbose_name_plural = "transcript (oldest first)"


@admin.register(ChatSession)
class ChatSessionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "user",
        "scenario",
        "recommendation",
        "message_count",
        "last_activity_at",
        "status",
    )
    list_filter = ("scenario", "status")
    search_fields = ("id", "user__email")
    list_select_related = ("user", "recommendation")
    date_hierarchy = "last_activity_at"
    ordering = ("-last_activity_at", "id")
    fields = (
        "id",
        "user",
        "scenario",
        "recommendation",
        "context",
        "status",
        "message_count",
        "created_at",
        "last_activity_at",
        "tool_calls",
        "transcript",
    )
    readonly_fields = fields
    inlines = (ChatMessageInline,)

    @admin.display(description="transcript")
    def transcript(self, session: ChatSession) -> str:
        return transcript_html(session=session)

    @admin.display(description="tool calls")
    def tool_calls(self, session: ChatSession) -> str:
        audits = ToolCallAudit.objects.filter(session_id=session.pk)
        url = reverse("admin:chat_toolcallaudit_changelist") + f"?session_id={session.pk}"
        return format_html(
            '<a href="{}&source=model">{} tool calls</a> · '
            '<a href="{}&source=pack">{} context-pack reads</a>',
            url,
            audits.filter(round__gte=1).count(),
            url,
            audits.filter(round=0).count(),
        )


class CallSourceFilter(admin.SimpleListFilter):
    """The model's own tool calls (round 1 on), or the context pack's reads (round 0)."""

    title = "source"
    parameter_name = "source"

    def lookups(self, request, model_admin):
        return (("model", "the model's tool calls"), ("pack", "context-pack reads"))

    def queryset(self, request, queryset):
        if self.value() == "model":
            return queryset.filter(round__gte=1)
        if self.value() == "pack":
            return queryset.filter(round=0)
        return queryset


@admin.register(ToolCallAudit)
class ToolCallAuditAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "tool",
        "ok",
        "round",
        "latency_ms",
        "session_link",
        "message_id",
        "user_id",
        "correlation_id",
    )
    list_filter = (CallSourceFilter, "tool", "ok")
    search_fields = ("=session_id", "=correlation_id")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")

    @admin.display(description="session", ordering="session_id")
    def session_link(self, audit: ToolCallAudit) -> str:
        return session_link(audit.session_id)


@admin.register(ChatImage)
class ChatImageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The records of uploaded screenshots (the files themselves are not shown here)."""

    list_display = ("id", "created_at", "user_id", "mime", "width", "height", "size")
    list_filter = ("mime",)
    search_fields = ("=id", "=user_id")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    exclude = ("uploader_ip",)


@admin.register(AgentMessageCost)
class AgentMessageCostAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What each chat answer cost (issue 20): tokens, USD, roubles."""

    list_display = (
        "created_at",
        "message_id",
        "user_id",
        "model",
        "prompt_tokens",
        "completion_tokens",
        "cost_rub",
        "cost_usd",
    )
    list_filter = ("model",)
    search_fields = ("=user_id", "=session_id", "=message_id", "=correlation_id")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")


class UnverifiedFilter(admin.SimpleListFilter):
    """Answers with a figure that matched none of their data, or all traced."""

    title = "не проверено"
    parameter_name = "unverified"

    def lookups(self, request, model_admin):
        return (("yes", "есть непроверенные цифры"), ("no", "все цифры с источником"))

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(unverified__gt=0)
        if self.value() == "no":
            return queryset.filter(unverified=0)
        return queryset


@admin.register(AgentMessageFigures)
class AgentMessageFiguresAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """How each chat answer's figures were traced to its data (issue 21 §4)."""

    list_display = ("created_at", "message_id", "user_id", "cited", "unverified", "session_link")
    list_filter = (UnverifiedFilter,)
    search_fields = ("=user_id", "=session_id", "=message_id")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")

    @admin.display(description="session", ordering="session_id")
    def session_link(self, record: AgentMessageFigures) -> str:
        return session_link(record.session_id)
