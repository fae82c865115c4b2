"""One report's data: every figure as a fact with its source, and the sections that show them.

Built from the same scoped selectors and chat tools the analytics chat uses, for the acting
user only (a foreign or missing user is NotFound). Money follows the tools' units: the
resources' monthly cost via `infrazen.values.monthly_cost`, the run-rate as the latest synced
day × 30.
"""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, Field

from infrazen import selectors
from infrazen.models import InfraZenUser
from reports.breakdowns import (
    AnomalyRow,
    Group,
    TrendPoint,
    breakdowns,
    business_groups,
    trend_build,
)
from reports.facts import Fact, FactBook, Source
from reports.quotes import Quote, quotes_build
from reports.role_figures import role_figures
from reports.roles import ROLES
from reports.savings import Savings, best_per_resource, savings_build
from tools import get_analytics_overview
from tools.base import lookups_shared

SNAPSHOT_VERSION = 1
NO_BUSINESS_GROUPS = (
    "Стоимость по бизнес-группам показать нельзя: на бизнес-досках InfraZen нет групп. "
    "Ниже — разбивка по сервисам и типам ресурсов."
)


class Connection(BaseModel):
    name: str
    provider_type: str
    last_sync_at: str | None
    status: str | None


class ReportSnapshot(BaseModel):
    version: int = SNAPSHOT_VERSION
    role: str
    role_label: str
    title: str
    client: str
    generated_at: str
    period_days: int
    connections: list[Connection]
    kpis: list[str]
    role_kpis: list[str]
    trend: list[TrendPoint]
    anomalies: list[AnomalyRow]
    by_provider: list[Group]
    by_service: list[Group]
    by_type: list[Group]
    by_business: list[Group] = Field(default_factory=list)
    savings: Savings
    notes: list[str] = Field(default_factory=list)
    quotes: dict[str, list[Quote]] = Field(default_factory=dict)
    facts: dict[str, Fact]
    sources: dict[str, Source]


def _client(user: InfraZenUser) -> str:
    name = " ".join(part for part in (user.first_name, user.last_name) if part)
    return user.company or name or user.email


def _when(value: datetime | None) -> str | None:
    return value.strftime("%d.%m.%Y %H:%M") if value else None


def snapshot_build(*, user_id: int, role: str, period_days: int = 30) -> ReportSnapshot:
    """Raises NotFound for a user that does not exist or is inactive."""
    user = selectors.user_get_active(user_id=user_id)
    book = FactBook()
    with lookups_shared():
        connections = _connections(user)
        overview = get_analytics_overview.run(
            user=user, args=get_analytics_overview.Args(time_range_days=period_days)
        )
        kpis = _kpis(book, overview)
        monthly_total = overview.monthly_cost.amount if overview.monthly_cost else None
        resources = list(
            selectors.resource_list(user_id=user.pk, active_only=True).select_related("provider")
        )
        by_provider, by_service, by_type = breakdowns(book, resources)
        savings, families = savings_build(
            user=user, book=book, monthly_total=monthly_total, role=role
        )
        kpis += _savings_kpis(book, savings, families)
        trend, anomaly_rows = trend_build(book, user, period_days)
        role_kpis, notes = role_figures(
            book, user, role, overview, resources, anomaly_rows, savings
        )
        by_business = []
        if role == "product":
            by_business = business_groups(book, user, monthly_total)
            if not by_business:
                notes.append(NO_BUSINESS_GROUPS)
    role_info = ROLES[role]
    return ReportSnapshot(
        role=role,
        role_label=role_info.label,
        title=role_info.title,
        client=_client(user),
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        period_days=period_days,
        connections=connections,
        kpis=kpis,
        role_kpis=role_kpis,
        trend=trend,
        anomalies=anomaly_rows,
        by_provider=by_provider,
        by_service=by_service,
        by_type=by_type,
        by_business=by_business,
        savings=savings,
        notes=notes,
        quotes=quotes_build(savings=savings, role=role),
        facts=book.facts,
        sources=book.sources,
    )


def _connections(user: InfraZenUser) -> list[Connection]:
    return [
        Connection(
            name=p.connection_name,
            provider_type=p.provider_type,
            last_sync_at=_when(p.last_sync),
            status=p.sync_status,
        )
        for p in selectors.provider_list(user_id=user.pk).only(
            "connection_name", "provider_type", "last_sync", "sync_status", "user_id"
        )
    ]


def _kpis(book: FactBook, overview: get_analytics_overview.Result) -> list[str]:
    src = book.source(
        "overview",
        origin="инструмент get_analytics_overview",
        what="суточный расход последней синхронизации; в месяц — × 30, в год — × 360",
        filters=f"последний синхронизированный день: {overview.cost_date or 'нет данных'}",
        as_of=overview.last_sync_at,
    )
    daily = overview.daily_cost.amount if overview.daily_cost else None
    monthly = overview.monthly_cost.amount if overview.monthly_cost else None
    ids = [
        book.add("cost.monthly", "Расходы в месяц", monthly, "RUB", period="month", source=src),
        book.add(
            "cost.yearly",
            "Расходы в год",
            monthly * 12 if monthly is not None else None,
            "RUB",
            period="year",
            source=src,
        ),
        book.add("cost.daily", "Расходы в день", daily, "RUB", period="day", source=src),
        book.add(
            "resources.active", "Активные ресурсы", overview.active_resources, "count", source=src
        ),
        book.add(
            "cost.change",
            f"Изменение суточного расхода за {overview.time_range_days} дн.",
            overview.change_over_range_percent,
            "percent",
            source=src,
        ),
    ]
    if overview.providers_total:
        ids.append(
            book.add(
                "sync.success",
                "Провайдеров синхронизировано успешно",
                overview.providers_successful or 0,
                "count",
                source=src,
            )
        )
        ids.append(
            book.add(
                "sync.total",
                "Провайдеров в синхронизации",
                overview.providers_total,
                "count",
                source=src,
            )
        )
    return [fid for fid in ids if fid]


def _savings_kpis(book: FactBook, savings: Savings, families: dict[str, list]) -> list[str]:
    src = book.sources["recommendations"]
    pending = [row for rows in families.values() for row in rows]
    total = best_per_resource(pending)
    # As the plan and the scenarios count it: a resource once.
    cleanup = best_per_resource(families["cleanup"])
    spent = sum(f.wasted_rub or 0 for f, _ in families["cleanup"])
    ids = [
        book.add(
            "savings.count", "Рекомендаций к выполнению", len(pending), "count", source=src.id
        ),
        book.add(
            "savings.monthly", "Возможная экономия", total, "RUB", period="month", source=src.id
        ),
        book.add(
            "savings.yearly",
            "Возможная экономия за год",
            total * 12,
            "RUB",
            period="year",
            source=src.id,
        ),
        book.add(
            "savings.cleanup", "Экономия от очистки", cleanup, "RUB", period="month", source=src.id
        ),
    ]
    if spent:
        ids.append(
            book.add(
                "savings.spent",
                "Уже оплачено за неиспользуемое",
                spent,
                "RUB",
                period="one_time",
                source="spent",
            )
        )
    ids += [group.monthly for group in savings.migrations]
    return [fid for fid in ids if fid]
