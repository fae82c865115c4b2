"""The channel layer: Redis when several workers share sockets, else in memory."""

from __future__ import annotations

from .base import env

# --- Channels -----------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
REDIS_MAX_CONNECTIONS = env.int("REDIS_MAX_CONNECTIONS", default=2000)
# redis-py 8 gives up on a read after 5 s by default, the very time channels_redis asks Redis
# to block a receive (BZPOPMIN, 5 s): an idle socket's receive then timed out whenever the
# reply came a moment late. A read waits this long instead; a dead Redis is still noticed.
REDIS_SOCKET_TIMEOUT_S = env.float("REDIS_SOCKET_TIMEOUT_S", default=15.0)
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "chat.layers.ChatRedisChannelLayer",
            "CONFIG": {
                # redis-py's pool holds at most 100 connections by default and fails at once
                # past that; every concurrent group_send takes one.
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "max_connections": REDIS_MAX_CONNECTIONS,
                        "socket_timeout": REDIS_SOCKET_TIMEOUT_S,
                        "socket_connect_timeout": 5.0,
                    }
                ],
                "capacity": 1500,
                "expiry": 60,
            },
        }
    }
else:
    # Each socket's queue holds a whole streamed answer: a full queue drops frames silently.
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "chat.layers.ChatInMemoryChannelLayer",
            "CONFIG": {"capacity": 1500, "expiry": 60},
        }
    }
