"""ASGI entry point: `daphne agentsite.asgi:application`.

HTTP goes to Django; WebSocket goes through the Channels router. Django is set up before
anything that imports models, as the Channels docs require.
"""

from __future__ import annotations

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentsite.settings")
# What get_asgi_application() does, with the handler that serves the InfraZen app's REST
# endpoints without a thread per request.
django.setup(set_prefix=False)

from ops.service_api import ServiceASGIHandler  # noqa: E402

django_asgi_app = ServiceASGIHandler()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.conf import settings  # noqa: E402

from chat.routing import websocket_urlpatterns  # noqa: E402

http_app = django_asgi_app
if settings.SERVE_STATIC:
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler

    http_app = ASGIStaticFilesHandler(django_asgi_app)

application = ProtocolTypeRouter(
    {
        "http": http_app,
        "websocket": URLRouter(websocket_urlpatterns),
    }
)
