"""The base of the service's server-to-server endpoints: POST only, refusals in one shape."""

from __future__ import annotations

from django.views import View

from ops.errors import error_response


class ServicePostView(View):
    """An async view answering POST; any other method gets the JSON 405 with `Allow`."""

    http_method_names = ["post"]

    async def http_method_not_allowed(self, request, *args, **kwargs):
        return error_response(
            "Метод не поддерживается: используйте POST",
            "method_not_allowed",
            405,
            headers={"Allow": "POST"},
        )
