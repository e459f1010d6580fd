"""REST API v1, mounted under /api/v1/ by config/urls_api.py. URL names are part of the
contract: `api:<name>`."""

from django.urls import path

from . import auth, customers, directory, inbound, organisations, saved_views, tickets

app_name = "api"

urlpatterns = [
    path("auth/token/", auth.TokenCreateApi.as_view(), name="auth-token"),
    path("auth/token/refresh/", auth.TokenRefreshApi.as_view(), name="auth-token-refresh"),
    path("auth/tokens/", auth.TokenListApi.as_view(), name="auth-tokens"),
    path("auth/tokens/<str:token_id>/", auth.TokenDetailApi.as_view(), name="auth-token-detail"),
    path("auth/logout/", auth.TokenLogoutApi.as_view(), name="auth-logout"),
    path("auth/logout-all/", auth.TokenLogoutAllApi.as_view(), name="auth-logout-all"),
    path("me/", auth.MeApi.as_view(), name="me"),
    path("agents/", directory.AgentListApi.as_view(), name="agent-list"),
    path("teams/", directory.TeamListApi.as_view(), name="team-list"),
    path("categories/", directory.CategoryListApi.as_view(), name="category-list"),
    path("customers/", customers.CustomerListCreateApi.as_view(), name="customer-list"),
    path("customers/<int:id>/", customers.CustomerDetailApi.as_view(), name="customer-detail"),
    path(
        "customers/<int:id>/addresses/",
        customers.CustomerAddressListApi.as_view(),
        name="customer-addresses",
    ),
    path(
        "customers/<int:id>/addresses/<int:address_id>/",
        customers.CustomerAddressApi.as_view(),
        name="customer-address",
    ),
    path("customers/<int:id>/merge/", customers.CustomerMergeApi.as_view(), name="customer-merge"),
    path(
        "organisations/",
        organisations.OrganisationListCreateApi.as_view(),
        name="organisation-list",
    ),
    path(
        "organisations/<int:id>/",
        organisations.OrganisationDetailApi.as_view(),
        name="organisation-detail",
    ),
    path("tickets/", tickets.TicketListCreateApi.as_view(), name="ticket-list"),
    path("tickets/bulk/", tickets.TicketBulkApi.as_view(), name="ticket-bulk"),
    path("tickets/<int:id>/", tickets.TicketDetailApi.as_view(), name="ticket-detail"),
    path("tickets/<int:id>/assign/", tickets.TicketAssignApi.as_view(), name="ticket-assign"),
    path(
        "tickets/<int:id>/replies/",
        tickets.TicketReplyListCreateApi.as_view(),
        name="ticket-replies",
    ),
    path("tickets/<int:id>/events/", tickets.TicketEventListApi.as_view(), name="ticket-events"),
    path("tickets/<int:id>/escalate/", tickets.TicketEscalateApi.as_view(), name="ticket-escalate"),
    path("tickets/<int:id>/pending/", tickets.TicketPendingApi.as_view(), name="ticket-pending"),
    path("tickets/<int:id>/resume/", tickets.TicketResumeApi.as_view(), name="ticket-resume"),
    path("tickets/<int:id>/resolve/", tickets.TicketResolveApi.as_view(), name="ticket-resolve"),
    path("tickets/<int:id>/reopen/", tickets.TicketReopenApi.as_view(), name="ticket-reopen"),
    path("tickets/<int:id>/close/", tickets.TicketCloseApi.as_view(), name="ticket-close"),
    path("tickets/<int:id>/tags/", tickets.TicketTagsApi.as_view(), name="ticket-tags"),
    path("tickets/<int:id>/merge/", tickets.TicketMergeApi.as_view(), name="ticket-merge"),
    path(
        "tickets/<int:id>/followers/",
        tickets.TicketFollowersApi.as_view(),
        name="ticket-followers",
    ),
    path(
        "tickets/<int:id>/followers/<int:follower_id>/",
        tickets.TicketFollowerApi.as_view(),
        name="ticket-follower",
    ),
    path("tickets/<int:id>/related/", tickets.TicketRelatedApi.as_view(), name="ticket-related"),
    path(
        "tickets/<int:id>/related/<int:relation_id>/",
        tickets.TicketRelationApi.as_view(),
        name="ticket-relation",
    ),
    path(
        "tickets/<int:id>/attachments/",
        tickets.TicketAttachmentListApi.as_view(),
        name="ticket-attachments",
    ),
    path(
        "tickets/<int:id>/attachments/<int:attachment_id>/",
        tickets.TicketAttachmentApi.as_view(),
        name="ticket-attachment",
    ),
    path("views/", saved_views.SavedViewListCreateApi.as_view(), name="saved-view-list"),
    path("views/<int:id>/", saved_views.SavedViewDetailApi.as_view(), name="saved-view-detail"),
    path("inbound-email/", inbound.InboundEmailApi.as_view(), name="inbound-email"),
]
