"""Insights' pages and the fragments it serves to other apps' pages (cases never imports it)."""

from django.urls import path  # noqa: F401 - each feature adds its paths below

from insights import views_models, views_sentiment, views_similar, views_triage
from insights.views_themes import (
    dashboard_section,
    theme_detail,
    theme_list,
    theme_problem,
    theme_rename,
)

app_name = "insights"

urlpatterns: list[object] = [
    # the ticket page's triage panel (templates/cases/_ticket_panel.html loads it)
    path("tickets/<int:pk>/triage/", views_triage.ticket_triage, name="ticket_triage"),
    path(
        "tickets/<int:pk>/triage/accept/",
        views_triage.ticket_triage_accept,
        name="ticket_triage_accept",
    ),
    # the ticket page's similar solved cases (templates/cases/_ticket_panel.html loads it)
    path("tickets/<int:pk>/similar/", views_similar.ticket_similar, name="ticket_similar"),
]

# the admins' models page: quality, trainings, "Train now", auto-apply rules
urlpatterns += [
    path("models/", views_models.models_page, name="models"),
    path("models/train/", views_models.train_now, name="train_now"),
    path("models/rules/", views_models.save_rules, name="save_rules"),
    # the ticket page's mood panel (templates/cases/_ticket_panel.html loads it)
    path(
        "tickets/<int:pk>/sentiment/",
        views_sentiment.ticket_sentiment,
        name="ticket_sentiment",
    ),
]

# what customers talk about: the managers' themes pages and the dashboard's section
urlpatterns += [
    path("themes/", theme_list, name="themes"),
    path("themes/dashboard/", dashboard_section, name="themes_dashboard"),
    path("themes/<int:pk>/", theme_detail, name="theme"),
    path("themes/<int:pk>/name/", theme_rename, name="theme_rename"),
    path("themes/<int:pk>/problem/", theme_problem, name="theme_problem"),
]
