"""Related tickets from the ticket page: relate one by its reference, with a note; undo it."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import services
from ..errors import CasesError
from ..errors import PermissionDenied as ServicePermissionDenied
from ..forms import RelationForm, add_service_error
from ..models import Ticket, TicketRelation
from ..selectors import tickets_visible_to
from .workspace import _render_ticket, staff_required, staff_user


@staff_required
@require_POST
def relate(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    ticket = get_object_or_404(tickets_visible_to(user), pk=pk)
    form = RelationForm(request.POST)
    if form.is_valid():
        other = tickets_visible_to(user).filter(pk=form.cleaned_data["reference"]).first()
        if other is None:
            # Another team's ticket and a ticket that does not exist look the same.
            form.add_error("reference", _("No ticket you can see has this reference."))
        else:
            try:
                services.relate_tickets(
                    ticket=ticket, other=other, by=user, note=form.cleaned_data["note"]
                )
            except ServicePermissionDenied as exc:
                raise PermissionDenied(exc.message) from exc
            except CasesError as exc:
                add_service_error(form, exc)
            else:
                messages.success(
                    request, _("Related to %(reference)s.") % {"reference": other.reference}
                )
                return redirect("cases:ticket_detail", pk=ticket.pk)
    page: HttpResponse = _render_ticket(request, ticket, status=400, relation_form=form)
    return page


@staff_required
@require_POST
def unrelate(request: HttpRequest, pk: int, relation_id: int) -> HttpResponse:
    user = staff_user(request)
    ticket = get_object_or_404(tickets_visible_to(user), pk=pk)
    relation = get_object_or_404(
        TicketRelation.objects.filter(first=ticket) | TicketRelation.objects.filter(second=ticket),
        pk=relation_id,
    )
    other = Ticket.objects.get(pk=relation.other(ticket.pk))
    try:
        services.unrelate_tickets(relation=relation, by=user)
    except ServicePermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc
    messages.success(
        request, _("No longer related to %(reference)s.") % {"reference": other.reference}
    )
    return redirect("cases:ticket_detail", pk=ticket.pk)
