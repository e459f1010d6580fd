"""The queue's drill-down parameters (cases/filters.py): the tickets behind a dashboard
figure — created or resolved in `[from, to)`, open at a moment and of an age, a KPI's subset —
said in a line above the list with a link that clears them; invalid values reported."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse

from cases.models import Status, Ticket
from tests.factories import make_ticket

pytestmark = pytest.mark.django_db

QUEUE = reverse("cases:queue")


def local(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo(settings.TIME_ZONE))


def shown(client, query: str) -> set[int]:
    response = client.get(f"{QUEUE}?{query}")
    assert response.status_code == 200
    return {ticket.pk for ticket in response.context["page_obj"].object_list}


def ticket(by, team, *, created: datetime, **fields) -> Ticket:
    made = make_ticket(by=by, team=team, assignee=by)
    Ticket.objects.filter(pk=made.pk).update(created_at=created, **fields)
    made.refresh_from_db()
    return made


@pytest.fixture
def november(ana, team_n1):
    """Tickets around 1 and 30 November 2026 (midnights in TIME_ZONE), in every status."""
    first = ticket(ana, team_n1, created=local(2026, 11, 1))
    return {
        "before": ticket(ana, team_n1, created=local(2026, 10, 31, 23, 59, 59)),
        "first": first,
        "resolved": ticket(
            ana,
            team_n1,
            created=local(2026, 11, 10),
            status=Status.RESOLVED,
            resolved_at=local(2026, 11, 12),
            escalation_count=1,
        ),
        "closed": ticket(
            ana,
            team_n1,
            created=local(2026, 11, 20),
            status=Status.CLOSED,
            resolved_at=local(2026, 12, 1),
            public_agent_replies=1,
        ),
        "merged": ticket(
            ana, team_n1, created=local(2026, 11, 15), status=Status.MERGED, merged_into=first
        ),
        "last": ticket(ana, team_n1, created=local(2026, 11, 30, 23, 59)),
        "after": ticket(ana, team_n1, created=local(2026, 12, 1)),
    }


def test_created_in_a_period_lists_every_status_but_merged(client, marta, november):
    client.force_login(marta)
    t = november
    expected = {t[name].pk for name in ("first", "resolved", "closed", "last")}
    assert shown(client, "created_from=2026-11-01&created_before=2026-12-01") == expected
    # To the second: a datetime without an offset is in TIME_ZONE.
    assert shown(client, "created_from=2026-11-30T23:59&created_before=2026-12-01") == {
        t["last"].pk
    }
    # Statuses ticked are the user's: they replace "every status but merged".
    only_resolved = "created_from=2026-11-01&created_before=2026-12-01&status=resolved"
    assert shown(client, only_resolved) == {t["resolved"].pk}


def test_resolved_in_a_period_means_resolved_now_by_the_latest_resolution(client, marta, november):
    client.force_login(marta)
    t = november
    assert shown(client, "resolved_from=2026-11-01&resolved_before=2026-12-01") == {
        t["resolved"].pk
    }
    assert shown(client, "resolved_from=2026-12-01&resolved_before=2026-12-02") == {t["closed"].pk}
    # Reopened since: no longer resolved, whatever its resolved_at says.
    Ticket.objects.filter(pk=t["resolved"].pk).update(status=Status.OPEN)
    assert shown(client, "resolved_from=2026-11-01&resolved_before=2026-12-01") == set()


def test_open_at_a_moment_and_of_an_age(client, marta, november):
    client.force_login(marta)
    t = november
    at = "open_at=2026-12-01"
    # Open then: created before, and active now or resolved at or after the moment.
    assert shown(client, at) == {t[n].pk for n in ("before", "first", "closed", "last")}
    assert shown(client, f"{at}&age=lt_1d") == {t["last"].pk}
    # The closed ticket was open on 1 December, 11 days old.
    old = {t[n].pk for n in ("before", "first", "closed")}
    assert shown(client, f"{at}&age=gte_7d") == old
    assert shown(client, f"{at}&age=3_7d") == set()
    Ticket.objects.filter(pk=t["first"].pk).update(escalation_count=1)
    assert shown(client, f"{at}&age=gte_7d&facet=not_escalated") == old - {t["first"].pk}


def test_facets_and_without(client, marta, november, bruno):
    client.force_login(marta)
    t = november
    period = "created_from=2026-11-01&created_before=2026-12-01"
    assert shown(client, f"{period}&facet=escalated") == {t["resolved"].pk}
    resolved = "resolved_from=2026-11-01&resolved_before=2026-12-02"
    assert shown(client, f"{resolved}&facet=first_contact") == {t["closed"].pk}
    Ticket.objects.filter(pk=t["first"].pk).update(assignee=None)
    assert shown(client, f"{period}&without=assignee") == {t["first"].pk}
    assert shown(client, f"{period}&facet=awaiting_first_response") == {
        t[n].pk for n in ("first", "resolved", "closed", "last")
    }


def test_the_drill_down_is_said_above_the_list_with_a_way_out(client, marta, november):
    client.force_login(marta)
    query = "created_from=2026-11-01&created_before=2026-12-01&facet=escalated&priority=normal"
    page = client.get(f"{QUEUE}?{query}").content.decode()
    assert "Created 1 Nov 2026 – 30 Nov 2026 · Escalated · Every status but merged" in page
    # The way out keeps the user's own filters.
    assert f'drill-down-clear" href="{QUEUE}?priority=normal"' in page
    # The hidden parameters stay in the filter form, so changing a visible filter keeps them.
    assert 'type="hidden" name="facet" value="escalated"' in page
    # Without drill-down parameters, no line.
    assert "drill-down" not in client.get(f"{QUEUE}?priority=normal").content.decode()


def test_a_drilled_list_offers_no_save_this_view(client, marta, november):
    """A figure's dated list is not a lasting view (the saved views refuse its parameters)."""
    client.force_login(marta)
    drilled = client.get(f"{QUEUE}?created_from=2026-11-01&created_before=2026-12-01")
    assert 'class="mb-3 save-view"' not in drilled.content.decode()
    assert 'class="mb-3 save-view"' in client.get(f"{QUEUE}?priority=normal").content.decode()


def test_times_are_shown_when_the_period_is_not_whole_days(client, marta, november):
    client.force_login(marta)
    page = client.get(f"{QUEUE}?open_at=2026-12-01T09:30&age=1_3d").content.decode()
    assert "Open at 1 Dec 2026 09:30 · Age: 1–3 days" in page


@pytest.mark.parametrize(
    "query",
    [
        "created_from=last+week",
        "created_before=2026-11-31",
        "resolved_from=1900-01-01",
        "age=lt_1d",
        "facet=happy",
        "without=planet",
        "customer=abc",
        "customer=1.5",
        "customer=99999999999999999999",
    ],
)
def test_invalid_values_are_reported_and_ignored(client, marta, november, query):
    client.force_login(marta)
    response = client.get(f"{QUEUE}?{query}")
    assert response.status_code == 200
    assert "drill-down-error" in response.content.decode()


def test_an_agent_drills_only_into_tickets_they_may_see(client, ana, carla, team_n2, november):
    other = ticket(carla, team_n2, created=local(2026, 11, 5))
    client.force_login(ana)
    period = "created_from=2026-11-01&created_before=2026-12-01"
    listed = shown(client, period)
    assert other.pk not in listed and november["first"].pk in listed
    client.force_login(carla)
    assert shown(client, period) == {other.pk}


def test_a_dates_midnight_is_in_the_desks_time_zone(client, marta, ana, team_n1):
    """The moment 2026-11-01 names is midnight in TIME_ZONE, not in UTC."""
    client.force_login(marta)
    zone = ZoneInfo(settings.TIME_ZONE)
    midnight = datetime(2026, 11, 1, tzinfo=zone)
    just_before = ticket(ana, team_n1, created=midnight - timedelta(seconds=1))
    at = ticket(ana, team_n1, created=midnight)
    listed = shown(client, "created_from=2026-11-01&created_before=2026-11-02")
    assert at.pk in listed and just_before.pk not in listed


def test_a_deactivated_agents_tickets_still_open(client, marta, ana, november):
    """The dashboard keeps a row for an agent who has left: its link names them."""
    client.force_login(marta)
    ana.is_active = False
    ana.save()
    period = "created_from=2026-11-01&created_before=2026-12-01"
    expected = {november[n].pk for n in ("first", "resolved", "closed", "last")}
    assert shown(client, f"{period}&assignee={ana.pk}") == expected
    assert shown(client, f"{period}&assignee={ana.pk + 1000}") == expected  # ignored, reported
    page = client.get(f"{QUEUE}?{period}&assignee={ana.pk + 1000}").content.decode()
    assert "is-invalid" in page or "Select a valid choice" in page


def test_a_drilled_list_past_the_pagers_cap_says_its_exact_size(
    client, marta, november, monkeypatch
):
    """The pager stops counting at its cap ("1000+"); a figure's list still says how many it
    holds, to be read against the figure."""
    monkeypatch.setattr("cases.paginator.COUNT_CAP", 2)
    client.force_login(marta)
    page = client.get(f"{QUEUE}?created_from=2026-11-01&created_before=2026-12-01")
    assert page.context["page_obj"].paginator.count_is_capped
    assert page.context["drilled_total"] == 4  # first, resolved, closed, last (not merged)
    assert '<span class="drill-down-total">4 in all</span>' in page.content.decode()
    plain = client.get(f"{QUEUE}?priority=normal")
    assert plain.context["drilled_total"] is None  # an ordinary list keeps its cheap count


def test_the_dashboards_whole_date_range_is_accepted_in_the_desks_time_zone(client, marta):
    """The dashboard takes local dates up to 2100-01-01; their midnight is later in UTC west
    of Greenwich (and earlier east of it for 1970), and still a valid drill-down bound."""
    client.force_login(marta)
    page = client.get(f"{QUEUE}?created_from=1970-01-01&created_before=2100-01-01")
    assert b"drill-down-error" not in page.content
    assert page.context["filterset"].form.cleaned_data["created_before"] == local(2100, 1, 1)
