from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from cases.views.auth import LoginView
from cases.views.preferences import preferences

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="cases:queue", permanent=False), name="home"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/preferences/", preferences, name="preferences"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("support/", include("cases.urls_portal")),
    path("", include("surveys.urls")),
    path("api/v1/", include("config.urls_api")),
    path("", include("metrics.urls")),
    path("", include("cases.urls")),
]
