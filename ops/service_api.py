"""A short way through Django for the REST endpoints the InfraZen app calls.

Those endpoints (`FAST_PATH_PREFIXES`) need none of the middleware behind this one: a
service token authenticates them, so no session, user, CSRF token or messages. And in an
async request Django runs every `MiddlewareMixin` middleware's process_request and
process_response through sync_to_async: a dozen thread hops per request, which is most of
the CPU Django adds to a text request and, under load, most of its queueing. What they do
need of it, the security middleware's redirect and headers, is called directly
(ops.security.ResponseSecurity), so every response carries the same headers.

Nor do they need a thread of their own (`ServiceASGIHandler`).
"""

from __future__ import annotations

import functools
import logging

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.core.handlers.exception import response_for_exception
from django.urls import Resolver404, ResolverMatch, get_urlconf, resolve, set_script_prefix

from ops.errors import error_response
from ops.security import ResponseSecurity

logger = logging.getLogger(__name__)

# The InfraZen app's REST calls, and liveness (ops.apis.HealthApi).
FAST_PATH_PREFIXES = ("/v1/generate/", "/v1/health")
QUERY_REFUSED_MESSAGE = "Строка запроса не в кодировке UTF-8"


def _path_info(scope: dict) -> str:
    path, root = scope.get("path", ""), scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


class ServiceASGIHandler(ASGIHandler):
    """Django's ASGI handler, except that the service endpoints get no thread of their own.

    Django runs each HTTP request in its own ThreadSensitiveContext: the request's sync work
    (the request signals, every database call) goes to a thread started for that request,
    over a connection opened for it, and both end with the request. Starting the thread and
    connecting cost more CPU than the database work of a text request itself. The service
    endpoints' sync work runs instead where the chat's and Django's async ORM calls run
    outside a request: asgiref's one thread-sensitive thread per process, whose connection
    core.db keeps (DB_THREAD_CONN_MAX_AGE_S). Their views are async and their database
    work is a few short calls per request, so one thread serves them all.

    Nor do they send Django's request_started / request_finished signals: the receivers
    manage the request thread's database connections (two more trips to that thread per
    request), and these endpoints' connection is core.db's. And the view is not
    cancelled when the client disconnects (which Django watches for with a task per
    request): the InfraZen app waits 30 s, longer than the endpoint's deadline, and a text
    paid for is stored either way.
    """

    def __init__(self) -> None:
        super().__init__()
        self.security = ResponseSecurity()

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and _path_info(scope).startswith(FAST_PATH_PREFIXES):
            await self.handle_service(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    async def handle_service(self, scope, receive, send) -> None:
        """ASGIHandler.handle without the request signals and the disconnect watch."""
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            set_script_prefix(get_script_prefix(scope))
            request, response = self.create_request(scope, body_file)
            if request is not None:
                response = await self.run_get_response(request)
            await self.send_response(response, send)
        finally:
            body_file.close()

    def create_request(self, scope, body_file):
        """Django's, except for a query string that is not UTF-8 (raw bytes in the request
        line): Django answered an empty text/html 400 before any middleware, and logged a
        traceback. It gets the service's JSON 400 and headers, and a warning."""
        query = scope.get("query_string", b"")
        try:
            if isinstance(query, bytes):
                query.decode()
        except UnicodeDecodeError:
            # A request to answer, not to serve: the one part that failed left out.
            request = self.request_class({**scope, "query_string": b""}, body_file)
            logger.warning(
                "request refused: query string not UTF-8", extra={"path": request.path[:200]}
            )
            response = error_response(QUERY_REFUSED_MESSAGE, "bad_query_string", 400)
            return None, self.security.response_secure(request, response)
        return super().create_request(scope, body_file)


@functools.lru_cache(maxsize=64)
def _resolve(path: str, urlconf: str) -> ResolverMatch:
    """resolve(), remembered: the service endpoints are a handful of fixed paths, and
    matching one walks the URLconf past every pattern before it (≈ 0.2 ms of CPU)."""
    return resolve(path, urlconf)


class ServiceApiMiddleware:
    """Calls the view of a service endpoint directly; every other request goes on down the
    chain. Sync requests (WSGI, the sync test client) always take the whole chain.

    The security middleware behind this one (SecurityMiddleware, CSP, X-Frame-Options) are
    run here on a served request, its redirect and its headers (ops.security); the host was
    checked above (ops.security.AllowedHostsMiddleware). An exception from the view becomes
    Django's error response here, as Django's own wrapper would make it, so it gets them too.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        self.security = ResponseSecurity()
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self.__acall__(request)
        return self.get_response(request)

    async def __acall__(self, request):
        if not request.path_info.startswith(FAST_PATH_PREFIXES):
            return await self.get_response(request)
        try:
            match = _resolve(request.path_info, get_urlconf() or settings.ROOT_URLCONF)
        except Resolver404:
            return await self.get_response(request)
        request.resolver_match = match
        if not iscoroutinefunction(match.func):
            # Only async views skip the chain; a sync one would need the thread hop anyway.
            return await self.get_response(request)
        response = self.security.request_check(request)
        if response is None:
            try:
                response = await match.func(request, *match.args, **match.kwargs)
            except Exception as exc:  # noqa: BLE001 - what Django's wrapper does, headers added
                response = await sync_to_async(response_for_exception, thread_sensitive=False)(
                    request, exc
                )
        return self.security.response_secure(request, response)
