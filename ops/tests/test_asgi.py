"""The ASGI entry point daphne and scripts/serve.py load."""

from __future__ import annotations

import gc


def test_startup_freezes_the_loaded_heap_out_of_full_collections():
    """A full collection walked everything startup loaded, with the event loop stopped
    (120–160 ms under the chat bench); frozen, it is never walked again."""
    from agentsite import asgi

    assert asgi.application is not None
    assert gc.get_freeze_count() > 100_000
