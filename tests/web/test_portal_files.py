"""Customers attach files on the web form and when replying on their case — by private link or
signed in — under the limits and safety rules of their e-mails' attachments: stored under
random names with a type the desk guesses itself, served only as the case page's files, and a
refused file is named on the form with the typed text kept and nothing stored."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from cases.models import Attachment, Customer, Reply, Ticket
from cases.services import add_reply, issue_access_token
from tests.web.test_portal import NEW_CASE, case_form
from tests.web.test_portal_my_cases import case_url, signed_in_as

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
HTML = b"<html><script>alert(document.cookie)</script></html>"


def a_file(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    # Whatever the browser declares: the desk never uses it.
    return SimpleUploadedFile(name, content, content_type=content_type)


def stored_files() -> set[Path]:
    root = Path(settings.MEDIA_ROOT)
    return {path for path in root.rglob("*") if path.is_file()}


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def link_page(ticket, ana):
    """Lucía's case after Ana's first reply, and its private link's page."""
    add_reply(ticket=ticket, by=ana, body="Could you send us a photo of the label?")
    return reverse("portal:ticket", kwargs={"token": issue_access_token(ticket)})


# --- the web form -----------------------------------------------------------------------------


def test_the_web_form_takes_several_files(english):
    html = english.get(NEW_CASE).content.decode()
    form = re.search(r'<form[^>]*action="/support/"[^>]*>', html).group(0)
    assert 'enctype="multipart/form-data"' in form
    field = re.search(r'<input type="file" name="files"[^>]*>', html).group(0)
    assert "multiple" in field
    assert "Optional: up to 20 files, 10.0\xa0MB each and 25.0\xa0MB together." in html


def test_files_on_the_web_form_come_with_the_new_case(english):
    before = stored_files()
    response = english.post(
        NEW_CASE,
        {
            **case_form(),
            "files": [a_file("label.png", PNG), a_file('"><svg onload=alert(1)>.html', HTML)],
        },
    )
    assert response.status_code == 302
    ticket = Ticket.objects.get()
    image, page = Attachment.objects.filter(ticket=ticket).order_by("pk")
    assert (image.reply, image.content_type, image.size) == (None, "image/png", len(PNG))
    assert page.content_type == "text/html"  # from its name, never the browser's word
    # Stored under random names: nothing of what the customer called them.
    new = stored_files() - before
    assert len(new) == 2
    assert all(re.fullmatch(r"[0-9a-f]{32}", path.name) for path in new)
    # The staff and the customer see them with the case's first message.
    token = issue_access_token(ticket)
    case_page = english.get(reverse("portal:ticket", kwargs={"token": token})).content.decode()
    assert "label.png" in case_page
    assert "<svg onload" not in case_page  # the name is shown, escaped
    assert "&lt;svg onload=alert(1)&gt;.html" in case_page
    download = english.get(reverse("portal:attachment", args=[token, page.pk]))
    assert download["Content-Type"] == "application/octet-stream"
    assert download["Content-Disposition"].startswith("attachment;")


@override_settings(INBOUND_ATTACHMENT_MAX_BYTES=100)
def test_a_file_over_the_limit_is_refused_with_the_typed_text_kept_and_nothing_stored(english):
    before = stored_files()
    response = english.post(
        NEW_CASE,
        {**case_form(), "files": [a_file("small.png", PNG), a_file("big.pdf", b"%" * 101)]},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "big.pdf is larger than 100\xa0bytes." in html
    assert "Invoice 4471 appears twice on my card statement." in html
    assert 'value="sofia@example.com"' in html
    assert "Not sent: small.png, big.pdf. Choose the files again before you send." in html
    assert not Ticket.objects.exists()
    assert not Customer.objects.exists()
    assert stored_files() == before


@override_settings(INBOUND_ATTACHMENTS_MAX=2)
def test_too_many_files_are_refused(english):
    files = [a_file(f"p{n}.png", PNG) for n in range(3)]
    response = english.post(NEW_CASE, {**case_form(), "files": files})
    assert "At most 2 files go with one message; you attached 3." in response.content.decode()
    assert not Ticket.objects.exists()


def test_an_empty_file_is_refused_by_name(english):
    response = english.post(NEW_CASE, {**case_form(), "files": [a_file("empty.txt", b"")]})
    assert "empty.txt is empty." in response.content.decode()
    assert not Ticket.objects.exists()


@override_settings(INBOUND_EMAIL_MAX_BYTES=150, INBOUND_ATTACHMENT_MAX_BYTES=100)
def test_files_over_the_total_of_one_email_are_refused(english):
    files = [a_file("a.bin", b"a" * 80), a_file("b.bin", b"b" * 80)]
    response = english.post(NEW_CASE, {**case_form(), "files": files})
    assert "The files take 160\xa0bytes together" in response.content.decode()
    assert not Ticket.objects.exists()


@override_settings(INBOUND_EMAIL_MAX_BYTES=1000)
def test_a_post_far_over_every_limit_is_refused_before_it_is_read(english):
    big = a_file("huge.bin", b"x" * (1000 + 1024 * 1024 + 1))
    response = english.post(NEW_CASE, {**case_form(), "files": [big]})
    assert response.status_code == 413
    assert not Ticket.objects.exists()


# --- replies ----------------------------------------------------------------------------------


def test_a_reply_by_private_link_carries_files(english, link_page, ticket):
    response = english.post(
        link_page, {"body": "Here is the label.", "files": [a_file("label.png", PNG)]}
    )
    assert response.status_code == 302
    reply = Reply.objects.get(body="Here is the label.")
    (attachment,) = reply.attachments.all()
    assert (attachment.ticket_id, attachment.filename) == (ticket.pk, "label.png")
    page = english.get(link_page).content.decode()
    assert reverse("portal:attachment", args=[link_page.split("/")[3], attachment.pk]) in page


def test_a_reply_from_my_cases_carries_files(customer, ticket, ana):
    add_reply(ticket=ticket, by=ana, body="A photo, please")
    client = signed_in_as(customer)
    client.post(case_url(ticket), {"body": "Attached.", "files": [a_file("label.png", PNG)]})
    (attachment,) = Reply.objects.get(body="Attached.").attachments.all()
    page = client.get(case_url(ticket)).content.decode()
    url = reverse(
        "portal:my_case_attachment",
        kwargs={"reference": ticket.reference, "attachment_id": attachment.pk},
    )
    assert url in page
    assert client.get(url).status_code == 200


@override_settings(INBOUND_ATTACHMENT_MAX_BYTES=100)
def test_a_refused_file_on_a_reply_keeps_the_text_and_stores_nothing(english, link_page):
    before = stored_files()
    response = english.post(
        link_page, {"body": "My long explanation", "files": [a_file("big.pdf", b"%" * 101)]}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "big.pdf is larger than 100\xa0bytes." in html
    assert "My long explanation" in html
    assert not Reply.objects.filter(body="My long explanation").exists()
    assert stored_files() == before


def test_a_reply_refused_by_the_lifecycle_leaves_no_file(english, ticket, ana, link_page):
    from cases.services import close_ticket, resolve_ticket

    resolve_ticket(ticket=Ticket.objects.get(pk=ticket.pk), by=ana, resolution="Done")
    close_ticket(ticket=Ticket.objects.get(pk=ticket.pk), by=ana)
    before = stored_files()
    response = english.post(link_page, {"body": "Late", "files": [a_file("late.png", PNG)]})
    assert response.status_code == 409
    assert stored_files() == before
    assert not Attachment.objects.exists()
