from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from cases.views.auth import LoginView
from cases.views.preferences import preferences, revoke_api_token_view

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="cases:queue", permanent=False), name="home"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/preferences/", preferences, name="preferences"),
    path(
        "accounts/preferences/api-tokens/<str:token_id>/revoke/",
        revoke_api_token_view,
        name="revoke_api_token",
    ),
    # Browsers ask for /favicon.ico on pages that name no icon (the admin, JSON, files).
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=False)),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("support/", include("cases.urls_portal")),
    path("help/", include("knowledge.urls_public")),
    path("knowledge/", include("knowledge.urls")),
    path("quality/", include("quality.urls")),
    path("insights/", include("insights.urls")),
    path("", include("surveys.urls")),
    path("api/v1/", include("config.urls_api")),
    path("", include("metrics.urls")),
    path("", include("cases.urls")),
]

# Pulso's own error pages in the visitor's language (JSON under /api/): cases/views/errors.py.
handler400 = "cases.views.errors.bad_request"
handler403 = "cases.views.errors.permission_denied"
handler404 = "cases.views.errors.page_not_found"
handler500 = "cases.views.errors.server_error"
