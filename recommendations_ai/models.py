from __future__ import annotations

from django.db import models

from infrazen import clock


class TextGeneration(models.Model):
    """One answer to "give me the texts of recommendation N": how it was made and what it cost.

    `facts_hash` identifies (facts, prompt version, model): a later request with the same hash
    is served from here without calling a model.
    """

    SOURCE_LLM = "llm"
    SOURCE_TEMPLATE = "template"
    SOURCE_CACHE = "cache"
    SOURCES = [(s, s) for s in (SOURCE_LLM, SOURCE_TEMPLATE, SOURCE_CACHE)]

    # InfraZen ids, not foreign keys: InfraZen owns those tables and deletes on its own terms.
    recommendation_id = models.IntegerField(db_index=True)
    user_id = models.IntegerField(null=True, db_index=True)
    recommendation_type = models.CharField(max_length=50)
    facts_hash = models.CharField(max_length=64, db_index=True)
    facts = models.JSONField()
    prompt_version = models.CharField(max_length=32)
    source = models.CharField(max_length=10, choices=SOURCES)
    model = models.CharField(max_length=200, blank=True)
    short_html = models.TextField()
    detailed_html = models.TextField()
    prompt_tokens = models.IntegerField(default=0)
    completion_tokens = models.IntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=8, default=0)
    # cost_usd at USD_RUB_RATE when stored (governance.budgets.cost_rub).
    cost_rub = models.DecimalField(max_digits=12, decimal_places=4, default=0)
    latency_ms = models.FloatField(default=0)
    # "ok", or why the model's answer was not used (the template text was served instead).
    validation = models.TextField(blank=True)
    created_at = models.DateTimeField(default=clock.utc_now, db_index=True)

    class Meta:
        db_table = "agent_text_generations"
        indexes = [
            models.Index(
                fields=["recommendation_id", "-created_at"], name="agent_textgen_rec_latest"
            )
        ]

    def __str__(self) -> str:
        return f"rec {self.recommendation_id} ({self.source})"

    @property
    def tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens
