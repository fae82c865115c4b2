"""Recommendation texts: facts → (cache | model | template) → sanitised HTML → stored.

Whatever the model does, a caller gets a true text: the deterministic template is the answer
when no model is configured, when it fails, when its answer does not hold to the facts, or
when the deadline runs out. A text is identified by (facts, prompt version, model): asking
again for unchanged facts is served from the generation records without a model call.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from decimal import Decimal

from django.conf import settings
from django.db import connections, router, transaction

from core import metrics
from core.db import db_sync_to_async, rows_insert
from core.statements import row_select, row_update
from governance.budgets import cost_rub
from governance.metering import Meter, Reserved, reserve_ahead, structured_counted
from governance.policy import ROLE_USER, Policy, policy_for, policy_for_id, role_model
from governance.refusals import QuotaExceeded
from infrazen import clock
from infrazen.models import InfraZenUser, OptimizationRecommendation
from llm import gateway
from llm.errors import LLMError, LLMValidationError
from llm.models import LLMCall
from recommendations_ai import prompts
from recommendations_ai.facts import RecommendationFacts, facts_build
from recommendations_ai.models import TextGeneration
from recommendations_ai.sanitize import html_sanitize
from recommendations_ai.selectors import loaded_owner, recommendation_for_service_get
from recommendations_ai.templates_ru import texts_render
from recommendations_ai.text_model import RecommendationTexts, texts_validation_context

logger = logging.getLogger(__name__)

MODE_AUTO, MODE_TEMPLATE, MODE_LLM = "auto", "template", "llm"
TEMPLATE_MODEL = "template"
# Time kept back from the deadline to render the template, store and answer.
DEADLINE_RESERVE_S = 0.5
TEXT_MAX_TOKENS = 400


@dataclass(frozen=True)
class TextResult:
    recommendation_id: int
    short_html: str
    detailed_html: str
    source: str
    model: str
    tokens: int
    cost_usd: Decimal
    validation: str


def text_mode(requested: str | None = None) -> str:
    """`template` or `llm`. Auto takes the model whenever one is configured."""
    mode = requested or settings.AI_TEXT_MODE
    if mode == MODE_AUTO:
        return MODE_LLM if gateway.llm_available() else MODE_TEMPLATE
    if mode not in (MODE_TEMPLATE, MODE_LLM):
        raise ValueError(f"AI_TEXT_MODE must be auto, template or llm, not {mode!r}")
    return mode


def text_generation_prepare() -> None:
    """At a worker's startup: what its first model text would otherwise build on the event
    loop (llm.gateway.structured_prepare)."""
    gateway.structured_prepare(RecommendationTexts)


def _cache_model(mode: str) -> str:
    """The model a text of this mode is cached under."""
    return settings.LLM_MODEL_TEXT if mode == MODE_LLM else TEMPLATE_MODEL


def _owner_model(owner_id: int) -> str:
    """The model the owner's role picks (governance.policy.role_model; a user gone since:
    the `user` role's), from the role alone: one column, no limits read."""
    row = row_select(InfraZenUser, ["role"], id=owner_id)
    return role_model(role=row[0] if row else ROLE_USER)


def text_cache_key(*, facts: RecommendationFacts, model: str) -> str:
    material = f"{prompts.PROMPT_VERSION}\n{model}\n{facts.as_json()}"
    return hashlib.sha256(material.encode()).hexdigest()


def _template_texts(facts: RecommendationFacts) -> tuple[str, str]:
    rendered = texts_render(facts=facts)
    return html_sanitize(rendered.short_html), html_sanitize(rendered.detailed_html)


def _generation(
    *,
    recommendation: OptimizationRecommendation,
    facts: RecommendationFacts,
    key: str,
    source: str,
    model: str,
    texts: tuple[str, str],
    owner_id: int | None,
    **accounting,
) -> TextGeneration:
    if "cost_usd" in accounting:
        accounting["cost_rub"] = cost_rub(cost_usd=accounting["cost_usd"])
    return TextGeneration(
        recommendation_id=recommendation.pk,
        user_id=owner_id,
        recommendation_type=recommendation.recommendation_type[:50],
        facts_hash=key,
        facts=facts.as_dict(),
        prompt_version=prompts.PROMPT_VERSION,
        source=source,
        model=model,
        short_html=texts[0],
        detailed_html=texts[1],
        **accounting,
    )


def _result(generation: TextGeneration) -> TextResult:
    return TextResult(
        recommendation_id=generation.recommendation_id,
        short_html=generation.short_html,
        detailed_html=generation.detailed_html,
        source=generation.source,
        model=generation.model,
        tokens=generation.tokens,
        cost_usd=generation.cost_usd,
        validation=generation.validation,
    )


# Every text request looks here first; compiling the same lookup as a queryset costs
# ≈ 0.5 ms of CPU each time, the plain statement a tenth of that. A cache record needs only
# these columns of its source.
_CACHED_FIELDS = ("id", "model", "short_html", "detailed_html")
_CACHED_SQL = f"""
SELECT {", ".join(_CACHED_FIELDS)} FROM agent_text_generations
WHERE facts_hash = %s AND source <> %s
ORDER BY created_at DESC, id DESC
LIMIT 1
"""  # noqa: S608


def _cached(key: str) -> TextGeneration | None:
    """The newest generation made for this key (a cache record is a copy, never a source),
    with only the columns a cache record copies loaded."""
    db = router.db_for_read(TextGeneration)
    with connections[db].cursor() as cursor:
        cursor.execute(_CACHED_SQL, [key, TextGeneration.SOURCE_CACHE])
        row = cursor.fetchone()
    return None if row is None else TextGeneration.from_db(db, _CACHED_FIELDS, row)


@contextmanager
def _both_databases_atomic() -> Iterator[None]:
    """One block for a text's generation record (the agent's database) and the recommendation's
    ai_* columns (InfraZen's): a failing statement rolls back both.

    Two databases cannot commit as one. The agent's commits first: should InfraZen's commit
    then fail, the generation is stored without its text on the recommendation, the request
    fails, and the next one for it (the app's backfill) is a cache hit that writes the text.
    The other order could leave a text on show with no record of how it was made. With one
    database the inner block simply joins the outer one (no savepoint).
    """
    with (
        transaction.atomic(using=router.db_for_write(OptimizationRecommendation)),
        transaction.atomic(using=router.db_for_write(TextGeneration), savepoint=False),
    ):
        yield


def _accounts_close(job: _TextJob, llm_calls: list[LLMCall]) -> None:
    """What the request's model calls cost: their records, and the owner's reservation
    settled to it (sync)."""
    if job.reserved is not None:
        job.reserved.settle()
    gateway.llm_calls_save(llm_calls)


def _store(generation: TextGeneration, job: _TextJob, llm_calls: list[LLMCall]) -> None:
    """Record how the text was made (and what its model calls cost) and write it where the
    InfraZen UI reads it."""
    _accounts_close(job, llm_calls)
    recommendation = job.recommendation
    unchanged = (recommendation.ai_short_description, recommendation.ai_detailed_description) == (
        generation.short_html,
        generation.detailed_html,
    )
    with _both_databases_atomic():
        rows_insert([generation], using=router.db_for_write(TextGeneration))
        # A repeated request for the same text (a cache hit) leaves the row alone.
        if not unchanged:
            row_update(
                OptimizationRecommendation,
                generation.recommendation_id,
                ai_short_description=generation.short_html,
                ai_detailed_description=generation.detailed_html,
                ai_generated_at=clock.utc_now(),
            )


@dataclass(frozen=True)
class _TextJob:
    """One recommendation's text request, with everything read before the model call."""

    recommendation: OptimizationRecommendation
    owner_id: int | None
    facts: RecommendationFacts
    key: str
    cached: TextGeneration | None
    mode: str
    deadline: float
    # What the model is sent (None: no model call).
    messages: list[dict] | None = None
    # The owner's budgets, limits, model and names, for a model call (None: no owner).
    policy: Policy | None = None
    # The owner's reservation for the model call, made with the reads before it and settled
    # with the text's write (None: no call, no owner, or refused: `refusal`).
    reserved: Reserved | None = None
    refusal: QuotaExceeded | None = None


def _job_prepare(
    recommendation: OptimizationRecommendation,
    *,
    owner_id: int | None,
    mode: str,
    deadline: float,
    force: bool = False,
    owner: InfraZenUser | None = None,
) -> _TextJob:
    """Facts, cache key, cached text, and the owner's policy when the model is to be asked
    (sync: it reads the DB). `owner`: the owner's row, when loaded with the recommendation
    (its role and names: no read of its own)."""
    facts = facts_build(recommendation=recommendation)
    owned = mode == MODE_LLM and owner_id is not None
    # The owner's role picks the model (a demo owner's LLM_MODEL_DEMO, as in the chat) and a
    # text is cached under its model: with a demo model set, the role is read for the key;
    # the rest of the policy (limits, names) only when the model is to be asked.
    if owned and settings.LLM_MODEL_DEMO:
        model = role_model(role=owner.role) if owner else _owner_model(owner_id)
    else:
        model = _cache_model(mode)
    key = text_cache_key(facts=facts, model=model)
    cached = None if force else _cached(key)
    job = _TextJob(
        recommendation=recommendation,
        owner_id=owner_id,
        facts=facts,
        key=key,
        cached=cached,
        mode=mode,
        deadline=deadline,
    )
    if mode != MODE_LLM or cached is not None:
        return job
    messages = prompts.text_messages(facts=facts.as_dict(), family=facts.family)
    if owner_id is None:
        return replace(job, messages=messages)
    policy = policy_for(user=owner) if owner else policy_for_id(user_id=owner_id)
    job = replace(job, messages=messages, policy=policy)
    try:
        reserved = reserve_ahead(job.policy, messages=messages, max_tokens=TEXT_MAX_TOKENS)
    except QuotaExceeded as refusal:
        return replace(job, refusal=refusal)
    return replace(job, reserved=reserved)


async def _llm_texts(job: _TextJob) -> tuple[tuple[str, str], dict, str]:
    """The model's texts, or raises LLMError (QuotaExceeded: the owner's budget or the
    service's cap refused the call); also returns accounting and a validation note. What
    the call took goes to the job's reservation, settled by the caller."""
    if job.refusal is not None:
        raise job.refusal
    facts_dict = job.facts.as_dict()
    llm_deadline = job.deadline - DEADLINE_RESERVE_S
    budget = llm_deadline - time.monotonic()
    if budget <= 0:
        raise LLMError("no time left for the model")
    context = texts_validation_context(facts=facts_dict)

    # In this task, not in one of its own as wait_for runs it: no task, waiter or extra
    # turn of the event loop per request. Raises TimeoutError all the same.
    async def call():
        async with asyncio.timeout(budget):
            return await gateway.structured(
                purpose="recommendation_text",
                messages=job.messages,
                response_model=RecommendationTexts,
                validation_context=context,
                max_validation_retries=1,
                max_tokens=TEXT_MAX_TOKENS,
                deadline=llm_deadline,
                user_id=job.owner_id,
                model=job.policy.model if job.policy else None,
                pii_names=job.policy.names if job.policy else (),
            )

    meter = job.reserved.meter if job.reserved is not None else Meter()
    answer, completion = await structured_counted(meter, call)
    texts = (
        html_sanitize(answer.short_description_html),
        html_sanitize(answer.detailed_description_html),
    )
    return texts, _accounting(completion), "ok"


def _accounting(completion) -> dict:
    return {
        "model": completion.model or completion.model_requested,
        "prompt_tokens": completion.prompt_tokens,
        "completion_tokens": completion.completion_tokens,
        "cost_usd": completion.cost_usd,
        "latency_ms": completion.latency_ms,
    }


async def _llm_generation(job: _TextJob) -> tuple[TextGeneration | None, str, dict]:
    """The model's texts as a generation, or None with why it failed and what it cost."""
    try:
        texts, accounting, note = await _llm_texts(job)
    except QuotaExceeded as refusal:
        # The owner's day or the service's cap: the template text, never a failed sync.
        return None, f"quota: {refusal.limit}", {"model": TEMPLATE_MODEL}
    except LLMValidationError as exc:
        return None, f"validation: {exc.errors[:900]}", _accounting(exc.completion)
    except (LLMError, TimeoutError) as exc:
        why = getattr(exc, "message", None) or "deadline reached"
        model = job.policy.model if job.policy else settings.LLM_MODEL_TEXT
        return None, f"llm: {why}", {"model": model}
    generation = _generation(
        recommendation=job.recommendation,
        facts=job.facts,
        key=job.key,
        source=TextGeneration.SOURCE_LLM,
        texts=texts,
        owner_id=job.owner_id,
        validation=note,
        **accounting,
    )
    return generation, note, accounting


async def text_generate(
    *,
    recommendation: OptimizationRecommendation,
    owner_id: int | None,
    deadline: float,
    mode: str | None = None,
    force: bool = False,
) -> TextResult:
    """The texts of one recommendation, stored on it. Never raises for model trouble."""
    job = await db_sync_to_async(_job_prepare)(
        recommendation, owner_id=owner_id, mode=text_mode(mode), deadline=deadline, force=force
    )
    return await _generate(job)


def _job_for_service(recommendation_id: int, *, mode: str, deadline: float) -> _TextJob:
    rec, owner_id = recommendation_for_service_get(recommendation_id=recommendation_id)
    return _job_prepare(
        rec, owner_id=owner_id, mode=mode, deadline=deadline, owner=loaded_owner(rec)
    )


async def text_generate_for_service(*, recommendation_id: int, deadline: float) -> TextResult:
    """`text_generate` for the InfraZen app, which asks by id alone: the owner comes from
    the ownership chain, and the reads before the model call share one thread hop.

    Raises NotFound for an id that is missing or whose chain resolves to no live owner.
    """
    job = await db_sync_to_async(_job_for_service)(
        recommendation_id, mode=text_mode(), deadline=deadline
    )
    return await _generate(job)


async def _generate(job: _TextJob) -> TextResult:
    # The model call's accounting rows are saved with the text, in one trip to the database
    # thread instead of one more per attempt.
    with gateway.llm_calls_collected() as llm_calls:
        try:
            generation = await _generation_made(job)
            await db_sync_to_async(_store)(generation, job, llm_calls)
        except BaseException:
            # Cancelled (the client went away) or failed: the model was paid all the same.
            await asyncio.shield(db_sync_to_async(_accounts_close)(job, llm_calls))
            raise
    # llm, template or cache: the cache's hit ratio in the metrics.
    metrics.text_generations.labels(generation.source).inc()
    return _result(generation)


async def _generation_made(job: _TextJob) -> TextGeneration:
    """The generation to store: a copy of the cached text, the model's, or the template's."""
    recommendation, facts, cached = job.recommendation, job.facts, job.cached
    if cached is not None:
        return _generation(
            recommendation=recommendation,
            facts=facts,
            key=job.key,
            source=TextGeneration.SOURCE_CACHE,
            model=cached.model,
            texts=(cached.short_html, cached.detailed_html),
            owner_id=job.owner_id,
            validation=f"cache of generation {cached.pk}",
        )
    if job.mode == MODE_LLM:
        generation, why, accounting = await _llm_generation(job)
        if generation is not None:
            return generation
        logger.warning(
            "recommendation text fell back to the template",
            extra={"recommendation_id": recommendation.pk, "reason": why[:200]},
        )
    else:
        why, accounting = "template mode", {"model": TEMPLATE_MODEL}
    return _generation(
        recommendation=recommendation,
        facts=facts,
        # Fallbacks are stored under the template's key: the next request tries the
        # model again instead of being served a fallback from the cache.
        key=text_cache_key(facts=facts, model=TEMPLATE_MODEL),
        source=TextGeneration.SOURCE_TEMPLATE,
        texts=_template_texts(facts),
        owner_id=job.owner_id,
        validation=why,
        **accounting,
    )


def texts_generate_templates(
    *, recommendations: Iterable[OptimizationRecommendation], force: bool = False
) -> dict[str, int]:
    """Template texts for many recommendations at once: batched reads and writes.

    The backfill's fast path when no model is used; the same facts, templates, sanitiser
    and cache keys as `text_generate`.
    """
    recommendations = list(recommendations)
    prepared = []
    for rec in recommendations:
        facts = facts_build(recommendation=rec)
        prepared.append((rec, facts, text_cache_key(facts=facts, model=TEMPLATE_MODEL)))
    cached = {}
    if not force:
        keys = [key for _, _, key in prepared]
        for generation in (
            TextGeneration.objects.filter(facts_hash__in=keys)
            .exclude(source=TextGeneration.SOURCE_CACHE)
            .order_by("created_at", "id")
        ):
            cached[generation.facts_hash] = generation
    generations, counts = [], {"template": 0, "cache": 0}
    for rec, facts, key in prepared:
        hit = cached.get(key)
        texts = (hit.short_html, hit.detailed_html) if hit else _template_texts(facts)
        source = TextGeneration.SOURCE_CACHE if hit else TextGeneration.SOURCE_TEMPLATE
        counts[source] += 1
        generations.append(
            _generation(
                recommendation=rec,
                facts=facts,
                key=key,
                source=source,
                model=TEMPLATE_MODEL,
                texts=texts,
                owner_id=None,
                validation=f"cache of generation {hit.pk}" if hit else "template mode",
            )
        )
    now = clock.utc_now()
    for rec, generation in zip(recommendations, generations, strict=True):
        rec.ai_short_description = generation.short_html
        rec.ai_detailed_description = generation.detailed_html
        rec.ai_generated_at = now
    with _both_databases_atomic():
        TextGeneration.objects.bulk_create(generations, batch_size=500)
        # One UPDATE per row: building bulk_update's CASE WHEN over every row and field
        # costs more than the statements it saves (bench/backfill_throughput.py).
        for rec in recommendations:
            OptimizationRecommendation.objects.filter(pk=rec.pk).update(
                ai_short_description=rec.ai_short_description,
                ai_detailed_description=rec.ai_detailed_description,
                ai_generated_at=now,
            )
    return counts
