#!/usr/bin/env python3
"""Throwaway MariaDB and Redis servers on loopback, for the real-server test pass.

    python scripts/testservers.py run -- pytest

starts both servers in a temporary directory, waits until they accept connections, runs the
command with DATABASE_URL, AGENT_DATABASE_URL (a second database on the same MariaDB, as in
production) and REDIS_URL pointing at them, stops the servers, removes the
directory (also on failure and Ctrl-C) and exits with the command's exit code. A server that
does not come up is a loud failure naming the server and the tail of its log, never a skip.
"""

# This script exists to start server binaries and the command it is given.
# ruff: noqa: S603

from __future__ import annotations

import argparse
import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
# Debian keeps the server binaries in sbin, which is not on a normal user's PATH.
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/usr/local/sbin", "/sbin"])
DB_NAME = "agent"
DB_USER = "agent"


class ServerError(Exception):
    """A server could not be started; the message names it and carries its log tail."""


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    log: Path

    def fail(self, reason: str) -> ServerError:
        return _failure(self.name, reason, self.log)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _failure(name: str, reason: str, log: Path, lines: int = 25) -> ServerError:
    try:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) or "(log is empty)"
    except OSError:
        tail = "(no log written)"
    return ServerError(f"{name} did not start: {reason}\n--- tail of {log} ---\n{tail}")


def _binary(*names: str) -> str:
    for name in names:
        found = shutil.which(name, path=SEARCH_PATH)
        if found:
            return found
    raise ServerError(
        f"none of {', '.join(names)} is installed; run scripts/ensure_system_packages.sh "
        "(apt-get install mariadb-server redis-server)"
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def mysql_database_fresh(url: str, suffix: str) -> str:
    """A new empty database next to `url`'s on the same server (`<name>_<suffix>`, dropped
    first if it exists); returns its URL. For a process that needs a database of its own: a
    benchmark point that counts its rows, the browser tests' live agent."""
    import pymysql  # the service's own driver (requirements.txt)

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/')}_{suffix}"
    admin = pymysql.connect(
        host=parts.hostname,
        port=parts.port or 3306,
        user=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        autocommit=True,
    )
    try:
        with admin.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
            cursor.execute(
                f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
            )
    finally:
        admin.close()
    return urlunsplit(parts._replace(path=f"/{name}"))


def _spawn(command: list[str], log: Path) -> subprocess.Popen:
    # Errors before the server opens its own log (a bad option) go to stderr: keep them too.
    # Its own session, so a Ctrl-C meant for the tests does not kill it before the cleanup.
    with log.open("a") as out:
        return subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip


def _wait_until(server: Server, ready, timeout: float = START_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    last_error = "no answer"
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise server.fail(f"exited with code {server.process.returncode}")
        try:
            if ready():
                return
        except (OSError, ConnectionError) as exc:
            last_error = f"{type(exc).__name__}: {exc}"
        time.sleep(0.2)
    raise server.fail(f"no connection after {timeout:.0f} s ({last_error})")


def _as_root_args() -> list[str]:
    # mariadbd refuses to run as root unless told to explicitly.
    return ["--user=root"] if os.geteuid() == 0 else []


def start_redis(workdir: Path) -> tuple[Server, str]:
    binary = _binary("redis-server")
    port = free_port()
    datadir = workdir / "redis"
    datadir.mkdir()
    log = workdir / "redis.log"
    command = [
        binary,
        "--port", str(port),
        "--bind", "127.0.0.1",
        "--save", "",
        "--appendonly", "no",
        "--dir", str(datadir),
        "--logfile", str(log),
        "--daemonize", "no",
    ]  # fmt: skip
    server = Server("redis-server", _spawn(command, log), log)
    try:
        _wait_until(server, lambda: _redis_answers(port))
    except BaseException:
        server.stop()
        raise
    return server, f"redis://127.0.0.1:{port}/0"


def _redis_answers(port: int) -> bool:
    with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
        sock.sendall(b"PING\r\n")
        return sock.recv(64).startswith(b"+PONG")


def redis_restart(server: Server) -> None:
    """Kill a server start_redis started and start it again on its port, as a crash and a
    restart by its supervisor would (the soak benchmark's fault)."""
    server.process.kill()
    server.process.wait()
    server.process = _spawn(list(server.process.args), server.log)
    port = int(server.process.args[server.process.args.index("--port") + 1])
    _wait_until(server, lambda: _redis_answers(port))


def start_mariadb(workdir: Path) -> tuple[Server, str]:
    port = free_port()
    datadir = workdir / "mariadb"
    sock_path = workdir / "mariadb.sock"
    log = workdir / "mariadb.log"
    password = secrets.token_hex(12)

    _mariadb_install(workdir, datadir)
    mariadbd = _binary("mariadbd", "mysqld")
    command = [
        mariadbd,
        "--no-defaults",
        f"--datadir={datadir}",
        f"--socket={sock_path}",
        f"--pid-file={workdir / 'mariadb.pid'}",
        f"--log-error={log}",
        f"--tmpdir={workdir}",
        f"--port={port}",
        "--bind-address=127.0.0.1",
        "--skip-name-resolve",
        "--character-set-server=utf8mb4",
        "--collation-server=utf8mb4_unicode_ci",
        # Throwaway data: trade durability for speed.
        "--innodb-buffer-pool-size=64M",
        "--innodb-log-file-size=16M",
        "--innodb-flush-log-at-trx-commit=0",
        "--innodb-doublewrite=0",
        "--skip-log-bin",
        *_as_root_args(),
    ]
    server = Server("mariadb (mariadbd)", _spawn(command, log), log)

    import pymysql  # the service's own driver (requirements.txt)

    def ready() -> bool:
        try:
            pymysql.connect(unix_socket=str(sock_path), user="root", connect_timeout=1).close()
        except pymysql.err.OperationalError as exc:
            raise ConnectionError(str(exc)) from exc
        return True

    try:
        _wait_until(server, ready)
        _mariadb_user_create(sock_path, password)
        # Prove that the TCP path the tests use works, with the credentials they get.
        pymysql.connect(
            host="127.0.0.1", port=port, user=DB_USER, password=password, database=DB_NAME
        ).close()
    except BaseException as exc:
        server.stop()
        if isinstance(exc, pymysql.err.MySQLError):
            raise server.fail(f"setting up the test user failed: {exc}") from exc
        raise
    return server, f"mysql://{DB_USER}:{password}@127.0.0.1:{port}/{DB_NAME}"


def _mariadb_install(workdir: Path, datadir: Path) -> None:
    """A fresh data directory (mariadb-install-db); its output kept in a log."""
    install_db = _binary("mariadb-install-db", "mysql_install_db")
    install_log = workdir / "mariadb-install-db.log"
    with install_log.open("w") as out:
        init = subprocess.run(
            [
                install_db,
                "--no-defaults",
                f"--datadir={datadir}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--skip-name-resolve",
                *_as_root_args(),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
    if init.returncode != 0:
        raise _failure(
            "mariadb", f"mariadb-install-db exited with code {init.returncode}", install_log
        )


def _mariadb_user_create(sock_path: Path, password: str) -> None:
    """The tests' user and database, made over the root socket."""
    import pymysql

    # Django creates test_<name> databases, so the user gets everything on *.*.
    admin = pymysql.connect(unix_socket=str(sock_path), user="root", autocommit=True)
    with admin.cursor() as cursor:
        for host in ("127.0.0.1", "localhost"):
            cursor.execute(f"CREATE USER '{DB_USER}'@'{host}' IDENTIFIED BY %s", (password,))
            cursor.execute(f"GRANT ALL PRIVILEGES ON *.* TO '{DB_USER}'@'{host}' WITH GRANT OPTION")
        cursor.execute(
            f"CREATE DATABASE `{DB_NAME}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"
        )
    admin.close()


@contextlib.contextmanager
def servers(*, mariadb: bool = True, redis: bool = True) -> Iterator[dict[str, str]]:
    """Start the servers; yield the environment that points at them; always clean up."""
    workdir = Path(tempfile.mkdtemp(prefix="infrazen-testservers-"))
    running: list[Server] = []
    env: dict[str, str] = {}
    try:
        if mariadb:
            server, env["DATABASE_URL"] = start_mariadb(workdir)
            running.append(server)
            # Production's shape: the agent's own tables in a second schema on the same
            # server, InfraZen's in the first (core/db_router.py).
            env["AGENT_DATABASE_URL"] = mysql_database_fresh(env["DATABASE_URL"], "own")
        if redis:
            server, env["REDIS_URL"] = start_redis(workdir)
            running.append(server)
        yield env
    finally:
        for server in reversed(running):
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def _terminate(signum, frame):
    # Turn SIGTERM/SIGHUP into an exception so the `finally` blocks stop the servers.
    raise SystemExit(128 + signum)


def run(command: list[str], *, mariadb: bool, redis: bool) -> int:
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _terminate)
    started = time.monotonic()
    try:
        with servers(mariadb=mariadb, redis=redis) as server_env:
            # The password is per run and throwaway, but still kept out of the log.
            shown = [
                f"{k}=...@{v.split('@')[-1]}" if "@" in v else f"{k}={v}"
                for k, v in server_env.items()
            ]
            print(
                f"testservers: up in {time.monotonic() - started:.1f} s: {', '.join(shown)}",
                flush=True,
            )
            child = subprocess.Popen(command, env={**os.environ, **server_env})
            try:
                return child.wait()
            except BaseException as exc:
                # A terminal's Ctrl-C reaches the child too; a SIGTERM sent to us alone does not.
                if not isinstance(exc, KeyboardInterrupt):
                    child.terminate()
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
                raise
    except ServerError as exc:
        print(f"testservers: ERROR: {exc}", file=sys.stderr, flush=True)
        return 3
    except KeyboardInterrupt:
        print("testservers: interrupted; servers stopped", file=sys.stderr, flush=True)
        return 130


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="action", required=True)
    run_parser = sub.add_parser(
        "run", help="start the servers, run a command against them, stop them"
    )
    run_parser.add_argument("--no-mariadb", action="store_true", help="do not start MariaDB")
    run_parser.add_argument("--no-redis", action="store_true", help="do not start Redis")
    run_parser.add_argument("command", nargs=argparse.REMAINDER, help="-- command [args...]")
    args = parser.parse_args(argv)

    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("give the command to run after --")
    return run(command, mariadb=not args.no_mariadb, redis=not args.no_redis)


if __name__ == "__main__":
    sys.exit(main())
