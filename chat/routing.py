"""WebSocket routes: the InfraZen endpoints and the session endpoint, one consumer behind all."""

from __future__ import annotations

from django.urls import path, re_path

from chat import consumers

websocket_urlpatterns = [
    re_path(
        r"^v1/chat/rec/(?P<recommendation_id>[0-9]{1,10})$",
        consumers.RecommendationChatConsumer.as_asgi(),
    ),
    path("v1/chat/analytics", consumers.AnalyticsChatConsumer.as_asgi()),
    path("v1/chat/ws", consumers.SessionChatConsumer.as_asgi()),
]
