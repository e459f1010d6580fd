from django.urls import path

from .views import (
    attachments,
    bulk,
    customer_lookup,
    customers,
    followers,
    links,
    macros,
    organisations,
    presence,
    relations,
    saved_views,
    workspace,
)

app_name = "cases"

urlpatterns = [
    path("tickets/", workspace.queue, name="queue"),
    path("tickets/bulk/", bulk.bulk, name="bulk"),
    path("tickets/new/", workspace.ticket_create, name="ticket_create"),
    path("tickets/new/customers/", customer_lookup.customer_lookup, name="customer_lookup"),
    path("tickets/new/customer/", customer_lookup.customer_choice, name="customer_choice"),
    path("tickets/views/", saved_views.saved_view_list, name="saved_view_list"),
    path("tickets/views/new/", saved_views.saved_view_create, name="saved_view_create"),
    path(
        "tickets/views/<int:pk>/rename/",
        saved_views.saved_view_rename,
        name="saved_view_rename",
    ),
    path(
        "tickets/views/<int:pk>/delete/",
        saved_views.saved_view_delete,
        name="saved_view_delete",
    ),
    path("tickets/<int:pk>/", workspace.ticket_detail, name="ticket_detail"),
    path(
        "tickets/<int:pk>/attachments/<int:attachment_id>/",
        attachments.staff_download,
        name="attachment",
    ),
    path("tickets/<int:pk>/links/revoke/", links.revoke_links, name="revoke_links"),
    path("tickets/<int:pk>/presence/", presence.ticket_presence, name="ticket_presence"),
    path("tickets/<int:pk>/macros/", macros.macro_picker, name="macro_picker"),
    path("tickets/<int:pk>/related/", relations.relate, name="relate"),
    path("tickets/<int:pk>/followers/", followers.follow, name="follow"),
    path(
        "tickets/<int:pk>/followers/<int:follower_id>/remove/",
        followers.unfollow,
        name="unfollow",
    ),
    path(
        "tickets/<int:pk>/related/<int:relation_id>/remove/",
        relations.unrelate,
        name="unrelate",
    ),
    path("tickets/<int:pk>/macros/<int:macro_id>/", macros.macro_preview, name="macro_preview"),
    path("tickets/<int:pk>/<slug:action>/", workspace.ticket_action, name="ticket_action"),
    path("macros/", macros.macro_list, name="macro_list"),
    path("macros/new/", macros.macro_edit, name="macro_create"),
    path("macros/<int:macro_id>/edit/", macros.macro_edit, name="macro_edit"),
    path("customers/", customers.customer_list, name="customer_list"),
    path("customers/new/", customers.customer_create, name="customer_create"),
    path("customers/<int:pk>/", customers.customer_detail, name="customer_detail"),
    path("customers/<int:pk>/edit/", customers.customer_edit, name="customer_edit"),
    path(
        "customers/<int:pk>/addresses/",
        customers.customer_address_add,
        name="customer_address_add",
    ),
    path(
        "customers/<int:pk>/addresses/<int:address_id>/remove/",
        customers.customer_address_remove,
        name="customer_address_remove",
    ),
    path("customers/<int:pk>/merge/", customers.customer_merge_find, name="customer_merge"),
    path(
        "customers/<int:pk>/merge/<int:duplicate_id>/",
        customers.customer_merge_confirm,
        name="customer_merge_confirm",
    ),
    path("organisations/", organisations.organisation_list, name="organisation_list"),
    path("organisations/new/", organisations.organisation_create, name="organisation_create"),
    path(
        "organisations/<int:pk>/",
        organisations.organisation_detail,
        name="organisation_detail",
    ),
    path(
        "organisations/<int:pk>/edit/",
        organisations.organisation_edit,
        name="organisation_edit",
    ),
]
