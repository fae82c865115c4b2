"""The chat widget in Chromium: its size, and the main thread while a long answer streams.

The widget (static/agent-chat/agent-chat.js and .css) gzipped, each and together (limit:
40 kB). Then the service under daphne (temp SQLite with the demo data, in-memory channel
layer), the fake model in this process, and Debian's Chromium on the stand-in InfraZen page
with the drawer (the browser tests' chat/tests/browser/infrazen_drawer.html, read as a
file): a 2,000-token markdown answer streamed at 50 tokens a second, with a
PerformanceObserver on the Long Tasks API (every main-thread task over 50 ms is one) from
before the question until the final frame is painted.

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

from lib import ROOT
from lib.chat import chat_env, jwt_secret_new
from lib.django_env import connections_close, django_setup
from lib.processes import service_start, service_wait_ready
from lib.results import load_note, results_write

from llm.fake_server import FakeLLMServer, Reply
from scripts.serve import processes_stop
from scripts.widget_build import GZIP_LIMIT_BYTES, widget_gzipped_bytes

CHROMIUM = "/usr/bin/chromium"
INFRAZEN_ORIGIN = "http://localhost:5001"
PAGE = ROOT / "chat" / "tests" / "browser" / "infrazen_drawer.html"

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


def _drawer_open(page, *, base_url: str, rec: int, mint) -> None:
    """The stand-in page on InfraZen's origin, its token endpoint, and the drawer open."""
    html = PAGE.read_text().replace("{{AGENT}}", base_url).replace("{{REC}}", str(rec))
    page.route(
        f"{INFRAZEN_ORIGIN}/api/chat/token",
        lambda route: route.fulfill(json={"token": mint(), "expires_in": 86400}),
    )
    page.route(
        f"{INFRAZEN_ORIGIN}/recommendations**",
        lambda route: route.fulfill(body=html, content_type="text/html"),
    )
    page.goto(f"{INFRAZEN_ORIGIN}/recommendations")
    page.click(".chat-with-finops-btn")
    page.wait_for_selector(".chat-drawer.active .chat-message.system")


def _stream(page, *, tokens: int, tokens_per_s: float, model: FakeLLMServer) -> dict:
    page.evaluate(OBSERVE)
    model.enqueue(Reply.answer(answer_text(tokens), tokens_per_s=tokens_per_s))
    started = time.monotonic()
    page.fill("#chat-input", "Расскажи всё подробно")
    page.press("#chat-input", "Enter")
    page.wait_for_function(FINAL, timeout=(tokens / tokens_per_s + 60) * 1000)
    page.wait_for_timeout(500)  # the last paint, and any task it started
    streamed_s = time.monotonic() - started
    long_tasks = [task["ms"] for task in page.evaluate("window.longTasks")]
    script_ms = page.evaluate("window.scriptMs")
    return {
        "streamed_s": round(streamed_s, 2),
        "delta_frames": page.evaluate(
            "window.widgetLog.frames.filter(f => f.type === 'assistant_delta').length"
        ),
        "rendered_blocks": page.evaluate(
            "document.querySelectorAll('.chat-message.assistant .ac-block').length"
        ),
        "long_tasks": len(long_tasks),
        "long_task_max_ms": round(max(long_tasks, default=0.0), 1),
        "all_tasks_under_50_ms": not long_tasks,
        "long_animation_frames": len(script_ms),
        "script_ms_max_in_a_long_frame": round(max(script_ms, default=0.0), 1),
    }


def run(*, tokens: int, tokens_per_s: float, workdir: Path) -> dict:
    from playwright.sync_api import sync_playwright

    secret = jwt_secret_new()
    database_url = django_setup(db_path=workdir / "bench.sqlite3")
    from chat.flask_tokens import chat_token_mint_for_tests
    from infrazen.models import OptimizationRecommendation

    rec, owner = OptimizationRecommendation.objects.values_list(
        "pk", "resource__provider__user"
    ).order_by("pk")[0]
    connections_close()

    def mint() -> str:
        return chat_token_mint_for_tests(user_id=owner, recommendation_id=rec, secret=secret)

    model = FakeLLMServer().start()
    env = chat_env(database_url=database_url, secret=secret, model_url=model.base_url, redis_url="")
    daphne = None
    try:
        log = workdir / "daphne.log"
        daphne, port = service_start(env=env | {"CHAT_ALLOWED_ORIGINS": INFRAZEN_ORIGIN}, log=log)
        service_wait_ready(daphne, port, log)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
            page = browser.new_context(permissions=["local-network-access"]).new_page()
            _drawer_open(page, base_url=f"http://127.0.0.1:{port}", rec=rec, mint=mint)
            figures = _stream(page, tokens=tokens, tokens_per_s=tokens_per_s, model=model)
            browser.close()
    finally:
        if daphne is not None:
            processes_stop([daphne])
        model.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokens", type=int, default=2000)
    parser.add_argument("--tokens-per-s", type=float, default=50.0)
    args = parser.parse_args()
    os.environ.pop("REDIS_URL", None)  # the in-memory channel layer

    sizes = widget_gzipped_bytes()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="bench-widget-") as workdir:
        stream = run(tokens=args.tokens, tokens_per_s=args.tokens_per_s, workdir=Path(workdir))
    load_after = os.getloadavg()
    figures = {
        "gzipped_bytes": sizes,
        "gzipped_limit_bytes": GZIP_LIMIT_BYTES,
        "within_size_limit": sizes["total"] <= GZIP_LIMIT_BYTES,
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
