"""The README promises that demo data sends nothing: right after `load_demo`, every periodic
task the beat runs finds nothing in the demo's past to e-mail — no survey (or its reminder),
no SLA warning or breach, no follow-up alert, no auto-close notice, no weekly digest."""

from collections.abc import Iterator
from datetime import timedelta
from importlib import import_module
from io import StringIO

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from cases.models import OutboundEmail
from config.celery import app
from metrics import digest
from surveys import services as survey_services
from surveys.models import InvitationStatus, SurveyInvitation
from tests.built_once import Built, built_once


def run_every_beat_task() -> dict[str, object]:
    """Each task of the beat's schedule once, in-process (eager), with the real clock."""
    results: dict[str, object] = {}
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        name = entry["task"]
        assert isinstance(name, str), entry  # each entry names its task by its dotted path
        import_module(name.rsplit(".", 1)[0])
        task = app.tasks[name]
        results[name] = task.apply().get()
    return results


DEMO_SETTINGS = {"EMBEDDED": True, "SURVEY_REMINDER_DAYS": 3}


def load_demo() -> None:
    call_command("load_demo", stdout=StringIO())


@pytest.fixture(scope="module")
def _demo(django_db_setup, django_db_blocker) -> Iterator[Built[None]]:
    """`load_demo` once for the module (tests/built_once.py): each test starts from the
    freshly loaded desk, the e-mails the load sent included."""
    yield from built_once(django_db_blocker, load_demo, **DEMO_SETTINGS)


@pytest.fixture
def demo(_demo, db, settings):
    for name, value in DEMO_SETTINGS.items():
        setattr(settings, name, value)
    _demo.start()


def test_no_beat_task_mails_anything_about_the_demo_past(demo):
    tasks = run_every_beat_task()

    assert set(tasks) >= {
        "surveys.tasks.send_reminders_and_expire",
        "cases.tasks.check_sla",
        "metrics.tasks.send_weekly_digests",
        "cases.tasks.close_resolved_tickets",
    }
    assert mail.outbox == [], [m.subject for m in mail.outbox]
    assert not OutboundEmail.objects.exists()
    assert tasks["cases.tasks.check_sla"] == {}, "the load already recorded the past breaches"
    assert tasks["cases.tasks.close_resolved_tickets"] == 0, "closed when their wait ended"
    # The demo has unanswered surveys sent long enough ago for a reminder: not one is sent.
    reminder_age = timezone.now() - timedelta(days=settings.SURVEY_REMINDER_DAYS)
    assert SurveyInvitation.objects.filter(
        status=InvitationStatus.SENT, sent_at__lte=reminder_age
    ).exists()
    assert not SurveyInvitation.objects.filter(reminder_sent_at__isnull=False).exists()


def test_demo_surveys_are_never_reminded_later_either(demo):
    """A demo survey sent yesterday was never in anyone's inbox: no reminder when its
    reminder day comes, days after the load."""
    assert SurveyInvitation.objects.filter(
        status=InvitationStatus.SENT, sent_at__gt=timezone.now() - timedelta(days=2)
    ).exists()
    for days in (1, 2, 3, 4):
        assert survey_services.send_due_reminders(now=timezone.now() + timedelta(days=days)) == 0
    assert mail.outbox == []


def test_demo_managers_get_no_digest_of_the_week_before_the_load(demo):
    """The last full week is the demo's invented past; next Monday's digest is about a week
    the desk lived through, and goes out like any manager's."""
    assert digest.send_weekly_digests() == 0
    local = timezone.localtime()
    next_monday = (local + timedelta(days=7 - local.weekday())).replace(hour=8, minute=0)
    with time_machine.travel(next_monday, tick=False):
        assert digest.send_weekly_digests() == 3
    assert {m.to[0] for m in mail.outbox} == {
        "mariana.lopez@pulso.example.com",
        "jorge.restrepo@pulso.example.com",
        "adriana.salcedo@pulso.example.com",
    }
