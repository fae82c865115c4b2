"""The four report roles InfraZen's Reports page offers, with their labels and emphasis."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    key: str
    label: str
    title: str  # what the report is called on the page
    focus: str  # one line for the narrative prompt: what this reader decides


ROLES: dict[str, Role] = {
    role.key: role
    for role in (
        Role(
            "cfo",
            "CFO",
            "Финансовый отчёт об облачных расходах",
            "бюджет и прогноз на следующий месяц, годовая экономия, цена промедления",
        ),
        Role(
            "cto",
            "CTO / CIO",
            "Технический отчёт об эффективности инфраструктуры",
            "очаги неэффективности, риск и трудоёмкость изменений, здоровье синхронизаций, "
            "аномалии",
        ),
        Role(
            "product",
            "Product / Business Owner",
            "Отчёт о стоимости продукта",
            "стоимость по бизнес-группам и сервисам, что даёт экономия продукту",
        ),
        Role(
            "finops",
            "FinOps Lead",
            "Отчёт FinOps",
            "полная таблица рекомендаций, качество данных: теги, неизвестные цены, "
            "устаревшие синхронизации",
        ),
    )
}
ROLE_KEYS = tuple(ROLES)
