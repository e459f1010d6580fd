"""Quality's coaching API, part of quality/api/urls.py (namespace "quality-api")."""

from django.urls import URLPattern, path

from . import coaching

urlpatterns: list[URLPattern] = [
    path(
        "coaching/sessions/",
        coaching.SessionListApi.as_view(),
        name="quality-coaching-session-list",
    ),
    path(
        "coaching/sessions/<int:id>/",
        coaching.SessionDetailApi.as_view(),
        name="quality-coaching-session-detail",
    ),
    path("coaching/goals/", coaching.GoalListApi.as_view(), name="quality-coaching-goal-list"),
    path(
        "coaching/goals/<int:id>/",
        coaching.GoalDetailApi.as_view(),
        name="quality-coaching-goal-detail",
    ),
]
