from __future__ import annotations

from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from chat.apis import ChatConnectionsApi, ChatImageStatusApi, ChatImageUploadApi, ChatStartApi
from chat.upload_api import UploadApi

urlpatterns = [
    # Authenticated by the chat token in the Authorization header, not by a cookie: no CSRF.
    path("v1/chat/start", csrf_exempt(ChatStartApi.as_view())),
    # The stock InfraZen client uploads with no cookie and no token (see chat.images).
    path("v1/chat/upload", csrf_exempt(ChatImageUploadApi.as_view())),
    path("v1/chat/image/<str:image_id>", ChatImageStatusApi.as_view()),
    # Multipart or JSON base64, with the chat token (the product description's upload).
    path("v1/upload", csrf_exempt(UploadApi.as_view())),
    # No cookie, no state: a wrong method gets the JSON 405, not the CSRF refusal.
    path("v1/chat/connections", csrf_exempt(ChatConnectionsApi.as_view())),
]
