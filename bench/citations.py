"""How well the chat's figures check (chat.citations, issue 21 §4) tells true figures from
invented ones, on a fixed set of answers over the demo data (demo_data/citation_answers.py).

Each turn's data is real: the context pack and the results of the tools a model would call,
run as the demo users alice and bob (the analytics chat and the chat about each of their
first recommendations). Honest answers write the data's figures as people and models do
(rounded, in thousands, per year from per month, per month from per day); lying answers
replace every other figure with an invented one. Figures: the share of true figures cited,
the share of invented ones marked (targets: ≥ 95 %, 100 %), and the check's time per answer.

    .venv/bin/python bench/citations.py
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib.django_env import django_setup, temp_database
from lib.results import results_write, summary

TRUE_CITED_TARGET = 95.0
INVENTED_MARKED_TARGET = 100.0


def _check_ms(built) -> dict:
    from chat.citations import figures_check

    times = []
    for case in built:
        started = time.perf_counter()
        figures_check(text=case.text, sources=case.sources)
        times.append((time.perf_counter() - started) * 1000)
    return summary(times)


def main() -> dict:
    django_setup(db_path=temp_database())
    from demo_data.citation_answers import cases, measure
    from demo_data.personas import ALICE_EMAIL, BOB_EMAIL
    from infrazen.models import InfraZenUser

    users = [InfraZenUser.objects.get(email=email) for email in (ALICE_EMAIL, BOB_EMAIL)]
    built = cases(users)
    measured = measure(built)
    figures = {
        "answers": len(built),
        "answers_without_invented_figures": sum(1 for case in built if not case.invented),
        **measured.figures(),
        "check_ms_per_answer": _check_ms(built),
        "target_true_cited_percent": TRUE_CITED_TARGET,
        "target_invented_marked_percent": INVENTED_MARKED_TARGET,
    }
    figures["met"] = (
        figures["true_cited_percent"] >= TRUE_CITED_TARGET
        and figures["invented_marked_percent"] >= INVENTED_MARKED_TARGET
    )
    for key, value in figures.items():
        print(f"  {key}: {value}")
    for miss in measured.misses[:20]:
        print(f"  miss: {miss}")
    path = results_write(
        "citations",
        parameters={"dataset": "demo_seed", "users": ["alice", "bob"]},
        figures=figures,
        notes=[
            "The set: demo_data/citation_answers.py; the same set is asserted by "
            "chat/tests/test_citations_measure.py.",
            "An invented figure is the true value times a factor (1.37, 0.58, 2.6, 4.3, "
            "0.21), written the same way, kept only when no number of the turn's data (nor "
            "×30, ×12, ×3, /30, /12, ×100 of it) is within 2 % or its last written digit.",
            "check_ms_per_answer: figures_check alone (the sources' numbers read on first "
            "use, so each answer pays for its own), wall time on a shared, loaded machine.",
        ],
    )
    print(f"  → {path.relative_to(path.parents[2])}")
    return figures


if __name__ == "__main__":
    main()
