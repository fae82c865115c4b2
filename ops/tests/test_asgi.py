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


def test_startup_makes_daphne_wait_for_the_clients_answer_to_a_close():
    """A refused socket was reset before the browser read its close frame (1006, no code)."""
    from daphne.ws_protocol import WebSocketFactory

    from agentsite import asgi  # noqa: F401
    from ops.daphne.close import CLOSE_HANDSHAKE_TIMEOUT_S

    factory = WebSocketFactory(server_class=None)
    # What daphne's Server.run then sets must not undo it.
    factory.setProtocolOptions(autoPingTimeout=30, openHandshakeTimeout=5)
    assert factory.closeHandshakeTimeout == CLOSE_HANDSHAKE_TIMEOUT_S >= 2


def test_txaio_rounds_a_timer_down_to_the_whole_second():
    """Why the wait above is long: autobahn's 1 s close wait may end 2 ms after it began.
    If a txaio release stops rounding, ops/daphne/close.py's timeout may go back."""
    from txaio._common import _BatchedTimer

    scheduled = []
    timer = _BatchedTimer(
        200,
        100,
        seconds_provider=lambda: 49.998,
        delayed_call_creator=lambda delay, *args: scheduled.append(delay),
    )
    timer.call_later(1.0, lambda: None)
    assert scheduled[0] < 0.01
