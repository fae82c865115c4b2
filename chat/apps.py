from __future__ import annotations

from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.shutdown import drain_register

        # On a deploy's SIGTERM the server lets running answers finish or stores them.
        drain_register(_answers_drain)


async def _answers_drain(grace_s: float) -> tuple[int, int]:
    from .engine import answers_drain  # the engine loads the model seam: only when draining

    return await answers_drain(grace_s=grace_s)
