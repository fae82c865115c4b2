from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from demo_data.seed import DemoRefused, demo_seed


class Command(BaseCommand):
    help = (
        "Seed the deterministic demo dataset (alice, bob and the read-only demo@infrazen.com) "
        "in the true InfraZen shapes. Personas that already exist are kept; --reset recreates them."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--reset", action="store_true", help="Delete the demo personas' rows and recreate them."
        )

    def handle(self, *args, reset: bool, **options):
        try:
            summary = demo_seed(reset=reset)
        except DemoRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(summary.line())
