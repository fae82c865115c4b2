"""The report narrative prompt, versioned: a prompt change is a one-file diff."""

from __future__ import annotations

NARRATIVE_PROMPT_VERSION = "report-narrative-v2"

NARRATIVE_SYSTEM = (
    "Ты — FinOps-аналитик InfraZen. Пиши по-русски, спокойно и по делу, без восклицаний и "
    "капса. Отчёт — снимок текущего состояния: не делай выводов о трендах, которых нет в "
    "фактах. Любое число пиши только ссылкой на факт в фигурных скобках, например "
    "{cost.monthly}; сами цифры не пиши. Никакой разметки и HTML. Читатель: {role}. "
    "Что ему важно: {focus}."
)


def narrative_messages(*, role_label: str, focus: str, facts: list[dict]) -> list[dict]:
    system = NARRATIVE_SYSTEM.replace("{role}", role_label).replace("{focus}", focus)
    # One line a fact, "id | what | value": a third of the tokens of a JSON list.
    lines = [f"{f['id']} | {f['label']} | {f['value']}" for f in facts]
    user = "Факты отчёта (id | что это | значение):\n" + "\n".join(lines)
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]
