"""The chat widget in Chromium: its size, and the main thread while a long answer streams.

The widget (static/agent-chat/agent-chat.js and .css) gzipped, each and together (limit:
40 kB). Then the live agent as the browser tests serve it (daphne, the fake model in this
process) and Debian's Chromium on the stand-in InfraZen page with the drawer
(chat/tests/browser/infrazen_drawer.html): a 2,000-token markdown answer streamed at 50
tokens a second, with a PerformanceObserver on the Long Tasks API (every main-thread task
over 50 ms is one) from before the question until the final frame is painted.

    .venv/bin/python bench/widget.py
    .venv/bin/python bench/widget.py --tokens 500 --tokens-per-s 100
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib import ROOT  # noqa: F401  (puts the project root on sys.path)
from lib.results import load_note, results_write

from chat.tests.browser.conftest import CHROMIUM, token_for
from chat.tests.browser.live import INFRAZEN_ORIGIN, live_agent
from chat.tests.browser.widget_page import WIDGET_GZIP_LIMIT, drawer_page, widget_gzipped_bytes
from llm.fake_server import Reply

LONG_TASK_MS = 50
OBSERVE = """() => {
    window.longTasks = [];
    new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
            window.longTasks.push({start: Math.round(entry.startTime), ms: entry.duration});
        }
    }).observe({type: 'longtask'});
    // Long animation frames say what ran in them: the page's scripts, or nothing (the
    // renderer waiting for a core the machine's other work held).
    window.scriptMs = [];
    new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) {
            window.scriptMs.push(entry.scripts.reduce((sum, s) => sum + s.duration, 0));
        }
    }).observe({type: 'long-animation-frame'});
    window.askedAt = Math.round(performance.now());
}"""
FINAL = "window.widgetLog.frames.some(f => f.type === 'assistant' && f.status)"


def answer_text(tokens: int) -> str:
    """Markdown of `tokens` words (one word is one streamed chunk): paragraphs, lists, bold,
    a table and code, as a long FinOps answer has them."""
    words: list[str] = []
    section = 0
    while len(words) < tokens:
        section += 1
        words += [f"\n\n## Раздел {section}\n\n**Итог:**"]
        words += [f"экономия{n}" for n in range(40)]
        words += ["\n\n-"] + [f"пункт{n}" if n % 8 else "\n-" for n in range(1, 33)]
        words += ["\n\n| Тариф | Цена |\n|---|---|\n| Старый | 100 |\n| Новый | 80 |\n\n`код`"]
    return " ".join(words[:tokens])


def run(*, tokens: int, tokens_per_s: float, workdir: Path) -> dict:
    from playwright.sync_api import sync_playwright

    with live_agent(workdir) as agent, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        context = browser.new_context(permissions=["local-network-access"])
        page = context.new_page()
        rec = agent.ids.alice_recommendations[0]

        def token_route(route) -> None:
            body = route.request.post_data_json or {}
            token = token_for(
                user_id=agent.ids.alice,
                scenario="recommendation",
                recommendation_id=int(body["recommendation_id"]),
            )
            route.fulfill(json={"token": token, "expires_in": 86400})

        page.route(f"{INFRAZEN_ORIGIN}/api/chat/token", token_route)
        drawer_page(page, agent, rec=rec)
        page.evaluate(OBSERVE)
        agent.model.enqueue(Reply.answer(answer_text(tokens), tokens_per_s=tokens_per_s))
        started = time.monotonic()
        page.fill("#chat-input", "Расскажи всё подробно")
        page.press("#chat-input", "Enter")
        page.wait_for_function(FINAL, timeout=(tokens / tokens_per_s + 60) * 1000)
        page.wait_for_timeout(500)  # the last paint, and any task it started
        streamed_s = time.monotonic() - started
        long_tasks = [task["ms"] for task in page.evaluate("window.longTasks")]
        script_ms = page.evaluate("window.scriptMs")
        deltas = page.evaluate(
            "window.widgetLog.frames.filter(f => f.type === 'assistant_delta').length"
        )
        blocks = page.evaluate(
            "document.querySelectorAll('.chat-message.assistant .ac-block').length"
        )
        browser.close()
    return {
        "streamed_s": round(streamed_s, 2),
        "delta_frames": deltas,
        "rendered_blocks": blocks,
        "long_tasks": len(long_tasks),
        "long_task_max_ms": round(max(long_tasks, default=0.0), 1),
        "all_tasks_under_50_ms": not long_tasks,
        "long_animation_frames": len(script_ms),
        "script_ms_max_in_a_long_frame": round(max(script_ms, default=0.0), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=2000)
    parser.add_argument("--tokens-per-s", type=float, default=50.0)
    args = parser.parse_args()
    for key in ("DATABASE_URL", "AGENT_DATABASE_URL", "REDIS_URL"):
        os.environ.pop(key, None)  # the embedded defaults: SQLite, in-memory layer

    sizes = widget_gzipped_bytes()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-widget-") as workdir:
        stream = run(tokens=args.tokens, tokens_per_s=args.tokens_per_s, workdir=Path(workdir))
    load_after = os.getloadavg()
    figures = {
        "gzipped_bytes": sizes,
        "gzipped_limit_bytes": WIDGET_GZIP_LIMIT,
        "within_size_limit": sizes["total"] <= WIDGET_GZIP_LIMIT,
        "stream": stream,
    }
    notes = [
        f"Long tasks are main-thread tasks over {LONG_TASK_MS} ms (Chromium's Long Tasks API), "
        "observed from before the question until 0.5 s after the final frame.",
        "One fake-model chunk is one word: the answer is that many streamed tokens.",
        "Long animation frames (over 50 ms, Chromium's LoAF API) with the time the page's "
        "scripts ran in them: a long frame with little script time is the renderer waiting "
        "for a core, not the widget's work.",
        *load_note(load_before, load_after, inflated="the long tasks and frames"),
    ]
    path = results_write(
        "widget",
        parameters={"tokens": args.tokens, "tokens_per_s": args.tokens_per_s, "browser": CHROMIUM},
        figures=figures,
        notes=notes,
    )
    print(
        f"widget: {sizes['total']} bytes gzipped, {stream['long_tasks']} long tasks "
        f"(max {stream['long_task_max_ms']} ms) -> {path}"
    )


if __name__ == "__main__":
    main()
