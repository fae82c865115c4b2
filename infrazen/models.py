"""The InfraZen tables the agent reads or writes, as InfraZen defines them (contract §1).

InfraZen owns these tables: every model is `managed = False`, so `migrate` never touches
them. `manage.py infrazen_schema` creates them in an empty dev/test database from these same
models, with the real MySQL column types (see infrazen.fields).

Read through infrazen.selectors, which scope every query to the acting user.
"""

from __future__ import annotations

from django.db import models

from infrazen import clock
from infrazen.fields import DateTimeField, EnumField, FloatField, TextField

DO_NOTHING = models.DO_NOTHING
CASCADE = models.CASCADE


class InfraZenModel(models.Model):
    """InfraZen's BaseModel: int id and naive server-local created_at/updated_at."""

    id = models.AutoField(primary_key=True)
    created_at = DateTimeField(default=clock.local_now)
    updated_at = DateTimeField(default=clock.local_now)

    class Meta:
        abstract = True
        managed = False


class InfraZenUser(InfraZenModel):
    username = models.CharField(max_length=80, null=True, unique=True)
    email = models.CharField(max_length=120, unique=True)
    password_hash = models.CharField(max_length=255, null=True)
    google_id = models.CharField(max_length=100, null=True, unique=True)
    google_picture = models.CharField(max_length=500, null=True)
    google_verified_email = models.BooleanField(null=True, default=False)
    google_locale = models.CharField(max_length=10, null=True)
    first_name = models.CharField(max_length=50, null=True)
    last_name = models.CharField(max_length=50, null=True)
    company = models.CharField(max_length=100, null=True)
    role = models.CharField(max_length=20, default="user", db_index=True)
    permissions = TextField(null=True)
    is_active = models.BooleanField(default=True)
    is_verified = models.BooleanField(default=False)
    email_confirmed = models.BooleanField(default=False)
    email_confirmation_token = models.CharField(max_length=255, null=True)
    email_confirmation_sent_at = DateTimeField(null=True)
    last_login = DateTimeField(null=True)
    login_count = models.IntegerField(null=True, default=0)
    created_by_admin = models.BooleanField(null=True, default=False)
    admin_notes = TextField(null=True)
    timezone = models.CharField(max_length=50, null=True, default="UTC")
    currency = models.CharField(max_length=3, null=True, default="RUB")
    language = models.CharField(max_length=5, null=True, default="ru")

    ROLE_DEMO = "demouser"

    class Meta(InfraZenModel.Meta):
        db_table = "users"
        verbose_name = "InfraZen user"

    def __str__(self) -> str:
        return self.email

    @property
    def is_read_only(self) -> bool:
        return self.role == self.ROLE_DEMO


class CloudProvider(InfraZenModel):
    user = models.ForeignKey(InfraZenUser, on_delete=DO_NOTHING, related_name="providers")
    provider_type = models.CharField(max_length=50, db_index=True)
    connection_name = models.CharField(max_length=100)
    account_id = models.CharField(max_length=100)
    api_endpoint = models.CharField(max_length=255, null=True)
    # Secret. Never selected into anything that leaves the data layer (see selectors).
    credentials = TextField()
    is_active = models.BooleanField(default=True, db_index=True)
    is_deleted = models.BooleanField(default=False, db_index=True)
    deleted_at = DateTimeField(null=True)
    last_sync = DateTimeField(null=True)
    sync_status = models.CharField(max_length=20, null=True, default="pending")
    sync_error = TextField(null=True)
    auto_sync = models.BooleanField(default=True)
    sync_interval = models.CharField(max_length=20, null=True, default="daily")
    provider_metadata = TextField(null=True)

    class Meta(InfraZenModel.Meta):
        db_table = "cloud_providers"
        constraints = [
            models.UniqueConstraint(
                fields=["user", "connection_name", "is_deleted"],
                name="unique_user_active_connection",
            )
        ]

    def __str__(self) -> str:
        return f"{self.provider_type}:{self.connection_name}"


class Resource(InfraZenModel):
    provider = models.ForeignKey(CloudProvider, on_delete=DO_NOTHING, related_name="resources")
    resource_id = models.CharField(max_length=100)
    resource_name = models.CharField(max_length=255)
    region = models.CharField(max_length=100)
    external_ip = models.CharField(max_length=45, null=True)
    service_name = models.CharField(max_length=100)
    resource_type = models.CharField(max_length=100)
    status = models.CharField(max_length=50, null=True, default="active", db_index=True)
    pricing_model = models.CharField(max_length=50, null=True)
    list_price = FloatField(null=True, default=0)
    effective_cost = FloatField(null=True, default=0)
    currency = models.CharField(max_length=3, null=True, default="RUB")
    billing_period = models.CharField(max_length=20, null=True)
    daily_cost = FloatField(null=True, default=0)
    original_cost = FloatField(null=True, default=0)
    cost_period = models.CharField(max_length=20, null=True)
    cost_frequency = models.CharField(max_length=20, null=True)
    business_unit = models.CharField(max_length=100, null=True)
    project_id = models.CharField(max_length=100, null=True)
    feature_tag = models.CharField(max_length=100, null=True)
    cost_center = models.CharField(max_length=100, null=True)
    environment = models.CharField(max_length=50, null=True)
    last_sync = DateTimeField(null=True)
    is_active = models.BooleanField(null=True, default=True, db_index=True)
    provider_config = TextField(null=True)
    notes = TextField(null=True)

    class Meta(InfraZenModel.Meta):
        db_table = "resources"
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "resource_id", "resource_type"],
                name="unique_provider_resource",
            )
        ]

    def __str__(self) -> str:
        return self.resource_name


class ResourceTag(InfraZenModel):
    resource = models.ForeignKey(Resource, on_delete=DO_NOTHING, related_name="tags")
    tag_key = models.CharField(max_length=100, db_index=True)
    tag_value = TextField()

    class Meta(InfraZenModel.Meta):
        db_table = "resource_tags"
        constraints = [
            models.UniqueConstraint(fields=["resource", "tag_key"], name="unique_resource_tag")
        ]


class OptimizationRecommendation(InfraZenModel):
    resource = models.ForeignKey(Resource, on_delete=DO_NOTHING, related_name="recommendations")
    provider = models.ForeignKey(
        CloudProvider, on_delete=DO_NOTHING, null=True, related_name="recommendations"
    )
    recommendation_type = models.CharField(max_length=50, db_index=True)
    category = models.CharField(max_length=20, null=True, default="cost", db_index=True)
    severity = models.CharField(max_length=10, null=True, default="medium", db_index=True)
    title = models.CharField(max_length=200)
    description = TextField()
    source = models.CharField(max_length=50, null=True)
    resource_type = models.CharField(max_length=50, null=True, db_index=True)
    resource_name = models.CharField(max_length=200, null=True)
    target_provider = models.CharField(max_length=50, null=True, db_index=True)
    target_sku = models.CharField(max_length=200, null=True, db_index=True)
    target_region = models.CharField(max_length=100, null=True)
    potential_savings = FloatField(null=True, default=0)
    estimated_monthly_savings = FloatField(null=True, default=0, db_index=True)
    estimated_one_time_savings = FloatField(null=True, default=0)
    currency = models.CharField(max_length=3, null=True, default="RUB")
    confidence_score = FloatField(null=True, default=0)
    metrics_snapshot = TextField(null=True)
    insights = TextField(null=True)
    ai_short_description = TextField(null=True)
    ai_detailed_description = TextField(null=True)
    ai_generated_at = DateTimeField(null=True)
    status = models.CharField(max_length=20, null=True, default="pending", db_index=True)
    first_seen_at = DateTimeField(null=True)
    seen_at = DateTimeField(null=True)
    snoozed_until = DateTimeField(null=True)
    applied_at = DateTimeField(null=True)
    dismissed_at = DateTimeField(null=True)
    dismissed_reason = TextField(null=True)
    last_verified_at = DateTimeField(null=True, db_index=True)
    verification_fail_count = models.IntegerField(null=True, default=0)

    class Meta(InfraZenModel.Meta):
        db_table = "optimization_recommendations"

    def __str__(self) -> str:
        return f"#{self.pk} {self.recommendation_type}"


class SyncSnapshot(InfraZenModel):
    provider = models.ForeignKey(CloudProvider, on_delete=DO_NOTHING, related_name="snapshots")
    sync_type = models.CharField(max_length=20, default="full")
    sync_status = models.CharField(max_length=20, default="running")
    sync_started_at = DateTimeField(default=clock.local_now)
    sync_completed_at = DateTimeField(null=True)
    sync_duration_seconds = models.IntegerField(null=True)
    total_resources_found = models.IntegerField(null=True, default=0)
    resources_created = models.IntegerField(null=True, default=0)
    resources_updated = models.IntegerField(null=True, default=0)
    resources_deleted = models.IntegerField(null=True, default=0)
    resources_unchanged = models.IntegerField(null=True, default=0)
    # Despite the name the orchestrator stores the plugin's daily total here (contract §1).
    total_monthly_cost = FloatField(null=True, default=0)
    total_resources_by_type = TextField(null=True)
    total_resources_by_status = TextField(null=True)
    error_message = TextField(null=True)
    error_details = TextField(null=True)
    sync_config = TextField(null=True)

    class Meta(InfraZenModel.Meta):
        db_table = "sync_snapshots"


class ResourceState(models.Model):
    id = models.AutoField(primary_key=True)
    created_at = DateTimeField(null=True, default=clock.local_now)
    updated_at = DateTimeField(null=True, default=clock.local_now)
    sync_snapshot = models.ForeignKey(
        SyncSnapshot, on_delete=CASCADE, related_name="resource_states"
    )
    resource = models.ForeignKey(
        Resource, on_delete=models.SET_NULL, null=True, related_name="states"
    )
    provider_resource_id = models.CharField(max_length=100, db_index=True)
    resource_type = models.CharField(max_length=100)
    resource_name = models.CharField(max_length=255)
    state_action = models.CharField(max_length=20, db_index=True)
    previous_state = TextField(null=True)
    current_state = TextField(null=True)
    changes_detected = TextField(null=True)
    service_name = models.CharField(max_length=100, null=True)
    region = models.CharField(max_length=100, null=True)
    status = models.CharField(max_length=50, null=True)
    effective_cost = FloatField(null=True, default=0.0)
    has_cost_change = models.BooleanField(null=True, default=False)
    has_status_change = models.BooleanField(null=True, default=False)
    has_config_change = models.BooleanField(null=True, default=False)

    class Meta:
        managed = False
        db_table = "resource_states"


class CompleteSync(InfraZenModel):
    user = models.ForeignKey(InfraZenUser, on_delete=DO_NOTHING, related_name="complete_syncs")
    sync_type = models.CharField(max_length=20)
    sync_status = models.CharField(max_length=20)
    sync_started_at = DateTimeField(default=clock.local_now)
    sync_completed_at = DateTimeField(null=True)
    sync_duration_seconds = models.IntegerField(null=True)
    total_providers_synced = models.IntegerField(null=True, default=0)
    successful_providers = models.IntegerField(null=True, default=0)
    failed_providers = models.IntegerField(null=True, default=0)
    total_resources_found = models.IntegerField(null=True, default=0)
    total_monthly_cost = FloatField(null=True, default=0)  # = daily × 30
    total_daily_cost = FloatField(null=True, default=0)
    cost_by_provider = TextField(null=True)  # JSON {connection_name: DAILY cost}
    resources_by_provider = TextField(null=True)
    error_message = TextField(null=True)
    error_details = TextField(null=True)
    sync_config = TextField(null=True)

    class Meta(InfraZenModel.Meta):
        db_table = "complete_syncs"


class ProviderSyncReference(InfraZenModel):
    complete_sync = models.ForeignKey(
        CompleteSync, on_delete=DO_NOTHING, related_name="provider_references"
    )
    provider = models.ForeignKey(CloudProvider, on_delete=DO_NOTHING, related_name="+")
    sync_snapshot = models.ForeignKey(SyncSnapshot, on_delete=DO_NOTHING, related_name="+")
    sync_order = models.IntegerField()
    sync_status = models.CharField(max_length=20)
    sync_duration_seconds = models.IntegerField(null=True)
    resources_synced = models.IntegerField(null=True, default=0)
    provider_cost = FloatField(null=True, default=0)  # daily
    error_message = TextField(null=True)
    error_details = TextField(null=True)

    class Meta(InfraZenModel.Meta):
        db_table = "provider_sync_references"


class ProviderPrice(InfraZenModel):
    """The global price catalogue: no tenant column."""

    provider = models.CharField(max_length=50, db_index=True)
    resource_type = models.CharField(max_length=100, db_index=True)
    provider_sku = models.CharField(max_length=200, null=True)
    region = models.CharField(max_length=50, null=True, db_index=True)
    cpu_cores = models.IntegerField(null=True)
    ram_gb = models.IntegerField(null=True)
    storage_gb = models.IntegerField(null=True)
    storage_type = models.CharField(max_length=20, null=True)
    extended_specs = models.JSONField(null=True)
    hourly_cost = models.DecimalField(max_digits=10, decimal_places=4, null=True)
    monthly_cost = models.DecimalField(max_digits=10, decimal_places=2, null=True)
    currency = models.CharField(max_length=3, null=True, default="RUB")
    yearly_cost = models.DecimalField(max_digits=10, decimal_places=2, null=True)
    three_year_cost = models.DecimalField(max_digits=10, decimal_places=2, null=True)
    commitment_discount_percent = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    last_updated = DateTimeField(null=True, default=clock.utc_now)
    confidence_score = models.DecimalField(max_digits=3, decimal_places=2, null=True)
    source = models.CharField(max_length=50, null=True)
    source_url = TextField(null=True)
    notes = TextField(null=True)

    class Meta(InfraZenModel.Meta):
        db_table = "provider_prices"
        indexes = [
            models.Index(
                fields=["provider", "resource_type", "cpu_cores", "ram_gb"],
                name="idx_provider_prices_lookup",
            ),
            models.Index(fields=["region", "resource_type"], name="idx_provider_prices_region"),
            models.Index(fields=["last_updated"], name="idx_provider_prices_updated"),
        ]


class PriceComparisonRecommendation(InfraZenModel):
    user = models.ForeignKey(InfraZenUser, on_delete=DO_NOTHING, related_name="+")
    current_resource = models.ForeignKey(Resource, on_delete=DO_NOTHING, related_name="+")
    recommended_price = models.ForeignKey(ProviderPrice, on_delete=DO_NOTHING, related_name="+")
    similarity_score = models.DecimalField(max_digits=5, decimal_places=2, null=True)
    monthly_savings = models.DecimalField(max_digits=10, decimal_places=2, null=True)
    annual_savings = models.DecimalField(max_digits=10, decimal_places=2, null=True)
    savings_percent = models.DecimalField(max_digits=6, decimal_places=2, null=True)
    migration_effort = models.CharField(max_length=20, null=True, default="medium")
    migration_notes = TextField(null=True)
    status = models.CharField(max_length=20, null=True, default="pending", db_index=True)
    user_feedback = TextField(null=True)

    class Meta(InfraZenModel.Meta):
        db_table = "price_comparison_recommendations"


class UserProviderPreference(InfraZenModel):
    user = models.ForeignKey(InfraZenUser, on_delete=DO_NOTHING, related_name="+")
    provider_type = models.CharField(max_length=50, db_index=True)
    is_enabled = models.BooleanField(default=True)

    class Meta(InfraZenModel.Meta):
        db_table = "user_provider_preferences"
        constraints = [
            models.UniqueConstraint(fields=["user", "provider_type"], name="uq_user_provider")
        ]
        indexes = [
            models.Index(
                fields=["user", "provider_type", "is_enabled"], name="idx_user_provider_enabled"
            )
        ]


class ChatSession(models.Model):
    """Chat tables hold naive UTC (contract §1); the id is a hyphenated uuid4 string."""

    SCENARIO_RECOMMENDATION = "recommendation"
    SCENARIO_ANALYTICS = "analytics"
    STATUS_ACTIVE = "active"
    STATUS_ARCHIVED = "archived"

    id = models.CharField(max_length=36, primary_key=True)
    user = models.ForeignKey(InfraZenUser, on_delete=CASCADE, related_name="chat_sessions")
    recommendation = models.ForeignKey(
        OptimizationRecommendation,
        on_delete=CASCADE,
        null=True,
        related_name="chat_sessions",
    )
    scenario = models.CharField(max_length=32)
    context = TextField(null=True)
    created_at = DateTimeField(default=clock.utc_now)
    last_activity_at = DateTimeField(default=clock.utc_now, db_index=True)
    message_count = models.IntegerField(default=0)
    status = EnumField(values=(STATUS_ACTIVE, STATUS_ARCHIVED), default=STATUS_ACTIVE)

    class Meta:
        managed = False
        db_table = "chat_sessions"
        indexes = [
            models.Index(fields=["user", "recommendation"], name="ix_chat_sessions_user_rec"),
            models.Index(fields=["user", "scenario"], name="ix_chat_sessions_user_scenario"),
        ]

    def __str__(self) -> str:
        return self.id


class ChatMessage(models.Model):
    ROLE_USER = "user"
    ROLE_ASSISTANT = "assistant"
    ROLE_SYSTEM = "system"
    ROLES = (ROLE_USER, ROLE_ASSISTANT, ROLE_SYSTEM)

    id = models.BigAutoField(primary_key=True)
    session = models.ForeignKey(ChatSession, on_delete=CASCADE, related_name="messages")
    role = EnumField(values=ROLES)
    content = TextField()
    tokens = models.IntegerField(null=True)
    created_at = DateTimeField(default=clock.utc_now, db_index=True)

    class Meta:
        managed = False
        db_table = "chat_messages"
        indexes = [
            models.Index(fields=["session", "created_at"], name="ix_chat_messages_session_created")
        ]

    def __str__(self) -> str:
        # The admin shows this above each message of a transcript.
        when = self.created_at.strftime("%d.%m.%Y %H:%M:%S") if self.created_at else ""
        role = {"user": "пользователь", "assistant": "ассистент", "system": "система"}
        return f"№{self.pk} · {role.get(self.role, self.role)} · {when}"


class GeneratedReport(InfraZenModel):
    user = models.ForeignKey(InfraZenUser, on_delete=CASCADE, related_name="reports")
    title = models.CharField(max_length=255)
    role = models.CharField(max_length=50, db_index=True)
    status = EnumField(values=("in_progress", "ready", "failed"), default="in_progress")
    content_html = TextField(null=True)
    context_json = models.JSONField(null=True)

    class Meta(InfraZenModel.Meta):
        db_table = "generated_reports"
        indexes = [models.Index(fields=["status"], name="ix_generated_reports_status")]


class BusinessBoard(InfraZenModel):
    """A user's business board: resources placed in groups (customers, products, teams)."""

    user = models.ForeignKey(InfraZenUser, on_delete=CASCADE, related_name="boards")
    name = models.CharField(max_length=255)
    is_default = models.BooleanField(default=False)
    canvas_state = models.JSONField(null=True)
    viewport = models.JSONField(null=True)

    class Meta(InfraZenModel.Meta):
        db_table = "business_boards"


class BoardGroup(InfraZenModel):
    """A group on a board; `calculated_cost` is DAILY, a resource in several groups split
    evenly between them (InfraZen computes it)."""

    board = models.ForeignKey(BusinessBoard, on_delete=CASCADE, related_name="groups")
    name = models.CharField(max_length=255)
    fabric_id = models.CharField(max_length=100)
    position_x = FloatField()
    position_y = FloatField()
    width = FloatField()
    height = FloatField()
    color = models.CharField(max_length=20, default="#3B82F6")
    calculated_cost = FloatField(default=0.0)

    class Meta(InfraZenModel.Meta):
        db_table = "board_groups"
        constraints = [
            models.UniqueConstraint(
                fields=["board", "fabric_id"], name="unique_fabric_id_per_board"
            )
        ]


# Creation order for infrazen_schema: every table after the ones it references.
INFRAZEN_MODELS = [
    InfraZenUser,
    CloudProvider,
    Resource,
    ResourceTag,
    OptimizationRecommendation,
    SyncSnapshot,
    ResourceState,
    CompleteSync,
    ProviderSyncReference,
    ProviderPrice,
    PriceComparisonRecommendation,
    UserProviderPreference,
    ChatSession,
    ChatMessage,
    GeneratedReport,
    BusinessBoard,
    BoardGroup,
]
