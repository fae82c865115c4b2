"""The locks (`make lock`) agree with what requirements*.txt ask for, and every pin has hashes.

`make` and deploy/README.md install from the locks with `--require-hashes`; an edit to a
requirements file without `make lock` would install something else than it says.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def _name(raw: str) -> str:
    return re.sub(r"[-_.]+", "-", raw).lower()


def _pins(path: Path) -> dict[str, str]:
    return {_name(name): version for name, version in PIN.findall(path.read_text())}


def _lock_entries(path: Path) -> list[str]:
    """One string per pinned package: its `name==version \\` line and its hash lines."""
    return re.split(r"\n(?=[A-Za-z0-9])", path.read_text().strip())


@pytest.mark.parametrize(
    ("requirements", "lock"),
    [("requirements.txt", "requirements.lock"), ("requirements-dev.txt", "requirements-dev.lock")],
)
def test_every_requirement_is_locked_at_its_pinned_version(requirements, lock):
    wanted = _pins(ROOT / requirements)
    locked = _pins(ROOT / lock)

    assert {name: locked.get(name) for name in wanted} == wanted


def test_the_dev_lock_installs_the_runtime_lock_unchanged():
    runtime = _pins(ROOT / "requirements.lock")
    dev = _pins(ROOT / "requirements-dev.lock")

    assert {name: dev.get(name) for name in runtime} == runtime


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-dev.lock"])
def test_every_locked_package_has_a_hash_and_no_local_index_is_named(lock):
    entries = _lock_entries(ROOT / lock)

    assert [entry.split()[0] for entry in entries if "--hash=sha256:" not in entry] == []
    assert not re.search(r"^--(extra-)?index-url|^--find-links", "\n".join(entries), re.M)
