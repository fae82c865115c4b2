"""search_knowledge: approved FinOps notes and the user's own texts, found by their words.

The same retrieval the reports quote from (knowledge.search): the curated notes, each with
its source and date, plus the texts of the user's recommendations and their earlier
reports' summaries. Nothing of another tenant's can be found.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from infrazen.models import InfraZenUser
from knowledge.search import knowledge_index
from tools.base import ArgsModel, clip, size_bound

NAME = "search_knowledge"
LABEL = "Ищу в базе знаний FinOps"
SCENARIOS = frozenset({"recommendation", "analytics"})
# Reads only: no confirmation needed, any role may run it (governance.policy).
READ_ONLY = True

EXCERPT_CHARS = 500


class Args(ArgsModel):
    """Search approved FinOps notes (snapshots, public IPs, migration checklists, what Beget
    suits, rightsizing, tagging, anomalies, commitments) and the current user's own
    recommendation texts and earlier reports. Quote a note with its source."""

    query: str = Field(min_length=2, max_length=300, description="What to look for, in Russian.")
    limit: int = Field(default=3, ge=1, le=5, description="How many passages to return.")


class Passage(BaseModel):
    id: str
    kind: Literal["note", "recommendation", "report"]
    title: str
    excerpt: str
    source: str
    date: str | None


class Result(BaseModel):
    query: str
    passages: list[Passage] = Field(default_factory=list)
    truncated: bool = False

    def summary(self) -> str:
        return f"Найдено материалов: {len(self.passages)}"


def run(*, user: InfraZenUser, args: Args) -> Result:
    hits = knowledge_index(user_id=user.pk).search(args.query, limit=args.limit)
    result = Result(
        query=args.query,
        passages=[
            Passage(
                id=hit.document.id,
                kind=hit.document.kind,
                title=clip(hit.document.title, 160) or "—",
                excerpt=clip(hit.document.text, EXCERPT_CHARS) or "",
                source=clip(hit.document.source, 200) or "—",
                date=hit.document.date,
            )
            for hit in hits
        ],
    )
    return size_bound(result, "passages")
