from __future__ import annotations

from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from chat.apis import ChatStartApi

urlpatterns = [
    # Authenticated by the chat token in the Authorization header, not by a cookie: no CSRF.
    path("v1/chat/start", csrf_exempt(ChatStartApi.as_view())),
]
