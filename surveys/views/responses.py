"""The survey responses list (coaching material) and its CSV export.

Both show `responses_visible_to(user)` narrowed by `ResponseFilter`, so the page, the export
and the API agree on who sees what. A period preset (`?period=7|30|90`) stands for
"answered from N − 1 days before today", and stays in the URL so that a bookmark rolls on.
"""

import csv

from django.db.models import QuerySet
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cases.csv_safety import neutralise
from cases.models import Channel, Priority
from cases.paginator import CappedPaginator
from cases.views.workspace import staff_required

from ..filters import ResponseFilter
from ..forms_manager import PERIODS, period_start
from ..models import SCALES, FollowUpStatus, InvitationStatus, SurveyInvitation
from ..selectors import response_summary_for, responses_visible_to
from ..templatetags.survey_tags import is_manager

PAGE_SIZE = 25
EXPORT_CHUNK = 500

# --- the filtered set -------------------------------------------------------------------------


def _filtered(request) -> tuple[ResponseFilter, str]:
    """The filter bound to the query string, with a valid period preset turned into its
    start date (and no end). Returns the filter and the preset in force ("" for none)."""
    data = request.GET.copy()
    period = data.get("period", "")
    start = period_start(period)
    if start is None:
        period = ""
    else:
        data["answered_after"] = start.isoformat()
        data.pop("answered_before", None)
    queryset = responses_visible_to(request.user).select_related("follow_up")
    filterset = ResponseFilter(data, queryset=queryset, request=request)
    _dress(filterset.form)
    return filterset, period


def _dress(form) -> None:
    """Browser date pickers and score ranges on the shared filter's widgets."""
    for name in ("answered_after", "answered_before"):
        form.fields[name].widget.input_type = "date"
    for question, (low, high) in SCALES.items():
        form.fields[question.value].widget.attrs.update(min=low, max=high)


# --- the page ---------------------------------------------------------------------------------


@staff_required
@require_GET
def response_list(request):
    filterset, period = _filtered(request)
    responses = filterset.qs
    page = CappedPaginator(responses, PAGE_SIZE).get_page(request.GET.get("page"))
    manager = is_manager(request.user)
    failed = None
    if manager:
        failed = SurveyInvitation.objects.filter(status=InvitationStatus.FAILED).count()
    return render(
        request,
        "surveys/responses.html",
        {
            "nav": "surveys",
            "filterset": filterset,
            "page_obj": page,
            "summary": response_summary_for(request.user, filterset.form.cleaned_data, responses),
            "period": period,
            "any_time": not period
            and not any(
                request.GET.get(name)
                for name in ("answered_after", "answered_before", "answered_from", "answered_until")
            ),
            "periods": list(PERIODS.items()),
            "filtered": bool(period) or any(request.GET.get(key) for key in filterset.form.fields),
            "is_manager": manager,
            "failed_invitations": failed,
            "failed_url": reverse("admin:surveys_surveyinvitation_changelist")
            + f"?status__exact={InvitationStatus.FAILED}",
        },
    )


# --- the CSV export ---------------------------------------------------------------------------


class _Echo:
    """csv.writer writes into this and gets the line back, for streaming."""

    def write(self, value):
        return value


def _export_header() -> list[str]:
    return [
        _("Answered at"),
        _("Ticket"),
        _("Subject"),
        _("Customer"),
        _("Agent"),
        _("Team"),
        _("Channel"),
        _("Category"),
        _("Priority"),
        "CSAT (1-5)",
        "CES (1-7)",
        "NPS (0-10)",
        _("Comment"),
        _("Follow-up"),
    ]


def _export_row(response, labels: dict) -> list:
    ticket = response.ticket
    follow_up = getattr(response, "follow_up", None)
    text = [
        ticket.reference,
        ticket.subject,
        ticket.customer.name,
        response.agent.display_name if response.agent else "",
        response.team.name if response.team else "",
        labels["channel"].get(ticket.channel, ticket.channel),
        ticket.category.name if ticket.category else "",
        labels["priority"].get(ticket.priority, ticket.priority),
    ]
    return [
        timezone.localtime(response.answered_at).strftime("%Y-%m-%d %H:%M"),
        *(neutralise(cell) for cell in text),
        "" if response.csat is None else response.csat,
        "" if response.ces is None else response.ces,
        "" if response.nps is None else response.nps,
        neutralise(response.comment),
        labels["follow_up"].get(follow_up.status, "") if follow_up else "",
    ]


def _export_lines(responses: QuerySet, header: list[str], labels: dict):
    writer = csv.writer(_Echo())
    # The byte-order mark tells Excel the file is UTF-8 (accents come out right).
    yield "\ufeff" + writer.writerow([neutralise(cell) for cell in header])
    for response in responses.iterator(chunk_size=EXPORT_CHUNK):
        yield writer.writerow(_export_row(response, labels))


@staff_required
@require_GET
def response_export(request):
    """Every response of the filtered set (not one page), streamed as CSV."""
    filterset, _period = _filtered(request)
    # Translated now, while the request's language is active: the lines are written later.
    labels = {
        "channel": {value: str(label) for value, label in Channel.choices},
        "priority": {value: str(label) for value, label in Priority.choices},
        "follow_up": {value: str(label) for value, label in FollowUpStatus.choices},
    }
    response = StreamingHttpResponse(
        _export_lines(filterset.qs, _export_header(), labels),
        content_type="text/csv; charset=utf-8",
    )
    filename = f"pulso-survey-responses-{timezone.localdate().isoformat()}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
