"""A refused question or tool call: which limit, when it resets, and why, in Russian.

Raised by governance.budgets; the chat turns it into an `error` frame `quota_exceeded`
(`fields()`), a REST endpoint into a 429 with Retry-After (`retry_after_s`). The service-wide
cap (`LIMIT_SERVICE`) is not an error for the user: the answer comes from templates and the
offline assistant, and `message` is the notice that says so.
"""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal

from core.errors import TooManyRequests
from ru_format import counted, rub

CODE = "quota_exceeded"
LIMIT_TOKENS = "tokens_per_day"
LIMIT_RUB = "rub_per_day"
LIMIT_SERVICE = "service_rub_per_day"
LIMIT_QUESTIONS = "questions_per_minute"
LIMIT_TOOL_CALLS = "tool_calls_per_minute"
DAILY_LIMITS = (LIMIT_TOKENS, LIMIT_RUB, LIMIT_SERVICE)

_RESETS_AT_MIDNIGHT = "Лимит обновится в 00:00 по московскому времени"


def wait_text(seconds: int) -> str:
    """ "3 ч 20 мин", "20 мин", "40 секунд": how long until a limit resets (rounded up)."""
    if seconds < 60:
        return counted(max(1, seconds), "секунду", "секунды", "секунд")
    minutes = math.ceil(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return f"{minutes} мин"
    return f"{hours} ч {minutes} мин" if minutes else f"{hours} ч"


def _tokens(value: int) -> str:
    return f"{value:,}"


def _message(*, limit: str, used: Decimal, allowed: Decimal, wait: str, tool: str) -> str:
    if limit == LIMIT_TOKENS:
        return (
            f"Дневной лимит токенов модели исчерпан: {_tokens(int(used))} из "
            f"{_tokens(int(allowed))}. {_RESETS_AT_MIDNIGHT} (через {wait})."
        )
    if limit == LIMIT_RUB:
        return (
            f"Дневной лимит на запросы к модели исчерпан: {rub(float(used))} ₽ из "
            f"{rub(float(allowed))} ₽. {_RESETS_AT_MIDNIGHT} (через {wait})."
        )
    if limit == LIMIT_SERVICE:
        return (
            "Дневной бюджет сервиса на запросы к модели исчерпан: до 00:00 по московскому "
            f"времени (через {wait}) ответы собираются по шаблонам, без модели."
        )
    per_minute = int(allowed)
    if limit == LIMIT_QUESTIONS:
        return (
            f"Слишком много вопросов: не больше {per_minute} в минуту. Спросите снова через {wait}."
        )
    return (
        f"Инструмент «{tool}» вызывается слишком часто: не больше "
        f"{counted(per_minute, 'раза', 'раз', 'раз')} в минуту. Повторите через {wait}."
    )


class QuotaExceeded(TooManyRequests):
    """`used` and `allowed` are in the limit's own unit: tokens, roubles, calls a minute.

    A TooManyRequests: raised through a REST view, ops.errors answers 429 with Retry-After.
    """

    code = CODE

    def __init__(
        self,
        *,
        limit: str,
        used: Decimal | int,
        allowed: Decimal | int,
        resets_at: datetime,
        now: datetime,
        tool: str = "",
    ) -> None:
        self.limit = limit
        self.used = Decimal(used)
        self.allowed = Decimal(allowed)
        self.resets_at = resets_at
        self.tool = tool
        self.retry_after_s = max(1, math.ceil((resets_at - now).total_seconds()))
        self.message = _message(
            limit=limit,
            used=self.used,
            allowed=self.allowed,
            wait=wait_text(self.retry_after_s),
            tool=tool,
        )
        super().__init__(self.message)

    @property
    def service_wide(self) -> bool:
        return self.limit == LIMIT_SERVICE

    def fields(self) -> dict[str, object]:
        """The error frame's fields besides `code` and `message`."""
        return {
            "limit": self.limit,
            "resets_at": self.resets_at.isoformat(timespec="seconds"),
            "retry_after_s": self.retry_after_s,
        }
