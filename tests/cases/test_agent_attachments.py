"""Files agents attach to replies and notes: stored under random names with what the desk
itself found out about them, e-mailed to the customer with a public reply and never with a
note, bounded in size and number — and a reply that is refused keeps no file, in the
database or on disk."""

import hashlib
from pathlib import Path
from unittest import mock

import pytest
from django.conf import settings
from django.core import mail
from django.core.files.base import ContentFile

from cases import services
from cases.errors import ConflictError, PermissionDenied, TransitionError, ValidationError
from cases.models import Attachment, Macro, MacroStatus, Reply, Status
from tests.factories import AgentFactory, TeamFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
PDF = b"%PDF-1.4\n" + b"x" * 200


def upload(name: str, content: bytes) -> ContentFile:
    return ContentFile(content, name=name)


def stored_files() -> set[Path]:
    """Every file in the attachments' storage."""
    root = Path(settings.MEDIA_ROOT)
    return {path for path in root.rglob("*") if path.is_file()}


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run the block and commit it: the e-mail task sends when the transaction commits."""

    def run():
        mail.outbox.clear()
        return django_capture_on_commit_callbacks(execute=True)

    return run


def test_two_files_are_stored_with_the_reply_under_random_names(ana, ticket):
    reply = services.add_reply(
        ticket=ticket,
        by=ana,
        body="Te adjunto la factura y una foto.",
        files=[upload("factura.pdf", PDF), upload("foto.png", PNG)],
    )

    invoice, photo = reply.attachments.order_by("id")
    assert (invoice.filename, invoice.content_type, invoice.size) == (
        "factura.pdf",
        "application/pdf",
        len(PDF),
    )
    assert invoice.sha256 == hashlib.sha256(PDF).hexdigest()
    assert (photo.filename, photo.content_type) == ("foto.png", "image/png")
    assert invoice.ticket_id == ticket.pk and not invoice.inline
    for attachment, content in ((invoice, PDF), (photo, PNG)):
        # What the agent called the file never reaches the file system.
        assert attachment.filename not in attachment.file.name
        assert attachment.file.name.startswith("attachments/")
        with attachment.file.open("rb") as handle:
            assert handle.read() == content


def test_the_type_comes_from_the_bytes_and_the_name_never_from_the_browser(ana, ticket):
    reply = services.add_reply(
        ticket=ticket,
        by=ana,
        body="Files",
        files=[
            upload("captura.html", PNG),  # a real PNG, whatever its name
            upload("foto.png", b"<html><script>alert(1)</script></html>"),  # not a PNG
            upload("pagina.html", b"<script>alert(1)</script>"),
            upload("sin-extension", b"data"),
            upload("../../etc/passwd", b"root:x:0:0"),
        ],
    )
    types = dict(reply.attachments.values_list("filename", "content_type"))
    assert types == {
        "captura.html": "image/png",
        "foto.png": "application/octet-stream",
        "pagina.html": "text/html",
        "sin-extension": "application/octet-stream",
        "passwd": "application/octet-stream",
    }


def test_a_public_replys_email_to_the_customer_carries_its_files(on_commit, ana, ticket):
    with on_commit():
        services.add_reply(
            ticket=ticket,
            by=ana,
            body="Aquí tienes la factura.",
            files=[upload("factura.pdf", PDF), upload("foto.png", PNG)],
        )

    [message] = mail.outbox
    assert message.to == ["lucia@example.com"]
    assert [(name, mimetype) for name, _content, mimetype in message.attachments] == [
        ("factura.pdf", "application/pdf"),
        ("foto.png", "image/png"),
    ]
    assert [content for _name, content, _mimetype in message.attachments] == [PDF, PNG]
    assert "factura.pdf, foto.png" in message.body
    assert "factura.pdf, foto.png" in message.alternatives[0][0]


def test_a_notes_files_are_never_mailed(on_commit, ana, ticket):
    with on_commit():
        services.add_reply(
            ticket=ticket,
            by=ana,
            body="Contrato interno, no reenviar.",
            public=False,
            files=[upload("contrato.pdf", PDF)],
        )
        services.add_reply(ticket=ticket, by=ana, body="Hola Lucía, ya lo vemos.")

    [message] = mail.outbox  # the public reply only
    assert message.attachments == []
    assert "contrato.pdf" not in message.body


def test_too_many_files_are_refused_naming_the_limit_and_nothing_is_kept(ana, ticket, settings):
    settings.REPLY_ATTACHMENTS_MAX = 2
    before = stored_files()
    with pytest.raises(ValidationError) as refused:
        services.add_reply(
            ticket=ticket,
            by=ana,
            body="Tres archivos",
            files=[upload(f"{n}.pdf", PDF) for n in range(3)],
        )
    assert refused.value.field == "files"
    assert "At most 2 files" in refused.value.message
    assert not Reply.objects.filter(body="Tres archivos").exists()
    assert not Attachment.objects.exists()
    assert stored_files() == before


def test_a_file_over_the_limit_is_refused_by_name(ana, ticket, settings):
    settings.REPLY_ATTACHMENT_MAX_BYTES = 100
    with pytest.raises(ValidationError) as refused:
        services.add_reply(
            ticket=ticket,
            by=ana,
            body="Grande",
            files=[upload("ok.png", PNG), upload("enorme.pdf", b"x" * 101)],
        )
    assert refused.value.field == "files"
    assert refused.value.message == "enorme.pdf is larger than 100\xa0bytes."
    assert not Attachment.objects.exists()


def test_files_over_the_total_for_one_email_are_refused(ana, ticket, settings):
    settings.REPLY_ATTACHMENT_MAX_BYTES = 100
    settings.REPLY_ATTACHMENTS_TOTAL_MAX_BYTES = 150
    with pytest.raises(ValidationError) as refused:
        services.add_reply(
            ticket=ticket,
            by=ana,
            body="Dos medianos",
            files=[upload("a.pdf", b"a" * 80), upload("b.pdf", b"b" * 80)],
        )
    assert "160\xa0bytes together" in refused.value.message
    assert not Attachment.objects.exists()


def test_an_empty_file_is_refused_by_name(ana, ticket):
    with pytest.raises(ValidationError, match="vacío.txt is empty"):
        services.add_reply(ticket=ticket, by=ana, body="Vacío", files=[upload("vacío.txt", b"")])


def test_an_agent_who_cannot_see_the_ticket_cannot_attach(ticket):
    outsider = AgentFactory(username="outsider", teams=[TeamFactory(name="Otro equipo")])
    before = stored_files()
    with pytest.raises(PermissionDenied):
        services.add_reply(ticket=ticket, by=outsider, body="Hola", files=[upload("x.pdf", PDF)])
    assert not Attachment.objects.exists()
    assert stored_files() == before


def test_a_reply_refused_by_the_lifecycle_or_a_conflict_leaves_no_file_on_disk(ana, ticket):
    before = stored_files()
    with pytest.raises(ConflictError):
        services.add_reply(
            ticket=ticket,
            by=ana,
            body="Tarde",
            files=[upload("x.pdf", PDF)],
            expected_version=ticket.version + 5,
        )
    services.add_reply(ticket=ticket, by=ana, body="Listo")
    services.resolve_ticket(ticket=ticket, by=ana, resolution="Hecho")
    closed = services.close_ticket(ticket=ticket, by=ana)
    assert closed.status == Status.CLOSED
    with pytest.raises(TransitionError):
        services.add_reply(ticket=ticket, by=ana, body="Otra", files=[upload("y.pdf", PDF)])
    assert not Attachment.objects.exists()
    assert stored_files() == before


def test_files_written_before_a_failure_later_in_the_transaction_are_deleted(ana, ticket):
    before = stored_files()
    with (
        mock.patch("cases.services.tickets.queue_email", side_effect=RuntimeError("boom")),
        pytest.raises(RuntimeError),
    ):
        services.add_reply(ticket=ticket, by=ana, body="Hola", files=[upload("x.pdf", PDF)])
    assert not Attachment.objects.exists()
    assert stored_files() == before


def test_a_macros_reply_carries_the_files(ana, ticket):
    macro = Macro.objects.create(title="Factura", body_es="Adjunto la factura.", public=True)
    services.apply_macro(ticket=ticket, by=ana, macro=macro, files=[upload("f.pdf", PDF)])
    reply = Reply.objects.get(body="Adjunto la factura.")
    assert [a.filename for a in reply.attachments.all()] == ["f.pdf"]


def test_a_macro_that_sends_no_message_refuses_files_and_changes_nothing(ana, ticket):
    services.add_reply(ticket=ticket, by=ana, body="Miramos")
    macro = Macro.objects.create(
        title="Resolver", body_es="Resuelto.", set_status=MacroStatus.RESOLVED
    )
    before = stored_files()
    with pytest.raises(ValidationError) as refused:
        services.apply_macro(ticket=ticket, by=ana, macro=macro, files=[upload("f.pdf", PDF)])
    assert refused.value.field == "files"
    assert ticket.__class__.objects.get(pk=ticket.pk).status == Status.OPEN
    assert not Attachment.objects.exists()
    assert stored_files() == before
