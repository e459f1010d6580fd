"""The customer page's experience (issue 15, "The customer page (360)"): a customer's own
KPIs — tickets, median FRT, CSAT % and its sample, the latest NPS group — their survey
answers, open follow-ups and churn state, and the same across an organisation's contacts;
against a hand computation, as each role sees them, and in a bounded number of queries."""

import json
from datetime import date, datetime, timedelta

import pytest
from django.urls import reverse

from cases import services
from cases.models import Ticket
from metrics.definitions import local_midnight
from metrics.experience import customer_experience, organisation_contacts
from surveys.models import SurveyInvitation
from surveys.services import answer_survey
from tests.factories import CustomerFactory, make_ticket

DAY = date(2026, 2, 2)


def at(days: int, hours: float = 0) -> datetime:
    return local_midnight(DAY) + timedelta(days=days, hours=hours)


def panel_url(customer) -> str:
    return reverse("metrics:customer_experience", args=[customer.pk])


def org_panel_url(organisation) -> str:
    return reverse("metrics:organisation_experience", args=[organisation.pk])


def answered_ticket(*, by, customer, team, created, reply_after_h, answered, **scores) -> Ticket:
    """A case answered `reply_after_h` hours after it came in, resolved, and its survey
    answered at `answered` with `scores`."""
    ticket = make_ticket(by=by, customer=customer, team=team, at=created)
    services.add_reply(
        ticket=ticket, by=by, body="Done", at=created + timedelta(hours=reply_after_h)
    )
    services.resolve_ticket(
        ticket=Ticket.objects.get(pk=ticket.pk), by=by, resolution="Fixed",
        at=created + timedelta(hours=reply_after_h, minutes=10),
    )  # fmt: skip
    invitation = SurveyInvitation.objects.get(ticket=ticket)
    answer_survey(invitation=invitation, at=answered, **scores)
    return ticket


@pytest.fixture
def lucia(settings, ana, carla, team_n1, team_n2):
    """Lucía's history, by hand:

    | ticket | team | first reply | answer (day: CSAT / CES / NPS) |
    |--------|------|-------------|--------------------------------|
    | t1     | N1   | 1 h         | day 1: 2 / 2 / 3  detractor → a follow-up |
    | t2     | N1   | 3 h         | day 3: 4 / 5 / 8  passive      |
    | t3     | N1   | 2 h         | day 5: 5 / 7 / 10 promoter (the latest) |
    | t4     | N1   | none yet    | —                              |
    | t5     | N2   | 100 s       | —                              |

    Managers see all five: FRT 100, 3 600, 7 200, 10 800 s → median (3 600 + 7 200) / 2 =
    5 400 s over 4, one awaiting; CSAT 2 of 3 satisfied → 66.7 %; NPS 1 promoter − 1 detractor
    of 3 → 0.0; CES (2 + 5 + 7) / 3 = 4.67. Ana (N1) does not see t5: 4 tickets, median 7 200.
    Someone else's ticket counts for nobody here."""
    settings.SURVEY_THROTTLE_DAYS = 0
    customer = CustomerFactory(name="Lucía Torres", active_since=date(2025, 6, 1))
    answered_ticket(
        by=ana, customer=customer, team=team_n1, created=at(0), reply_after_h=1, answered=at(1),
        csat=2, ces=2, nps=3,
    )  # fmt: skip
    answered_ticket(
        by=ana, customer=customer, team=team_n1, created=at(2), reply_after_h=3, answered=at(3),
        csat=4, ces=5, nps=8,
    )  # fmt: skip
    answered_ticket(
        by=ana, customer=customer, team=team_n1, created=at(4), reply_after_h=2, answered=at(5),
        csat=5, ces=7, nps=10,
    )  # fmt: skip
    make_ticket(by=ana, customer=customer, team=team_n1, at=at(6))
    t5 = make_ticket(by=carla, customer=customer, team=team_n2, at=at(7))
    services.add_reply(ticket=t5, by=carla, body="On it", at=at(7) + timedelta(seconds=100))
    other = make_ticket(by=ana, team=team_n1, at=at(1))
    services.add_reply(ticket=other, by=ana, body="Hi", at=at(1, 9))
    return customer


def test_a_customers_figures_equal_the_hand_computation(lucia, marta):
    experience = customer_experience([lucia.pk], marta)
    assert experience["tickets"] == 5
    assert experience["open_tickets"] == 2
    assert experience["frt"]["median"] == 5400
    assert experience["frt"]["count"] == 4
    assert experience["awaiting_first_response"] == 1
    assert (experience["csat_percent"], experience["csat_responses"]) == (66.7, 3)
    assert (experience["promoters"], experience["passives"], experience["detractors"]) == (1, 1, 1)
    assert experience["nps"] == 0.0
    assert experience["ces_average"] == 4.67
    assert (experience["last_nps"], experience["last_nps_group"]) == (10, "promoter")
    assert [a["nps"] for a in experience["answers"]] == [10, 8, 3]  # newest first
    assert experience["open_follow_ups"] == 1
    assert experience["churn"]["active"] == 1
    assert experience["churn"]["active_since"] == date(2025, 6, 1)


def test_an_agent_sees_only_the_tickets_and_answers_of_their_teams(lucia, ana, carla):
    mine = customer_experience([lucia.pk], ana)
    assert (mine["tickets"], mine["frt"]["median"], mine["csat_responses"]) == (4, 7200, 3)
    assert mine["open_follow_ups"] == 0  # the closed loop is managers' work
    theirs = customer_experience([lucia.pk], carla)
    assert (theirs["tickets"], theirs["frt"]["median"], theirs["csat_responses"]) == (1, 100, 0)
    assert theirs["csat_percent"] is None and theirs["last_nps_group"] is None


def test_a_churned_customer_reads_churned_on_their_date(marta):
    gone = CustomerFactory(active_since=date(2024, 1, 1), churned_at=date(2026, 1, 31))
    churn = customer_experience([gone.pk], marta)["churn"]
    assert (churn["churned"], churn["churned_at"]) == (1, date(2026, 1, 31))


def test_an_organisation_adds_up_its_contacts(lucia, marta, ana, team_n1):
    acme = services.create_organisation(by=None, name="Acme", domains=["acme.example"])
    services.update_customer(customer=lucia, by=marta, organisation=acme)
    colleague = CustomerFactory(
        organisation=acme, active_since=date(2025, 1, 1), churned_at=date(2026, 1, 1)
    )
    answered_ticket(
        by=ana, customer=colleague, team=team_n1, created=at(8), reply_after_h=4, answered=at(9),
        csat=1, nps=0,
    )  # fmt: skip
    experience = customer_experience(organisation_contacts(acme.pk), marta)
    # FRT 100, 3 600, 7 200, 10 800, 14 400 → median 7 200; CSAT 2 of 4; NPS 1 − 2 of 4.
    assert experience["tickets"] == 6
    assert experience["frt"]["median"] == 7200
    assert (experience["csat_percent"], experience["csat_responses"]) == (50.0, 4)
    assert experience["nps"] == -25.0
    assert experience["last_nps_group"] == "detractor"
    assert (experience["churn"]["customers"], experience["churn"]["churned"]) == (2, 1)


# --- the panel ----------------------------------------------------------------------------


def test_the_panel_shows_the_figures_chart_and_answers(client, lucia, marta):
    client.force_login(marta)
    response = client.get(panel_url(lucia), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html  # the panel alone, for htmx
    assert "<canvas data-experience-chart=" in html
    assert html.count("data-answer") == 3
    assert "66.7" in html and "Promoters (9–10)" in html
    assert "data-follow-up" in html
    chart = json.loads(response.context["chart_json"])
    assert [s["values"] for s in chart["series"]] == [[2, 4, 5], [2, 5, 7], [3, 8, 10]]


def test_without_javascript_the_link_opens_the_panel_as_a_page(client, lucia, ana):
    client.force_login(ana)
    response = client.get(panel_url(lucia))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html and "Lucía Torres" in html and "chart.umd.min.js" in html
    assert "data-follow-up" not in html  # agents: no follow-ups section


def test_the_customer_page_loads_the_panel_and_links_to_it(client, lucia, ana):
    client.force_login(ana)
    html = client.get(reverse("cases:customer_detail", args=[lucia.pk])).content.decode()
    assert f'hx-get="{panel_url(lucia)}"' in html
    assert f'href="{panel_url(lucia)}"' in html


def test_the_organisation_page_loads_its_panel(client, marta):
    acme = services.create_organisation(by=None, name="Acme", domains=["acme.example"])
    client.force_login(marta)
    html = client.get(reverse("cases:organisation_detail", args=[acme.pk])).content.decode()
    assert f'hx-get="{org_panel_url(acme)}"' in html
    response = client.get(org_panel_url(acme), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "No survey answers you can see." in response.content.decode()


def test_anonymous_callers_go_to_sign_in_and_unknown_ids_are_404(client, lucia, marta):
    response = client.get(panel_url(lucia))
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(marta)
    assert client.get(reverse("metrics:customer_experience", args=[999999])).status_code == 404
    assert client.get(reverse("metrics:organisation_experience", args=[999999])).status_code == 404


def test_someone_without_a_role_is_refused(client, lucia):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    assert client.get(panel_url(lucia)).status_code == 403


@pytest.mark.parametrize("count", [5, 50])
def test_the_panel_costs_the_same_queries_for_5_or_50_tickets(
    client, marta, ana, team_n1, count, django_assert_max_num_queries
):
    customer = CustomerFactory()
    for n in range(count):
        ticket = make_ticket(by=ana, customer=customer, team=team_n1, at=at(0, n))
        if n % 2:
            services.add_reply(ticket=ticket, by=ana, body="Hi", at=at(0, n + 0.5))
    client.force_login(marta)
    client.get(panel_url(customer))  # the session, warm
    with django_assert_max_num_queries(12):
        response = client.get(panel_url(customer), headers={"HX-Request": "true"})
    assert response.context["experience"]["tickets"] == count


def test_the_customer_page_lists_the_newest_tickets_a_page_at_a_time_with_their_sla(
    client, ana, team_n1
):
    customer = CustomerFactory()
    tickets = [make_ticket(by=ana, customer=customer, team=team_n1, at=at(0, n)) for n in range(27)]
    client.force_login(ana)
    page = client.get(reverse("cases:customer_detail", args=[customer.pk]))
    listed = [t.pk for t in page.context["tickets"]]
    assert listed == [t.pk for t in reversed(tickets)][:25]
    assert 'class="text-nowrap sla-state"' in page.content.decode()
    second = client.get(reverse("cases:customer_detail", args=[customer.pk]), {"page": 2})
    assert [t.pk for t in second.context["tickets"]] == [tickets[1].pk, tickets[0].pk]


def test_the_ticket_panel_links_to_the_customer_360(client, ana, ticket):
    client.force_login(ana)
    html = client.get(reverse("cases:ticket_detail", args=[ticket.pk])).content.decode()
    customer_url = reverse("cases:customer_detail", args=[ticket.customer_id])
    assert f'class="btn btn-sm btn-outline-primary mb-2 customer-360" href="{customer_url}"' in html
    assert "Customer 360" in html


# --- the API --------------------------------------------------------------------------------


def test_the_api_serves_the_same_figures(lucia, marta, ana):
    from tests.api.helpers import token_client

    url = reverse("metrics_api:metrics-customer", args=[lucia.pk])
    body = token_client(marta).get(url).json()
    assert body["tickets"] == 5 and body["frt"]["median"] == 5400
    assert (body["csat_percent"], body["csat_responses"]) == (66.7, 3)
    assert body["last_nps_group"] == "promoter" and body["nps"] == 0.0
    assert [a["nps"] for a in body["answers"]] == [10, 8, 3]
    assert body["open_follow_ups"] == 1 and body["churn"]["active"] == 1
    assert token_client(ana).get(url).json()["tickets"] == 4
    missing = token_client(marta).get(reverse("metrics_api:metrics-customer", args=[999999]))
    assert missing.status_code == 404 and "detail" in missing.json()


def test_the_api_adds_up_an_organisations_contacts(lucia, marta):
    from tests.api.helpers import token_client

    acme = services.create_organisation(by=None, name="Acme", domains=["acme.example"])
    services.update_customer(customer=lucia, by=marta, organisation=acme)
    url = reverse("metrics_api:metrics-organisation", args=[acme.pk])
    body = token_client(marta).get(url).json()
    assert (body["tickets"], body["churn"]["customers"]) == (5, 1)
