"""The fake model (llm/fake_server.py) in a process of its own, timing what it serves.

Two models: `text` answers the text endpoint's requests after a fixed latency with a valid
structured answer (the template text for the request's own facts); `chat` streams answers
(a time to first token, tokens per second, a deterministic answer per question). Each
writes its own timings (on CLOCK_MONOTONIC, which every process shares) when stopped.

    python -m bench.lib.fake_models text ANSWERS_JSON TIMINGS_JSON --latency-ms 800
    python -m bench.lib.fake_models chat TIMINGS_JSON --ttft-ms 300 --tokens-per-s 50 ...
"""

from __future__ import annotations

import argparse
import json
import random
import signal
import subprocess
import sys
import threading
import time
import zlib
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from . import ROOT

# The chat model's vocabulary: one word is one streamed chunk, the fake server's token.
VOCABULARY = (
    "Сервер почти не загружен: средняя загрузка процессора за месяц около шести процентов, "
    "поэтому конфигурацию можно уменьшить без риска для работы сервиса. Перенос к другому "
    "провайдеру с той же конфигурацией снизит ежемесячные расходы примерно на треть, а за "
    "год экономия составит заметную сумму. Перед изменением сделайте снимок диска, проверьте, "
    "что адрес не привязан к другим ресурсам, и уменьшите TTL записей DNS заранее. Работа "
    "займёт около часа, простой составит несколько минут, откат возможен из снимка."
)
WORDS = VOCABULARY.split()


def facts_payload(body: dict) -> str | None:
    """The FACTS JSON from the user message of a chat request, as sent."""
    for message in body.get("messages") or []:
        content = message.get("content")
        if message.get("role") == "user" and isinstance(content, str) and "FACTS: " in content:
            return content.rsplit("FACTS: ", 1)[1]
    return None


def _as_sent(recommendation, messages: list[dict]) -> list[dict]:
    """The text request's messages as the model receives them: personal data (the owner's
    name, public IPs, ...) replaced by placeholders (llm.structured), numbered alike on every
    request."""
    from django.conf import settings

    from governance.policy import policy_for_id
    from llm.completion import messages_outgoing
    from llm.pii import PiiScrubber
    from recommendations_ai.selectors import recommendation_for_service_get

    _, owner_id = recommendation_for_service_get(recommendation_id=recommendation.pk)
    names = policy_for_id(user_id=owner_id).names if owner_id is not None else ()
    pii = PiiScrubber(names=names, public_ips=settings.PII_SCRUB_PUBLIC_IPS)
    return messages_outgoing(messages, pii)


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
            payload = facts_payload({"messages": _as_sent(rec, messages)})
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


def answer_text(question: str, *, tokens: tuple[int, int]) -> str:
    """The chat model's answer to `question`: deterministic, `tokens` words long."""
    low, high = tokens
    seed = zlib.crc32(question.encode())
    count = low + seed % (high - low + 1)
    return " ".join(WORDS[(seed + i) % len(WORDS)] for i in range(count))


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


def _last_user_content(body: dict) -> str:
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user" and isinstance(message.get("content"), str):
            return message["content"]
    return ""


def text_model_serve(*, answers: Path, timings: Path, latency_ms: float) -> None:
    """Serve until SIGTERM, then write each model request's (t1, t2) by recommendation id.

    `answers` maps the FACTS payload of a prompt to the recommendation id and the answer.
    """
    from llm import fake_server

    by_payload = json.loads(answers.read_text())
    served: dict[int, list[tuple[float, float]]] = defaultdict(list)
    misses = []
    current = threading.local()

    class TimedHandler(fake_server._Handler):
        def do_POST(self) -> None:
            started = time.monotonic()
            current.rec_id = None
            super().do_POST()
            if current.rec_id is not None:
                served[current.rec_id].append((started, time.monotonic()))

    def reply(body: dict):
        entry = by_payload.get(facts_payload(body) or "")
        if entry is None:
            misses.append(1)
            return fake_server.demo_reply(body)
        current.rec_id = entry["id"]
        return fake_server.Reply.structured_output(entry["answer"])

    # FakeLLMServer.start binds the module's handler class; this process serves only this.
    fake_server._Handler = TimedHandler
    server = fake_server.FakeLLMServer(default=reply, ttfb_s=latency_ms / 1000)
    serve_until_terminated(
        server,
        on_stop=lambda: timings.write_text(json.dumps({"served": served, "misses": len(misses)})),
    )


def chat_model_serve(*, ttft_ms: float, tokens_per_s: float, tokens: tuple[int, int], out: Path):
    """Serve until SIGTERM, then write each request's own timings to `out` (JSON)."""
    from llm import fake_server

    timings: dict[str, dict] = {}

    class TimedHandler(fake_server._Handler):
        def do_POST(self) -> None:
            self.bench_in = time.monotonic()
            self.bench_first = None
            super().do_POST()
            question = getattr(self, "bench_question", None)
            if question is not None:
                timings[question] = {
                    "in": self.bench_in,
                    "first": self.bench_first,
                    "done": time.monotonic(),
                }

        def _write_chunk(self, data: bytes, *, body: dict, chunks_sent: int) -> None:
            # Chunk 0 is the role, chunk 1 the first token (written after the TTFT wait).
            if chunks_sent == 1:
                self.bench_first = time.monotonic()
                self.bench_question = _last_user_content(body)
            super()._write_chunk(data, body=body, chunks_sent=chunks_sent)

    # FakeLLMServer.start binds the module's handler class; this process serves only this.
    fake_server._Handler = TimedHandler

    def reply(body: dict):
        return fake_server.Reply.answer(answer_text(_last_user_content(body), tokens=tokens))

    server = fake_server.FakeLLMServer(
        default=reply, ttfb_s=ttft_ms / 1000, tokens_per_s=tokens_per_s
    )
    serve_until_terminated(server, on_stop=lambda: out.write_text(json.dumps(timings)))


def flaky_model_start(*, fail_rate: float):
    """A fake model in this process that fails `fail_rate` of its calls (503) and streams the
    demo answers at 50 tokens/s after 300 ms; started."""
    from llm.fake_server import FakeLLMServer, Reply, demo_reply

    chance = random.Random(7)

    def reply(body: dict) -> Reply:
        if chance.random() < fail_rate:
            return Reply.error(503)
        answer = demo_reply(body)
        if body.get("stream"):
            return Reply.answer(answer.text or "Ответ.", tokens_per_s=50)
        return answer

    return FakeLLMServer(default=reply, ttfb_s=0.3).start()


def _spawn(arguments: list[str]) -> tuple[subprocess.Popen, str]:
    """This module in its own process; returns it and the URL it serves on."""
    from scripts.serve import processes_stop

    process = subprocess.Popen(
        [sys.executable, "-m", "bench.lib.fake_models", *arguments],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    base_url = process.stdout.readline().strip()
    if not base_url.startswith("http"):
        processes_stop([process])
        raise RuntimeError("the fake model did not start")
    return process, base_url


def text_model_start(*, answers: TemplateAnswers, run_dir: Path, latency_ms: float):
    """The text model in its own process: (process, base URL, where its timings go)."""
    answers_path, timings_path = run_dir / "answers.json", run_dir / "fake_timings.json"
    answers_path.write_text(
        json.dumps(
            {
                payload: {"id": answers.ids[payload], "answer": answer}
                for payload, answer in answers.by_payload.items()
            }
        )
    )
    process, base_url = _spawn(
        ["text", str(answers_path), str(timings_path), "--latency-ms", str(latency_ms)]
    )
    return process, base_url, timings_path


def chat_model_start(*, run_dir: Path, ttft_ms: float, tokens_per_s: float, answer_tokens: str):
    """The chat model in its own process: (process, base URL, where its timings go)."""
    timings_path = run_dir / "fake_timings.json"
    arguments = ["chat", str(timings_path), "--ttft-ms", str(ttft_ms)]
    arguments += ["--tokens-per-s", str(tokens_per_s), "--answer-tokens", answer_tokens]
    process, base_url = _spawn(arguments)
    return process, base_url, timings_path


def tokens_range(text: str) -> tuple[int, int]:
    """`--answer-tokens` "min:max" as numbers."""
    low, high = (int(part) for part in text.split(":"))
    return low, high


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", choices=("text", "chat"))
    parser.add_argument("paths", nargs="+", type=Path, help="text: ANSWERS TIMINGS; chat: TIMINGS")
    parser.add_argument("--latency-ms", type=float, default=800.0)
    parser.add_argument("--ttft-ms", type=float, default=300.0)
    parser.add_argument("--tokens-per-s", type=float, default=50.0)
    parser.add_argument("--answer-tokens", default="60:120")
    args = parser.parse_args(argv)
    if args.model == "text":
        answers, timings = args.paths
        text_model_serve(answers=answers, timings=timings, latency_ms=args.latency_ms)
    else:
        chat_model_serve(
            ttft_ms=args.ttft_ms,
            tokens_per_s=args.tokens_per_s,
            tokens=tokens_range(args.answer_tokens),
            out=args.paths[0],
        )


if __name__ == "__main__":
    main()
