"""The URLconf's handler400/403/404/500: the service's JSON error shape, never an HTML page.

Django calls these for an error no view answered itself (an unknown path, a PermissionDenied,
a SuspiciousOperation, an unhandled exception), the admin's included: Django has one set of
handlers per root URLconf. What went wrong is logged by Django; the client is told nothing
of it.
"""

from __future__ import annotations

from ops.errors import INTERNAL_MESSAGE, INVALID_MESSAGE, error_response

FORBIDDEN_MESSAGE = "Доступ запрещён"
NOT_FOUND_MESSAGE = "Не найдено"


def bad_request(request, exception):
    return error_response(INVALID_MESSAGE, "bad_request", 400)


def permission_denied(request, exception):
    return error_response(FORBIDDEN_MESSAGE, "forbidden", 403)


def page_not_found(request, exception):
    return error_response(NOT_FOUND_MESSAGE, "not_found", 404)


def server_error(request):
    return error_response(INTERNAL_MESSAGE, "internal_error", 500)
