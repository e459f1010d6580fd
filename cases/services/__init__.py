"""The only code that changes state in `cases`. Each function runs in one transaction, locks
the ticket it changes, checks the lifecycle table, writes a TicketEvent, and raises a
`cases.errors` exception — with nothing written — when it refuses."""

from .customer_links import (
    access_for_token,
    request_new_link,
    revoke_customer_links,
    ticket_for_access_token,
)
from .customer_merge import may_merge_customers, merge_customers
from .customers import (
    add_customer_address,
    check_may_edit_customer,
    find_or_create_customer,
    may_edit_customer,
    remove_customer_address,
    update_customer,
)
from .followers import add_follower, add_follower_reply, follow_from_mail, remove_follower
from .macros import apply_macro, macro_text_for, may_edit_macro, save_macro
from .merge import merge_tickets
from .notifications import (
    deliver_notification,
    enqueue_due_notifications,
    issue_access_token,
)
from .organisations import create_organisation, may_edit_organisation, update_organisation
from .portal import (
    open_customer_case,
    request_sign_in_link,
    sign_in_link,
    use_sign_in_link,
)
from .relations import relate_tickets, unrelate_tickets
from .saved_views import (
    delete_view,
    may_edit_saved_view,
    normalise_view_query,
    rename_view,
    save_view,
)
from .tags import change_tags
from .tickets import (
    add_customer_reply,
    add_reply,
    assign_ticket,
    auto_assign_ticket,
    classify_ticket,
    close_resolved_tickets,
    close_ticket,
    escalate_ticket,
    record_ticket_event,
    register_ticket,
    reopen_ticket,
    resolve_ticket,
    resume_ticket,
    set_pending,
)
from .users import update_preferences

__all__ = [
    "add_follower",
    "add_follower_reply",
    "follow_from_mail",
    "remove_follower",
    "access_for_token",
    "add_customer_address",
    "apply_macro",
    "add_customer_reply",
    "add_reply",
    "assign_ticket",
    "auto_assign_ticket",
    "change_tags",
    "check_may_edit_customer",
    "delete_view",
    "classify_ticket",
    "close_resolved_tickets",
    "close_ticket",
    "create_organisation",
    "deliver_notification",
    "enqueue_due_notifications",
    "escalate_ticket",
    "find_or_create_customer",
    "issue_access_token",
    "normalise_view_query",
    "open_customer_case",
    "macro_text_for",
    "may_edit_macro",
    "may_edit_customer",
    "may_edit_organisation",
    "may_merge_customers",
    "merge_customers",
    "may_edit_saved_view",
    "merge_tickets",
    "record_ticket_event",
    "register_ticket",
    "relate_tickets",
    "remove_customer_address",
    "rename_view",
    "reopen_ticket",
    "request_new_link",
    "request_sign_in_link",
    "resolve_ticket",
    "resume_ticket",
    "save_macro",
    "save_view",
    "revoke_customer_links",
    "set_pending",
    "sign_in_link",
    "unrelate_tickets",
    "ticket_for_access_token",
    "update_customer",
    "update_organisation",
    "update_preferences",
    "use_sign_in_link",
]
