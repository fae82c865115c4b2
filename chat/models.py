"""The agent's own chat tables. The transcript itself lives in InfraZen's chat_sessions and
chat_messages (infrazen.models); here is only what InfraZen has no place for."""

from __future__ import annotations

import uuid

from django.db import models

from infrazen import clock


class ToolCallAudit(models.Model):
    """One tool call the model made in a chat turn: what it asked for and what it got.

    InfraZen ids (session, message, user) are plain columns, not foreign keys: InfraZen owns
    those tables and deletes on its own terms, and the audit trail must outlive them.
    """

    # Indexed through (session_id, created_at) below.
    session_id = models.CharField(max_length=36)
    # The assistant chat_messages row of the turn, once it is stored.
    message_id = models.BigIntegerField(null=True, blank=True, db_index=True)
    user_id = models.IntegerField(db_index=True)
    tool = models.CharField(max_length=64, db_index=True)
    arguments = models.JSONField(default=dict)
    # What the model was shown, cut to RESULT_MAX_CHARS (see chat.services).
    result = models.TextField(blank=True)
    ok = models.BooleanField(default=True)
    error = models.TextField(blank=True)
    latency_ms = models.FloatField(default=0)
    round = models.PositiveSmallIntegerField(default=1)
    correlation_id = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(default=clock.utc_now, db_index=True)

    class Meta:
        db_table = "agent_tool_calls"
        verbose_name = "tool call"
        indexes = [
            models.Index(fields=["session_id", "created_at"], name="agent_toolcall_session_time")
        ]

    def __str__(self) -> str:
        return f"{self.tool} ({'ok' if self.ok else 'error'})"


class ChatImage(models.Model):
    """A screenshot pasted into the chat (POST /v1/chat/upload), re-encoded without metadata.

    The bytes live in CHAT_UPLOAD_DIR under `path` (the file name only, `<id>.<ext>`). A row
    without a user was uploaded anonymously and belongs to the first user whose chat message
    refers to it (chat.images). Rows and files older than CHAT_IMAGE_TTL_S are dead: lookups
    ignore them and `manage.py chat_images_purge` deletes them.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # InfraZen's users.id; no foreign key, as for the audit rows above.
    user_id = models.IntegerField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(default=clock.utc_now, db_index=True)
    size = models.PositiveIntegerField()
    mime = models.CharField(max_length=32)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    path = models.CharField(max_length=64)
    uploader_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        db_table = "agent_chat_images"
        verbose_name = "chat image"
        indexes = [
            # The per-client upload rate limit counts an address's recent rows.
            models.Index(fields=["uploader_ip", "created_at"], name="agent_chatimage_ip_time")
        ]

    def __str__(self) -> str:
        return f"{self.id} ({self.mime}, {self.width}×{self.height})"


class ChatImageReading(models.Model):
    """What the vision model read from one pasted image, kept after the image expires.

    Written once per image, with the user message it came with (chat.image_memory); later
    turns of the session get it as text in their history. Ids are plain columns: the image
    row is purged after CHAT_IMAGE_TTL_S, the reading stays with the transcript.
    """

    image_id = models.UUIDField(db_index=True)
    # The user chat_messages row the image came with.
    message_id = models.BigIntegerField(db_index=True)
    session_id = models.CharField(max_length=36, db_index=True)
    user_id = models.IntegerField(db_index=True)
    # 1-based place of the image among the message's images.
    position = models.PositiveSmallIntegerField(default=1)
    text = models.TextField()
    model = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=clock.utc_now)

    class Meta:
        db_table = "agent_chat_image_readings"
        verbose_name = "image reading"
        constraints = [
            models.UniqueConstraint(
                fields=["message_id", "image_id"], name="agent_imagereading_message_image"
            )
        ]

    def __str__(self) -> str:
        return f"image {self.image_id} of message {self.message_id}"


class AgentMessageCost(models.Model):
    """What one chat answer cost (issue 20): InfraZen's chat_messages has no place for it.

    Written with the answer (chat.turns.answer_store); ids are plain columns as above.
    """

    message_id = models.BigIntegerField(unique=True)
    session_id = models.CharField(max_length=36, db_index=True)
    user_id = models.IntegerField(db_index=True)
    model = models.CharField(max_length=200, blank=True)
    prompt_tokens = models.IntegerField(default=0)
    completion_tokens = models.IntegerField(default=0)
    cost_usd = models.DecimalField(max_digits=12, decimal_places=8, default=0)
    # cost_usd at USD_RUB_RATE when the answer was stored.
    cost_rub = models.DecimalField(max_digits=12, decimal_places=4, default=0)
    correlation_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=clock.utc_now, db_index=True)

    class Meta:
        db_table = "agent_message_costs"
        verbose_name = "message cost"
        indexes = [models.Index(fields=["user_id", "created_at"], name="agent_msgcost_user_time")]

    def __str__(self) -> str:
        return f"message {self.message_id}: {self.cost_rub} ₽"


class AgentMessageFigures(models.Model):
    """How one chat answer's figures were traced to its data (issue 21 §4, chat.citations):
    how many were cited and which matched nothing (marked "не проверено" in the text).

    Written with the answer when it holds figures to check; ids are plain columns as above.
    """

    message_id = models.BigIntegerField(unique=True)
    session_id = models.CharField(max_length=36, db_index=True)
    user_id = models.IntegerField(db_index=True)
    cited = models.PositiveIntegerField(default=0)
    unverified = models.PositiveIntegerField(default=0)
    # The final frame's `citations` and the unverified figures as written.
    citations = models.JSONField(default=list)
    unverified_figures = models.JSONField(default=list)
    created_at = models.DateTimeField(default=clock.utc_now, db_index=True)

    class Meta:
        db_table = "agent_message_figures"
        verbose_name = "message figures"
        verbose_name_plural = "message figures"

    def __str__(self) -> str:
        return f"message {self.message_id}: {self.cited} cited, {self.unverified} unverified"
