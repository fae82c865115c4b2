"""The text endpoint under concurrent requests: the service's own overhead per request.

The real service runs as `scripts/serve.py` (N daphne workers on one port; temp SQLite file,
LLM_PROVIDER=openai_compatible pointing at an in-process FakeLLMServer that answers every
request after a fixed latency with a valid structured answer). Every request asks for its
own recommendation id (no cache hits) and is timed at the client; the LLM time of each
request comes from its LLMCall rows (matched by X-Request-ID → correlation_id), and the
overhead is the difference.

Two load shapes, one after the other on the same server:

- closed loop (the target): C clients, each sending its next request as soon as its previous
  answer arrives, as load tools run "concurrency C"; the clients start spread over one model
  latency (`--stagger-ms`), as C users who do not all click at the same instant. The first
  request of each client (it opens the connections) is reported apart; the figures are the
  steady state after it, with C requests in flight.
- bursts: rounds of C requests released at the same instant (the worst case: C requests
  queue for the CPU before any reaches the model).

    .venv/bin/python bench/endpoint_concurrency.py
    .venv/bin/python bench/endpoint_concurrency.py --concurrency 50 --workers 2 --profile
    .venv/bin/python bench/endpoint_concurrency.py --concurrency 1 --workers 1 --rounds 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import socket
import subprocess
import sys
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
    results_write,
    summary,
    temp_database,
)

URL = "/v1/generate/recommendation-text"
TOKEN = "bench"
TARGET_P95_OVERHEAD_MS = 20.0
START_TIMEOUT_S = 30.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


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


def server_stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def worker_pids(process: subprocess.Popen) -> list[int]:
    path = Path(f"/proc/{process.pid}/task/{process.pid}/children")
    return [int(pid) for pid in path.read_text().split()]


async def _wait_ready(client, base: str, process: subprocess.Popen, log: Path) -> None:
    import httpx

    until = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < until:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
        try:
            if (await client.get(f"{base}/v1/health")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError(f"no answer in {START_TIMEOUT_S}s: {log.read_text()[-2000:]}")


async def _one(client, base: str, rec_id: int) -> dict:
    cid = uuid.uuid4().hex[:16]
    started = time.perf_counter()
    response = await client.post(
        f"{base}{URL}",
        json={"recommendation_id": rec_id},
        headers={"Authorization": f"Bearer {TOKEN}", "X-Request-ID": cid},
    )
    wall = time.perf_counter() - started
    body = response.json()
    return {
        "id": rec_id,
        "cid": cid,
        "status": response.status_code,
        "source": body.get("source"),
        "wall_ms": wall * 1000,
    }


PROFILE_RAW = ROOT / "bench" / "results" / "endpoint_profile.raw"
PROFILE_TOP = ROOT / "bench" / "results" / "endpoint_profile.txt"


def profile_start(pids: list[int]) -> list[subprocess.Popen]:
    """py-spy sampling each server process until profile_write (needs py-spy in the venv)."""
    spy = Path(sys.executable).parent / "py-spy"
    if not spy.exists():
        raise SystemExit("--profile needs py-spy: .venv/bin/pip install py-spy")
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


async def _closed_loop(
    client, base: str, ids: list[int], *, clients: int, each: int, stagger_s: float
):
    """`clients` tasks, each sending `each` requests back to back; per request its wave.

    Client k starts after k/clients of `stagger_s`: C users who do not all press the button
    at the same instant. With a fixed model latency they then stay that far apart.
    """

    async def one_client(index: int, mine: list[int]) -> list[dict]:
        await asyncio.sleep(stagger_s * index / clients)
        results = []
        for wave, rec_id in enumerate(mine):
            result = await _one(client, base, rec_id)
            result["wave"] = wave
            results.append(result)
        return results

    chunks = [ids[i * each : (i + 1) * each] for i in range(clients)]
    started = time.perf_counter()
    per_client = await asyncio.gather(*(one_client(i, c) for i, c in enumerate(chunks)))
    return [r for results in per_client for r in results], time.perf_counter() - started


async def _bursts(client, base: str, ids: list[int], *, size: int, rounds: int):
    measured = []
    for index in range(rounds):
        batch = ids[index * size : (index + 1) * size]
        started = time.perf_counter()
        results = await asyncio.gather(*(_one(client, base, i) for i in batch))
        round_s = time.perf_counter() - started
        for r in results:
            r["round_s"] = round_s
        measured.append(results)
    return measured


async def _run(base: str, ids: list[int], *, args, process, log, on_phase) -> dict:
    import httpx

    size = args.concurrency
    limits = httpx.Limits(max_connections=size * 2, max_keepalive_connections=size * 2)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        await _wait_ready(client, base, process, log)
        cursor = 0

        def take(count: int) -> list[int]:
            nonlocal cursor
            cursor += count
            return ids[cursor - count : cursor]

        warm = await asyncio.gather(*(_one(client, base, i) for i in take(args.warmup)))
        on_phase("closed")
        closed, closed_s = await _closed_loop(
            client,
            base,
            take(size * args.requests_per_client),
            clients=size,
            each=args.requests_per_client,
            stagger_s=args.stagger_ms / 1000,
        )
        on_phase("bursts")
        bursts = await _bursts(
            client, base, take(size * args.rounds), size=size, rounds=args.rounds
        )
        on_phase("end")
        return {"warm": warm, "closed": closed, "closed_s": closed_s, "bursts": bursts}


def _with_llm_time(rows: list[dict], llm_ms: dict[str, int], latency_ms: float) -> None:
    for r in rows:
        r["llm_ms"] = llm_ms.get(r["cid"], 0)
        r["overhead_ms"] = r["wall_ms"] - r["llm_ms"]
        r["overhead_vs_fake_ms"] = r["wall_ms"] - latency_ms


def _shape(rows: list[dict], requests_per: dict[str, int]) -> dict:
    ok = [r for r in rows if r["status"] == 200]
    sources: dict[str, int] = defaultdict(int)
    for r in rows:
        sources[f"{r['status']}:{r['source']}"] += 1
    return {
        "requests": len(rows),
        "statuses_sources": dict(sources),
        "llm_requests_per_request": summary([requests_per.get(r["cid"], 0) for r in rows]),
        "wall_ms": summary([r["wall_ms"] for r in ok]),
        "llm_ms": summary([r["llm_ms"] for r in ok]),
        "overhead_ms": summary([r["overhead_ms"] for r in ok]),
        "overhead_vs_fake_latency_ms": summary([r["overhead_vs_fake_ms"] for r in ok]),
    }


def _print_shape(title: str, shape: dict) -> None:
    w, llm, o = shape["wall_ms"], shape["llm_ms"], shape["overhead_ms"]
    print(f"  {title}: {shape['requests']} requests {shape['statuses_sources']}")
    print(f"    wall ms   p50 {w['p50']:.1f}  p95 {w['p95']:.1f}  max {w['max']:.1f}")
    print(f"    llm ms    p50 {llm['p50']:.1f}  p95 {llm['p95']:.1f}  max {llm['max']:.1f}")
    print(
        f"    overhead  p50 {o['p50']:.1f}  p95 {o['p95']:.1f}  max {o['max']:.1f} ms "
        "(wall − LLMCall.latency_ms)"
    )


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--workers", type=int, default=2, help="daphne processes")
    parser.add_argument(
        "--requests-per-client", type=int, default=6, help="closed loop: requests per client"
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
    parser.add_argument(
        "--profile",
        action="store_true",
        help="sample the workers with py-spy during the measured phases "
        "(results/endpoint_profile.txt)",
    )
    args = parser.parse_args(argv)
    latency_s = args.latency_ms / 1000
    if args.stagger_ms is None:
        args.stagger_ms = args.latency_ms

    from llm.fake_server import FakeLLMServer

    answers = TemplateAnswers()
    server = FakeLLMServer(default=answers, ttfb_s=latency_s).start()
    db_path = temp_database()
    process = sampler = None
    cpu: dict[str, float] = {}
    try:
        django_setup(db_path=db_path)
        from django.db import connections

        from llm.models import LLMCall
        from recommendations_ai.selectors import recommendations_missing_texts

        needed = args.warmup + args.concurrency * (args.requests_per_client + args.rounds)
        ids = clone_recommendations(needed + 10)
        answers.prepare(recommendations_missing_texts(include_done=True))
        connections.close_all()

        log = db_path.parent / "server.log"
        process, base = server_start(
            db_path=db_path, llm_base_url=server.base_url, workers=args.workers, log=log
        )

        def on_phase(name: str) -> None:
            nonlocal sampler
            pids = worker_pids(process)
            cpu[name] = cpu_seconds(pids)
            cpu[f"{name}_bench"] = time.process_time()
            if args.profile and name == "closed":
                sampler = profile_start(pids)

        run = asyncio.run(_run(base, ids, args=args, process=process, log=log, on_phase=on_phase))
    finally:
        if sampler is not None:
            profile_write(sampler)
        if process is not None:
            server_stop(process)
        server.stop()

    llm_ms: dict[str, int] = defaultdict(int)
    llm_requests: dict[str, int] = defaultdict(int)
    for cid, ms in LLMCall.objects.values_list("correlation_id", "latency_ms"):
        llm_ms[cid] += ms
        llm_requests[cid] += 1
    closed = run["closed"]
    bursts = [r for results in run["bursts"] for r in results]
    _with_llm_time(closed + bursts, llm_ms, args.latency_ms)
    steady = [r for r in closed if r["wave"] > 0]
    first_requests = [r for r in closed if r["wave"] == 0]

    figures = {
        "closed_loop": {
            **_shape(steady, llm_requests),
            "requests_per_s": round(len(closed) / run["closed_s"], 1),
            "first_request_overhead_ms": summary(
                [r["overhead_ms"] for r in first_requests if r["status"] == 200]
            ),
            "server_cpu_ms_per_request": round(
                (cpu["bursts"] - cpu["closed"]) * 1000 / max(1, len(closed)), 1
            ),
            "bench_process_cpu_ms_per_request": round(
                (cpu["bursts_bench"] - cpu["closed_bench"]) * 1000 / max(1, len(closed)), 1
            ),
        },
        "bursts": {
            **_shape(bursts, llm_requests),
            "server_cpu_ms_per_request": round(
                (cpu["end"] - cpu["bursts"]) * 1000 / max(1, len(bursts)), 1
            ),
            "bench_process_cpu_ms_per_request": round(
                (cpu["end_bench"] - cpu["bursts_bench"]) * 1000 / max(1, len(bursts)), 1
            ),
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
        "fake_answer_misses": answers.misses,
    }
    target = figures["closed_loop"]["overhead_ms"]
    figures["target_met"] = bool(steady) and target["p95"] <= TARGET_P95_OVERHEAD_MS

    print(
        f"endpoint_concurrency: {args.workers} daphne worker(s), concurrency {args.concurrency}, "
        f"fake LLM latency {args.latency_ms:.0f} ms, SQLite"
    )
    c = figures["closed_loop"]
    _print_shape(
        f"closed loop, {args.requests_per_client} requests per client staggered over "
        f"{args.stagger_ms:.0f} ms, after each client's first",
        c,
    )
    print(
        f"    {c['requests_per_s']} requests/s; CPU per request: server "
        f"{c['server_cpu_ms_per_request']} ms, client + fake LLM "
        f"{c['bench_process_cpu_ms_per_request']} ms"
    )
    print(
        f"    first request of each client: overhead "
        f"p50 {c['first_request_overhead_ms']['p50']:.1f}  "
        f"p95 {c['first_request_overhead_ms']['p95']:.1f} ms"
    )
    b = figures["bursts"]
    _print_shape(f"bursts, {args.rounds} × {args.concurrency} released at once", b)
    print(
        f"    CPU per request: server {b['server_cpu_ms_per_request']} ms, client + fake LLM "
        f"{b['bench_process_cpu_ms_per_request']} ms"
    )
    for index, r in enumerate(b["per_round"], 1):
        print(
            f"      round {index}: {r['round_s']:.2f}s  overhead p50 "
            f"{r['overhead_ms']['p50']:.1f}  p95 {r['overhead_ms']['p95']:.1f} ms"
        )
    verdict = "met" if figures["target_met"] else "MISSED"
    print(f"  target p95 overhead ≤ {TARGET_P95_OVERHEAD_MS:.0f} ms (closed loop): {verdict}")
    # Runs at other concurrencies keep the default run's results file.
    name = "endpoint_concurrency" + ("" if args.concurrency == 50 else f"_c{args.concurrency}")
    path = results_write(
        name,
        parameters={
            "concurrency": args.concurrency,
            "workers": args.workers,
            "requests_per_client": args.requests_per_client,
            "stagger_ms": args.stagger_ms,
            "rounds": args.rounds,
            "warmup_requests": args.warmup,
            "fake_latency_ms": args.latency_ms,
            "server": f"scripts/serve.py: {args.workers} daphne process(es), DEBUG off",
            "database": "SQLite temp file",
        },
        figures=figures,
        notes=[
            "overhead = client wall time − the request's LLMCall.latency_ms (all attempts), "
            "matched by X-Request-ID. The LLM time itself includes the openai SDK and HTTP "
            "client work inside the service; overhead_vs_fake_latency_ms counts that too.",
            "closed loop: each client sends its next request when the previous answer "
            "arrives; the clients start spread over stagger_ms; the figures leave out every "
            "client's first request (reported as first_request_overhead_ms).",
            "The client and the fake LLM server share the benchmark process; the workers "
            "run in their own processes, on the same cores.",
            f"load average at the end: {os.getloadavg()[0]:.2f} (other work on the machine "
            "shows up as overhead)",
        ],
    )
    print(f"  → {path.relative_to(path.parents[2])}")
    return figures


if __name__ == "__main__":
    main()
