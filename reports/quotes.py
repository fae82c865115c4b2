"""Approved notes quoted in a report: one to three per section, each cited like a figure.

Only the curated notes (knowledge/data) are quoted in reports, chosen by what the sections
hold: a cleanup list brings the notes on snapshots, addresses or stopped machines; a move to
Beget brings the note on what Beget suits.
"""

from __future__ import annotations

from pydantic import BaseModel

from knowledge.search import approved_index
from reports.savings import Savings

MAX_PER_SECTION = 3
ROLE_QUERIES = {
    "cfo": "прогноз бюджета расходов на следующий месяц",
    "cto": "разбор аномалий расходов",
    "product": "метки распределение затрат по продуктам и командам",
    "finops": "покрытие метками качество данных распределение затрат",
}


class Quote(BaseModel):
    id: str  # "note-…": the anchor of its source row is "src-note-…"
    title: str
    text: str
    source: str
    date: str | None


def _queries(savings: Savings, role: str) -> dict[str, list[str]]:
    queries: dict[str, list[str]] = {"kpis": [ROLE_QUERIES[role]]}
    cleanup = {item.kind for item in savings.cleanup}
    recommendations = []
    if any("снимок" in kind or "снапшот" in kind for kind in cleanup):
        recommendations.append("хранение старых снимков дисков")
    if any("IP" in kind for kind in cleanup):
        recommendations.append("неиспользуемый публичный IP-адрес")
    if savings.cleanup:
        recommendations.append("остановленная машина диски оплачиваются")
    if savings.rightsizing:
        recommendations.append("уменьшение виртуальной машины по загрузке процессора")
    targets = {group.target_provider for group in savings.migrations}
    if targets:
        recommendations.append("чек-лист переноса сервера к другому провайдеру")
    if "beget" in targets:
        recommendations.append("Beget подходит для dev/test, не для продуктивных баз данных")
    queries["recommendations"] = recommendations
    if savings.scenarios:
        queries["plan"] = ["цена промедления приоритизация рекомендаций"]
    return queries


def quotes_build(*, savings: Savings, role: str) -> dict[str, list[Quote]]:
    index = approved_index()
    quotes: dict[str, list[Quote]] = {}
    used: set[str] = set()
    for section, queries in _queries(savings, role).items():
        chosen = []
        for query in queries:
            for hit in index.search(query, limit=1):
                note = hit.document
                if note.id not in used and len(chosen) < MAX_PER_SECTION:
                    used.add(note.id)
                    chosen.append(
                        Quote(
                            id=note.id,
                            title=note.title,
                            text=note.text,
                            source=note.source,
                            date=note.date,
                        )
                    )
        if chosen:
            quotes[section] = chosen
    return quotes
