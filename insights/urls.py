"""Insights' pages and the fragments it serves to other apps' pages (cases never imports it)."""

from django.urls import path  # noqa: F401 - each feature adds its paths below

app_name = "insights"

urlpatterns: list[object] = []
