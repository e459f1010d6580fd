"""The weekly digest and the preference that switches it off."""

from datetime import datetime, timedelta

import pytest
from django.core import mail
from django.urls import reverse

from cases import services
from metrics import definitions
from metrics.digest import last_full_week, send_weekly_digests
from tests.factories import ManagerFactory, make_ticket

TZ = definitions.zone()
MONDAY_9 = datetime(2026, 11, 23, 9, 0, tzinfo=TZ)


@pytest.fixture
def managers(db, team_n1):
    return [
        ManagerFactory(username="marta", email="marta@pulso.test", language="es"),
        ManagerFactory(username="mario", email="mario@pulso.test", language="en"),
    ]


def test_the_digest_covers_last_monday_to_monday():
    period = last_full_week(MONDAY_9.date() + timedelta(days=2))
    assert period.start_date.isoformat() == "2026-11-16"
    assert period.end_date.isoformat() == "2026-11-23"


def test_each_manager_gets_last_weeks_kpis_once_in_their_language(managers, ana, team_n1):
    last_week = MONDAY_9 - timedelta(days=5)
    for _ in range(3):
        make_ticket(by=ana, team=team_n1, at=last_week)
    make_ticket(by=ana, team=team_n1, at=last_week - timedelta(days=7))

    assert send_weekly_digests(now=MONDAY_9) == 2
    assert send_weekly_digests(now=MONDAY_9 + timedelta(hours=1)) == 0, "never twice a week"

    by_address = {message.to[0]: message for message in mail.outbox}
    english = by_address["mario@pulso.test"]
    assert "weekly digest" in english.subject
    assert "New tickets: 3  ▲ 2" in english.body
    assert "/metrics/?from=2026-11-16&to=2026-11-23" in english.body
    spanish = by_address["marta@pulso.test"]
    assert "Resumen semanal" in spanish.subject
    assert "Tickets nuevos: 3  ▲ 2" in spanish.body
    html = english.alternatives[0][0]
    assert "Open the dashboard" in html


def test_no_digest_before_seven_on_monday_morning(managers):
    assert send_weekly_digests(now=MONDAY_9.replace(hour=6)) == 0
    assert mail.outbox == []


def test_a_manager_who_switched_it_off_gets_none(managers, client):
    marta = managers[0]
    client.force_login(marta)
    response = client.post(reverse("preferences"), {"language": "es"})
    assert response.status_code == 302
    marta.refresh_from_db()
    assert marta.weekly_digest is False
    send_weekly_digests(now=MONDAY_9)
    assert [m.to for m in mail.outbox] == [["mario@pulso.test"]]


def test_agents_never_get_the_digest(ana, team_n1):
    ana.email = "ana@pulso.test"
    ana.save()
    assert send_weekly_digests(now=MONDAY_9) == 0


def test_empty_weeks_read_as_dashes_not_zeros(managers):
    send_weekly_digests(now=MONDAY_9)
    body = next(m for m in mail.outbox if m.to == ["mario@pulso.test"]).body
    assert "CSAT (satisfied %): —" in body
    assert "New tickets: 0" in body


def test_the_preferences_page_keeps_the_language_and_refuses_nonsense(ana, client):
    client.force_login(ana)
    assert client.get(reverse("preferences")).status_code == 200
    response = client.post(reverse("preferences"), {"language": "xx", "weekly_digest": "on"})
    assert response.status_code == 400
    ana.refresh_from_db()
    assert ana.language == "es"
    services.update_preferences(user=ana, language="en", weekly_digest=False)
    ana.refresh_from_db()
    assert (ana.language, ana.weekly_digest) == ("en", False)


def test_preferences_need_a_login(client):
    assert client.get(reverse("preferences")).status_code == 302
