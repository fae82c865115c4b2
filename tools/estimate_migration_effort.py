"""estimate_migration_effort: how hard carrying out a recommendation is, and why.

A transparent heuristic, so the model can repeat the reasons: a base score per action and
resource kind (deleting a snapshot 1, resizing a server 2, moving a server 3, a database or
cluster 4), plus one point each for a lot of data (≥ 200 GB; two for ≥ 1 TB), an external IP
(DNS and firewall rules follow it), several attached disks, a Kubernetes-managed node, a
production environment, and a Beget target for production clusters and databases (Beget is
dev/test grade for those, facts §8). Clipped to 1–5: 1–2 low, 3 medium, 4–5 high.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from infrazen.models import InfraZenUser
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


class Reason(BaseModel):
    factor: Literal[
        "action", "resource_type", "data_volume", "dependencies", "environment", "target_provider"
    ]
    detail: str
    points: int = Field(description="How much this factor adds to the score.")


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
    truncated: bool = False

    def summary(self) -> str:
        return f"Сложность {self.score}/5 ({self.level}), простой ~{self.downtime_minutes} мин"


def run(*, user: InfraZenUser, args: Args) -> Result:
    rec = recommendation_for(user, args.recommendation_id)
    facts = facts_build(recommendation=rec)
    resource = rec.resource
    config = resource_config(resource)
    tags = resource_tags_for(user, resource.pk)
    action = recommendation_action(facts)
    resource_type = facts.resource_type or resource.resource_type
    heavy = is_heavy(resource_type) or isinstance(facts, ClusterPriceCompareFacts)
    storage = facts.specs.storage_gb if facts.specs else None
    reasons: list[Reason] = []
    caveats: list[str] = []

    if action == "migrate":
        base, downtime = (4, 60) if heavy else (3, 30)
        detail = (
            "перенос управляемого кластера или базы данных: репликация и переключение клиентов"
            if heavy
            else "перенос сервера к другому провайдеру: новая ВМ, перенос данных, переключение"
        )
        reasons.append(Reason(factor="resource_type", detail=detail, points=base))
        if "kubernetes" in (resource_type or "").lower():
            downtime = 120
    elif action == "resize":
        base, downtime = 2, 10
        reasons.append(
            Reason(factor="action", detail="смена конфигурации требует перезапуска", points=2)
        )
    elif action == "schedule_shutdown":
        base, downtime = 2, 0
        reasons.append(
            Reason(factor="action", detail="нужно расписание включения и выключения", points=2)
        )
    else:
        base, downtime = 1, 0
        reasons.append(
            Reason(factor="action", detail="удаление или изменение без переноса данных", points=1)
        )
    score = base

    moves_data = action in ("migrate", "resize")
    if moves_data and storage:
        points = 2 if storage >= 1000 else 1 if storage >= 200 else 0
        downtime += int(storage // 10) if action == "migrate" else 0
        reasons.append(
            Reason(factor="data_volume", detail=f"объём данных {storage:g} ГБ", points=points)
        )
        score += points
    if action == "migrate" and (resource.external_ip or config.get("external_ip")):
        reasons.append(
            Reason(
                factor="dependencies",
                detail="внешний IP сменится: обновить DNS и правила доступа",
                points=1,
            )
        )
        score += 1
    disks = config.get("attached_disks") or config.get("attached_volumes")
    if moves_data and isinstance(disks, list) and len(disks) > 1:
        reasons.append(
            Reason(factor="dependencies", detail=f"подключено дисков: {len(disks)}", points=1)
        )
        score += 1
    if str(tags.get("is_kubernetes_node", "")).lower() == "true":
        reasons.append(
            Reason(
                factor="dependencies",
                detail="узел Kubernetes: менять через группу узлов кластера",
                points=1,
            )
        )
        score += 1
    if moves_data and (resource.environment or "").lower() in ("prod", "production"):
        reasons.append(
            Reason(factor="environment", detail="продуктивная среда: нужно окно работ", points=1)
        )
        score += 1
    target = (facts.target_provider or "").lower()
    if action == "migrate" and target == "beget" and heavy:
        reasons.append(
            Reason(
                factor="target_provider",
                detail="Beget подходит для dev/test, а не для продуктивных кластеров и БД",
                points=1,
            )
        )
        caveats.append("Beget — уровень dev/test для продуктивных Kubernetes и баз данных.")
        score += 1
    if isinstance(facts, ClusterPriceCompareFacts) and facts.migration_complexity == "high":
        caveats.append("Правило рекомендации само оценивает перенос как сложный.")
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
        caveats=caveats,
    )
