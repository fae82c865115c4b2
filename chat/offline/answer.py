"""What every renderer of an offline answer shares: the language, the wording, figures as text.

An `Answer` is one answer being written: the plan, the tool results, and the helpers that
turn a figure into text in the plan's language ("1,450 ₽/мес" / "1,450 ₽/month"), look a
sentence up in chat.offline.wording and make a value from the data safe for the client's
markdown.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel

from chat.offline import wording
from chat.offline.plan import OfflinePlan, R, Results, found
from ru_format import PERIOD_SUFFIXES, counted, rub, short_number
from tools.base import Money, clip

NAME_MAX_CHARS = 80
TEXT_MAX_CHARS = 300


def clean(text: Any, limit: int = NAME_MAX_CHARS) -> str:
    """A value from the data, made safe for the client's markdown: one line, no asterisks."""
    return clip(str(text).replace("*", "").replace("`", ""), limit) or ""


def bold(text: str) -> str:
    return f"**{text}**"


def percent(value: float) -> str:
    return f"{short_number(abs(value))}%"


def signed_percent(value: float) -> str:
    if value == 0:
        return "0%"
    return f"{'+' if value > 0 else '−'}{short_number(abs(value))}%"


def lower_first(text: str) -> str:
    # "Ресурс создан" → "ресурс создан", but "DNS …" stays.
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def joined(parts: Iterable[str | None], sep: str = ", ") -> str:
    return sep.join(p for p in parts if p)


def numbered(items: Iterable[str | None]) -> list[str]:
    return [f"{n}. {item}" for n, item in enumerate((i for i in items if i), start=1)]


def has_money_text(text: str) -> bool:
    # Rule texts write amounts as "1450.0 ₽" without a period: never quoted as they are.
    return "₽" in text or "руб" in text.lower()


@dataclass
class Answer:
    plan: OfflinePlan
    results: Results

    @property
    def en(self) -> bool:
        return self.plan.language == "en"

    def pick(self, pair: tuple[str, str]) -> str:
        return pair[1] if self.en else pair[0]

    def say(self, key: str, **values: Any) -> str:
        return self.pick(wording.WORDS[key]).format(**values)

    def get(self, kind: type[R]) -> R | None:
        """The result of the tool whose Result is `kind`, or None when it gave no data."""
        return found(self.results, kind)

    # figures

    def rub(self, money: Money | float, period: str | None = None) -> str:
        """A Money (or an amount and a period) as "1,450 ₽/мес" / "1,450 ₽/month"."""
        amount = money if isinstance(money, int | float) else money.amount
        period = period or money.period
        suffix = wording.EN_SUFFIXES[period] if self.en else PERIOD_SUFFIXES[period]
        return f"{rub(amount)} {suffix}"

    def rub_total(self, money: Money, covers: str) -> str:
        """A one-off amount said with what it covers: "14,124 ₽ за это время"."""
        return f"{rub(money.amount)} ₽ {self.say(covers)}"

    def count(self, n: int, noun: str) -> str:
        russian, english = wording.NOUNS[noun]
        if self.en:
            return f"{n} {english[0] if n == 1 else english[1]}"
        return counted(n, *russian)

    def date(self, text: str | None, *, time: bool = False) -> str | None:
        if not text:
            return None
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return clean(text, 30)
        month = self.pick(wording.MONTHS).split()[moment.month - 1]
        day = f"{moment.day} {month} {moment.year}"
        return f"{day}, {moment:%H:%M}" if time else day

    def label(self, table: dict[str, tuple[str, str]], value: str | None) -> str | None:
        if not value:
            return None
        pair = table.get(value.lower())
        return self.pick(pair) if pair else clean(value, 40)

    def provider(self, provider_type: str | None) -> str | None:
        if not provider_type:
            return None
        return wording.PROVIDER_NAMES.get(provider_type.lower(), clean(provider_type, 40))

    def tool_text(self, text: str, english: str | None) -> str:
        """A Russian text from a tool (a step, a reason) or, in an English answer, its English
        wording (looked up by the text's code; a text without one stays as the tool wrote it)."""
        return clean(english if self.en and english else text, TEXT_MAX_CHARS)

    # shared lines

    def missing(self) -> list[str]:
        """ "No data" sentences for the planned or run tools that gave no result."""
        got = {call.name for call, result in self.results if isinstance(result, BaseModel)}
        names = [c.name for c in self.plan.calls] + [c.name for c, _ in self.results]
        return [
            self.say(
                "no_data", topic=self.pick(wording.TOOL_TOPICS.get(name, wording.UNKNOWN_TOPIC))
            )
            for name in dict.fromkeys(names)
            if name not in got
        ]

    def no_data(self) -> list[str]:
        return [*self.missing(), self.pick(wording.NEXT_STEPS_NO_DATA)]

    def finish(self, lead: str, details: Iterable[str | None], *tail: str | None) -> list[str]:
        """Lead, numbered details, what was missing, then the extra lines and the next step."""
        return [lead, *numbered(details), *self.missing(), *(t for t in tail if t)]

    def next_step(self, intent: str) -> str:
        return self.pick(wording.NEXT_STEPS[intent])

    def can_ask(self) -> str:
        questions = self.pick(wording.HELP[self.plan.scenario])
        quoted = "; ".join(self.say("quoted", text=q) for q in questions)
        return self.say("can_ask", questions=quoted)

    def specs(self, vcpus: int | None, ram_gb: float | None, storage_gb: float | None) -> str:
        """ "4 vCPU, 8 ГБ RAM, 100 ГБ диска": only the parts that are known."""
        return joined(
            [
                f"{vcpus} vCPU" if vcpus else None,
                self.say("spec_ram", size=short_number(ram_gb)) if ram_gb else None,
                self.say("spec_disk", size=short_number(storage_gb)) if storage_gb else None,
            ]
        )
