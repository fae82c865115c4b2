"""deploy/systemd: the unit and the timers pass `systemd-analyze verify`, and say what the
launcher and the drain need."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

from scripts.workers import STOP_TIMEOUT_S

DEPLOY = Path(__file__).resolve().parents[1]
ROOT = DEPLOY.parent
UNITS = sorted((DEPLOY / "systemd").glob("*.service")) + sorted(
    (DEPLOY / "systemd").glob("*.timer")
)
INSTALLED = "/opt/infrazen-agent"


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str
    parser.read(DEPLOY / "systemd" / name)
    return parser


def test_every_unit_passes_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.fail("systemd-analyze is missing: run `make test` (it installs systemd)")
    # The code as installed is this checkout: verify checks the commands exist.
    for unit in UNITS:
        (tmp_path / unit.name).write_text(unit.read_text().replace(INSTALLED, str(ROOT)))
    done = subprocess.run(
        [analyze, "verify", *(str(tmp_path / u.name) for u in UNITS)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == ""


def test_the_service_runs_the_launcher_and_outlasts_the_drain():
    service = _unit("infrazen-agent.service")["Service"]
    assert service["ExecStart"].endswith("python scripts/serve.py")
    assert service["EnvironmentFile"] == "/etc/infrazen/agent.env"
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"
    assert service["KillMode"] == "mixed" and service["Restart"] == "on-failure"
    # systemd waits longer than the supervisor, which waits longer than the drain.
    assert float(service["TimeoutStopSec"]) > STOP_TIMEOUT_S > settings.CHAT_SHUTDOWN_GRACE_S
    # Sandboxed: the system read-only, only the service's var directory writable.
    assert service["ProtectSystem"] == "strict" and service["NoNewPrivileges"] == "yes"
    assert service["ReadWritePaths"] == "/var/lib/infrazen-agent"


@pytest.mark.parametrize(
    ("name", "command"),
    [
        ("images-purge", "chat_images_purge"),
        ("archive-idle", "chat_archive_idle"),
        ("backfill", "backfill --stale"),
        ("budgets-purge", "budget_counters_purge"),
    ],
)
def test_each_timer_runs_its_command(name, command):
    timer = _unit(f"infrazen-agent-{name}.timer")["Timer"]
    assert timer["OnCalendar"] and timer["Persistent"] == "true"
    service = _unit(f"infrazen-agent-{name}.service")["Service"]
    assert service["Type"] == "oneshot"
    assert service["ExecStart"].endswith(f"manage.py {command}")
    # The command exists as written.
    manage = command.split()
    done = subprocess.run(
        [sys.executable, "manage.py", *manage, "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
