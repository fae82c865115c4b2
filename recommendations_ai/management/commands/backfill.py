from __future__ import annotations

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from recommendations_ai.backfill import BackfillStats, backfill_run, backfill_select
from recommendations_ai.services import text_mode


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class Progress:
    """A one-line progress bar on stderr, redrawn at most five times a second."""

    def __init__(self, stream, width: int = 30):
        self.stream, self.width, self.last = stream, width, 0.0

    def __call__(self, stats: BackfillStats) -> None:
        finished = stats.done + stats.failed
        now = time.monotonic()
        if finished < stats.total and now - self.last < 0.2:
            return
        self.last = now
        share = finished / stats.total if stats.total else 1.0
        bar = "#" * int(share * self.width)
        eta = (stats.total - finished) / stats.rate if stats.rate else 0
        self.stream.write(
            f"\r[{bar:<{self.width}}] {finished}/{stats.total} "
            f"{stats.rate:.1f} rec/s ETA {_duration(eta)} failed {stats.failed}"
        )
        if finished >= stats.total:
            self.stream.write("\n")
        self.stream.flush()


class Command(BaseCommand):
    help = "Generate recommendation texts for every recommendation that lacks them."

    def add_arguments(self, parser):
        parser.add_argument("--user", type=int, help="only this InfraZen user's recommendations")
        parser.add_argument("--type", action="append", dest="types", help="recommendation_type")
        parser.add_argument("--limit", type=int)
        parser.add_argument("--force", action="store_true", help="regenerate every text")
        parser.add_argument(
            "--stale", action="store_true", help="also regenerate texts whose facts changed"
        )
        parser.add_argument("--concurrency", type=int, default=8, help="model calls at once")
        parser.add_argument("--mode", choices=["auto", "template", "llm"])
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, **o):
        if o["concurrency"] < 1:
            raise CommandError("--concurrency must be at least 1")
        try:
            mode = text_mode(o["mode"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        recs = backfill_select(
            user_id=o["user"],
            types=o["types"],
            limit=o["limit"],
            force=o["force"],
            stale=o["stale"],
        )
        if o["dry_run"]:
            self.stdout.write(f"Would generate {len(recs)} texts ({mode} mode).")
            return
        stats = BackfillStats(total=len(recs))
        try:
            stats = backfill_run(
                recommendations=recs,
                mode=mode,
                force=o["force"],
                concurrency=o["concurrency"],
                progress=Progress(sys.stderr),
            )
        except KeyboardInterrupt:
            self.stderr.write("\nInterrupted: finished texts are stored; run again to resume.")
        sources = ", ".join(f"{k} {v}" for k, v in sorted(stats.by_source.items())) or "none"
        self.stdout.write(
            f"Backfill ({mode}): {stats.done} done ({sources}), {stats.failed} failed, "
            f"{stats.tokens} tokens, ${stats.cost_usd:.4f}, {stats.elapsed:.1f}s."
        )
