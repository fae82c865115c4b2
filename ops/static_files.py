"""/static/ served by the ASGI app itself (SERVE_STATIC: `make demo`; nginx in production).

Django's ASGIStaticFilesHandler answers before any middleware: no host validation, no
security headers, and a path that climbs out of the static roots (`/static/../settings.py`,
which browsers never send but scanners do) raised SuspiciousFileOperation out of the ASGI
app: daphne's bare 500. This one checks the host and adds the headers as the middleware
chain would (ops.security), and answers such a path with the JSON 404 an unknown file gets.
"""

from __future__ import annotations

import logging

from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
from django.core.exceptions import SuspiciousOperation

from ops.error_views import NOT_FOUND_MESSAGE
from ops.errors import error_response
from ops.security import ResponseSecurity, host_refusal

logger = logging.getLogger(__name__)


class StaticFilesHandler(ASGIStaticFilesHandler):
    def __init__(self, application):
        super().__init__(application)
        self.security = ResponseSecurity()

    async def get_response_async(self, request):
        response = host_refusal(request) or self.security.request_check(request)
        if response is None:
            try:
                response = await super().get_response_async(request)
            except SuspiciousOperation:
                logger.warning(
                    "static file refused: path outside the static roots",
                    extra={"path": request.path[:200]},
                )
                response = error_response(NOT_FOUND_MESSAGE, "not_found", 404)
        return self.security.response_secure(request, response)
