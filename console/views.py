"""The console: a signed-in user's recommendations, analytics and reports, in Russian, with
the chat widget in a drawer (`make demo` prints its address and the demo accounts)."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from csp.decorators import csp_update
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import get_script_prefix, reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods

from console import pages
from console.access import console_enabled, console_user
from console.charts import trend_chart
from llm.gateway import deadline_in
from reports.links import pdf_link
from reports.roles import ROLES
from reports.services import report_render


def root(request):
    """`/`: the console when it is enabled, else the service's JSON root as before."""
    if console_enabled():
        return HttpResponseRedirect(reverse("console:recommendations"))
    from ops.apis import RootApi

    return RootApi.as_view()(request)


def _drawer(request) -> dict:
    """What the chat drawer's script needs: the service's address (its sockets and uploads)
    and the console's token endpoint, for the user a staff member picked too."""
    token_url = reverse("console:chat_token")
    if request.GET.get("user"):
        token_url += "?" + urlencode({"user": request.GET["user"]})
    return {"agent_url": request.build_absolute_uri(get_script_prefix()), "token_url": token_url}


# The widget's template sets one style attribute (its hidden status bar); style attributes
# only, never a <style> element or a script.
WIDGET_CSP = {"style-src-attr": ["'unsafe-inline'"]}


@login_required
@csp_update(WIDGET_CSP)
def recommendations(request):
    user = console_user(request)
    cards = pages.recommendation_cards(user=user)
    context = {"user": user, "cards": cards, "page": "recommendations", "drawer": _drawer(request)}
    return render(request, "console/recommendations.html", context)


@login_required
@csp_update(WIDGET_CSP)
def analytics(request):
    user = console_user(request)
    data = pages.analytics(user=user)
    chart = trend_chart(points=data["days"], anomalies=data["anomalies"].anomalies)
    context = {
        "user": user,
        "page": "analytics",
        "chart": chart,
        "drawer": _drawer(request),
        **data,
    }
    return render(request, "console/analytics.html", context)


@login_required
@require_http_methods(["GET", "POST"])
async def reports(request):
    user = await sync_to_async(console_user)(request)
    if request.method == "POST":
        role = request.POST.get("role", "")
        if role not in ROLES:
            raise Http404
        deadline = deadline_in(settings.REPORT_DEADLINE_S)
        report, _ = await report_render(
            user_id=user.pk, role=role, period_days=30, deadline=deadline
        )
        url = reverse("console:report", args=[report.uuid])
        return HttpResponseRedirect(url + (f"?user={user.pk}" if request.GET.get("user") else ""))
    listed = await sync_to_async(pages.reports)(user=user)
    context = {"user": user, "page": "reports", "roles": ROLES.values(), "reports": listed}
    return await sync_to_async(render)(request, "console/reports.html", context)


@login_required
@csp_update({"style-src": ["'self'", "'unsafe-inline'"]})
def report(request, report_uuid):
    user = console_user(request)
    found = pages.report_get(user=user, report_uuid=report_uuid)
    if found is None:
        raise Http404
    if request.GET.get("format") == "html":
        # The stored page itself: self-contained, no script (reports/render.py).
        return HttpResponse(found.html)
    context = {"user": user, "page": "reports", "report": found, "pdf": pdf_link(str(found.uuid))}
    return render(request, "console/report.html", context)
