"""POST /api/v1/inbound-email/: a mail relay or a provider's webhook hands over raw messages.
Only the shared secret opens it; every outcome is answered in JSON; nothing is taken twice."""

import base64

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from cases.models import InboundEmail, Ticket

pytestmark = pytest.mark.django_db

SECRET = "s3cret-relay-token-0123456789"
URL = "/api/v1/inbound-email/"
MESSAGE = (
    b"From: Luc\xc3\xada Torres <lucia@example.com>\r\nTo: soporte@pulso.example\r\n"
    b"Subject: No puedo entrar\r\nMessage-ID: <relay-1@mail.example>\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n\r\nLa clave no funciona.\r\n"
)


@pytest.fixture
def relay(settings):
    settings.INBOUND_EMAIL_SECRET = SECRET
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {SECRET}")
    return client


def post_raw(client, raw=MESSAGE, content_type="message/rfc822"):
    return client.generic("POST", URL, raw, content_type=content_type)


def test_the_url_is_the_documented_one():
    assert reverse("api:inbound-email") == URL


def test_a_new_message_opens_a_case_and_says_which(relay):
    response = post_raw(relay)
    assert response.status_code == 201
    ticket = Ticket.objects.get()
    assert response.json() == {
        "outcome": "created",
        "ticket": ticket.reference,
        "ticket_id": ticket.pk,
        "reason": "",
    }
    assert ticket.customer.name == "Lucía Torres"


def test_the_same_message_posted_again_changes_nothing(relay):
    post_raw(relay)
    again = post_raw(relay)
    assert again.status_code == 200
    assert again.json()["outcome"] == "duplicate"
    assert Ticket.objects.count() == 1 and InboundEmail.objects.count() == 1


def test_a_multipart_upload_of_the_message_is_taken_too(relay):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("message.eml", MESSAGE, content_type="message/rfc822")
    response = relay.post(URL, {"message": upload}, format="multipart")
    assert response.status_code == 201


def test_a_providers_body_mime_field_is_taken(relay):
    response = relay.post(URL, {"body-mime": MESSAGE.decode()}, format="multipart")
    assert response.status_code == 201
    assert Ticket.objects.get().subject == "No puedo entrar"


def test_machine_mail_is_answered_200_and_opens_nothing(relay):
    auto = MESSAGE.replace(b"Subject:", b"Auto-Submitted: auto-replied\r\nSubject:")
    response = post_raw(relay, auto)
    assert response.status_code == 200
    assert response.json()["outcome"] == "ignored"
    assert response.json()["reason"] == "Auto-Submitted: auto-replied"
    assert not Ticket.objects.exists()


def test_basic_auth_with_the_secret_as_password_works(settings):
    settings.INBOUND_EMAIL_SECRET = SECRET
    client = APIClient()
    credentials = base64.b64encode(f"mailgun:{SECRET}".encode()).decode()
    client.credentials(HTTP_AUTHORIZATION=f"Basic {credentials}")
    assert post_raw(client).status_code == 201


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong", f"Bearer {SECRET[:-1]}", f"Token {SECRET}", "Basic !!!notbase64"],
)
def test_without_the_secret_it_is_401_and_nothing_is_read(settings, authorization):
    settings.INBOUND_EMAIL_SECRET = SECRET
    client = APIClient()
    if authorization:
        client.credentials(HTTP_AUTHORIZATION=authorization)
    response = post_raw(client)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="inbound-email"'
    assert "detail" in response.json()
    assert not InboundEmail.objects.exists()


def test_when_no_secret_is_configured_the_endpoint_does_not_exist(settings):
    settings.INBOUND_EMAIL_SECRET = ""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer ")
    response = post_raw(client)
    assert response.status_code == 404
    assert response.json()["detail"] == "Inbound e-mail over HTTP is not enabled on this desk."


def test_a_message_over_the_limit_is_refused_with_413(relay, settings):
    settings.INBOUND_EMAIL_MAX_BYTES = 100
    response = post_raw(relay)
    assert response.status_code == 413
    assert "detail" in response.json()
    assert not InboundEmail.objects.exists()


def test_an_empty_body_is_a_400(relay):
    response = post_raw(relay, b"")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Send the message as the body, or as the form field “message”."
    }


def test_other_methods_are_405(relay):
    assert relay.get(URL).status_code == 405
    assert relay.put(URL, MESSAGE, content_type="message/rfc822").status_code == 405


def test_a_large_message_beyond_djangos_in_memory_limit_is_taken(relay, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    padding = b"x" * 5000 + b"\r\n"
    response = post_raw(relay, MESSAGE + padding)
    assert response.status_code == 201
