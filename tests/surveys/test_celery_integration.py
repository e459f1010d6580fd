"""The whole survey journey across real sockets, not eager mode (which hides the broker): a
resolution is published to the configured broker (Redis in CI, the filesystem transport by
default), a real Celery worker sends exactly one e-mail to a real SMTP server on loopback,
the customer follows its link, answers as a detractor, and the managers' alert arrives too."""

import time
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from cases import services as case_services
from cases.models import EventKind, TicketEvent
from config.celery import app
from surveys.models import FollowUp, FollowUpStatus, InvitationStatus, SurveyInvitation
from tests.factories import make_ticket
from tests.surveys.smtp import (
    SURVEY_MAILS,
    LoopbackSMTP,
    celery_worker_in_this_process,
    html_part,
    point_django_at,
    survey_links,
    text_part,
    wait_until,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def smtp(settings):
    with LoopbackSMTP(kinds=SURVEY_MAILS) as server:
        point_django_at(settings, server)
        yield server


@pytest.fixture
def worker(smtp):
    with celery_worker_in_this_process(app):
        app.control.purge()  # nothing left over from earlier tests
        yield
        app.control.purge()


def path_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def test_a_resolution_mails_one_survey_that_the_customer_answers_and_a_manager_follows_up(
    settings, smtp, worker, ana, team_n1, marta, customer, client
):
    settings.SURVEY_SEND_DELAY = 0
    ticket = make_ticket(by=ana, customer=customer, team=team_n1, assignee=ana)
    case_services.add_reply(ticket=ticket, by=ana, body="Here is the fix.")
    case_services.resolve_ticket(ticket=ticket, by=ana, resolution="Replaced the toner.")

    # Exactly one survey e-mail reaches the SMTP server, for the customer (beside the reply
    # and the resolution, which the customer gets as e-mails of the case).
    assert smtp.wait_for(1, timeout=20), "no survey e-mail arrived"
    invitation = SurveyInvitation.objects.get(ticket=ticket)
    assert wait_until(lambda: refreshed_status(invitation) == InvitationStatus.SENT)
    time.sleep(1)  # a duplicate would arrive now
    assert smtp.count() == 1
    assert sorted(r.message["X-Pulso-Mail"] for r in smtp.others) == [
        "agent-reply", "ticket-resolved"
    ]  # fmt: skip
    [received] = smtp.received
    assert received.rcpt_tos == [customer.email]
    message = received.message
    assert ticket.reference in message["Subject"]
    assert message["To"] == customer.email
    assert message.get_content_type() == "multipart/alternative"
    assert ticket.reference in html_part(message)

    # Its links: five one-click scores and the full survey, one token.
    links = survey_links(text_part(message))
    assert [m["csat"] for m in links] == ["1", "2", "3", "4", "5", None]
    assert len({m["token"] for m in links}) == 1
    assert all(m.group(0).startswith(settings.SITE_URL) for m in links)
    one_click, full = links[0], links[-1]

    # Following a score link shows the survey and records nothing (mail scanners follow it).
    page = client.get(path_of(one_click.group(0)))
    assert page.status_code == 200
    assert ticket.reference in page.content.decode()
    assert refreshed_status(invitation) == InvitationStatus.SENT

    # The customer confirms with a POST: an unhappy answer.
    answered = client.post(
        path_of(full.group(0)),
        {"csat": "1", "ces": "6", "nps": "3", "comment": "Took three calls."},
    )
    assert answered.status_code == 302
    assert answered["Location"] == reverse("surveys:thanks", args=[full["token"]])
    assert client.get(answered["Location"]).status_code == 200

    invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.ANSWERED
    response = invitation.response
    assert (response.csat, response.ces, response.nps) == (1, 6, 3)
    assert response.comment == "Took three calls."
    assert (response.agent, response.team) == (ana, team_n1)
    follow_up = FollowUp.objects.get(response=response)
    assert follow_up.status == FollowUpStatus.OPEN
    assert set(follow_up.reasons) == {"detractor", "unhappy_csat"}
    kinds = set(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert {EventKind.SURVEY_ANSWERED, EventKind.FOLLOW_UP_OPENED} <= kinds

    # The managers' alert crosses the broker and the SMTP server too, once.
    assert smtp.wait_for(2, timeout=20), "no alert e-mail arrived"
    assert wait_until(lambda: FollowUp.objects.get(pk=follow_up.pk).alert_status == "sent")
    time.sleep(0.5)
    assert smtp.count() == 2
    [alert] = smtp.to(marta.email)
    assert ticket.reference in alert["Subject"]
    assert "NPS: 3/10" in text_part(alert)

    # A second answer changes nothing.
    again = client.post(path_of(full.group(0)), {"nps": "10"})
    assert again.status_code == 200
    invitation.refresh_from_db()
    assert invitation.response.nps == 3
    assert FollowUp.objects.count() == 1


def refreshed_status(invitation: SurveyInvitation) -> str:
    return SurveyInvitation.objects.values_list("status", flat=True).get(pk=invitation.pk)
