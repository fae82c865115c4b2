"""`make serve`: the agent's production launcher, several daphne workers on one port.

    python scripts/serve.py                      # AGENT_WORKERS (default: one per core)
    python scripts/serve.py --workers 2 -b 127.0.0.1 -p 8001

This process binds the listening socket (AGENT_BIND, default loopback; AGENT_PORT, default
8001) and starts N `daphne --fd` children that all accept from it; the kernel hands each new
connection to whichever child takes it first, so a child busy on its event loop leaves new
connections to an idle one. It keeps N of them serving (scripts/workers.py): a dead worker
is started again while the others serve, SIGHUP replaces them one at a time, SIGTERM stops
them all after their drain.

A chat's tabs must share one channel layer: several workers need REDIS_URL (the in-memory
layer lives inside one process). The script refuses to start more than one worker without
it unless told `--per-process-channel-layer` (fine for the REST endpoints alone, e.g. the
benchmark of the text endpoint).
"""

# This script exists to start daphne processes.
# ruff: noqa: S603

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: scripts/ is on the path, the project is not
    sys.path.insert(0, str(ROOT))

from ops.daphne.run import daphne_command  # noqa: E402
from scripts.workers import APPLICATION, Supervisor, processes_stop, say  # noqa: E402

BACKLOG = 1024
# Re-exported for the tests and benchmarks that start and stop the agent.
__all__ = [
    "agent_command",
    "agent_health",
    "agent_spawn",
    "agent_wait_ready",
    "processes_stop",
    "serve",
]


def listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def agent_command(
    *, host: str, port: int, workers: int = 1, extra: tuple[str, ...] = (), app: str = APPLICATION
) -> list[str]:
    """The command that serves the agent on host:port: daphne itself for one process, this
    script for several (they need REDIS_URL). `extra`: more daphne options."""
    where = ["-b", host, "-p", str(port), *extra]
    if workers == 1:
        return [*daphne_command(), *where, app]
    if app != APPLICATION:
        raise ValueError("several workers serve agentsite.asgi:application only")
    return [sys.executable, str(Path(__file__).resolve()), "--workers", str(workers), *where]


def agent_spawn(
    *,
    port: int,
    env: dict[str, str],
    log: Path,
    workers: int = 1,
    extra: tuple[str, ...] = (),
    app: str = APPLICATION,
    log_append: bool = False,
) -> subprocess.Popen:
    """Serve the agent on 127.0.0.1:`port` in the background: `env` is its whole
    environment, its output goes to `log` (after what is there with `log_append`), and it
    runs in a session of its own (a Ctrl-C meant for the caller does not stop it before the
    caller's cleanup)."""
    command = agent_command(host="127.0.0.1", port=port, workers=workers, extra=extra, app=app)
    with log.open("ab" if log_append else "wb") as out:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def agent_health(port: int, *, timeout: float = 2.0) -> int:
    """GET /v1/health on 127.0.0.1:`port`: its status, 0 when nothing answers."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/health", timeout=timeout) as r:
            return r.status
    except OSError:
        return 0


def agent_wait_ready(process: subprocess.Popen, *, port: int, timeout: float) -> None:
    """Until /v1/health answers 200; RuntimeError when the process exits or time runs out."""
    health = f"http://127.0.0.1:{port}/v1/health"
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        if process.poll() is not None:
            raise RuntimeError(f"the agent exited with {process.returncode}")
        with (
            contextlib.suppress(OSError, urllib.error.URLError),
            urllib.request.urlopen(health, timeout=2) as response,
        ):
            if response.status == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the agent did not answer in {timeout:g} s")


def metrics_directory_prepare() -> Path:
    """PROMETHEUS_MULTIPROC_DIR for this launch's workers (core.metrics), emptied: numbers of a
    previous launch would be added to this one's. AGENT_METRICS_DIR, else systemd's
    RuntimeDirectory, else a new temporary directory."""
    given = os.environ.get("AGENT_METRICS_DIR")
    if not given and os.environ.get("RUNTIME_DIRECTORY"):
        given = os.path.join(os.environ["RUNTIME_DIRECTORY"].split(":")[0], "metrics")
    directory = Path(given or tempfile.mkdtemp(prefix="infrazen-agent-metrics-"))
    directory.mkdir(parents=True, exist_ok=True)
    for stale in directory.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    return directory


def serve(*, host: str, port: int, workers: int, extra: list[str]) -> int:
    metrics_directory_prepare()
    sock = listening_socket(host, port)
    say(f"{workers} daphne workers on http://{host}:{port}")
    return Supervisor(sock=sock, workers=workers, extra=extra).run()


def _workers_default() -> int:
    """AGENT_WORKERS; else one per core with REDIS_URL (tabs share it), one without."""
    if os.environ.get("AGENT_WORKERS"):
        return int(os.environ["AGENT_WORKERS"])
    return (os.cpu_count() or 1) if os.environ.get("REDIS_URL") else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=_workers_default())
    parser.add_argument("-b", "--bind", default=os.environ.get("AGENT_BIND") or "127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=int(os.environ.get("AGENT_PORT") or 8001))
    parser.add_argument(
        "--per-process-channel-layer",
        action="store_true",
        help="allow several workers without REDIS_URL (chat tabs may then miss each other)",
    )
    args, extra = parser.parse_known_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if args.workers > 1 and not os.environ.get("REDIS_URL") and not args.per_process_channel_layer:
        parser.error(
            "several workers need REDIS_URL: the in-memory channel layer lives inside one "
            "process (or pass --per-process-channel-layer for the REST endpoints alone)"
        )
    return serve(host=args.bind, port=args.port, workers=args.workers, extra=extra)


if __name__ == "__main__":
    sys.exit(main())
