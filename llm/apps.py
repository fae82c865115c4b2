from __future__ import annotations

import logging

from django.apps import AppConfig

logger = logging.getLogger(__name__)


class LLMConfig(AppConfig):
    name = "llm"
    verbose_name = "Вызовы моделей"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # One line per process saying which model answers, or that none does: an offline
        # service otherwise looks the same as one whose texts come from a model.
        from llm.gateway import describe_config

        config = describe_config()
        if config["offline"]:
            logger.info("language model: offline (no model calls; template texts, scripted chat)")
        else:
            logger.info(
                "language model: %s at %s, text %s, vision %s, key from %s",
                config["provider"],
                config["base_url_host"],
                config["model_text"],
                config["model_vision"],
                config["api_key_from"] or "nowhere (none needed)",
            )
