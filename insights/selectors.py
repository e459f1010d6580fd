"""What insights' pages and API read: plain data, no side effects."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.shortcuts import get_object_or_404

from cases.models import Status, Ticket
from cases.selectors import Viewer, tickets_visible_to
from insights import store
from insights.models import ModelKind, ModelStatus, TrainedModel
from insights.training.similar import SOLVED, nearest, query_text
from surveys.models import SurveyResponse

CANDIDATES = 100  # read from the index before the one visibility query
TRAININGS_SHOWN = 10  # per kind, on the models page and in its API


@dataclass(frozen=True)
class Trainings:
    """A kind's last trainings, newest first, and the one in use: the newest ready one,
    which may be older than every training in `history`."""

    history: list[TrainedModel]
    in_use: TrainedModel | None


def trainings(kind: str, limit: int = TRAININGS_SHOWN) -> Trainings:
    """The last `limit` trainings of `kind` and the model in use, for the admins' models page
    and the models API (two queries)."""
    newest = TrainedModel.objects.filter(kind=kind).order_by("-trained_at", "-pk")
    return Trainings(
        history=list(newest[:limit]),
        in_use=newest.filter(status=ModelStatus.READY).first(),
    )


@dataclass(frozen=True)
class SimilarCase:
    ticket: Ticket
    similarity: float  # 0–1
    resolution: str
    csat: int | None  # of the ticket's latest answered survey
    nps: int | None


@dataclass(frozen=True)
class SimilarState:
    """Whether similar cases can be looked up, and when not, why: `needed` solved tickets
    before the first index (`have` so far, None when it was never trained)."""

    ready: bool
    needed: int
    have: int | None
    failed: bool = False


def visible_ticket_or_404(user: Viewer, pk: int) -> Ticket:
    """The ticket `pk` if `user` may see it (`cases.selectors.tickets_visible_to`); Http404
    otherwise, the same answer as for a ticket that does not exist, so a panel or an API
    call never tells anyone that a ticket they may not see is there."""
    return get_object_or_404(tickets_visible_to(user), pk=pk)


def similar_state() -> SimilarState:
    needed = settings.INSIGHTS_MIN_TICKETS
    if store.latest(ModelKind.SIMILAR) is not None:
        return SimilarState(ready=True, needed=needed, have=None)
    last = TrainedModel.objects.filter(kind=ModelKind.SIMILAR).order_by("-trained_at", "-pk")
    record = last.first()
    if record is None:
        return SimilarState(ready=False, needed=needed, have=None)
    if record.status == ModelStatus.TOO_LITTLE_DATA:
        return SimilarState(
            ready=False,
            needed=int(record.quality.get("needed", needed)),
            have=int(record.quality.get("have", record.documents)),
        )
    return SimilarState(ready=False, needed=needed, have=None, failed=True)


def similar_solved(ticket: Ticket, user: Viewer, limit: int = 5) -> list[SimilarCase]:
    """Up to `limit` resolved or closed tickets whose words are nearest `ticket`'s, nearest
    first — never the ticket itself, a merged ticket or one `user` may not see — with their
    resolution and survey rating. Empty when there is no index yet or nothing is near."""
    loaded = store.load(ModelKind.SIMILAR)
    if loaded is None or limit <= 0:
        return []
    _record, index = loaded
    found = nearest(
        index, query_text(ticket.subject, ticket.description), CANDIDATES, exclude=ticket.pk
    )
    if not found:
        return []
    similarity = dict(found)
    # The index is as of its training: a ticket reopened or merged since is left out here.
    visible = {
        t.pk: t
        for t in tickets_visible_to(user)
        .filter(pk__in=list(similarity), status__in=SOLVED)
        .exclude(pk=ticket.pk)
        .exclude(status=Status.MERGED)
    }
    chosen = [pk for pk, _score in found if pk in visible][:limit]
    ratings: dict[int, tuple[int | None, int | None]] = {}
    answered = (
        SurveyResponse.objects.filter(ticket_id__in=chosen)
        .order_by("ticket_id", "-answered_at", "-pk")
        .values_list("ticket_id", "csat", "nps")
    )
    for ticket_id, csat, nps in answered:
        ratings.setdefault(ticket_id, (csat, nps))
    return [
        SimilarCase(
            ticket=visible[pk],
            similarity=similarity[pk],
            resolution=visible[pk].resolution,
            csat=ratings.get(pk, (None, None))[0],
            nps=ratings.get(pk, (None, None))[1],
        )
        for pk in chosen
    ]
