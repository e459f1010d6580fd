"""The ticket page's heartbeat: who else has the ticket open, and who is writing."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_POST

from .. import presence
from ..selectors import tickets_visible_to
from .workspace import staff_required, staff_user


@staff_required
@require_POST
def ticket_presence(request: HttpRequest, pk: int) -> HttpResponse:
    """Record that the caller has ticket `pk` open (`activity`: viewing or writing, anything
    else counts as viewing) and answer with the others who have it open. Only for a ticket the
    caller may see: otherwise 404, as for the ticket itself."""
    user = staff_user(request)
    ticket = get_object_or_404(tickets_visible_to(user).select_related(None).only("pk"), pk=pk)
    activity: presence.Activity = (
        "writing" if request.POST.get("activity") == "writing" else "viewing"
    )
    others = presence.report(ticket.pk, user, activity)
    return render(request, "cases/_presence.html", {"others": others})
