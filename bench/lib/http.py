"""A minimal HTTP/1.1 client, the text endpoint's request, and the text endpoint's setup: the
service with the fake text model in its own process."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from scripts.serve import processes_stop

from .django_env import clone_recommendations, connections_close, django_setup, temp_database
from .fake_models import TemplateAnswers, text_model_start
from .limits import UNLIMITED_ENV
from .processes import START_TIMEOUT_S, service_pids, service_start

TEXT_URL = "/v1/generate/recommendation-text"
TOKEN = "bench"


class HttpClient:
    """A minimal HTTP/1.1 client for the service's two requests (GET, POST JSON).

    The client's CPU runs on the cores the service is measured on, and while its event loop
    works on one answer, the clock of every other answer waits: httpx cost ≈ 3 ms of CPU
    per request (10 ms in bursts), this a tenth of that. A new connection per request unless
    `keep_alive`.
    """

    def __init__(self, base: str, *, keep_alive: bool) -> None:
        host, _, port = base.removeprefix("http://").partition(":")
        self.host, self.port, self.keep_alive = host, int(port), keep_alive
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []

    async def request(
        self, method: str, path: str, *, body: bytes = b"", headers: dict | None = None
    ) -> tuple[int, bytes]:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
        lines += [f"Content-Length: {len(body)}"]
        if not self.keep_alive:
            lines.append("Connection: close")
        head = ("\r\n".join(lines) + "\r\n\r\n").encode()
        reader, writer = (
            self.idle.pop() if self.idle else await asyncio.open_connection(self.host, self.port)
        )
        try:
            writer.write(head + body)
            status = int((await reader.readline()).split()[1])
            fields = {}
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.decode("latin-1").partition(":")
                fields[name.strip().lower()] = value.strip()
            if "content-length" in fields:
                content = await reader.readexactly(int(fields["content-length"]))
            elif fields.get("transfer-encoding") == "chunked":
                content = b""
                while size := int((await reader.readline()).strip(), 16):
                    content += await reader.readexactly(size)
                    await reader.readline()
                await reader.readline()
            else:
                content = await reader.read()
        except BaseException:
            writer.close()
            raise
        if self.keep_alive and fields.get("connection", "").lower() != "close":
            self.idle.append((reader, writer))
        else:
            writer.close()
        return status, content

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()
        self.idle.clear()


async def http_wait_ready(client: HttpClient, process: subprocess.Popen, log: Path) -> None:
    until = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < until:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
        try:
            if (await client.request("GET", "/v1/health"))[0] == 200:
                return
        except (OSError, ValueError, IndexError, asyncio.IncompleteReadError):
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"no answer in {START_TIMEOUT_S}s: {log.read_text()[-2000:]}")


async def text_request(client: HttpClient, rec_id: int) -> dict:
    """POST the text endpoint for one recommendation, as the InfraZen app does."""
    cid = uuid.uuid4().hex[:16]
    payload = json.dumps({"recommendation_id": rec_id}).encode()
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "X-Request-ID": cid,
        "Content-Type": "application/json",
    }
    started = time.perf_counter()
    status, content = await client.request("POST", TEXT_URL, body=payload, headers=headers)
    wall = time.perf_counter() - started
    return {
        "id": rec_id,
        "cid": cid,
        "status": status,
        "source": json.loads(content).get("source"),
        "wall_ms": wall * 1000,
    }


@dataclass
class TextService:
    base: str
    ids: list[int]
    process: subprocess.Popen
    workers: int
    fake: subprocess.Popen
    log: Path
    fake_timings: Path

    def pids(self) -> list[int]:
        return service_pids(self.process, self.workers)


@contextlib.contextmanager
def text_service(
    *, recommendations: int, workers: int, latency_ms: float, prefix: str
) -> Iterator[TextService]:
    """Django on a temp SQLite file with the demo recommendations cloned to
    `recommendations`, the fake text model (a valid answer for each after `latency_ms`) in its
    own process, and the service (`workers` daphne processes, AI_TEXT_MODE=llm) on it."""
    answers = TemplateAnswers()
    db_path = temp_database()
    run_dir = Path(tempfile.mkdtemp(prefix=prefix))
    started: list[subprocess.Popen] = []
    try:
        django_setup(db_path=db_path)
        from recommendations_ai.selectors import recommendations_missing_texts

        ids = clone_recommendations(recommendations)
        answers.prepare(recommendations_missing_texts(include_done=True))
        connections_close()
        fake, base_url, timings = text_model_start(
            answers=answers, run_dir=run_dir, latency_ms=latency_ms
        )
        started.append(fake)
        log = run_dir / "server.log"
        env = {
            "DATABASE_URL": f"sqlite:///{db_path}",
            "LLM_PROVIDER": "openai_compatible",
            "LLM_BASE_URL": base_url,
            "LLM_API_KEY": "x",
            "LLM_FALLBACK_MODELS": "",
            "AGENT_SERVICE_TOKEN": TOKEN,
            "AI_TEXT_MODE": "llm",
            "REDIS_URL": "",
            **UNLIMITED_ENV,
        }
        # Only the REST endpoint is measured; no chat runs across the workers.
        extra = ("--per-process-channel-layer",) if workers > 1 else ()
        process, port = service_start(env=env, log=log, workers=workers, extra=extra)
        started.insert(0, process)
        yield TextService(f"http://127.0.0.1:{port}", ids, process, workers, fake, log, timings)
    finally:
        processes_stop(started)
