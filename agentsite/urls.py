from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from console.views import root

admin.site.site_header = "InfraZen · FinOps-ассистент"
admin.site.site_title = "InfraZen FinOps"
admin.site.index_title = "Журналы, расходы и лимиты"

urlpatterns = [
    # The console when CONSOLE_ENABLED, else the JSON root (ops.apis.RootApi).
    path("", root),
    path("", include("ops.urls")),
    path("", include("recommendations_ai.urls")),
    path("", include("chat.urls")),
    path("", include("reports.urls")),
    path("console/", include("console.urls")),
    path("admin/", admin.site.urls),
]

# Every error Django answers itself gets the service's JSON shape (ops.error_views).
handler400 = "ops.error_views.bad_request"
handler403 = "ops.error_views.permission_denied"
handler404 = "ops.error_views.page_not_found"
handler500 = "ops.error_views.server_error"
