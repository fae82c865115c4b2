"""A deploy while the stock InfraZen client is mid-answer: SIGTERM to the live agent, which is
then served again on the same port and database (ops/daphne/shutdown.py)."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import pytest

from chat.services import RESTART_MARKER
from chat.tests.browser.live import SERVICE_TOKEN, SHUTDOWN_GRACE_S
from llm.fake_server import Reply

# The stock client's reconnect step: attempts after 1, 2, 3, 4 and 5 s cover the restart.
RECONNECT_MS = 1000
REPLAY_WAIT_MS = 30_000


def _replayed_after_reconnect(question: str) -> str:
    """A second `system` frame (the reconnect), then the question from the history."""
    return (
        "(() => { const f = window.chatLog.frames;"
        " const i = f.map(x => x.type).lastIndexOf('system');"
        " return f.filter(x => x.type === 'system').length >= 2"
        f" && f.slice(i).some(x => x.type === 'user' && x.content === {question!r}); }})()"
    )


def _restarted(agent) -> float:
    stopped_in = agent.stop()
    agent.start()
    return stopped_in


@pytest.fixture(autouse=True)
def _served_again(agent):
    """A test that fails while the agent is stopped leaves it served for the next tests."""
    yield
    if agent.process is None:
        agent.start()


def _readiness(agent) -> tuple[int, dict]:
    """(status, body); (0, {}) once the worker no longer accepts connections."""
    try:
        # The checks' details are for the service token only.
        ready = urllib.request.Request(
            f"{agent.base_url}/v1/readiness", headers={"Authorization": f"Bearer {SERVICE_TOKEN}"}
        )
        with urllib.request.urlopen(ready, timeout=2) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())
    except OSError:
        return 0, {}


def _serving(readiness: tuple[int, dict]) -> bool | None:
    """The `serving` check's verdict, None when the answer has none."""
    checks = {c["name"]: c for c in readiness[1].get("checks", [])}
    return checks["serving"]["ok"] if "serving" in checks else None


def test_a_deploy_mid_answer_stores_what_was_streamed_and_the_client_sees_it(open_tab, agent):
    rec = agent.ids.alice_recommendations[10]
    # 400 words at 40 a second: far longer than the shutdown's grace.
    agent.model.enqueue(Reply.answer("слово " * 400, tokens_per_s=40))
    tab = open_tab(query=f"scenario=recommendation&rec={rec}&reconnect_ms={RECONNECT_MS}")
    tab.wait("window.chatLog.statuses.includes('connected')")
    tab.ask("Расскажи подробно")
    tab.wait("window.chatLog.frames.some(f => f.type === 'assistant_delta')")

    # While the answer runs on, the worker tells the load balancer it is going away.
    stopping = threading.Thread(target=agent.stop)
    started = time.monotonic()
    stopping.start()
    readiness = _readiness(agent)
    # Until the draining worker says so: a worker that is exiting may fail another check first.
    while (
        readiness[0] != 0
        and _serving(readiness) is not False
        and time.monotonic() - started < SHUTDOWN_GRACE_S - 1
    ):
        time.sleep(0.1)
        readiness = _readiness(agent)
    stopping.join()
    stopped_in = time.monotonic() - started
    agent.start()

    assert readiness[0] == 503, readiness
    assert _serving(readiness) is False, readiness
    # Cut after the grace, not at once and not by the kill that follows the stop timeout.
    assert SHUTDOWN_GRACE_S - 0.5 < stopped_in < SHUTDOWN_GRACE_S + 8, agent.log_tail()
    log = tab.log()
    # Before its socket closed, the client got the answer as far as it went.
    live = [f for f in log["frames"] if f["type"] == "assistant" and f.get("status")]
    assert live and live[-1]["status"] == "failed", agent.log_tail()
    assert live[-1]["content"].startswith("слово")
    assert live[-1]["content"].endswith(RESTART_MARKER.strip())
    assert any(f["type"] == "error" and f["code"] == "service_restart" for f in log["frames"])
    # Told why the socket closed (1012, Service Restart), so it reconnects.
    assert log["closes"][0] == {"code": 1012, "reason": "Service restarting"}
    # After the restart the history shows the question and the stored partial answer.
    tab.wait(_replayed_after_reconnect("Расскажи подробно"), timeout=REPLAY_WAIT_MS)
    frames = tab.frames()
    replayed = frames[max(i for i, f in enumerate(frames) if f["type"] == "system") :]
    answers = [f for f in replayed if f["type"] == "assistant"]
    assert [a["content"] for a in answers] == [live[-1]["content"]]
    assert "0 chat answers finished, 1 interrupted and stored" in agent.log_tail()


def test_a_deploy_lets_a_short_answer_finish_first(open_tab, agent):
    rec = agent.ids.alice_recommendations[11]
    # Sixteen words, as many as before, and no figure to be marked unverified (chat.citations).
    answer = (
        "Экономия будет ощутимой каждый месяц: снимок давно лежит без дела и ни к чему не привязан."
    )
    agent.model.enqueue(Reply.answer(answer, tokens_per_s=8))
    tab = open_tab(query=f"scenario=recommendation&rec={rec}&reconnect_ms={RECONNECT_MS}")
    tab.wait("window.chatLog.statuses.includes('connected')")
    tab.ask("Сколько я сэкономлю?")
    tab.wait("window.chatLog.frames.some(f => f.type === 'assistant_delta')")

    stopped_in = _restarted(agent)

    assert stopped_in < SHUTDOWN_GRACE_S, agent.log_tail()
    live = [f for f in tab.frames() if f["type"] == "assistant" and f.get("status")]
    assert [(f["status"], f["content"]) for f in live] == [("done", answer)]
    tab.wait(_replayed_after_reconnect("Сколько я сэкономлю?"), timeout=REPLAY_WAIT_MS)
    frames = tab.frames()
    replayed = frames[max(i for i, f in enumerate(frames) if f["type"] == "system") :]
    assert [f["content"] for f in replayed if f["type"] == "assistant"] == [answer]


def test_a_deploy_lets_a_text_request_in_flight_finish(agent):
    """The InfraZen app's sync asks for a recommendation's texts as the worker is stopped."""
    rec = agent.ids.alice_recommendations[12]
    texts = {"short_description_html": "Текст", "detailed_description_html": "Подробный текст"}
    agent.model.enqueue(Reply.structured_output(texts, ttfb_s=2.0))
    request = urllib.request.Request(
        f"{agent.base_url}/v1/generate/recommendation-text",
        data=json.dumps({"recommendation_id": rec}).encode(),
        headers={"Authorization": f"Bearer {SERVICE_TOKEN}", "Content-Type": "application/json"},
    )
    answered: dict = {}

    def call() -> None:
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                answered.update(status=response.status, body=json.loads(response.read()))
        except OSError as exc:  # a reset or a refused connection: the assertion shows it
            answered.update(error=repr(exc))

    seen = len(agent.model.chat_requests())
    caller = threading.Thread(target=call)
    caller.start()
    until = time.monotonic() + 10
    while len(agent.model.chat_requests()) == seen and time.monotonic() < until:
        time.sleep(0.05)
    stopped_in = _restarted(agent)
    caller.join(timeout=30)

    assert answered.get("status") == 200, (answered, agent.log_tail())
    assert answered["body"]["recommendation_id"] == rec
    assert "error" not in answered["body"]
    assert stopped_in < SHUTDOWN_GRACE_S + 2
