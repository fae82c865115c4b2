"""Debian's nginx on loopback with the shipped deploy/nginx files, for the deploy tests and
the soak benchmark.

The shipped files are used as they are, except for the few paths and addresses a test
machine has elsewhere (`SHIPPED_PATHS`): the include directory, the workers' port, the static
root and the access log. The site's `server` block stands in for InfraZen's: HTTPS with a
certificate made for 127.0.0.1, and nothing but the agent's locations in it.
"""

# ruff: noqa: S603, S607
from __future__ import annotations

import contextlib
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
NGINX_DIR = DEPLOY / "nginx"
START_TIMEOUT_S = 15.0
# Installed path in the shipped files -> where this test puts it.
SHIPPED_INCLUDES = "/etc/nginx/infrazen-agent/"
SHIPPED_UPSTREAM = "server 127.0.0.1:8001;"
SHIPPED_STATIC = "/var/lib/infrazen-agent/static/"
SHIPPED_ACCESS_LOG = "/var/log/nginx/infrazen-agent.access.log"


def nginx_binary() -> str:
    found = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(found).exists():
        raise RuntimeError("nginx is missing: run `make test` (it installs Debian's nginx)")
    return found


def certificate_make(directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "site.crt", directory / "site.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


@dataclass
class NginxFront:
    port: int
    directory: Path
    certificate: Path
    process: subprocess.Popen

    @property
    def public_url(self) -> str:
        """What InfraZen's AGENT_SERVICE_URL is in production: https://<host>/agent."""
        return f"https://127.0.0.1:{self.port}/agent"

    @property
    def access_log(self) -> Path:
        return self.directory / "access.log"

    def error_log(self) -> str:
        path = self.directory / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _shipped(name: str, *, directory: Path, agent_port: int, static_root: Path) -> str:
    text = (NGINX_DIR / name).read_text()
    for shipped, here in (
        (SHIPPED_INCLUDES, f"{directory}/"),
        (SHIPPED_UPSTREAM, f"server 127.0.0.1:{agent_port};"),
        (SHIPPED_STATIC, f"{static_root}/"),
        (SHIPPED_ACCESS_LOG, str(directory / "access.log")),
    ):
        text = text.replace(shipped, here)
    return text


def _config(directory: Path, *, port: int, agent_port: int, static_root: Path, token: str) -> Path:
    cert, key = certificate_make(directory)
    files = {
        "upstream.conf": "infrazen-agent-upstream.conf",
        "locations.conf": "infrazen-agent.conf",
        "proxy.conf": "infrazen-agent-proxy.conf",
        "internal.conf": "infrazen-agent-internal.conf",
    }
    for installed, shipped in files.items():
        text = _shipped(
            shipped, directory=directory, agent_port=agent_port, static_root=static_root
        )
        (directory / installed).write_text(text)
    example = (NGINX_DIR / "infrazen-agent-token.conf.example").read_text()
    token_conf = directory / "token.conf"
    token_conf.write_text(example.replace("CHANGE-ME-the-AGENT_SERVICE_TOKEN-value", token))
    token_conf.chmod(0o600)
    main = directory / "nginx.conf"
    main.write_text(
        f"""
user root;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    client_body_temp_path {directory}/body;
    proxy_temp_path {directory}/proxy;
    fastcgi_temp_path {directory}/fastcgi;
    uwsgi_temp_path {directory}/uwsgi;
    scgi_temp_path {directory}/scgi;
    access_log {directory}/site.access.log;
    include /etc/nginx/mime.types;
    include {directory}/upstream.conf;
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name 127.0.0.1 localhost;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        include {directory}/locations.conf;
    }}
}}
"""
    )
    return main


@contextlib.contextmanager
def nginx_front(
    directory: Path, *, port: int, agent_port: int, static_root: Path, token: str
) -> Iterator[NginxFront]:
    """nginx on 127.0.0.1:`port` (HTTPS) in front of the workers on `agent_port`."""
    directory.mkdir(parents=True, exist_ok=True)
    main = _config(
        directory, port=port, agent_port=agent_port, static_root=static_root, token=token
    )
    binary = nginx_binary()
    subprocess.run(
        [binary, "-t", "-p", str(directory), "-c", str(main)], check=True, capture_output=True
    )
    process = subprocess.Popen(
        [binary, "-p", str(directory), "-c", str(main), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    front = NginxFront(port, directory, directory / "site.crt", process)
    try:
        until = time.monotonic() + START_TIMEOUT_S
        while True:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if process.poll() is not None or time.monotonic() > until:
                raise RuntimeError(f"nginx did not start:\n{front.error_log()}")
            time.sleep(0.1)
        yield front
    finally:
        process.send_signal(signal.SIGQUIT)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
