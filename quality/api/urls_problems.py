"""Quality's problems API, part of quality/api/urls.py (namespace "quality-api")."""

from django.urls import URLPattern, path  # noqa: F401

urlpatterns: list[URLPattern] = []
