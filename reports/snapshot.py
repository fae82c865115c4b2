"""One report's data: every figure as a fact with its source, and the sections that show them.

Built from the same scoped selectors and chat tools the analytics chat uses, for the acting
user only (a foreign or missing user is NotFound). Money follows the tools' units: the
resources' monthly cost via `infrazen.values.monthly_cost`, the run-rate as the latest synced
day × 30.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel, Field

from infrazen import selectors
from infrazen.models import InfraZenUser
from infrazen.values import monthly_cost
from reports.facts import Fact, FactBook, Source
from reports.quotes import Quote, quotes_build
from reports.roles import ROLES
from reports.savings import Savings, savings_build
from tools import get_analytics_overview, get_anomalies
from tools.base import lookups_shared
from tools.daily_series import daily_points

SNAPSHOT_VERSION = 1
TOP_RESOURCES = 5
MAX_GROUPS = 8
STALE_SYNC_DAYS = 2
NO_BUSINESS_GROUPS = (
    "Стоимость по бизнес-группам показать нельзя: на бизнес-досках InfraZen нет групп. "
    "Ниже — разбивка по сервисам и типам ресурсов."
)


class Connection(BaseModel):
    name: str
    provider_type: str
    last_sync_at: str | None
    status: str | None


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
        by_provider, by_service, by_type = _breakdowns(book, resources)
        savings, families = savings_build(
            user=user, book=book, monthly_total=monthly_total, role=role
        )
        kpis += _savings_kpis(book, savings, families)
        trend, anomaly_rows = _trend(book, user, period_days)
        role_kpis, notes = _role_kpis(book, user, role, overview, resources, anomaly_rows, savings)
        by_business = []
        if role == "product":
            by_business = _business_groups(book, user, monthly_total)
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
    best: dict[int, float] = {}
    for facts, resource_id in pending:
        best[resource_id] = max(best.get(resource_id, 0.0), facts.savings_monthly or 0.0)
    total = sum(best.values())
    cleanup = sum(f.savings_monthly or 0 for f, _ in families["cleanup"])
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


def _business_groups(
    book: FactBook, user: InfraZenUser, monthly_total: float | None
) -> list[Group]:
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


def _breakdowns(book: FactBook, resources: list) -> tuple[list[Group], list[Group], list[Group]]:
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


def _trend(
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


def _role_kpis(
    book: FactBook,
    user: InfraZenUser,
    role: str,
    overview: get_analytics_overview.Result,
    resources: list,
    anomalies: list[AnomalyRow],
    savings: Savings,
) -> tuple[list[str], list[str]]:
    notes: list[str] = []
    ids: list[str | None] = []
    if role == "cfo" and overview.monthly_cost:
        src = book.source(
            "forecast",
            origin="инструмент get_analytics_overview",
            what="прогноз на следующий месяц: текущий суточный расход × 30, без учёта роста",
            as_of=overview.last_sync_at,
        )
        ids.append(
            book.add(
                "forecast.next_month",
                "Прогноз на следующий месяц",
                overview.monthly_cost.amount,
                "RUB",
                period="month",
                source=src,
            )
        )
    if role == "cto":
        src = book.sources["anomalies"].id
        ids.append(
            book.add("anomalies.count", "Аномалий за период", len(anomalies), "count", source=src)
        )
    if role in ("cto", "finops"):
        ids += _quality(book, user, resources, notes)
    if role == "finops":
        ids += _price_quality(book, savings)
    return [fid for fid in ids if fid], notes


def _price_quality(book: FactBook, savings: Savings) -> list[str | None]:
    """Price data quality: listed moves whose target price the catalogue lacks, and offers
    left out because their SKU is for another kind of resource."""
    src = book.sources["recommendations"].id
    unknown = sum(1 for g in savings.migrations for item in g.items if item.target_price is None)
    return [
        book.add(
            "quality.unknown_prices",
            "Переносов в списке без цены у нового провайдера",
            unknown,
            "count",
            source=src,
        ),
        book.add(
            "quality.kind_mismatch",
            "Предложений с тарифом другого типа ресурса (не учтены)",
            len(savings.mismatched),
            "count",
            source=src,
        ),
    ]


def _quality(
    book: FactBook, user: InfraZenUser, resources: list, notes: list[str]
) -> list[str | None]:
    src = book.source(
        "quality",
        origin="таблицы resources, resource_tags, cloud_providers",
        what="качество данных: ресурсы с тегами, подключения без свежей синхронизации",
        filters=f"свежая синхронизация — не старше {STALE_SYNC_DAYS} дн.",
    )
    tagged = selectors.resource_tagged_count(user_id=user.pk)
    now = datetime.now()
    stale = [
        p
        for p in selectors.provider_list(user_id=user.pk).only("last_sync", "user_id")
        if p.last_sync is None or now - p.last_sync > timedelta(days=STALE_SYNC_DAYS)
    ]
    if not resources:
        notes.append("Нет активных ресурсов: покрытие тегами не считается.")
    return [
        book.add(
            "quality.tagged",
            "Ресурсов с тегами, доля",
            round(tagged * 100 / len(resources), 1) if resources else None,
            "percent",
            source=src,
        ),
        book.add(
            "quality.stale", "Подключений без свежей синхронизации", len(stale), "count", source=src
        ),
    ]
