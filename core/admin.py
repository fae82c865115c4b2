"""What every admin page of the service's records shares."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import admin


class ReadOnlyAdminMixin:
    """Nothing here is edited by hand: transcripts belong to users, audits and accounting rows
    are evidence."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


def column(
    field: str, label: str, *, boolean: bool = False, values: dict[str, str] | None = None
) -> Callable[[Any], Any]:
    """A model field under a Russian label, for `list_display`, `fields` and `readonly_fields`.

    The models keep their verbose names: InfraZen's tables and the migrations of ours are not
    changed for a label. A field with choices shows its label, as the field itself would;
    `values` names stored codes (InfraZen's enums have no choices).
    """

    def show(obj: Any) -> Any:
        display = getattr(obj, f"get_{field}_display", None)
        value = display() if display else getattr(obj, field)
        return values.get(value, value) if values else value

    show.__name__ = field
    show.short_description = label  # type: ignore[attr-defined]
    show.admin_order_field = field  # type: ignore[attr-defined]
    show.boolean = boolean  # type: ignore[attr-defined]
    return show


def titled(field: str, title: str) -> tuple[str, type]:
    """A `list_filter` entry on `field` under a Russian title (Django picks the filter kind)."""

    class Titled(admin.FieldListFilter):
        def __new__(cls, field_, request, params, model, model_admin, field_path):
            made = admin.FieldListFilter.create(
                field_, request, params, model, model_admin, field_path
            )
            made.title = title
            return made

    return field, Titled
