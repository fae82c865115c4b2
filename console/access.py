"""Whose data a console page shows: the signed-in account's InfraZen user, matched by email.

A console account is a Django user (`make demo` creates one per demo persona and prints the
passwords); in production only staff use the console. Staff may look at one InfraZen user by
id (`?user=`), for support; anyone else sees only the InfraZen user whose email is their
own. A user that does not resolve gives the same 404 as a missing page.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404

from core.errors import NotFound
from infrazen.models import InfraZenUser
from infrazen.selectors import user_get_active


def console_enabled() -> bool:
    return bool(settings.CONSOLE_ENABLED)


def console_user(request) -> InfraZenUser:
    if not console_enabled():
        raise Http404
    account = request.user
    if settings.AGENT_ENV == "prod" and not account.is_staff:
        raise Http404
    wanted = request.GET.get("user", "")
    try:
        if account.is_staff and wanted.isdigit():
            return user_get_active(user_id=int(wanted))
        found = InfraZenUser.objects.filter(email__iexact=account.email or "-").first()
        if found is None:
            raise NotFound("no InfraZen user for this account")
        return user_get_active(user_id=found.pk)
    except NotFound:
        raise Http404 from None
