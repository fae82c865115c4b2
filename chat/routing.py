from __future__ import annotations

# The chat consumers are added by the chat engine (issue 4).
websocket_urlpatterns: list = []
