"""Recommendations in the rule engine's shapes (contract §2) and in the seed scripts' (§2.1).

One function per rule, keyed in RULES by the name recommendations.py's rows give.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from demo_data.recommendations import RULE_SOURCES
from demo_data.seeder import Seeder


def rightsizing_cpu(
    s: Seeder, name: str, *, target: float, cpu: float, vcpu: int, **kw: Any
) -> None:
    current = s.monthly(name)
    savings = round(current - target, 2)
    s.recommend(
        name,
        "rightsizing_cpu",
        source=RULE_SOURCES["rightsizing_cpu"],
        title=f"Уменьшить число vCPU сервера {name}",
        description=(
            f"Средняя загрузка CPU сервера {name} за 30 дней — {cpu}%. Уменьшение с {vcpu} "
            f"до {vcpu - 1} vCPU сэкономит около {savings} ₽ в месяц."
        ),
        savings=savings,
        metrics={"cpu_avg_percent": cpu, "current_vcpu": vcpu},
        insights={"current_monthly_cost": current, "suggested_reduction": 0.5},
        confidence=0.7,
        **kw,
    )


def cleanup_stopped(s: Seeder, name: str, **kw: Any) -> None:
    monthly = s.monthly(name)
    s.recommend(
        name,
        "cleanup_stopped",
        source=RULE_SOURCES["cleanup_stopped"],
        title=f"Удалить остановленный сервер {name}",
        description=(
            f"Сервер {name} остановлен, но за его диски продолжают списываться {monthly} ₽ "
            "в месяц. Если сервер больше не нужен, удалите его вместе с дисками."
        ),
        savings=monthly,
        metrics={"status": s.resources[name].status.upper(), "storage_cost_monthly": monthly},
        insights={"action": "delete", "reason": "stopped_unused", "storage_only_cost": True},
        confidence=0.8,
        **kw,
    )


def cleanup_old_snapshot(s: Seeder, name: str, *, age: int, **kw: Any) -> None:
    monthly = s.monthly(name)
    config = json.loads(s.resources[name].provider_config)
    size = config["size_gb"]
    s.recommend(
        name,
        "cleanup_old_snapshot",
        source=RULE_SOURCES["cleanup_old_snapshot"],
        title=f"Удалить старый снимок {name}",
        description=(
            f"Снимку {name} ({size} ГБ) {age} дней. Хранение стоит {monthly} ₽ в месяц; "
            "если он не нужен для восстановления, удалите его."
        ),
        savings=monthly,
        metrics={
            "age_days": age,
            "age_years": round(age / 365, 1),
            "age_threshold_days": 180,
            "size_gb": size,
            "created_at": config["created_at"],
            "current_monthly_cost": monthly,
        },
        insights={"action": "delete_snapshot", "age_days": age, "size_gb": size},
        confidence=0.9,
        **kw,
    )


def cleanup_unused_ip(s: Seeder, name: str, *, age: int, **kw: Any) -> None:
    monthly = s.monthly(name)
    resource = s.resources[name]
    config = json.loads(resource.provider_config)
    ip = resource.external_ip or config.get("actual_ip_address") or "N/A"
    s.recommend(
        name,
        "cleanup_unused_ip",
        source=RULE_SOURCES["cleanup_unused_ip"],
        title=f"Освободить неиспользуемый IP-адрес {ip}",
        description=(
            f"Статический IP-адрес {ip} зарезервирован {age} дней назад и ни к чему не "
            f"привязан. Освобождение сэкономит {monthly} ₽ в месяц."
        ),
        savings=monthly,
        metrics={
            "age_days": age,
            "age_years": round(age / 365, 1),
            "age_threshold_days": 180,
            "ip_address": ip,
            "created_at": config["created_at"],
            "is_used": False,
            "current_monthly_cost": monthly,
        },
        insights={"action": "release_ip", "age_days": age, "ip_address": ip},
        confidence=1.0,
        **kw,
    )


def cleanup_unused_volume(s: Seeder, name: str, *, age: int, **kw: Any) -> None:
    monthly = s.monthly(name)
    config = json.loads(s.resources[name].provider_config)
    size, disk_type = config["size_gb"], config["disk_type"]
    s.recommend(
        name,
        "cleanup_unused_volume",
        source=RULE_SOURCES["cleanup_unused_volume"],
        title=f"Удалить неподключённый диск {name}",
        description=(
            f"Диск {name} ({size} ГБ, {disk_type}) {age} дней не подключён ни к одной "
            f"ВМ. Удаление сэкономит {monthly} ₽ в месяц."
        ),
        savings=monthly,
        metrics={
            "size_gb": size,
            "disk_type": disk_type,
            "attached": False,
            "age_days": age,
            "current_monthly_cost": monthly,
        },
        insights={"action": "delete_volume", "reason": "unattached", "size_gb": size},
        confidence=0.85,
        **kw,
    )


def price_compare_server(
    s: Seeder,
    name: str,
    *,
    skus: list[str],
    score: float = 0.95,
    same_provider: bool = False,
    **kw: Any,
) -> None:
    """The server/VM price rule: the first SKU is the recommendation, top2 lists ≤2."""
    current = s.monthly(name)
    prices = [s.prices[sku] for sku in skus]
    best = prices[0]
    target = float(best.monthly_cost)
    savings = round(current - target, 2)
    top2 = [
        {
            "provider": p.provider,
            "region": p.region,
            "sku": p.provider_sku,
            "monthly": float(p.monthly_cost),
            "score": score,
            "price_id": p.pk,
        }
        for p in prices[:2]
    ]
    kind = "price_compare_same_provider" if same_provider else "price_compare_cross_provider"
    where = "в другом регионе" if same_provider else f"у провайдера {best.provider}"
    rec = s.recommend(
        name,
        kind,
        source=RULE_SOURCES[
            "price_compare_same_provider" if same_provider else "price_compare_server"
        ],
        title=f"Перенести {name} на более выгодную конфигурацию",
        description=(
            f"Аналогичная конфигурация {best.provider_sku} {where} стоит {target} ₽ в месяц "
            f"вместо {current} ₽. Экономия — {savings} ₽ в месяц."
        ),
        savings=savings,
        metrics={"similarity": score, "target_monthly": target, "current_monthly": current},
        insights={
            "recommended_provider": best.provider,
            "recommended_region": best.region,
            "recommended_sku": best.provider_sku,
            "recommended_price_id": best.pk,
            "specs_unknown": False,
            "top2": top2,
        },
        confidence=min(0.9, score),
        severity="low",
        **kw,
    )
    if not same_provider and rec.status != "dismissed":
        s.comparisons.append((rec, best, score))


def _alternative(provider: str, region: str, monthly: float, current: float) -> dict[str, Any]:
    return {
        "provider": provider,
        "region": region,
        "monthly": monthly,
        "savings": round(current - monthly, 2),
        "savings_pct": round((current - monthly) * 100 / current, 1),
    }


def price_compare_cluster(
    s: Seeder,
    name: str,
    *,
    source_rule: str,
    title: str,
    provider: str,
    sku: str,
    region: str,
    target: float | None = None,
    price: tuple[str, int, str | None] | None = None,
    similarity: float = 1.0,
    metrics: dict[str, Any] | None = None,
    insights: dict[str, Any],
    alternatives: tuple[tuple[str, str, float | None, dict[str, Any]], ...] = (),
    **kw: Any,
) -> None:
    """A managed cluster priced elsewhere. price: (price SKU, units, unit name): the target is
    that many units of the catalogue row, and a named unit gets per-unit metrics; without it,
    target is the literal price. Alternatives: (provider, region, monthly or None for the
    target, extra fields)."""
    current = s.monthly(name)
    metrics = dict(metrics or {})
    if price is not None:
        price_sku, units, unit = price
        per_unit = float(s.prices[price_sku].monthly_cost)
        target = per_unit * units
        if unit:
            metrics[f"per_{unit}_cost_target"] = per_unit
            metrics[f"per_{unit}_cost_current"] = round(current / units, 2)
    rows = [(p, r, target if m is None else m, extra) for p, r, m, extra in alternatives]
    insights = {
        "recommended_provider": provider,
        "recommended_sku": sku,
        "recommended_region": region,
        **insights,
    }
    if rows:
        insights["alternatives"] = [_alternative(p, r, m, current) | x for p, r, m, x in rows]
    s.recommend(
        name,
        "price_compare_cross_provider",
        source=RULE_SOURCES[source_rule],
        title=title,
        description=(
            f"Кластер {name} обходится в {current} ₽ в месяц. Сопоставимая управляемая "
            f"конфигурация у {provider} стоит {target} ₽ — экономия {round(current - target, 2)} ₽."
        ),
        savings=round(current - target, 2),
        metrics={"similarity": similarity, "target_monthly": target, "current_monthly": current}
        | metrics,
        insights=insights,
        **kw,
    )


def legacy(
    s: Seeder, name: str, *, rtype: str, share: float, title: str, explanation: str, **kw: Any
) -> None:
    """Rows as the seed scripts wrote them: JSON text, `{"explanation": ...}` insights."""
    s.recommend(
        name,
        rtype,
        legacy=True,
        title=title,
        description=explanation,
        savings=round(s.monthly(name) * share, 2),
        insights={"explanation": explanation},
        confidence=0.6,
        **kw,
    )


RULES: dict[str, Callable[..., None]] = {
    "rightsizing_cpu": rightsizing_cpu,
    "cleanup_stopped": cleanup_stopped,
    "cleanup_old_snapshot": cleanup_old_snapshot,
    "cleanup_unused_ip": cleanup_unused_ip,
    "cleanup_unused_volume": cleanup_unused_volume,
    "price_compare_server": price_compare_server,
    "price_compare_cluster": price_compare_cluster,
    "legacy": legacy,
}
