from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from console import views
from console.chat_token import chat_token

app_name = "console"

urlpatterns = [
    path(
        "login/",
        auth_views.LoginView.as_view(template_name="console/login.html"),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(next_page="console:login"), name="logout"),
    path("", views.recommendations, name="recommendations"),
    path("analytics/", views.analytics, name="analytics"),
    path("reports/", views.reports, name="reports"),
    path("reports/<uuid:report_uuid>/", views.report, name="report"),
    path("chat/token/", chat_token, name="chat_token"),
]
