"""The budgets' Lua scripts (governance.store), run on a Redis connection of the calling
thread's own.

A chat question makes three or four script trips and a text request two, each on the path of
an answer. redis-py's client takes a connection from its pool, checks it for stray data,
retries and releases it around every command: about half of a trip's CPU on loopback. The
threads that run budgets are few and long-lived (the chat's database thread, the request
executor's), so each keeps one connection and sends EVALSHA on it directly; a script Redis
does not hold yet (a restarted server) is loaded and run again.

A connection that failed mid-command is closed. A trip whose command never reached the server
(its send failed) is tried once more on a new connection; one whose reply was lost is not (the
script may have run: a settle run twice would give back twice), and its error goes on
(RedisError). A connection idle for IDLE_CHECK_S is polled before it is used, so one the server
closed meanwhile is replaced before the send rather than found out after it.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Sequence

from redis import exceptions

try:
    from hiredis import pack_command
except ImportError:  # pragma: no cover - hiredis is in requirements.txt
    pack_command = None

# A connection idle longer than this is checked before a trip (governance.redis_scripts).
IDLE_CHECK_S = 1.0

# KEYS: the counters; ARGV: the TTL, then each key's amount and limit in turn.
RESERVE_SCRIPT = """
for i = 1, #KEYS do
  local used = tonumber(redis.call('GET', KEYS[i]) or '0')
  if used >= tonumber(ARGV[2 * i + 1]) then return i end
end
for i = 1, #KEYS do
  redis.call('INCRBY', KEYS[i], ARGV[2 * i])
  redis.call('EXPIRE', KEYS[i], ARGV[1])
end
return 0
"""
# A question's rate window and its first reservation at once. KEYS: ops.ratelimit's window
# key, then the counters; ARGV: the window's TTL and limit, the counters' TTL, then each
# counter's amount and limit in turn. Returns the window's count and, only when the window
# admitted the hit, the refused counter's number as RESERVE_SCRIPT (else 0).
WINDOW_RESERVE_SCRIPT = """
local count = redis.call('INCR', KEYS[1])
redis.call('EXPIRE', KEYS[1], ARGV[1])
if count > tonumber(ARGV[2]) then return {count, 0} end
for i = 2, #KEYS do
  local used = tonumber(redis.call('GET', KEYS[i]) or '0')
  if used >= tonumber(ARGV[2 * i + 1]) then return {count, i - 1} end
end
for i = 2, #KEYS do
  redis.call('INCRBY', KEYS[i], ARGV[2 * i])
  redis.call('EXPIRE', KEYS[i], ARGV[3])
end
return {count, 0}
"""
# A settle, hits in rate windows with it (the tools a model call asks for), then the next
# call's reservation (as RESERVE_SCRIPT's, on the counters as settled). KEYS: the counters to
# settle, the window keys, the counters to reserve on; ARGV: the counters' TTL, how many
# counters to settle and windows, each settled counter's delta, the windows' TTL, then each
# reserved counter's amount and limit in turn. Returns each settled counter's value after,
# the windows' counts, and the refused reserve counter's number (0: reserved, or none).
SETTLE_SCRIPT = """
local n, w = tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for i = 1, n do
  out[i] = redis.call('INCRBY', KEYS[i], ARGV[3 + i])
  redis.call('EXPIRE', KEYS[i], ARGV[1])
end
for i = n + 1, n + w do
  out[i] = redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ARGV[4 + n])
end
local refused = 0
for k = 1, #KEYS - n - w do
  local used = tonumber(redis.call('GET', KEYS[n + w + k]) or '0')
  if used >= tonumber(ARGV[4 + n + 2 * k]) then
    refused = k
    break
  end
end
if refused == 0 then
  for k = 1, #KEYS - n - w do
    redis.call('INCRBY', KEYS[n + w + k], ARGV[3 + n + 2 * k])
    redis.call('EXPIRE', KEYS[n + w + k], ARGV[1])
  end
end
out[n + w + 1] = refused
return out
"""


class ThreadConnections(threading.local):
    """One connection per thread, made from a client's pool settings (not taken from the
    pool: the thread keeps it)."""

    connection = None
    used_at = 0.0

    def __init__(self, client) -> None:
        self.pool = client.connection_pool

    def get(self):
        """The thread's connection; one idle for a while is checked first (a poll, no
        trip): a server that closed it (a restart, its idle timeout) gets a new one before
        anything is sent."""
        now = time.monotonic()
        if self.connection is not None and now - self.used_at > IDLE_CHECK_S:
            try:
                closed = self.connection.can_read(timeout=0)
            except exceptions.ConnectionError:
                closed = True
            if closed:
                self.drop()
        if self.connection is None:
            self.connection = self.pool.connection_class(**self.pool.connection_kwargs)
        self.used_at = now
        return self.connection

    def drop(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None:
            connection.disconnect()


class Script:
    """A Lua script, called as redis-py's Script is: `script(keys=[...], args=[...])`."""

    def __init__(self, connections: ThreadConnections, source: str) -> None:
        self.connections = connections
        self.source = source
        self.sha = hashlib.sha1(source.encode(), usedforsecurity=False).hexdigest()

    def __call__(self, *, keys: Sequence[str], args: Sequence[int | str]):
        command = ("EVALSHA", self.sha, len(keys), *keys, *args)
        try:
            connection = self._sent(command)
        except exceptions.ConnectionError:
            # Nothing reached the server (a connection closed under the send): once more on
            # a new one. A reply lost after the send is not retried: the script may have run,
            # and a settle run twice would give back twice.
            connection = self._sent(command)
        try:
            try:
                return connection.read_response()
            except exceptions.NoScriptError:
                # Not run: the server forgot the script (a restart). Loaded, then run.
                connection.send_command("SCRIPT", "LOAD", self.source)
                connection.read_response()
                _send(connection, command)
                return connection.read_response()
        except exceptions.ResponseError:
            raise  # the script's own error: the connection is in step
        except BaseException:
            # A timeout, a reset, half a reply read: the connection may be out of step.
            self.connections.drop()
            raise

    def _sent(self, command: tuple):
        connection = self.connections.get()
        try:
            _send(connection, command)
        except BaseException:
            self.connections.drop()
            raise
        return connection


def _send(connection, command: tuple) -> None:
    if pack_command is None:
        connection.send_command(*command)
    else:
        # hiredis packs the whole command in C; redis-py would encode each argument first.
        connection.send_packed_command([pack_command(command)])
