"""Saved views in the workspace: "Save this view" from the queue, and the page where people
rename and delete theirs (managers also the shared ones). The queue lists them with their
counts (`workspace.render_queue`); a view's links are plain queue URLs."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import services
from ..errors import CasesError
from ..errors import PermissionDenied as ServicePermissionDenied
from ..forms import add_service_error
from ..forms_saved_views import RenameViewForm, SavedViewForm
from ..queues import describe_view_query
from ..selectors import saved_views_editable_by, saved_views_offered_to
from .workspace import render_queue, staff_required, staff_user


@staff_required
@require_POST
def saved_view_create(request: HttpRequest) -> HttpResponse:
    """Keep the queue's filters (the form's `query`) under a name, then show the view."""
    user = staff_user(request)
    form = SavedViewForm(request.POST, user=user)
    if form.is_valid():
        try:
            view = services.save_view(by=user, **form.service_arguments())
        except ServicePermissionDenied as exc:
            raise PermissionDenied(exc.message) from exc
        except CasesError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
            return redirect(f"{reverse('cases:queue')}?{view.query}")
    # The queue the form was sent from, with the form, what was typed and what is wrong. The
    # page's links (tabs, sort headers) read the query string from request.GET.
    request.GET = QueryDict(str(form.data.get("query", ""))[:4000])
    return render_queue(request, save_form=form, status=400)


def _manage_page(
    request: HttpRequest, bound: RenameViewForm | None = None, status: int = 200
) -> HttpResponse:
    user = staff_user(request)
    editable = set(saved_views_editable_by(user).values_list("pk", flat=True))
    views = list(saved_views_offered_to(user).select_related("owner").prefetch_related("teams"))
    rows = [
        {
            "view": view,
            "editable": view.pk in editable,
            "filters": describe_view_query(view.query),
            "form": bound
            if bound is not None and bound.view_id == view.pk
            else RenameViewForm(initial={"name": view.name}, view_id=view.pk),
        }
        for view in views
    ]
    return render(
        request,
        "cases/saved_view_list.html",
        {
            "nav": "tickets",
            "rows": rows,
        },
        status=status,
    )


@staff_required
@require_GET
def saved_view_list(request: HttpRequest) -> HttpResponse:
    """The views offered to the user; those they may change with Rename and Delete."""
    return _manage_page(request)


@staff_required
@require_POST
def saved_view_rename(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    view = get_object_or_404(saved_views_offered_to(user), pk=pk)
    form = RenameViewForm(request.POST, view_id=view.pk)
    if form.is_valid():
        try:
            renamed = services.rename_view(by=user, view=view, name=form.cleaned_data["name"])
        except ServicePermissionDenied as exc:
            raise PermissionDenied(exc.message) from exc
        except CasesError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("View renamed to “%(name)s”.") % {"name": renamed.name})
            return redirect("cases:saved_view_list")
    return _manage_page(request, bound=form, status=400)


@staff_required
@require_POST
def saved_view_delete(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    view = get_object_or_404(saved_views_offered_to(user), pk=pk)
    try:
        services.delete_view(by=user, view=view)
    except ServicePermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc
    except CasesError as exc:  # deleted meanwhile by someone else
        messages.error(request, exc.message)
        return redirect("cases:saved_view_list")
    messages.success(request, _("View “%(name)s” deleted.") % {"name": view.name})
    return redirect("cases:saved_view_list")
