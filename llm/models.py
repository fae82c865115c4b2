from __future__ import annotations

from django.db import models

from infrazen import clock


class LLMCall(models.Model):
    """One HTTP attempt at a model: who asked, which model answered, what it cost.

    A logical call that retried twice and then fell back is four rows sharing a
    correlation id; summing `cost_usd` over rows is the real spend.
    """

    class Outcome(models.TextChoices):
        OK = "ok"
        RATE_LIMITED = "rate_limited"
        SERVER_ERROR = "server_error"
        TIMEOUT = "timeout"
        CONNECTION_ERROR = "connection_error"
        BAD_REQUEST = "bad_request"
        AUTH_ERROR = "auth_error"
        NOT_FOUND = "not_found"
        BAD_RESPONSE = "bad_response"
        STREAM_ERROR = "stream_error"
        VALIDATION_ERROR = "validation_error"
        CANCELLED = "cancelled"
        DEADLINE = "deadline"

    purpose = models.CharField(max_length=64, db_index=True)
    provider = models.CharField(max_length=32)
    model_requested = models.CharField(max_length=200)
    model_answered = models.CharField(max_length=200, blank=True)
    stream = models.BooleanField(default=False)
    attempt = models.PositiveSmallIntegerField(default=1)
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    prompt_tokens = models.IntegerField(default=0)
    completion_tokens = models.IntegerField(default=0)
    total_tokens = models.IntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=8, default=0)
    latency_ms = models.IntegerField(default=0)
    ttft_ms = models.IntegerField(null=True, blank=True)
    # An InfraZen user id, not a foreign key: InfraZen owns that table.
    user_id = models.IntegerField(null=True, blank=True, db_index=True)
    correlation_id = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(default=clock.utc_now, db_index=True)

    class Meta:
        db_table = "agent_llm_calls"
        indexes = [
            models.Index(fields=["purpose", "-created_at"], name="agent_llmcall_purpose_latest")
        ]

    def __str__(self) -> str:
        return f"{self.purpose} → {self.model_answered or self.model_requested} ({self.outcome})"
