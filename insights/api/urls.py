"""Insights' API under /api/v1/insights/ (namespace `insights-api`)."""

from django.urls import path  # noqa: F401 - each feature adds its paths below

from insights.api import sentiment, similar, triage
from insights.api.models import ModelsApi
from insights.api.themes import ThemeApi, ThemesApi

app_name = "insights-api"

urlpatterns: list[object] = [
    path("tickets/<int:id>/triage/", triage.TicketTriageApi.as_view(), name="insights-triage"),
    path(
        "tickets/<int:id>/triage/accept/",
        triage.TicketTriageAcceptApi.as_view(),
        name="insights-triage-accept",
    ),
    path(
        "tickets/<int:id>/similar/",
        similar.TicketSimilarApi.as_view(),
        name="insights-ticket-similar",
    ),
    path(
        "tickets/<int:id>/sentiment/",
        sentiment.TicketSentimentApi.as_view(),
        name="insights-ticket-sentiment",
    ),
]

# what customers talk about (docs/insights.md, "Themes")
urlpatterns += [
    path("themes/", ThemesApi.as_view(), name="insights-themes"),
    path("themes/<int:id>/", ThemeApi.as_view(), name="insights-theme"),
]

# the trained models and the auto-apply rules: admins' (the models page's figures)
urlpatterns += [path("models/", ModelsApi.as_view(), name="insights-models")]
