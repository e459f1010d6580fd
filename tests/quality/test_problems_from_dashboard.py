"""A manager opens a problem from a line of "why it moved" that pulled a score down: the new
problem's form names the segment and brings the period's low-score tickets of it."""

import re
from html import unescape

from django.urls import reverse

from quality.models import Problem
from tests.metrics.test_dashboard import DASHBOARD, MINE, handled  # noqa: F401
from tests.metrics.test_dashboard_explanations import csat_fell_on_email  # noqa: F401

LINK = re.compile(r'href="([^"]*)" class="kpi-why-problem')


def test_a_line_that_hurt_csat_opens_a_problem_with_its_low_scores(
    client,
    marta,
    bruno,
    csat_fell_on_email,  # noqa: F811
):
    client.force_login(marta)
    html = client.get(DASHBOARD, {"period": "7"}).content.decode()
    csat = html[html.index('data-kpi="csat"') : html.index('data-kpi="nps"')]
    links = [unescape(href) for href in LINK.findall(csat)]
    email = next(href for href in links if "dimension=channel" in href and "value=email" in href)
    assert email.startswith(reverse("quality:problem_create") + "?origin=driver")

    form = client.get(email)
    assert form.status_code == 200
    page = form.content.decode()
    assert "Low scores: channel E-mail" in page  # named, not "channel email"
    low_email = sorted(ticket.pk for ticket in form.context["tickets"] if ticket.channel == "email")
    assert len(low_email) == len(form.context["tickets"]) == 6  # Bruno's six answers of 2
    saved = client.post(
        reverse("quality:problem_create"),
        {
            "title": "E-mail answers unhappy",
            "owner": marta.pk,
            "origin": "driver",
            "origin_json": form.context["origin_json"],
            "tickets": form.context["ticket_ids"],
        },
    )
    assert saved.status_code == 302, saved.content.decode()[:3000]
    problem = Problem.objects.get(title="E-mail answers unhappy")
    assert sorted(problem.tickets.values_list("pk", flat=True)) == low_email
    assert problem.origin["kind"] == "driver" and problem.origin["dimension"] == "channel"


def test_an_agents_own_dashboard_offers_no_problem_links(client, bruno, csat_fell_on_email):  # noqa: F811
    client.force_login(bruno)
    html = client.get(MINE, {"period": "7"}).content.decode()
    assert "kpi-why-problem" not in html
    assert not Problem.objects.exists()


def test_a_malformed_driver_link_is_refused_not_a_crash(client, marta):
    client.force_login(marta)
    new = reverse("quality:problem_create")
    for value in ("9" * 30, "²", "-1", "1e5", "x" * 500):
        query = {"origin": "driver", "dimension": "agent", "value": value, "from": "2026-01-01"}
        assert client.get(new, {**query, "to": "2026-02-01"}).status_code == 400, value
    bad_dimension = {"origin": "driver", "dimension": "planet", "value": "1"}
    assert client.get(new, bad_dimension).status_code == 400
