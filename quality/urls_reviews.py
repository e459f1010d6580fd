"""Quality's reviews pages, part of quality/urls.py (namespace "quality")."""

from django.urls import URLPattern, path

from .views import reviews

urlpatterns: list[URLPattern] = [
    path("scorecards/", reviews.scorecard_list, name="scorecards"),
    path("scorecards/new/", reviews.scorecard_create, name="scorecard_create"),
    path("scorecards/<int:pk>/", reviews.scorecard_detail, name="scorecard_detail"),
    path("scorecards/<int:pk>/edit/", reviews.scorecard_edit, name="scorecard_edit"),
    path("scorecards/<int:pk>/active/", reviews.scorecard_active, name="scorecard_active"),
    path("reviewers/", reviews.reviewer_list, name="reviewers"),
    path("sampling/", reviews.sampling_list, name="sampling"),
    path("sampling/<int:pk>/", reviews.sampling_edit, name="sampling_edit"),
    path("sampling/<int:pk>/run/", reviews.sampling_run, name="sampling_run"),
    path("reviews/", reviews.review_list, name="reviews"),
    path("reviews/todo/", reviews.todo, name="todo"),
    path("reviews/mine/", reviews.mine, name="mine"),
    path("reviews/disputes/", reviews.dispute_list, name="disputes"),
    path("reviews/<int:pk>/", reviews.review_detail, name="review"),
    path("reviews/<int:pk>/dispute/", reviews.review_dispute, name="review_dispute"),
    path("reviews/<int:pk>/settle/", reviews.review_settle, name="review_settle"),
    path("reviews/<int:pk>/reassign/", reviews.review_reassign, name="review_reassign"),
    path("reviews/<int:pk>/remove/", reviews.review_remove, name="review_remove"),
    path("tickets/<int:ticket_id>/review/", reviews.review_start, name="review_start"),
    path("tickets/<int:pk>/reviews/", reviews.ticket_reviews, name="ticket_reviews"),
    path("dashboard-section/", reviews.dashboard_section, name="dashboard_section"),
]
