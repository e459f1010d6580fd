"""Organisation pages of the workspace: the list with its search, an organisation's page
(profile, domains, account manager, contacts, the record of changes), create and edit —
managers and admins only (`services.organisations`)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from ..errors import CasesError
from ..errors import PermissionDenied as ServicePermissionDenied
from ..forms import CustomerSearchForm, add_service_error
from ..forms_customers import OrganisationForm
from ..models import Organisation, OrganisationChange
from ..paginator import CappedPaginator
from ..queues import customers_with_counts
from ..selectors import organisations_visible_to, organisations_with_counts
from ..services.organisations import (
    check_may_edit_organisation,
    create_organisation,
    may_edit_organisation,
    update_organisation,
)
from .workspace import staff_required, staff_user

PAGE_SIZE = 25
CONTACTS_SHOWN = 200
CHANGES_SHOWN = 50


@staff_required
@require_GET
def organisation_list(request: HttpRequest) -> HttpResponse:
    search = CustomerSearchForm(request.GET)
    term = search.cleaned_data["q"] if search.is_valid() else ""
    organisations = organisations_with_counts(staff_user(request), term)
    page = CappedPaginator(organisations, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/organisation_list.html",
        {
            "nav": "organisations",
            "search": search,
            "term": term,
            "page_obj": page,
            "may_edit": may_edit_organisation(staff_user(request)),
        },
    )


def _changes(organisation: Organisation) -> list[dict]:
    """The latest recorded changes, each field with its label: who, when, old → new."""
    labels = {
        "name": _("name"),
        "notes": _("notes"),
        "account_manager": _("account manager"),
        "domains": _("e-mail domains"),
    }
    changes = OrganisationChange.objects.filter(organisation=organisation).select_related("by")
    return [
        {
            "at": change.at,
            "by": change.by,
            "rows": [
                (labels.get(name, name), old, new) for name, (old, new) in change.changes.items()
            ],
        }
        for change in changes[:CHANGES_SHOWN]
    ]


@staff_required
@require_GET
def organisation_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    organisation = get_object_or_404(
        organisations_visible_to(user).select_related("account_manager"), pk=pk
    )
    contacts = customers_with_counts(user).filter(organisation=organisation)
    return render(
        request,
        "cases/organisation_detail.html",
        {
            "nav": "organisations",
            "organisation": organisation,
            "domains": [d.domain for d in organisation.domains.all()],
            "contacts": contacts[:CONTACTS_SHOWN],
            "contact_count": contacts.count(),
            "contacts_shown": CONTACTS_SHOWN,
            "may_edit": may_edit_organisation(user),
            "changes": _changes(organisation),
        },
    )


def _refuse_unless_editor(request: HttpRequest) -> None:
    try:  # refused before the form is even shown
        check_may_edit_organisation(staff_user(request))
    except ServicePermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc


@staff_required
@require_http_methods(["GET", "POST"])
def organisation_create(request: HttpRequest) -> HttpResponse:
    _refuse_unless_editor(request)
    form = OrganisationForm(request.POST) if request.method == "POST" else OrganisationForm()
    if form.is_bound and form.is_valid():
        try:
            organisation = create_organisation(by=staff_user(request), **form.values())
        except CasesError as exc:
            add_service_error(form, exc)
        else:
            messages.success(
                request, _("Organisation %(name)s added.") % {"name": organisation.name}
            )
            return redirect("cases:organisation_detail", pk=organisation.pk)
    return render(
        request,
        "cases/organisation_form.html",
        {"nav": "organisations", "form": form, "organisation": None},
        status=400 if form.is_bound else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def organisation_edit(request: HttpRequest, pk: int) -> HttpResponse:
    organisation = get_object_or_404(organisations_visible_to(staff_user(request)), pk=pk)
    _refuse_unless_editor(request)
    if request.method == "POST":
        form = OrganisationForm(request.POST, instance=organisation)
    else:
        form = OrganisationForm(instance=organisation)
    if form.is_bound and form.is_valid():
        try:
            update_organisation(organisation=organisation, by=staff_user(request), **form.changes())
        except CasesError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Organisation saved."))
            return redirect("cases:organisation_detail", pk=organisation.pk)
    return render(
        request,
        "cases/organisation_form.html",
        {"nav": "organisations", "form": form, "organisation": organisation},
        status=400 if form.is_bound else 200,
    )
