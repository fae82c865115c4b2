"""The /agent prefix of the public URL, as ASGI says to carry it (`root_path`).

nginx passes https://<host>/agent/admin/ on as /agent/admin/ (deploy/nginx). Django takes
the prefix off by FORCE_SCRIPT_NAME and keeps it in request.path, so the admin's links,
forms and redirects carry it; Channels' router and the service's fast path take it off by
the scope's root_path, which this sets for a path under the prefix. A request straight to
a worker (a health probe, the InfraZen app on loopback) has no prefix and is served alike.
"""

from __future__ import annotations


class ScriptPrefixApp:
    def __init__(self, application, *, prefix: str | None) -> None:
        self.application = application
        self.prefix = prefix or ""

    async def __call__(self, scope, receive, send):
        if self.prefix and scope["type"] in ("http", "websocket"):
            path = scope.get("path", "")
            if path == self.prefix or path.startswith(self.prefix + "/"):
                scope = {**scope, "root_path": self.prefix}
        return await self.application(scope, receive, send)
