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
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib import RESULTS
from lib.http import HttpClient, http_wait_ready, text_request, text_service
from lib.processes import START_TIMEOUT_S, cpu_seconds, own_cpu_seconds
from lib.profiling import gil_profile_start, gil_profile_write
from lib.results import results_write, summary

TARGET_P95_OVERHEAD_MS = 20.0
# A worker whose CPU stays under this share of a core over the window has started.
STARTED_WINDOW_S = 0.5
STARTED_MAX_CORES = 0.05
SHAPES = ("closed_loop", "open_loop", "bursts")
PROFILE_RAW = RESULTS / "endpoint_profile.raw"
PROFILE_TOP = RESULTS / "endpoint_profile.txt"


async def _wait_started(service, workers: int) -> None:
    """Until every worker has finished starting (imports, the tokenizer, the heap freeze):
    the first answer comes from the first worker up, and a worker still starting would
    count its startup CPU (1-3 s) in the first measured phase.

    scripts/serve.py starts the next worker only once the one before is ready, so when the
    first answers, the others may not have been started yet: wait for all of them first.
    """
    until = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < until:
        pids = service.pids()
        if len(pids) < workers:
            await asyncio.sleep(STARTED_WINDOW_S)
            continue
        before = [cpu_seconds(pid) for pid in pids]
        await asyncio.sleep(STARTED_WINDOW_S)
        busy = [cpu_seconds(pid) - b for pid, b in zip(pids, before, strict=True)]
        if max(busy) <= STARTED_MAX_CORES * STARTED_WINDOW_S:
            return
    raise RuntimeError(f"the workers were still busy after {START_TIMEOUT_S}s")


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
            result = await text_request(client, rec_id)
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
        tasks.append(asyncio.create_task(text_request(client, rec_id)))
    results = await asyncio.gather(*tasks)
    return list(results), asyncio.get_running_loop().time() - started


async def _bursts(client: HttpClient, ids: list[int], *, size: int, rounds: int):
    measured = []
    for index in range(rounds):
        batch = ids[index * size : (index + 1) * size]
        started = time.perf_counter()
        results = await asyncio.gather(*(text_request(client, i) for i in batch))
        round_s = time.perf_counter() - started
        for r in results:
            r["round_s"] = round_s
        measured.append(results)
    return measured


async def _run(service, *, args, on_phase) -> dict:
    size = args.concurrency
    ids = service.ids
    client = HttpClient(service.base, keep_alive=args.keep_alive)
    try:
        await http_wait_ready(client, service.process, service.log)
        await _wait_started(service, args.workers)
        cursor = 0

        def take(count: int) -> list[int]:
            nonlocal cursor
            cursor += count
            return ids[cursor - count : cursor]

        warm = await asyncio.gather(*(text_request(client, i) for i in take(args.warmup)))
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
    args = parser.parse_args(argv)
    if args.stagger_ms is None:
        args.stagger_ms = args.latency_ms

    sampler = None
    cpu: dict[str, dict[str, float]] = {}
    needed = args.warmup + args.concurrency * (2 * args.requests_per_client + args.rounds)
    with text_service(
        recommendations=needed + 10,
        workers=args.workers,
        latency_ms=args.latency_ms,
        prefix="endpoint-bench-",
    ) as service:

        def on_phase(name: str) -> None:
            nonlocal sampler
            pids = service.pids()
            cpu[name] = {
                "server": cpu_seconds(*pids),
                "fake_model": cpu_seconds(service.fake.pid),
                "client": own_cpu_seconds(),
            }
            if args.profile and name == "closed_loop":
                sampler = gil_profile_start(pids, PROFILE_RAW)

        try:
            run = asyncio.run(_run(service, args=args, on_phase=on_phase))
        finally:
            if sampler is not None:
                gil_profile_write(sampler, PROFILE_RAW, PROFILE_TOP)

    from llm.models import LLMCall

    timings_path = service.fake_timings
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
