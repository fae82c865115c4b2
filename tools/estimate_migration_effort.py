"""estimate_migration_effort: how hard carrying out a recommendation is, and why.

A transparent heuristic, so the model can repeat the reasons: a base score per action and
resource kind (deleting a snapshot 1, resizing a server 2, moving a server 3, a database or
cluster 4), plus one point each for a lot of data (≥ 200 GB; two for ≥ 1 TB), an external IP
(DNS and firewall rules follow it), several attached disks, a Kubernetes-managed node, a
production environment, and a Beget target for production clusters and databases (Beget is
dev/test grade for those, contract §5). Clipped to 1–5: 1–2 low, 3 medium, 4–5 high.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from infrazen.models import InfraZenUser, Resource
from infrazen.values import resource_config
from recommendations_ai.facts import (
    CleanupFacts,
    ClusterPriceCompareFacts,
    GenericFacts,
    PriceCompareFacts,
    RecommendationFacts,
    RightsizingFacts,
    StoppedFacts,
    facts_build,
)
from tools.base import ArgsModel, recommendation_for, resource_tags_for

NAME = "estimate_migration_effort"
LABEL = "Оцениваю сложность миграции"
SCENARIOS = frozenset({"recommendation"})
# Reads only: no confirmation needed, any role may run it (governance.policy).
READ_ONLY = True

Action = Literal[
    "migrate",
    "resize",
    "delete_snapshot",
    "release_ip",
    "delete_volume",
    "delete_resource",
    "delete_server",
    "schedule_shutdown",
    "commit",
    "review",
]
CLEANUP_ACTIONS: dict[str, Action] = {
    "snapshot": "delete_snapshot",
    "ip": "release_ip",
    "volume": "delete_volume",
    "other": "delete_resource",
}
HEAVY_TYPES = ("cluster", "database", "kubernetes", "kafka", "redis", "postgres", "mysql")


def recommendation_action(facts: RecommendationFacts) -> Action:
    if isinstance(facts, PriceCompareFacts):
        return "migrate"
    if isinstance(facts, RightsizingFacts):
        return "resize"
    if isinstance(facts, StoppedFacts):
        return "delete_server"
    if isinstance(facts, CleanupFacts):
        return CLEANUP_ACTIONS.get(facts.cleanup_kind, "delete_resource")
    if isinstance(facts, GenericFacts):
        return {"shutdown": "schedule_shutdown", "migrate": "migrate", "commitment": "commit"}.get(
            facts.action or "", "review"
        )
    return "review"


def is_heavy(resource_type: str | None) -> bool:
    kind = (resource_type or "").lower()
    return any(word in kind for word in HEAVY_TYPES)


class Args(ArgsModel):
    """Effort of carrying out one recommendation of the current user: a score from 1 (trivial)
    to 5 (a project), the expected downtime and the reasons (resource type, data volume,
    dependencies such as an external IP or attached disks, environment, target provider)."""

    recommendation_id: int = Field(ge=1, description="Id of the recommendation.")


ReasonCode = Literal[
    "migrate_cluster",
    "migrate_server",
    "resize_restart",
    "shutdown_schedule",
    "no_data_moved",
    "data_volume",
    "external_ip",
    "attached_disks",
    "kubernetes_node",
    "production",
    "beget_target",
]
CaveatCode = Literal["beget_target", "rule_complex"]


class Reason(BaseModel):
    factor: Literal[
        "action", "resource_type", "data_volume", "dependencies", "environment", "target_provider"
    ]
    detail: str
    points: int = Field(description="How much this factor adds to the score.")
    # Not serialised (the model reads `detail`): what the detail says, and the figure it quotes,
    # for readers of other languages (chat.offline answers in English by them).
    code: ReasonCode | None = Field(default=None, exclude=True)
    value: float | None = Field(default=None, exclude=True)


class Result(BaseModel):
    recommendation_id: int
    resource_name: str | None
    resource_type: str | None
    action: Action
    score: int = Field(ge=1, le=5)
    level: Literal["low", "medium", "high"]
    downtime_minutes: int = Field(description="Expected downtime of the change, minutes.")
    reasons: list[Reason]
    caveats: list[str] = Field(default_factory=list)
    # Not serialised: one code per caveat, in the same order.
    caveat_codes: list[CaveatCode] = Field(default_factory=list, exclude=True)
    truncated: bool = False

    def summary(self) -> str:
        return f"Сложность {self.score}/5 ({self.level}), простой ~{self.downtime_minutes} мин"


# code → (factor, detail): the detail is what the model and users read; {value} is its figure.
REASONS: dict[str, tuple[str, str]] = {
    "migrate_cluster": (
        "resource_type",
        "перенос управляемого кластера или базы данных: репликация и переключение клиентов",
    ),
    "migrate_server": (
        "resource_type",
        "перенос сервера к другому провайдеру: новая ВМ, перенос данных, переключение",
    ),
    "resize_restart": ("action", "смена конфигурации требует перезапуска"),
    "shutdown_schedule": ("action", "нужно расписание включения и выключения"),
    "no_data_moved": ("action", "удаление или изменение без переноса данных"),
    "data_volume": ("data_volume", "объём данных {value:g} ГБ"),
    "external_ip": ("dependencies", "внешний IP сменится: обновить DNS и правила доступа"),
    "attached_disks": ("dependencies", "подключено дисков: {value}"),
    "kubernetes_node": ("dependencies", "узел Kubernetes: менять через группу узлов кластера"),
    "production": ("environment", "продуктивная среда: нужно окно работ"),
    "beget_target": (
        "target_provider",
        "Beget подходит для dev/test, а не для продуктивных кластеров и БД",
    ),
}
CAVEATS: dict[str, str] = {
    "beget_target": "Beget — уровень dev/test для продуктивных Kubernetes и баз данных.",
    "rule_complex": "Правило рекомендации само оценивает перенос как сложный.",
}


def _reason(code: ReasonCode, points: int, value: float | None = None) -> Reason:
    factor, detail = REASONS[code]
    return Reason(
        factor=factor, detail=detail.format(value=value), points=points, code=code, value=value
    )


def _base(action: Action, heavy: bool, resource_type: str | None) -> tuple[int, int, Reason]:
    """(score, downtime minutes, the reason) of the action itself."""
    if action == "migrate":
        base, downtime = (4, 60) if heavy else (3, 30)
        if "kubernetes" in (resource_type or "").lower():
            downtime = 120
        return base, downtime, _reason("migrate_cluster" if heavy else "migrate_server", base)
    if action == "resize":
        return 2, 10, _reason("resize_restart", 2)
    if action == "schedule_shutdown":
        return 2, 0, _reason("shutdown_schedule", 2)
    return 1, 0, _reason("no_data_moved", 1)


def _dependencies(
    action: Action, resource: Resource, facts: RecommendationFacts, heavy: bool, user: InfraZenUser
) -> list[Reason]:
    """The reasons that add to the action's score, in the order they are told."""
    config = resource_config(resource)
    moves_data = action in ("migrate", "resize")
    storage = facts.specs.storage_gb if facts.specs else None
    reasons: list[Reason] = []
    if moves_data and storage:
        points = 2 if storage >= 1000 else 1 if storage >= 200 else 0
        reasons.append(_reason("data_volume", points, storage))
    if action == "migrate" and (resource.external_ip or config.get("external_ip")):
        reasons.append(_reason("external_ip", 1))
    disks = config.get("attached_disks") or config.get("attached_volumes")
    if moves_data and isinstance(disks, list) and len(disks) > 1:
        reasons.append(_reason("attached_disks", 1, len(disks)))
    tags = resource_tags_for(user, resource.pk)
    if str(tags.get("is_kubernetes_node", "")).lower() == "true":
        reasons.append(_reason("kubernetes_node", 1))
    if moves_data and (resource.environment or "").lower() in ("prod", "production"):
        reasons.append(_reason("production", 1))
    target = (facts.target_provider or "").lower()
    if action == "migrate" and target == "beget" and heavy:
        reasons.append(_reason("beget_target", 1))
    return reasons


def run(*, user: InfraZenUser, args: Args) -> Result:
    rec = recommendation_for(user, args.recommendation_id)
    facts = facts_build(recommendation=rec)
    resource = rec.resource
    action = recommendation_action(facts)
    resource_type = facts.resource_type or resource.resource_type
    heavy = is_heavy(resource_type) or isinstance(facts, ClusterPriceCompareFacts)
    score, downtime, first = _base(action, heavy, resource_type)
    reasons = [first, *_dependencies(action, resource, facts, heavy, user)]
    score += sum(reason.points for reason in reasons[1:])
    storage = facts.specs.storage_gb if facts.specs else None
    if action == "migrate" and storage:
        downtime += int(storage // 10)
    caveat_codes: list[CaveatCode] = []
    if any(reason.code == "beget_target" for reason in reasons):
        caveat_codes.append("beget_target")
    if isinstance(facts, ClusterPriceCompareFacts) and facts.migration_complexity == "high":
        caveat_codes.append("rule_complex")
        score = max(score, 4)
    score = max(1, min(5, score))
    return Result(
        recommendation_id=rec.pk,
        resource_name=facts.resource_name,
        resource_type=resource_type,
        action=action,
        score=score,
        level="low" if score <= 2 else "medium" if score == 3 else "high",
        downtime_minutes=downtime,
        reasons=reasons,
        caveats=[CAVEATS[code] for code in caveat_codes],
        caveat_codes=caveat_codes,
    )
