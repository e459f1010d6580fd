"""Insights' API under /api/v1/insights/ (namespace `insights-api`)."""

from django.urls import path  # noqa: F401 - each feature adds its paths below

app_name = "insights-api"

urlpatterns: list[object] = []
