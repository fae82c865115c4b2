"""The budgets' scripts on each thread's own Redis connection: they survive a server that
forgot them and a connection it closed; a server gone fails the trip (the database counts)."""

from __future__ import annotations

import os
import threading
from datetime import date

import pytest
import redis
from redis.exceptions import ConnectionError, RedisError, ResponseError

from governance import redis_scripts
from governance.redis_scripts import Script, ThreadConnections
from governance.store import Charge, Counter, RedisBudgetStore

pytestmark = pytest.mark.redis

DAY = date(2026, 12, 7)


@pytest.fixture
def client():
    client = redis.Redis.from_url(os.environ["REDIS_URL"])
    yield client
    client.close()


def test_a_script_the_server_forgot_is_loaded_again(client):
    store = RedisBudgetStore(os.environ["REDIS_URL"])
    counter = Counter("tokens", "scripts-flushed", DAY)
    assert store.reserve([Charge(counter, 3, 10)]) is None

    client.script_flush()

    assert store.reserve([Charge(counter, 4, 10)]) is None
    assert store.used(counter) == 7


def test_a_connection_closed_while_idle_is_replaced_before_the_send(client, monkeypatch):
    store = RedisBudgetStore(os.environ["REDIS_URL"])
    counter = Counter("tokens", "scripts-killed", DAY)
    assert store.reserve([Charge(counter, 1, 10)]) is None

    # This thread's connection of the store, alone: the test process's others go on.
    client.client_kill_filter(_id=_connection_id(store._reserve.connections))
    monkeypatch.setattr(redis_scripts, "IDLE_CHECK_S", 0.0)  # idle long enough to be polled

    assert store.reserve([Charge(counter, 1, 10)]) is None
    assert store.used(counter) == 2


def test_a_failed_send_is_tried_once_more(client, monkeypatch):
    store = RedisBudgetStore(os.environ["REDIS_URL"])
    counter = Counter("tokens", "scripts-send-failed", DAY)
    sends = []

    def send(connection, command):
        sends.append(command[0])
        if len(sends) == 1:
            raise ConnectionError("reset under the send")
        real_send(connection, command)

    real_send = redis_scripts._send
    monkeypatch.setattr(redis_scripts, "_send", send)

    assert store.reserve([Charge(counter, 2, 10)]) is None
    assert sends == ["EVALSHA", "EVALSHA"]
    assert store.used(counter) == 2


def test_a_reply_lost_after_the_send_is_not_run_again(client, monkeypatch):
    """The settle may have run: a second run would give back twice."""
    store = RedisBudgetStore(os.environ["REDIS_URL"])
    counter = Counter("tokens", "scripts-reply-lost", DAY)
    assert store.reserve([Charge(counter, 5, 10)]) is None
    assert store.adjust([(counter, 0)]) == [5]  # the script loaded
    connection = store._settle.connections.get()
    read = connection.read_response

    def lost(*args, **kwargs):
        read(*args, **kwargs)
        raise ConnectionError("reset before the reply")

    monkeypatch.setattr(connection, "read_response", lost)

    with pytest.raises(RedisError):
        store.adjust([(counter, -3)])
    assert store.used(counter) == 2  # given back once
    assert store._settle.connections.connection is not connection


def test_a_server_gone_fails_the_trip(client):
    store = RedisBudgetStore("redis://127.0.0.1:1/0")

    with pytest.raises(RedisError):
        store.reserve([Charge(Counter("tokens", "scripts-gone", DAY), 1, 10)])


def _connection_id(connections: ThreadConnections) -> int:
    """The Redis client id of the calling thread's connection."""
    connection = connections.get()
    connection.send_command("CLIENT", "ID")
    return connection.read_response()


def test_each_thread_runs_on_its_own_connection(client):
    connections = ThreadConnections(client)
    script = Script(connections, "return 1")
    assert script(keys=[], args=[]) == 1
    ids = [_connection_id(connections), _connection_id(connections)]
    other: list[int] = []
    thread = threading.Thread(target=lambda: other.append(_connection_id(connections)))
    thread.start()
    thread.join()

    assert ids[0] == ids[1] != other[0]


def test_a_scripts_own_error_keeps_the_connection(client):
    connections = ThreadConnections(client)
    failing = Script(connections, "return redis.error_reply('no such budget')")
    before = _connection_id(connections)

    with pytest.raises(ResponseError, match="no such budget"):
        failing(keys=[], args=[])

    assert _connection_id(connections) == before


def test_without_hiredis_redis_py_packs_the_command(client, monkeypatch):
    monkeypatch.setattr(redis_scripts, "pack_command", None)
    script = Script(ThreadConnections(client), "return {KEYS[1], ARGV[1]}")

    assert script(keys=["k"], args=[7]) == [b"k", b"7"]
