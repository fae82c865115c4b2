from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from infrazen.schema import SchemaRefused, infrazen_schema_create


class Command(BaseCommand):
    help = "Create the InfraZen tables (users, resources, ...) in an empty dev/test database."

    def add_arguments(self, parser):
        parser.add_argument("--database", default="default")

    def handle(self, *args, database: str, **options):
        try:
            created, present = infrazen_schema_create(using=database)
        except SchemaRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"InfraZen schema: {len(created)} tables created, {len(present)} already present."
        )
