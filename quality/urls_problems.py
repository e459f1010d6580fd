"""Quality's problems pages, part of quality/urls.py (namespace "quality")."""

from django.urls import URLPattern, path

from .views import problems

urlpatterns: list[URLPattern] = [
    path("problems/", problems.problem_list, name="problem_list"),
    path("problems/new/", problems.problem_create, name="problem_create"),
    path("problems/link-tickets/", problems.link_tickets, name="link_tickets"),
    path("problems/<int:pk>/", problems.problem_detail, name="problem_detail"),
    path("problems/<int:pk>/edit/", problems.problem_edit, name="problem_edit"),
    path(
        "problems/<int:pk>/bulk-answer/",
        problems.bulk_answer_create,
        name="bulk_answer_create",
    ),
    path(
        "problems/<int:pk>/bulk-answers/<int:bulk_pk>/",
        problems.bulk_answer_detail,
        name="bulk_answer_detail",
    ),
    path(
        "problems/<int:pk>/bulk-answers/<int:bulk_pk>/results/",
        problems.bulk_answer_results,
        name="bulk_answer_results",
    ),
    path("tickets/<int:pk>/problems/", problems.ticket_problems, name="ticket_problems"),
    path(
        "tickets/<int:pk>/problems/link/",
        problems.ticket_problem_link,
        name="ticket_problem_link",
    ),
    path(
        "tickets/<int:pk>/problems/<int:problem_pk>/unlink/",
        problems.ticket_problem_unlink,
        name="ticket_problem_unlink",
    ),
    path("dashboard-problems/", problems.dashboard_problems, name="dashboard_problems"),
]
