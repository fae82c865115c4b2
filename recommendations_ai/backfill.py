"""Backfill: texts for every recommendation that lacks one (or whose facts changed).

Safe to interrupt and re-run: each text is stored as soon as it is made (template batches
in one transaction each), and a re-run selects only what is still missing or stale.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings

from infrazen.models import OptimizationRecommendation
from llm.gateway import deadline_in
from recommendations_ai.facts import facts_build
from recommendations_ai.models import TextGeneration
from recommendations_ai.selectors import recommendations_missing_texts
from recommendations_ai.services import (
    MODE_TEMPLATE,
    text_generate,
    text_mode,
    texts_generate_templates,
)

logger = logging.getLogger(__name__)

TEMPLATE_BATCH = 500


@dataclass
class BackfillStats:
    total: int = 0
    done: int = 0
    failed: int = 0
    by_source: Counter = field(default_factory=Counter)
    tokens: int = 0
    cost_usd: Decimal = Decimal(0)
    started: float = field(default_factory=time.monotonic)
    latencies: list[float] = field(default_factory=list)

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    @property
    def rate(self) -> float:
        return (self.done + self.failed) / self.elapsed if self.elapsed > 0 else 0.0


def _stale(recs: list[OptimizationRecommendation]) -> list[OptimizationRecommendation]:
    """Those whose stored text was made from other facts, or by something other than us."""
    latest = {}
    for generation in TextGeneration.objects.filter(
        recommendation_id__in=[r.pk for r in recs]
    ).order_by("id"):
        latest[generation.recommendation_id] = generation.facts
    return [r for r in recs if latest.get(r.pk) != facts_build(recommendation=r).as_dict()]


def backfill_select(
    *,
    user_id: int | None = None,
    types: list[str] | None = None,
    limit: int | None = None,
    force: bool = False,
    stale: bool = False,
) -> list[OptimizationRecommendation]:
    missing = list(recommendations_missing_texts(user_id=user_id, types=types))
    chosen = missing
    if force or stale:
        done = list(
            recommendations_missing_texts(user_id=user_id, types=types, include_done=True).exclude(
                pk__in=[r.pk for r in missing]
            )
        )
        chosen = missing + (done if force else _stale(done))
        chosen.sort(key=lambda r: r.pk)
    return chosen[:limit] if limit else chosen


def backfill_run(
    *,
    recommendations: list[OptimizationRecommendation],
    mode: str | None = None,
    force: bool = False,
    concurrency: int = 8,
    progress: Callable[[BackfillStats], None] | None = None,
) -> BackfillStats:
    stats = BackfillStats(total=len(recommendations))
    if text_mode(mode) == MODE_TEMPLATE:
        for start in range(0, len(recommendations), TEMPLATE_BATCH):
            batch = recommendations[start : start + TEMPLATE_BATCH]
            try:
                counts = texts_generate_templates(recommendations=batch, force=force)
            except Exception:  # one bad batch must not stop the run
                logger.exception("backfill batch failed", extra={"first_id": batch[0].pk})
                _one_by_one(batch, stats, force)
            else:
                stats.by_source.update(counts)
                stats.done += len(batch)
            if progress:
                progress(stats)
        return stats
    asyncio.run(_run_llm(recommendations, stats, mode, force, concurrency, progress))
    return stats


def _one_by_one(batch, stats: BackfillStats, force: bool) -> None:
    """After a batch failed: find the bad rows, keep the good ones."""
    for rec in batch:
        try:
            stats.by_source.update(texts_generate_templates(recommendations=[rec], force=force))
            stats.done += 1
        except Exception:  # a broken row is counted and skipped
            logger.exception("backfill row failed", extra={"recommendation_id": rec.pk})
            stats.failed += 1


async def _run_llm(recs, stats, mode, force, concurrency, progress) -> None:
    semaphore = asyncio.Semaphore(max(1, concurrency))

    async def one(rec: OptimizationRecommendation) -> None:
        async with semaphore:
            started = time.monotonic()
            try:
                result = await text_generate(
                    recommendation=rec,
                    owner_id=rec.resource.provider.user_id,
                    deadline=deadline_in(settings.TEXT_ENDPOINT_DEADLINE_S),
                    mode=mode,
                    force=force,
                )
            except Exception:  # a broken row is counted and skipped
                logger.exception("backfill row failed", extra={"recommendation_id": rec.pk})
                stats.failed += 1
            else:
                stats.done += 1
                stats.by_source[result.source] += 1
                stats.tokens += result.tokens
                stats.cost_usd += result.cost_usd
            stats.latencies.append(time.monotonic() - started)
            if progress:
                progress(stats)

    await asyncio.gather(*(one(rec) for rec in recs))
