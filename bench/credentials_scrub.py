"""CPU the credentials scrub adds to a chat question: µs per context pack, per question.

Every message sent to a model passes `llm.redact.messages_scrub`; this times it on the
demo data's real context packs (compact JSON, as the prompt carries them) with timeit.
"""

from __future__ import annotations

import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib.django_env import django_setup, temp_database
from lib.results import results_write

RUNS = 2000
QUESTION = "Почему сервер office стоит 5,610 ₽/мес и как сэкономить?"


def _us(function, number: int = RUNS) -> float:
    return timeit.timeit(function, number=number) / number * 1e6


def main() -> dict:
    django_setup(db_path=temp_database())
    from chat.context import context_pack_build, context_pack_json
    from demo_data.personas import ALICE_EMAIL
    from infrazen.models import InfraZenUser, OptimizationRecommendation
    from llm.redact import credentials_scrub

    user = InfraZenUser.objects.get(email=ALICE_EMAIL)
    packs = {
        "analytics": context_pack_json(
            pack=context_pack_build(
                user=user, scenario="analytics", recommendation_id=None, context={}
            )
        )
    }
    for rec in OptimizationRecommendation.objects.filter(resource__provider__user=user)[:5]:
        packs[f"recommendation {rec.pk}"] = context_pack_json(
            pack=context_pack_build(
                user=user, scenario="recommendation", recommendation_id=rec.pk, context={}
            )
        )
    figures = {"question_us": round(_us(lambda: credentials_scrub(QUESTION), 20000), 2)}
    for name, text in packs.items():
        figures[f"pack_us {name}"] = round(_us(lambda text=text: credentials_scrub(text)), 1)
        figures[f"pack_chars {name}"] = len(text)
    for key, value in figures.items():
        print(f"  {key}: {value}")
    path = results_write(
        "credentials_scrub",
        parameters={"dataset": "demo_seed", "runs": RUNS},
        figures=figures,
        notes=["timeit of llm.redact.credentials_scrub on compact-JSON context packs."],
    )
    print(f"  → {path.relative_to(path.parents[2])}")
    return figures


if __name__ == "__main__":
    main()
