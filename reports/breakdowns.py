"""The report's breakdowns and trend: cost by connection, service, resource type and business
group with the top resources of each, and the daily trend with its anomalies.

Money per resource is `infrazen.values.monthly_cost` (effective cost for monthly billing,
else daily × 30); business groups carry InfraZen's daily `calculated_cost`, × 30.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pydantic import BaseModel, Field

from infrazen import selectors
from infrazen.models import InfraZenUser
from infrazen.values import monthly_cost
from reports.facts import FactBook
from tools import get_anomalies
from tools.daily_series import daily_points

TOP_RESOURCES = 5
MAX_GROUPS = 8


class TrendPoint(BaseModel):
    day: str
    daily: float
    anomaly: bool = False


class AnomalyRow(BaseModel):
    date: str
    end_date: str
    peak_date: str
    direction: str
    actual: str
    expected: str
    deviation: str


class TopResource(BaseModel):
    name: str
    status: str | None
    monthly: str


class Group(BaseModel):
    name: str
    count: str | None
    monthly: str
    share: str | None
    top: list[TopResource] = Field(default_factory=list)


def _group(book: FactBook, src: str, key: str, name: str, rows: list, total: float) -> Group:
    rows.sort(key=lambda row: -row[0])
    monthly = sum(cost for cost, _ in rows)
    top = []
    for index, (cost, resource) in enumerate(rows[:TOP_RESOURCES]):
        top.append(
            TopResource(
                name=resource.resource_name,
                status=resource.status,
                monthly=book.add(
                    f"{key}.top{index + 1}",
                    f"{resource.resource_name}: в месяц",
                    cost,
                    "RUB",
                    period="month",
                    source=src,
                ),
            )
        )
    return Group(
        name=name,
        count=book.add(f"{key}.count", f"{name}: ресурсов", len(rows), "count", source=src),
        monthly=book.add(
            f"{key}.monthly", f"{name}: в месяц", monthly, "RUB", period="month", source=src
        ),
        share=book.add(
            f"{key}.share", f"{name}: доля", round(monthly * 100 / total, 1), "percent", source=src
        )
        if total
        else None,
        top=top,
    )


def business_groups(book: FactBook, user: InfraZenUser, monthly_total: float | None) -> list[Group]:
    """Cost per group of the user's business boards (InfraZen's calculated_cost, daily)."""
    groups = list(selectors.business_group_list(user_id=user.pk)[:MAX_GROUPS])
    if not groups:
        return []
    src = book.source(
        "business",
        origin="таблицы business_boards и board_groups",
        what="стоимость групп бизнес-досок: calculated_cost InfraZen (в день) × 30; ресурс, "
        "стоящий в нескольких группах, разделён между ними поровну",
    )
    several_boards = len({g.board_id for g in groups}) > 1
    rows = []
    for index, group in enumerate(groups):
        name = f"{group.board.name}: {group.name}" if several_boards else group.name
        monthly = float(group.calculated_cost or 0.0) * 30
        key = f"business.{index + 1}"
        share = round(monthly * 100 / monthly_total, 1) if monthly_total else None
        rows.append(
            Group(
                name=name,
                count=None,
                monthly=book.add(
                    f"{key}.monthly", f"{name}: в месяц", monthly, "RUB", period="month", source=src
                ),
                share=book.add(f"{key}.share", f"{name}: доля", share, "percent", source=src),
            )
        )
    return rows


def breakdowns(book: FactBook, resources: list) -> tuple[list[Group], list[Group], list[Group]]:
    src = book.source(
        "resources",
        origin="таблица resources",
        what="активные ресурсы пользователя; стоимость в месяц: effective_cost для помесячных, "
        "иначе суточная × 30",
        filters="is_active = 1, подключения не удалены",
    )
    costs = [(monthly_cost(r), r) for r in resources]
    total = sum(cost for cost, _ in costs)
    breakdowns = []
    for dimension, key_of in (
        ("provider", lambda r: r.provider.connection_name),
        ("service", lambda r: r.service_name or "—"),
        ("type", lambda r: r.resource_type or "—"),
    ):
        grouped: dict[str, list] = {}
        for cost, resource in costs:
            grouped.setdefault(key_of(resource), []).append((cost, resource))
        ranked = sorted(grouped.items(), key=lambda kv: -sum(c for c, _ in kv[1]))
        breakdowns.append(
            [
                _group(book, src, f"{dimension}.{index + 1}", name, rows, total)
                for index, (name, rows) in enumerate(ranked[:MAX_GROUPS])
            ]
        )
    return breakdowns[0], breakdowns[1], breakdowns[2]


def trend_build(
    book: FactBook, user: InfraZenUser, days: int
) -> tuple[list[TrendPoint], list[AnomalyRow]]:
    src = book.source(
        "anomalies",
        origin="инструмент get_anomalies",
        what=get_anomalies.METHOD,
        filters=f"суточные расходы за {max(days, 7)} дн., частичные синхронизации не учтены",
    )
    found = get_anomalies.run(
        user=user, args=get_anomalies.Args(time_range_days=max(7, min(days, 180)))
    )
    flagged: set[str] = set()
    rows = []
    for index, anomaly in enumerate(found.anomalies):
        start = datetime.fromisoformat(anomaly.date)
        for offset in range(anomaly.days):
            flagged.add((start + timedelta(days=offset)).date().isoformat())
        key = f"anomaly.{index + 1}"
        rows.append(
            AnomalyRow(
                date=anomaly.date,
                end_date=anomaly.end_date,
                peak_date=anomaly.peak_date,
                direction="рост" if anomaly.direction == "spike" else "снижение",
                actual=book.add(
                    f"{key}.actual",
                    f"Аномалия {anomaly.peak_date}: расход",
                    anomaly.actual.amount,
                    "RUB",
                    period="day",
                    source=src,
                ),
                expected=book.add(
                    f"{key}.expected",
                    f"Аномалия {anomaly.peak_date}: ожидалось",
                    anomaly.expected.amount,
                    "RUB",
                    period="day",
                    source=src,
                ),
                deviation=book.add(
                    f"{key}.deviation",
                    f"Аномалия {anomaly.peak_date}: отклонение",
                    anomaly.deviation_percent,
                    "percent",
                    source=src,
                ),
            )
        )
    trend = [
        TrendPoint(
            day=p.day.isoformat(),
            daily=round(p.daily_total, 2),
            anomaly=p.day.isoformat() in flagged,
        )
        for p in daily_points(user=user, days=days)
    ]
    return trend, rows
