"""Input tokens per recommendation text request, measured on the wire.

For every demo recommendation the real `text_generate` runs against an in-process
FakeLLMServer; the first request it sends (messages + the forced tool Instructor adds in
TOOLS mode) is what gets counted, with the o200k (gpt-4o family) and cl100k encodings:
content tokens + 4 per message + 3 to prime the reply, plus the tools JSON.

    .venv/bin/python bench/prompt_size.py
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lib.django_env import fake_llm_and_django
from lib.fake_models import TemplateAnswers, facts_payload
from lib.results import results_write, summary

TARGET_AVG_O200K = 400
PER_MESSAGE = 4
REPLY_PRIMING = 3
ENCODINGS = ("o200k_base", "cl100k_base")


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def request_tokens(body: dict, enc) -> dict[str, int]:
    """Tokens of one chat request, split into the parts a prompt change would touch."""
    messages = body["messages"]
    system = sum(len(enc.encode(m["content"])) for m in messages if m["role"] == "system")
    user_texts = [m["content"] for m in messages if m["role"] == "user"]
    user = sum(len(enc.encode(text)) for text in user_texts)
    facts = facts_payload(body) or ""
    facts_tokens = len(enc.encode(facts))
    tools = len(enc.encode(_json(body.get("tools") or []))) if body.get("tools") else 0
    tool_choice = len(enc.encode(_json(body["tool_choice"]))) if body.get("tool_choice") else 0
    overhead = PER_MESSAGE * len(messages) + REPLY_PRIMING
    return {
        "total": system + user + overhead + tools + tool_choice,
        "system": system,
        "user_hint": user - facts_tokens,
        "facts_json": facts_tokens,
        "tools": tools + tool_choice,
        "message_overhead": overhead,
    }


async def _capture(recs, server) -> list[dict]:
    from llm.gateway import deadline_in
    from recommendations_ai.services import text_generate

    bodies = []
    for rec in recs:
        before = len(server.chat_requests())
        await text_generate(
            recommendation=rec,
            owner_id=rec.resource.provider.user_id,
            deadline=deadline_in(20),
            mode="llm",
            force=True,
        )
        bodies.append(server.chat_requests()[before])
    return bodies


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.parse_args(argv)

    answers = TemplateAnswers()
    with fake_llm_and_django(default=answers) as server:
        import bpe_openai

        from recommendations_ai import prompts
        from recommendations_ai.facts import facts_build
        from recommendations_ai.selectors import recommendations_missing_texts

        recs = list(recommendations_missing_texts(include_done=True))
        answers.prepare(recs)
        bodies = asyncio.run(_capture(recs, server))

    encoders = {name: bpe_openai.get_encoding(name) for name in ENCODINGS}
    rows = []
    for rec, body in zip(recs, bodies, strict=True):
        family = facts_build(recommendation=rec).family
        row = {"recommendation_id": rec.pk, "type": rec.recommendation_type, "family": family}
        for name, enc in encoders.items():
            row[name] = request_tokens(body, enc)
        rows.append(row)

    figures: dict = {"recommendations": len(rows), "prompt_version": prompts.PROMPT_VERSION}
    for name in ENCODINGS:
        parts = {
            part: summary([r[name][part] for r in rows])
            for part in ("total", "system", "user_hint", "facts_json", "tools", "message_overhead")
        }
        by_family = defaultdict(list)
        for r in rows:
            by_family[r["family"]].append(r[name]["total"])
        figures[name] = {
            "total": parts["total"],
            "parts_mean": {part: s["mean"] for part, s in parts.items() if part != "total"},
            "by_family": {family: summary(v) for family, v in sorted(by_family.items())},
        }
    avg = figures["o200k_base"]["total"]["mean"]
    figures["target_avg_o200k"] = TARGET_AVG_O200K
    figures["target_met"] = avg <= TARGET_AVG_O200K
    figures["answer_misses"] = answers.misses

    print(f"prompt_size: {len(rows)} demo recommendations, prompt {prompts.PROMPT_VERSION}")
    for name in ENCODINGS:
        f = figures[name]
        t = f["total"]
        print(
            f"  {name:12} input tokens/request: avg {t['mean']:.0f}  p50 {t['p50']:.0f}  "
            f"max {t['max']:.0f}"
        )
        print("    parts (mean): " + ", ".join(f"{k} {v:.0f}" for k, v in f["parts_mean"].items()))
        for family, s in f["by_family"].items():
            print(
                f"    {family:12} n={s['n']:3}  avg {s['mean']:.0f}  p50 {s['p50']:.0f}  "
                f"max {s['max']:.0f}"
            )
    verdict = "met" if figures["target_met"] else "MISSED"
    print(f"  target avg ≤ {TARGET_AVG_O200K} o200k tokens: {verdict} ({avg:.0f})")

    sample = bodies[0]
    path = results_write(
        "prompt_size",
        parameters={
            "dataset": "demo_seed",
            "counting": (
                f"content tokens + {PER_MESSAGE}/message + {REPLY_PRIMING} reply priming "
                "+ compact JSON of tools and tool_choice, first request of each recommendation"
            ),
        },
        figures=figures | {"per_recommendation": rows},
        notes=[
            "Requests captured from the real text_generate → gateway → Instructor (TOOLS mode) "
            "→ openai SDK → FakeLLMServer path.",
            "OpenAI renders tools to an internal text form before counting; the JSON count "
            "here is a close upper estimate of it.",
            "sample request: " + _json({k: sample[k] for k in ("messages", "tools")})[:4000],
        ],
    )
    print(f"  → {path.relative_to(path.parents[2])}")
    return figures


if __name__ == "__main__":
    main()
