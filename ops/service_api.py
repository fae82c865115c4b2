"""A short way through Django for the REST endpoints the InfraZen app calls.

Those endpoints (`FAST_PATH_PREFIXES`) need none of the middleware behind this one: a
service token authenticates them, so no session, user, CSRF token or messages. And in an
async request Django runs every `MiddlewareMixin` middleware's process_request and
process_response through sync_to_async: a dozen thread hops per request, which is most of
the CPU Django adds to a text request and, under load, most of its queueing.
"""

from __future__ import annotations

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.urls import Resolver404, resolve

FAST_PATH_PREFIXES = ("/v1/generate/",)


class ServiceApiMiddleware:
    """Calls the view of a service endpoint directly; every other request goes on down the
    chain. Sync requests (WSGI, the sync test client) always take the whole chain.

    Errors still become Django's 500 response: Django wraps this middleware in its
    exception-to-response converter like any other.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
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
            match = resolve(request.path_info)
        except Resolver404:
            return await self.get_response(request)
        request.resolver_match = match
        if not iscoroutinefunction(match.func):
            # Only async views skip the chain; a sync one would need the thread hop anyway.
            return await self.get_response(request)
        return await match.func(request, *match.args, **match.kwargs)
