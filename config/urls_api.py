from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from cases.api.errors import NotFoundApi

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("surveys.api.urls")),
    path("", include("metrics.api.urls")),
    path("", include("cases.api.urls")),
    path("", include("knowledge.api_urls")),
    path("quality/", include("quality.api.urls")),
    path("insights/", include("insights.api.urls")),
    # Last: any other /api/v1/ URL is a JSON 404, not Django's HTML page.
    re_path(r"^", NotFoundApi.as_view()),
]
