"""A case that came by e-mail, in headless Chromium: the agent sees the customer's text and
screenshot on the ticket page (the image really renders under the attachment's own strict
headers), and the customer sees the same on their private case page."""

import pytest

from cases.services import issue_access_token
from cases.services.inbound import ingest_email
from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# A 2×2 red PNG.
PNG_BASE64 = (
    "iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAEklEQVR4nGP4z8DAwMDAxMDAAAAhHgMB"
    "uyV9dgAAAABJRU5ErkJggg=="
)
MESSAGE = (
    "From: Camila Herrera <camila@example.com>\r\nTo: soporte@pulso.example\r\n"
    "Subject: Error al confirmar pedido\r\nMessage-ID: <e2e-1@mail.example>\r\n"
    "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n"
    "--b\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
    "<p>Sale <b>código 502</b> al confirmar.</p><script>alert(1)</script>\r\n"
    "--b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=error.png\r\n"
    f"Content-Transfer-Encoding: base64\r\n\r\n{PNG_BASE64}\r\n"
    "--b\r\nContent-Type: text/html\r\nContent-Disposition: attachment; filename=report.html\r\n"
    "\r\n<script>document.title='pwned'</script>\r\n--b--\r\n"
).encode()


def rendered_width(page, selector) -> int:
    image = page.locator(selector).first
    image.wait_for()
    return image.evaluate("img => img.complete ? img.naturalWidth : 0")


def test_the_agent_and_the_customer_see_the_mailed_text_and_screenshot(page, ana, team_n1):
    ticket = ingest_email(MESSAGE).ticket
    log_in(page, "ana")
    page.goto(f"/tickets/{ticket.pk}/")

    page.locator(".ticket-description").get_by_text("Sale código 502 al confirmar.").wait_for()
    assert rendered_width(page, "img.attachment-thumb") == 2
    page.locator(".attachment-name", has_text="report.html").wait_for()
    with page.expect_download() as download:  # a download, never a page that runs
        page.locator(".attachment-name", has_text="report.html").click()
    assert download.value.suggested_filename == "report.html"
    assert page.title() != "pwned"

    token = issue_access_token(ticket)
    page.goto(f"/support/c/{token}/")
    assert rendered_width(page, "img.attachment-thumb") == 2
    page.get_by_text("error.png").wait_for()
