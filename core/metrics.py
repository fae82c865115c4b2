"""Every Prometheus metric the service exports, in one place, and their exposition.

Labels are low-cardinality only (route templates, scenarios, tool and model names, outcomes):
never a user, session or recommendation id. Names start with `infrazen_agent_`.

Several workers (scripts/serve.py) share one port, so a scrape reaches any one of them:
prometheus-client's multiprocess mode makes every worker's numbers one answer. serve.py sets
PROMETHEUS_MULTIPROC_DIR (emptied at start) before the workers import this module, and tells
the library when a worker is gone. Without it (`make demo`, tests) the process's own registry
is the answer.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.registry import REGISTRY

logger = logging.getLogger(__name__)

PREFIX = "infrazen_agent"
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
CONTENT_TYPE = CONTENT_TYPE_LATEST

# Seconds: model latencies and first deltas live between 0.1 s and half a minute.
SLOW_BUCKETS = (0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60)

http_requests = Counter(
    f"{PREFIX}_http_requests", "HTTP requests answered", ["route", "method", "status"]
)
http_duration = Histogram(
    f"{PREFIX}_http_request_duration_seconds", "HTTP request duration", ["route", "method"]
)
websockets_open = Gauge(
    f"{PREFIX}_websockets_open", "Open chat WebSockets", multiprocess_mode="livesum"
)
chat_answers = Counter(f"{PREFIX}_chat_answers", "Chat answers ended", ["scenario", "status"])
chat_first_delta = Histogram(
    f"{PREFIX}_chat_first_delta_seconds",
    "Question received to first streamed delta",
    ["scenario"],
    buckets=SLOW_BUCKETS,
)
# A tool call's origin: the answer's tool rounds (the model's calls, or the offline
# assistant's; audited from round 1) or the context pack's reads (chat.context; round 0).
ORIGIN_MODEL, ORIGIN_CONTEXT = "model", "context"
tool_calls = Counter(f"{PREFIX}_tool_calls", "Tool calls", ["tool", "outcome", "origin"])
tool_duration = Histogram(
    f"{PREFIX}_tool_call_duration_seconds", "Tool call duration", ["tool", "origin"]
)
model_requests = Counter(
    f"{PREFIX}_model_requests", "Requests to a model", ["model", "purpose", "outcome"]
)
model_retries = Counter(f"{PREFIX}_model_retries", "Model requests retried", ["model"])
model_fallbacks = Counter(
    f"{PREFIX}_model_fallbacks", "Answers that fell back from a model", ["purpose", "to"]
)
model_tokens = Counter(f"{PREFIX}_model_tokens", "Model tokens", ["model", "kind"])
model_cost = Counter(f"{PREFIX}_model_cost_rub", "Model cost in roubles", ["model", "source"])
text_generations = Counter(
    f"{PREFIX}_text_generations", "Recommendation texts answered", ["source"]
)
quota_refusals = Counter(f"{PREFIX}_quota_refusals", "Requests refused by a quota", ["kind"])
upload_rejections = Counter(f"{PREFIX}_upload_rejections", "Uploads refused", ["reason"])
report_renders = Counter(f"{PREFIX}_report_renders", "Reports rendered", ["format", "source"])
# The whole service's model spend today (Moscow) and its cap, read from the shared counter at
# each scrape (governance): the most recent value is every worker's answer.
spend_today_rub = Gauge(
    f"{PREFIX}_spend_today_rub",
    "Model spend today (Moscow day), roubles",
    multiprocess_mode="mostrecent",
)
daily_cap_rub = Gauge(
    f"{PREFIX}_daily_cap_rub", "Daily model spend cap, roubles", multiprocess_mode="mostrecent"
)
workers_live = Gauge(
    f"{PREFIX}_workers_live", "Workers serving (1 per live worker)", multiprocess_mode="livesum"
)
workers_configured = Gauge(
    f"{PREFIX}_workers_configured", "Workers the launcher keeps running", multiprocess_mode="max"
)


# Functions that set gauges read from shared state just before a scrape is answered: the
# apps above ops add theirs when they load (governance.apps).
_scrape_hooks: list[Callable[[], None]] = []


def scrape_hook_add(hook: Callable[[], None]) -> None:
    if hook not in _scrape_hooks:
        _scrape_hooks.append(hook)


def _scrape_hooks_run() -> None:
    for hook in _scrape_hooks:
        try:
            hook()
        except Exception:  # a scrape must answer whatever one source does; logged
            logger.exception("a metrics scrape hook failed")


def tool_call_count(*, tool: str, outcome: str, origin: str, seconds: float) -> None:
    """One tool call: counted by tool, outcome (ok, refused, error) and origin, and timed."""
    tool_calls.labels(tool, outcome, origin).inc()
    tool_duration.labels(tool, origin).observe(seconds)


def exposition() -> bytes:
    """The text format of every metric: all workers' under multiprocess mode."""
    _scrape_hooks_run()
    if MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)


def worker_started() -> None:
    workers_live.set(1)
