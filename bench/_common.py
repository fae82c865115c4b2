"""Shared plumbing for the benchmarks: a throwaway SQLite database, the demo data, results.

Import this module first and call `django_setup()` before importing anything that touches
models: DATABASE_URL must point at the temp file before Django reads its settings.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def temp_database() -> Path:
    """A fresh SQLite file path in its own temp directory."""
    return Path(tempfile.mkdtemp(prefix="infrazen-bench-")) / "bench.sqlite3"


def django_setup(
    *, db_path: Path, env: dict[str, str] | None = None, database_url: str | None = None
) -> None:
    """Point Django at `db_path` (or `database_url`, an empty database such as the MariaDB
    of scripts/testservers.py), set it up, create every table and load the demo data."""
    os.environ["DATABASE_URL"] = database_url or f"sqlite:///{db_path}"
    # One database holds everything a benchmark counts, also when it runs inside the test
    # servers' environment (scripts/testservers.py exports a second one); its daphne
    # processes inherit this environment.
    os.environ.pop("AGENT_DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "agentsite.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    for key, value in (env or {}).items():
        os.environ[key] = value
    import django

    django.setup()
    from django.core.management import call_command

    call_command("agent_migrate", verbosity=0)
    call_command("infrazen_schema", verbosity=0)

    from demo_data.seed import demo_seed

    demo_seed()


def clone_recommendations(total: int) -> list[int]:
    """Copy the demo recommendations (new ids, numbered names) until there are `total`.

    The clones point at the demo resources, so facts_build reads the same rows it reads in
    production; each clone has its own id, so no two share a cache key.
    """
    from infrazen.models import OptimizationRecommendation

    originals = list(OptimizationRecommendation.objects.order_by("id"))
    clones = []
    index = 0
    while len(originals) + len(clones) < total:
        source = originals[index % len(originals)]
        copy = OptimizationRecommendation(
            **{
                f.attname: getattr(source, f.attname)
                for f in OptimizationRecommendation._meta.concrete_fields
                if not f.primary_key
            }
        )
        copy.resource_name = f"{source.resource_name or 'res'}-{index // len(originals) + 1}"
        clones.append(copy)
        index += 1
    OptimizationRecommendation.objects.bulk_create(clones, batch_size=500)
    return list(OptimizationRecommendation.objects.order_by("id").values_list("id", flat=True))


def texts_reset() -> None:
    """Every recommendation without texts again, no generation records, no LLM rows."""
    from infrazen.models import OptimizationRecommendation
    from llm.models import LLMCall
    from recommendations_ai.models import TextGeneration

    OptimizationRecommendation.objects.update(
        ai_short_description=None, ai_detailed_description=None, ai_generated_at=None
    )
    TextGeneration.objects.all().delete()
    LLMCall.objects.all().delete()


def facts_payload(body: dict) -> str | None:
    """The FACTS JSON from the user message of a chat request, as sent."""
    for message in body.get("messages") or []:
        content = message.get("content")
        if message.get("role") == "user" and isinstance(content, str) and "FACTS: " in content:
            return content.rsplit("FACTS: ", 1)[1]
    return None


class TemplateAnswers:
    """A reply callable for FakeLLMServer that answers each request with a valid text.

    The deterministic template text for the request's own facts holds to every validator
    (numbers from the facts, lengths, allowed HTML), so the model path succeeds. Answers
    are prepared up front, keyed by the FACTS payload exactly as the prompt carries it.
    """

    def __init__(self) -> None:
        self.by_payload: dict[str, dict] = {}
        self.ids: dict[str, int] = {}  # payload → the recommendation it was made for
        self.misses = 0

    def prepare(self, recommendations) -> None:
        from recommendations_ai import prompts
        from recommendations_ai.facts import facts_build
        from recommendations_ai.templates_ru import texts_render

        for rec in recommendations:
            facts = facts_build(recommendation=rec)
            messages = prompts.text_messages(facts=facts.as_dict(), family=facts.family)
            payload = facts_payload({"messages": messages})
            rendered = texts_render(facts=facts)
            self.ids[payload] = rec.pk
            self.by_payload[payload] = {
                "short_description_html": rendered.short_html,
                "detailed_description_html": rendered.detailed_html,
            }

    def __call__(self, body: dict):
        from llm.fake_server import Reply, demo_reply

        answer = self.by_payload.get(facts_payload(body) or "")
        if answer is None:
            self.misses += 1
            return demo_reply(body)
        return Reply.structured_output(answer)


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0–100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    return {
        "n": len(values),
        "mean": round(statistics.fmean(values), 3),
        "p50": round(percentile(values, 50), 3),
        "p95": round(percentile(values, 95), 3),
        "max": round(max(values), 3),
    }


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (VmHWM), in MiB."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def worker_pids(process: subprocess.Popen) -> list[int]:
    """The daphne workers scripts/serve.py started (its children, Linux /proc)."""
    path = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    return [int(pid) for pid in path.read_text().split()]


def git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=ROOT,
            capture_output=True,
            text=True,
        ).stdout.strip()
        return out + ("-dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def environment() -> dict:
    import django

    info = {
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "django": django.get_version(),
    }
    from importlib.metadata import PackageNotFoundError, version

    for name in ("openai", "instructor", "pydantic", "httpx2", "daphne", "channels"):
        with contextlib.suppress(PackageNotFoundError):
            info[name] = version(name)
    return info


def results_write(name: str, *, parameters: dict, figures: dict, notes: list[str]) -> Path:
    """bench/results/<name>.json with the date, commit, parameters and environment."""
    path = RESULTS / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": name,
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "parameters": parameters,
        "environment": environment(),
        "figures": figures,
        "notes": notes,
    }
    path.write_text(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    return path


class Timer:
    def __enter__(self) -> Timer:
        self.started = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.started


@contextlib.contextmanager
def fake_llm_and_django(
    *, default, ttfb_s: float = 0.0, database_url: str | None = None
) -> Iterator:
    """A FakeLLMServer answering with `default`, and Django set up (temp SQLite, demo data)
    with the text mode on that server. Yields the server; stops it on the way out."""
    from llm.fake_server import FakeLLMServer

    server = FakeLLMServer(default=default, ttfb_s=ttfb_s).start()
    try:
        django_setup(
            db_path=temp_database(),
            database_url=database_url,
            env={
                "LLM_PROVIDER": "openai_compatible",
                "LLM_BASE_URL": server.base_url,
                "LLM_API_KEY": "bench",
                "AI_TEXT_MODE": "llm",
                "LLM_FALLBACK_MODELS": "",
            },
        )
        yield server
    finally:
        server.stop()


def serve_until_terminated(server, *, on_stop: Callable[[], None]) -> None:
    """Run a fake model server in this process until SIGTERM, then call `on_stop`.

    The benchmark that started this process reads the server's URL from its first line
    of output, and what `on_stop` writes (the fake's own timings) when it ends.
    """
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server.start()
    print(server.base_url, flush=True)
    try:
        while True:
            time.sleep(3600)
    finally:
        server.stop()
        on_stop()
