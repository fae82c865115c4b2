"""One persona's rows: the clock and random draws they share, and the rows every shape writes."""

from __future__ import annotations

import json
import random
import string
import uuid
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from demo_data.personas import Persona, Provider
from infrazen.models import (
    CloudProvider,
    InfraZenUser,
    OptimizationRecommendation,
    PriceComparisonRecommendation,
    ProviderPrice,
    Resource,
    ResourceTag,
    UserProviderPreference,
)


def pyrepr(value: dict[str, Any]) -> str | None:
    # The rule engine stores str(dict): Python repr, and NULL for an empty dict (contract §2).
    return str(value) if value else None


def as_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class Seeder:
    """Builds one persona's rows; resources first, then recommendations, then syncs."""

    def __init__(
        self, *, persona: Persona, anchor: date, prices: dict[str, ProviderPrice], seed: int
    ) -> None:
        self.persona = persona
        self.email = persona.email
        self.anchor = anchor
        self.prices = prices
        self.rng = random.Random(seed)
        self.days = persona.sync_days
        self.first_sync = self.sync_time(self.days - 1)
        self.last_sync = self.sync_time(0)
        self.providers: dict[str, CloudProvider] = {}
        self.resources: dict[str, Resource] = {}
        self.first_seen: dict[str, int] = {}  # resource name → days_ago of its first sync
        self.updates: dict[str, tuple[int, dict[str, Any]]] = dict(persona.updates or {})
        self.tags: list[tuple[str, str, Any]] = []
        self.recs: list[OptimizationRecommendation] = []
        self.comparisons: list[tuple[OptimizationRecommendation, ProviderPrice, float]] = []
        self.user: InfraZenUser

    # time
    def day(self, days_ago: int) -> date:
        return self.anchor - timedelta(days=days_ago)

    def sync_time(self, days_ago: int) -> datetime:
        # The scheduled sync runs at 03:00 server time; minutes vary by a fixed formula.
        return datetime.combine(self.day(days_ago), time(3, (days_ago * 7) % 25, days_ago % 60))

    def provider_created(self, days_ago: int) -> str:
        moment = datetime.combine(self.day(days_ago), time(9, 0)) + timedelta(
            minutes=self.rng.randrange(0, 600), seconds=self.rng.randrange(60)
        )
        return iso(moment)

    # ids
    def yc_id(self, prefix: str) -> str:
        alphabet = string.ascii_lowercase + string.digits
        return prefix + "".join(self.rng.choice(alphabet) for _ in range(17))

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def ip(self, prefix: str) -> str:
        return f"{prefix}.{self.rng.randrange(1, 255)}.{self.rng.randrange(1, 255)}"

    # rows
    def user_create(self) -> None:
        persona = self.persona
        joined = datetime.combine(self.day(self.days + 30), time(11, 20))
        self.user = InfraZenUser.objects.create(
            username=self.email.split("@")[0],
            email=self.email,
            password_hash=None,
            first_name=persona.first_name,
            last_name=persona.last_name,
            company=persona.company,
            role=persona.role,
            is_active=True,
            is_verified=True,
            email_confirmed=True,
            last_login=datetime.combine(self.anchor, time(9, 12)),
            login_count=self.rng.randrange(20, 140),
            timezone="Europe/Moscow",
            currency="RUB",
            language="ru",
            created_at=joined,
            updated_at=joined,
        )

    def provider_create(self, connection: Provider) -> CloudProvider:
        created = self.first_sync - timedelta(hours=1)
        provider = CloudProvider.objects.create(
            user=self.user,
            provider_type=connection.provider_type,
            connection_name=connection.connection_name,
            account_id=str(self.rng.randrange(100000, 999999)),
            credentials=as_json(connection.credentials),
            is_active=True,
            is_deleted=False,
            last_sync=self.last_sync,
            sync_status="success",
            auto_sync=True,
            sync_interval="daily",
            provider_metadata=as_json(
                {
                    "last_connection_test": self.last_sync.isoformat(),
                    "connection_status": "connected",
                    "account_info": {
                        "balance": round(self.rng.uniform(5000, 90000), 2),
                        "currency": "RUB",
                    },
                    "last_sync": self.last_sync.isoformat(),
                }
            ),
            created_at=created,
            updated_at=self.last_sync,
        )
        self.providers[connection.provider_type] = provider
        return provider

    def _costs(
        self, provider_type: str, rtype: str, daily: float | None, monthly: float | None
    ) -> dict[str, Any]:
        """The cost columns in the provider's units (contract §2)."""
        if self.persona.listed_costs:
            units = "demo"
        elif provider_type == "beget" and rtype != "server":
            units = "monthly"
        else:
            units = "daily"
        if units == "daily":
            daily = daily if daily is not None else monthly / 30
            monthly = round(daily * 30, 2)
            effective = daily
        else:
            monthly = monthly if monthly is not None else round(daily * 30, 2)
            daily = monthly / 30
            effective = monthly
        billing_period = {"daily": None, "monthly": "monthly", "demo": "monthly"}[units]
        if provider_type == "beget" and rtype == "server":
            billing_period = "daily"
        return {
            "effective_cost": effective,
            "billing_period": billing_period,
            "daily_cost": daily,
            "original_cost": daily if billing_period == "daily" else monthly,
            "cost_period": "daily" if billing_period in (None, "daily") else "monthly",
            "cost_frequency": "usage-based" if provider_type != "beget" else "recurring",
        }

    def resource(
        self,
        provider_type: str,
        *,
        name: str,
        rtype: str,
        service: str,
        region: str,
        status: str,
        config: dict[str, Any],
        resource_id: str,
        daily: float | None = None,
        monthly: float | None = None,
        external_ip: str | None = None,
        environment: str | None = None,
        first_seen: int | None = None,
        tags: dict[str, Any] | None = None,
    ) -> Resource:
        """One resource with its provider's cost units (contract §2)."""
        seen = self.days - 1 if first_seen is None else first_seen
        resource = Resource(
            provider=self.providers[provider_type],
            resource_id=resource_id,
            resource_name=name,
            region=region,
            external_ip=external_ip,
            service_name=service,
            resource_type=rtype,
            status=status,
            currency="RUB",
            **self._costs(provider_type, rtype, daily, monthly),
            environment=environment,
            last_sync=self.last_sync,
            is_active=True,
            provider_config=as_json(config),
            created_at=self.sync_time(seen),
            updated_at=self.last_sync,
        )
        self.resources[name] = resource
        self.first_seen[name] = seen
        self.tags.extend((name, key, value) for key, value in (tags or {}).items())
        return resource

    def resources_save(self) -> None:
        rows = list(self.resources.values())
        Resource.objects.bulk_create(rows)
        if any(r.pk is None for r in rows):  # MySQL returns no ids from bulk inserts
            ids = {
                (r.provider_id, r.resource_id, r.resource_type): r.pk
                for r in Resource.objects.filter(provider__user=self.user)
            }
            for r in rows:
                r.pk = ids[(r.provider_id, r.resource_id, r.resource_type)]
        ResourceTag.objects.bulk_create(
            ResourceTag(
                resource=self.resources[name],
                tag_key=key,
                tag_value=value if isinstance(value, str) else as_json(value),
                created_at=self.resources[name].created_at,
                updated_at=self.last_sync,
            )
            for name, key, value in self.tags
        )

    def monthly(self, name: str) -> float:
        r = self.resources[name]
        return r.effective_cost if r.billing_period == "monthly" else round(r.daily_cost * 30, 2)

    def recommend(
        self,
        name: str,
        rtype: str,
        *,
        source: str,
        title: str,
        description: str,
        savings: float,
        metrics: dict[str, Any],
        insights: dict[str, Any],
        confidence: float,
        severity: str = "medium",
        status: str = "pending",
        legacy: bool = False,
        provider_null: bool = False,
        age_days: int = 10,
        dismissed_reason: str | None = None,
    ) -> OptimizationRecommendation:
        resource = self.resources[name]
        created = self.sync_time(age_days) + timedelta(minutes=6)
        verified = self.last_sync + timedelta(minutes=6)
        encode = as_json if legacy else pyrepr
        rec = OptimizationRecommendation(
            resource=resource,
            provider=None if provider_null else resource.provider,
            recommendation_type=rtype,
            category="cost",
            severity=severity,
            title=title,
            description=description,
            source=source,
            resource_type=resource.resource_type,
            resource_name=resource.resource_name,
            target_provider=insights.get("recommended_provider"),
            target_sku=insights.get("recommended_sku"),
            target_region=insights.get("recommended_region"),
            estimated_monthly_savings=savings,
            currency="RUB",
            confidence_score=confidence,
            metrics_snapshot=encode(metrics),
            insights=encode(insights),
            status=status,
            first_seen_at=created,
            seen_at=created + timedelta(days=1, hours=7) if status != "pending" else None,
            applied_at=created + timedelta(days=3, hours=6) if status == "implemented" else None,
            dismissed_at=created + timedelta(days=2, hours=5) if status == "dismissed" else None,
            dismissed_reason=dismissed_reason,
            last_verified_at=None if status in ("dismissed", "implemented") else verified,
            verification_fail_count=0,
            created_at=created,
            updated_at=verified,
        )
        self.recs.append(rec)
        return rec

    def recommendations_save(self) -> None:
        OptimizationRecommendation.objects.bulk_create(self.recs)
        # The server/VM price rule also writes price_comparison_recommendations (contract §1).
        rows = []
        for rec, price, score in self.comparisons:
            current = Decimal(str(self.monthly(rec.resource_name)))
            savings = Decimal(str(rec.estimated_monthly_savings)).quantize(Decimal("0.01"))
            rows.append(
                PriceComparisonRecommendation(
                    user=self.user,
                    current_resource=rec.resource,
                    recommended_price=price,
                    similarity_score=Decimal(str(score * 100)).quantize(Decimal("0.01")),
                    monthly_savings=savings,
                    annual_savings=savings * 12,
                    savings_percent=(savings * 100 / current).quantize(Decimal("0.01")),
                    migration_effort="medium",
                    status="pending",
                    created_at=rec.created_at,
                    updated_at=rec.updated_at,
                )
            )
        PriceComparisonRecommendation.objects.bulk_create(rows)

    def preferences(self, enabled: dict[str, bool]) -> None:
        UserProviderPreference.objects.bulk_create(
            UserProviderPreference(
                user=self.user,
                provider_type=ptype,
                is_enabled=on,
                created_at=self.first_sync,
                updated_at=self.first_sync,
            )
            for ptype, on in enabled.items()
        )
