from django.urls import path

from .views import attachments, portal, portal_account

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
    # Signing in by e-mailed link, and the signed-in customer's cases (docs/portal.md).
    path("sign-in/", portal_account.sign_in_view, name="sign_in"),
    path("sign-in/sent/", portal_account.sign_in_sent, name="sign_in_sent"),
    path("sign-in/<str:token>/", portal_account.sign_in_link_view, name="sign_in_link"),
    path("sign-out/", portal_account.sign_out_view, name="sign_out"),
    path("signed-out/", portal_account.signed_out, name="signed_out"),
    path("cases/", portal_account.my_cases, name="my_cases"),
    path("cases/<str:reference>/", portal_account.my_case, name="my_case"),
    path(
        "cases/<str:reference>/files/<int:attachment_id>/",
        attachments.portal_case_download,
        name="my_case_attachment",
    ),
]
