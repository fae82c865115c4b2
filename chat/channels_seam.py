"""The one place the chat consumer steps past Channels' own behaviour.

Channels' `AsyncConsumer.dispatch` runs `aclose_old_connections` on the database thread
before every handler. That is a hop to the database thread per message, and a question
waited for it behind every other socket's database work before its own turn there. The chat
reaches the database only through `core.db.db_sync_to_async`, which checks the connection
before each call, so the hop did nothing for it.

`DirectDispatchConsumer` is Channels' dispatch without that hop, and nothing else: the
consumer (chat.consumers) inherits it instead of overriding Channels' internals itself.
`chat/tests/test_channels_seam.py` fails when a Channels release changes the dispatch this
replaces, so the seam is read again before it is trusted.
"""

from __future__ import annotations

from typing import Any

from channels.consumer import get_handler_name
from channels.generic.websocket import AsyncWebsocketConsumer


class DirectDispatchConsumer(AsyncWebsocketConsumer):
    """An AsyncWebsocketConsumer whose messages reach their handler without a database hop."""

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)
