from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("ops.urls")),
    path("", include("recommendations_ai.urls")),
    path("", include("chat.urls")),
    path("admin/", admin.site.urls),
]
