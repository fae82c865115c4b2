from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand

from core.db_router import agent_alias, databases_separate


class Command(BaseCommand):
    help = (
        "Apply the service's migrations where its own tables live: the AGENT_DATABASE_URL "
        "database, or the one database when that is unset. Use it instead of `migrate`."
    )

    def handle(self, *args, **options):
        # Never `migrate` InfraZen's database when the two are apart: with nothing to create
        # there, it would still add a django_migrations table to the schema Alembic owns.
        alias = agent_alias()
        verbosity = options["verbosity"]
        call_command("migrate", database=alias, interactive=False, verbosity=max(verbosity - 1, 0))
        if verbosity:
            where = "the agent's own database" if databases_separate() else "the one database"
            self.stdout.write(f"Migrated {where} ({alias}).")
