"""The customer portal's account: sign in by e-mailed link, "My cases", sign out
(docs/portal.md).

- Asking for a link answers the same page whatever the address — known, unknown, over its
  budget — so the page tells nobody who is a customer. The budgets: `PORTAL_SIGN_IN_IP_RATE`
  per client IP (over it: the 429 page, like every per-IP limit) and
  `PORTAL_SIGN_IN_ADDRESS_RATE` per typed address (a hash of it, known or not; over it: the
  same neutral page, and nothing is sent).
- The e-mailed link's GET only shows a button (mail scanners follow every link); its POST
  spends the link and starts the session (cases/portal_session.py).
- "My cases" and a case's page need the session; a case the customer may not see
  (selectors_portal.cases_of) is a 404 like one that does not exist.
"""

import hashlib
import unicodedata

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from ..forms_portal import SignInForm
from ..models import Customer, Status
from ..paginator import CappedPaginator
from ..portal_session import customer_required, sign_in, sign_out, signed_in_customer
from ..selectors_portal import case_of, cases_of, sees_organisation_cases
from ..services import request_sign_in_link, sign_in_link, use_sign_in_link
from ..services.portal import SignInRefused, SignInState
from .portal import (
    CUSTOMER_STATUS,
    _private,
    _rate_limited,
    carried_on_case,
    customer_language,
    ticket_page,
)

PAGE_SIZE = 20
ADDRESS_RATE_GROUP = "portal.sign_in.address"


def address_key(address: str) -> str:
    """The per-address budget's key: one budget however the address is typed (case, spaces,
    full-width characters), and never the address itself."""
    normalised = unicodedata.normalize("NFKC", address).strip().casefold()
    return hashlib.sha256(normalised.encode()).hexdigest()


def _address_budget_spent(request: HttpRequest, address: str) -> bool:
    """Count this request against the address's budget; True once it is spent."""
    spent: bool = is_ratelimited(
        request,
        group=ADDRESS_RATE_GROUP,
        key=lambda group, request: address_key(address),
        rate=lambda group, request: settings.PORTAL_SIGN_IN_ADDRESS_RATE,
        increment=True,
    )
    return spent


# --- signing in -------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@_rate_limited("PORTAL_SIGN_IN_IP_RATE", method="POST")
def sign_in_view(request: HttpRequest) -> HttpResponse:
    """Ask for a sign-in link. A valid address always leads to the same "check your e-mail"
    page; only a malformed one gets the form back with its error."""
    if signed_in_customer(request) is not None and request.method != "POST":
        return redirect("portal:my_cases")
    form = SignInForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        address = form.cleaned_data["email"]
        if not _address_budget_spent(request, address):
            request_sign_in_link(address=address)
        return redirect("portal:sign_in_sent")
    response = render(request, "portal/sign_in.html", {"form": form})
    response["Cache-Control"] = "no-store, private"
    return response


@require_http_methods(["GET", "HEAD"])
def sign_in_sent(request: HttpRequest) -> HttpResponse:
    response = render(
        request, "portal/sign_in_sent.html", {"minutes": settings.PORTAL_SIGN_IN_MINUTES}
    )
    response["Cache-Control"] = "no-store, private"
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@_rate_limited("CUSTOMER_LINK_RATE")
def sign_in_link_view(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mailed link. GET: a button that signs in, in the customer's language. POST:
    spend the link, start the session and go to "My cases". A used, expired or unknown link
    gets a page that says so and offers a new one (410; 404 for one never issued)."""
    if request.method == "POST":
        try:
            customer = use_sign_in_link(token=token)
        except SignInRefused as refused:
            return _link_gone(request, refused.state)
        sign_in(request, customer)
        return redirect("portal:my_cases")
    link = sign_in_link(token)
    if link.state is not SignInState.VALID or link.customer is None:
        return _link_gone(request, link.state)
    with customer_language(request, link.customer):
        response = render(
            request, "portal/sign_in_link.html", {"customer": link.customer, "token": token}
        )
        response["Content-Language"] = translation.get_language()
    return _private(response)


def _link_gone(request: HttpRequest, state: SignInState) -> HttpResponse:
    response = render(
        request,
        "portal/sign_in_gone.html",
        {"state": state.value, "form": SignInForm()},
        status=404 if state is SignInState.UNKNOWN else 410,
    )
    return _private(response)


@require_http_methods(["POST"])
def sign_out_view(request: HttpRequest) -> HttpResponse:
    sign_out(request)
    return redirect("portal:signed_out")


@require_http_methods(["GET", "HEAD"])
def signed_out(request: HttpRequest) -> HttpResponse:
    response = render(request, "portal/signed_out.html")
    response["Cache-Control"] = "no-store, private"
    return response


# --- my cases ---------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD"])
@customer_required
def my_cases(request: HttpRequest, customer: Customer) -> HttpResponse:
    """Every case the customer sees, last updated first: their own, and — an organisation's
    admin — their colleagues', each marked with who opened it."""
    paginator = CappedPaginator(cases_of(customer), PAGE_SIZE)  # type: ignore[no-untyped-call]  # cases.paginator is not annotated
    page = paginator.get_page(request.GET.get("page"))
    rows = [(case, CUSTOMER_STATUS[Status(case.status)]) for case in page.object_list]
    with customer_language(request, customer):
        response = render(
            request,
            "portal/my_cases.html",
            {
                "viewer": customer,
                "page_obj": page,
                "rows": rows,
                "organisation_cases": sees_organisation_cases(customer),
            },
        )
        response["Content-Language"] = translation.get_language()
    return _private(response)


@require_http_methods(["GET", "HEAD", "POST"])
@_rate_limited("CUSTOMER_LINK_RATE")
@customer_required
def my_case(request: HttpRequest, customer: Customer, reference: str) -> HttpResponse:
    """One case as the signed-in customer sees it: the private link's page
    (`portal.ticket_page`), a merged case shown as there."""
    case = case_of(customer, reference)
    if case is None:
        raise Http404
    case, merged_from = carried_on_case(case)
    with customer_language(request, customer):
        response = ticket_page(request, case, merged_from=merged_from, viewer=customer)
        response["Content-Language"] = translation.get_language()
    return _private(response)
