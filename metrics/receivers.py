"""Where metrics hears that a ticket, a survey answer or an invitation changed: a
RollupChange row in the same transaction, so the rollups can never miss a committed change
(metrics/rollups.py applies them). And where it answers what `surveys` asks of it: the
survey responses page's summary from the rollups (`surveys.signals.summarise_responses`)."""

from datetime import date

from django.conf import settings
from django.utils import timezone

from surveys.selectors import agent_response_teams, sees_every_response, summary_from_counts

from . import kpis, rollups


def on_ticket_saved(sender, instance, **kwargs):
    rollups.mark_ticket(instance.pk)


def on_ticket_deleted(sender, instance, **kwargs):
    rollups.mark_ticket(instance.pk)


def on_survey_row_saved(sender, instance, **kwargs):
    rollups.mark_ticket(instance.ticket_id)


def on_response_deleted(sender, instance, **kwargs):
    rollups.mark_day(instance.answered_at)


def on_invitation_deleted(sender, instance, **kwargs):
    rollups.mark_day(instance.sent_at)


def on_invitation_sent(sender, ticket_id, **kwargs):
    rollups.mark_ticket(ticket_id)


def on_customers_merged(sender, ticket_ids, **kwargs):
    # Moved by one UPDATE, which sends no post_save: each moved ticket's days are redone.
    rollups.mark_tickets(ticket_ids)
    return {}


# --- the survey responses page's summary ------------------------------------------------------

# The page's filters the SurveyRollup rows hold: their dimensions (team and agent at
# resolution, the ticket's channel, category and priority) and whole local days.
SUMMARY_DIMENSIONS = ("team", "agent", "channel", "category", "priority")
SUMMARY_DAYS = ("answered_after", "answered_before")
# A bound not given: the widest days whose midnight is a datetime in every zone.
FIRST_DAY, LAST_DAY = date(1, 1, 2), date(9999, 12, 30)
SUMMARY_MEASURES = ("responses", "csat_n", "csat_4", "csat_5", "ces_n", "ces_sum", "nps_n") + tuple(
    f"nps_{score}" for score in range(11)
)


def on_summarise_responses(sender, user, filters, **kwargs):
    """The summary of the survey responses page from the rollups, when they hold exactly the
    page's set: filters on the rollups' dimensions that the grains keep, `answered_after` /
    `answered_before` days in TIME_ZONE, rollups enabled, built and fresh
    (`kpis.rollup_survey_counts`). For a user who sees every response, any dimensions one
    grain keeps; for an agent (`agent_response_teams`), their teams' answers or their own
    (`or_teams`: days only, or any dimension for an agent in no team). Otherwise None: a
    score or group filter, an agent filtering on a team or an agent, anything new — the page
    counts live."""
    if set(filters) - {*SUMMARY_DIMENSIONS, *SUMMARY_DAYS}:
        return None
    if timezone.get_current_timezone_name() != settings.TIME_ZONE:
        return None  # the filter's days would be the active zone's, the rollups' TIME_ZONE's
    start = filters.get("answered_after", FIRST_DAY)
    end = filters.get("answered_before", LAST_DAY)
    if not all(type(day) is date and FIRST_DAY <= day <= LAST_DAY for day in (start, end)):
        return None
    period = kpis.Period.of(start, end)
    dimensions = {name: filters.get(name) for name in SUMMARY_DIMENSIONS}
    if sees_every_response(user):
        counts = kpis.rollup_survey_counts(period, kpis.Filters(**dimensions), SUMMARY_MEASURES)
    elif (teams := agent_response_teams(user)) is not None:
        if dimensions["team"] is not None or dimensions["agent"] is not None:
            return None
        counts = kpis.rollup_survey_counts(
            period,
            kpis.Filters(**{**dimensions, "agent": user.pk}),
            SUMMARY_MEASURES,
            or_teams=teams,
        )
    else:
        return None
    if counts is None:
        return None
    return summary_from_counts(
        count=counts["responses"],
        csat_n=counts["csat_n"],
        csat_good=counts["csat_4"] + counts["csat_5"],
        nps_n=counts["nps_n"],
        promoters=counts["nps_9"] + counts["nps_10"],
        detractors=sum(counts[f"nps_{score}"] for score in range(7)),
        ces_n=counts["ces_n"],
        ces_sum=counts["ces_sum"],
    )
