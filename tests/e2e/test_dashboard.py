"""The manager dashboard in headless Chromium: figures and charts drawn under the strict CSP,
then a period preset and a team filter change them (and the URL, so the view is bookmarkable)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from cases import services
from surveys.models import SurveyInvitation
from surveys.services import answer_survey
from tests.factories import CustomerFactory, make_ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, username, password="pulso-test"):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/tickets/**")


def card_value(page, kpi):
    return page.locator(f"[data-kpi={kpi}] .kpi-value").inner_text()


def charted_volume(page):
    """The sum of the volume chart's bars, as Chart.js holds them."""
    return page.evaluate(
        "Chart.getChart(document.getElementById('chart-volume'))"
        ".data.datasets[0].data.reduce((a, b) => a + b, 0)"
    )


def test_a_manager_reads_the_dashboard_and_narrows_it_by_period_and_team(
    page, marta, ana, carla, team_n1, team_n2
):
    weeks_ago = timezone.now() - timedelta(days=20)
    surveyed = make_ticket(by=ana, team=team_n1, assignee=ana, customer=CustomerFactory())
    services.add_reply(ticket=surveyed, by=ana, body="Fixed it.")
    services.resolve_ticket(ticket=surveyed, by=ana, resolution="Replaced the toner.")
    answer_survey(invitation=SurveyInvitation.objects.get(ticket=surveyed), csat=5, nps=10)
    make_ticket(by=ana, team=team_n1)
    make_ticket(by=carla, team=team_n2)
    make_ticket(by=carla, team=team_n2, at=weeks_ago)
    make_ticket(by=carla, team=team_n2, at=weeks_ago)

    log_in(page, "marta")
    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_url("**/metrics/")
    assert card_value(page, "volume") == "5"  # last 30 days by default
    assert card_value(page, "csat") == "100.0 %"
    page.locator("canvas[data-drawn]").first.wait_for()
    assert page.locator("canvas[data-drawn]").count() == 8  # with the churn chart
    assert charted_volume(page) == 5
    assert page.locator(".custom-dates.d-none").count() == 2  # dates only for "Custom"

    page.select_option("#id_period", "7")
    page.wait_for_url(re.compile(r".*/metrics/\?.*period=7"))
    assert card_value(page, "volume") == "3"
    assert "from=" not in page.url  # a preset rolls with the calendar

    page.select_option("#id_team", label="Soporte N2")
    page.wait_for_url(re.compile(rf".*team={team_n2.pk}"))
    assert "period=7" in page.url
    assert card_value(page, "volume") == "1"
    assert card_value(page, "csat") == "—"
    page.locator("canvas[data-drawn]").first.wait_for()
    assert charted_volume(page) == 1

    page.select_option("#id_period", "custom")
    assert page.locator(".custom-dates.d-none").count() == 0
    page.fill("#id_from", (timezone.localdate() - timedelta(days=25)).isoformat())
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url(re.compile(r".*period=custom"))
    assert card_value(page, "volume") == "3"
