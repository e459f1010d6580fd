"""Survey API, mounted under /api/v1/ by config/urls_api.py (before cases.api.urls). URL names
are part of the contract: `surveys_api:<name>` (`api` is the cases API's namespace)."""

from django.urls import path

from . import answers, follow_ups, responses

app_name = "surveys_api"

urlpatterns = [
    path("surveys/responses/", responses.ResponseListApi.as_view(), name="response-list"),
    path("surveys/follow-ups/", follow_ups.FollowUpListApi.as_view(), name="follow-up-list"),
    path(
        "surveys/follow-ups/<int:id>/",
        follow_ups.FollowUpDetailApi.as_view(),
        name="follow-up-detail",
    ),
    path(
        "surveys/<str:token>/responses/",
        answers.SurveyAnswerApi.as_view(),
        name="survey-answer",
    ),
]
