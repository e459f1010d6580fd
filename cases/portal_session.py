"""A customer's portal session: who signed in by e-mailed link, until when.

The session holds one key, `SESSION_KEY`: the customer's id and the moment the session ends
(`PORTAL_SESSION_HOURS` after the sign-in). It is never mixed with staff authentication:
signing in to the portal starts a new session (a new key, nothing carried over — a staff
login in the same browser ends), and a session that also carries a staff login opens
nothing in the portal. The customer key grants nothing in the workspace, which only reads
`request.user`.
"""

import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from .models import Customer

SESSION_KEY = "portal_customer"

PortalView = Callable[..., HttpResponse]


def sign_in(request: HttpRequest, customer: Customer) -> None:
    """Start the customer's portal session under a new session key."""
    request.session.flush()
    seconds = settings.PORTAL_SESSION_HOURS * 3600
    request.session[SESSION_KEY] = {"id": customer.pk, "until": int(time.time()) + seconds}
    request.session.set_expiry(seconds)


def sign_out(request: HttpRequest) -> None:
    """End the session, whatever it held."""
    request.session.flush()


def signed_in_customer(request: HttpRequest) -> Customer | None:
    """The customer this session signed in, while the session lasts; None otherwise (an
    expired session forgets its customer)."""
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return None  # a staff login in the same session: never both
    customer_id, until = data.get("id"), data.get("until")
    if not isinstance(customer_id, int) or not isinstance(until, int) or time.time() >= until:
        del request.session[SESSION_KEY]
        return None
    return Customer.objects.filter(pk=customer_id).first()


def customer_required(view: PortalView) -> PortalView:
    """Open the view to a signed-in customer, passed as its second argument; send anyone
    else to the sign-in page."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        customer = signed_in_customer(request)
        if customer is None:
            return redirect("portal:sign_in")
        return view(request, customer, *args, **kwargs)

    return wrapped
