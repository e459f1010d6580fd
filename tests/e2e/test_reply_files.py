"""An agent attaches files to a reply in headless Chromium. A colleague answers first: the page
shows what changed above the kept draft, the files are still chosen in the box, and *Send
anyway* sends the reply with them."""

import pytest

from cases import services
from cases.models import Attachment, Reply
from tests.e2e.test_journeys import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24


@pytest.fixture
def page(browser, live_server):
    """The suite's page, except that the traffic cop's 409 on the reply is expected (the
    browser logs it as a failed load); any other error still fails the test."""
    context = browser.new_context(locale="en-US", base_url=live_server.url)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on(
        "response",
        lambda r: errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
    )
    yield page
    context.close()
    unexpected = [e for e in errors if not ("409" in e and ("/reply/" in e or "(Conflict)" in e))]
    assert not unexpected, f"browser errors: {unexpected}"


def test_files_survive_the_traffic_cop_and_go_out_with_the_reply(page, ana, bruno, ticket):
    log_in(page, "ana")
    page.goto(f"/tickets/{ticket.pk}/")
    box = page.locator("form[data-action=reply]")
    box.locator("textarea[name=body]").fill("Hola Lucía, te mando la factura y una captura.")
    box.locator("input[type=file][name=files]").set_input_files(
        [
            {"name": "factura.pdf", "mimeType": "application/pdf", "buffer": b"%PDF-1.4 x"},
            {"name": "captura.png", "mimeType": "image/png", "buffer": PNG},
        ]
    )

    services.add_reply(ticket=ticket, by=bruno, body="Ya la llamé yo.")
    with page.expect_response(lambda r: r.request.method == "POST" and "/reply/" in r.url):
        box.locator("button[type=submit]").click()
    page.locator(".collision").get_by_text("Ya la llamé yo.").wait_for()
    page.get_by_text("Not sent yet, still attached below: factura.pdf, captura.png.").wait_for()
    chosen = page.locator("form[data-action=reply] input[type=file][name=files]")
    assert chosen.evaluate("input => Array.from(input.files).map(f => f.name)") == [
        "factura.pdf",
        "captura.png",
    ]
    assert not Attachment.objects.exists()

    with page.expect_response(lambda r: r.request.method == "POST" and "/reply/" in r.url):
        page.get_by_role("button", name="Send anyway").click()
    page.get_by_text("Message added.").wait_for()
    reply = Reply.objects.get(body="Hola Lucía, te mando la factura y una captura.")
    assert sorted(reply.attachments.values_list("filename", flat=True)) == [
        "captura.png",
        "factura.pdf",
    ]
    # Shown under the reply; the next message starts without them.
    page.locator(".attachment-name", has_text="factura.pdf").wait_for()
    fresh = page.locator("form[data-action=reply] input[type=file][name=files]")
    assert fresh.evaluate("input => input.files.length") == 0
