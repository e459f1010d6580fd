"""The weekly digest: every Monday each manager who wants it gets last week's KPIs and their
change against the week before, with a link to the dashboard."""

import logging
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from cases.emails import describe_error, send_templated_email
from cases.models import Role, User

from . import kpis

log = logging.getLogger(__name__)

DIGEST_HOUR = 7  # local time on Monday

# (label key, how to read it, lower is better, unit)
DIGEST_LINES = (
    ("csat", lambda s: s["csat"]["percent"], False, "percent"),
    ("nps", lambda s: s["nps"]["score"], False, "score"),
    ("ces", lambda s: s["ces"]["average"], False, "score"),
    ("response_rate", lambda s: s["response_rate"], False, "percent"),
    ("volume", lambda s: s["volume"], False, "count"),
    ("frt", lambda s: s["frt"]["median"], True, "duration"),
    ("art", lambda s: s["art"]["median"], True, "duration"),
    ("fcr", lambda s: s["fcr"]["percent"], False, "percent"),
    ("escalation_rate", lambda s: s["escalation_rate"], True, "percent"),
    ("reopen_rate", lambda s: s["reopen_rate"], True, "percent"),
    ("backlog", lambda s: s["backlog"]["total"], True, "count"),
)


def last_full_week(today: date) -> kpis.Period:
    """Monday to Monday: the ISO week before the one `today` is in."""
    this_monday = today - timedelta(days=today.weekday())
    return kpis.Period.of(this_monday - timedelta(days=7), this_monday)


def digest_lines(period: kpis.Period) -> list[dict]:
    current, previous = kpis.summary(period), kpis.summary(period.previous())
    lines = []
    for key, read, lower_is_better, unit in DIGEST_LINES:
        now, before = read(current), read(previous)
        delta = None if now is None or before is None else round(now - before, 2)
        better = None if not delta else (delta < 0) == lower_is_better
        lines.append(
            {"key": key, "value": now, "previous": before, "delta": delta, "better": better,
             "unit": unit}
        )  # fmt: skip
    return lines


def recipients() -> list[User]:
    managers = Q(groups__name="Manager") | Q(is_superuser=True)
    return list(
        User.objects.filter(managers, is_active=True, weekly_digest=True)
        .exclude(email="")
        .distinct()
    )


def send_weekly_digests(*, now: datetime | None = None) -> int:
    """Send last week's digest to each manager who has not had it yet. The claim is a
    conditional UPDATE on `weekly_digest_sent_for`, so overlapping runs never send twice."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.weekday() == 0 and local.hour < DIGEST_HOUR:
        return 0  # Monday morning, a little later
    period = last_full_week(local.date())
    week = period.start_date
    lines = None
    sent = 0
    for manager in recipients():
        if manager.role not in (Role.MANAGER, Role.ADMIN):
            continue
        claimed = (
            User.objects.filter(pk=manager.pk)
            .exclude(weekly_digest_sent_for=week)
            .update(weekly_digest_sent_for=week)
        )
        if not claimed:
            continue
        lines = lines if lines is not None else digest_lines(period)
        query = urlencode({"from": period.start_date, "to": period.end_date})
        try:
            send_templated_email(
                name="weekly-digest",
                to=manager.email,
                language=manager.language,
                context={
                    "manager": manager,
                    "period": period,
                    "last_day": period.end_date - timedelta(days=1),
                    "lines": lines,
                    "link": f"{reverse('metrics:dashboard')}?{query}",
                    "preferences": reverse("preferences"),
                },
            )
            sent += 1
        except Exception as error:
            # Give the week back so the next run tries again.
            User.objects.filter(pk=manager.pk, weekly_digest_sent_for=week).update(
                weekly_digest_sent_for=manager.weekly_digest_sent_for
            )
            log.warning("Weekly digest for %s not sent: %s", manager.pk, describe_error(error))
    return sent
