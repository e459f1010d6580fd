"""Files that came with customers' e-mails: shown on the ticket and the customer's case page,
downloadable only by who may see the ticket, and never served as something a browser would
run — whatever their name or declared type says."""

from base64 import b64encode

import pytest
from django.urls import reverse

from cases.models import Attachment
from cases.services import issue_access_token
from cases.services.inbound import ingest_email
from tests.factories import AgentFactory, TeamFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
BOUNDARY = "b1"


def message_with(*files, sender="lucia@example.com", message_id="<files@mail.example>") -> bytes:
    """A customer's e-mail carrying `files`: (name, content type, bytes[, disposition])."""
    parts = [f"--{BOUNDARY}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee the files.\r\n"]
    for name, content_type, content, *disposition in files:
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        parts.append(
            f'--{BOUNDARY}\r\nContent-Type: {content_type}; name="{quoted}"\r\n'
            f"Content-Disposition: {disposition[0] if disposition else 'attachment'}; "
            f'filename="{quoted}"\r\nContent-Transfer-Encoding: base64\r\n\r\n'
            + b64encode(content).decode()
            + "\r\n"
        )
    body = "".join(parts) + f"--{BOUNDARY}--\r\n"
    return (
        f"From: {sender}\r\nSubject: Files\r\nMessage-ID: {message_id}\r\nMIME-Version: 1.0\r\n"
        f"Content-Type: multipart/mixed; boundary={BOUNDARY}\r\n\r\n{body}"
    ).encode()


@pytest.fixture
def case_with_files(team_n1):
    team_n1.save()
    ticket = ingest_email(
        message_with(
            ("screenshot.png", "image/png", PNG),
            ("invoice.html", "text/html", b"<script>alert(document.cookie)</script>"),
            ("logo.svg", "image/svg+xml", b"<svg onload=alert(1)></svg>"),
            ("fake.png", "image/png", b"<html><script>alert(1)</script></html>"),
            ('"><svg onload=alert(1)>.jpg', "image/jpeg", b"\xff\xd8\xff\xe0 jpeg"),
        )
    ).ticket
    return ticket


def file_named(ticket, name) -> Attachment:
    return ticket.attachments.get(filename=name)


def staff_url(attachment):
    return reverse("cases:attachment", args=[attachment.ticket_id, attachment.pk])


def test_a_real_png_is_shown_inline_as_an_image(client, ana, case_with_files):
    client.force_login(ana)
    response = client.get(staff_url(file_named(case_with_files, "screenshot.png")))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    # Sandboxed, nothing loads; only the browser's image document may style the picture.
    assert (
        response["Content-Security-Policy"]
        == "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    )
    assert b"".join(response.streaming_content) == PNG


@pytest.mark.parametrize("name", ["invoice.html", "logo.svg", "fake.png"])
def test_html_svg_and_a_disguised_png_are_downloads_never_pages(client, ana, case_with_files, name):
    client.force_login(ana)
    response = client.get(staff_url(file_named(case_with_files, name)))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"


def test_a_file_name_with_markup_is_text_on_the_page_and_quoted_in_the_header(
    client, ana, case_with_files
):
    client.force_login(ana)
    attachment = file_named(case_with_files, '"><svg onload=alert(1)>.jpg')
    response = client.get(staff_url(attachment))
    assert response["Content-Disposition"] == ('inline; filename="\\"><svg onload=alert(1)>.jpg"')
    page = client.get(reverse("cases:ticket_detail", args=[case_with_files.pk])).content.decode()
    assert "<svg onload" not in page
    assert "&quot;&gt;&lt;svg onload=alert(1)&gt;.jpg" in page


def test_the_ticket_page_lists_the_files_with_their_sizes(client, ana, case_with_files):
    client.force_login(ana)
    page = client.get(reverse("cases:ticket_detail", args=[case_with_files.pk])).content.decode()
    for attachment in case_with_files.attachments.all():
        assert staff_url(attachment) in page
    assert "screenshot.png" in page and "32\xa0bytes" in page


def test_an_agent_of_another_team_cannot_download(client, case_with_files):
    outsider = AgentFactory(username="outsider", teams=[TeamFactory(name="Otro")])
    client.force_login(outsider)
    response = client.get(staff_url(file_named(case_with_files, "screenshot.png")))
    assert response.status_code == 404


def test_anonymous_visitors_are_sent_to_the_login_page(client, case_with_files):
    response = client.get(staff_url(file_named(case_with_files, "screenshot.png")))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_a_file_of_another_ticket_is_not_found_through_this_one(client, ana, team_n1):
    first = ingest_email(message_with(("a.png", "image/png", PNG))).ticket
    second = ingest_email(
        message_with(("b.png", "image/png", PNG), message_id="<other@mail.example>")
    ).ticket
    client.force_login(ana)
    foreign = first.attachments.get()
    response = client.get(reverse("cases:attachment", args=[second.pk, foreign.pk]))
    assert response.status_code == 404


def test_the_customer_downloads_through_their_private_link_only(client, case_with_files):
    token = issue_access_token(case_with_files)
    attachment = file_named(case_with_files, "invoice.html")
    page = client.get(reverse("portal:ticket", args=[token])).content.decode()
    url = reverse("portal:attachment", args=[token, attachment.pk])
    assert url in page

    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Cache-Control"] == "no-store, private"

    other = issue_access_token(
        ingest_email(message_with(("x.png", "image/png", PNG), message_id="<x@m>")).ticket
    )
    assert client.get(reverse("portal:attachment", args=[other, attachment.pk])).status_code == 404
    assert client.get(reverse("portal:attachment", args=["nope", attachment.pk])).status_code == 404


def test_the_api_lists_and_serves_attachments(case_with_files, ana):
    from tests.api.helpers import token_client

    api = token_client(ana)
    listed = api.get(reverse("api:ticket-attachments", args=[case_with_files.pk])).json()
    assert [item["filename"] for item in listed][:2] == ["screenshot.png", "invoice.html"]
    assert listed[1]["size"] == len(b"<script>alert(document.cookie)</script>")
    response = api.get(listed[1]["url"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
