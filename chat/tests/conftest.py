from __future__ import annotations

import pytest
from channels.layers import channel_layers

# Its asserts (assert_well_formed) report the values, as a test module's do.
pytest.register_assert_rewrite("chat.tests.offline_talk")


@pytest.fixture(autouse=True)
def _channel_layer_per_test():
    """Each async test runs its own event loop; a Redis layer's locks and connections belong
    to the loop that made them, so every test gets a layer of its own."""
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()
