from __future__ import annotations

from django.apps import AppConfig


class ChatConfig(AppConfig):
    name = "chat"
    verbose_name = "Чат"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.shutdown import drain_register

        # On a deploy's SIGTERM the server lets running answers finish or stores them.
        drain_register(_answers_drain)


async def _answers_drain(grace_s: float) -> tuple[int, int]:
    from .running import ANSWERS  # loads the engine's owners: only when draining

    return await ANSWERS.drain(grace_s=grace_s)
