"""The survey responses page asks `surveys.signals.summarise_responses` for its summary before
counting it live: what a receiver is given, that its dict wins, and that the page counts
live when nobody answers (or a receiver fails)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services as case_services
from surveys import selectors
from surveys.models import SurveyInvitation
from surveys.services import answer_survey
from surveys.signals import summarise_responses
from tests.factories import CustomerFactory, make_ticket

pytestmark = pytest.mark.django_db

LIST_URL = reverse("surveys:response_list")
CANNED = {
    "count": 999,
    "csat": Decimal("12.3"),
    "csat_n": 7,
    "nps": Decimal("-4.5"),
    "nps_n": 8,
    "ces": Decimal("3.25"),
    "ces_n": 9,
}


@pytest.fixture
def desk(ana, team_n1):
    for csat, nps in ((5, 10), (2, 6), (4, 8)):
        ticket = make_ticket(by=ana, customer=CustomerFactory(), team=team_n1, assignee=ana)
        case_services.add_reply(ticket=ticket, by=ana, body="Here is the fix.")
        case_services.resolve_ticket(ticket=ticket, by=ana, resolution="Fixed it.")
        answer_survey(invitation=SurveyInvitation.objects.get(ticket=ticket), csat=csat, nps=nps)


@pytest.fixture
def receiver():
    """A receiver answering `answer` (CANNED by default), recording what it was asked."""
    asked = []

    def summarise(sender, **kwargs):
        asked.append(kwargs)
        if isinstance(summarise.answer, Exception):
            raise summarise.answer
        return summarise.answer

    summarise.answer = CANNED
    summarise.asked = asked
    summarise_responses.connect(summarise, weak=False, dispatch_uid="test-summary")
    yield summarise
    summarise_responses.disconnect(dispatch_uid="test-summary")


@pytest.fixture
def live_counts(monkeypatch):
    calls = []
    counted = selectors.response_summary

    def spy(responses):
        calls.append(responses)
        return counted(responses)

    monkeypatch.setattr(selectors, "response_summary", spy)
    return calls


def test_a_receivers_summary_wins_and_nothing_is_counted(
    client, desk, marta, receiver, live_counts
):
    client.force_login(marta)
    page = client.get(LIST_URL)
    assert page.context["summary"] == CANNED
    assert live_counts == []
    assert "12.3 %" in page.content.decode()
    assert receiver.asked == [{"signal": summarise_responses, "user": marta, "filters": {}}]


def test_the_receiver_is_given_the_valid_filters_in_force_as_plain_values(
    client, desk, marta, team_n1, ana, billing, receiver
):
    client.force_login(marta)
    client.get(
        LIST_URL,
        {
            "team": team_n1.pk,
            "agent": ana.pk,
            "category": billing.pk,
            "channel": "email",
            "priority": "",  # not set
            "nps": "0",  # set: a score of 0 is a filter
            "csat": "eleven",  # invalid: ignored by the list too
            "group": "promoter",
            "answered_before": "2025-03-01",
            "page": "2",
        },
    )
    assert receiver.asked[-1]["filters"] == {
        "team": team_n1.pk,
        "agent": ana.pk,
        "category": billing.pk,
        "channel": "email",
        "nps": Decimal("0"),
        "group": "promoter",
        "answered_before": date(2025, 3, 1),
    }


def test_a_period_preset_arrives_as_its_first_day(client, desk, marta, receiver):
    client.force_login(marta)
    client.get(LIST_URL, {"period": "7", "answered_before": "2000-01-01"})
    assert receiver.asked[-1]["filters"] == {
        "answered_after": timezone.localdate() - timedelta(days=6)
    }


@pytest.mark.parametrize("answer", [None, ValueError("the rollups are gone")])
def test_without_an_answer_the_summary_is_counted_live(
    client, desk, marta, receiver, live_counts, answer
):
    receiver.answer = answer
    client.force_login(marta)
    summary = client.get(LIST_URL).context["summary"]
    assert len(live_counts) == 1
    assert summary["count"] == 3
    assert (str(summary["csat"]), str(summary["nps"])) == ("66.7", "0.0")
