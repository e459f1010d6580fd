"""Customer pages of the workspace: list and search, profile with case history and the
record of changes, create, edit (under the edit policy of `services.customers`), other
addresses, and merging a duplicate record into this one (`services.customer_merge`)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from .. import services
from ..errors import CasesError
from ..errors import PermissionDenied as ServicePermissionDenied
from ..forms import CustomerEditForm, CustomerForm, CustomerSearchForm, add_service_error
from ..forms_customers import CustomerAddressForm, CustomerMergeForm, CustomerMergeSearchForm
from ..models import Customer
from ..paginator import CappedPaginator
from ..queues import customer_tickets, customers_with_counts
from ..selectors import customers_visible_to
from ..services.customer_merge import (
    check_may_merge_customers,
    may_merge_customers,
    merge_counts,
    merge_customers,
)
from ..services.customers import (
    ADDRESSES,
    add_customer_address,
    may_change_organisation_admin,
    remove_customer_address,
)
from .workspace import staff_required, staff_user

PAGE_SIZE = 25
CHANGES_SHOWN = 50


@staff_required
@require_GET
def customer_list(request):
    search = CustomerSearchForm(request.GET)
    term = search.cleaned_data["q"] if search.is_valid() else ""
    customers = customers_with_counts(request.user, term).select_related("organisation")
    page = CappedPaginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/customer_list.html",
        {"nav": "customers", "search": search, "term": term, "page_obj": page},
    )


# Recorded changes that are not a field of the customer: their labels.
_OTHER_CHANGES = {
    ADDRESSES: gettext_lazy("other e-mail addresses"),
    "merged": gettext_lazy("merged record"),
}


def _changes(customer: Customer) -> list[dict]:
    """The latest recorded changes, each field with its label: who, when, old → new."""
    fields = {field.name: field for field in Customer._meta.fields}
    yes_no = {"True": _("yes"), "False": _("no")}

    def row(name: str, old, new) -> tuple:
        field = fields.get(name)
        if field is None:
            return _OTHER_CHANGES.get(name, name), old, new
        if field.get_internal_type() == "BooleanField":
            return field.verbose_name, yes_no.get(old, old), yes_no.get(new, new)
        shown = dict(field.choices or ())
        return field.verbose_name, shown.get(old, old), shown.get(new, new)

    return [
        {
            "at": change.at,
            "by": change.by,
            "rows": [row(name, old, new) for name, (old, new) in change.changes.items()],
        }
        for change in customer.audit.select_related("by")[:CHANGES_SHOWN]
    ]


@staff_required
@require_GET
def customer_detail(request, pk):
    customer = get_object_or_404(
        customers_visible_to(request.user).select_related("organisation"), pk=pk
    )
    # Newest first, a page at a time: a customer may have thousands of cases.
    tickets = CappedPaginator(customer_tickets(request.user, customer), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "cases/customer_detail.html",
        {
            "nav": "customers",
            "customer": customer,
            "addresses": list(customer.addresses.all()),
            "tickets": tickets,
            "may_edit": services.may_edit_customer(request.user, customer),
            "may_merge": may_merge_customers(staff_user(request)),
            "merges": list(customer.merges.select_related("by")[:CHANGES_SHOWN]),
            "changes": _changes(customer),
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def customer_create(request):
    form = CustomerForm(request.POST) if request.method == "POST" else CustomerForm()
    if form.is_bound and form.is_valid():
        try:
            customer = services.find_or_create_customer(**form.cleaned_data)
        except CasesError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Customer %(name)s added.") % {"name": customer.name})
            return redirect("cases:customer_detail", pk=customer.pk)
    return render(
        request,
        "cases/customer_form.html",
        {"nav": "customers", "form": form, "customer": None},
        status=400 if form.is_bound else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def customer_edit(request, pk):
    customer = get_object_or_404(customers_visible_to(request.user), pk=pk)
    try:  # refused before the form is even shown
        services.check_may_edit_customer(request.user, customer)
    except ServicePermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc
    may_grant = may_change_organisation_admin(staff_user(request))
    if request.method == "POST":
        form = CustomerEditForm(
            request.POST, instance=customer, may_change_organisation_admin=may_grant
        )
    else:
        form = CustomerEditForm(instance=customer, may_change_organisation_admin=may_grant)
    if form.is_bound and form.is_valid():
        try:
            services.update_customer(customer=customer, by=request.user, **form.changes())
        except ServicePermissionDenied as exc:
            raise PermissionDenied(exc.message) from exc
        except CasesError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("Customer details saved."))
            return redirect("cases:customer_detail", pk=customer.pk)
    return _edit_page(request, customer, form=form, status=400 if form.is_bound else 200)


def _edit_page(
    request: HttpRequest,
    customer: Customer,
    *,
    form: CustomerEditForm | None = None,
    address_form: CustomerAddressForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The edit page: the details' form, and the other addresses with their own forms."""
    if form is None:
        form = CustomerEditForm(
            instance=customer,
            may_change_organisation_admin=may_change_organisation_admin(staff_user(request)),
        )
    return render(
        request,
        "cases/customer_form.html",
        {
            "nav": "customers",
            "form": form,
            "customer": customer,
            "addresses": list(customer.addresses.all()),
            "address_form": address_form or CustomerAddressForm(),
        },
        status=status,
    )


def _editable_customer(request: HttpRequest, pk: int) -> Customer:
    customer = get_object_or_404(customers_visible_to(request.user), pk=pk)
    try:
        services.check_may_edit_customer(staff_user(request), customer)
    except ServicePermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc
    return customer


@staff_required
@require_POST
def customer_address_add(request: HttpRequest, pk: int) -> HttpResponse:
    customer = _editable_customer(request, pk)
    form = CustomerAddressForm(request.POST)
    if form.is_valid():
        try:
            add_customer_address(
                customer=customer, by=staff_user(request), email=form.cleaned_data["email"]
            )
        except ServicePermissionDenied as exc:
            raise PermissionDenied(exc.message) from exc
        except CasesError as exc:
            add_service_error(form, exc)
        else:
            messages.success(request, _("%(email)s added.") % {"email": form.cleaned_data["email"]})
            return redirect("cases:customer_edit", pk=customer.pk)
    return _edit_page(request, customer, address_form=form, status=400)


@staff_required
@require_POST
def customer_address_remove(request: HttpRequest, pk: int, address_id: int) -> HttpResponse:
    customer = _editable_customer(request, pk)
    address = get_object_or_404(customer.addresses, pk=address_id)
    try:
        remove_customer_address(customer=customer, by=staff_user(request), address_id=address.pk)
    except ServicePermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc
    messages.success(request, _("%(email)s removed.") % {"email": address.email})
    return redirect("cases:customer_edit", pk=customer.pk)


# --- merging a duplicate record ------------------------------------------------------------

MERGE_MATCHES = 20


def _mergeable_customer(request: HttpRequest, pk: int) -> Customer:
    customer = get_object_or_404(customers_visible_to(request.user), pk=pk)
    try:  # refused before anything is shown
        check_may_merge_customers(staff_user(request))
    except ServicePermissionDenied as exc:
        raise PermissionDenied(exc.message) from exc
    return customer


@staff_required
@require_GET
def customer_merge_find(request: HttpRequest, pk: int) -> HttpResponse:
    """Step 1: find the duplicate by name, e-mail, company or phone."""
    customer = _mergeable_customer(request, pk)
    search = CustomerMergeSearchForm(request.GET)
    term = search.cleaned_data["q"] if search.is_valid() else ""
    matches = (
        customers_with_counts(request.user, term).exclude(pk=customer.pk)[:MERGE_MATCHES]
        if term
        else []
    )
    return render(
        request,
        "cases/customer_merge.html",
        {
            "nav": "customers",
            "customer": customer,
            "search": search,
            "term": term,
            "matches": matches,
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def customer_merge_confirm(request: HttpRequest, pk: int, duplicate_id: int) -> HttpResponse:
    """Step 2: what will move, and the merge itself once confirmed."""
    customer = _mergeable_customer(request, pk)
    duplicate = get_object_or_404(customers_visible_to(request.user), pk=duplicate_id)
    form = CustomerMergeForm(request.POST or None, initial={"duplicate": duplicate.pk})
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["duplicate"] != duplicate.pk:
            form.add_error(None, _("The page was out of date: check the duplicate again."))
        else:
            try:
                merge_customers(kept=customer, duplicate=duplicate, by=staff_user(request))
            except ServicePermissionDenied as exc:
                raise PermissionDenied(exc.message) from exc
            except CasesError as exc:
                add_service_error(form, exc)
            else:
                messages.success(
                    request,
                    _("%(duplicate)s was merged into %(customer)s.")
                    % {"duplicate": duplicate, "customer": customer.name},
                )
                return redirect("cases:customer_detail", pk=customer.pk)
    return render(
        request,
        "cases/customer_merge_confirm.html",
        {
            "nav": "customers",
            "customer": customer,
            "duplicate": duplicate,
            "same": duplicate.pk == customer.pk,
            "moves": _moves(duplicate),
            "form": form,
        },
        status=400 if form.is_bound else 200,
    )


def _moves(duplicate: Customer) -> list[tuple[object, int]]:
    """What a merge of `duplicate` moves, labelled, in the page's order."""
    counts = merge_counts(duplicate)
    return [(label, counts.get(key, 0)) for key, label in MOVED_LABELS.items()]


# What a merge moves (`CustomerMerge.moved`), as the pages name it.
MOVED_LABELS = {
    "tickets": gettext_lazy("Tickets"),
    "addresses": gettext_lazy("E-mail addresses (theirs becomes another of this customer's)"),
    "survey_invitations": gettext_lazy("Survey invitations"),
    "survey_answers": gettext_lazy("Survey answers"),
    "follow_ups": gettext_lazy("Follow-ups"),
    "followed_tickets": gettext_lazy("Tickets they follow"),
    "portal_sign_ins": gettext_lazy("Portal sign-in links"),
}
