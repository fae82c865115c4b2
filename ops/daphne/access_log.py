"""daphne's access log as JSON lines through Python logging (logger `daphne.access`).

daphne writes its own NCSA-style lines straight to stdout, beside the service's JSON logs,
and with the query string: a report PDF's signature (`?sig=`) ended up in the log. Every
entry goes instead to the `daphne.access` logger, formatted like every other line
(ops.logging.JsonFormatter), with the path only.
"""

from __future__ import annotations

import logging
from typing import Any

from ops.daphne import method_wrap

logger = logging.getLogger("daphne.access")

# daphne's actions, and what each entry calls it.
EVENTS = {
    ("http", "complete"): "http",
    ("websocket", "connecting"): "ws_connecting",
    ("websocket", "rejected"): "ws_rejected",
    ("websocket", "connected"): "ws_connected",
    ("websocket", "disconnected"): "ws_disconnected",
}


def access_entry(protocol: str, action: str, details: dict[str, Any]) -> dict[str, Any] | None:
    event = EVENTS.get((protocol, action))
    if event is None:
        return None
    entry: dict[str, Any] = {
        "event": event,
        "client": details.get("client"),
        "path": str(details.get("path", "")).split("?", 1)[0][:500],
    }
    if event == "http":
        entry |= {
            "method": details.get("method"),
            "status": details.get("status"),
            "size": details.get("size"),
            "duration_ms": round(float(details.get("time_taken") or 0) * 1000, 1),
        }
    return entry


def _log_action(_original: Any, _self: Any, protocol: str, action: str, details: dict) -> None:
    entry = access_entry(protocol, action, details)
    if entry is not None:
        message = f"{entry.get('method') or entry['event']} {entry['path']}"
        logger.info(message, extra=entry)


def daphne_access_log_install() -> None:
    """Replace daphne's access log writer (only when daphne runs this process)."""
    try:
        from daphne.access import AccessLogGenerator
    except ImportError:
        return
    method_wrap(AccessLogGenerator, "__call__", _log_action)
