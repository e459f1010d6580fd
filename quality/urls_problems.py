"""Quality's problems pages, part of quality/urls.py (namespace "quality")."""

from django.urls import URLPattern, path  # noqa: F401

urlpatterns: list[URLPattern] = []
