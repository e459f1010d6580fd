from django.urls import path

from .views import answer, follow_ups, responses

app_name = "surveys"

urlpatterns = [
    path("s/<str:token>/", answer.answer, name="answer"),
    path("s/<str:token>/thanks/", answer.thanks, name="thanks"),
    path("surveys/responses/", responses.response_list, name="response_list"),
    path("surveys/responses/export.csv", responses.response_export, name="response_export"),
    path("surveys/follow-ups/", follow_ups.follow_up_list, name="follow_up_list"),
    path("surveys/follow-ups/<int:pk>/", follow_ups.follow_up_detail, name="follow_up_detail"),
]
