"""The customer page (360) in headless Chromium: a manager opens a customer from a ticket's
side panel and sees the experience panel arrive (htmx), its survey chart drawn by Chart.js
under the strict CSP, and the answers' table beside it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from cases import services
from cases.models import Ticket
from surveys.models import SurveyInvitation
from surveys.services import answer_survey
from tests.e2e.test_journeys import log_in
from tests.factories import CustomerFactory, make_ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_manager_opens_the_customer_360_and_sees_the_survey_chart(
    page, settings, marta, ana, team_n1
):
    settings.SURVEY_THROTTLE_DAYS = 0
    lucia = CustomerFactory(name="Lucía Torres")
    start = timezone.now() - timedelta(days=10)
    last = None
    for n, (csat, nps) in enumerate([(2, 3), (4, 8), (5, 10)]):
        ticket = make_ticket(by=ana, customer=lucia, team=team_n1, at=start + timedelta(days=n))
        services.add_reply(
            ticket=ticket, by=ana, body="Done", at=start + timedelta(days=n, hours=1)
        )
        services.resolve_ticket(
            ticket=Ticket.objects.get(pk=ticket.pk), by=ana, resolution="Fixed",
            at=start + timedelta(days=n, hours=2),
        )  # fmt: skip
        answer_survey(
            invitation=SurveyInvitation.objects.get(ticket=ticket),
            at=start + timedelta(days=n, hours=3), csat=csat, nps=nps,
        )  # fmt: skip
        last = ticket

    log_in(page, marta.username)
    page.goto(f"/tickets/{last.pk}/")
    page.click(".customer-card a.customer-360")
    page.wait_for_url(f"**/customers/{lucia.pk}/")

    panel = page.locator("#customer-experience [data-experience]")
    panel.wait_for()
    assert panel.locator("canvas[data-experience-chart]").count() == 1
    canvas = "document.querySelector('canvas[data-experience-chart]')"
    page.wait_for_function(f"() => window.Chart && Chart.getChart({canvas})")
    charted = page.evaluate(f"Chart.getChart({canvas}).data.datasets.map(d => d.data)")
    assert charted == [[2, 4, 5], [None, None, None], [3, 8, 10]]
    assert panel.locator("table.experience-answers tbody tr").count() == 3
    assert panel.locator("[data-kpi=csat] .kpi-value").inner_text() == "66.7 %"
    assert "Promoters" in panel.locator(".last-nps-group").inner_text()
    assert panel.locator("[data-follow-up]").count() == 1
