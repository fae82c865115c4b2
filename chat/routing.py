"""WebSocket routes: the InfraZen endpoints and the session endpoint, one consumer behind all.

The last route takes every path the others do not match (chat.not_found): a handshake to an
unknown path is closed with 4404, never a 500 from the router.
"""

from __future__ import annotations

from django.urls import path, re_path

from chat import consumers
from chat.not_found import unrouted_app

websocket_urlpatterns = [
    re_path(
        r"^v1/chat/rec/(?P<recommendation_id>[0-9]{1,10})$",
        consumers.RecommendationChatConsumer.as_asgi(),
    ),
    path("v1/chat/analytics", consumers.AnalyticsChatConsumer.as_asgi()),
    path("v1/chat/ws", consumers.SessionChatConsumer.as_asgi()),
    re_path(r"", unrouted_app),
]
