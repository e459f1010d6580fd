"""Metrics API, mounted under /api/v1/ by config/urls_api.py. URL names are part of the
contract: `metrics_api:<name>`."""

from django.urls import path

from . import churn, experience, explain, views

app_name = "metrics_api"

urlpatterns = [
    path("metrics/summary/", views.SummaryApi.as_view(), name="metrics-summary"),
    path("metrics/timeseries/", views.TimeseriesApi.as_view(), name="metrics-timeseries"),
    path("metrics/breakdown/", views.BreakdownApi.as_view(), name="metrics-breakdown"),
    path("metrics/drivers/", views.DriversApi.as_view(), name="metrics-drivers"),
    path("metrics/macros/", views.MacroEffectivenessApi.as_view(), name="metrics-macros"),
    path("metrics/churn/", churn.ChurnApi.as_view(), name="metrics-churn"),
    path("metrics/explain/", explain.ExplainApi.as_view(), name="metrics-explain"),
    path(
        "metrics/customers/<int:id>/",
        experience.CustomerExperienceApi.as_view(),
        name="metrics-customer",
    ),
    path(
        "metrics/organisations/<int:id>/",
        experience.OrganisationExperienceApi.as_view(),
        name="metrics-organisation",
    ),
]
