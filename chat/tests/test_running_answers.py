"""The running answers of a process (chat.running): one per session, from reservation to
release, stoppable; and the chat's channel layers as the readiness check names them."""

from __future__ import annotations

import asyncio

from chat.layers import ChatInMemoryChannelLayer
from chat.running import RunningAnswers
from ops.readiness import _backend_name


async def _answer(release: asyncio.Event) -> str:
    await release.wait()
    return "done"


async def test_a_session_is_reserved_once_until_its_answer_ends():
    answers = RunningAnswers()
    assert answers.reserve("s1") and not answers.reserve("s1")
    assert answers.running("s1") and answers.running_id("s1") is None
    release = asyncio.Event()
    task = answers.start(session_id="s1", answer_id=7, run=_answer(release))
    assert answers.running_id("s1") == 7 and not answers.reserve("s1")
    release.set()
    assert await task == "done"
    await asyncio.sleep(0)  # the done callback
    assert not answers.running("s1") and answers.running_id("s1") is None
    assert answers.reserve("s1")


async def test_a_reservation_whose_question_was_not_stored_is_given_back():
    answers = RunningAnswers()
    assert answers.reserve("s1")
    answers.release("s1")
    assert not answers.any() and answers.reserve("s1")


async def test_a_stop_cancels_the_answer_and_is_told_apart_from_a_shutdown():
    answers = RunningAnswers()
    seen: list[bool] = []

    async def run() -> str:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            task = asyncio.current_task()
            seen.append(answers.stop_requested(task))
            seen.append(answers.cancelled(task))
        return "stopped"

    task = answers.start(session_id="s1", answer_id=1, run=run())
    await asyncio.sleep(0)
    assert answers.stop("s1")
    assert await task == "stopped"
    assert seen == [True, False]  # stop requested; not a shutdown's interruption
    assert not answers.stop("s1")  # nothing left to stop


async def test_an_answer_released_by_its_own_task_does_not_release_the_next():
    answers = RunningAnswers()
    first = answers.start(session_id="s1", answer_id=1, run=_answer(asyncio.Event()))
    answers.release_own("s1", first)
    second = answers.start(session_id="s1", answer_id=2, run=_answer(asyncio.Event()))
    answers.release_own("s1", first)
    assert answers.running_id("s1") == 2
    for task in (first, second):
        task.cancel()
    await asyncio.wait({first, second})


def test_the_readiness_check_names_the_channels_backend_under_the_chat_layer():
    assert _backend_name(ChatInMemoryChannelLayer()) == "InMemoryChannelLayer"
