from django.urls import path

from .views import attachments, portal

app_name = "portal"

urlpatterns = [
    path("", portal.new_case, name="new_case"),
    path("thanks/", portal.case_submitted, name="case_submitted"),
    path("c/<str:token>/", portal.ticket, name="ticket"),
    path("c/<str:token>/new-link/", portal.new_link, name="new_link"),
    path("new-link-sent/", portal.new_link_sent, name="new_link_sent"),
    path(
        "c/<str:token>/files/<int:attachment_id>/",
        attachments.customer_download,
        name="attachment",
    ),
]
