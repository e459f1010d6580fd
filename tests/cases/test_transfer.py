"""Moving a ticket to another team — from the classify form, the API, a macro or a bulk
action — is a transfer: the level stays, escalations are not counted, and an assignee who is
not in the new team gives way."""

import pytest
from django.urls import reverse

from cases import services
from cases.errors import ValidationError
from cases.models import EventKind, Macro, TicketEvent
from tests.factories import TeamFactory

pytestmark = pytest.mark.django_db


def test_a_transfer_keeps_the_level_and_counts_no_escalation(ana, ticket, team_n2):
    services.assign_ticket(ticket=ticket, by=ana, assignee=ana)
    moved = services.classify_ticket(ticket=ticket, by=ana, team=team_n2)
    assert moved.team == team_n2 and moved.level == 1 and moved.escalation_count == 0
    assert moved.assignee is None
    changes = TicketEvent.objects.filter(kind=EventKind.CLASSIFIED).latest("pk").data["changes"]
    assert changes["team"] == [ticket.team.name, team_n2.name]


def test_an_inactive_team_is_refused_and_nothing_changes(ana, ticket):
    closed = TeamFactory.create(name="Cerrado", is_active=False)
    with pytest.raises(ValidationError) as refused:
        services.classify_ticket(ticket=ticket, by=ana, team=closed)
    assert refused.value.field == "team"
    assert ticket.__class__.objects.get(pk=ticket.pk).team == ticket.team


def test_a_macro_moves_the_ticket_to_its_team(ana, marta, ticket, team_n2):
    macro = services.save_macro(
        by=marta, shared=True, title="A facturación", body_es="Te paso con Facturación.",
        set_team=team_n2,
    )  # fmt: skip
    after = services.apply_macro(ticket=ticket, by=ana, macro=macro)
    assert after.team == team_n2
    assert Macro.objects.get(pk=macro.pk).set_team == team_n2


def test_the_api_moves_a_ticket_to_another_team(client, ana, ticket, team_n2):
    from knox.models import AuthToken

    _, key = AuthToken.objects.create(ana)
    response = client.patch(
        reverse("api:ticket-detail", args=[ticket.pk]),
        {"team": team_n2.pk},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {key}",
    )
    assert response.status_code == 200 and response.json()["team"] == team_n2.pk


def test_the_classify_form_moves_a_ticket_to_another_team(client, marta, ticket, team_n2):
    client.force_login(marta)
    response = client.post(
        reverse("cases:ticket_action", args=[ticket.pk, "classify"]),
        {
            "version": ticket.version,
            "subject": ticket.subject,
            "category": "",
            "priority": ticket.priority,
            "channel": ticket.channel,
            "team": team_n2.pk,
        },
    )
    assert response.status_code == 302
    moved = ticket.__class__.objects.get(pk=ticket.pk)
    assert moved.team == team_n2 and moved.level == ticket.level
