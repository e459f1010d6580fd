"""The self-service KPIs (docs/kpis.md "Self-service", docs/knowledge.md): article views,
helpfulness, the web form's deflection rate, searches without results, the content gaps and
the articles read before a ticket was opened anyway. Aggregate queries only.

A period is `[start, end)` in days of TIME_ZONE, as on the dashboard. Knowledge may not
import metrics (docs/architecture.md), so the percentage and the Wilson interval follow
docs/kpis.md here with the same rounding (half up, one decimal)."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from math import sqrt
from typing import Any, TypedDict

from django.conf import settings
from django.db.models import Count, DateTimeField, ExpressionWrapper, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from .models import Article, ArticleView, ArticleVote, DeflectionShown, DeflectionVisit, SearchLog

# docs/kpis.md: deflected when the visitor opened a suggested article and did not submit the
# form within 30 minutes (of that first opening).
DEFLECTION_WINDOW = timedelta(minutes=30)
WILSON_Z = 1.96
TOP = 10
DEFAULT_DAYS = 30
PRESETS = ("7", "30", "90", "this_month", "previous_month", "this_year")
MIN_DATE = date(1970, 1, 1)
MAX_DATE = date(2100, 1, 1)


class Interval(TypedDict):
    low: float
    high: float


class ArticleCount(TypedDict):
    id: int
    slug: str
    title: str
    count: int


class QueryCount(TypedDict):
    query: str
    count: int


class SelfService(TypedDict):
    start: date
    end: date
    views: int
    most_viewed: list[ArticleCount]
    helpfulness: float | None
    helpful_yes: int
    votes: int
    helpfulness_low_sample: bool
    visits_shown: int
    deflected: int
    undecided: int
    deflection_rate: float | None
    deflection_interval: Interval | None
    deflection_low_sample: bool
    searches: int
    searches_without_results: int
    no_results_share: float | None
    content_gaps: list[QueryCount]
    viewed_before_ticket: list[ArticleCount]


def _one_decimal(value: Decimal) -> float:
    return float(value.quantize(Decimal("0.1"), ROUND_HALF_UP))


def percent(part: int, whole: int) -> float | None:
    """100 × part / whole to one decimal; None over nothing."""
    if not whole:
        return None
    return _one_decimal(Decimal(100) * Decimal(part) / Decimal(whole))


def wilson(part: int, whole: int) -> Interval | None:
    """docs/kpis.md: the 95 % Wilson interval of part / whole, in percent (7/10 → 39.7–89.2)."""
    if not whole or not 0 <= part <= whole:
        return None
    z2 = WILSON_Z * WILSON_Z
    share = part / whole
    scale = 1 + z2 / whole
    centre = (share + z2 / (2 * whole)) / scale
    half = WILSON_Z * sqrt(share * (1 - share) / whole + z2 / (4 * whole * whole)) / scale

    def pct(x: float) -> float:
        return _one_decimal(Decimal(str(round(100 * x, 9))))

    return {"low": pct(max(centre - half, 0.0)), "high": pct(min(centre + half, 1.0))}


def bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """The period's first and first-excluded instants in TIME_ZONE."""
    zone = timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(start, time.min), zone),
        timezone.make_aware(datetime.combine(end, time.min), zone),
    )


def deflected_q(now: datetime) -> Q:
    """A visit deflected by `now`: a suggestion opened at least DEFLECTION_WINDOW ago and no
    submission before the window closed. A visit opened more recently is still undecided."""
    window_end = ExpressionWrapper(
        F("first_opened_at") + DEFLECTION_WINDOW, output_field=DateTimeField()
    )
    return Q(first_opened_at__isnull=False, first_opened_at__lte=now - DEFLECTION_WINDOW) & (
        Q(submitted_at__isnull=True) | Q(submitted_at__gt=window_end)
    )


def _titled(rows: list[Any], language: str) -> list[ArticleCount]:
    articles = Article.objects.in_bulk([row["article"] for row in rows])
    found: list[ArticleCount] = []
    for row in rows:
        article = articles.get(row["article"])
        if article is not None:
            found.append(
                {
                    "id": article.pk,
                    "slug": article.slug,
                    "title": article.title_in(language),
                    "count": row["count"],
                }
            )
    return found


def self_service(
    start: date,
    end: date,
    *,
    now: datetime | None = None,
    language: str = "en",
    top: int = TOP,
) -> SelfService:
    """Every self-service KPI over `[start, end)`; `now` decides which visits are deflected
    yet (a visit opened less than 30 minutes before it is undecided)."""
    now = now or timezone.now()
    first, last = bounds(start, end)
    min_sample: int = settings.KPI_MIN_SAMPLE

    view_rows = ArticleView.objects.filter(day__gte=start, day__lt=end)
    views = view_rows.aggregate(n=Sum("views"))["n"] or 0
    most_viewed = list(
        view_rows.values("article").annotate(count=Sum("views")).order_by("-count", "article")[:top]
    )

    votes = ArticleVote.objects.filter(created_at__gte=first, created_at__lt=last).aggregate(
        total=Count("pk"), yes=Count("pk", filter=Q(helpful=True))
    )

    visits = DeflectionVisit.objects.filter(started_at__gte=first, started_at__lt=last)
    deflection = visits.aggregate(
        shown=Count("pk"),
        deflected=Count("pk", filter=deflected_q(now)),
        undecided=Count(
            "pk",
            filter=Q(
                first_opened_at__gt=now - DEFLECTION_WINDOW,
                submitted_at__isnull=True,
            ),
        ),
    )

    searches = SearchLog.objects.filter(created_at__gte=first, created_at__lt=last)
    search_counts = searches.aggregate(total=Count("pk"), empty=Count("pk", filter=Q(results=0)))
    gaps = list(
        searches.filter(results=0)
        .values("query")
        .annotate(count=Count("pk"))
        .order_by("-count", "query")[:top]
    )

    before_ticket = list(
        DeflectionShown.objects.filter(
            visit__started_at__gte=first,
            visit__started_at__lt=last,
            visit__submitted_at__isnull=False,
            opened_at__isnull=False,
            opened_at__lte=F("visit__submitted_at"),
        )
        .values("article")
        .annotate(count=Count("visit", distinct=True))
        .order_by("-count", "article")[:top]
    )

    shown = deflection["shown"]
    return {
        "start": start,
        "end": end,
        "views": views,
        "most_viewed": _titled(most_viewed, language),
        "helpfulness": percent(votes["yes"], votes["total"]),
        "helpful_yes": votes["yes"],
        "votes": votes["total"],
        "helpfulness_low_sample": votes["total"] < min_sample,
        "visits_shown": shown,
        "deflected": deflection["deflected"],
        "undecided": deflection["undecided"],
        "deflection_rate": percent(deflection["deflected"], shown),
        "deflection_interval": wilson(deflection["deflected"], shown),
        "deflection_low_sample": shown < min_sample,
        "searches": search_counts["total"],
        "searches_without_results": search_counts["empty"],
        "no_results_share": percent(search_counts["empty"], search_counts["total"]),
        "content_gaps": [{"query": g["query"], "count": g["count"]} for g in gaps],
        "viewed_before_ticket": _titled(before_ticket, language),
    }


@dataclass(frozen=True)
class PeriodChoice:
    start: date
    end: date


def preset_range(preset: str, today: date) -> tuple[date, date]:
    """The dashboard's presets (metrics/forms.py), `[start, end)` with today included."""
    tomorrow = today + timedelta(days=1)
    if preset in ("7", "30", "90"):
        return tomorrow - timedelta(days=int(preset)), tomorrow
    if preset == "this_month":
        return today.replace(day=1), tomorrow
    if preset == "previous_month":
        first = today.replace(day=1)
        return (first - timedelta(days=1)).replace(day=1), first
    if preset == "this_year":
        return today.replace(month=1, day=1), tomorrow
    raise ValueError(preset)


def _date(value: str, name: str) -> date:
    try:
        found = date.fromisoformat(value)
    except ValueError as error:
        raise PeriodError(name, _("Enter a date as YYYY-MM-DD.")) from error
    if not MIN_DATE <= found <= MAX_DATE:
        raise PeriodError(
            name,
            _("Choose a date from %(min)s to %(max)s.") % {"min": MIN_DATE, "max": MAX_DATE},
        )
    return found


class PeriodError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def read_period(params: Any, today: date | None = None) -> PeriodChoice:
    """The period of a query string as the dashboard writes it: `period` (a preset, or
    `custom`), `from` (first day) and `to` (first day not included); without them, the last
    30 days. Raises PeriodError naming the field."""
    today = today or timezone.localdate()
    preset = params.get("period") or ""
    start_text, end_text = params.get("from") or "", params.get("to") or ""
    if preset and preset != "custom":
        if preset not in PRESETS:
            raise PeriodError("period", _("Choose one of the offered periods."))
        return PeriodChoice(*preset_range(preset, today))
    if not (start_text or end_text):
        return PeriodChoice(*preset_range(str(DEFAULT_DAYS), today))
    end = _date(end_text, "to") if end_text else today + timedelta(days=1)
    start = _date(start_text, "from") if start_text else end - timedelta(days=DEFAULT_DAYS)
    if start >= end:
        raise PeriodError("to", _("The end must be after the start."))
    return PeriodChoice(start, end)
