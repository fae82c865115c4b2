"""get_prices_for_skus: rows of the global price catalogue by SKU (no tenant data in it).

InfraZen's get_provider_pricing read columns that do not exist and always returned [] (facts
§4.1); this one reads provider_prices as it is.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from infrazen import selectors
from infrazen.models import InfraZenUser
from tools.base import ArgsModel, Money, money, size_bound

NAME = "get_prices_for_skus"
LABEL = "Проверяю цены в каталоге"
SCENARIOS = frozenset({"recommendation"})
# Reads only: no confirmation needed, any role may run it (governance.policy).
READ_ONLY = True

MAX_ROWS = 20

Sku = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class Args(ArgsModel):
    """Catalogue prices of specific SKUs (e.g. "v4-r8-d100-network_ssd:ru-6a",
    "ru2-normal_cpu-4cpu-8gb-100gb"): provider, resource type, region, vCPU, RAM, storage and
    the monthly price."""

    skus: list[Sku] = Field(min_length=1, max_length=10, description="Up to 10 exact SKUs.")


class Price(BaseModel):
    provider: str
    resource_type: str
    sku: str | None
    region: str | None
    cpu_cores: int | None
    ram_gb: int | None
    storage_gb: int | None
    storage_type: str | None
    monthly_price: Money | None
    yearly_price: Money | None
    last_updated: str | None
    source: str | None


class Result(BaseModel):
    prices: list[Price] = Field(default_factory=list)
    not_found: list[str] = Field(default_factory=list)
    truncated: bool = False

    def summary(self) -> str:
        return f"Цен найдено: {len(self.prices)}"


def _rub(value, period) -> Money | None:
    return money(float(value), period) if value is not None else None


def run(*, user: InfraZenUser, args: Args) -> Result:
    skus = list(dict.fromkeys(args.skus))
    rows = list(selectors.price_list(skus=skus).filter(currency="RUB")[: MAX_ROWS + 1])
    found = {row.provider_sku for row in rows}
    result = Result(
        prices=[
            Price(
                provider=row.provider,
                resource_type=row.resource_type,
                sku=row.provider_sku,
                region=row.region,
                cpu_cores=row.cpu_cores,
                ram_gb=row.ram_gb,
                storage_gb=row.storage_gb,
                storage_type=row.storage_type,
                monthly_price=_rub(row.monthly_cost, "month"),
                yearly_price=_rub(row.yearly_cost, "year"),
                last_updated=row.last_updated.date().isoformat() if row.last_updated else None,
                source=row.source,
            )
            for row in rows[:MAX_ROWS]
        ],
        not_found=[sku for sku in skus if sku not in found],
        truncated=len(rows) > MAX_ROWS,
    )
    return size_bound(result, "prices")
