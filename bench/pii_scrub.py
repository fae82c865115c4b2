"""CPU the personal-data scrub adds to a chat question and to a text request.

`llm.pii.PiiScrubber` (issue 20) will scrub every string sent to a model and restore what
comes back. This times, per payload, a fresh scrubber (one per turn or request) scrubbing the
demo data's real strings as the prompt carries them, with the owner's name: the chat question,
each context pack (compact JSON), a question with a pack and a few turns of history (and with
four analytics tools' results, as the engine serialises them), and the
FACTS of each demo recommendation's text request; then restoring a model answer of a few
hundred characters with placeholders. p50/p95/max over many runs, in ms of CPU (the cost the
scrub adds) and of wall time.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib.django_env import django_setup, temp_database
from lib.pii_payloads import ANALYTICS_TOOLS, ANSWER, HISTORY, QUESTION, tool_content
from lib.results import results_write, summary, wall_and_cpu_ms

RUNS = 400
TARGET_MS = 1.0


def _times(function, runs: int = RUNS) -> tuple[list[float], list[float]]:
    return wall_and_cpu_ms(function, runs)


def _figures(wall: list[float], cpu: list[float]) -> dict:
    return {**summary(cpu), "wall": summary(wall)}


def _ms(function, runs: int = RUNS) -> dict:
    return _figures(*_times(function, runs))


def _payloads(user) -> dict[str, list[list[str]]]:
    """Each payload as the rounds of one turn: the strings each model request adds."""
    from chat.context import context_pack_build, context_pack_json
    from infrazen.models import OptimizationRecommendation

    recs = list(OptimizationRecommendation.objects.filter(resource__provider__user=user))
    analytics = context_pack_json(
        pack=context_pack_build(user=user, scenario="analytics", recommendation_id=None, context={})
    )
    rec_pack = context_pack_json(
        pack=context_pack_build(
            user=user, scenario="recommendation", recommendation_id=recs[0].pk, context={}
        )
    )
    tools = [tool_content(user, name) for name in ANALYTICS_TOOLS]
    turn = [analytics, *HISTORY, QUESTION]
    return {
        "question": [[QUESTION]],
        "analytics pack": [[analytics]],
        "recommendation pack": [[rec_pack]],
        "chat turn (analytics pack + history + question)": [turn],
        "chat turn with tool results, one request": [[*turn, *tools]],
        # Each tool round resends the conversation so far plus the new results.
        "chat turn, 3 model requests (2 tool rounds)": [turn, tools[:2], tools[2:]],
    }


def _facts_payloads(user) -> list[str]:
    from infrazen.models import OptimizationRecommendation
    from recommendations_ai import prompts
    from recommendations_ai.facts import facts_build

    payloads = []
    for rec in OptimizationRecommendation.objects.filter(resource__provider__user=user):
        facts = facts_build(recommendation=rec)
        payloads.append(prompts.text_messages(facts=facts.as_dict(), family=facts.family)[1])
    return [message["content"] for message in payloads]


def _turn_ms(rounds: list[list[str]], names: tuple) -> dict[str, float]:
    from llm.pii import PiiScrubber

    def turn() -> None:
        scrubber, sent = PiiScrubber(names=names), []
        for added in rounds:
            sent += added
            for text in sent:
                scrubber.scrub(text)

    return {"chars": sum(len(text) for added in rounds for text in added), **_ms(turn)}


def _facts_ms(texts: list[str], names: tuple) -> dict[str, float]:
    """All text requests' timings pooled: the p95 of one request, whichever it is."""
    from llm.pii import PiiScrubber

    wall, cpu = [], []
    for text in texts:
        times = _times(lambda text=text: PiiScrubber(names=names).scrub(text), RUNS // 4)
        wall += times[0]
        cpu += times[1]
    return {
        "requests": len(texts),
        "chars max": max(len(text) for text in texts),
        **_figures(wall, cpu),
    }


def main() -> dict:
    django_setup(db_path=temp_database())
    from demo_data.personas import ALICE_EMAIL
    from infrazen.models import InfraZenUser
    from llm.pii import PiiScrubber

    user = InfraZenUser.objects.get(email=ALICE_EMAIL)
    names = (user.first_name, user.last_name)
    figures: dict = {name: _turn_ms(rounds, names) for name, rounds in _payloads(user).items()}
    figures["text request facts"] = _facts_ms(_facts_payloads(user), names)
    scrubber = PiiScrubber(names=names)
    scrubber.scrub(QUESTION + " Алиса, +7 (912) 345-67-89")
    figures["restore answer"] = {"chars": len(ANSWER), **_ms(lambda: scrubber.restore(ANSWER))}
    for key, value in figures.items():
        print(f"  {key}: {value}")
    worst = max(
        figures["chat turn, 3 model requests (2 tool rounds)"]["p95"],
        figures["text request facts"]["p95"],
    )
    path = results_write(
        "pii_scrub",
        parameters={"dataset": "demo_seed", "runs": RUNS, "names": "owner's first and last"},
        figures={**figures, "target_p95_ms": TARGET_MS, "met": worst <= TARGET_MS},
        notes=[
            "A fresh llm.pii.PiiScrubber per chat turn / text request, as the wiring will use "
            "it; ms per payload (all strings of one turn together): CPU of this thread "
            "(time.thread_time), and under 'wall' time.perf_counter, which on the shared "
            "machine also counts other processes' turns on the core.",
            "text request facts: the user message of text_messages for each demo "
            "recommendation, RUNS/4 runs each, pooled.",
            "3 model requests: the scrubber remembers strings it scrubbed, so a resent "
            "message costs a dict lookup.",
        ],
    )
    print(f"  → {path.relative_to(path.parents[2])}")
    return figures


if __name__ == "__main__":
    main()
