"""The metrics API: the KPIs of docs/kpis.md for a period and filters, as `metrics.kpis` computes
them. Managers and admins see everything; an agent sees their own tickets only — the agent
filter is forced to the caller whatever they pass (a team or other filter narrows within it).

Periods are `[from, to)` (docs/kpis.md): each end is a date (midnight in TIME_ZONE) or an ISO 8601
date and time with its offset, and `to` is the first day or moment not included. A period with
a time of day is computed live (the rollups hold whole days), to the same numbers. Durations are
seconds; a KPI over an empty set is `null`.
"""

from datetime import date, datetime, timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from cases.api.common import IdField, MomentField, StaffApi, error_responses, moment_start
from cases.errors import ValidationError as CasesValidationError
from cases.models import Category, Channel, Priority, Role, Team, User
from cases.tags import normalise_tags

from .. import confidence, definitions, kpis
from ..forms import DEFAULT_DAYS, MAX_DATE, MIN_DATE
from ..presentation.cards import KPI_CARDS, confidences
from ..presentation.dashboard import GRAINS, sampled_interval
from ..presentation.labels import DRIVER_TITLES, dimension_labels, driver_label, ordered_drivers

MANAGER_ROLES = (Role.MANAGER, Role.ADMIN)
MAX_POINTS = 1000
AUTO = "auto"  # a time series' interval chosen by the sample
# Query parameters DRF itself reads (content negotiation), not filters.
FRAMEWORK_PARAMETERS = {"format"}

# Each KPI's sample size in the detail the engine returns for it (`count` of breakdown rows).
SAMPLE_SIZES = {
    "csat": lambda d: d["csat"]["responses"],
    "csat_average": lambda d: d["csat"]["responses"],
    "nps": lambda d: d["nps"]["responses"],
    "ces": lambda d: d["ces"]["responses"],
    "ces_percent_easy": lambda d: d["ces"]["responses"],
    "response_rate": lambda d: d["surveys_sent"],
    "responses": lambda d: d["responses"],
    "volume": lambda d: d["volume"],
    "escalation_rate": lambda d: d["volume"],
    "sla_first_response": lambda d: d["sla"]["first_response_count"],
    "sla_resolution": lambda d: d["sla"]["resolution_count"],
    "sla_breached": lambda d: d["volume"],
    "frt": lambda d: d["frt"]["count"],
    "frt_median": lambda d: d["frt"]["count"],
    "frt_p90": lambda d: d["frt"]["count"],
    "art": lambda d: d["art"]["count"],
    "art_median": lambda d: d["art"]["count"],
    "art_p90": lambda d: d["art"]["count"],
    "fcr": lambda d: d["resolved"],
    "reopen_rate": lambda d: d["resolved"],
    "resolved": lambda d: d["resolved"],
}
KPI_HELP = _(
    "csat, nps, ces, response_rate and responses are placed by the answer's date; volume, "
    "escalation_rate, frt and the sla_* KPIs by the ticket's creation; art, fcr, reopen_rate and "
    "resolved by the latest resolution. frt and art are means in seconds; *_median and *_p90 "
    "too."
)


# --- input ------------------------------------------------------------------------------------


class PeriodQuery(serializers.Serializer):
    """The period every metrics endpoint takes, as query parameters. Unknown parameters are
    refused (a misspelt filter must not silently widen the numbers)."""

    to = MomentField(
        required=False,
        help_text=_(
            "First day NOT included (YYYY-MM-DD), or first moment not included (ISO 8601 with "
            "its offset, e.g. 2026-03-01T14:30:00-05:00). Default: tomorrow (today included)."
        ),
    )

    def get_fields(self):
        # `from` is a Python keyword, so it is added here, first.
        fields = super().get_fields()
        start = MomentField(
            required=False,
            help_text=_(
                "First day included (YYYY-MM-DD), or first moment included (ISO 8601 with its "
                "offset). Default: 30 days before `to`."
            ),
        )
        return {"from": start, **fields}

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields) - FRAMEWORK_PARAMETERS)
        if unknown:
            raise serializers.ValidationError({key: [_("Unknown parameter.")] for key in unknown})
        return super().to_internal_value(data)

    def validate(self, attrs):
        attrs["period"] = period_of(attrs.get("from"), attrs.get("to"), timezone.localdate())
        return attrs


class MetricsQuery(PeriodQuery):
    """The period and the ticket filters most metrics endpoints take."""

    team = IdField(queryset=Team.objects.all(), required=False, help_text=_("A team id."))
    agent = IdField(
        queryset=User.objects.all(),
        required=False,
        help_text=_(
            "An agent id (the assignee; for survey KPIs the agent at resolution). Ignored for "
            "agents: they always get their own tickets."
        ),
    )
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    category = IdField(
        queryset=Category.objects.all(), required=False, help_text=_("A category id.")
    )
    priority = serializers.ChoiceField(choices=Priority.choices, required=False)
    tag = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text=_(
            "Tickets that carry this tag now; repeat it for several (`tag=vip&tag=envío`: "
            "tickets with both). Survey KPIs: answers about such tickets."
        ),
    )

    def validate_tag(self, value: list[str]) -> tuple[str, ...]:
        try:
            return tuple(normalise_tags(value))
        except CasesValidationError as exc:
            raise serializers.ValidationError(exc.message) from exc


class TimeseriesQuery(MetricsQuery):
    kpi = serializers.ChoiceField(choices=list(kpis.KPIS), help_text=KPI_HELP)
    interval = serializers.ChoiceField(
        choices=[*kpis.INTERVALS, AUTO],
        required=False,
        default="day",
        help_text=_(
            "Calendar days, ISO weeks (from Monday) or calendar months, in TIME_ZONE; "
            "'auto': from the grain the period's length allows (days up to 31 days, weeks up to "
            "two years, months beyond), the finest whose points hold on average KPI_MIN_SAMPLE "
            "of the KPI's "
            "sample (the answer's `interval` says which)."
        ),
    )

    def validate(self, attrs):
        attrs = super().validate(attrs)
        # 'auto' is chosen by the sample (never finer than MAX_POINTS allows); it can be
        # refused only when even monthly points are too many.
        coarsest = "month" if attrs["interval"] == AUTO else attrs["interval"]
        points = len(kpis.buckets(attrs["period"], coarsest))
        if points > MAX_POINTS:
            message = _(
                "%(points)d points is too many (at most %(max)d): choose a longer interval or a "
                "shorter period."
            )
            raise serializers.ValidationError(
                {"interval": [message % {"points": points, "max": MAX_POINTS}]}
            )
        return attrs


class BreakdownQuery(MetricsQuery):
    kpi = serializers.ChoiceField(choices=list(kpis.KPIS), help_text=KPI_HELP)
    by = serializers.ChoiceField(choices=list(kpis.DIMENSIONS))


Moment = date | datetime


def _later(value: Moment, days: int) -> Moment:
    """`days` whole days after a date, or `days` × 24 h after a moment."""
    return value + timedelta(days=days)


def period_of(start: Moment | None, end: Moment | None, today: date) -> kpis.Period:
    """The period asked for, as the dashboard's form reads it (`metrics.forms.check_range`)
    with moments as well as dates: `to` defaults to tomorrow (today included), or a day after
    `from` if that is later; `from` to 30 days before `to`. Both must lie from MIN_DATE to
    MAX_DATE, `from` before `to`; a ValidationError names the field otherwise."""
    earliest, latest = moment_start(MIN_DATE), moment_start(MAX_DATE)
    errors = {}
    for name, value in (("from", start), ("to", end)):
        if value is not None and not earliest <= moment_start(value) <= latest:
            errors[name] = [
                _("Choose a date from %(min)s to %(max)s.")
                % {"min": MIN_DATE.isoformat(), "max": MAX_DATE.isoformat()}
            ]
    if errors:
        raise serializers.ValidationError(errors)
    if end is None:
        tomorrow = today + timedelta(days=1)
        end = tomorrow if start is None else max(tomorrow, _later(start, 1), key=moment_start)
    if start is None:
        start = _later(end, -DEFAULT_DAYS)
    if moment_start(start) >= moment_start(end):
        raise serializers.ValidationError({"to": [_("The end must be after the start.")]})
    return kpis.Period(moment_start(start), moment_start(end))


# --- output (documentation of the engine's shapes) --------------------------------------------


def percent(help_text=None):
    return serializers.FloatField(
        allow_null=True, help_text=help_text or _("0–100, one decimal; null for an empty set.")
    )


def seconds(help_text):
    return serializers.IntegerField(allow_null=True, help_text=help_text)


class MetricsPeriodOutput(serializers.Serializer):
    to = serializers.DateTimeField(help_text=_("End, not included."))

    def get_fields(self):
        start = serializers.DateTimeField(help_text=_("Start, included."))
        return {"from": start, **super().get_fields()}


class MetricsCsatOutput(serializers.Serializer):
    percent = percent(_("100 × answers of 4 or 5 / answers."))
    average = serializers.FloatField(allow_null=True, help_text=_("Mean score, 1–5."))
    responses = serializers.IntegerField()
    distribution = serializers.DictField(
        child=serializers.IntegerField(), help_text=_("Number of answers per score.")
    )


class MetricsNpsOutput(serializers.Serializer):
    score = serializers.FloatField(
        allow_null=True, help_text=_("% promoters − % detractors, −100 … 100.")
    )
    promoters = serializers.IntegerField()
    passives = serializers.IntegerField()
    detractors = serializers.IntegerField()
    responses = serializers.IntegerField()
    distribution = serializers.DictField(
        child=serializers.IntegerField(), help_text=_("Number of answers per score.")
    )


class MetricsCesOutput(serializers.Serializer):
    average = serializers.FloatField(allow_null=True, help_text=_("Mean score, 1–7."))
    percent_easy = percent(_("100 × answers of 5 to 7 / answers."))
    responses = serializers.IntegerField()
    distribution = serializers.DictField(
        child=serializers.IntegerField(), help_text=_("Number of answers per score.")
    )


class MetricsDurationOutput(serializers.Serializer):
    mean = seconds(_("Seconds."))
    median = seconds(_("Seconds."))
    p90 = seconds(_("Seconds."))
    count = serializers.IntegerField()


class MetricsFrtOutput(MetricsDurationOutput):
    awaiting_first_response = serializers.IntegerField(
        help_text=_("Tickets created in the period still without a first response.")
    )


class MetricsFcrOutput(serializers.Serializer):
    percent = percent()
    resolved = serializers.IntegerField()


class MetricsBacklogBucketsOutput(serializers.Serializer):
    lt_1d = serializers.IntegerField()
    gte_7d = serializers.IntegerField()

    def get_fields(self):
        fields = super().get_fields()
        return {
            "lt_1d": fields["lt_1d"],
            "1_3d": serializers.IntegerField(),
            "3_7d": serializers.IntegerField(),
            "gte_7d": fields["gte_7d"],
        }


class MetricsBacklogOutput(serializers.Serializer):
    total = serializers.IntegerField()
    buckets = MetricsBacklogBucketsOutput(help_text=_("By age at the period's end."))


class MetricsCustomersOutput(serializers.Serializer):
    S = serializers.IntegerField(help_text=_("Active at the start."))
    N = serializers.IntegerField(help_text=_("Acquired in the period."))
    C = serializers.IntegerField(help_text=_("Churned in the period."))
    E = serializers.IntegerField(help_text=_("Active at the end."))


class MetricsSlaOutput(serializers.Serializer):
    first_response_percent = percent(_("First responses on time / first responses decided."))
    resolution_percent = percent(_("Resolutions on time / resolutions decided."))
    breached = serializers.IntegerField(help_text=_("Tickets that missed a deadline."))
    first_response_count = serializers.IntegerField()
    resolution_count = serializers.IntegerField()


class MetricsIntervalOutput(serializers.Serializer):
    low = serializers.FloatField()
    high = serializers.FloatField()


class MetricsConfidenceOutput(serializers.Serializer):
    sample = serializers.IntegerField(
        help_text=_("The items the figure is computed over (answers, tickets, customers).")
    )
    low_sample = serializers.BooleanField(
        help_text=_(
            "The sample is under KPI_MIN_SAMPLE: the figure is computed, read it with care."
        )
    )
    interval = MetricsIntervalOutput(
        allow_null=True,
        help_text=_("A proportion's 95 % Wilson interval, in percent; null for other KPIs."),
    )
    margin = serializers.FloatField(
        allow_null=True, help_text=_("NPS's margin of error (95 %), in points; null otherwise.")
    )


class MetricsCountsOutput(serializers.Serializer):
    responses = serializers.IntegerField(help_text=_("Answers in the period."))
    escalated = serializers.IntegerField(help_text=_("Tickets created and escalated."))
    sla_first_response_met = serializers.IntegerField(
        help_text=_("First responses given by their due time.")
    )
    sla_resolution_met = serializers.IntegerField(help_text=_("Resolutions by their due time."))
    first_contact = serializers.IntegerField(
        help_text=_("Tickets resolved in the period at first contact.")
    )
    reopened = serializers.IntegerField(
        help_text=_("Tickets resolved in the period that were ever reopened.")
    )


class MetricsConfidenceByKpiOutput(serializers.Serializer):
    def get_fields(self):
        keys = [kpi.key for kpi in KPI_CARDS] + ["ces_percent_easy"]
        return {key: MetricsConfidenceOutput() for key in keys}


class MetricsSummaryOutput(serializers.Serializer):
    period = MetricsPeriodOutput()
    csat = MetricsCsatOutput()
    nps = MetricsNpsOutput()
    ces = MetricsCesOutput()
    response_rate = percent(_("100 × answers / surveys sent in the period."))
    surveys_sent = serializers.IntegerField()
    volume = serializers.IntegerField(help_text=_("Tickets created in the period."))
    frt = MetricsFrtOutput(help_text=_("First response time, seconds."))
    art = MetricsDurationOutput(help_text=_("Resolution time of the latest resolution, seconds."))
    fcr = MetricsFcrOutput()
    escalation_rate = percent()
    sla = MetricsSlaOutput(help_text=_("SLA compliance of the tickets created in the period."))
    reopen_rate = percent()
    backlog = MetricsBacklogOutput()
    churn_rate = percent(_("All customers: the ticket filters do not apply."))
    retention_rate = percent(_("All customers: the ticket filters do not apply."))
    customers = MetricsCustomersOutput()
    counts = MetricsCountsOutput(help_text=_("The exact parts of the rates."))
    confidence = MetricsConfidenceByKpiOutput(
        help_text=_("Each KPI's sample and, for proportions and NPS, its range (confidence: 95 %).")
    )
    min_sample = serializers.IntegerField(help_text=_("KPI_MIN_SAMPLE in force."))


class MetricsPointOutput(serializers.Serializer):
    bucket = serializers.DateField(help_text=_("First day of the bucket."))
    value = serializers.FloatField(allow_null=True)
    sample = serializers.IntegerField(
        allow_null=True, help_text=_("The items the point is computed over; null for a count.")
    )
    low_sample = serializers.BooleanField(help_text=_("The sample is under KPI_MIN_SAMPLE."))


class MetricsTimeseriesOutput(serializers.Serializer):
    kpi = serializers.CharField()
    interval = serializers.CharField()
    points = MetricsPointOutput(many=True)


@extend_schema_field(OpenApiTypes.ANY)
class KeyField(serializers.Field):
    """An id (team, agent, category), a code (channel, priority) or null."""


class MetricsBreakdownRowOutput(serializers.Serializer):
    key = KeyField(
        help_text=_("Team, agent or category id; channel or priority code; null for none.")
    )
    label = serializers.CharField()  # type: ignore[assignment]  # DRF moves a declared field off the class
    value = serializers.FloatField(allow_null=True)
    count = serializers.IntegerField(help_text=_("The sample the value is computed over."))


class MetricsBreakdownOutput(serializers.Serializer):
    kpi = serializers.CharField()
    by = serializers.CharField()
    rows = MetricsBreakdownRowOutput(many=True)


class MetricsScoresOutput(serializers.Serializer):
    responses = serializers.IntegerField()
    csat = percent()
    nps = serializers.FloatField(allow_null=True)
    ces = serializers.FloatField(allow_null=True)


class MetricsDriverRowOutput(MetricsScoresOutput):
    value = serializers.CharField(allow_null=True)
    csat_n = serializers.IntegerField(help_text=_("Answers with a CSAT score: the CSAT's sample."))
    nps_n = serializers.IntegerField(help_text=_("Answers with an NPS score: the NPS's sample."))
    ces_n = serializers.IntegerField(help_text=_("Answers with a CES score: the CES's sample."))
    label = serializers.CharField()  # type: ignore[assignment]  # DRF moves a declared field off the class


class MetricsDriverFactOutput(serializers.Serializer):
    title = serializers.CharField()
    rows = MetricsDriverRowOutput(many=True)


class MetricsDriverFactsOutput(serializers.Serializer):
    frt = MetricsDriverFactOutput(help_text=_("First response time bucket."))
    escalated = MetricsDriverFactOutput()
    reopened = MetricsDriverFactOutput()
    public_replies = MetricsDriverFactOutput()
    channel = MetricsDriverFactOutput()
    category = MetricsDriverFactOutput()


class MetricsDriversOutput(serializers.Serializer):
    period = MetricsPeriodOutput()
    overall = MetricsScoresOutput(help_text=_("The same answers, not split."))
    facts = MetricsDriverFactsOutput()


# --- views ------------------------------------------------------------------------------------


class MetricsApi(StaffApi):
    query_serializer = MetricsQuery

    def parse(self, request) -> tuple[dict, kpis.Period, kpis.Filters]:
        params = request.query_params.dict()
        if "tag" in request.query_params:
            params["tag"] = request.query_params.getlist("tag")  # the one repeated parameter
        query = self.query_serializer(data=params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        agent = data.get("agent")
        if request.user.role not in MANAGER_ROLES:
            agent = request.user  # agents: their own tickets, whatever they asked for
        filters = kpis.Filters(
            team=data["team"].pk if data.get("team") else None,
            agent=agent.pk if agent else None,
            channel=data.get("channel"),
            category=data["category"].pk if data.get("category") else None,
            priority=data.get("priority"),
            tags=data.get("tag", ()),
        )
        return data, data["period"], filters


def _schema(operation_id, query, output, description):
    return extend_schema(
        operation_id=operation_id,
        parameters=[query],
        responses={200: output, **error_responses(400)},
        description=description,
    )


class SummaryApi(MetricsApi):
    @_schema(
        "metrics_summary",
        MetricsQuery,
        MetricsSummaryOutput,
        _("Every KPI of the period. Agents: their own tickets only."),
    )
    def get(self, request):
        _data, period, filters = self.parse(request)
        values = kpis.summary(period, filters)
        figures = confidences(values)
        return Response(
            {
                **values,
                "confidence": {key: figure.as_dict() for key, figure in figures.items()},
                "min_sample": confidence.min_sample(),
            }
        )


class TimeseriesApi(MetricsApi):
    query_serializer = TimeseriesQuery

    @_schema(
        "metrics_timeseries",
        TimeseriesQuery,
        MetricsTimeseriesOutput,
        _("One KPI per day, week or month, every bucket of the period included (null if empty)."),
    )
    def get(self, request):
        data, period, filters = self.parse(request)
        kpi, interval = data["kpi"], data["interval"]
        minimum = confidence.min_sample()
        if interval == AUTO:
            interval = _auto_interval(kpi, period, filters, minimum)
        points = kpis.timeseries(kpi, interval, period, filters)
        samples = [confidence.sample_of(kpi, p["detail"]) for p in points]
        return Response(
            {
                "kpi": kpi,
                "interval": interval,
                "points": [
                    {
                        "bucket": p["bucket"],
                        "value": p["value"],
                        "sample": n,
                        "low_sample": n is not None and n < minimum,
                    }
                    for p, n in zip(points, samples, strict=True)
                ],
            }
        )


def _auto_interval(kpi: str, period: kpis.Period, filters: kpis.Filters, minimum: int) -> str:
    """docs/kpis.md, "How sure a figure is": the finest grain whose points hold on average
    the minimum sample; a count (no sample) keeps the finest the period's length allows."""
    compute = {
        "survey": kpis.survey_kpis,
        "created": kpis.created_kpis,
        "resolved": kpis.resolved_kpis,
    }[kpis.KPIS[kpi][0]]
    values = compute(period, filters, None).get(None)
    sample = confidence.sample_of(kpi, values) if values else 0
    chosen = sampled_interval(period, sample or 0, minimum)
    while chosen != GRAINS[-1] and len(kpis.buckets(period, chosen)) > MAX_POINTS:
        chosen = GRAINS[GRAINS.index(chosen) + 1]
    return chosen


class BreakdownApi(MetricsApi):
    query_serializer = BreakdownQuery

    @_schema(
        "metrics_breakdown",
        BreakdownQuery,
        MetricsBreakdownOutput,
        _(
            "One KPI per team, agent, channel, category or priority: only values with data, "
            "by label (none last)."
        ),
    )
    def get(self, request):
        data, period, filters = self.parse(request)
        kpi, by = data["kpi"], data["by"]
        rows = kpis.breakdown(kpi, by, period, filters)
        labels = dimension_labels(by, [row["key"] for row in rows])
        rows.sort(key=lambda row: (row["key"] is None, labels[row["key"]].lower()))
        count = SAMPLE_SIZES[kpi]
        return Response(
            {
                "kpi": kpi,
                "by": by,
                "rows": [
                    {
                        "key": row["key"],
                        "label": labels[row["key"]],
                        "value": row["value"],
                        "count": count(row["detail"]),
                    }
                    for row in rows
                ],
            }
        )


class DriversApi(MetricsApi):
    @_schema(
        "metrics_drivers",
        MetricsQuery,
        MetricsDriversOutput,
        _(
            "CSAT %, NPS and CES of the period's answers split by facts of the same tickets: "
            "first-response-time bucket, escalated, reopened, public agent replies, channel, "
            "category."
        ),
    )
    def get(self, request):
        _data, period, filters = self.parse(request)
        overall = kpis.survey_kpis(period, filters).get(None) or kpis.empty_survey_kpis()
        facts = kpis.drivers(period, filters)
        return Response(
            {
                "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
                "overall": {
                    "responses": overall["responses"],
                    "csat": overall["csat"]["percent"],
                    "nps": overall["nps"]["score"],
                    "ces": overall["ces"]["average"],
                },
                "facts": {
                    fact: {
                        "title": str(DRIVER_TITLES[fact]),
                        "rows": [
                            {**row, "label": driver_label(fact, row["value"])}
                            for row in ordered_drivers(fact, facts[fact])
                        ],
                    }
                    for fact in definitions.DRIVER_NAMES
                },
            }
        )


class MacroOutcomeCsatOutput(serializers.Serializer):
    percent = percent()
    responses = serializers.IntegerField()


class MacroRowOutput(serializers.Serializer):
    macro = serializers.IntegerField()
    title = serializers.CharField()
    uses = serializers.IntegerField(help_text=_("Times it was applied in the period."))
    resolved = serializers.IntegerField(
        help_text=_(
            "Tickets resolved in the period on which it was used before their latest resolution."
        )
    )
    csat = MacroOutcomeCsatOutput(help_text=_("CSAT % of those tickets' answers."))
    reopen_rate = percent()
    fcr = percent()


class MacroEffectivenessOutput(serializers.Serializer):
    period = MetricsPeriodOutput()
    macros = MacroRowOutput(many=True)


class MacroEffectivenessApi(MetricsApi):
    """Managers and admins: what the tickets each macro was used on came to."""

    @_schema(
        "metrics_macros",
        MetricsQuery,
        MacroEffectivenessOutput,
        _(
            "Per macro: uses in the period, and the CSAT %, reopen rate and FCR of the tickets "
            "resolved in the period on which it was used, each with its sample. Managers and "
            "admins only; the ticket filters do not apply."
        ),
    )
    def get(self, request):
        if request.user.role not in MANAGER_ROLES:
            raise PermissionDenied(_("Macro figures are for managers."))
        _data, period, _filters = self.parse(request)
        return Response(
            {
                "period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
                "macros": kpis.macro_effectiveness(period),
            }
        )
