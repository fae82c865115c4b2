"""Each role's own figures: the CFO's forecast, the CTO's anomaly backlog, the FinOps lead's
data quality (tag coverage, stale syncs, moves without a price, offers of the wrong kind)."""

from __future__ import annotations

from datetime import datetime, timedelta

from infrazen import selectors
from infrazen.models import InfraZenUser
from reports.breakdowns import AnomalyRow
from reports.facts import FactBook
from reports.savings import Savings
from tools import get_analytics_overview

STALE_SYNC_DAYS = 2


def role_figures(
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
