"""The worst case of `POST /v1/chat/upload` for one worker: its memory under hostile uploads.

Two processes: the service as one daphne process (temp SQLite, anonymous uploads on, stored
images in a temp directory) and this one, the clients: a minimal asyncio HTTP/1.1 client, a
new connection per upload, each upload one multipart/form-data body with a `file` field.

Every upload attempt counts against CHAT_UPLOAD_ATTEMPTS_PER_MINUTE (per address and user)
and every stored image against CHAT_UPLOAD_RATE_PER_MINUTE (per address). All uploads here
come from 127.0.0.1, so both are raised far past what a run sends: the figures are the
worker's memory and CPU, not the rate limiter's refusals. Everything else is the default
(CHAT_UPLOAD_MAX_MB 5, CHAT_UPLOAD_MAX_PIXELS 16,777,216, one decode at a time waiting at
most CHAT_UPLOAD_DECODE_WAIT_S 5 s, CHAT_UPLOAD_DECODE_MAX_MB 120).

The payloads, built here, deterministically, in five kinds (a mix each, then all together):

- truncated: tiny real PNG/JPEG/GIF/WebP files whose headers declare far more pixels than
  the limit, or just within it (the decoder allocates the whole image, then runs out of data),
  and large real images cut in half;
- at_pixel_limit: valid images of the most pixels each format and mode may have (4096 × 4096
  RGB, LA, palette with transparency, 16-bit grey; RGBA just under the decode estimate;
  JPEGs of 4095 × 4095 and 16384 × 1024, sizes libjpeg cannot decode at a reduced scale);
- decompression_bombs: a few KB that decode to the limit (accepted) or declare past it
  (refused from the header), a zTXt chunk of 100 MB, an IDAT stream far longer than the image;
- large_jpeg: noise JPEGs just under the 5 MB byte limit (baseline and progressive; their
  re-encoding to under CHAT_IMAGE_MAX_BYTES takes several passes);
- garbage: random bytes, wrong magic, an empty file, a body over the limit, no file field.

First each payload alone (its own peak), then each mix with `--clients` concurrent clients.
The worker's VmRSS is sampled every `--sample-ms` from /proc; its VmHWM is reset before each
upload or mix (/proc/<pid>/clear_refs), so the peak of each is the larger of the two.

    .venv/bin/python bench/upload_exhaustion.py
    .venv/bin/python bench/upload_exhaustion.py --clients 8 --rounds 1 --mixes garbage,truncated
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib import ROOT
from lib.chat import chat_env
from lib.django_env import connections_close, django_setup
from lib.http import HttpClient
from lib.processes import (
    ProcessSampler,
    cpu_seconds,
    proc_status_kb,
    service_start,
    service_wait_ready,
)
from lib.results import load_note, results_write, summary
from lib.upload_payloads import (
    BOUNDARY,
    MIXES,
    Payload,
    colour,
    multipart,
    payloads_build,
    save,
)

from scripts.serve import processes_stop

TARGET_MB_ABOVE_IDLE = 150.0
URL = "/v1/chat/upload"
UPLOAD_TIMEOUT_S = 60.0
SETTLE_S = 2.0
# Far past what a run sends: the per-address limits would refuse all but the first 10–20.
LIMIT_RAISED = 1_000_000


# --- the worker's memory ------------------------------------------------------------------------
def peak_reset(pid: int) -> bool:
    """Set the process's VmHWM back to its VmRSS (Linux ≥ 4.0, our own processes)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
    except OSError:
        return False
    return True


@dataclass
class Window:
    """What the worker did while a block of uploads ran."""

    rss_before_kb: int
    peak_kb: int
    rss_after_kb: int
    cpu_s: float
    samples: int
    hwm_reset: bool


def measured(pid: int, interval_s: float, run: Callable[[], object]) -> tuple[object, Window]:
    reset = peak_reset(pid)
    before = proc_status_kb(pid)["VmRSS"]
    cpu = cpu_seconds(pid)
    with ProcessSampler(pid, interval_s) as sampler:
        result = run()
    status = proc_status_kb(pid)
    peak = max([status["VmHWM"], *sampler.rss_kb])
    return result, Window(
        rss_before_kb=before,
        peak_kb=peak,
        rss_after_kb=status["VmRSS"],
        cpu_s=cpu_seconds(pid) - cpu,
        samples=len(sampler.samples),
        hwm_reset=reset,
    )


# --- the clients ----------------------------------------------------------------------------------
async def _upload(client: HttpClient, payload: Payload, body: bytes) -> dict:
    started = time.monotonic()
    try:
        async with asyncio.timeout(UPLOAD_TIMEOUT_S):
            status, _ = await client.request(
                "POST",
                URL,
                body=body,
                headers={"Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
            )
        outcome = str(status)
    except (OSError, TimeoutError, IndexError, ValueError, asyncio.IncompleteReadError) as exc:
        # Counted as an outcome: a connection the worker dropped is a figure too.
        outcome = f"error {type(exc).__name__}"
    return {"payload": payload.name, "status": outcome, "s": time.monotonic() - started}


async def _mix_run(port: int, payloads: list[Payload], *, clients: int, uploads: int):
    client = HttpClient(f"http://127.0.0.1:{port}", keep_alive=False)
    bodies = {payload.name: multipart(payload) for payload in payloads}
    queue = [payloads[index % len(payloads)] for index in range(uploads)]

    async def one_client(mine: list[Payload]) -> list[dict]:
        return [await _upload(client, payload, bodies[payload.name]) for payload in mine]

    started = time.monotonic()
    rows = await asyncio.gather(*(one_client(queue[index::clients]) for index in range(clients)))
    return [row for group in rows for row in group], time.monotonic() - started


def _mb(kb: float) -> float:
    return round(kb / 1024, 1)


def _statuses(rows: list[dict]) -> dict[str, int]:
    return dict(sorted(Counter(row["status"] for row in rows).items()))


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent uploads per mix")
    parser.add_argument(
        "--rounds", type=int, default=2, help="uploads per client per mix (at least one each)"
    )
    parser.add_argument("--mixes", default=",".join(MIXES), help="comma-separated")
    parser.add_argument("--sample-ms", type=float, default=20.0)
    parser.add_argument("--no-solo", action="store_true", help="skip the one-at-a-time pass")
    parser.add_argument(
        "--daphne-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="more environment for the worker (e.g. MALLOC_ARENA_MAX=2), repeatable",
    )
    parser.add_argument("--name", default="upload_exhaustion", help="results file name")
    args = parser.parse_args(argv)
    extra_env = dict(item.split("=", 1) for item in args.daphne_env)
    chosen = [mix for mix in args.mixes.split(",") if mix]
    if unknown := set(chosen) - set(MIXES):
        parser.error(f"unknown mixes {sorted(unknown)}; known: {MIXES}")

    load_before = os.getloadavg()
    built_at = time.monotonic()
    mixes = payloads_build()
    build_s = time.monotonic() - built_at
    secret = secrets.token_urlsafe(32)
    database_url = django_setup()
    connections_close()

    run_dir = Path(tempfile.mkdtemp(prefix="upload-bench-"))
    log = run_dir / "daphne.log"
    daphne = None
    interval = args.sample_ms / 1000
    solo: list[dict] = []
    runs: dict[str, dict] = {}
    resets: list[bool] = []
    try:
        daphne, port = service_start(
            env=chat_env(database_url=database_url, secret=secret)
            | {
                "CHAT_UPLOAD_ANONYMOUS": "true",
                "CHAT_UPLOAD_DIR": str(run_dir / "uploads"),
                "CHAT_UPLOAD_ATTEMPTS_PER_MINUTE": str(LIMIT_RAISED),
                "CHAT_UPLOAD_RATE_PER_MINUTE": str(LIMIT_RAISED),
                **extra_env,
            },
            log=log,
        )
        service_wait_ready(daphne, port, log)
        pid = daphne.pid
        time.sleep(SETTLE_S)
        started = proc_status_kb(pid)
        # Warm-up: Pillow's plugins, the upload path's queries and the first thread.
        warm = Payload("warm-up png 64×64", "valid", save(colour((64, 64)), "PNG"), "w.png")
        warm_rows, _ = asyncio.run(_mix_run(port, [warm], clients=1, uploads=3))
        time.sleep(SETTLE_S)
        idle = proc_status_kb(pid)

        if not args.no_solo:
            seen: set[str] = set()
            for payload in mixes["all"]:
                if payload.name in seen:
                    continue
                seen.add(payload.name)
                (rows, _), window = measured(
                    pid,
                    interval,
                    lambda payload=payload: asyncio.run(
                        _mix_run(port, [payload], clients=1, uploads=1)
                    ),
                )
                resets.append(window.hwm_reset)
                solo.append(
                    {
                        "payload": payload.name,
                        "kind": payload.kind,
                        "bytes": len(payload.data),
                        "status": rows[0]["status"],
                        "s": round(rows[0]["s"], 3),
                        "peak_above_idle_mb": _mb(window.peak_kb - idle["VmRSS"]),
                        "peak_above_before_mb": _mb(window.peak_kb - window.rss_before_kb),
                        "rss_after_mb": _mb(window.rss_after_kb),
                        "cpu_s": round(window.cpu_s, 3),
                    }
                )
                print(
                    f"  solo {payload.name:58} {rows[0]['status']:>5} "
                    f"{rows[0]['s'] * 1000:7.0f} ms  peak +{solo[-1]['peak_above_idle_mb']:6.1f}"
                    f" MB over idle (+{solo[-1]['peak_above_before_mb']:.1f} over before)",
                    flush=True,
                )
        solo_end = proc_status_kb(pid)

        for mix in chosen:
            payloads = mixes[mix]
            uploads = max(len(payloads), args.clients * args.rounds)
            (rows, wall), window = measured(
                pid,
                interval,
                lambda payloads=payloads, uploads=uploads: asyncio.run(
                    _mix_run(port, payloads, clients=args.clients, uploads=uploads)
                ),
            )
            resets.append(window.hwm_reset)
            time.sleep(SETTLE_S)
            settled = proc_status_kb(pid)["VmRSS"]
            by_payload: dict[str, list[dict]] = defaultdict(list)
            for row in rows:
                by_payload[row["payload"]].append(row)
            runs[mix] = {
                "uploads": len(rows),
                "wall_s": round(wall, 2),
                "statuses": _statuses(rows),
                "upload_s": summary([row["s"] for row in rows]),
                "rss_before_mb": _mb(window.rss_before_kb),
                "peak_rss_mb": _mb(window.peak_kb),
                "peak_above_idle_mb": _mb(window.peak_kb - idle["VmRSS"]),
                "peak_above_before_mb": _mb(window.peak_kb - window.rss_before_kb),
                "rss_after_mb": _mb(window.rss_after_kb),
                "rss_after_settle_mb": _mb(settled),
                "worker_cpu_s": round(window.cpu_s, 2),
                "worker_cpu_cores": round(window.cpu_s / wall, 2),
                "rss_samples": window.samples,
                "by_payload": {
                    name: {"statuses": _statuses(group), "p50_s": summary([r["s"] for r in group])}
                    for name, group in sorted(by_payload.items())
                },
            }
            print(
                f"  mix {mix:20} {len(rows):3} uploads in {wall:5.1f} s: peak "
                f"+{runs[mix]['peak_above_idle_mb']:.1f} MB over idle, statuses "
                f"{runs[mix]['statuses']}",
                flush=True,
            )
        end = proc_status_kb(pid)
    finally:
        if daphne is not None:
            processes_stop([daphne])
    load_after = os.getloadavg()

    peaks = [run["peak_above_idle_mb"] for run in runs.values()]
    peaks += [row["peak_above_idle_mb"] for row in solo]
    overall = max(peaks) if peaks else 0.0
    worst_solo = max(solo, key=lambda row: row["peak_above_idle_mb"]) if solo else None
    worst_mix = max(runs, key=lambda mix: runs[mix]["peak_above_idle_mb"]) if runs else None
    figures = {
        "service_rss_mb": {
            "started": _mb(started["VmRSS"]),
            "idle": _mb(idle["VmRSS"]),
            "idle_anon": _mb(idle["RssAnon"]),
            "after_solo_pass": _mb(solo_end["VmRSS"]),
            "end": _mb(end["VmRSS"]),
            "end_anon": _mb(end["RssAnon"]),
        },
        "warmup_statuses": _statuses(warm_rows),
        "solo": solo,
        "mixes": runs,
        "peak_above_idle_mb": overall,
        "worst_mix": worst_mix,
        "worst_solo_payload": worst_solo["payload"] if worst_solo else None,
        "target_mb_above_idle": TARGET_MB_ABOVE_IDLE,
        "target_met": bool(peaks) and overall <= TARGET_MB_ABOVE_IDLE,
        # False: VmHWM could not be reset, and peaks are the process's lifetime peak.
        "vmhwm_reset_worked": all(resets),
        "payload_build_s": round(build_s, 1),
        "load_average": {"before": load_before, "after": load_after},
    }
    _print(args, figures)
    notes = [
        "Peak = max(VmHWM after a reset through /proc/<pid>/clear_refs, every VmRSS sample "
        f"at {args.sample_ms:g} ms) over the block; above idle = peak − the worker's VmRSS "
        "after the warm-up (3 small uploads: Pillow's plugins and the upload path loaded), "
        "the RSS a worker that has taken an upload idles at. MB are MiB.",
        "Rate limits: CHAT_UPLOAD_ATTEMPTS_PER_MINUTE and CHAT_UPLOAD_RATE_PER_MINUTE raised "
        f"to {LIMIT_RAISED} (every upload comes from 127.0.0.1), so no upload is refused by "
        "the per-address or per-user limits; every other upload setting is the default. 503 "
        "is the decode queue (one decode per process, at most 5 s of waiting).",
        "solo: each payload alone, one after another on the same worker (what it costs by "
        "itself); mixes: --clients concurrent clients, each sending its share in sequence.",
        "worker_cpu_s: user + system CPU of the daphne process during the block (/proc).",
    ]
    notes += load_note(load_before, load_after, inflated="CPU and time figures")
    path = results_write(
        args.name,
        parameters={
            "clients": args.clients,
            "rounds": args.rounds,
            "mixes": chosen,
            "sample_ms": args.sample_ms,
            "server": "daphne (1 process), DEBUG off",
            "daphne_env": extra_env,
            "database": "SQLite temp file",
            "upload_settings": {
                "CHAT_UPLOAD_ANONYMOUS": True,
                "CHAT_UPLOAD_ATTEMPTS_PER_MINUTE": LIMIT_RAISED,
                "CHAT_UPLOAD_RATE_PER_MINUTE": LIMIT_RAISED,
                "others": "defaults (agentsite/settings/)",
            },
            "payloads": {
                mix: [{"name": p.name, "bytes": len(p.data)} for p in group]
                for mix, group in mixes.items()
                if mix != "all"
            },
        },
        figures=figures,
        notes=notes,
    )
    print(f"  → {path.relative_to(ROOT)}")
    return figures


def _print(args, f: dict) -> None:
    m = f["service_rss_mb"]
    print(
        f"upload_exhaustion: daphne (1 process), {args.clients} concurrent clients; RSS MiB "
        f"started {m['started']}, idle after warm-up {m['idle']}, end {m['end']}"
    )
    for mix, run in f["mixes"].items():
        s = run["upload_s"]
        print(
            f"  {mix:20} peak {run['peak_rss_mb']:6.1f} MiB (+{run['peak_above_idle_mb']:6.1f} "
            f"over idle), after {run['rss_after_settle_mb']:6.1f}; CPU {run['worker_cpu_s']:5.1f}"
            f" s; upload p50 {s['p50'] * 1000:6.0f} ms p95 {s['p95'] * 1000:6.0f} ms; "
            f"{run['statuses']}"
        )
    verdict = "met" if f["target_met"] else "MISSED"
    print(
        f"  peak above idle: {f['peak_above_idle_mb']} MiB (worst mix {f['worst_mix']}, worst "
        f"alone: {f['worst_solo_payload']}); target ≤ {TARGET_MB_ABOVE_IDLE:.0f}: {verdict}"
    )


if __name__ == "__main__":
    main()
