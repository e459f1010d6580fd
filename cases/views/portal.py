"""The public customer portal: open a case without an account, follow it through the
private link the confirmation e-mail carries, or sign in by e-mailed link and see every case
("My cases", cases/views/portal_account.py). The private link's token is the key to its case;
an expired or withdrawn link gets a page that offers a new link by e-mail — always to the
case's customer address on file, never to one the visitor types.

Every view is thin: parse the form, call one service, render or redirect (PRG).
"""

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods
from django_ratelimit.decorators import ratelimit

from .. import lifecycle
from ..errors import CasesError, TransitionError
from ..forms_portal import CustomerReplyForm, NewCaseForm
from ..lifecycle import Action
from ..models import Customer, Language, Status, Ticket
from ..portal_session import signed_in_customer
from ..selectors import merged_target
from ..services import (
    access_for_token,
    add_customer_reply,
    open_customer_case,
    request_new_link,
)
from ..services.attachments import FIELD as FILES_FIELD
from ..services.customer_links import LinkState
from ..signals import (
    WEB_FORM_VISIT_FIELD,
    CustomerCaseLink,
    customer_case_links,
    web_case_submitted,
)

log = logging.getLogger(__name__)

View = TypeVar("View", bound=Callable[..., HttpResponse])
Response = TypeVar("Response", bound=HttpResponseBase)

SESSION_SUBMITTED = "portal_submitted"
# A post bigger than this is refused before it is read (413): the files' limit together
# (INBOUND_EMAIL_MAX_BYTES) and room for the text. Under it, files over a limit are named on
# the form, with what was typed kept.
FORM_ALLOWANCE_BYTES = 1024 * 1024

# What the customer reads for each status: their point of view, not the desk's.
CUSTOMER_STATUS = {
    Status.NEW: gettext_lazy("Received — waiting for an agent"),
    Status.OPEN: gettext_lazy("In progress"),
    Status.PENDING: gettext_lazy("Waiting for your reply"),
    Status.RESOLVED: gettext_lazy("Resolved"),
    Status.CLOSED: gettext_lazy("Closed"),
    Status.MERGED: gettext_lazy("Joined with another case"),
}


def _rate_limited(setting: str, method: Any = ratelimit.ALL) -> Callable[[View], View]:
    """django-ratelimit by client IP with the rate read from `settings.<setting>` at request
    time; RatelimitMiddleware answers a blocked request with the 429 page."""
    limit: Callable[[View], View] = ratelimit(
        key="ip", rate=lambda group, request: getattr(settings, setting), method=method, block=True
    )
    return limit


def _private(response: Response) -> Response:
    """The page's URL holds the customer's token: no Referer to other sites, no caching.
    (`no-referrer` would make browsers send `Origin: null` on the reply form, which Django's
    CSRF check rightly refuses; `same-origin` keeps the token on this site.)"""
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store, private"
    return response


# --- open a case ------------------------------------------------------------------------------


def too_large(request: HttpRequest) -> HttpResponse | None:
    """The 413 page for a post over every limit together, before Django reads its body."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length <= settings.INBOUND_EMAIL_MAX_BYTES + FORM_ALLOWANCE_BYTES:
        return None
    return render(request, "413.html", status=413)


def refusal_on_form(form, error: CasesError) -> None:
    """A service's refusal on the form, on its field when the form has it."""
    form.add_error(error.field if error.field in form.fields else None, error.message)


@require_http_methods(["GET", "HEAD", "POST"])
@_rate_limited("PUBLIC_FORM_RATE", method="POST")
def new_case(request):
    if request.method == "POST" and (refused := too_large(request)) is not None:
        return refused
    signed_in = signed_in_customer(request)
    initial = {"name": signed_in.name, "email": signed_in.email} if signed_in else None
    form = (
        NewCaseForm(request.POST, request.FILES)
        if request.method == "POST"
        else NewCaseForm(initial=initial)
    )
    if form.is_bound and form.is_bot:
        # Pretend success so the bot learns nothing; nothing is created.
        request.session.pop(SESSION_SUBMITTED, None)
        return redirect("portal:case_submitted")
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        language = translation.get_language()
        try:
            ticket = open_customer_case(
                email=data["email"],
                name=data["name"],
                language=language if language in Language.values else "",
                subject=data["subject"],
                description=data["description"],
                category=data["category"],
                files=data[FILES_FIELD],
            )
        except CasesError as error:
            refusal_on_form(form, error)
        else:
            web_case_submitted.send(
                sender=Ticket,
                ticket=ticket,
                visit_token=request.POST.get(WEB_FORM_VISIT_FIELD, "")[:64],
            )
            request.session[SESSION_SUBMITTED] = {
                "reference": ticket.reference,
                "email": ticket.customer.email,
            }
            return redirect("portal:case_submitted")
    return render(request, "portal/new_case.html", {"form": form, "signed_in": signed_in})


@require_http_methods(["GET", "HEAD"])
def case_submitted(request):
    """The thank-you page. Without a submission in this session (a bookmark, a bot that
    filled the honeypot) it shows the same thanks without a reference."""
    submitted = request.session.get(SESSION_SUBMITTED) or {}
    response = render(
        request,
        "portal/case_submitted.html",
        {"reference": submitted.get("reference"), "email": submitted.get("email")},
    )
    response["Cache-Control"] = "no-store, private"
    return response


# --- the customer's case page -----------------------------------------------------------------


def customer_language(request: HttpRequest, customer: Customer) -> AbstractContextManager[None]:
    """The customer's preferred language, unless they chose one with the language switcher
    (which sets the language cookie): then LocaleMiddleware has already activated theirs."""
    if settings.LANGUAGE_COOKIE_NAME in request.COOKIES:
        return nullcontext()
    return translation.override(customer.language)


@require_http_methods(["GET", "HEAD", "POST"])
@_rate_limited("CUSTOMER_LINK_RATE")
def ticket(request, token):
    """The case as its customer sees it: public conversation only, and a reply box while the
    lifecycle lets the customer reply. Unknown, malformed and truncated tokens all get the
    same plain 404; an expired or withdrawn link the page that offers a new one (410), in
    the visitor's language — they may not be the customer — and showing nothing of the
    case."""
    access = access_for_token(token)
    if access is None:
        raise Http404
    if not access.usable:
        response = render(
            request,
            "portal/link_gone.html",
            {
                "token": token,
                "revoked": access.state is LinkState.REVOKED,
                "link_days": settings.CUSTOMER_LINK_DAYS_AFTER_CLOSE,
            },
            status=410,
        )
        return _private(response)
    case, merged_from = carried_on_case(access.ticket)
    with customer_language(request, case.customer):
        response = ticket_page(request, case, token=token, merged_from=merged_from)
        response["Content-Language"] = translation.get_language()
    return _private(response)


def carried_on_case(case: Ticket) -> tuple[Ticket, Ticket | None]:
    """The case to show for `case`, and the case it was merged from, if it was. The
    conversation of a case merged into another of the same customer moved there: that one is
    shown. (Into another customer's case, the page shows only that the case was joined.)"""
    carried_on = merged_target(case)
    if carried_on.customer_id == case.customer_id and carried_on.pk != case.pk:
        return carried_on, case
    return case, None


def ticket_page(
    request: HttpRequest,
    case: Ticket,
    *,
    token: str | None = None,
    merged_from: Ticket | None = None,
    viewer: Customer | None = None,
) -> HttpResponse:
    """The case as its customer sees it, opened by private link (`token`) or by a signed-in
    customer (`viewer`, cases/views/portal_account.py): the public conversation and its files,
    a reply box with files while the lifecycle takes a customer reply, and what higher apps
    offer (the survey to answer). An organisation's admin reads a colleague's case but cannot
    write on it: a reply is always the case's customer's own."""
    own_case = viewer is None or viewer.pk == case.customer_id
    if request.method == "POST" and (refused := too_large(request)) is not None:
        return refused
    status = 200
    form = (
        CustomerReplyForm(request.POST, request.FILES)
        if request.method == "POST"
        else CustomerReplyForm()
    )
    if form.is_bound:
        if not own_case:
            form.add_error(None, _("Only the person who opened this case can reply on it."))
            status = 403
        elif form.is_valid():
            try:
                add_customer_reply(
                    ticket=case,
                    body=form.cleaned_data["body"],
                    files=form.cleaned_data[FILES_FIELD],
                )
            except TransitionError as error:
                form.add_error(None, error.message)
                status = 409
            except CasesError as error:
                refusal_on_form(form, error)
                status = 400
            else:
                messages.success(request, _("Thank you. Your message was added to your case."))
                return redirect(request.path)
    replies = (
        case.replies.filter(public=True)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    return render(
        request,
        "portal/ticket.html",
        {
            "ticket": case,
            "customer_status": CUSTOMER_STATUS[Status(case.status)],
            "replies": replies,
            "opening_files": case.attachments.filter(reply__isnull=True),
            "token": token,
            "portal_case": case.reference if token is None else None,
            "viewer": viewer,
            "own_case": own_case,
            "can_reply": own_case and lifecycle.is_allowed(Action.CUSTOMER_REPLY, case.status),
            "form": form,
            "merged_from": merged_from,
            "offered_links": _offered_links(case) if own_case else [],
        },
        status=status,
    )


def _offered_links(case: Ticket) -> list[CustomerCaseLink]:
    """What higher apps offer the customer on their case (cases/signals.py); a receiver that
    fails costs its link, never the page."""
    links: list[CustomerCaseLink] = []
    for receiver, answer in customer_case_links.send_robust(sender=Ticket, ticket=case):
        if isinstance(answer, Exception):
            log.error("customer_case_links receiver %r failed", receiver, exc_info=answer)
        elif answer:
            links.extend(link for link in answer if isinstance(link, CustomerCaseLink))
    return links


@require_http_methods(["POST"])
@_rate_limited("CUSTOMER_LINK_RESEND_RATE")
def new_link(request, token):
    """The expired link page's button. The same answer whatever the token and whether an
    e-mail left, so it tells nobody anything about a case or its customer."""
    request_new_link(token)
    return redirect("portal:new_link_sent")


@require_http_methods(["GET", "HEAD"])
def new_link_sent(request):
    response = render(request, "portal/new_link_sent.html")
    response["Cache-Control"] = "no-store, private"
    return response
