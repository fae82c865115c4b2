"""What every admin page of the service's records shares."""

from __future__ import annotations


class ReadOnlyAdminMixin:
    """Nothing here is edited by hand: transcripts belong to users, audits and accounting rows
    are evidence."""

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
