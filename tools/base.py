"""The small pieces every tool shares: Money, ToolError, size bounds and scoped lookups.

Every money figure a tool returns is a `Money`: amount rounded to kopecks, the unit and the
period it covers, so a daily amount can never be read as a monthly one (contract §2).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict

from core.errors import NotFound
from infrazen import selectors
from infrazen.models import InfraZenUser, OptimizationRecommendation, Resource
from infrazen.values import DAYS_PER_MONTH

Period = Literal["day", "month", "quarter", "year", "one_time"]

# A tool result travels into the model's context on every turn: keep it small.
MAX_RESULT_BYTES = 4000
MAX_TEXT_CHARS = 600

T = TypeVar("T")


class ToolError(Exception):
    """A tool refused to run. The message is safe to show the model and the user."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ArgsModel(BaseModel):
    """Base of every tool's Args: unknown arguments and loose types are refused."""

    model_config = ConfigDict(extra="forbid", strict=True)


class Money(BaseModel):
    amount: float
    unit: Literal["RUB"] = "RUB"
    period: Period


def money(amount: float | None, period: Period) -> Money | None:
    if amount is None or not math.isfinite(amount):
        return None
    return Money(amount=round(float(amount), 2), period=period)


def monthly_from_daily(daily: float) -> float:
    return daily * DAYS_PER_MONTH


def percent(part: float | None, whole: float | None) -> float | None:
    if part is None or not whole:
        return None
    return round(part * 100 / whole, 1)


def clip(text: Any, limit: int = MAX_TEXT_CHARS) -> str | None:
    if text is None:
        return None
    text = " ".join(str(text).split())
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def json_size(result: BaseModel) -> int:
    return len(result.model_dump_json().encode())


def size_bound(result: T, field: str, *, limit: int = MAX_RESULT_BYTES) -> T:
    """Drop items from the end of result.<field> until the JSON fits; say so in `truncated`."""
    items = getattr(result, field)
    while items and json_size(result) > limit:
        items.pop()
        result.truncated = True
    return result


# --- scoped lookups: a foreign id and a missing id give the same ToolError ------------------


def scoped(lookup: Callable[..., T], **kwargs: Any) -> T:
    try:
        return lookup(**kwargs)
    except NotFound as exc:
        raise ToolError(exc.message) from None


# Within `lookups_shared()`, each scoped lookup is read once (see there).
_SHARED: ContextVar[dict[tuple, Any] | None] = ContextVar("tools_shared_lookups", default=None)


@contextmanager
def lookups_shared() -> Iterator[None]:
    """Several tools run together (a chat's context pack) read each row once.

    The pack runs five tools about one recommendation, and each looked it up again. The
    rows are only read, and the key holds the acting user, so scoping is unchanged: a
    refused lookup is not kept and refuses again.
    """
    token = _SHARED.set({})
    try:
        yield
    finally:
        _SHARED.reset(token)


def shared_value(key: tuple, compute: Callable[[], T]) -> T:
    """`compute()` once per key within `lookups_shared()`, every time outside it. The key
    must hold the acting user's id: what is shared is what that user may read."""
    shared = _SHARED.get()
    if shared is None:
        return compute()
    if key not in shared:
        shared[key] = compute()
    return shared[key]


def _shared(key: tuple, lookup: Callable[..., T], **kwargs: Any) -> T:
    return shared_value(key, lambda: scoped(lookup, **kwargs))


def recommendation_for(user: InfraZenUser, recommendation_id: int) -> OptimizationRecommendation:
    return _shared(
        ("recommendation", user.pk, recommendation_id),
        selectors.recommendation_get,
        user_id=user.pk,
        recommendation_id=recommendation_id,
    )


def resource_tags_for(user: InfraZenUser, resource_id: int) -> dict[str, str]:
    """The resource's tags (read-only: the dict is shared within `lookups_shared()`)."""
    return shared_value(
        ("resource_tags", user.pk, resource_id),
        lambda: selectors.resource_tag_dict(user_id=user.pk, resource_id=resource_id),
    )


def resource_for(user: InfraZenUser, resource_id: int) -> Resource:
    return _shared(
        ("resource", user.pk, resource_id),
        selectors.resource_get,
        user_id=user.pk,
        resource_id=resource_id,
    )
