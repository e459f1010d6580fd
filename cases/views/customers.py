"""Customer pages of the workspace: list and search, profile with case history and the
record of changes, create, edit (under the edit policy of `services.customers`)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from .. import services
from ..errors import CasesError
from ..errors import PermissionDenied as ServicePermissionDenied
from ..forms import CustomerEditForm, CustomerForm, CustomerSearchForm, add_service_error
from ..models import Customer
from ..paginator import CappedPaginator
from ..queues import customer_tickets, customers_with_counts
from ..selectors import customers_visible_to
from .workspace import staff_required

PAGE_SIZE = 25
CHANGES_SHOWN = 50


@staff_required
@require_GET
def customer_list(request):
    search = CustomerSearchForm(request.GET)
    term = search.cleaned_data["q"] if search.is_valid() else ""
    customers = customers_with_counts(request.user, term)
    page = CappedPaginator(customers, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "cases/customer_list.html",
        {"nav": "customers", "search": search, "term": term, "page_obj": page},
    )


def _changes(customer: Customer) -> list[dict]:
    """The latest recorded changes, each field with its label: who, when, old → new."""
    fields = {field.name: field for field in Customer._meta.fields}

    def row(name: str, old, new) -> tuple:
        field = fields.get(name)
        if field is None:
            return name, old, new
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
    customer = get_object_or_404(customers_visible_to(request.user), pk=pk)
    return render(
        request,
        "cases/customer_detail.html",
        {
            "nav": "customers",
            "customer": customer,
            "tickets": customer_tickets(request.user, customer),
            "may_edit": services.may_edit_customer(request.user, customer),
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
    if request.method == "POST":
        form = CustomerEditForm(request.POST, instance=customer)
    else:
        form = CustomerEditForm(instance=customer)
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
    return render(
        request,
        "cases/customer_form.html",
        {"nav": "customers", "form": form, "customer": customer},
        status=400 if form.is_bound else 200,
    )
