"""docs/kpis.md's tag filter: tickets that carry the tag now (several: all of them), in the engine,
the metrics API and the dashboard; breakdowns by tag count a ticket under each of its tags.
Read live even with the rollups built (they hold no tags)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from metrics import kpis, rollups
from metrics.kpis import Filters, Period
from surveys.models import SurveyInvitation
from surveys.services import answer_survey
from tests.api.helpers import token_client
from tests.factories import CustomerFactory, make_ticket

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
PERIOD = Period.of(TODAY - timedelta(days=1), TODAY + timedelta(days=1))


@pytest.fixture
def desk(ana, team_n1):
    """Four tickets of today: two VIP (one also "envío"), one "envío", one untagged; the VIP
    ones resolved and answered CSAT 5 and 1, the envío one CSAT 4."""

    def ticket(tags, csat=None):
        made = make_ticket(by=ana, team=team_n1, customer=CustomerFactory())
        if tags:
            services.change_tags(ticket=made, by=ana, add=tags)
        if csat is not None:
            services.add_reply(ticket=made, by=ana, body="Listo")
            services.resolve_ticket(ticket=made, by=ana, resolution="Resuelto")
            answer_survey(invitation=SurveyInvitation.objects.get(ticket=made), csat=csat)
        return made

    return [
        ticket(["vip", "envío"], csat=5),
        ticket(["vip"], csat=1),
        ticket(["envío"], 4),
        ticket([]),
    ]


@pytest.mark.parametrize("rollups_built", [False, True])
def test_the_tag_filter_keeps_the_tickets_with_every_tag(desk, rollups_built, settings):
    if rollups_built:
        rollups.rebuild()
    assert kpis.summary(PERIOD)["volume"] == 4
    assert kpis.summary(PERIOD, Filters(tags=("vip",)))["volume"] == 2
    assert kpis.summary(PERIOD, Filters(tags=("vip", "envío")))["volume"] == 1
    assert kpis.summary(PERIOD, Filters(tags=("nunca-usada",)))["volume"] == 0
    vip = kpis.summary(PERIOD, Filters(tags=("vip",)))
    assert vip["csat"]["responses"] == 2 and vip["csat"]["percent"] == 50.0
    assert vip["art"]["count"] == 2  # both resolved


def test_a_breakdown_by_tag_counts_a_ticket_under_each_of_its_tags(desk):
    volume = {row["key"]: row["value"] for row in kpis.breakdown("volume", "tag", PERIOD)}
    assert volume == {"vip": 2, "envío": 2, None: 1}
    csat = {row["key"]: row["value"] for row in kpis.breakdown("csat", "tag", PERIOD)}
    assert csat == {"vip": 50.0, "envío": 100.0}


def test_the_metrics_api_takes_repeated_tags_and_breaks_down_by_tag(marta, desk):
    client = token_client(marta)
    url = reverse("metrics_api:metrics-summary")
    assert client.get(url, {"tag": ["vip", "Envío"]}).json()["volume"] == 1
    assert client.get(url, {"tag": "VIP"}).json()["volume"] == 2

    rows = client.get(
        reverse("metrics_api:metrics-breakdown"), {"kpi": "volume", "by": "tag"}
    ).json()["rows"]
    assert {row["label"]: row["value"] for row in rows} == {"vip": 2, "envío": 2, "No tag": 1}


def test_a_tag_that_cannot_be_one_is_a_400_that_says_why(marta, desk):
    response = token_client(marta).get(reverse("metrics_api:metrics-summary"), {"tag": "x" * 51})
    assert response.status_code == 400
    assert "at most 50 characters" in response.json()["tag"][0]


def test_the_dashboard_filters_by_tag_and_its_exports_keep_the_filter(client, marta, desk):
    client.force_login(marta)
    page = client.get(reverse("metrics:dashboard"), {"tag": "vip, envío"}).content.decode()
    assert "tag=vip&amp;tag=env%C3%ADo" in page  # the export links carry both tags
    export = client.get(
        reverse("metrics:export", args=["summary"]), {"tag": ["vip", "envío"]}
    ).content.decode("utf-8-sig")
    rows = {line.split(",")[0]: line.split(",")[1] for line in export.splitlines()[1:]}
    assert rows["Ticket volume"] == "1"  # only the ticket with both tags
    assert rows["CSAT"] == "100.0"
