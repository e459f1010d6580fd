"""Files on replies and notes through the REST API: POST /tickets/{id}/replies/ as
multipart/form-data attaches them, the replies list gives each file with its download URL,
and bad files are a 400 naming the reason — nothing is written."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cases.models import Attachment, Reply

from .helpers import url

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 24
PDF = b"%PDF-1.4\n" + b"x" * 200


def files(*named: tuple[str, bytes]) -> list[SimpleUploadedFile]:
    return [SimpleUploadedFile(name, content) for name, content in named]


def test_a_multipart_reply_attaches_its_files_and_the_list_links_them(as_ana, ticket):
    response = as_ana.post(
        url("ticket-replies", ticket.pk),
        {"body": "Adjunto factura y captura", "files": files(("f.pdf", PDF), ("c.png", PNG))},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["public"] is True  # left out of a form, `public` keeps its default
    assert [(f["filename"], f["content_type"], f["size"]) for f in created["attachments"]] == [
        ("f.pdf", "application/pdf", len(PDF)),
        ("c.png", "image/png", len(PNG)),
    ]

    listed = as_ana.get(url("ticket-replies", ticket.pk)).json()
    [with_files] = [reply for reply in listed if reply["attachments"]]
    photo = with_files["attachments"][1]
    assert photo["reply"] == with_files["id"]
    download = as_ana.get(photo["url"])
    assert download.status_code == 200
    assert download["Content-Type"] == "image/png"
    assert b"".join(download.streaming_content) == PNG


def test_a_note_with_a_file_is_written_as_a_note(as_ana, ticket):
    response = as_ana.post(
        url("ticket-replies", ticket.pk),
        {"body": "Interno", "public": "false", "files": files(("n.pdf", PDF))},
        format="multipart",
    )
    assert response.status_code == 201
    assert response.json()["public"] is False
    assert Attachment.objects.get().reply.public is False


def test_too_many_files_are_a_400_naming_the_limit_and_nothing_is_written(as_ana, ticket, settings):
    settings.REPLY_ATTACHMENTS_MAX = 1
    response = as_ana.post(
        url("ticket-replies", ticket.pk),
        {"body": "Dos", "files": files(("a.pdf", PDF), ("b.pdf", PDF))},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json() == {"files": ["At most 1 file goes with one message; you attached 2."]}
    assert not Reply.objects.filter(body="Dos").exists()
    assert not Attachment.objects.exists()


def test_an_empty_file_is_a_400_naming_it(as_ana, ticket):
    response = as_ana.post(
        url("ticket-replies", ticket.pk),
        {"body": "Vacío", "files": files(("nada.txt", b""))},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json() == {"files": ["nada.txt is empty."]}


def test_text_where_a_file_belongs_is_a_400(as_ana, ticket):
    response = as_ana.post(
        url("ticket-replies", ticket.pk), {"body": "Hola", "files": "no-file"}, format="multipart"
    )
    assert response.status_code == 400
    assert "files" in response.json()


def test_files_in_a_json_body_are_refused_with_the_way_to_send_them(as_ana, ticket):
    response = as_ana.post(
        url("ticket-replies", ticket.pk), {"body": "Hola", "files": ["x"]}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"files": ["Send files as multipart/form-data, not in JSON."]}


def test_an_agent_of_another_team_cannot_attach(as_carla, ticket):
    response = as_carla.post(
        url("ticket-replies", ticket.pk),
        {"body": "Intruso", "files": files(("x.pdf", PDF))},
        format="multipart",
    )
    assert response.status_code == 404
    assert not Attachment.objects.exists()


def test_the_schema_documents_both_bodies_of_a_reply(as_ana):
    schema = as_ana.get("/api/v1/schema/", {"format": "json"}).json()
    body = schema["paths"]["/api/v1/tickets/{id}/replies/"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "multipart/form-data"}
    upload = schema["components"]["schemas"]["ReplyUploadRequest"]["properties"]["files"]
    assert upload["items"] == {"type": "string", "format": "binary"}
