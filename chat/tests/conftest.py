from __future__ import annotations

import pytest
from channels.layers import channel_layers

from conftest import make_recommendation, make_resource
from core import shutdown
from governance.tests.wiring import budget_settings, moved_clock  # noqa: F401 (fixtures)
from infrazen.models import CloudProvider

# Its asserts (assert_well_formed) report the values, as a test module's do.
pytest.register_assert_rewrite("chat.tests.offline_talk")


@pytest.fixture(autouse=True)
def _channel_layer_per_test():
    """Each async test runs its own event loop; a Redis layer's locks and connections belong
    to the loop that made them, so every test gets a layer of its own."""
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()


@pytest.fixture
def rec(alice):
    yandex = CloudProvider.objects.get(user=alice, provider_type="yandex")
    resource = make_resource(yandex, "old-backup", status="STOPPED")
    return make_recommendation(resource)


@pytest.fixture
def bob_rec(bob):
    selectel = CloudProvider.objects.get(user=bob, provider_type="selectel")
    return make_recommendation(make_resource(selectel, "bob-secret-box"))


@pytest.fixture
def shutdown_flag_reset():
    """ANSWERS.drain marks the process as shutting down for good; the next test's is not."""
    yield
    shutdown._SHUTTING_DOWN.clear()
