from __future__ import annotations

from django.core.management.base import BaseCommand

from governance.budgets import budget_counters_purge


class Command(BaseCommand):
    help = (
        "Delete the database's daily budget counters older than AGENT_BUDGET_COUNTERS_KEEP_DAYS "
        "(Moscow days before today). Run it daily (deploy/systemd has a timer)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--keep-days", type=int, default=None, help="days to keep before today")

    def handle(self, *args, **options):
        deleted = budget_counters_purge(keep_days=options["keep_days"])
        self.stdout.write(f"purged {deleted} budget counters")
