from django.urls import path

from .views import portal

app_name = "portal"

urlpatterns = [
    path("", portal.new_case, name="new_case"),
    path("thanks/", portal.case_submitted, name="case_submitted"),
    path("c/<str:token>/", portal.ticket, name="ticket"),
]
