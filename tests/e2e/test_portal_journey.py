"""The customer portal in headless Chromium: a customer asks for a sign-in link, follows it
from the e-mail, sees "My cases", opens one, replies with a file, and signs out."""

import re

import pytest
from django.core import mail

from cases import services
from cases.models import Reply
from tests.factories import CustomerFactory, make_ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24


def test_a_customer_signs_in_by_link_sees_their_cases_and_replies(page, ana, team_n1, tmp_path):
    customer = CustomerFactory(name="Camila Herrera", email="camila@example.com", language="en")
    older = make_ticket(by=ana, customer=customer, team=team_n1, subject="Router keeps dropping")
    case = make_ticket(by=ana, customer=customer, team=team_n1, subject="Invoice charged twice")
    services.add_reply(ticket=case, by=ana, body="Could you send a screenshot of the charge?")
    make_ticket(by=ana, customer=CustomerFactory(), team=team_n1, subject="Someone else's")

    page.goto("/support/sign-in/")
    page.fill("#id_email", "Camila@Example.com")
    page.get_by_role("button", name="E-mail me a sign-in link").click()
    page.wait_for_url("**/support/sign-in/sent/")
    page.get_by_text("If this address is known to us, a sign-in link is on its way").wait_for()

    [email] = [m for m in mail.outbox if m.extra_headers.get("X-Pulso-Mail") == "portal-sign-in"]
    assert email.to == ["camila@example.com"]
    link = re.search(r"https?://\S+/support/sign-in/[\w-]+/", email.body).group(0)
    page.goto(link[link.index("/support/") :])  # the e-mail names SITE_URL
    page.get_by_text("Hello Camila Herrera").wait_for()
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/support/cases/")

    page.get_by_role("heading", name="My cases").wait_for()
    rows = page.locator(".my-case")
    assert rows.count() == 2
    assert "Invoice charged twice" in rows.nth(0).inner_text()  # last updated first
    assert "In progress" in rows.nth(0).inner_text()
    assert "Router keeps dropping" in rows.nth(1).inner_text()
    assert "Someone else's" not in page.content()
    assert older.reference in page.content()

    rows.nth(0).click()
    page.wait_for_url(f"**/support/cases/{case.reference}/")
    page.get_by_text("Could you send a screenshot of the charge?").wait_for()
    screenshot = tmp_path / "charge.png"
    screenshot.write_bytes(PNG)
    page.fill("#id_body", "Here it is: charged on the 3rd and again on the 4th.")
    page.set_input_files("#id_files", str(screenshot))
    page.get_by_role("button", name="Send reply").click()
    page.get_by_text("Thank you. Your message was added to your case.").wait_for()
    page.locator(".timeline").get_by_text("charged on the 3rd and again on the 4th").wait_for()
    page.locator(".attachment-name", has_text="charge.png").wait_for()

    reply = Reply.objects.get(body__startswith="Here it is")
    assert reply.ticket_id == case.pk and reply.by_customer
    assert [a.filename for a in reply.attachments.all()] == ["charge.png"]

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/support/signed-out/")
    page.goto("/support/cases/")
    page.wait_for_url("**/support/sign-in/")
