from __future__ import annotations

from django.apps import AppConfig


class RecommendationsAIConfig(AppConfig):
    name = "recommendations_ai"
    verbose_name = "Тексты рекомендаций"
    default_auto_field = "django.db.models.BigAutoField"
