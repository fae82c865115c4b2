"""The bases of the service's fast-path endpoints: one method set each, refusals in one shape."""

from __future__ import annotations

from django.views import View

from ops.errors import error_response


class _ServiceView(View):
    """An async view; a method it does not answer gets the JSON 405 with `Allow`."""

    allowed = "POST"

    async def http_method_not_allowed(self, request, *args, **kwargs):
        return error_response(
            f"Метод не поддерживается: используйте {self.allowed}",
            "method_not_allowed",
            405,
            headers={"Allow": self.allowed},
        )


class ServicePostView(_ServiceView):
    http_method_names = ["post"]
    allowed = "POST"


class ServiceGetView(_ServiceView):
    # HEAD answers as GET does (View.setup), the body left out by the server.
    http_method_names = ["get", "head"]
    allowed = "GET, HEAD"
