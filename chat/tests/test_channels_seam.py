"""The seam where the chat consumer leaves Channels' behaviour (chat.channels_seam)."""

from __future__ import annotations

import ast
import inspect
import textwrap

import pytest
from channels.consumer import AsyncConsumer

from chat.channels_seam import DirectDispatchConsumer
from chat.consumers import ChatConsumer


def _body(function) -> list[str]:
    tree = ast.parse(textwrap.dedent(inspect.getsource(function)))
    body = tree.body[0].body
    if isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    return [ast.unparse(node) for node in body]


def test_channels_dispatch_is_still_the_one_the_seam_replaces():
    """A Channels release that changes its dispatch must be read before the seam is trusted."""
    channels_body = "\n".join(_body(AsyncConsumer.dispatch))

    assert "handler = getattr(self, get_handler_name(message), None)" in channels_body
    assert "await aclose_old_connections()" in channels_body
    assert "await handler(message)" in channels_body
    assert channels_body.count("await ") == 2


def test_the_seam_is_channels_dispatch_without_the_database_hop():
    seam_body = "\n".join(_body(DirectDispatchConsumer.dispatch))

    assert "aclose_old_connections" not in seam_body
    assert "await handler(message)" in seam_body


def test_the_consumer_overrides_no_channels_internals():
    own = set(vars(ChatConsumer))

    assert not own & {"dispatch", "__call__", "__init__", "channel_receive", "websocket_receive"}
    assert issubclass(ChatConsumer, DirectDispatchConsumer)


async def test_the_seam_hands_a_message_to_its_handler_and_refuses_an_unknown_type():
    heard = []

    class Consumer(DirectDispatchConsumer):
        async def chat_frame(self, event):
            heard.append(event)

    consumer = Consumer()
    await consumer.dispatch({"type": "chat.frame", "n": 1})
    with pytest.raises(ValueError, match=r"No handler for message type chat\.nothing"):
        await consumer.dispatch({"type": "chat.nothing"})

    assert heard == [{"type": "chat.frame", "n": 1}]
