"""Django in the benchmark's own process, on a throwaway database with the demo data.

Call `django_setup()` before importing anything that touches models: DATABASE_URL must point
at the database before Django reads its settings.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


def temp_database() -> Path:
    """A fresh SQLite file path in its own temp directory."""
    return Path(tempfile.mkdtemp(prefix="infrazen-bench-")) / "bench.sqlite3"


def django_setup(
    *,
    db_path: Path | None = None,
    env: dict[str, str] | None = None,
    database_url: str | None = None,
    agent_database_url: str | None = None,
    sqlite_wal: bool = False,
) -> str:
    """Point Django at `database_url` (an empty database such as the MariaDB of
    scripts/testservers.py) or at the SQLite file `db_path` (a fresh temp file without
    either), set it up, create every table and load the demo data. Returns the database URL.

    `agent_database_url`: the agent's own tables there (the production layout); without it,
    one database holds everything a benchmark counts, also inside the test servers'
    environment (scripts/testservers.py exports a second one); the service processes a
    benchmark starts inherit this environment. `sqlite_wal` switches the SQLite file to
    write-ahead logging (a property of the file, so the service opens it that way too).
    """
    if database_url is None:
        database_url = f"sqlite:///{db_path or temp_database()}"
    os.environ["DATABASE_URL"] = database_url
    if agent_database_url:
        os.environ["AGENT_DATABASE_URL"] = agent_database_url
    else:
        os.environ.pop("AGENT_DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "agentsite.settings"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    for key, value in (env or {}).items():
        os.environ[key] = value
    import django

    django.setup()
    from django.core.management import call_command

    call_command("agent_migrate", verbosity=0)
    call_command("infrazen_schema", verbosity=0)
    if sqlite_wal and database_url.startswith("sqlite:"):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("PRAGMA journal_mode=WAL")

    from demo_data.seed import demo_seed

    demo_seed()
    return database_url


def clone_recommendations(total: int) -> list[int]:
    """Copy the demo recommendations (new ids, numbered names) until there are `total`.

    The clones point at the demo resources, so facts_build reads the same rows it reads in
    production; each clone has its own id, so no two share a cache key.
    """
    from infrazen.models import OptimizationRecommendation

    originals = list(OptimizationRecommendation.objects.order_by("id"))
    clones = []
    index = 0
    while len(originals) + len(clones) < total:
        source = originals[index % len(originals)]
        copy = OptimizationRecommendation(
            **{
                f.attname: getattr(source, f.attname)
                for f in OptimizationRecommendation._meta.concrete_fields
                if not f.primary_key
            }
        )
        copy.resource_name = f"{source.resource_name or 'res'}-{index // len(originals) + 1}"
        clones.append(copy)
        index += 1
    OptimizationRecommendation.objects.bulk_create(clones, batch_size=500)
    return list(OptimizationRecommendation.objects.order_by("id").values_list("id", flat=True))


def texts_reset() -> None:
    """Every recommendation without texts again, no generation records, no LLM rows."""
    from infrazen.models import OptimizationRecommendation
    from llm.models import LLMCall
    from recommendations_ai.models import TextGeneration

    OptimizationRecommendation.objects.update(
        ai_short_description=None, ai_detailed_description=None, ai_generated_at=None
    )
    TextGeneration.objects.all().delete()
    LLMCall.objects.all().delete()


def connections_close() -> None:
    """Close this process's database connections before a service process opens its own."""
    from django.db import connections

    connections.close_all()


@contextlib.contextmanager
def fake_llm_and_django(
    *, default, ttfb_s: float = 0.0, database_url: str | None = None
) -> Iterator:
    """A FakeLLMServer answering with `default`, and Django set up (temp SQLite, demo data)
    with the text mode on that server. Yields the server; stops it on the way out."""
    from llm.fake_server import FakeLLMServer

    server = FakeLLMServer(default=default, ttfb_s=ttfb_s).start()
    try:
        django_setup(
            database_url=database_url,
            env={
                "LLM_PROVIDER": "openai_compatible",
                "LLM_BASE_URL": server.base_url,
                "LLM_API_KEY": "bench",
                "AI_TEXT_MODE": "llm",
                "LLM_FALLBACK_MODELS": "",
            },
        )
        yield server
    finally:
        server.stop()
