"""Reading a customer's mood with the sentiment model in use: how likely it is that the
customer of a ticket is unhappy, from their own words — the ticket's description and their
public replies (not an agent's, not a follower's), the newest weighing most — before any
survey asks them. Read-only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.text import Truncator
from django.utils.translation import gettext as _

from cases.models import ACTIVE_STATUSES, Ticket
from insights import store
from insights.models import ModelKind, ModelStatus, TrainedModel
from insights.training.sentiment import (
    UNHAPPY_AT,
    customer_replies,
    is_useful,
    unhappy_reading,
)
from insights.wording import sure_percent

EXCERPT_WORDS = 40


@dataclass(frozen=True)
class Mood:
    unhappy_probability: float  # 0–1, over the messages read, the newest weighing most
    excerpt: str  # the message read that sounds most unhappy, cut short
    model: TrainedModel

    @property
    def is_unhappy(self) -> bool:
        return self.unhappy_probability >= UNHAPPY_AT

    @property
    def label(self) -> str:
        return "unhappy" if self.is_unhappy else "calm"

    @property
    def percent(self) -> int:
        return sure_percent(self.unhappy_probability)


@dataclass(frozen=True)
class SentimentState:
    shown: bool  # False: a ticket no longer open, nothing to show
    mood: Mood | None
    reason: str  # why there is no reading ("" when there is one)
    model: TrainedModel | None = None


def customer_messages(ticket: Ticket) -> list[str]:
    """What the customer wrote on the ticket, oldest first: its description and their own
    public replies."""
    replies = customer_replies().filter(ticket=ticket).order_by("created_at", "pk")
    messages = [ticket.description, *replies.values_list("body", flat=True)]
    return [message for message in messages if message.strip()]


def _model() -> tuple[TrainedModel, Any] | None:
    loaded = store.load(ModelKind.SENTIMENT)
    if loaded is None or not is_useful(loaded[0].quality):
        return None
    return loaded


def read_mood(messages: list[str], model: TrainedModel, payload: Any) -> Mood | None:
    """The mood of the newest of `messages` (oldest first) as `unhappy_reading` weighs them;
    None when none of them holds a word the model knows."""
    reading = unhappy_reading(messages, payload)
    if reading is None:
        return None
    probability, loudest = reading
    excerpt = Truncator(" ".join(loudest.split())).words(EXCERPT_WORDS)
    return Mood(unhappy_probability=probability, excerpt=excerpt, model=model)


def ticket_mood(ticket: Ticket) -> Mood | None:
    """How unhappy the ticket's customer sounds; None without a useful model or without a
    word of theirs the model knows."""
    loaded = _model()
    if loaded is None:
        return None
    return read_mood(customer_messages(ticket), *loaded)


def sentiment_state(ticket: Ticket) -> SentimentState:
    """What the ticket page and the API show: the mood of an open ticket's customer, or in
    one sentence why there is none."""
    if ticket.status not in ACTIVE_STATUSES:
        return SentimentState(False, None, _("Only open tickets are read for the mood."))
    loaded = _model()
    if loaded is None:
        return SentimentState(True, None, why_no_model())
    mood = read_mood(customer_messages(ticket), *loaded)
    if mood is None:
        reason = _("The customer's messages tell the model too little to read their mood.")
        return SentimentState(True, None, reason, loaded[0])
    return SentimentState(True, mood, "", loaded[0])


def why_no_model() -> str:
    """One sentence: no training yet, too little history, the last one failed, or the model
    did not beat the baseline."""
    ready = store.latest(ModelKind.SENTIMENT)
    if ready is not None:
        return _(
            "No mood reading: on the newest survey comments the model did no better than "
            "always guessing the commonest answer."
        )
    last = (
        TrainedModel.objects.filter(kind=ModelKind.SENTIMENT).order_by("-trained_at", "-pk").first()
    )
    if last is None:
        return _("Mood reading starts after the first training on the desk's survey comments.")
    if last.status == ModelStatus.TOO_LITTLE_DATA:
        return _(
            "Mood reading starts once %(needed)s survey answers with a comment and a clear "
            "score have come in (%(have)s so far)."
        ) % {"needed": last.quality.get("needed", "?"), "have": last.quality.get("have", 0)}
    return _("No mood reading for now: the last training failed (the admins can see why).")
