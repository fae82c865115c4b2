"""Approved FinOps notes and the user's own content, searched with BM25.

What may be quoted to a user is either approved (the curated notes in `data/notes_ru.json`,
each with its source and date) or theirs (the texts of their recommendations and the
summaries of their earlier reports), never another tenant's. The index is bm25s over words
stemmed with the Snowball Russian stemmer, built in memory from rows read through the
usual scoped queries, so it works the same on SQLite and MySQL and needs no search server:
a user's corpus is the twenty notes plus a few hundred short texts, indexed in milliseconds.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from django.apps import apps

from infrazen import selectors
from recommendations_ai.sanitize import visible_text

Kind = Literal["note", "recommendation", "report"]
NOTES_PATH = Path(__file__).resolve().parent / "data" / "notes_ru.json"
MAX_USER_DOCUMENTS = 400
STOPWORDS_PATH = Path(__file__).resolve().parent / "data" / "stopwords_ru.txt"


@dataclass(frozen=True)
class Document:
    id: str
    kind: Kind
    title: str
    text: str
    source: str
    date: str | None = None


@dataclass(frozen=True)
class Hit:
    document: Document
    score: float


@functools.lru_cache(maxsize=1)
def approved_notes() -> tuple[Document, ...]:
    notes = json.loads(NOTES_PATH.read_text(encoding="utf-8"))
    return tuple(
        Document(
            id=f"note-{n['id']}",
            kind="note",
            title=n["title"],
            text=n["text"],
            source=n["source"],
            date=n["date"],
        )
        for n in notes
    )


@functools.lru_cache(maxsize=1)
def _stopwords() -> list[str]:
    lines = STOPWORDS_PATH.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


@functools.lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("russian")


def _tokens(texts: list[str], *, ids: bool = True):
    import bm25s

    return bm25s.tokenize(
        [t.replace("ё", "е") for t in texts],
        stopwords=_stopwords(),
        stemmer=_stemmer().stemWords,
        return_ids=ids,
        show_progress=False,
    )


def user_documents(*, user_id: int) -> list[Document]:
    """The user's own texts: recommendation texts and earlier reports' summaries."""
    # The reports app sits above this one (it quotes the notes): its table, not its code.
    report_model = apps.get_model("reports", "AgentReport")

    documents = []
    recommendations = (
        selectors.recommendation_list(user_id=user_id)
        .exclude(ai_detailed_description__isnull=True)
        .select_related(None)
        .only("id", "title", "ai_detailed_description", "updated_at", "resource__provider__user_id")
    )[:MAX_USER_DOCUMENTS]
    for rec in recommendations:
        text = visible_text(rec.ai_detailed_description or "")
        if text:
            documents.append(
                Document(
                    id=f"rec-{rec.pk}",
                    kind="recommendation",
                    title=rec.title,
                    text=text,
                    source=f"текст рекомендации #{rec.pk}",
                    date=rec.updated_at.date().isoformat() if rec.updated_at else None,
                )
            )
    for report in report_model.objects.filter(user_id=user_id).exclude(summary="")[:20]:
        documents.append(
            Document(
                id=f"report-{report.uuid}",
                kind="report",
                title=f"Отчёт {report.role.upper()} от {report.created_at:%d.%m.%Y}",
                text=report.summary,
                source="ваш отчёт InfraZen",
                date=report.created_at.date().isoformat(),
            )
        )
    return documents


class KnowledgeIndex:
    """One user's searchable corpus: the approved notes, and their own texts if asked."""

    def __init__(self, documents: list[Document]) -> None:
        import bm25s

        self.documents = documents
        self.retriever = bm25s.BM25()
        self.retriever.index(
            _tokens([f"{d.title}. {d.text}" for d in documents]), show_progress=False
        )

    def search(self, query: str, *, limit: int = 3) -> list[Hit]:
        # Query words the corpus never saw are dropped; none left: nothing matches.
        words = [w for w in _tokens([query], ids=False)[0] if w in self.retriever.vocab_dict]
        if not words or not self.documents:
            return []
        k = min(limit, len(self.documents))
        results, scores = self.retriever.retrieve([words], k=k, show_progress=False)
        return [
            Hit(self.documents[int(index)], float(score))
            for index, score in zip(results[0], scores[0], strict=True)
            if score > 0
        ]


@functools.lru_cache(maxsize=1)
def approved_index() -> KnowledgeIndex:
    """The approved notes alone (what reports quote): the same for everyone, built once."""
    return KnowledgeIndex(list(approved_notes()))


def knowledge_index(*, user_id: int | None, include_user_content: bool = True) -> KnowledgeIndex:
    documents = list(approved_notes())
    if user_id is not None and include_user_content:
        documents += user_documents(user_id=user_id)
    return KnowledgeIndex(documents)
