"""The staff API's part for agents (docs/knowledge.md, "For agents"): an article's detail
carries `sent`, the tickets where it was sent and their CSAT % (knowledge/agent_tools.py)."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from cases.models import User

from .agent_tools import article_outcome
from .models import Article


class SentTicketOutput(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="ticket.pk")
    reference = serializers.CharField(source="ticket.reference")
    subject = serializers.CharField(source="ticket.subject")
    kinds = serializers.ListField(
        child=serializers.CharField(), help_text=_("How it was inserted: link, text or both.")
    )
    first_used_at = serializers.DateTimeField()
    csat = serializers.ListField(
        child=serializers.IntegerField(), help_text=_("The ticket's CSAT answers (1–5).")
    )


class ArticleSentOutput(serializers.Serializer[Any]):
    tickets_count = serializers.IntegerField(
        help_text=_("Tickets where the article was sent, seen or not by the caller.")
    )
    tickets = SentTicketOutput(
        many=True, help_text=_("Those the caller may see, by first insertion (at most 200).")
    )
    csat_percent = serializers.FloatField(
        allow_null=True,
        help_text=_("100 × CSAT answers of 4 or 5 / CSAT answers; null without any."),
    )
    csat_answers = serializers.IntegerField(
        help_text=_("The sample of the CSAT percentage: its answers.")
    )
    low_sample = serializers.BooleanField(help_text=_("The sample is under KPI_MIN_SAMPLE."))


def sent_data(article: Article, viewer: User) -> dict[str, Any]:
    outcome = article_outcome(article, viewer)
    return {
        "tickets_count": len(outcome.tickets) + outcome.more + outcome.hidden,
        "tickets": SentTicketOutput(outcome.tickets, many=True).data,
        "csat_percent": outcome.csat_percent,
        "csat_answers": outcome.csat_answers,
        "low_sample": outcome.low_sample,
    }
