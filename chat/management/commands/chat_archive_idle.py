from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from chat.services import chat_session_archive_idle


class Command(BaseCommand):
    help = "Archive active chat sessions with no activity for more than --days days."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30, help="idle days (default 30)")

    def handle(self, *args, **options):
        if options["days"] < 1:
            raise CommandError("--days must be at least 1")
        archived = chat_session_archive_idle(idle_days=options["days"])
        self.stdout.write(f"archived {archived} chat sessions idle for over {options['days']} days")
