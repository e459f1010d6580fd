"""A ticket's followers from its page: add someone in copy by e-mail; take them off."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ..errors import CasesError
from ..errors import PermissionDenied as ServicePermissionDenied
from ..forms import FollowerForm, add_service_error
from ..selectors import tickets_visible_to
from ..services.followers import add_follower, remove_follower
from .workspace import _render_ticket, staff_required, staff_user


@staff_required
@require_POST
def follow(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    ticket = get_object_or_404(tickets_visible_to(user), pk=pk)
    form = FollowerForm(request.POST)
    if form.is_valid():
        try:
            data = form.cleaned_data
            follower = add_follower(ticket=ticket, by=user, email=data["email"], name=data["name"])
        except ServicePermissionDenied as exc:
            raise PermissionDenied(exc.message) from exc
        except CasesError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request, _("%(email)s now follows this ticket.") % {"email": follower.email}
            )
            return redirect("cases:ticket_detail", pk=ticket.pk)
    page: HttpResponse = _render_ticket(request, ticket, status=400, follower_form=form)
    return page


@staff_required
@require_POST
def unfollow(request: HttpRequest, pk: int, follower_id: int) -> HttpResponse:
    user = staff_user(request)
    ticket = get_object_or_404(tickets_visible_to(user), pk=pk)
    follower = get_object_or_404(ticket.followers, pk=follower_id)
    try:
        remove_follower(follower=follower, by=user)
    except ServicePermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc
    messages.success(
        request, _("%(email)s no longer follows this ticket.") % {"email": follower.email}
    )
    return redirect("cases:ticket_detail", pk=ticket.pk)
