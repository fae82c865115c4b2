"""The report's words: a structured narrative whose figures are references to facts.

Every text field may name a figure only as `{fact id}`; the renderer puts the fact's value
in its place, with a link to its source. `narrative_problems` refuses anything else: a digit
outside a reference, an unknown fact id, markup. The template narrative here is built from
the snapshot alone and is always true; the model's narrative (reports.narrative_llm) must
pass the same check to replace it.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from reports.snapshot import ReportSnapshot

REFERENCE = re.compile(r"\{([a-z0-9][a-z0-9_.-]{0,79})\}")
_DIGIT = re.compile(r"\d")
_MARKUP = re.compile(r"[<>]|&[a-zA-Z#]|javascript:|on\w+\s*=", re.IGNORECASE)


class Highlight(BaseModel):
    title: str = Field(description="2–6 слов, без цифр")
    detail: str = Field(description="Одно предложение; числа только как {id факта}")


class Narrative(BaseModel):
    """Текст отчёта. Любое число — только ссылкой {id факта} из списка фактов."""

    executive_summary: str = Field(description="3–4 предложения для руководителя")
    highlights: list[Highlight] = Field(description="2–4 главных наблюдения")
    risks: list[str] = Field(description="1–3 риска")
    next_steps: list[str] = Field(description="2–4 шага с ответственной ролью")

    def texts(self) -> list[tuple[str, str]]:
        out = [("executive_summary", self.executive_summary)]
        for index, item in enumerate(self.highlights):
            out += [
                (f"highlights.{index}.title", item.title),
                (f"highlights.{index}.detail", item.detail),
            ]
        out += [(f"risks.{index}", text) for index, text in enumerate(self.risks)]
        out += [(f"next_steps.{index}", text) for index, text in enumerate(self.next_steps)]
        return out


def narrative_problems(narrative: Narrative, *, fact_ids: set[str]) -> list[str]:
    """What keeps a narrative from shipping; empty when every figure is a known fact."""
    problems = []
    if not narrative.executive_summary.strip():
        problems.append("executive_summary: пусто")
    if (
        not 1 <= len(narrative.highlights) <= 6
        or len(narrative.next_steps) > 6
        or len(narrative.risks) > 6
    ):
        problems.append("неверное число пунктов")
    for where, text in narrative.texts():
        if len(text) > 600:
            problems.append(f"{where}: длиннее 600 символов")
        if _MARKUP.search(text):
            problems.append(f"{where}: разметка запрещена")
        unknown = [ref for ref in REFERENCE.findall(text) if ref not in fact_ids]
        if unknown:
            problems.append(f"{where}: неизвестные факты {', '.join(unknown[:3])}")
        if _DIGIT.search(REFERENCE.sub("", text)):
            problems.append(f"{where}: число вне ссылки на факт")
    return problems


def _has(snapshot: ReportSnapshot, *ids: str) -> bool:
    return all(fid in snapshot.facts for fid in ids)


def narrative_template(snapshot: ReportSnapshot) -> Narrative:
    """A calm, always-true narrative from the snapshot's facts."""
    return Narrative(
        executive_summary=" ".join(_template_summary(snapshot)),
        highlights=_template_highlights(snapshot),
        risks=_template_risks(snapshot),
        next_steps=_template_steps(snapshot),
    )


def _template_summary(snapshot: ReportSnapshot) -> list[str]:
    summary = []
    if _has(snapshot, "cost.monthly", "resources.active"):
        summary.append(
            "Облачные расходы составляют {cost.monthly} ({cost.yearly} в пересчёте на год), "
            "активных ресурсов — {resources.active}."
        )
    else:
        summary.append("Данных о расходах пока нет: ни одна синхронизация не завершилась успешно.")
    if _has(snapshot, "savings.monthly") and snapshot.facts["savings.monthly"].value:
        summary.append(
            "Рекомендации ({savings.count}) позволяют сэкономить до {savings.monthly}, "
            "то есть {savings.yearly} за год."
        )
    else:
        summary.append("Ожидающих рекомендаций с экономией сейчас нет.")
    if snapshot.savings.scenarios:
        low = snapshot.savings.scenarios[0]
        summary.append(
            f"Каждый день промедления со сценарием «{low.title}» стоит {{{low.delay_daily}}}."
        )
    return summary


def _template_highlights(snapshot: ReportSnapshot) -> list[Highlight]:
    highlights = []
    if snapshot.by_service:
        top = snapshot.by_service[0]
        share = f" ({{{top.share}}} расходов)" if top.share else ""
        highlights.append(
            Highlight(
                title="Крупнейший сервис",
                detail=f"Больше всего стоит «{_quoted(top.name)}»: {{{top.monthly}}}{share}.",
            )
        )
    for group in snapshot.savings.migrations[:2]:
        highlights.append(
            Highlight(
                title=f"Перенос в {group.name}",
                detail=f"Перенос ресурсов ({{{group.count}}}) сэкономит {{{group.monthly}}}.",
            )
        )
    if _has(snapshot, "savings.spent"):
        highlights.append(
            Highlight(
                title="Неиспользуемые ресурсы",
                detail="За неиспользуемые ресурсы уже оплачено {savings.spent}; "
                "очистка экономит {savings.cleanup}.",
            )
        )
    if not highlights:
        highlights.append(
            Highlight(title="Данных мало", detail="Отчёт станет подробнее после синхронизаций.")
        )
    return highlights


def _template_risks(snapshot: ReportSnapshot) -> list[str]:
    risks = []
    if snapshot.anomalies:
        risks.append("В суточных расходах есть аномалии: их причины стоит разобрать.")
    if any(group.caveat for group in snapshot.savings.migrations):
        risks.append("Beget подходит для dev/test, а не для продуктивных кластеров и баз данных.")
    if _has(snapshot, "quality.stale") and snapshot.facts["quality.stale"].value:
        risks.append("Подключения без свежей синхронизации: {quality.stale}.")
    if not risks:
        risks.append("Переносы требуют проверки совместимости и окна работ.")
    return risks


def _template_steps(snapshot: ReportSnapshot) -> list[str]:
    steps = [
        f"{item.horizon}: {item.action} (ответственный: {item.owner})."
        for item in snapshot.savings.plan[:4]
    ]
    if not steps:
        steps.append("Проверить подключения и дождаться следующей синхронизации (FinOps).")
    return steps


def _quoted(name: str) -> str:
    # A data string inside the template narrative: braces would read as a reference.
    return name.replace("{", "(").replace("}", ")")
