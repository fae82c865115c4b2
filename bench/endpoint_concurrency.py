"""The text endpoint under concurrent requests: the service's own overhead per request.

Three processes: the real service as `scripts/serve.py` (N daphne workers on one port; temp
SQLite file, LLM_PROVIDER=openai_compatible, DEBUG off); the fake model in its own process
(a FakeLLMServer that answers every request after a fixed latency with a valid structured
answer, the template text for the request's own facts); and this one, the client. Every
request asks for its own recommendation id (no cache hits), on a new connection, as the
InfraZen app's `requests.post` does (`--keep-alive` reuses them; a kept connection stays
with the worker that accepted it, so the workers' loads drift apart).

Per request:
  t0, t3  the client sends the request / has the whole answer           (this process)
  t1, t2  the fake model has the request (headers parsed) / has written
          the whole answer, for each model request the text request made (fake process)
overhead = (t3 − t0) − Σ (t2 − t1): everything that is not the model's own time, the
service's openai SDK and HTTP client work included. `overhead_vs_llmcall_ms` is the older,
more lenient figure: wall time − the service's own LLMCall.latency_ms, which also counts
the SDK's work and any wait for the service's event loop as model time.

Three load shapes, one after the other on the same server:

- closed loop (the target): C clients, each sending its next request as soon as its previous
  answer arrives, as load tools run "concurrency C"; the clients start spread over one model
  latency (`--stagger-ms`), as C users who do not all click at the same instant. With a
  fixed model latency they stay that far apart: evenly spaced arrivals, the kindest shape.
  The first request of each client (it opens the connections) is reported apart.
- open loop (Poisson): requests arrive at random (exponential gaps, fixed seed) at
  C / model latency per second, so C are in flight on average but arrivals cluster as
  independent callers' do.
- bursts: rounds of C requests released at the same instant (the worst case: C requests
  queue for the CPU before any reaches the model).

    .venv/bin/python bench/endpoint_concurrency.py
    .venv/bin/python bench/endpoint_concurrency.py --concurrency 50 --workers 2 --profile
    .venv/bin/python bench/endpoint_concurrency.py --concurrency 1 --workers 1 --rounds 20
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    ROOT,
    TemplateAnswers,
    clone_recommendations,
    django_setup,
    facts_payload,
    results_write,
    serve_until_terminated,
    summary,
    temp_database,
    worker_pids,
)

from scripts.testservers import free_port

URL = "/v1/generate/recommendation-text"
TOKEN = "bench"
TARGET_P95_OVERHEAD_MS = 20.0
START_TIMEOUT_S = 30.0
# A worker whose CPU stays under this share of a core over the window has started.
STARTED_WINDOW_S = 0.5
STARTED_MAX_CORES = 0.05
SHAPES = ("closed_loop", "open_loop", "bursts")


# --- the fake model, in its own process ---------------------------------------------------
def fake_llm_serve(*, answers: Path, timings: Path, latency_ms: float) -> None:
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


def fake_llm_start(*, answers: TemplateAnswers, run_dir: Path, latency_ms: float):
    answers_path, timings_path = run_dir / "answers.json", run_dir / "fake_timings.json"
    answers_path.write_text(
        json.dumps(
            {
                payload: {"id": answers.ids[payload], "answer": answer}
                for payload, answer in answers.by_payload.items()
            }
        )
    )
    process = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--fake-llm-serve",
            str(answers_path),
            str(timings_path),
            "--latency-ms",
            str(latency_ms),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    base_url = process.stdout.readline().strip()
    if not base_url.startswith("http"):
        process_stop(process)
        raise RuntimeError("the fake model did not start")
    return process, base_url, timings_path


# --- the service ----------------------------------------------------------------------------
def server_start(
    *, db_path: Path, llm_base_url: str, workers: int, log: Path
) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{db_path}",
        "DJANGO_SETTINGS_MODULE": "agentsite.settings",
        "LLM_PROVIDER": "openai_compatible",
        "LLM_BASE_URL": llm_base_url,
        "LLM_API_KEY": "x",
        "LLM_FALLBACK_MODELS": "",
        "AGENT_SERVICE_TOKEN": TOKEN,
        "AI_TEXT_MODE": "llm",
        "LOG_LEVEL": "WARNING",
        # As in production (AGENT_ENV=prod refuses DEBUG): no SQL kept per query.
        "DEBUG": "false",
        "REDIS_URL": "",
    }
    command = [
        sys.executable,
        str(ROOT / "scripts" / "serve.py"),
        "--workers",
        str(workers),
        "-b",
        "127.0.0.1",
        "-p",
        str(port),
        # Only the REST endpoint is measured; no chat runs across the workers.
        "--per-process-channel-layer",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return process, f"http://127.0.0.1:{port}"


def process_stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


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


async def _wait_ready(client: HttpClient, process: subprocess.Popen, log: Path) -> None:
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


async def _wait_started(process: subprocess.Popen, workers: int) -> None:
    """Until every worker has finished starting (imports, the tokenizer, the heap freeze):
    the first answer comes from the first worker up, and a worker still starting would
    count its startup CPU (1-3 s) in the first measured phase.

    scripts/serve.py starts the next worker only once the one before is ready, so when the
    first answers, the others may not have been started yet: wait for all of them first.
    """
    until = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < until:
        pids = worker_pids(process)
        if len(pids) < workers:
            await asyncio.sleep(STARTED_WINDOW_S)
            continue
        before = [cpu_seconds([pid]) for pid in pids]
        await asyncio.sleep(STARTED_WINDOW_S)
        busy = [cpu_seconds([pid]) - b for pid, b in zip(pids, before, strict=True)]
        if max(busy) <= STARTED_MAX_CORES * STARTED_WINDOW_S:
            return
    raise RuntimeError(f"the workers were still busy after {START_TIMEOUT_S}s")


async def _one(client: HttpClient, rec_id: int) -> dict:
    cid = uuid.uuid4().hex[:16]
    payload = json.dumps({"recommendation_id": rec_id}).encode()
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "X-Request-ID": cid,
        "Content-Type": "application/json",
    }
    started = time.perf_counter()
    status, content = await client.request("POST", URL, body=payload, headers=headers)
    wall = time.perf_counter() - started
    return {
        "id": rec_id,
        "cid": cid,
        "status": status,
        "source": json.loads(content).get("source"),
        "wall_ms": wall * 1000,
    }


PROFILE_RAW = ROOT / "bench" / "results" / "endpoint_profile.raw"
PROFILE_TOP = ROOT / "bench" / "results" / "endpoint_profile.txt"


def profile_start(pids: list[int]) -> list[subprocess.Popen]:
    """py-spy sampling each server process until profile_write (needs py-spy in the venv)."""
    spy = Path(sys.executable).parent / "py-spy"
    if not spy.exists():
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install -r requirements-dev.txt")
    return [
        subprocess.Popen(
            [
                str(spy),
                "record",
                "--pid",
                str(pid),
                "--rate",
                "250",
                "--format",
                "raw",
                "--nonblocking",
                "--gil",
                "-o",
                f"{PROFILE_RAW}.{index}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for index, pid in enumerate(pids)
    ]


def profile_write(samplers: list[subprocess.Popen], limit: int = 40) -> None:
    """Stop the samplers; write the inclusive and self share of the top functions."""
    for sampler in samplers:
        sampler.send_signal(signal.SIGINT)
        sampler.wait(timeout=30)
    inclusive: dict[str, int] = defaultdict(int)
    own: dict[str, int] = defaultdict(int)
    total = 0
    for index in range(len(samplers)):
        raw = Path(f"{PROFILE_RAW}.{index}")
        for line in raw.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            frames = stack.split(";")
            total += int(count)
            for frame in set(frames):
                inclusive[frame] += int(count)
            own[frames[-1]] += int(count)
        raw.unlink()
    lines = [f"py-spy samples while holding the GIL: {total}", "", "inclusive:"]
    for frame, count in sorted(inclusive.items(), key=lambda kv: -kv[1])[:limit]:
        lines.append(f"{100 * count / total:6.1f}%  {frame}")
    lines += ["", "self:"]
    for frame, count in sorted(own.items(), key=lambda kv: -kv[1])[:limit]:
        lines.append(f"{100 * count / total:6.1f}%  {frame}")
    PROFILE_TOP.write_text("\n".join(lines) + "\n")
    print(f"  profile → {PROFILE_TOP.relative_to(ROOT)}")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes so far (Linux /proc)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total / tick


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- load shapes ------------------------------------------------------------------------------
async def _closed_loop(
    client: HttpClient, ids: list[int], *, clients: int, each: int, stagger_s: float
):
    """`clients` tasks, each sending `each` requests back to back; per request its wave.

    Client k starts after k/clients of `stagger_s`: C users who do not all press the button
    at the same instant. With a fixed model latency they then stay that far apart.
    """

    async def one_client(index: int, mine: list[int]) -> list[dict]:
        await asyncio.sleep(stagger_s * index / clients)
        results = []
        for wave, rec_id in enumerate(mine):
            result = await _one(client, rec_id)
            result["wave"] = wave
            results.append(result)
        return results

    chunks = [ids[i * each : (i + 1) * each] for i in range(clients)]
    started = time.perf_counter()
    per_client = await asyncio.gather(*(one_client(i, c) for i, c in enumerate(chunks)))
    return [r for results in per_client for r in results], time.perf_counter() - started


async def _open_loop(client: HttpClient, ids: list[int], *, per_s: float, seed: int):
    """One request per id, at exponential gaps of mean 1/per_s from a fixed seed."""
    gaps = random.Random(seed)
    started = loop_time = asyncio.get_running_loop().time()
    tasks = []
    for rec_id in ids:
        loop_time += gaps.expovariate(per_s)
        await asyncio.sleep(max(0.0, loop_time - asyncio.get_running_loop().time()))
        tasks.append(asyncio.create_task(_one(client, rec_id)))
    results = await asyncio.gather(*tasks)
    return list(results), asyncio.get_running_loop().time() - started


async def _bursts(client: HttpClient, ids: list[int], *, size: int, rounds: int):
    measured = []
    for index in range(rounds):
        batch = ids[index * size : (index + 1) * size]
        started = time.perf_counter()
        results = await asyncio.gather(*(_one(client, i) for i in batch))
        round_s = time.perf_counter() - started
        for r in results:
            r["round_s"] = round_s
        measured.append(results)
    return measured


async def _run(base: str, ids: list[int], *, args, process, log, on_phase) -> dict:
    size = args.concurrency
    client = HttpClient(base, keep_alive=args.keep_alive)
    try:
        await _wait_ready(client, process, log)
        await _wait_started(process, args.workers)
        cursor = 0

        def take(count: int) -> list[int]:
            nonlocal cursor
            cursor += count
            return ids[cursor - count : cursor]

        warm = await asyncio.gather(*(_one(client, i) for i in take(args.warmup)))
        on_phase("closed_loop")
        closed, closed_s = await _closed_loop(
            client,
            take(size * args.requests_per_client),
            clients=size,
            each=args.requests_per_client,
            stagger_s=args.stagger_ms / 1000,
        )
        on_phase("open_loop")
        opened, opened_s = await _open_loop(
            client,
            take(size * args.requests_per_client),
            per_s=size / (args.latency_ms / 1000),
            seed=args.seed,
        )
        on_phase("bursts")
        bursts = await _bursts(client, take(size * args.rounds), size=size, rounds=args.rounds)
        on_phase("end")
    finally:
        client.close()
    return {
        "warm": warm,
        "closed": closed,
        "closed_s": closed_s,
        "open": opened,
        "open_s": opened_s,
        "bursts": bursts,
    }


# --- figures ----------------------------------------------------------------------------------
def _with_llm_time(rows: list[dict], served: dict, llmcall_ms: dict[str, int]) -> None:
    for r in rows:
        spans = served.get(str(r["id"]), [])
        r["model_requests"] = len(spans)
        r["fake_ms"] = sum(t2 - t1 for t1, t2 in spans) * 1000
        r["overhead_ms"] = r["wall_ms"] - r["fake_ms"]
        r["llmcall_ms"] = llmcall_ms.get(r["cid"], 0)
        r["overhead_vs_llmcall_ms"] = r["wall_ms"] - r["llmcall_ms"]


def _shape(rows: list[dict]) -> dict:
    ok = [r for r in rows if r["status"] == 200]
    sources: dict[str, int] = defaultdict(int)
    for r in rows:
        sources[f"{r['status']}:{r['source']}"] += 1
    return {
        "requests": len(rows),
        "statuses_sources": dict(sources),
        "model_requests_per_request": summary([r["model_requests"] for r in rows]),
        "wall_ms": summary([r["wall_ms"] for r in ok]),
        "fake_model_ms": summary([r["fake_ms"] for r in ok]),
        "overhead_ms": summary([r["overhead_ms"] for r in ok]),
        "llmcall_latency_ms": summary([r["llmcall_ms"] for r in ok]),
        "overhead_vs_llmcall_ms": summary([r["overhead_vs_llmcall_ms"] for r in ok]),
    }


def _cpu(cpu: dict, phase: str, following: str, requests: int) -> dict:
    per = max(1, requests)
    return {
        f"{who}_cpu_ms_per_request": round((cpu[following][who] - cpu[phase][who]) * 1000 / per, 1)
        for who in ("server", "fake_model", "client")
    }


def _print_shape(title: str, shape: dict) -> None:
    w, m, o, lc = (
        shape["wall_ms"],
        shape["fake_model_ms"],
        shape["overhead_ms"],
        shape["overhead_vs_llmcall_ms"],
    )
    print(f"  {title}: {shape['requests']} requests {shape['statuses_sources']}")
    print(f"    wall ms   p50 {w['p50']:.1f}  p95 {w['p95']:.1f}  max {w['max']:.1f}")
    print(f"    model ms  p50 {m['p50']:.1f}  p95 {m['p95']:.1f}  max {m['max']:.1f} (at the fake)")
    print(
        f"    overhead  p50 {o['p50']:.1f}  p95 {o['p95']:.1f}  max {o['max']:.1f} ms "
        f"(vs LLMCall.latency_ms: p50 {lc['p50']:.1f}  p95 {lc['p95']:.1f})"
    )
    print(
        f"    CPU per request: server {shape['server_cpu_ms_per_request']} ms, fake model "
        f"{shape['fake_model_cpu_ms_per_request']} ms, "
        f"client {shape['client_cpu_ms_per_request']} ms"
    )


def main(argv: list[str] | None = None) -> dict | None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="daphne processes")
    parser.add_argument(
        "--requests-per-client",
        type=int,
        default=6,
        help="closed loop: requests per client (the open loop sends as many in all)",
    )
    parser.add_argument(
        "--stagger-ms",
        type=float,
        default=None,
        help="closed loop: spread the clients' first requests over this long "
        "(default: one model latency; 0 starts them all at once)",
    )
    parser.add_argument("--rounds", type=int, default=5, help="bursts: how many")
    parser.add_argument("--warmup", type=int, default=20, help="requests before measuring")
    parser.add_argument("--latency-ms", type=float, default=800.0)
    parser.add_argument("--seed", type=int, default=1, help="open loop: arrival times")
    parser.add_argument(
        "--keep-alive",
        action="store_true",
        help="reuse the client's connections (default: a new one per request, as the "
        "InfraZen app's requests.post)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the workers with py-spy during the measured phases "
        "(results/endpoint_profile.txt)",
    )
    parser.add_argument("--fake-llm-serve", nargs=2, metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.fake_llm_serve:
        answers, timings = map(Path, args.fake_llm_serve)
        fake_llm_serve(answers=answers, timings=timings, latency_ms=args.latency_ms)
        return None
    if args.stagger_ms is None:
        args.stagger_ms = args.latency_ms

    answers = TemplateAnswers()
    db_path = temp_database()
    run_dir = Path(tempfile.mkdtemp(prefix="endpoint-bench-"))
    process = fake = sampler = None
    cpu: dict[str, dict[str, float]] = {}
    try:
        django_setup(db_path=db_path)
        from django.db import connections

        from llm.models import LLMCall
        from recommendations_ai.selectors import recommendations_missing_texts

        needed = args.warmup + args.concurrency * (2 * args.requests_per_client + args.rounds)
        ids = clone_recommendations(needed + 10)
        answers.prepare(recommendations_missing_texts(include_done=True))
        connections.close_all()

        fake, base_url, timings_path = fake_llm_start(
            answers=answers, run_dir=run_dir, latency_ms=args.latency_ms
        )
        log = run_dir / "server.log"
        process, base = server_start(
            db_path=db_path, llm_base_url=base_url, workers=args.workers, log=log
        )

        def on_phase(name: str) -> None:
            nonlocal sampler
            pids = worker_pids(process)
            cpu[name] = {
                "server": cpu_seconds(pids),
                "fake_model": cpu_seconds([fake.pid]),
                "client": own_cpu_seconds(),
            }
            if args.profile and name == "closed_loop":
                sampler = profile_start(pids)

        run = asyncio.run(_run(base, ids, args=args, process=process, log=log, on_phase=on_phase))
    finally:
        if sampler is not None:
            profile_write(sampler)
        if process is not None:
            process_stop(process)
        if fake is not None:
            process_stop(fake)

    fake_timings = json.loads(timings_path.read_text())
    llmcall_ms: dict[str, int] = defaultdict(int)
    for cid, ms in LLMCall.objects.values_list("correlation_id", "latency_ms"):
        llmcall_ms[cid] += ms
    closed, opened = run["closed"], run["open"]
    bursts = [r for results in run["bursts"] for r in results]
    _with_llm_time(closed + opened + bursts, fake_timings["served"], llmcall_ms)
    steady = [r for r in closed if r["wave"] > 0]
    first_requests = [r for r in closed if r["wave"] == 0]

    figures = {
        "closed_loop": {
            **_shape(steady),
            **_cpu(cpu, "closed_loop", "open_loop", len(closed)),
            "requests_per_s": round(len(closed) / run["closed_s"], 1),
            "first_request_overhead_ms": summary(
                [r["overhead_ms"] for r in first_requests if r["status"] == 200]
            ),
        },
        "open_loop": {
            **_shape(opened),
            **_cpu(cpu, "open_loop", "bursts", len(opened)),
            "arrivals_per_s": round(args.concurrency / (args.latency_ms / 1000), 1),
            "requests_per_s": round(len(opened) / run["open_s"], 1),
        },
        "bursts": {
            **_shape(bursts),
            **_cpu(cpu, "bursts", "end", len(bursts)),
            "per_round": [
                {
                    "round_s": round(results[0]["round_s"], 3),
                    "overhead_ms": summary(
                        [r["overhead_ms"] for r in results if r["status"] == 200]
                    ),
                }
                for results in run["bursts"]
            ],
        },
        "warmup_wall_ms": summary([r["wall_ms"] for r in run["warm"]]),
        "target_p95_overhead_ms": TARGET_P95_OVERHEAD_MS,
        "fake_answer_misses": fake_timings["misses"],
    }
    figures["target_met"] = {
        shape: figures[shape]["overhead_ms"].get("p95", float("inf")) <= TARGET_P95_OVERHEAD_MS
        for shape in SHAPES
    }

    print(
        f"endpoint_concurrency: {args.workers} daphne worker(s), concurrency {args.concurrency}, "
        f"fake LLM latency {args.latency_ms:.0f} ms, SQLite, "
        f"{'kept-alive connections' if args.keep_alive else 'a new connection per request'}"
    )
    c = figures["closed_loop"]
    _print_shape(
        f"closed loop, {args.requests_per_client} requests per client staggered over "
        f"{args.stagger_ms:.0f} ms, after each client's first",
        c,
    )
    print(
        f"    {c['requests_per_s']} requests/s; first request of each client: overhead "
        f"p50 {c['first_request_overhead_ms']['p50']:.1f}  "
        f"p95 {c['first_request_overhead_ms']['p95']:.1f} ms"
    )
    o = figures["open_loop"]
    _print_shape(f"open loop, Poisson arrivals at {o['arrivals_per_s']}/s", o)
    b = figures["bursts"]
    _print_shape(f"bursts, {args.rounds} × {args.concurrency} released at once", b)
    for index, r in enumerate(b["per_round"], 1):
        print(
            f"      round {index}: {r['round_s']:.2f}s  overhead p50 "
            f"{r['overhead_ms']['p50']:.1f}  p95 {r['overhead_ms']['p95']:.1f} ms"
        )
    verdicts = ", ".join(
        f"{shape} {'met' if met else 'MISSED'}" for shape, met in figures["target_met"].items()
    )
    print(f"  target p95 overhead ≤ {TARGET_P95_OVERHEAD_MS:.0f} ms: {verdicts}")
    # Runs at other concurrencies or with kept-alive connections keep the default run's file.
    name = "endpoint_concurrency" + ("" if args.concurrency == 50 else f"_c{args.concurrency}")
    name += "_keepalive" if args.keep_alive else ""
    path = results_write(
        name,
        parameters={
            "concurrency": args.concurrency,
            "workers": args.workers,
            "requests_per_client": args.requests_per_client,
            "stagger_ms": args.stagger_ms,
            "open_loop_seed": args.seed,
            "rounds": args.rounds,
            "warmup_requests": args.warmup,
            "fake_latency_ms": args.latency_ms,
            "client_connections": "kept alive" if args.keep_alive else "new per request",
            "server": f"scripts/serve.py: {args.workers} daphne process(es), DEBUG off",
            "database": "SQLite temp file",
        },
        figures=figures,
        notes=[
            "overhead = client wall time − the time the fake model held the request's model "
            "requests (from having the request to having written the answer, measured in "
            "the fake's own process). The service's openai SDK and HTTP client work counts "
            "as overhead. overhead_vs_llmcall_ms subtracts the service's LLMCall.latency_ms "
            "instead (the SDK's work and event-loop waits counted as model time).",
            "closed loop: each client sends its next request when the previous answer "
            "arrives; the clients start spread over stagger_ms; the figures leave out every "
            "client's first request (reported as first_request_overhead_ms). open loop: "
            "Poisson arrivals at concurrency / model latency. bursts: concurrency requests "
            "released at once, per round.",
            "Three processes on the same cores: the workers, the fake model, this client "
            "(a minimal asyncio HTTP/1.1 client; a new connection per request unless "
            "--keep-alive, as the InfraZen app's requests.post). Their CPU per request is "
            "reported for each shape.",
            f"load average at the end: {os.getloadavg()[0]:.2f} (other work on the machine "
            "shows up as overhead)",
        ],
    )
    print(f"  → {path.relative_to(path.parents[2])}")
    return figures


if __name__ == "__main__":
    main()
