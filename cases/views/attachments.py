"""Serving the files customers sent. Whatever a file claims to be, the browser never runs
it: only PNG, JPEG, GIF and WebP images whose bytes really are one are shown inline; every
other file — HTML, SVG, PDF, a polyglot — is a download of type application/octet-stream,
with `nosniff` and a sandboxing Content-Security-Policy. The name is the sender's, cleaned
(cases/mailparse.py) and encoded by Django in the Content-Disposition header.

Who may download: staff who can see the ticket (workspace and API), and the customer
through the private link of their case or signed in to the portal (a case "My cases" lists)
— never an internal note's file.

The files come from customers' e-mails (services/inbound.py) and from agents' replies and
notes (services/attachments.py); both are served by these views alone."""

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from ..models import IMAGE_SIGNATURES, Attachment, Customer, Ticket
from ..portal_session import customer_required
from ..selectors import attachments_for_customer, merged_target, tickets_visible_to
from ..selectors_portal import case_of
from ..services import ticket_for_access_token
from .portal import _private, _rate_limited, carried_on_case
from .workspace import staff_required


def shows_inline(attachment: Attachment) -> bool:
    signatures = IMAGE_SIGNATURES.get(attachment.content_type)
    if not signatures:
        return False
    with attachment.file.open("rb") as handle:
        head = handle.read(16)
    if attachment.content_type == "image/webp":
        return head.startswith(b"RIFF") and head[8:12] == b"WEBP"
    return head.startswith(signatures)


def attachment_response(attachment: Attachment) -> FileResponse:
    try:
        inline = shows_inline(attachment)
        handle = attachment.file.open("rb")
    except FileNotFoundError as error:
        raise Http404 from error
    response = FileResponse(
        handle,
        as_attachment=not inline,
        filename=attachment.filename,
        content_type=attachment.content_type if inline else "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    # An image opened in its own tab is the browser's image document, which styles the
    # picture with inline styles: allowed there (no script can run in the sandbox), so the
    # console stays clean. Everything else gets nothing at all.
    response["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; sandbox"
        if inline
        else "default-src 'none'; sandbox"
    )
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private, no-store"
    return response


def attachment_of(ticket: Ticket, attachment_id: int) -> Attachment:
    """A file of this ticket (404 for another ticket's, whoever asks)."""
    return get_object_or_404(Attachment, pk=attachment_id, ticket=ticket)


def customer_attachment_of(ticket: Ticket, attachment_id: int) -> Attachment:
    """A file of this ticket its customer may have: 404 for an internal note's, as for one
    that does not exist."""
    return get_object_or_404(attachments_for_customer(ticket), pk=attachment_id)


@staff_required
@require_GET
def staff_download(request, pk: int, attachment_id: int):
    ticket = get_object_or_404(tickets_visible_to(request.user), pk=pk)
    return attachment_response(attachment_of(ticket, attachment_id))


@require_GET
@_rate_limited("CUSTOMER_LINK_RATE")
def customer_download(request, token: str, attachment_id: int):
    ticket = ticket_for_access_token(token)
    if ticket is None:
        raise Http404
    carried_on = merged_target(ticket)
    if carried_on.customer_id == ticket.customer_id:
        ticket = carried_on  # the case page shows the merged conversation's files (portal.py)
    return _private(attachment_response(customer_attachment_of(ticket, attachment_id)))


@require_GET
@_rate_limited("CUSTOMER_LINK_RATE")
@customer_required
def portal_case_download(request, customer: Customer, reference: str, attachment_id: int):
    """A file of a case the signed-in customer sees (the case page's files)."""
    case = case_of(customer, reference)
    if case is None:
        raise Http404
    case, _merged_from = carried_on_case(case)
    return _private(attachment_response(customer_attachment_of(case, attachment_id)))
