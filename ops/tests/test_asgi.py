"""The ASGI entry point daphne and scripts/serve.py load."""

from __future__ import annotations

import gc


def test_startup_freezes_the_loaded_heap_out_of_full_collections():
    """A full collection walked everything startup loaded, with the event loop stopped
    (120–160 ms under the chat bench); frozen, it is never walked again."""
    from agentsite import asgi

    assert asgi.application is not None
    assert gc.get_freeze_count() > 100_000


def test_startup_loads_the_tokenizer_before_the_first_question():
    """Its vocabulary took about a second to load, in each worker's first question."""
    from agentsite import asgi  # noqa: F401
    from chat.selectors import _encoding

    assert _encoding.cache_info().currsize == 1
