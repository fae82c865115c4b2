"""Read-only admin for chat transcripts (InfraZen's tables), the tool-call audit trail and the
uploaded screenshots' records, in Russian. A session links to its answers' model calls (the
`agent_llm_calls` rows of each answer's correlation id) and shows what each answer cost."""

from __future__ import annotations

from django.contrib import admin
from django.template.defaultfilters import floatformat
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode

from chat.models import AgentMessageCost, AgentMessageFigures, ChatImage, ToolCallAudit
from chat.transcript import ROLES, transcript_html
from core.admin import ReadOnlyAdminMixin, column, titled
from infrazen.models import ChatMessage, ChatSession
from llm.models import LLMCall

SCENARIOS = {"recommendation": "рекомендация", "analytics": "аналитика"}
STATUSES = {"active": "активна", "archived": "в архиве"}


def model_calls_url(correlation_ids: list[str]) -> str:
    """The model-call list of these answers (one id: exact; several: `__in`)."""
    query = {"correlation_id__in": ",".join(correlation_ids)}
    if len(correlation_ids) == 1:
        query = {"correlation_id": correlation_ids[0]}
    return reverse("admin:llm_llmcall_changelist") + "?" + urlencode(query)


def session_link(session_id: str) -> str:
    url = reverse("admin:infrazen_chatsession_change", args=[session_id])
    return format_html('<a href="{}">{}</a>', url, session_id)


class ChatMessageInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = ChatMessage
    fields = (
        column("id", "№"),
        column("created_at", "Когда"),
        column("role", "Кто", values=ROLES),
        column("content", "Текст, как сохранён"),
        column("tokens", "Токены"),
        "cost",
    )
    readonly_fields = fields
    ordering = ("created_at", "id")
    extra = 0
    can_delete = False
    show_change_link = False
    verbose_name = "сообщение"
    verbose_name_plural = "Сообщения (сначала старые), стоимость ответов и их вызовы модели"

    def _costs(self, session_id: str) -> dict[int, AgentMessageCost]:
        # One read per page, not one per row: the inline instance lives for one request.
        if getattr(self, "_costs_of", None) != session_id:
            rows = AgentMessageCost.objects.filter(session_id=session_id)
            self._costs_by_message = {row.message_id: row for row in rows}
            self._costs_of = session_id
        return self._costs_by_message

    @admin.display(description="Стоимость ответа")
    def cost(self, message: ChatMessage) -> str:
        record = self._costs(message.session_id).get(message.pk)
        if record is None:
            return "—"
        calls = ""
        if record.correlation_id:
            url = model_calls_url([record.correlation_id])
            calls = format_html(' · <a href="{}">вызовы модели</a>', url)
        return format_html(
            "{} ₽ · {} + {} токенов · {}{}",
            floatformat(record.cost_rub, 2),
            record.prompt_tokens,
            record.completion_tokens,
            record.model or "—",
            calls,
        )


SESSION_FIELDS = (
    column("id", "Сессия"),
    column("user", "Пользователь"),
    column("scenario", "Сценарий", values=SCENARIOS),
    column("recommendation", "Рекомендация"),
    column("context", "Контекст"),
    column("status", "Статус", values=STATUSES),
    column("message_count", "Сообщений"),
    column("created_at", "Начата"),
    column("last_activity_at", "Последняя активность"),
)


@admin.register(ChatSession)
class ChatSessionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        column("id", "Сессия"),
        column("user", "Пользователь"),
        column("scenario", "Сценарий", values=SCENARIOS),
        column("recommendation", "Рекомендация"),
        column("message_count", "Сообщений"),
        column("last_activity_at", "Последняя активность"),
        column("status", "Статус", values=STATUSES),
    )
    list_filter = (titled("scenario", "сценарий"), titled("status", "статус"))
    search_fields = ("id", "user__email")
    list_select_related = ("user", "recommendation")
    date_hierarchy = "last_activity_at"
    ordering = ("-last_activity_at", "id")
    fields = (*SESSION_FIELDS, "tool_calls", "model_calls", "transcript")
    readonly_fields = fields
    inlines = (ChatMessageInline,)

    @admin.display(description="Переписка")
    def transcript(self, session: ChatSession) -> str:
        return transcript_html(session=session)

    @admin.display(description="Вызовы инструментов")
    def tool_calls(self, session: ChatSession) -> str:
        audits = ToolCallAudit.objects.filter(session_id=session.pk)
        url = reverse("admin:chat_toolcallaudit_changelist") + f"?session_id={session.pk}"
        return format_html(
            '<a href="{}&source=model">вызовов инструментов моделью: {}</a> · '
            '<a href="{}&source=pack">чтений для контекста: {}</a>',
            url,
            audits.filter(round__gte=1).count(),
            url,
            audits.filter(round=0).count(),
        )

    @admin.display(description="Вызовы модели")
    def model_calls(self, session: ChatSession) -> str:
        """Every model request of the session's answers: the ids of their turns (an answer's
        cost row, or its tool calls when the answer was cut short)."""
        ids = set(
            AgentMessageCost.objects.filter(session_id=session.pk).values_list(
                "correlation_id", flat=True
            )
        )
        ids |= set(
            ToolCallAudit.objects.filter(session_id=session.pk).values_list(
                "correlation_id", flat=True
            )
        )
        ids = sorted(cid for cid in ids if cid)
        if not ids:
            return "вызовов модели нет"
        calls = LLMCall.objects.filter(correlation_id__in=ids)
        return format_html(
            '<a href="{}">вызовов модели: {}</a> (ответов: {})',
            model_calls_url(ids),
            calls.count(),
            len(ids),
        )


class CallSourceFilter(admin.SimpleListFilter):
    """The model's own tool calls (round 1 on), or the context pack's reads (round 0)."""

    title = "источник"
    parameter_name = "source"

    def lookups(self, request, model_admin):
        return (("model", "вызовы моделью"), ("pack", "чтения для контекста"))

    def queryset(self, request, queryset):
        if self.value() == "model":
            return queryset.filter(round__gte=1)
        if self.value() == "pack":
            return queryset.filter(round=0)
        return queryset


@admin.register(ToolCallAudit)
class ToolCallAuditAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        column("created_at", "Когда"),
        column("tool", "Инструмент"),
        column("ok", "Успешно", boolean=True),
        column("round", "Раунд"),
        column("latency_ms", "Задержка, мс"),
        "session_link",
        column("message_id", "Сообщение"),
        column("user_id", "Пользователь"),
        column("correlation_id", "Ответ (correlation id)"),
    )
    list_filter = (CallSourceFilter, titled("tool", "инструмент"), titled("ok", "успешно"))
    search_fields = ("=session_id", "=correlation_id")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")

    @admin.display(description="Сессия", ordering="session_id")
    def session_link(self, audit: ToolCallAudit) -> str:
        return session_link(audit.session_id)


@admin.register(ChatImage)
class ChatImageAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The records of uploaded screenshots (the files themselves are not shown here)."""

    list_display = (
        column("id", "Изображение"),
        column("created_at", "Загружено"),
        column("user_id", "Пользователь"),
        column("mime", "Формат"),
        column("width", "Ширина"),
        column("height", "Высота"),
        column("size", "Байт"),
    )
    list_filter = (titled("mime", "формат"),)
    search_fields = ("=id", "=user_id")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    exclude = ("uploader_ip",)


@admin.register(AgentMessageCost)
class AgentMessageCostAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """What each chat answer cost (issue 20): tokens, USD, roubles."""

    list_display = (
        column("created_at", "Когда"),
        column("message_id", "Сообщение"),
        column("user_id", "Пользователь"),
        column("model", "Модель"),
        column("prompt_tokens", "Токены запроса"),
        column("completion_tokens", "Токены ответа"),
        column("cost_rub", "₽"),
        column("cost_usd", "USD"),
    )
    list_filter = (titled("model", "модель"),)
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
