"""A manager reads why CSAT moved under its card, opens the rest of the explanation, and
follows a line to the answers behind it: the list holds as many as the line says."""

import re

import pytest

from tests.e2e.test_dashboard import log_in
from tests.metrics.test_dashboard import handled  # noqa: F401
from tests.metrics.test_dashboard_explanations import csat_fell_on_email  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_manager_expands_why_csat_moved_and_reads_the_answers_behind_a_line(
    page,
    marta,
    csat_fell_on_email,  # noqa: F811
):
    log_in(page, "marta")
    page.goto("/metrics/?period=7")
    card = page.locator("[data-kpi=csat]")
    assert card.locator(".kpi-value").inner_text() == "40.0 %"
    assert "Few answers" in card.inner_text()  # 10 answers, under the minimum of 20
    lines = card.locator(".kpi-why-line")
    assert card.locator(".kpi-why-lines").first.locator("li").count() == 3
    more = card.locator("details.kpi-why-more")
    assert not more.evaluate("element => element.open")
    more.locator("summary").click()
    assert more.evaluate("element => element.open")
    assert lines.count() > 3
    assert lines.nth(3).is_visible()

    first = lines.first
    text = first.inner_text()
    assert re.match(r"^−\d+\.\d pp\s+\(hurt\)", text), text  # said, not only coloured
    expected = int(re.search(r"· (\d+) answers?", text).group(1))
    first.locator("a.kpi-why-link").click()
    page.wait_for_url(re.compile(r".*/surveys/responses/\?.*question=csat"))
    assert "CSAT answers" in page.locator(".drill-down-text").inner_text()
    assert page.locator("table.response-table tbody tr").count() == expected

    page.go_back()
    page.wait_for_url(re.compile(r".*/metrics/\?period=7"))
    card.locator("a.kpi-drill").click()  # the figure itself: every answer it counts
    page.wait_for_url(re.compile(r".*/surveys/responses/\?.*question=csat"))
    assert page.locator("table.response-table tbody tr").count() == 10


def test_deferred_explanations_arrive_after_the_page(page, marta, csat_fell_on_email, settings):  # noqa: F811
    settings.EXPLAIN_INLINE_MAX_TICKETS = 5  # a "large" desk without rollups
    log_in(page, "marta")
    page.goto("/metrics/?period=7")
    card = page.locator("[data-kpi=csat]")
    assert card.locator(".kpi-value").inner_text() == "40.0 %"
    card.locator(".kpi-why-line").first.wait_for()  # swapped in by htmx
    assert card.locator(".kpi-why-pending").count() == 0
    assert card.locator(".kpi-why-lines").first.locator("li").count() == 3
