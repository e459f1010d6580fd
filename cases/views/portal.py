"""The public customer portal: open a case without an account, and follow it through the
private link the confirmation e-mail carries. No login; the link's token is the key. An
expired or withdrawn link gets a page that offers a new link by e-mail — always to the
case's customer address on file, never to one the visitor types.

Every view is thin: parse the form, call one service, render or redirect (PRG).
"""

from contextlib import nullcontext

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404
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
from ..models import Channel, Language, Status
from ..selectors import merged_target
from ..services import (
    access_for_token,
    add_customer_reply,
    find_or_create_customer,
    register_ticket,
    request_new_link,
)
from ..services.customer_links import LinkState

SESSION_SUBMITTED = "portal_submitted"

# What the customer reads for each status: their point of view, not the desk's.
CUSTOMER_STATUS = {
    Status.NEW: gettext_lazy("Received — waiting for an agent"),
    Status.OPEN: gettext_lazy("In progress"),
    Status.PENDING: gettext_lazy("Waiting for your reply"),
    Status.RESOLVED: gettext_lazy("Resolved"),
    Status.CLOSED: gettext_lazy("Closed"),
    Status.MERGED: gettext_lazy("Joined with another case"),
}


def _rate_limited(setting: str, method=ratelimit.ALL):
    """django-ratelimit by client IP with the rate read from `settings.<setting>` at request
    time; RatelimitMiddleware answers a blocked request with the 429 page."""
    return ratelimit(
        key="ip", rate=lambda group, request: getattr(settings, setting), method=method, block=True
    )


def _private(response):
    """The page's URL holds the customer's token: no Referer to other sites, no caching.
    (`no-referrer` would make browsers send `Origin: null` on the reply form, which Django's
    CSRF check rightly refuses; `same-origin` keeps the token on this site.)"""
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store, private"
    return response


# --- open a case ------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@_rate_limited("PUBLIC_FORM_RATE", method="POST")
def new_case(request):
    form = NewCaseForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_bot:
        # Pretend success so the bot learns nothing; nothing is created.
        request.session.pop(SESSION_SUBMITTED, None)
        return redirect("portal:case_submitted")
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        language = translation.get_language()
        try:
            # One transaction: a refused ticket leaves no customer behind.
            with transaction.atomic():
                customer = find_or_create_customer(
                    email=data["email"],
                    name=data["name"],
                    language=language if language in Language.values else "",
                )
                ticket = register_ticket(
                    by=None,
                    customer=customer,
                    channel=Channel.WEB,
                    subject=data["subject"],
                    description=data["description"],
                    category=data["category"],
                    acknowledge=True,
                )
        except CasesError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            request.session[SESSION_SUBMITTED] = {
                "reference": ticket.reference,
                "email": customer.email,
            }
            return redirect("portal:case_submitted")
    return render(request, "portal/new_case.html", {"form": form})


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


def _customer_language(request, customer):
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
    case, merged_from = access.ticket, None
    carried_on = merged_target(case)
    if carried_on.customer_id == case.customer_id and carried_on.pk != case.pk:
        # The conversation moved to the ticket this one was merged into: show that one.
        # (Into another customer's ticket, the link shows only that the case was joined.)
        case, merged_from = carried_on, case
    with _customer_language(request, case.customer):
        response = _ticket_page(request, case, token, merged_from)
        response["Content-Language"] = translation.get_language()
    return _private(response)


def _ticket_page(request, case, token, merged_from=None):
    status = 200
    form = CustomerReplyForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            add_customer_reply(ticket=case, body=form.cleaned_data["body"])
        except TransitionError as error:
            form.add_error(None, error.message)
            status = 409
        except CasesError as error:
            form.add_error("body" if error.field == "body" else None, error.message)
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
            "customer_status": CUSTOMER_STATUS[case.status],
            "replies": replies,
            "opening_files": case.attachments.filter(reply__isnull=True),
            "token": token,
            "can_reply": lifecycle.is_allowed(Action.CUSTOMER_REPLY, case.status),
            "form": form,
            "merged_from": merged_from,
        },
        status=status,
    )


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
