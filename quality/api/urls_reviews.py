"""Quality's reviews API, part of quality/api/urls.py (namespace "quality-api")."""

from django.urls import URLPattern, path

from . import reviews

urlpatterns: list[URLPattern] = [
    path("scorecards/", reviews.ScorecardListApi.as_view(), name="quality-scorecard-list"),
    path(
        "scorecards/<int:id>/",
        reviews.ScorecardDetailApi.as_view(),
        name="quality-scorecard-detail",
    ),
    path(
        "scorecards/<int:id>/versions/",
        reviews.ScorecardVersionApi.as_view(),
        name="quality-scorecard-versions",
    ),
    path("reviews/", reviews.ReviewListApi.as_view(), name="quality-review-list"),
    path("reviews/<int:id>/", reviews.ReviewDetailApi.as_view(), name="quality-review-detail"),
    path("reviews/<int:id>/scores/", reviews.ReviewScoreApi.as_view(), name="quality-review-score"),
    path(
        "reviews/<int:id>/dispute/",
        reviews.ReviewDisputeApi.as_view(),
        name="quality-review-dispute",
    ),
    path(
        "reviews/<int:id>/settle/", reviews.ReviewSettleApi.as_view(), name="quality-review-settle"
    ),
    path("iqs/", reviews.IqsApi.as_view(), name="quality-iqs"),
    path("iqs/agents/", reviews.IqsAgentsApi.as_view(), name="quality-iqs-agents"),
]
