"""The budgets' scripts on each thread's own Redis connection: they survive a server that
forgot them and a connection it closed; a server gone fails the trip (the database counts)."""

from __future__ import annotations

import os
import threading
from datetime import date

import pytest
import redis
from redis.exceptions import RedisError, ResponseError

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


def test_a_killed_connection_is_replaced_within_the_trip(client):
    store = RedisBudgetStore(os.environ["REDIS_URL"])
    counter = Counter("tokens", "scripts-killed", DAY)
    assert store.reserve([Charge(counter, 1, 10)]) is None

    # This thread's connection of the store, alone: the test process's others go on.
    client.client_kill_filter(_id=_connection_id(store._reserve.connections))

    assert store.reserve([Charge(counter, 1, 10)]) is None
    assert store.used(counter) == 2


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
