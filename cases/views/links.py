"""The ticket page's "withdraw the customer's links" button (a leaked or forwarded e-mail)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRedirect

from .. import services
from ..errors import PermissionDenied as ServicePermissionDenied
from ..selectors import tickets_visible_to
from .workspace import staff_required


@staff_required
@require_POST
def revoke_links(request, pk: int):
    ticket = get_object_or_404(tickets_visible_to(request.user), pk=pk)
    try:
        count = services.revoke_customer_links(ticket=ticket, by=request.user)
    except ServicePermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc
    messages.success(
        request,
        ngettext(
            "%(count)d customer link withdrawn; the next e-mail to the customer has a new one.",
            "%(count)d customer links withdrawn; the next e-mail to the customer has a new one.",
            count,
        )
        % {"count": count},
    )
    url = reverse("cases:ticket_detail", args=[ticket.pk])
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)
