"""Problem pages (docs/quality.md, "Problems"): list, open, detail with its figures, edit,
the ticket page's fragment, the queue's "Link to a problem", the bulk answer and the
dashboard's section. Thin: parse, call one service or selector, render. Every staff member
may view problems and link tickets they can see; managers and admins edit, mark fixed, link
follow-ups and answer in bulk."""

import json
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.models import Ticket
from cases.paginator import CappedPaginator
from cases.selectors import tickets_visible_to
from cases.views.workspace import staff_required, staff_user
from metrics.definitions import local_midnight
from metrics.forms import DashboardFilterForm

from .. import problem_figures
from ..errors import QualityError
from ..forms_problems import (
    BulkAnswerForm,
    BulkLinkForm,
    LinkTicketForm,
    ProblemEditForm,
    ProblemForm,
    parse_ids,
)
from ..models_problems import Problem, ProblemBulkAnswer, ProblemStatus
from ..permissions import is_manager
from ..selectors import problems as selectors
from ..services import problems as services
from ..services.problems import LINK_MAX
from .common import dashboard_fragment, private, show_refusal

PAGE_SIZE = 25
DRIVER_KEYS = ("dimension", "value", "from", "to")
TICKETS_SHOWN = 200  # linked tickets listed on the problem page (the rest counted)


def _manager(request: HttpRequest) -> None:
    if not is_manager(request.user):
        raise PermissionDenied


def _problem(request: HttpRequest, pk: int) -> Problem:
    return get_object_or_404(selectors.problems_visible_to(request.user), pk=pk)


# --- list, open, detail, edit -----------------------------------------------------------------

STATUS_TABS = ("open", *ProblemStatus.values, "all")


@staff_required
@require_GET
def problem_list(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status") or "open"
    if status not in STATUS_TABS:
        status = "open"
    problems = selectors.problem_list(request.user, "" if status == "all" else status)
    paginator = CappedPaginator(problems, PAGE_SIZE)  # type: ignore[no-untyped-call]  # cases.paginator is not annotated
    page = paginator.get_page(request.GET.get("page"))
    labels = {"open": _("Not fixed"), "all": _("All"), **dict(ProblemStatus.choices)}
    return render(
        request,
        "quality/problems/list.html",
        {
            "nav": "problems",
            "page_obj": page,
            "status": status,
            "tabs": [(name, labels[name]) for name in STATUS_TABS],
            "can_manage": is_manager(request.user),
        },
    )


def _driver_origin(request: HttpRequest) -> tuple[dict[str, Any], list[int], str] | None:
    """`?origin=driver&dimension=&value=&from=&to=` (a dashboard driver row) → what
    services.driver_origin makes of it; None if malformed."""
    params = request.GET
    form = DashboardFilterForm(
        {"period": "custom", "from": params.get("from"), "to": params.get("to")}
    )
    if not form.is_valid():
        return None
    return services.driver_origin(
        by=staff_user(request),
        dimension=params.get("dimension") or "",
        value=(params.get("value") or "")[:100],
        period=form.kpi_period(),
    )


@staff_required
@require_http_methods(["GET", "POST"])
def problem_create(request: HttpRequest) -> HttpResponse:
    """Open a problem; from follow-ups (`?follow_ups=1,2,3`, managers) or a dashboard driver
    (`?origin=driver&…`) the tickets come along."""
    source = request.POST if request.method == "POST" else request.GET
    # `follow_ups=1,2,3`, or a form's ticked boxes `follow_up=1&follow_up=2`
    follow_up_ids = parse_ids(
        [*(source.get("follow_ups") or "").split(","), *source.getlist("follow_up")]
    )
    ticket_ids = parse_ids(source.get("tickets") or "")
    if follow_up_ids is None or ticket_ids is None:
        return render(request, "400.html", status=400)
    if follow_up_ids and not is_manager(request.user):
        raise PermissionDenied
    origin: dict[str, Any] = {}
    initial: dict[str, Any] = {"owner": request.user.pk}
    follow_ups = selectors.follow_ups_for(request.user, follow_up_ids)
    if follow_ups:
        origin = {"kind": "follow_ups", "follow_ups": [f.pk for f in follow_ups]}
    elif source.get("origin") == "driver":
        driver = _driver_origin(request) if request.method == "GET" else None
        if request.method == "POST":
            try:
                given = json.loads(source.get("origin_json") or "{}")
            except ValueError:
                given = None
            if not isinstance(given, dict) or given.get("kind") != "driver":
                return render(request, "400.html", status=400)
            # only the driver's own keys are kept, as short text
            origin = {"kind": "driver"}
            origin.update({k: str(given[k])[:100] for k in DRIVER_KEYS if k in given})
        elif driver is None:
            return render(request, "400.html", status=400)
        else:
            origin, ticket_ids, initial["title"] = driver
    elif ticket_ids:
        origin = {"kind": "tickets"}
    tickets, hidden = selectors.visible_tickets(request.user, ticket_ids)
    form = ProblemForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            problem = services.open_problem(
                by=staff_user(request),
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                root_cause=form.cleaned_data["root_cause"],
                owner=form.cleaned_data["owner"],
                ticket_ids=[t.pk for t in tickets],
                follow_up_ids=[f.pk for f in follow_ups],
                origin=origin,
            )
        except QualityError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Problem opened."))
            return redirect("quality:problem_detail", problem.pk)
    return render(
        request,
        "quality/problems/form.html",
        {
            "nav": "problems",
            "form": form,
            "creating": True,
            "tickets": tickets,
            "hidden": len(hidden),
            "follow_ups": follow_ups,
            "origin": origin,
            "origin_json": json.dumps(origin),
            "ticket_ids": ",".join(str(t.pk) for t in tickets),
            "follow_up_ids": ",".join(str(f.pk) for f in follow_ups),
        },
        status=400 if request.method == "POST" else 200,
    )


@staff_required
@require_GET
def problem_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The problem, its history, figures and linked tickets; `?show=before|after` or
    `?week=YYYY-MM-DD` narrows the tickets to those behind a figure."""
    problem = _problem(request, pk)
    tickets = selectors.linked_tickets(problem, request.user)
    show = request.GET.get("show") or ""
    week = request.GET.get("week") or ""
    if show in ("before", "after"):
        tickets = tickets.filter(pk__in=problem_figures.side_tickets(problem, show).values("pk"))
    elif week:
        try:
            start = parse_date(week)
            end = start + timedelta(days=7) if start else None
        except (ValueError, OverflowError):
            start = end = None
        if start is None or end is None:
            raise Http404
        tickets = tickets.filter(
            created_at__gte=local_midnight(start), created_at__lt=local_midnight(end)
        )
        show = "week"
    total = tickets.count()
    return render(
        request,
        "quality/problems/detail.html",
        {
            "nav": "problems",
            "problem": problem,
            "tickets": tickets[:TICKETS_SHOWN],
            "tickets_total": total,
            "tickets_more": max(total - TICKETS_SHOWN, 0),
            "hidden": selectors.hidden_ticket_count(problem, request.user),
            "show": show,
            "week": week,
            "events": problem.events.select_related("actor"),
            "weeks": problem_figures.weekly_counts(problem),
            "figures": problem_figures.before_after(problem),
            "bulk_answers": selectors.bulk_answers_of(problem),
            "follow_up_links": problem.follow_up_links.select_related("follow_up__ticket"),
            "can_manage": is_manager(request.user),
            "min_sample": settings.KPI_MIN_SAMPLE,
        },
    )


@staff_required
@require_http_methods(["GET", "POST"])
def problem_edit(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request)
    problem = _problem(request, pk)
    form = ProblemEditForm.for_problem(problem, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.update_problem(
                problem=problem,
                by=staff_user(request),
                title=data["title"],
                description=data["description"],
                root_cause=data["root_cause"],
                owner=data["owner"],
                status=data["status"],
                fix_note=data["fix_note"],
                fixed_at=data["fixed_at"] if data["status"] == ProblemStatus.FIXED else None,
            )
        except QualityError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Problem saved."))
            return redirect("quality:problem_detail", problem.pk)
    return render(
        request,
        "quality/problems/form.html",
        {"nav": "problems", "form": form, "problem": problem, "creating": False},
        status=400 if request.method == "POST" else 200,
    )


# --- the ticket page's fragment ---------------------------------------------------------------


def _visible_ticket(request: HttpRequest, pk: int) -> Ticket:
    return get_object_or_404(tickets_visible_to(request.user), pk=pk)


def _render_ticket_problems(
    request: HttpRequest, ticket: Ticket, form: LinkTicketForm | None = None, status: int = 200
) -> HttpResponse:
    problems = selectors.problems_of_ticket(request.user, ticket)
    choices = selectors.open_problems(request.user).exclude(links__ticket=ticket)
    form = form or LinkTicketForm(problems=choices)
    return private(
        render(
            request,
            "quality/problems/_ticket_problems.html",
            {"ticket": ticket, "problems": problems, "form": form},
            status=status,
        )
    )


@staff_required
@require_GET
def ticket_problems(request: HttpRequest, pk: int) -> HttpResponse:
    """The ticket page's slot: the ticket's problems (unlink) and a choice of open ones."""
    return _render_ticket_problems(request, _visible_ticket(request, pk))


@staff_required
@require_POST
def ticket_problem_link(request: HttpRequest, pk: int) -> HttpResponse:
    ticket = _visible_ticket(request, pk)
    choices = selectors.open_problems(request.user).exclude(links__ticket=ticket)
    form = LinkTicketForm(request.POST, problems=choices)
    if not form.is_valid():
        return _render_ticket_problems(request, ticket, form, status=400)
    services.link_tickets(
        problem=form.cleaned_data["problem"], by=staff_user(request), ticket_ids=[ticket.pk]
    )
    return _render_ticket_problems(request, ticket)


@staff_required
@require_POST
def ticket_problem_unlink(request: HttpRequest, pk: int, problem_pk: int) -> HttpResponse:
    ticket = _visible_ticket(request, pk)
    problem = _problem(request, problem_pk)
    try:
        services.unlink_ticket(problem=problem, by=staff_user(request), ticket=ticket)
    except QualityError as error:
        form = LinkTicketForm(problems=selectors.open_problems(request.user))
        form.add_error(None, error.message)
        return _render_ticket_problems(request, ticket, form, status=400)
    if request.headers.get("HX-Request"):
        return _render_ticket_problems(request, ticket)
    return redirect("quality:problem_detail", problem.pk)


# --- the queue's "Link to a problem" ----------------------------------------------------------


@staff_required
@require_POST
def link_tickets(request: HttpRequest) -> HttpResponse:
    """From the queue's bulk bar (its checkboxes `ticket` = "id:version"): first the
    selection the user can see and a choice of problem; with `confirm`, link them."""
    chosen = request.POST.getlist("ticket")
    ids = parse_ids(chosen)
    if ids is None:
        if parse_ids(chosen, limit=len(chosen)) is None:  # not too many: not ticket numbers
            error = _("The selection holds something that is not a ticket: choose again.")
        else:
            error = _("Choose at most %(n)s tickets.") % {"n": LINK_MAX}
        return render(
            request,
            "quality/problems/link_tickets.html",
            {"nav": "problems", "error": error},
            status=400,
        )
    tickets, hidden = selectors.visible_tickets(request.user, ids)
    problems = selectors.open_problems(request.user)
    confirming = "confirm" in request.POST
    form = BulkLinkForm(request.POST if confirming else None, problems=problems)
    context: dict[str, Any] = {
        "nav": "problems",
        "tickets": tickets,
        "hidden": hidden,
        "form": form,
        "next": request.POST.get("next") or "",
    }
    if not tickets:
        context["error"] = _("Select the tickets to link in the queue first.")
        return render(request, "quality/problems/link_tickets.html", context, status=400)
    if confirming and form.is_valid():
        by = staff_user(request)
        try:
            problem = form.cleaned_data["problem"]
            if problem is None:
                problem = services.open_problem(
                    by=by, title=form.cleaned_data["new_title"], origin={"kind": "tickets"}
                )
            outcome = services.link_tickets(problem=problem, by=by, ticket_ids=ids)
        except QualityError as error:
            show_refusal(form, error)
        else:
            by_id = {t.pk: t for t in tickets}
            return render(
                request,
                "quality/problems/link_result.html",
                {
                    "nav": "problems",
                    "problem": problem,
                    "linked": [by_id[i] for i in outcome.linked],
                    "already": [by_id[i] for i in outcome.already],
                    "not_visible": outcome.not_visible,
                },
            )
    status = 400 if confirming else 200
    return render(request, "quality/problems/link_tickets.html", context, status=status)


# --- bulk answer ------------------------------------------------------------------------------


@staff_required
@require_http_methods(["GET", "POST"])
def bulk_answer_create(request: HttpRequest, pk: int) -> HttpResponse:
    _manager(request)
    problem = _problem(request, pk)
    form = BulkAnswerForm(request.POST if request.method == "POST" else None)
    open_count = problem.tickets.filter(status__in=("new", "open", "pending")).count()
    if request.method == "POST" and form.is_valid():
        try:
            bulk = services.start_bulk_answer(
                problem=problem,
                by=staff_user(request),
                message_es=form.cleaned_data["message_es"],
                message_en=form.cleaned_data["message_en"],
                resolve=form.cleaned_data["resolve"],
            )
        except QualityError as error:
            show_refusal(form, error)
        else:
            return redirect("quality:bulk_answer_detail", problem.pk, bulk.pk)
    return render(
        request,
        "quality/problems/bulk_answer_form.html",
        {
            "nav": "problems",
            "problem": problem,
            "form": form,
            "open_count": open_count,
            "is_fixed": problem.status == ProblemStatus.FIXED,
        },
        status=400 if request.method == "POST" else 200,
    )


def _bulk(request: HttpRequest, pk: int, bulk_pk: int) -> ProblemBulkAnswer:
    _manager(request)
    problem = _problem(request, pk)
    return get_object_or_404(problem.bulk_answers.select_related("problem", "by"), pk=bulk_pk)


def _bulk_context(bulk: ProblemBulkAnswer) -> dict[str, Any]:
    rows = bulk.worded_results()
    return {
        "bulk": bulk,
        "problem": bulk.problem,
        "answered": [r for r in rows if r.get("outcome") == "answered"],
        "refused": [r for r in rows if r.get("outcome") == "refused"],
        "skipped": [r for r in rows if r.get("outcome") == "skipped"],
        "poll_url": reverse("quality:bulk_answer_results", args=[bulk.problem_id, bulk.pk]),
    }


@staff_required
@require_GET
def bulk_answer_detail(request: HttpRequest, pk: int, bulk_pk: int) -> HttpResponse:
    bulk = _bulk(request, pk, bulk_pk)
    return private(
        render(
            request,
            "quality/problems/bulk_answer.html",
            {"nav": "problems", **_bulk_context(bulk)},
        )
    )


@staff_required
@require_GET
def bulk_answer_results(request: HttpRequest, pk: int, bulk_pk: int) -> HttpResponse:
    """The results fragment the page polls (htmx, every 2 s until finished)."""
    bulk = _bulk(request, pk, bulk_pk)
    return private(render(request, "quality/problems/_bulk_results.html", _bulk_context(bulk)))


# --- the dashboard's section ------------------------------------------------------------------


@staff_required
@require_GET
def dashboard_problems(request: HttpRequest) -> HttpResponseBase:
    """Open problems ranked by linked tickets created in the dashboard's period (its own
    query string: `period`, `from`, `to`). Managers and admins."""
    _manager(request)

    def context(form: DashboardFilterForm) -> dict[str, Any]:
        period = form.kpi_period()
        problems = selectors.dashboard_problems(period.start, period.end)
        return {"problems": problems, "period": period, "now": timezone.now()}

    return dashboard_fragment(
        request, "quality/problems/_dashboard.html", context, _("Choose a valid period.")
    )
