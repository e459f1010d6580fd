"""Quality reviews' pages under /quality/ (docs/quality.md, "Reviews"): scorecards, the
Reviewer role, sampling rules, reviewing a ticket, the to-do list, an agent's own reviews,
disputes, and two fragments other pages load (the dashboard's section, the ticket's reviews).

Every view needs a role; managers' pages refuse others with 403. The services decide what
may change and their refusals are shown on the form (or as a 403)."""

import json
from collections.abc import Callable
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cases.models import Ticket, User
from cases.selectors import staff_users, tickets_visible_to
from cases.views.workspace import staff_required, staff_user
from metrics.forms import DashboardFilterForm
from metrics.presentation.formatting import Unit, format_value

from .. import kpis
from ..errors import QualityError, QualityPermissionDenied
from ..forms_reviews import (
    CriterionFormSet,
    DisputeForm,
    ReassignForm,
    ReviewFilterForm,
    ReviewForm,
    SampleWeekForm,
    SamplingRuleForm,
    ScorecardForm,
    SettleForm,
    StartReviewForm,
    criteria_initial,
)
from ..models_reviews import Review, ReviewStatus, SamplingRule, Scorecard
from ..permissions import is_manager, is_reviewer
from ..selectors import reviews as selectors
from ..services import reviews as services
from ..services import sampling
from .common import dashboard_fragment, private, show_refusal

LIST_LIMIT = 200
View = Callable[..., HttpResponseBase]


def manager_required(view: View) -> View:
    """Staff (else the login page or 403) and a manager or admin (else 403)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_manager(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return staff_required(wrapper)


def reviewer_required(view: View) -> View:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not is_reviewer(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return staff_required(wrapper)


def _page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """A full page, with what the quality tabs need to know of the user."""
    context |= {
        "is_quality_manager": is_manager(request.user),
        "is_quality_reviewer": is_reviewer(request.user),
    }
    return render(request, template, context, status=status)


# --- scorecards -------------------------------------------------------------------------------


@manager_required
@require_GET
def scorecard_list(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        "quality/reviews/scorecard_list.html",
        {"scorecards": selectors.scorecards(), "nav": "quality"},
    )


@manager_required
@require_http_methods(["GET", "POST"])
def scorecard_create(request: HttpRequest) -> HttpResponse:
    form = ScorecardForm(request.POST or None)
    criteria = CriterionFormSet(request.POST or None, prefix="criteria")
    if request.method == "POST" and form.is_valid() and criteria.is_valid():
        try:
            scorecard = services.create_scorecard(
                by=staff_user(request),
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                criteria=criteria.criteria(),
            )
        except QualityError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Scorecard created."))
            return redirect("quality:scorecard_detail", pk=scorecard.pk)
    return _page(
        request,
        "quality/reviews/scorecard_form.html",
        {"form": form, "criteria": criteria, "scorecard": None, "nav": "quality"},
        status=400 if request.method == "POST" else 200,
    )


@manager_required
@require_http_methods(["GET", "POST"])
def scorecard_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Saving writes a new version: the reviews already made keep theirs."""
    scorecard = get_object_or_404(Scorecard, pk=pk)
    version = services.current_version(scorecard)
    initial = criteria_initial(list(version.criteria.all())) if version else []
    form = ScorecardForm(
        request.POST or None,
        initial={"name": scorecard.name, "description": scorecard.description},
    )
    criteria = CriterionFormSet(request.POST or None, prefix="criteria", initial=initial)
    if request.method == "POST" and form.is_valid() and criteria.is_valid():
        try:
            new = services.revise_scorecard(
                scorecard=scorecard,
                by=staff_user(request),
                name=form.cleaned_data["name"],
                description=form.cleaned_data["description"],
                criteria=criteria.criteria(),
                note=form.cleaned_data["note"],
            )
        except QualityError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Version %(number)s saved.") % {"number": new.number})
            return redirect("quality:scorecard_detail", pk=scorecard.pk)
    return _page(
        request,
        "quality/reviews/scorecard_form.html",
        {"form": form, "criteria": criteria, "scorecard": scorecard, "nav": "quality"},
        status=400 if request.method == "POST" else 200,
    )


@manager_required
@require_GET
def scorecard_detail(request: HttpRequest, pk: int) -> HttpResponse:
    scorecard = get_object_or_404(Scorecard, pk=pk)
    versions = scorecard.versions.select_related("created_by").prefetch_related("criteria")
    return _page(
        request,
        "quality/reviews/scorecard_detail.html",
        {"scorecard": scorecard, "versions": versions, "nav": "quality"},
    )


@manager_required
@require_POST
def scorecard_active(request: HttpRequest, pk: int) -> HttpResponse:
    scorecard = get_object_or_404(Scorecard, pk=pk)
    active = request.POST.get("active") == "1"
    services.set_scorecard_active(scorecard=scorecard, by=staff_user(request), active=active)
    messages.success(request, _("Scorecard activated.") if active else _("Scorecard deactivated."))
    return redirect("quality:scorecard_detail", pk=scorecard.pk)


# --- the Reviewer role ------------------------------------------------------------------------


@manager_required
@require_http_methods(["GET", "POST"])
def reviewer_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        user_id = request.POST.get("user") or ""
        if not user_id.isdigit() or len(user_id) > 18:
            messages.error(request, _("Choose an agent."))
            return redirect("quality:reviewers")
        user = get_object_or_404(User, pk=int(user_id))
        grant = request.POST.get("reviewer") == "1"
        try:
            services.set_reviewer(user=user, by=staff_user(request), reviewer=grant)
        except QualityError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                (
                    _("%(name)s is now a reviewer.")
                    if grant
                    else _("%(name)s is no longer a reviewer.")
                )
                % {"name": user.display_name},
            )
        return redirect("quality:reviewers")
    return _page(
        request,
        "quality/reviews/reviewers.html",
        {"agents": selectors.agents_with_reviewer_flag(), "nav": "quality"},
    )


# --- sampling ---------------------------------------------------------------------------------


def _rule_initial(rule: SamplingRule) -> dict[str, Any]:
    return {
        "scorecard": rule.scorecard_id,
        "reviews_per_agent": rule.reviews_per_agent,
        "mode": rule.mode,
        "teams": list(rule.teams.all()),
        "is_active": rule.is_active,
    }


def _save_rule(request: HttpRequest, form: SamplingRuleForm, rule: SamplingRule | None) -> bool:
    data = form.cleaned_data
    try:
        sampling.save_sampling_rule(
            by=staff_user(request),
            rule=rule,
            scorecard_id=data["scorecard"].pk,
            reviews_per_agent=data["reviews_per_agent"],
            mode=data["mode"],
            team_ids=[team.pk for team in data["teams"]],
            is_active=data["is_active"],
        )
    except QualityError as error:
        show_refusal(form, error)
        return False
    return True


@manager_required
@require_http_methods(["GET", "POST"])
def sampling_list(request: HttpRequest) -> HttpResponse:
    form = SamplingRuleForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and _save_rule(request, form, None):
        messages.success(request, _("Sampling rule saved."))
        return redirect("quality:sampling")
    return _page(
        request,
        "quality/reviews/sampling.html",
        {
            "rules": selectors.sampling_rules(),
            "form": form,
            "week_form": SampleWeekForm(),
            "nav": "quality",
        },
        status=400 if request.method == "POST" else 200,
    )


@manager_required
@require_http_methods(["GET", "POST"])
def sampling_edit(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(SamplingRule, pk=pk)
    form = SamplingRuleForm(request.POST or None, initial=_rule_initial(rule))
    if request.method == "POST" and form.is_valid() and _save_rule(request, form, rule):
        messages.success(request, _("Sampling rule saved."))
        return redirect("quality:sampling")
    return _page(
        request,
        "quality/reviews/sampling_form.html",
        {"rule": rule, "form": form, "nav": "quality"},
        status=400 if request.method == "POST" else 200,
    )


@manager_required
@require_POST
def sampling_run(request: HttpRequest, pk: int) -> HttpResponse:
    """ "Sample a week now": the same service as the Monday beat, for the week chosen."""
    rule = get_object_or_404(SamplingRule, pk=pk)
    form = SampleWeekForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for message in errors:
                messages.error(request, str(message))
        return redirect("quality:sampling")
    try:
        result = sampling.sample_week(
            rule=rule, week_start=form.cleaned_data["week"], by=staff_user(request)
        )
    except QualityError as error:
        messages.error(request, error.message)
        return redirect("quality:sampling")
    monday = form.cleaned_data["week"]
    week = {
        "start": date_format(monday),
        "end": date_format(monday + timedelta(days=6)),
    }
    if result.already_run:
        messages.info(
            request,
            _(
                "The week of %(start)s to %(end)s was already sampled for this rule: "
                "nothing assigned."
            )
            % week,
        )
    else:
        messages.success(
            request,
            ngettext(
                "Week of %(start)s to %(end)s sampled: %(n)s review assigned.",
                "Week of %(start)s to %(end)s sampled: %(n)s reviews assigned.",
                result.assigned,
            )
            % {"n": result.assigned, **week},
        )
    if result.no_reviewer:
        messages.warning(
            request,
            ngettext(
                "%(n)s ticket left unassigned: no reviewer available.",
                "%(n)s tickets left unassigned: no reviewer available.",
                len(result.no_reviewer),
            )
            % {"n": len(result.no_reviewer)},
        )
    return redirect("quality:sampling")


# --- reviewing --------------------------------------------------------------------------------


@reviewer_required
@require_http_methods(["GET", "POST"])
def review_start(request: HttpRequest, ticket_id: int) -> HttpResponse:
    """ "Review this ticket": choose the scorecard; the review opens to be scored."""
    user = staff_user(request)
    ticket = get_object_or_404(tickets_visible_to(user), pk=ticket_id)
    # Refused before any form, on GET as on POST (400 both ways), saying why.
    refusal = services.review_refusal(user, ticket)
    if refusal is not None:
        return _page(
            request,
            "quality/reviews/review_start.html",
            {"ticket": ticket, "refusal": refusal.message, "nav": "quality"},
            status=400,
        )
    form = StartReviewForm(request.POST or None, scorecards=selectors.active_scorecards())
    if request.method == "POST" and form.is_valid():
        try:
            review = services.start_review(
                ticket=ticket, by=user, scorecard=form.cleaned_data["scorecard"]
            )
        except QualityError as error:
            show_refusal(form, error)
        except QualityPermissionDenied as error:
            form.add_error(None, error.message)
        else:
            return redirect("quality:review", pk=review.pk)
    return _page(
        request,
        "quality/reviews/review_start.html",
        {"ticket": ticket, "form": form, "nav": "quality"},
        status=400 if request.method == "POST" else 200,
    )


@staff_required
@require_http_methods(["GET", "POST"])
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The review beside the conversation. Its reviewer scores it while it is to do (save a
    draft or complete); afterwards, and for everyone else allowed, it reads."""
    user = staff_user(request)
    review = get_object_or_404(selectors.review_details(selectors.reviews_visible_to(user)), pk=pk)
    editable = review.status == ReviewStatus.ASSIGNED and review.reviewer_id == user.pk
    replies = selectors.conversation(review, user)
    criteria = list(review.scorecard_version.criteria.all())
    form = None
    status = 200
    if editable:
        form = ReviewForm(
            request.POST or None,
            criteria=criteria,
            replies=replies,
            scores=list(review.scores.all()),
            initial={"summary": review.summary},
        )
        for reply in replies:
            reply.comment_field = form.reply_field(reply)  # type: ignore[attr-defined]
        if request.method == "POST":
            complete = request.POST.get("action") == "complete"
            if form.is_valid():
                try:
                    services.score_review(
                        review=review,
                        by=user,
                        scores=form.scores(),
                        summary=form.cleaned_data["summary"],
                        comments=form.comments(),
                        complete=complete,
                    )
                except QualityError as error:
                    show_refusal(form, error)
                else:
                    messages.success(
                        request, _("Review completed.") if complete else _("Draft saved.")
                    )
                    return redirect("quality:review", pk=review.pk)
            status = 400
    elif request.method == "POST":
        raise PermissionDenied
    dispute = getattr(review, "dispute", None) if hasattr(review, "dispute") else None
    may_dispute = (
        review.agent_id == user.pk and review.status == ReviewStatus.COMPLETED and dispute is None
    )
    return _page(
        request,
        "quality/reviews/review.html",
        {
            "review": review,
            "replies": replies,
            "general_comments": selectors.general_comments(review),
            "form": form,
            "dispute": dispute,
            "dispute_form": DisputeForm() if may_dispute else None,
            "may_settle": dispute is not None and dispute.is_open and is_manager(user),
            "may_manage": review.status == ReviewStatus.ASSIGNED and is_manager(user),
            "nav": "quality",
        },
        status=status,
    )


def _managed_review(pk: int) -> Review:
    return get_object_or_404(
        Review.objects.select_related("ticket", "agent", "reviewer", "scorecard_version"), pk=pk
    )


@manager_required
@require_http_methods(["GET", "POST"])
def review_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    """A manager gives a review still to do to another reviewer (a stuck draft)."""
    review = _managed_review(pk)
    user = staff_user(request)
    form = None
    refusal = ""
    status = 200
    if review.status != ReviewStatus.ASSIGNED:
        refusal, status = _("A completed review cannot be reassigned."), 400
    else:
        form = ReassignForm(request.POST or None, people=selectors.reviewers_for(review))
        if request.method == "POST":
            status = 400
            if form.is_valid():
                try:
                    services.reassign_review(review=review, by=user, reviewer=form.chosen())
                except QualityError as error:
                    show_refusal(form, error)
                else:
                    messages.success(
                        request,
                        _("The review now goes to %(name)s.")
                        % {"name": form.chosen().display_name},
                    )
                    return redirect("quality:review", pk=review.pk)
    return _page(
        request,
        "quality/reviews/review_reassign.html",
        {"review": review, "form": form, "refusal": refusal, "nav": "quality"},
        status=status,
    )


@manager_required
@require_http_methods(["GET", "POST"])
def review_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """A manager drops a review still to do, after confirming (nothing of it is kept)."""
    review = _managed_review(pk)
    refusal = ""
    if review.status != ReviewStatus.ASSIGNED:
        refusal = _("A completed review cannot be removed.")
    elif request.method == "POST":
        try:
            services.delete_draft_review(review=review, by=staff_user(request))
        except QualityError as error:
            refusal = error.message
        else:
            messages.success(
                request,
                _("The review of %(ref)s was removed.") % {"ref": review.ticket.reference},
            )
            return redirect("quality:reviews")
    return _page(
        request,
        "quality/reviews/review_remove.html",
        {"review": review, "refusal": refusal, "nav": "quality"},
        status=400 if refusal else 200,
    )


@staff_required
@require_POST
def review_dispute(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    review = get_object_or_404(selectors.reviews_visible_to(user), pk=pk)
    form = DisputeForm(request.POST)
    if not form.is_valid():  # say what is wrong: empty, too long, a NUL character
        if form.has_error("reason", "required"):
            messages.error(request, _("Say why you disagree."))
        else:
            for message in form.errors.get("reason", []):
                messages.error(request, str(message))
        return redirect("quality:review", pk=review.pk)
    try:
        services.dispute_review(review=review, by=user, reason=form.cleaned_data["reason"])
    except QualityError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Dispute sent: a manager will settle it."))
    return redirect("quality:review", pk=review.pk)


@manager_required
@require_http_methods(["GET", "POST"])
def review_settle(request: HttpRequest, pk: int) -> HttpResponse:
    user = staff_user(request)
    review = get_object_or_404(selectors.review_details(selectors.reviews_visible_to(user)), pk=pk)
    dispute = getattr(review, "dispute", None) if hasattr(review, "dispute") else None
    if dispute is None or not dispute.is_open:
        messages.info(request, _("This review has no open dispute."))
        return redirect("quality:review", pk=review.pk)
    form = SettleForm(
        request.POST or None,
        criteria=list(review.scorecard_version.criteria.all()),
        scores=list(review.scores.all()),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.settle_dispute(
                review=review,
                by=user,
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                scores=form.scores(),
            )
        except QualityError as error:
            show_refusal(form, error)
        else:
            messages.success(request, _("Dispute settled."))
            return redirect("quality:review", pk=review.pk)
    return _page(
        request,
        "quality/reviews/settle.html",
        {"review": review, "dispute": dispute, "form": form, "nav": "quality"},
        status=400 if request.method == "POST" else 200,
    )


# --- lists ------------------------------------------------------------------------------------


@reviewer_required
@require_GET
def todo(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    return _page(
        request,
        "quality/reviews/todo.html",
        {
            "todo": selectors.todo_for(user)[:LIST_LIMIT],
            "done": selectors.done_by(user)[:50],
            "nav": "quality",
        },
    )


@manager_required
@require_GET
def review_list(request: HttpRequest) -> HttpResponse:
    form = ReviewFilterForm(request.GET or None, people=staff_users())
    reviews = selectors.reviews_visible_to(request.user)
    status = 200
    if form.is_bound:
        if form.is_valid():
            data = form.cleaned_data
            reviews = selectors.filter_reviews(
                reviews,
                agent=data["agent"].pk if data.get("agent") else None,
                reviewer=data["reviewer"].pk if data.get("reviewer") else None,
                status=data.get("status") or "",
                start=data.get("start"),
                end=data.get("end"),
                disputed=data.get("disputed") or "",
            )
        else:
            reviews = reviews.none()
            status = 400
    return _page(
        request,
        "quality/reviews/list.html",
        {"form": form, "reviews": reviews[:LIST_LIMIT], "nav": "quality"},
        status=status,
    )


@staff_required
@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    user = staff_user(request)
    return _page(
        request,
        "quality/reviews/mine.html",
        {"reviews": selectors.reviews_of_agent(user)[:LIST_LIMIT], "nav": "quality"},
    )


@manager_required
@require_GET
def dispute_list(request: HttpRequest) -> HttpResponse:
    return _page(
        request,
        "quality/reviews/disputes.html",
        {"disputes": selectors.open_disputes(), "nav": "quality"},
    )


# --- fragments other pages load ----------------------------------------------------------------


def _one_decimal(value: float | Decimal | None, unit: Unit) -> str:
    """Rounded half up to one decimal first (the IQS carries two; number_format cuts)."""
    if value is None:
        return format_value(None, unit)
    return format_value(Decimal(str(value)).quantize(Decimal("0.1"), ROUND_HALF_UP), unit)


@manager_required
@require_GET
def dashboard_section(request: HttpRequest) -> HttpResponse:
    """The manager dashboard's quality section: the desk's IQS and, per agent, IQS beside
    CSAT, for the dashboard's own query string."""
    return dashboard_fragment(request, "quality/reviews/_dashboard_section.html", _iqs_section)


def _iqs_section(form: DashboardFilterForm) -> dict[str, Any]:
    period, filters = form.kpi_period(), form.kpi_filters()
    rows = kpis.iqs_against_csat(period, filters)
    desk = kpis.iqs(period, filters)
    # Worded as the dashboard words its figures: one decimal, localised (metrics' helper).
    shown: list[dict[str, Any]] = [
        {
            **row,
            "iqs_text": _one_decimal(row["iqs"], "score1"),
            "csat_text": _one_decimal(row["csat"], "percent"),
        }
        for row in rows
    ]
    points = [
        {"x": row["csat"], "y": row["iqs"], "label": row["name"]}
        for row in rows
        if row["csat"] is not None and row["iqs"] is not None
    ]
    return {
        "desk": desk,
        "desk_iqs": _one_decimal(desk["iqs"], "score1"),
        "rows": shown,
        # In the canvas's data attribute, escaped: htmx drops every <script> of a swapped
        # fragment (allowScriptTags false), JSON ones too.
        "chart_json": json.dumps({"points": points, "x": str(_("CSAT %")), "y": str(_("IQS"))}),
        "min_sample": settings.KPI_MIN_SAMPLE,
    }


@staff_required
@require_GET
def ticket_reviews(request: HttpRequest, pk: int) -> HttpResponse:
    """The ticket page's panel: the ticket's reviews the user may see and, for a reviewer,
    "Review this ticket"."""
    user = staff_user(request)
    ticket: Ticket = get_object_or_404(tickets_visible_to(user), pk=pk)
    return private(
        render(
            request,
            "quality/reviews/_ticket_reviews.html",
            {
                "ticket": ticket,
                "reviews": selectors.reviews_of_ticket(user, ticket),
                "review_url": reverse("quality:review_start", args=[ticket.pk])
                if services.may_review(user, ticket)
                else "",
            },
        )
    )
