"""An agent opens the queue in headless Chromium and sees the breached case flagged."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from cases.models import SLAPolicy
from tests.e2e.test_dashboard import log_in
from tests.factories import CustomerFactory, make_ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_breached_case_is_flagged_in_the_queue(page, ana, team_n1):
    SLAPolicy.objects.create(
        name="Urgent", priority="urgent", first_response_minutes=30, resolution_minutes=240
    )
    with time_machine.travel(timezone.now() - timedelta(hours=2), tick=False):
        make_ticket(
            by=ana, team=team_n1, assignee=ana, priority="urgent", subject="Checkout is down",
            customer=CustomerFactory(),
        )  # fmt: skip
    make_ticket(
        by=ana, team=team_n1, assignee=ana, priority="urgent", subject="Refund question",
        customer=CustomerFactory(),
    )  # fmt: skip

    log_in(page, "ana")
    page.goto("/tickets/?sort=deadline")

    late = page.locator("tr", has_text="Checkout is down")
    assert late.locator(".sla-breached").inner_text().startswith("Overdue by 1 h 30 min")
    fresh = page.locator("tr", has_text="Refund question")
    assert fresh.locator(".sla-running").inner_text() in ("30 min left", "29 min left")
    # nearest deadline first
    assert page.locator("tbody tr").first.inner_text().count("Checkout is down") == 1
