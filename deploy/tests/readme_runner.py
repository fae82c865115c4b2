"""Runs deploy/README.md's commands, block after block, as a root shell would.

The paths of section 0 are moved into a temporary directory; the commands that would change
the machine itself get stand-ins on PATH (standins.py): `apt-get`, `useradd`, `chown` and
`sudo -u <user>` are recorded, `mysql` is the test's MariaDB, `nginx -t` checks what was
installed with Debian's nginx, and `systemctl` is a small systemd. Everything else (cp,
install, python3 -m venv, pip, sed, manage.py, curl) runs for real.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

DEPLOY = Path(__file__).resolve().parents[1]
README = DEPLOY / "README.md"
INSTALLED_HOME = "/opt/infrazen-agent"
INSTALLED_ETC = "/etc/infrazen"
BLOCK = re.compile(r"```sh\n(.*?)```", re.S)


def readme_blocks() -> list[str]:
    return BLOCK.findall(README.read_text())


def paths_block(blocks: list[str]) -> dict[str, str]:
    """Section 0: NAME=value lines."""
    found = {}
    for line in blocks[0].splitlines():
        name, _, value = line.split("#")[0].strip().partition("=")
        if name:
            found[name] = value
    return found


@dataclass
class Shell:
    root: Path
    env: dict[str, str]
    state: Path

    def calls(self) -> list[list[str]]:
        path = self.state / "calls.jsonl"
        return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []

    def run(self, script: str, *, timeout: float = 900) -> subprocess.CompletedProcess:
        # Each command with the time it started, in state/trace.log (a slow step shows).
        with (self.state / "trace.log").open("a") as trace:
            trace.write(f"--- {time.strftime('%H:%M:%S')}\n")
        script = (
            f'exec 9>>"{self.state}/trace.log"\nBASH_XTRACEFD=9\n'
            "PS4='+ $(date +%T) '\nset -x\n" + script
        )
        return subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )


def shell_make(root: Path, *, paths: dict[str, str], mysql: list[str]) -> Shell:
    """A root directory for the section-0 paths and a PATH with the stand-ins first."""
    bin_dir, state = root / "bin", root / "state"
    bin_dir.mkdir(parents=True)
    state.mkdir()
    # What a Debian machine with systemd and nginx already has.
    for existing in (paths["SYSTEMD_ETC"], paths["NGINX_ETC"]):
        Path(existing).mkdir(parents=True, exist_ok=True)
    standins = Path(__file__).with_name("standins.py")
    for name in ("apt-get", "useradd", "chown", "sudo", "systemctl", "nginx"):
        (bin_dir / name).write_text(f'#!/bin/sh\nexec {sys.executable} {standins} {name} "$@"\n')
    (bin_dir / "mysql").write_text("#!/bin/sh\nexec " + shlex.join(mysql) + ' "$@"\n')
    for shim in bin_dir.iterdir():
        shim.chmod(0o755)
    nginx_etc = Path(paths["NGINX_ETC"])
    nginx_run = root / "nginx-run"
    nginx_run.mkdir()
    nginx_main = nginx_run / "nginx.conf"
    nginx_main.write_text(
        f"""
pid {nginx_run}/nginx.pid;
error_log {nginx_run}/error.log;
events {{}}
http {{
    client_body_temp_path {nginx_run}/body;
    proxy_temp_path {nginx_run}/proxy;
    include {nginx_etc}/conf.d/*.conf;
    server {{
        listen 127.0.0.1:9;
        include {nginx_etc}/infrazen-agent/locations.conf;
    }}
}}
"""
    )
    env = {
        "PATH": f"{bin_dir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": os.environ.get("HOME", "/root"),
        "SHIM_STATE": str(state),
        "SYSTEMD_ETC": paths["SYSTEMD_ETC"],
        "SHIM_MOVES": json.dumps(
            {INSTALLED_HOME: paths["AGENT_HOME"], INSTALLED_ETC: paths["AGENT_ETC"]}
        ),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "SHIM_NGINX_ETC": str(nginx_etc),
        "SHIM_NGINX_MAIN": str(nginx_main),
        "SHIM_NGINX_MOVES": json.dumps(
            {
                "/etc/nginx/": f"{nginx_etc}/",
                "/var/lib/infrazen-agent/": f"{paths['AGENT_VAR']}/",
                "/var/log/nginx/": f"{nginx_run}/",
            }
        ),
    }
    # pip as this machine has it set up (an index, a wheel directory, a certificate).
    env.update({k: v for k, v in os.environ.items() if k.startswith("PIP_")})
    return Shell(root, env, state)
