"""CPU the personal-data scrub adds to a chat question and to a text request.

`llm.pii.PiiScrubber` (issue 20) will scrub every string sent to a model and restore what
comes back. This times, per payload, a fresh scrubber (one per turn or request) scrubbing the
demo data's real strings as the prompt carries them, with the owner's name: the chat question,
each context pack (compact JSON), a question with a pack and a few turns of history, and the
FACTS of each demo recommendation's text request; then restoring a model answer of a few
hundred characters with placeholders. p50/p95/max over many runs, in ms.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import django_setup, results_write, summary, temp_database

RUNS = 400
TARGET_MS = 1.0
QUESTION = "Почему сервер office стоит 5,610 ₽/мес и как сэкономить? Пишите на alice@itlab.ru"
HISTORY = [
    "Какие ресурсы дороже всего в этом месяце?",
    "Самые дорогие: сервер office (5,610 ₽/мес, 4 vCPU, 8 GB), база db-main (3 200 ₽/мес) "
    "и диск backup-01 (1 234,56 ₽/мес). Вместе 10 044,56 ₽/мес, это 62% расходов.",
    "Алиса, а что с IP 95.213.4.18 и 10.0.0.5? Мой телефон +7 (912) 345-67-89.",
    "Адрес 95.213.4.18 привязан к серверу office с 12.03.2024; внутренний 10.0.0.5 бесплатен.",
]
ANSWER = (
    "[имя 1], сервер office стоит 5,610 ₽/мес. Переход на 2 vCPU сэкономит 2 300 ₽/мес (41%). "
    "Уведомление уйдёт на [email 1], а номер [телефон 1] останется в профиле. "
) * 3


def _ms(function, runs: int = RUNS) -> dict[str, float]:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        times.append((time.perf_counter() - started) * 1000)
    return summary(times)


def _payloads(user) -> dict[str, list[str]]:
    from chat.context import context_pack_build, context_pack_json
    from infrazen.models import OptimizationRecommendation
    from recommendations_ai import prompts
    from recommendations_ai.facts import facts_build

    recs = list(OptimizationRecommendation.objects.filter(resource__provider__user=user))
    analytics = context_pack_json(
        pack=context_pack_build(user=user, scenario="analytics", recommendation_id=None, context={})
    )
    rec_pack = context_pack_json(
        pack=context_pack_build(
            user=user, scenario="recommendation", recommendation_id=recs[0].pk, context={}
        )
    )
    payloads = {
        "question": [QUESTION],
        "analytics pack": [analytics],
        "recommendation pack": [rec_pack],
        "chat turn (analytics pack + history + question)": [analytics, *HISTORY, QUESTION],
    }
    for rec in recs:
        facts = facts_build(recommendation=rec)
        user_message = prompts.text_messages(facts=facts.as_dict(), family=facts.family)[1]
        payloads.setdefault("text request facts", []).append(user_message["content"])
    return payloads


def main() -> dict:
    django_setup(db_path=temp_database())
    from infrazen.demo import ALICE_EMAIL
    from infrazen.models import InfraZenUser
    from llm.pii import PiiScrubber

    user = InfraZenUser.objects.get(email=ALICE_EMAIL)
    names = (user.first_name, user.last_name)
    figures: dict = {}
    for name, texts in _payloads(user).items():
        if name == "text request facts":
            per_request = [
                _ms(lambda text=text: PiiScrubber(names=names).scrub(text), RUNS // 10)
                for text in texts
            ]
            figures[name] = {
                "requests": len(texts),
                "chars max": max(len(text) for text in texts),
                "p50": max(f["p50"] for f in per_request),
                "p95": max(f["p95"] for f in per_request),
                "max": max(f["max"] for f in per_request),
            }
            continue

        def turn(texts=texts) -> None:
            scrubber = PiiScrubber(names=names)
            for text in texts:
                scrubber.scrub(text)

        figures[name] = {"chars": sum(len(text) for text in texts), **_ms(turn)}
    scrubber = PiiScrubber(names=names)
    scrubber.scrub(QUESTION + " Алиса, +7 (912) 345-67-89")
    figures["restore answer"] = {"chars": len(ANSWER), **_ms(lambda: scrubber.restore(ANSWER))}
    for key, value in figures.items():
        print(f"  {key}: {value}")
    worst = max(
        figures["chat turn (analytics pack + history + question)"]["p95"],
        figures["text request facts"]["p95"],
    )
    path = results_write(
        "pii_scrub",
        parameters={"dataset": "demo_seed", "runs": RUNS, "names": "owner's first and last"},
        figures={**figures, "target_p95_ms": TARGET_MS, "met": worst <= TARGET_MS},
        notes=[
            "A fresh llm.pii.PiiScrubber per chat turn / text request, as the wiring will use "
            "it; ms per payload (all strings of one turn together), time.perf_counter.",
            "text request facts: the user message of text_messages for each demo "
            "recommendation; p50/p95/max are the worst recommendation's.",
        ],
    )
    print(f"  → {path.relative_to(path.parents[2])}")
    return figures


if __name__ == "__main__":
    main()
