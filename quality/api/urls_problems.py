"""Quality's problems API, part of quality/api/urls.py (namespace "quality-api")."""

from django.urls import URLPattern, path

from . import problems

urlpatterns: list[URLPattern] = [
    path("problems/", problems.ProblemListApi.as_view(), name="quality-problem-list"),
    path("problems/<int:id>/", problems.ProblemDetailApi.as_view(), name="quality-problem-detail"),
    path(
        "problems/<int:id>/tickets/",
        problems.ProblemTicketsApi.as_view(),
        name="quality-problem-tickets",
    ),
    path(
        "problems/<int:id>/tickets/<int:ticket_id>/",
        problems.ProblemTicketApi.as_view(),
        name="quality-problem-ticket",
    ),
    path(
        "problems/<int:id>/follow-ups/",
        problems.ProblemFollowUpsApi.as_view(),
        name="quality-problem-follow-ups",
    ),
    path(
        "problems/<int:id>/bulk-answers/",
        problems.ProblemBulkAnswerListApi.as_view(),
        name="quality-problem-bulk-answers",
    ),
    path(
        "problems/<int:id>/bulk-answers/<int:bulk_id>/",
        problems.ProblemBulkAnswerDetailApi.as_view(),
        name="quality-problem-bulk-answer",
    ),
    path(
        "problems/<int:id>/figures/",
        problems.ProblemFiguresApi.as_view(),
        name="quality-problem-figures",
    ),
]
