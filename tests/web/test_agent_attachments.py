"""An agent attaches files to a reply or a note from the ticket page: the files show under the
message on the timeline, a public reply's go out with the e-mail and appear on the customer's
case page, a note's stay on the desk. Bad files are refused with the reason and the typed text
kept; nobody outside the ticket attaches or downloads; nothing is served as a page."""

import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cases import services
from cases.models import Attachment, Macro, Reply
from cases.services import issue_access_token
from tests.factories import AgentFactory, TeamFactory
from tests.web.test_workspace_support import action_url, detail_url, fresh

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
PDF = b"%PDF-1.4\n" + b"x" * 200
HTML = b"<html><script>alert(document.cookie)</script></html>"
HTMX = {"HX-Request": "true"}


def a_file(name: str, content: bytes, content_type: str = "text/html") -> SimpleUploadedFile:
    # The browser's declared type is whatever it likes: the desk never uses it.
    return SimpleUploadedFile(name, content, content_type=content_type)


def reply_with_files(client, ticket, body, files, kind="public", headers=None, **fields):
    data = {"version": fresh(ticket).version, "body": body, "kind": kind, "files": files}
    return client.post(action_url(ticket, "reply"), {**data, **fields}, headers=headers or {})


def staff_url(attachment: Attachment) -> str:
    return reverse("cases:attachment", args=[attachment.ticket_id, attachment.pk])


@pytest.fixture
def as_ana(client, ana):
    client.force_login(ana)
    return client


def test_the_reply_box_takes_several_files(as_ana, ticket):
    html = as_ana.get(detail_url(ticket)).content.decode()
    form = re.search(r'<form[^>]*data-action="reply"[^>]*>', html).group(0)
    assert 'enctype="multipart/form-data"' in form
    field = re.search(r'<input type="file" name="files"[^>]*>', html).group(0)
    assert "multiple" in field
    assert 'hx-preserve="true"' in field
    assert re.search(r'id="id_reply_files_[0-9a-f]{16}"', field)
    assert "Up to 20 files, 10.0\xa0MB each and 15.0\xa0MB together." in html


def test_two_files_on_a_public_reply_reach_the_timeline_the_email_and_the_case_page(
    client, ana, ticket, django_capture_on_commit_callbacks
):
    client.force_login(ana)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = reply_with_files(
            client,
            ticket,
            "Hola Lucía, te envío la factura y la captura.",
            [a_file("factura.pdf", PDF, "application/pdf"), a_file("captura.png", PNG)],
        )
    assert response.status_code == 302

    reply = Reply.objects.get(body="Hola Lucía, te envío la factura y la captura.")
    invoice, capture = reply.attachments.order_by("id")
    assert (invoice.filename, capture.filename) == ("factura.pdf", "captura.png")

    # The agent's timeline shows them under the reply.
    page = client.get(detail_url(ticket)).content.decode()
    assert staff_url(invoice) in page and staff_url(capture) in page

    # The customer's e-mail carries them.
    [message] = mail.outbox
    assert [name for name, _content, _type in message.attachments] == [
        "factura.pdf",
        "captura.png",
    ]

    # The customer's case page shows them and serves them through the private link.
    client.logout()
    token = issue_access_token(ticket)
    portal = client.get(reverse("portal:ticket", args=[token])).content.decode()
    for attachment, content in ((invoice, PDF), (capture, PNG)):
        url = reverse("portal:attachment", args=[token, attachment.pk])
        assert url in portal
        download = client.get(url)
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == content
    assert client.get(reverse("portal:attachment", args=[token, capture.pk]))["Content-Type"] == (
        "image/png"
    )


def test_a_notes_file_stays_on_the_desk(client, ana, ticket, django_capture_on_commit_callbacks):
    client.force_login(ana)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = reply_with_files(
            client, ticket, "Contrato firmado, solo para nosotros.", [a_file("c.pdf", PDF)], "note"
        )
    assert response.status_code == 302
    secret = Attachment.objects.get(filename="c.pdf")
    assert staff_url(secret) in client.get(detail_url(ticket)).content.decode()
    assert mail.outbox == []

    client.logout()
    token = issue_access_token(ticket)
    portal = client.get(reverse("portal:ticket", args=[token])).content.decode()
    assert "c.pdf" not in portal
    customer_link = reverse("portal:attachment", args=[token, secret.pk])
    assert client.get(customer_link).status_code == 404


def test_too_many_files_are_refused_with_the_reason_and_the_text_kept(as_ana, ticket, settings):
    settings.REPLY_ATTACHMENTS_MAX = 2
    response = reply_with_files(
        as_ana,
        ticket,
        "Mi respuesta con tres archivos",
        [a_file(f"{n}.pdf", PDF) for n in range(3)],
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "At most 2 files go with one message; you attached 3." in html
    assert "Mi respuesta con tres archivos" in html
    # Without htmx the browser cannot keep them: the page says which to attach again.
    assert "Not sent: 0.pdf, 1.pdf, 2.pdf. Attach the files again below before you send." in html
    assert not Reply.objects.filter(body="Mi respuesta con tres archivos").exists()
    assert not Attachment.objects.exists()


def test_a_file_too_big_is_refused_by_name_and_with_htmx_stays_attached(as_ana, ticket, settings):
    settings.REPLY_ATTACHMENT_MAX_BYTES = 100
    page = as_ana.get(detail_url(ticket)).content.decode()
    draft = re.search(r'name="draft" value="([0-9a-f]{16})"', page).group(1)
    response = reply_with_files(
        as_ana,
        ticket,
        "Texto que no se pierde",
        [a_file("ok.png", PNG), a_file("grande.pdf", b"x" * 101)],
        headers=HTMX,
        draft=draft,
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "grande.pdf is larger than 100\xa0bytes." in html
    assert "Texto que no se pierde" in html
    # The same draft comes back with the file input's id: htmx keeps the chosen files.
    assert f'id="id_reply_files_{draft}"' in html
    assert "Not sent yet, still attached below: ok.png, grande.pdf." in html
    assert not Attachment.objects.exists()


def test_a_reply_caught_by_the_traffic_cop_keeps_its_draft_and_says_which_files_to_send(
    as_ana, bruno, ticket
):
    page = as_ana.get(detail_url(ticket)).content.decode()
    draft = re.search(r'name="draft" value="([0-9a-f]{16})"', page).group(1)
    version = fresh(ticket).version
    services.add_reply(ticket=ticket, by=bruno, body="Ya le llamé yo.")
    response = as_ana.post(
        action_url(ticket, "reply"),
        {
            "version": version,
            "body": "Mi borrador",
            "kind": "public",
            "draft": draft,
            "files": [a_file("informe.pdf", PDF)],
        },
        headers=HTMX,
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "Ya le llamé yo." in html and "Mi borrador" in html and "Send anyway" in html
    assert f'id="id_reply_files_{draft}"' in html
    assert "Not sent yet, still attached below: informe.pdf." in html
    assert not Attachment.objects.exists()


def test_after_sending_the_box_is_a_new_draft_without_files(as_ana, ticket):
    page = as_ana.get(detail_url(ticket)).content.decode()
    draft = re.search(r'name="draft" value="([0-9a-f]{16})"', page).group(1)
    response = reply_with_files(
        as_ana, ticket, "Enviado", [a_file("a.pdf", PDF)], headers=HTMX, draft=draft
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="id_reply_files_{draft}"' not in html  # htmx will not keep the sent files
    assert re.search(r'id="id_reply_files_[0-9a-f]{16}"', html)


def test_picking_a_macro_keeps_the_draft_and_its_files(as_ana, ticket):
    macro = Macro.objects.create(title="Saludo", body_es="Hola {{ customer.first_name }}")
    draft = "0123456789abcdef"
    preview = as_ana.get(
        reverse("cases:macro_preview", args=[ticket.pk, macro.pk]), {"draft": draft}
    ).content.decode()
    assert f'id="id_reply_files_{draft}"' in preview
    forged = as_ana.get(
        reverse("cases:macro_preview", args=[ticket.pk, macro.pk]), {"draft": '"><svg>'}
    ).content.decode()
    assert "<svg>" not in forged


def test_an_agent_who_cannot_see_the_ticket_can_neither_attach_nor_download(client, ana, ticket):
    kept = services.add_reply(
        ticket=ticket,
        by=ana,
        body="Con archivo",
        files=[SimpleUploadedFile("interno.pdf", PDF)],
    ).attachments.get()
    outsider = AgentFactory(username="outsider", teams=[TeamFactory(name="Otro equipo")])
    client.force_login(outsider)
    response = reply_with_files(client, ticket, "Intruso", [a_file("x.pdf", PDF)])
    assert response.status_code == 404
    assert not Reply.objects.filter(body="Intruso").exists()
    assert Attachment.objects.count() == 1
    assert client.get(staff_url(kept)).status_code == 404


def test_an_html_file_downloads_as_octet_stream_with_nosniff_and_a_sandbox(client, ana, ticket):
    client.force_login(ana)
    reply_with_files(client, ticket, "Página", [a_file("pagina.html", HTML, "text/html")])
    attachment = Attachment.objects.get(filename="pagina.html")
    token = issue_access_token(ticket)
    for url in (staff_url(attachment), reverse("portal:attachment", args=[token, attachment.pk])):
        response = client.get(url)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/octet-stream"
        assert response["Content-Disposition"].startswith("attachment;")
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
        assert b"".join(response.streaming_content) == HTML
