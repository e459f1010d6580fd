"""Macros in the workspace: the picker of the reply box (search, then a preview that fills the
reply for editing — nothing is sent or changed until the agent submits), and the pages where
managers keep the shared macros and everyone their own."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from .. import services
from ..errors import CasesError
from ..errors import PermissionDenied as ServicePermissionDenied
from ..forms import MacroForm, ReplyForm, add_service_error
from ..macro_text import PLACEHOLDERS
from ..models import Macro
from ..selectors import macros_editable_by, macros_offered_to, tickets_visible_to
from .workspace import staff_required, staff_user

PICKER_LIMIT = 20


@staff_required
@require_GET
def macro_picker(request: HttpRequest, pk: int) -> HttpResponse:
    """The macros the agent may use on ticket `pk` whose title contains `q`."""
    user = staff_user(request)
    ticket = get_object_or_404(tickets_visible_to(user), pk=pk)
    query = (request.GET.get("q") or "").strip()[:120]
    macros = macros_offered_to(user)
    if query:
        macros = macros.filter(title__icontains=query)
    return render(
        request,
        "cases/_macro_results.html",
        {"ticket": ticket, "macros": list(macros[:PICKER_LIMIT]), "query": query},
    )


@staff_required
@require_GET
def macro_preview(request: HttpRequest, pk: int, macro_id: int) -> HttpResponse:
    """The reply box filled with the macro's text for this ticket, and what else applying it
    would do. Changes nothing."""
    user = staff_user(request)
    ticket = get_object_or_404(tickets_visible_to(user), pk=pk)
    macro = get_object_or_404(macros_offered_to(user), pk=macro_id)
    text = services.macro_text_for(macro, ticket, user)
    form = ReplyForm(
        ticket=ticket,
        slug="reply",
        initial={
            "body": text,
            "macro": macro.pk,
            "kind": ReplyForm.PUBLIC if macro.public else ReplyForm.NOTE,
            # The same draft: the files already chosen stay in the box (hx-preserve).
            "draft": request.GET.get("draft"),
        },
    )
    return render(
        request,
        "cases/_reply_area.html",
        {"ticket": ticket, "form": form, "macro": macro, "preview": text},
    )


@staff_required
@require_GET
def macro_list(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    editable = set(macros_editable_by(user).values_list("pk", flat=True))
    macros = (
        (macros_editable_by(user) | macros_offered_to(user))
        .select_related("owner", "set_category", "set_team")
        .prefetch_related("teams")
        .annotate(use_count=Count("uses", distinct=True))
        .order_by("owner_id", "title")
    )
    return render(
        request,
        "cases/macro_list.html",
        {"nav": "macros", "macros": macros, "editable": editable},
    )


@staff_required
@require_http_methods(["GET", "POST"])
def macro_edit(request: HttpRequest, macro_id: int | None = None) -> HttpResponse:
    """Create (no `macro_id`) or change a macro. Agents keep personal macros; managers and
    admins also share them, with the desk or some teams."""
    user = staff_user(request)
    macro = None
    if macro_id is not None:
        macro = get_object_or_404(Macro, pk=macro_id)
        if not services.may_edit_macro(user, macro):
            raise Http404  # neither another agent's macro nor its existence is shown
    form = MacroForm(request.POST or None, macro=macro, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.save_macro(by=user, macro=macro, **form.service_arguments())
        except ServicePermissionDenied as exc:
            raise PermissionDenied(exc.message) from exc
        except CasesError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Macro “%(title)s” saved.") % {"title": saved.title})
            return redirect("cases:macro_list")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "cases/macro_form.html",
        {
            "nav": "macros",
            "form": form,
            "macro": macro,
            "placeholders": sorted(PLACEHOLDERS.items()),
        },
        status=status,
    )
