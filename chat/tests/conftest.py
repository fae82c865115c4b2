from __future__ import annotations

import pytest
from channels.layers import channel_layers


@pytest.fixture(autouse=True)
def _channel_layer_per_test():
    """Each async test runs its own event loop; a Redis layer's locks and connections belong
    to the loop that made them, so every test gets a layer of its own."""
    channel_layers.backends.clear()
    yield
    channel_layers.backends.clear()
