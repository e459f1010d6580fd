"""Quality's coaching pages, part of quality/urls.py (namespace "quality")."""

from django.urls import URLPattern, path

from .views import coaching

urlpatterns: list[URLPattern] = [
    path("coaching/", coaching.overview, name="coaching"),
    path("coaching/me/", coaching.my_record, name="coaching_me"),
    path("coaching/me/goals/", coaching.my_goals, name="my_goals"),
    path("coaching/<int:agent_id>/", coaching.record, name="coaching_agent"),
    path(
        "coaching/<int:agent_id>/sessions/new/",
        coaching.session_create,
        name="coaching_session_create",
    ),
    path(
        "coaching/sessions/<int:session_id>/edit/",
        coaching.session_edit,
        name="coaching_session_edit",
    ),
    path("coaching/<int:agent_id>/goals/new/", coaching.goal_create, name="coaching_goal_create"),
    path("coaching/goals/<int:goal_id>/edit/", coaching.goal_edit, name="coaching_goal_edit"),
    path("coaching/goals/<int:goal_id>/delete/", coaching.goal_delete, name="coaching_goal_delete"),
]
