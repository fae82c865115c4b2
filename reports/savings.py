"""The report's savings sections, from the user's pending recommendations.

Each recommendation is read through `recommendations_ai.facts.facts_build` (the same facts
the recommendation texts and the chat use) and its effort through the chat's
`estimate_migration_effort` tool, so the report cannot disagree with either. Where several
recommendations propose moving the same resource (to Selectel and to Beget), a scenario counts
the resource once, with its largest saving: summing both would promise money twice.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from infrazen import selectors
from infrazen.models import InfraZenUser
from recommendations_ai.facts import (
    CleanupFacts,
    PriceCompareFacts,
    RecommendationFacts,
    RightsizingFacts,
    StoppedFacts,
    facts_build,
)
from reports.facts import FactBook
from tools import estimate_migration_effort as effort_tool
from tools.list_top_alternatives import catalogue_type

# Rows listed per table (the FinOps lead gets the longer table); the totals always cover
# every recommendation, and a line says how many more InfraZen lists.
MAX_ROWS = 25
MAX_ROWS_FINOPS = 50
PROVIDER_NAMES = {"yandex": "Yandex Cloud", "selectel": "Selectel", "beget": "Beget"}
LEVELS = {"low": "низкая", "medium": "средняя", "high": "высокая"}
BEGET_CAVEAT = (
    "Beget подходит для dev/test и простых сервисов, а не для продуктивных кластеров "
    "Kubernetes и критичных баз данных."
)


class MigrationItem(BaseModel):
    recommendation_id: int
    resource_name: str
    resource_type: str | None
    target_sku: str | None
    current: str | None  # fact ids
    target_price: str | None  # None: the catalogue holds no price for the SKU
    saving: str
    saving_percent: str | None
    effort: str
    risk: str


class MigrationGroup(BaseModel):
    target_provider: str
    name: str
    count: str
    monthly: str
    yearly: str
    share: str | None
    caveat: str | None = None
    items: list[MigrationItem] = Field(default_factory=list)
    more: int = 0


class CleanupItem(BaseModel):
    recommendation_id: int
    resource_name: str
    kind: str
    age: str | None
    monthly: str
    spent: str | None


class RightsizingItem(BaseModel):
    recommendation_id: int
    resource_name: str
    cpu_avg: str | None
    saving: str


class Scenario(BaseModel):
    key: str
    title: str
    description: str
    monthly: str
    yearly: str
    percent: str | None
    delay_daily: str


class PlanItem(BaseModel):
    horizon: str
    action: str
    complexity: str
    risk: str
    owner: str
    saving: str | None


class Savings(BaseModel):
    migrations: list[MigrationGroup] = Field(default_factory=list)
    # Offers left out of every total: their target SKU is of another kind than the resource.
    mismatched: list[str] = Field(default_factory=list)
    cleanup: list[CleanupItem] = Field(default_factory=list)
    cleanup_more: int = 0
    rightsizing: list[RightsizingItem] = Field(default_factory=list)
    rightsizing_more: int = 0
    scenarios: list[Scenario] = Field(default_factory=list)
    plan: list[PlanItem] = Field(default_factory=list)
    top_idle: list[str] = Field(default_factory=list)  # fact ids of the costliest idle items


def _provider_name(key: str | None) -> str:
    return PROVIDER_NAMES.get((key or "").lower(), key or "—")


def best_per_resource(items: list[tuple[RecommendationFacts, int]]) -> float:
    """Monthly saving of `items`, each resource counted once with its largest offer."""
    best: dict[int, float] = {}
    for facts, resource_id in items:
        saving = facts.savings_monthly or 0.0
        best[resource_id] = max(best.get(resource_id, 0.0), saving)
    return sum(best.values())


class _Builder:
    def __init__(
        self, *, user: InfraZenUser, book: FactBook, monthly_total: float | None, max_rows: int
    ):
        self.user = user
        self.max_rows = max_rows
        self.book = book
        self.monthly_total = monthly_total
        self.src = book.source(
            "recommendations",
            origin="таблица optimization_recommendations",
            what="ожидающие рекомендации пользователя (status = pending)",
            filters="экономия в месяц из estimated_monthly_savings",
        )
        self.src_effort = book.source(
            "effort",
            origin="инструмент estimate_migration_effort",
            what="сложность и риск изменения по типу ресурса, объёму данных и зависимостям",
        )

    def money(self, fact_id: str, label: str, amount: float | None, period: str) -> str | None:
        return self.book.add(fact_id, label, amount, "RUB", period=period, source=self.src)

    def effort(self, facts: RecommendationFacts) -> effort_tool.Result:
        return effort_tool.run(
            user=self.user,
            args=effort_tool.Args(recommendation_id=facts.recommendation_id),
        )

    def share(self, fact_id: str, label: str, monthly: float) -> str | None:
        if not self.monthly_total:
            return None
        value = round(monthly * 100 / self.monthly_total, 1)
        return self.book.add(fact_id, label, value, "percent", source=self.src)


def savings_build(
    *, user: InfraZenUser, book: FactBook, monthly_total: float | None, role: str
) -> tuple[Savings, dict[str, list]]:
    """The savings sections, and the pending recommendations' facts grouped by family."""
    max_rows = MAX_ROWS_FINOPS if role == "finops" else MAX_ROWS
    builder = _Builder(user=user, book=book, monthly_total=monthly_total, max_rows=max_rows)
    families: dict[str, list[tuple[RecommendationFacts, int]]] = {
        "migrate": [],
        "cleanup": [],
        "rightsizing": [],
        "other": [],
    }
    for rec in selectors.recommendation_list(user_id=user.pk, status="pending"):
        facts = facts_build(recommendation=rec)
        if not facts.savings_monthly or facts.savings_monthly <= 0:
            continue
        if isinstance(facts, PriceCompareFacts):
            families["migrate"].append((facts, rec.resource_id))
        elif isinstance(facts, CleanupFacts | StoppedFacts):
            families["cleanup"].append((facts, rec.resource_id))
        elif isinstance(facts, RightsizingFacts):
            families["rightsizing"].append((facts, rec.resource_id))
        else:
            families["other"].append((facts, rec.resource_id))
    mismatched = _kind_mismatches(families["migrate"])
    families["migrate"] = [row for row in families["migrate"] if row[0] not in mismatched]
    savings = Savings(
        mismatched=[
            f"{f.resource_name or '—'}: {f.target_sku} ({_provider_name(f.target_provider)})"
            for f in mismatched
        ],
        migrations=_migrations(builder, families["migrate"]),
        **_cleanup(builder, families["cleanup"]),
        **_rightsizing(builder, families["rightsizing"]),
    )
    savings.scenarios = _scenarios(builder, families)
    savings.plan = _plan(builder, savings, families)
    return savings, families


def _kind_mismatches(items: list) -> list[RecommendationFacts]:
    """Offers whose target SKU the price catalogue lists for another kind of resource (a
    managed-database SKU proposed for a plain server, the old sample report's mistake): their
    saving is not real, so no total counts them and the report names them for review."""
    skus = {facts.target_sku for facts, _ in items if facts.target_sku}
    if not skus:
        return []
    kinds = {
        (provider.lower(), sku): kind
        for provider, sku, kind in selectors.price_list(skus=skus).values_list(
            "provider", "provider_sku", "resource_type"
        )
    }
    mismatched = []
    for facts, _ in items:
        own = catalogue_type(facts.resource_type)
        offered = kinds.get(((facts.target_provider or "").lower(), facts.target_sku))
        if own and offered and offered.replace("_", "-") != own:
            mismatched.append(facts)
    return mismatched


def _migrations(builder: _Builder, items: list) -> list[MigrationGroup]:
    by_target: dict[str, list] = {}
    for facts, resource_id in items:
        by_target.setdefault((facts.target_provider or "—").lower(), []).append(
            (facts, resource_id)
        )
    groups = []
    for target, rows in sorted(by_target.items(), key=lambda kv: -best_per_resource(kv[1])):
        name = _provider_name(target)
        key = f"migrate.{target}"
        monthly = best_per_resource(rows)
        group = MigrationGroup(
            target_provider=target,
            name=name,
            count=builder.book.add(
                f"{key}.count",
                f"Ресурсов к переносу в {name}",
                len(rows),
                "count",
                source=builder.src,
            ),
            monthly=builder.money(
                f"{key}.monthly", f"Экономия при переносе в {name}", monthly, "month"
            ),
            yearly=builder.money(
                f"{key}.yearly", f"Экономия при переносе в {name} за год", monthly * 12, "year"
            ),
            share=builder.share(
                f"{key}.share", f"Экономия при переносе в {name}, доля расходов", monthly
            ),
            caveat=BEGET_CAVEAT if target == "beget" else None,
            more=max(0, len(rows) - builder.max_rows),
        )
        rows.sort(key=lambda row: -(row[0].savings_monthly or 0))
        for facts, _ in rows[: builder.max_rows]:
            group.items.append(_migration_item(builder, facts))
        groups.append(group)
    return groups


def _migration_item(builder: _Builder, facts: PriceCompareFacts) -> MigrationItem:
    rid = facts.recommendation_id
    key = f"rec.{rid}"
    estimate = builder.effort(facts)
    percent = None
    if facts.current_monthly and facts.savings_monthly:
        percent = builder.book.add(
            f"{key}.percent",
            f"Экономия по рекомендации #{rid}, %",
            round(facts.savings_monthly * 100 / facts.current_monthly, 1),
            "percent",
            source=builder.src,
        )
    return MigrationItem(
        recommendation_id=rid,
        resource_name=facts.resource_name or "—",
        resource_type=facts.resource_type,
        target_sku=facts.target_sku,
        current=builder.money(
            f"{key}.current", f"Текущая стоимость (#{rid})", facts.current_monthly, "month"
        ),
        target_price=builder.money(
            f"{key}.target",
            f"Стоимость у нового провайдера (#{rid})",
            facts.target_monthly,
            "month",
        ),
        saving=builder.money(
            f"{key}.saving", f"Экономия по рекомендации #{rid}", facts.savings_monthly, "month"
        ),
        saving_percent=percent,
        effort=LEVELS[estimate.level],
        risk=_risk(estimate),
    )


def _risk(estimate: effort_tool.Result) -> str:
    if estimate.caveats or estimate.downtime_minutes >= 60:
        return "высокий"
    return "средний" if estimate.downtime_minutes >= 10 else "низкий"


def _cleanup(builder: _Builder, items: list) -> dict:
    src_spent = builder.book.source(
        "spent",
        origin="таблица optimization_recommendations",
        what="уже оплачено за неиспользуемый ресурс: стоимость в месяц × возраст в днях / 30",
        filters="возраст считается от создания ресурса (когда он перестал использоваться, "
        "данные не показывают)",
    )
    items = sorted(items, key=lambda row: -(row[0].savings_monthly or 0))
    rows = []
    for facts, _ in items[: builder.max_rows]:
        rid = facts.recommendation_id
        key = f"rec.{rid}"
        age = facts.age_days
        rows.append(
            CleanupItem(
                recommendation_id=rid,
                resource_name=facts.resource_name or "—",
                kind=facts.type_noun.nominative,
                age=builder.book.add(
                    f"{key}.age", f"Возраст (#{rid})", age, "days", source=builder.src
                )
                if age
                else None,
                monthly=builder.money(
                    f"{key}.saving", f"Стоимость в месяц (#{rid})", facts.savings_monthly, "month"
                ),
                spent=builder.book.add(
                    f"{key}.spent",
                    f"Уже оплачено (#{rid})",
                    facts.wasted_rub,
                    "RUB",
                    period="one_time",
                    source=src_spent,
                ),
            )
        )
    return {"cleanup": rows, "cleanup_more": max(0, len(items) - builder.max_rows)}


def _rightsizing(builder: _Builder, items: list) -> dict:
    items = sorted(items, key=lambda row: -(row[0].savings_monthly or 0))
    rows = []
    for facts, _ in items[: builder.max_rows]:
        rid = facts.recommendation_id
        rows.append(
            RightsizingItem(
                recommendation_id=rid,
                resource_name=facts.resource_name or "—",
                cpu_avg=builder.book.add(
                    f"rec.{rid}.cpu",
                    f"Средняя загрузка CPU (#{rid})",
                    facts.cpu_avg_percent,
                    "percent",
                    source=builder.src,
                ),
                saving=builder.money(
                    f"rec.{rid}.saving",
                    f"Экономия по рекомендации #{rid}",
                    facts.savings_monthly,
                    "month",
                ),
            )
        )
    return {"rightsizing": rows, "rightsizing_more": max(0, len(items) - builder.max_rows)}


def _production_scenario(low_risk: list, migrations: list) -> list[tuple[str, str, str, float]]:
    """Low risk plus the moves to providers fit for production, when some moves go to Beget
    (dev/test only): what a team with production workloads would actually carry out."""
    production = [row for row in migrations if (row[0].target_provider or "").lower() != "beget"]
    if not production or len(production) == len(migrations):
        return []
    names = sorted({_provider_name(row[0].target_provider) for row in production})
    return [
        (
            "production",
            "Без Beget",
            f"Очистка, уменьшение и переносы только в {', '.join(names)}: для продуктивных "
            "нагрузок; по каждому ресурсу — одно предложение с наибольшей экономией.",
            best_per_resource(low_risk + production),
        )
    ]


def _scenarios(builder: _Builder, families: dict[str, list]) -> list[Scenario]:
    low_risk = families["cleanup"] + families["rightsizing"]
    everything = low_risk + families["migrate"] + families["other"]
    candidates = [
        (
            "low_risk",
            "Низкий риск",
            "Удалить неиспользуемое и уменьшить избыточные ресурсы, без переносов.",
            best_per_resource(low_risk),
        ),
        *_production_scenario(low_risk, families["migrate"]),
        (
            "all",
            "Все рекомендации",
            "Очистка, уменьшение и переносы; по каждому ресурсу — одно предложение "
            "с наибольшей экономией.",
            best_per_resource(everything),
        ),
    ]
    scenarios = []
    for key, title, description, monthly in candidates:
        if monthly <= 0:
            continue
        fid = f"scenario.{key}"
        scenarios.append(
            Scenario(
                key=key,
                title=title,
                description=description,
                monthly=builder.money(
                    f"{fid}.monthly", f"Сценарий «{title}»: экономия", monthly, "month"
                ),
                yearly=builder.money(
                    f"{fid}.yearly", f"Сценарий «{title}»: экономия за год", monthly * 12, "year"
                ),
                percent=builder.share(
                    f"{fid}.percent", f"Сценарий «{title}»: доля расходов", monthly
                ),
                delay_daily=builder.money(
                    f"{fid}.delay", f"Сценарий «{title}»: цена дня промедления", monthly / 30, "day"
                ),
            )
        )
    return scenarios


def _plan(builder: _Builder, savings: Savings, families: dict[str, list]) -> list[PlanItem]:
    plan = []
    if families["cleanup"]:
        total = best_per_resource(families["cleanup"])
        plan.append(
            PlanItem(
                horizon="Эта неделя",
                action="Удалить неиспользуемые ресурсы",
                complexity="низкая",
                risk="низкий: проверить, что ресурс никому не нужен",
                owner="DevOps",
                saving=builder.money("plan.cleanup", "План: очистка", total, "month"),
            )
        )
    if families["rightsizing"]:
        plan.append(
            PlanItem(
                horizon="1–3 месяца",
                action="Уменьшить избыточные ресурсы",
                complexity="низкая",
                risk="низкий: перезапуск в окно работ",
                owner="DevOps",
                saving=builder.money(
                    "plan.rightsizing",
                    "План: уменьшение ресурсов",
                    best_per_resource(families["rightsizing"]),
                    "month",
                ),
            )
        )
    for group in savings.migrations:
        heavy = any(item.effort == LEVELS["high"] for item in group.items)
        plan.append(
            PlanItem(
                horizon="3–6 месяцев" if heavy else "1–3 месяца",
                action=f"Перенос в {group.name}: начать с пилота на одном ресурсе",
                complexity="высокая" if heavy else "средняя",
                risk="высокий" if group.caveat or heavy else "средний",
                owner="CTO и команда эксплуатации",
                saving=group.monthly,
            )
        )
    return plan
