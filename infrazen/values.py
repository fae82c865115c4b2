"""Readers for the values InfraZen stores as text, and the one secret filter.

Text dicts (contract §2): the rule engine writes `str(dict)` (Python repr), seeds write JSON,
and `provider_prices.extended_specs` can be JSON holding a JSON string. `parse_text_dict`
reads all three without ever evaluating code.

Cost units (contract §2): `resources.effective_cost` is a DAILY amount for Yandex, Selectel and
Beget VPS/cloud services, and a MONTHLY amount for Beget DB/FTP/email and demo rows;
`billing_period` says which ('daily', 'monthly' or, for Yandex and Selectel, NULL).
`daily_cost` is the normalised daily amount. So a monthly figure is `effective_cost` when
`billing_period == 'monthly'`, else `daily_cost * 30`. Never label `effective_cost` as monthly.
`complete_syncs.cost_by_provider`, `provider_sync_references.provider_cost` and
`sync_snapshots.total_monthly_cost` are daily despite the last one's name.

Provider config leaves the data layer only through `resource_config`, which drops secrets
(Beget VPS rows carry `admin_credentials.admin_password`, contract §5).
"""

from __future__ import annotations

import ast
import copy
import functools
import json
import logging
import math
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from infrazen.models import Resource

logger = logging.getLogger(__name__)

DAYS_PER_MONTH = 30  # InfraZen's own convention for daily → monthly

# Keys dropped wherever they appear, compared case-insensitively.
SECRET_KEYS = frozenset({"credentials", "admin_credentials"})
# Any key containing one of these (after lower-casing and dropping "-", "_" and spaces) is a
# secret: that catches "apiKey", "X-Api-Key" and "secret_access_key" alike.
SECRET_KEY_MARKERS = (
    "credential",
    "password",
    "passwd",
    "secret",
    "token",
    "apikey",
    "privatekey",
    "accesskey",
    "authorization",
)

# A double-encoded value is JSON inside JSON; deeper nesting is not something InfraZen writes.
_MAX_DECODE_DEPTH = 3


def _reject_constant(_name: str) -> None:
    # json accepts NaN/Infinity; they are not JSON and would poison every sum downstream.
    return None


def _decode(text: str) -> Any:
    """JSON first, then a Python literal. Raises ValueError when neither reads it."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError:
        pass
    try:
        # literal_eval builds literals only: calls, names and attributes are rejected.
        return ast.literal_eval(text)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError) as exc:
        raise ValueError("not JSON or a Python literal") from exc


def parse_text_dict(raw: str | bytes | dict | None, *, field: str = "text") -> dict:
    """A dict from JSON or Python-repr text; {} for empty input, {} plus a warning for garbage.

    The warning carries the field name and length only: these columns hold tenant data.
    """
    if raw is None:
        return {}
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, bytes | bytearray):
        try:
            raw = bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            logger.warning("%s: %d bytes are not UTF-8, read as {}", field, len(raw))
            return {}
    if not isinstance(raw, str):
        logger.warning("%s: a %s is not a text dict, read as {}", field, type(raw).__name__)
        return {}
    value: Any = raw
    for _ in range(_MAX_DECODE_DEPTH):
        if not isinstance(value, str):
            break
        if not value.strip():
            if value is raw:
                return {}
            break
        try:
            value = _decode(value.strip())
        except ValueError:
            logger.warning(
                "%s: %d chars are not JSON or a Python literal, read as {}", field, len(raw)
            )
            return {}
    if not isinstance(value, dict):
        logger.warning(
            "%s: %d chars hold a %s, not a dict, read as {}", field, len(raw), type(value).__name__
        )
        return {}
    return value


# --- specs ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Specs:
    vcpus: int | None = None
    ram_gb: float | None = None
    storage_gb: float | None = None
    disk_type: str | None = None

    @property
    def is_empty(self) -> bool:
        # A disk type alone sizes nothing, so it does not count.
        return self.vcpus is None and self.ram_gb is None and self.storage_gb is None


_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_INTEGER = re.compile(r"\d+")
_UNIT_WORDS = re.compile(r"\b(?:[kmgt]i?b|gigabytes?|megabytes?|terabytes?)\b", re.IGNORECASE)


def _number(value: Any) -> float | None:
    """A positive finite number from a number or the first number in a string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        match = _NUMBER.search(value)
        if not match:
            return None
        number = float(match.group().replace(",", "."))
    else:
        return None
    # Zero means "unknown" in these configs (a plugin default), not a real size.
    if not math.isfinite(number) or number <= 0:
        return None
    return number


def _vcpus(value: Any) -> int | None:
    if isinstance(value, str):
        match = _INTEGER.search(value)
        value = int(match.group()) if match else None
    number = _number(value)
    return int(number) if number is not None and number >= 1 else None


def _gb(number: float) -> float:
    return round(number, 3)


def _memory_gb(value: Any, *, unit: str | None) -> float | None:
    """Memory in GB. unit None means "guess": InfraZen's normalisation rule (contract §2)."""
    number = _number(value)
    if number is None:
        return None
    if unit is None and isinstance(value, str):
        text = value.lower()
        if "mb" in text or "mib" in text:
            unit = "mb"
        elif "tb" in text or "tib" in text:
            unit = "tb"
        elif "gb" in text or "gib" in text:
            unit = "gb"
    if unit is None:
        whole = number.is_integer() and int(number)
        unit = "mb" if whole and whole > 64 and whole % 1024 == 0 else "gb"
    if unit == "mb":
        return _gb(number / 1024)
    if unit == "tb":
        return _gb(number * 1024)
    return _gb(number)


def _storage_gb(value: Any) -> float | None:
    number = _number(value)
    if number is None:
        return None
    if isinstance(value, str) and re.search(r"\bti?b\b", value, re.IGNORECASE):
        number *= 1024
    return _gb(number)


def _first(config: dict, keys: tuple[str, ...], read) -> Any:
    for key in keys:
        if key in config:
            result = read(config[key])
            if result is not None:
                return result
    return None


def _dicts(value: Any) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _boot_disk_type(config: dict) -> str | None:
    disks = _dicts(config.get("attached_disks"))
    boot = [disk for disk in disks if disk.get("is_boot")] or disks[:1]
    for disk in boot:
        disk_type = disk.get("type") or disk.get("disk_type")
        if isinstance(disk_type, str) and disk_type.strip():
            return disk_type.strip()
    return None


def _storage_type_word(value: Any) -> str | None:
    """'SSD' from the demo seed's "100 GB SSD"."""
    if not isinstance(value, str):
        return None
    rest = _UNIT_WORDS.sub(" ", _NUMBER.sub(" ", value)).strip(" ,;/-")
    return rest or None


def specs_from_config(config: dict) -> Specs:
    """vCPU, RAM, storage and disk type from any provider's provider_config (contract §2).

    Keys named in a unit (ram_mb, ram_gb, flavor.ram in MB) are taken at their word; unit-less
    keys (memory, ram) follow InfraZen's rule: "mb" in the text, or an integer > 64 divisible
    by 1024, is MiB. Missing, zero, NaN and unparseable values become None.
    """
    if not isinstance(config, dict):
        return Specs()
    flavor = config.get("flavor") if isinstance(config.get("flavor"), dict) else {}
    instance = config.get("instance") if isinstance(config.get("instance"), dict) else {}
    raw_resources = instance.get("resources") if isinstance(instance.get("resources"), dict) else {}

    vcpus = _first(config, ("cpu", "vcpu", "vcpus", "cores", "cpu_cores", "total_vcpus"), _vcpus)
    if vcpus is None:
        vcpus = _first(flavor, ("vcpus",), _vcpus) or _first(raw_resources, ("cores",), _vcpus)

    ram_gb = _first(config, ("memory", "ram"), lambda v: _memory_gb(v, unit=None))
    if ram_gb is None:
        ram_gb = _first(config, ("ram_gb", "total_ram_gb"), lambda v: _memory_gb(v, unit="gb"))
    if ram_gb is None:
        ram_gb = _first(config, ("ram_mb",), lambda v: _memory_gb(v, unit="mb"))
    if ram_gb is None:
        ram_gb = _first(flavor, ("ram",), lambda v: _memory_gb(v, unit="mb"))
    if ram_gb is None:
        # The raw Yandex API object gives bytes.
        memory_bytes = _number(raw_resources.get("memory"))
        ram_gb = _gb(memory_bytes / 1024**3) if memory_bytes else None

    storage_gb = _first(
        config, ("total_storage_gb", "storage_gb", "disk_gb", "size_gb", "storage"), _storage_gb
    )
    if storage_gb is None:
        disks = _dicts(config.get("attached_disks")) or _dicts(config.get("attached_volumes"))
        sizes = [size for disk in disks if (size := _number(disk.get("size_gb"))) is not None]
        storage_gb = _gb(sum(sizes)) if sizes else None

    disk_type = None
    for key in ("disk_type", "storage_type"):
        if isinstance(config.get(key), str) and config[key].strip():
            disk_type = config[key].strip()
            break
    disk_type = disk_type or _boot_disk_type(config) or _storage_type_word(config.get("storage"))

    return Specs(vcpus=vcpus, ram_gb=ram_gb, storage_gb=storage_gb, disk_type=disk_type)


def resource_specs(resource: Resource) -> Specs:
    return specs_from_config(parse_text_dict(resource.provider_config, field="provider_config"))


# --- costs ----------------------------------------------------------------------------------


def finite_float(value: Any) -> float | None:
    """A real, finite number, or None (bools, text, NaN and infinities are not amounts)."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _billing_period(resource: Resource) -> str:
    return (resource.billing_period or "").strip().lower()


def monthly_cost(resource: Resource) -> float:
    """RUB per month by InfraZen's safe rule (module docstring). Not rounded: that is display."""
    period = _billing_period(resource)
    effective = finite_float(resource.effective_cost)
    daily = finite_float(resource.daily_cost)
    if period == "monthly" and effective is not None:
        return effective
    if daily is not None:
        return daily * DAYS_PER_MONTH
    if period == "daily" and effective is not None:
        return effective * DAYS_PER_MONTH
    return 0.0


def daily_cost(resource: Resource) -> float:
    """RUB per day by the same rule, so that daily_cost(r) * 30 == monthly_cost(r)."""
    period = _billing_period(resource)
    effective = finite_float(resource.effective_cost)
    daily = finite_float(resource.daily_cost)
    if period == "monthly" and effective is not None:
        return effective / DAYS_PER_MONTH
    if daily is not None:
        return daily
    if period == "daily" and effective is not None:
        return effective
    return 0.0


# --- secrets --------------------------------------------------------------------------------


def is_secret_key(key: Any) -> bool:
    return isinstance(key, str) and _is_secret_name(key)


@functools.lru_cache(maxsize=4096)
def _is_secret_name(key: str) -> bool:
    # Remembered: every facts build walks a provider config, whose keys are a handful of
    # names, over and over.
    lowered = key.lower()
    if lowered in SECRET_KEYS:
        return True
    squashed = re.sub(r"[\s_\-]", "", lowered)
    return any(marker in squashed for marker in SECRET_KEY_MARKERS)


def redact_secrets(value: Any) -> Any:
    """A deep copy of value with every secret key dropped, at any depth."""
    if isinstance(value, dict):
        return {key: redact_secrets(item) for key, item in value.items() if not is_secret_key(key)}
    if isinstance(value, list | tuple):
        return type(value)(redact_secrets(item) for item in value)
    if isinstance(value, set | frozenset):
        return type(value)(redact_secrets(item) for item in value)
    if isinstance(value, str | int | float | bool | type(None)):
        return value
    return copy.deepcopy(value)


def resource_config(resource: Resource) -> dict:
    """The resource's provider_config without secrets: the only way config leaves this layer."""
    return redact_secrets(parse_text_dict(resource.provider_config, field="provider_config"))
