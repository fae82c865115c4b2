"""Our fixes inside daphne, Twisted and autobahn (close reasons, drain on SIGTERM, the worker
hand-off, hostile input, frame floods), installed by agentsite.asgi when daphne serves it.

They reach into those libraries' internals, so they are checked against the versions they were
written for: importing this package under other versions fails with what to do, instead of a
patch silently doing nothing (or the wrong thing) after an upgrade.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from importlib import metadata
from typing import Any

# The release series each module here was read against (requirements.txt pins them).
SUPPORTED = {"daphne": "4.2.", "twisted": "26.", "autobahn": "26.", "txaio": "26."}


class UnsupportedVersion(RuntimeError):
    pass


def versions_check(found: dict[str, str] | None = None) -> None:
    found = found if found is not None else {name: metadata.version(name) for name in SUPPORTED}
    wrong = {
        name: version for name, version in found.items() if not version.startswith(SUPPORTED[name])
    }
    if wrong:
        listed = ", ".join(f"{name} {version}" for name, version in sorted(wrong.items()))
        raise UnsupportedVersion(
            f"ops/daphne patches internals of {listed}, which it was not written for: read "
            "every module of ops/daphne against the new release, then widen SUPPORTED."
        )


def method_wrap(owner: Any, name: str, wrapper: Callable[..., Any]) -> None:
    """Make `owner.name(self, ...)` call `wrapper(original, self, ...)`, once per wrapper:
    installing again (a second ASGI application in one process, tests) changes nothing, and
    two wrappers of one method (the close reason and the flood guard) both run."""
    original = getattr(owner, name)
    wrappers = getattr(original, "agent_wrappers", frozenset())
    if wrapper in wrappers:
        return

    @functools.wraps(original)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        return wrapper(original, self, *args, **kwargs)

    method.agent_wrappers = wrappers | {wrapper}
    setattr(owner, name, method)


versions_check()
