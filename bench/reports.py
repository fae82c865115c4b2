"""Report render times, narrative prompt size and memory, on the demo tenant and a large one.

Two tenants in a temp SQLite database: the demo's alice (50 active resources, 38
recommendations) and a generated one with 2,000 resources, 500 pending recommendations and
90 days of syncs (alice's rows cloned with new names). For each, every role several times:
the snapshot alone (`/v1/reports/data`'s work), the whole report with its HTML
(`report_render`: snapshot, narrative, charts, HTML, stored), and the PDF of that HTML. Then
the HTML again with the fake model answering the narrative after 800 ms; its request is the
narrative prompt, counted with o200k (bpe-openai). Peak RSS is this process's VmHWM: one
process did every render, so it bounds any single render's peak.

    .venv/bin/python bench/reports.py [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib.big_tenant import BIG_RECOMMENDATIONS, BIG_RESOURCES, big_tenant_create
from lib.django_env import django_setup, temp_database
from lib.results import Timer, peak_rss_mb, results_write, summary

ROLES = ("cfo", "cto", "product", "finops")
TARGETS = {"html_p95_s": 1.5, "pdf_p95_s": 3.0, "prompt_o200k": 1500, "peak_rss_mb": 300}


def honest_narrative(body: dict):
    """The fake model's answer: a narrative that refers to the first facts it was given."""
    from llm.fake_server import Reply

    ids = re.findall(r"^([a-z0-9_.-]+) \|", body["messages"][-1]["content"], re.M)
    first = ids[0] if ids else "cost.monthly"
    return Reply.structured_output(
        {
            "executive_summary": f"Главный показатель отчёта: {{{first}}}.",
            "highlights": [{"title": "Расходы", "detail": f"Сейчас: {{{first}}}."}],
            "risks": ["Переносы требуют окна работ."],
            "next_steps": ["DevOps: удалить неиспользуемое на этой неделе."],
        }
    )


async def _render(user_id: int, role: str):
    from llm.gateway import deadline_in
    from reports.services import report_render

    return await report_render(
        user_id=user_id, role=role, period_days=30, deadline=deadline_in(15.0)
    )


def _status_mb(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


class RenderPeak:
    """This process's peak RSS during one render: VmHWM reset before it (Linux clear_refs),
    read after; also how far it rose above the RSS the render started from."""

    def __init__(self) -> None:
        self.peaks: list[float] = []
        self.added: list[float] = []

    def __enter__(self) -> RenderPeak:
        Path("/proc/self/clear_refs").write_text("5")
        self.start = _status_mb("VmRSS")
        return self

    def __exit__(self, *exc: object) -> None:
        peak = _status_mb("VmHWM")
        self.peaks.append(peak)
        self.added.append(round(peak - self.start, 1))

    def figures(self) -> dict:
        return {"peak_rss_mb": max(self.peaks), "added_mb": summary(self.added)}


RENDERS = RenderPeak()


def measure(user_id: int, *, runs: int, pdf: bool) -> dict:
    from reports.pdf import pdf_render
    from reports.snapshot import snapshot_build

    data, html, pdfs, facts, pages = [], [], [], [], []
    for _ in range(runs):
        for role in ROLES:
            with Timer() as timer:
                snapshot = snapshot_build(user_id=user_id, role=role)
            data.append(timer.seconds)
            with RENDERS, Timer() as timer:
                report, _ = asyncio.run(_render(user_id, role))
            html.append(timer.seconds)
            facts.append(len(snapshot.facts))
            if pdf:
                with RENDERS, Timer() as timer:
                    document = pdf_render(html=report.html)
                pdfs.append(timer.seconds)
                pages.append(document.count(b"/Type /Page\n") or document.count(b"/Type /Page"))
    return {
        "data_s": summary(data),
        "html_s": summary(html),
        "pdf_s": summary(pdfs),
        "facts": max(facts),
        "html_kb": round(len(report.html.encode()) / 1024, 1),
        "pdf_kb": round(len(document) / 1024, 1) if pdf else None,
    }


def with_model(user_id: int, server, *, runs: int) -> dict:
    import bpe_openai

    encoder = bpe_openai.get_encoding("o200k_base")
    html, tokens, sources = [], [], []
    for _ in range(runs):
        for role in ROLES:
            before = len(server.requests)
            with Timer() as timer:
                report, _ = asyncio.run(_render(user_id, role))
            html.append(timer.seconds)
            sources.append(report.narrative_source)
            request = server.requests[before].body
            text = "".join(m["content"] for m in request["messages"])
            tools = json.dumps(
                request.get("tools") or [], ensure_ascii=False, separators=(",", ":")
            )
            tokens.append(len(encoder.encode(text)) + len(encoder.encode(tools)) + 11)
    return {
        "html_s": summary(html),
        "prompt_o200k": {"min": min(tokens), "max": max(tokens)},
        "narrative_sources": {s: sources.count(s) for s in set(sources)},
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="renders per role and tenant")
    args = parser.parse_args(argv)

    from llm.fake_server import FakeLLMServer

    server = FakeLLMServer(default=honest_narrative, ttfb_s=0.8).start()
    django_setup(db_path=temp_database(), env={"AI_TEXT_MODE": "template"})
    from django.conf import settings

    from demo_data.personas import ALICE_EMAIL
    from infrazen.models import InfraZenUser

    started = time.monotonic()
    tenants = {"demo": InfraZenUser.objects.get(email=ALICE_EMAIL).pk}
    with Timer() as timer:
        tenants["big"] = big_tenant_create()
    figures: dict = {"big_tenant_created_s": round(timer.seconds, 1), "offline": {}}
    for name, user_id in tenants.items():
        figures["offline"][name] = measure(user_id, runs=args.runs, pdf=True)
        print(name, "offline", json.dumps(figures["offline"][name], ensure_ascii=False))

    settings.AI_TEXT_MODE = "llm"
    settings.LLM_PROVIDER = "openai_compatible"
    settings.LLM_BASE_URL = server.base_url
    settings.LLM_API_KEY = "bench"
    settings.LLM_FALLBACK_MODELS = []
    figures["fake_model_800ms"] = {}
    for name, user_id in tenants.items():
        figures["fake_model_800ms"][name] = with_model(user_id, server, runs=1)
        print(name, "model", json.dumps(figures["fake_model_800ms"][name], ensure_ascii=False))
    server.stop()
    figures["process_peak_rss_mb"] = peak_rss_mb()
    figures["render_peak"] = RENDERS.figures()
    figures["peak_rss_mb"] = figures["render_peak"]["peak_rss_mb"]
    figures["wall_s"] = round(time.monotonic() - started, 1)
    big = figures["offline"]["big"]
    figures["targets"] = TARGETS
    figures["met"] = {
        "html_p95": big["html_s"]["p95"] <= TARGETS["html_p95_s"],
        "pdf_p95": big["pdf_s"]["p95"] <= TARGETS["pdf_p95_s"],
        "prompt": all(
            v["prompt_o200k"]["max"] <= TARGETS["prompt_o200k"]
            for v in figures["fake_model_800ms"].values()
        ),
        "peak_rss": figures["peak_rss_mb"] <= TARGETS["peak_rss_mb"],
    }
    path = results_write(
        "reports",
        parameters={
            "runs_per_role": args.runs,
            "roles": ROLES,
            "big_tenant": {"resources": BIG_RESOURCES, "recommendations": BIG_RECOMMENDATIONS},
            "database": "temp SQLite",
            "fake_model_ttfb_s": 0.8,
            "measured_at": datetime.now().isoformat(timespec="seconds"),
            "period_days": 30,
            "syncs_days": (timedelta(days=90)).days,
        },
        figures=figures,
        notes=[
            "peak_rss_mb: the highest RSS of this process during any one offline render or PDF "
            "(VmHWM reset before each), Django, the loaded libraries and the render together; "
            "render_peak.added_mb: how far each rose above where it started. "
            "process_peak_rss_mb includes the benchmark's own set-up (seeding, cloning).",
            "PDF time is WeasyPrint's layout of the stored HTML alone (the report is rendered "
            "first); the render endpoint with format=pdf pays HTML + PDF.",
        ],
    )
    print(json.dumps(figures["met"]), "→", path)
    return figures


if __name__ == "__main__":
    main()
