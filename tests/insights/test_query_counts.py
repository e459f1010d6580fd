"""Insights' pages and panels read a fixed number of queries, not one per row: the themes
pages one aggregate per theme at the most (a training has at most K_MAX of them), the ticket
page's panels none per similar case or per customer message."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cases.models import Ticket
from cases.services import add_customer_reply
from insights.models import ModelKind, ModelStatus, Theme, ThemeMention, TrainedModel
from insights.services.training import train_model
from tests.factories import make_ticket
from tests.insights.histories import planted_desk


def queries(client, url: str, params: dict[str, str] | None = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(captured)


def themes_training(count: int, ticket: Ticket, namer) -> Theme:
    """A ready themes training with `count` themes, every other one named by `namer`."""
    training = TrainedModel.objects.create(
        kind=ModelKind.THEMES, status=ModelStatus.READY, artifact="themes.joblib"
    )
    for number in range(1, count + 1):
        theme = Theme.objects.create(
            training=training,
            number=number,
            top_terms=[{"term": f"w{number}", "word": f"w{number}", "weight": 1.0}],
            examples=[
                {"source": "description", "ticket": ticket.pk, "response": None, "text": "x"}
            ],
            name=f"Theme {number}" if number % 2 else "",
            name_edited_by=namer if number % 2 else None,
            name_edited_at=timezone.now() if number % 2 else None,
        )
        ThemeMention.objects.create(
            theme=theme, ticket=ticket, source="description", weight=1.0, at=timezone.now()
        )
    return theme


@pytest.mark.parametrize("name", ["insights:themes", "insights:themes_dashboard"])
def test_the_themes_pages_read_as_many_queries_for_ten_themes_as_for_three(
    client, marta, ana, team_n1, name
):
    ticket = make_ticket(by=ana, team=team_n1)
    client.force_login(marta)
    themes_training(3, ticket, marta)
    few = queries(client, reverse(name), {"period": "30"})
    TrainedModel.objects.all().delete()
    themes_training(10, ticket, marta)
    many = queries(client, reverse(name), {"period": "30"})
    assert many == few  # all themes' figures at once, nothing per name or example


def test_a_themes_page_reads_the_same_queries_whatever_its_mentions(client, marta, ana, team_n1):
    tickets = [make_ticket(by=ana, team=team_n1) for _ in range(10)]
    client.force_login(marta)
    theme = themes_training(1, tickets[0], marta)
    few = queries(client, reverse("insights:theme", args=[theme.pk]), {"period": "30"})
    for ticket in tickets[1:]:
        ThemeMention.objects.create(
            theme=theme, ticket=ticket, source="description", weight=0.5, at=timezone.now()
        )
    assert queries(client, reverse("insights:theme", args=[theme.pk]), {"period": "30"}) == few


@pytest.mark.django_db
def test_the_ticket_panels_read_no_query_per_similar_case_or_message(client, marta):
    desk = planted_desk(300)
    assert train_model(kind=ModelKind.SIMILAR).status == ModelStatus.READY
    assert train_model(kind=ModelKind.TRIAGE).status == ModelStatus.READY
    client.force_login(marta)
    near = Ticket.objects.filter(pk=desk.tickets[-1].pk).first()
    counts = {}
    for replies in (1, 10):
        opened = make_ticket(subject=near.subject, description=near.description)
        for i in range(replies):
            add_customer_reply(ticket=opened, body=f"Sigo esperando {i}, {near.description}")
        for panel in ("ticket_triage", "ticket_similar", "ticket_sentiment"):
            url = reverse(f"insights:{panel}", args=[opened.pk])
            queries(client, url)  # the models are loaded once per process: not counted
            counts[panel, replies] = queries(client, url)
    for panel in ("ticket_triage", "ticket_similar", "ticket_sentiment"):
        assert counts[panel, 10] == counts[panel, 1], counts
    assert counts["ticket_similar", 1] <= 8, counts
