"""Read-only figures of the themes (docs/insights.md, "Themes"; definitions in docs/kpis.md).

A theme's **answers** in a period are the survey answers placed in it by `answered_at` (as
every survey KPI) whose comment mentions the theme, or whose ticket's subject and description
does — each answer once. Their CSAT %, NPS and share of detractors are docs/kpis.md's
formulas (`metrics.kpis.percent`, the same one decimal), each with its sample and the
dashboard's low-sample flag (`KPI_MIN_SAMPLE`). A theme's **mentions** are its texts placed in
the period: a comment by its answer's `answered_at`, a description by its ticket's
`created_at`.

How much a theme **pulls** a score: `(r_t − R) × n_t / N` percentage points (NPS points),
with `r_t` the theme's figure over its `n_t` answers and `R` the period's overall figure over
all `N` answers (`metrics.kpis.survey_kpis`, the dashboard's own) — how far the overall score
would move if the theme's answers scored like the rest. The ranking puts the most negative
CSAT pull first (then NPS).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from cases.models import Ticket, User
from cases.selectors import tickets_visible_to
from insights import store
from insights.models import ModelKind, TrainedModel
from insights.models_themes import MentionSource, Theme, ThemeMention
from insights.theme_matching import best_matches
from metrics import confidence, kpis
from metrics.kpis import Filters, Period
from surveys.models import SurveyResponse


@dataclass(frozen=True)
class Scores:
    """The survey figures of a set of answers, from their counts."""

    answers: int = 0
    csat_n: int = 0
    satisfied: int = 0  # CSAT ≥ 4
    nps_n: int = 0
    promoters: int = 0  # NPS 9–10
    detractors: int = 0  # NPS 0–6

    @property
    def csat(self) -> float | None:
        return kpis.percent(self.satisfied, self.csat_n)

    @property
    def nps(self) -> float | None:
        # kpis.survey_kpis' NPS: %promoters − %detractors from the exact shares, one decimal.
        return kpis.percent(self.promoters - self.detractors, self.nps_n)

    @property
    def detractor_share(self) -> float | None:
        return kpis.percent(self.detractors, self.nps_n)

    @property
    def csat_low_sample(self) -> bool:
        return self.csat_n < confidence.min_sample()

    @property
    def nps_low_sample(self) -> bool:
        return self.nps_n < confidence.min_sample()

    def as_dict(self) -> dict[str, Any]:
        return {
            "answers": self.answers,
            "csat": {
                "percent": self.csat,
                "responses": self.csat_n,
                "low_sample": self.csat_low_sample,
            },
            "nps": {
                "score": self.nps,
                "promoters": self.promoters,
                "detractors": self.detractors,
                "responses": self.nps_n,
                "low_sample": self.nps_low_sample,
            },
            "detractors": {
                "percent": self.detractor_share,
                "responses": self.nps_n,
                "low_sample": self.nps_low_sample,
            },
        }


def _difference(now: float | None, before: float | None) -> float | None:
    if now is None or before is None:
        return None
    return round(now - before, 1)


def pull(figure: float | None, overall: float | None, sample: int, total: int) -> float | None:
    """`(figure − overall) × sample / total`, one decimal; None without both figures."""
    if figure is None or overall is None or not total:
        return None
    return round((figure - overall) * sample / total, 1)


@dataclass
class ThemeFigures:
    theme: Theme
    mentions: int
    previous_mentions: int
    now: Scores
    before: Scores
    overall: Scores

    @property
    def csat_gap(self) -> float | None:
        return _difference(self.now.csat, self.overall.csat)

    @property
    def nps_gap(self) -> float | None:
        return _difference(self.now.nps, self.overall.nps)

    @property
    def csat_pull(self) -> float | None:
        return pull(self.now.csat, self.overall.csat, self.now.csat_n, self.overall.csat_n)

    @property
    def nps_pull(self) -> float | None:
        return pull(self.now.nps, self.overall.nps, self.now.nps_n, self.overall.nps_n)

    @property
    def csat_change(self) -> float | None:
        return _difference(self.now.csat, self.before.csat)

    @property
    def nps_change(self) -> float | None:
        return _difference(self.now.nps, self.before.nps)

    @property
    def mentions_change(self) -> int:
        return self.mentions - self.previous_mentions

    def rank_key(self) -> tuple[bool, float, bool, float, int]:
        csat, nps = self.csat_pull, self.nps_pull
        return (csat is None, csat or 0.0, nps is None, nps or 0.0, self.theme.number)


@dataclass
class ThemesReport:
    """The themes of the model in use over a period and its previous one. `training` None:
    no themes yet (`last` says why: too little history, a failure, never trained)."""

    period: Period
    training: TrainedModel | None
    last: TrainedModel | None
    overall: Scores = field(default_factory=Scores)
    overall_before: Scores = field(default_factory=Scores)
    rows: list[ThemeFigures] = field(default_factory=list)

    @property
    def previous(self) -> Period:
        return self.period.previous()


def model_in_use() -> TrainedModel | None:
    return store.latest(ModelKind.THEMES)


def last_training() -> TrainedModel | None:
    return TrainedModel.objects.filter(kind=ModelKind.THEMES).order_by("-trained_at", "-pk").first()


def current_themes() -> QuerySet[Theme]:
    """The themes of the model in use (none before the first ready training)."""
    training = model_in_use()
    if training is None:
        return Theme.objects.none()
    return Theme.objects.filter(training=training).order_by("number")


def successor(pk: int) -> Theme | None:
    """The theme of the model in use that theme `pk` of an older training is found again as
    (`insights.theme_matching`), or None: no such theme, one of the model in use, or one not
    found again."""
    training = model_in_use()
    old = Theme.objects.exclude(training=training).filter(pk=pk).first() if training else None
    if old is None:
        return None
    current = {theme.pk: theme for theme in current_themes()}
    pairs = best_matches(
        [(old.pk, old.top_terms)], ((pk, theme.top_terms) for pk, theme in current.items())
    )
    return current[pairs[0][1]] if pairs else None


def _overall(period: Period, filters: Filters) -> Scores:
    """The period's answers, as the dashboard counts them (`kpis.survey_kpis`)."""
    figures = kpis.survey_kpis(period, filters).get(None) or kpis.empty_survey_kpis()
    csat, nps = figures["csat"], figures["nps"]
    return Scores(
        answers=figures["responses"],
        csat_n=csat["responses"],
        satisfied=csat["distribution"][4] + csat["distribution"][5],
        nps_n=nps["responses"],
        promoters=nps["promoters"],
        detractors=nps["detractors"],
    )


@dataclass
class _Tally:
    """Counts towards a `Scores`, one answer at a time."""

    answers: int = 0
    csat_n: int = 0
    satisfied: int = 0
    nps_n: int = 0
    promoters: int = 0
    detractors: int = 0

    def add(self, csat: int | None, nps: int | None) -> None:
        self.answers += 1
        if csat is not None:
            self.csat_n += 1
            self.satisfied += csat >= 4
        if nps is not None:
            self.nps_n += 1
            self.promoters += nps >= 9
            self.detractors += nps <= 6

    def scores(self) -> Scores:
        return Scores(**vars(self))


def themes_scores(
    themes: Sequence[Theme], period: Period, filters: Filters
) -> dict[int, tuple[Scores, Scores]]:
    """Theme id → its answers' figures in `period` and in the one before, for all `themes`
    at once (three queries, however many themes): an answer is a theme's when its comment
    mentions it or its ticket's text does, and counts once for it either way."""
    if not themes:
        return {}
    previous = period.previous()
    mentions = ThemeMention.objects.filter(theme__in=themes).order_by()
    # Only the answers some theme asked for holds (one theme's page reads its own, not all).
    answers = SurveyResponse.objects.filter(
        filters.responses(), answered_at__gte=previous.start, answered_at__lt=period.end
    ).filter(
        Q(pk__in=mentions.filter(source=MentionSource.COMMENT).values("response_id"))
        | Q(ticket_id__in=mentions.filter(source=MentionSource.DESCRIPTION).values("ticket_id"))
    )
    rows: dict[int, tuple[int | None, int | None, bool]] = {}
    by_ticket: dict[int, list[int]] = {}
    for pk, csat, nps, at, ticket_id in answers.values_list(
        "pk", "csat", "nps", "answered_at", "ticket_id"
    ):
        rows[pk] = (csat, nps, at >= period.start)
        by_ticket.setdefault(ticket_id, []).append(pk)
    mentioned: dict[int, set[int]] = {theme.pk: set() for theme in themes}
    for theme_id, response_id in mentions.filter(
        source=MentionSource.COMMENT, response__in=answers.values("pk")
    ).values_list("theme_id", "response_id"):
        mentioned[theme_id].add(response_id)
    for theme_id, ticket_id in mentions.filter(
        source=MentionSource.DESCRIPTION, ticket__in=answers.values("ticket_id")
    ).values_list("theme_id", "ticket_id"):
        mentioned[theme_id].update(by_ticket.get(ticket_id, ()))
    found = {}
    for theme_id, answer_ids in mentioned.items():
        now, before = _Tally(), _Tally()
        for answer_id in answer_ids:
            csat, nps, in_period = rows[answer_id]
            (now if in_period else before).add(csat, nps)
        found[theme_id] = (now.scores(), before.scores())
    return found


def mention_counts(
    training: TrainedModel, period: Period, filters: Filters
) -> dict[int, tuple[int, int]]:
    """Theme id → (mentions in the period, in the previous one); filters through the
    mentioned ticket."""
    previous = period.previous()
    rows = (
        ThemeMention.objects.filter(
            filters.tickets("ticket__"),
            theme__training=training,
            at__gte=previous.start,
            at__lt=period.end,
        )
        .order_by()
        .values("theme")
        .annotate(
            now=Count("pk", filter=Q(at__gte=period.start)),
            before=Count("pk", filter=Q(at__lt=period.start)),
        )
    )
    return {row["theme"]: (row["now"], row["before"]) for row in rows}


def themes_report(period: Period, filters: Filters | None = None) -> ThemesReport:
    """Every theme of the model in use with its figures in `period`, ranked by how much it
    pulls CSAT down (then NPS)."""
    filters = filters or Filters()
    training = model_in_use()
    report = ThemesReport(period=period, training=training, last=last_training())
    if training is None:
        return report
    report.overall = _overall(period, filters)
    report.overall_before = _overall(period.previous(), filters)
    mentions = mention_counts(training, period, filters)
    themes = list(
        Theme.objects.filter(training=training).select_related("name_edited_by").order_by("number")
    )
    scores = themes_scores(themes, period, filters)
    for theme in themes:
        now, before = scores[theme.pk]
        counted = mentions.get(theme.pk, (0, 0))
        report.rows.append(
            ThemeFigures(
                theme=theme,
                mentions=counted[0],
                previous_mentions=counted[1],
                now=now,
                before=before,
                overall=report.overall,
            )
        )
    report.rows.sort(key=ThemeFigures.rank_key)
    return report


def theme_figures(theme: Theme, period: Period, filters: Filters | None = None) -> ThemeFigures:
    filters = filters or Filters()
    now, before = themes_scores([theme], period, filters)[theme.pk]
    counted = mention_counts(theme.training, period, filters).get(theme.pk, (0, 0))
    return ThemeFigures(
        theme=theme,
        mentions=counted[0],
        previous_mentions=counted[1],
        now=now,
        before=before,
        overall=_overall(period, filters),
    )


@dataclass
class Mention:
    ticket: Ticket
    source: str
    text: str
    weight: float
    at: Any
    csat: int | None
    nps: int | None


def visible_mentions(theme: Theme, period: Period, user: User, limit: int = 50) -> list[Mention]:
    """The theme's mentions in the period on tickets `user` can see, newest first: the comment
    and its scores, or the ticket's subject and description."""
    visible = tickets_visible_to(user).filter(pk=OuterRef("ticket_id"))
    rows = list(
        ThemeMention.objects.filter(theme=theme, at__gte=period.start, at__lt=period.end)
        .filter(Exists(visible))
        .select_related("ticket", "ticket__customer", "response")
        .order_by("-at", "-pk")[:limit]
    )
    return [
        Mention(
            ticket=row.ticket,
            source=row.source,
            text=row.response.comment
            if row.response is not None
            else f"{row.ticket.subject} — {row.ticket.description}",
            weight=row.weight,
            at=row.at,
            csat=row.response.csat if row.response is not None else None,
            nps=row.response.nps if row.response is not None else None,
        )
        for row in rows
    ]
