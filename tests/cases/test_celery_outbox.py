"""The confirmation e-mail travels through a real Celery worker and the configured broker
(Redis in CI, the filesystem transport by default) — not eager mode, which hides the broker."""

import time

import pytest
from django.core import mail
from kombu.exceptions import OperationalError

from cases import tasks
from cases.models import NotificationStatus, OutboundEmail
from config.celery import app
from tests.factories import make_ticket
from tests.surveys.smtp import celery_worker_in_this_process, wait_until


@pytest.fixture
def real_worker(settings):
    with celery_worker_in_this_process(app):
        yield


@pytest.mark.django_db(transaction=True)
def test_a_web_case_confirmation_is_sent_once_by_a_real_worker(real_worker, customer, team_n1):
    ticket = make_ticket(by=None, customer=customer, channel="web", acknowledge=True)
    notification = OutboundEmail.objects.get(ticket=ticket)
    assert wait_until(lambda: len(mail.outbox) == 1), "the worker did not send the e-mail"
    # A duplicate delivery of the same task changes nothing.
    tasks.send_notification.delay(notification.pk)
    time.sleep(1)
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [customer.email]
    assert ticket.reference in mail.outbox[0].subject


def test_a_broker_outage_delays_the_confirmation_but_never_loses_it(
    db, customer, team_n1, monkeypatch, django_capture_on_commit_callbacks
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(tasks.send_notification, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(by=None, customer=customer, channel="web", acknowledge=True)
    notification = OutboundEmail.objects.get(ticket=ticket)
    assert notification.status == NotificationStatus.PENDING
    assert notification.enqueued_at is None
    assert mail.outbox == []

    monkeypatch.undo()
    assert tasks.sweep_customer_notifications() == 1
    notification.refresh_from_db()
    assert notification.status == NotificationStatus.SENT
    assert len(mail.outbox) == 1
    assert tasks.sweep_customer_notifications() == 0
