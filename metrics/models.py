"""Metrics tables."""

from collections.abc import Iterable

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportedRecord(models.Model):
    """What a history import made of one record of the file: the Pulso row that a
    (type, external id) of the previous helpdesk became. Importing the file again finds it
    here and leaves it alone (docs/import.md: records are matched by type + external_id)."""

    class Type(models.TextChoices):
        TEAM = "team", _("Team")
        CUSTOMER = "customer", _("Customer")
        AGENT = "agent", _("Agent")
        TICKET = "ticket", _("Ticket")

    type = models.CharField(_("type"), max_length=10, choices=Type.choices)
    external_id = models.CharField(_("external id"), max_length=200)
    # The id of the Team, Customer, User or Ticket (no foreign key: it depends on the type).
    object_id = models.PositiveBigIntegerField(_("object id"))
    imported_at = models.DateTimeField(_("imported"), default=timezone.now)

    class Meta:
        verbose_name = _("imported record")
        verbose_name_plural = _("imported records")
        constraints = [
            models.UniqueConstraint(
                fields=["type", "external_id"], name="imported_record_type_external_id"
            )
        ]

    def __str__(self):
        return f"{self.type} {self.external_id} → {self.object_id}"


# --- rollups: the KPI engine's pre-aggregated days (metrics/rollups.py keeps them) -----------

# Lower bounds (seconds) of the duration histogram buckets that FRT and ART rollups keep per
# day: < 1 min, then steps of ×1.35 up to ~2 months. A median or p90 over many days is found
# by summing the histograms (which bucket holds the rank) and then reading the one or two
# exact values at that rank from TicketFact — exact percentile_cont without scanning the
# period's tickets.
DURATION_BUCKETS = (0, *(round(60 * 1.35**i) for i in range(39)))

# The dimension combinations kept per day. A query is answered from the rollups when its
# filters plus its grouping dimension fit one of them (metrics.kpis picks the smallest).
DIMENSION_COLUMNS = ("team", "agent", "channel", "category", "priority")
GRAINS = (
    (),
    ("team",),
    ("agent",),
    ("channel",),
    ("category",),
    ("priority",),
    ("team", "agent"),
    ("team", "channel"),
    ("team", "category"),
    ("team", "priority"),
    ("agent", "channel"),
    ("agent", "category"),
    ("agent", "priority"),
)
DRIVER_GRAINS = GRAINS[:6]


def grain_key(dimensions: Iterable[str]) -> str:
    return ",".join(dimensions)


class RollupState(models.Model):
    """One row: whether the rollups have been built (until then the engine reads live), and
    in which TIME_ZONE their days are (another one makes them unusable until rebuilt)."""

    built_at = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)
    time_zone = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("rollup state")
        verbose_name_plural = _("rollup state")

    def __str__(self):
        return f"rollups built {self.built_at}, refreshed {self.refreshed_at}"


class RollupChange(models.Model):
    """A ticket (or a day) whose rollups are out of date, written in the transaction that
    changed it; the refresh recomputes what it touches and deletes the row."""

    ticket_id = models.BigIntegerField(null=True, blank=True)  # no FK: deletions count too
    day = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("rollup change")
        verbose_name_plural = _("rollup changes")

    def __str__(self):
        return f"ticket {self.ticket_id}" if self.ticket_id else f"day {self.day}"


# What a percentile walk reads besides its index keys: the value and every filter column.
WALK_COLUMNS = ["team_id", "agent_id", "channel", "category_id", "priority"]
FRT_WALK = ["frt_seconds", *WALK_COLUMNS]
ART_WALK = ["art_seconds", *WALK_COLUMNS]


class TicketFact(models.Model):
    """What the rollups counted for one ticket: the local days it is placed on, its current
    dimensions and flags, and its durations (the rows the percentile walk reads)."""

    ticket_id = models.BigIntegerField(primary_key=True)
    created_day = models.DateField()
    resolved_day = models.DateField(null=True)  # only while resolved or closed
    team_id = models.BigIntegerField(null=True)
    agent_id = models.BigIntegerField(null=True)
    channel = models.CharField(max_length=20)
    category_id = models.BigIntegerField(null=True)
    priority = models.CharField(max_length=10)
    escalated = models.BooleanField()
    reopened = models.BooleanField()
    first_contact = models.BooleanField()  # never escalated, never reopened, ≤ 1 public reply
    # SLA clocks: True met, False missed, None no policy or not decided yet
    sla_first = models.BooleanField(null=True)
    sla_resolution = models.BooleanField(null=True)
    frt_seconds = models.FloatField(null=True)
    frt_bucket = models.SmallIntegerField(null=True)
    art_seconds = models.FloatField(null=True)
    art_bucket = models.SmallIntegerField(null=True)

    class Meta:
        verbose_name = _("ticket fact")
        verbose_name_plural = _("ticket facts")
        indexes = [
            # The percentile walk: one bucket's rows of a period, read from the index alone.
            models.Index(
                fields=["frt_bucket", "created_day"], include=FRT_WALK, name="fact_frt_walk"
            ),
            models.Index(
                fields=["art_bucket", "resolved_day"], include=ART_WALK, name="fact_art_walk"
            ),
            models.Index(
                fields=["team_id", "frt_bucket", "created_day"],
                include=FRT_WALK,
                name="fact_team_frt",
            ),
            models.Index(
                fields=["team_id", "art_bucket", "resolved_day"],
                include=ART_WALK,
                name="fact_team_art",
            ),
            models.Index(
                fields=["agent_id", "frt_bucket", "created_day"],
                include=FRT_WALK,
                name="fact_agent_frt",
            ),
            models.Index(
                fields=["agent_id", "art_bucket", "resolved_day"],
                include=ART_WALK,
                name="fact_agent_art",
            ),
            models.Index(fields=["created_day"], name="fact_created_day"),
            models.Index(fields=["resolved_day"], name="fact_resolved_day"),
        ]

    def __str__(self):
        return f"ticket {self.ticket_id}"


class Rollup(models.Model):
    """One day × one combination of dimension values (`grain` names the dimensions that
    are set; the others are NULL and mean "all")."""

    grain = models.CharField(max_length=40)
    day = models.DateField()
    team_id = models.BigIntegerField(null=True)
    agent_id = models.BigIntegerField(null=True)
    channel = models.CharField(max_length=20, null=True)
    category_id = models.BigIntegerField(null=True)
    priority = models.CharField(max_length=10, null=True)

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.grain or 'all'} {self.day}"


def _histogram(model, kind: str) -> None:
    for index in range(len(DURATION_BUCKETS)):
        model.add_to_class(f"{kind}_h{index:02d}", models.PositiveIntegerField(default=0))


class CreatedRollup(Rollup):
    """Volume, escalations and FRT of the tickets created on `day`."""

    volume = models.PositiveIntegerField(default=0)
    escalated = models.PositiveIntegerField(default=0)
    awaiting = models.PositiveIntegerField(default=0)
    frt_n = models.PositiveIntegerField(default=0)
    frt_sum_us = models.BigIntegerField(default=0)  # microseconds: sums stay exact
    sla_first_n = models.PositiveIntegerField(default=0)
    sla_first_met = models.PositiveIntegerField(default=0)
    sla_resolution_n = models.PositiveIntegerField(default=0)
    sla_resolution_met = models.PositiveIntegerField(default=0)
    sla_breached = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("created rollup")
        verbose_name_plural = _("created rollups")
        indexes = [models.Index(fields=["grain", "day"], name="created_rollup_grain_day")]


class ResolvedRollup(Rollup):
    """Resolutions, FCR, reopens and ART of the tickets whose latest resolution is on `day`
    (and that are still resolved or closed)."""

    resolved = models.PositiveIntegerField(default=0)
    fcr = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    art_n = models.PositiveIntegerField(default=0)
    art_sum_us = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("resolved rollup")
        verbose_name_plural = _("resolved rollups")
        indexes = [models.Index(fields=["grain", "day"], name="resolved_rollup_grain_day")]


_histogram(CreatedRollup, "frt")
_histogram(ResolvedRollup, "art")


class SurveyRollup(Rollup):
    """Survey answers of `day` with their score counts (team and agent: at resolution)."""

    responses = models.PositiveIntegerField(default=0)
    csat_n = models.PositiveIntegerField(default=0)
    csat_sum = models.PositiveIntegerField(default=0)
    ces_n = models.PositiveIntegerField(default=0)
    ces_sum = models.PositiveIntegerField(default=0)
    nps_n = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("survey rollup")
        verbose_name_plural = _("survey rollups")
        indexes = [models.Index(fields=["grain", "day"], name="survey_rollup_grain_day")]


SCORES = {"csat": range(1, 6), "ces": range(1, 8), "nps": range(0, 11)}
for _question, _range in SCORES.items():
    for _score in _range:
        SurveyRollup.add_to_class(f"{_question}_{_score}", models.PositiveIntegerField(default=0))


class SentRollup(Rollup):
    """Survey invitations sent on `day` (the response rate's denominator)."""

    sent = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("sent rollup")
        verbose_name_plural = _("sent rollups")
        indexes = [models.Index(fields=["grain", "day"], name="sent_rollup_grain_day")]


class DriverRollup(Rollup):
    """Survey answers of `day` split by one operational fact of their ticket."""

    fact = models.CharField(max_length=20)
    value = models.CharField(max_length=40, null=True)
    responses = models.PositiveIntegerField(default=0)
    csat_n = models.PositiveIntegerField(default=0)
    csat_good = models.PositiveIntegerField(default=0)
    nps_n = models.PositiveIntegerField(default=0)
    promoters = models.PositiveIntegerField(default=0)
    detractors = models.PositiveIntegerField(default=0)
    ces_n = models.PositiveIntegerField(default=0)
    ces_sum = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("driver rollup")
        verbose_name_plural = _("driver rollups")
        indexes = [models.Index(fields=["grain", "day"], name="driver_rollup_grain_day")]
