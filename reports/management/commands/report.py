"""manage.py report --user ID --role cfo [--days 30] [--pdf FILE] [--html FILE]"""

from __future__ import annotations

import asyncio
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.errors import NotFound
from llm.gateway import deadline_in
from reports.pdf import pdf_render
from reports.roles import ROLE_KEYS
from reports.services import report_render


class Command(BaseCommand):
    help = "Render one user's report for a role, store it, and optionally write its HTML or PDF."

    def add_arguments(self, parser):
        parser.add_argument("--user", type=int, required=True)
        parser.add_argument("--role", choices=ROLE_KEYS, required=True)
        parser.add_argument("--days", type=int, default=30)
        parser.add_argument("--html", type=Path)
        parser.add_argument("--pdf", type=Path)

    def handle(self, *args, user, role, days, html, pdf, **options):
        try:
            report, snapshot = asyncio.run(
                report_render(
                    user_id=user,
                    role=role,
                    period_days=days,
                    deadline=deadline_in(settings.REPORT_DEADLINE_S),
                )
            )
        except NotFound as exc:
            raise CommandError(exc.message) from None
        if html:
            html.write_text(report.html, encoding="utf-8")
        if pdf:
            pdf.write_bytes(pdf_render(html=report.html))
        self.stdout.write(
            f"report {report.uuid}: {role}, {len(snapshot.facts)} facts, "
            f"narrative from {report.narrative_source}"
        )
