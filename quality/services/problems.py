"""Problems, the macro closed loop (docs/quality.md, "Problems"): open one, link the tickets
that share its cause, record every change, mark it fixed, and answer its open tickets in bulk.

Who may do what: any agent opens a problem (it starts "investigating") and links or unlinks
tickets they can see; managers and admins edit it, move its status (fixed needs a fix note and
a date), link survey follow-ups and send the bulk answer.

Each function runs in one transaction, locks the problem row it changes and writes a
ProblemEvent per fact; a refused call raises QualityError (QualityPermissionDenied when
refused to the caller) and writes nothing. The bulk answer
is the exception by design: each ticket in its own transaction (`run_bulk_answer`)."""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cases.errors import CasesError
from cases.models import ACTIVE_STATUSES, Language, Ticket, User
from cases.selectors import can_see_ticket, tickets_visible_to
from cases.services import add_reply, resolve_ticket
from metrics.kpis import DIMENSIONS, Period
from metrics.presentation.explanations import DIMENSION_NAMES
from metrics.presentation.labels import dimension_labels
from surveys.models import FollowUp
from surveys.selectors import follow_ups_visible_to

from ..errors import QualityError, QualityPermissionDenied
from ..models_problems import (
    Problem,
    ProblemBulkAnswer,
    ProblemEvent,
    ProblemFollowUp,
    ProblemStatus,
    ProblemTicket,
)
from ..permissions import is_staff_member
from ..selectors import problems as selectors
from ._checks import clean_text, require_manager, require_staff

logger = logging.getLogger(__name__)

TITLE_MAX = 200
TEXT_MAX = 10_000  # description, root cause, fix note, bulk messages: a reply's limit
LINK_MAX = 100  # ticket or follow-up ids in one request: the queue's bulk limit
ORIGIN_KINDS = ("driver", "follow_ups", "theme", "tickets")


def _require_staff(by: User) -> None:
    require_staff(by, _("Only agents, managers and admins can work on problems."))


def require_problem_manager(by: User) -> None:
    """Managers and admins edit problems, link follow-ups and answer in bulk (the API asks
    before reading a body)."""
    require_manager(by, _("Only managers and admins can do this to a problem."))


def _text(value: str, field: str, *, required: bool = False, limit: int = TEXT_MAX) -> str:
    return clean_text(value, field, limit, required)


def _event(problem: Problem, by: User | None, kind: str, at: datetime, **data: Any) -> None:
    ProblemEvent.objects.create(problem=problem, actor=by, kind=kind, at=at, data=data)


def _lock(problem: Problem) -> Problem:
    """A fresh, locked copy. Precondition: inside a transaction."""
    return Problem.objects.select_for_update().get(pk=problem.pk)


def _check_owner(owner: User | None) -> None:
    if owner is not None and not is_staff_member(owner):
        raise QualityError(_("The owner must be an active agent or manager."), field="owner")


ID_DIMENSIONS = ("team", "agent", "category")  # a driver row's value is the row's id there


def driver_origin(
    *, by: User, dimension: str, value: str, period: Period
) -> tuple[dict[str, Any], list[int], str] | None:
    """A dashboard driver row (`dimension` = `value` over `period`) → the origin to store,
    the period's low-score tickets of that segment `by` can see, and a title to suggest. None
    when the dimension is unknown or the value is an id no row can have (PostgreSQL would
    refuse it as a bigint): the page answers 400."""
    if dimension not in DIMENSIONS:
        return None
    is_id = dimension in ID_DIMENSIONS
    numeric = is_id and value.isdecimal() and len(value) < 19
    if is_id and value not in ("", "none") and not numeric:
        return None
    ids = selectors.low_score_ticket_ids(dimension, value, period, LINK_MAX)
    visible, _hidden = selectors.visible_tickets(by, ids)
    origin = {
        "kind": "driver",
        "dimension": dimension,
        "value": value,
        "from": period.start_date.isoformat(),
        "to": period.end_date.isoformat(),
    }
    key: Any = int(value) if numeric else value
    title = _("Low scores: %(dimension)s %(value)s, %(start)s – %(end)s") % {
        "dimension": DIMENSION_NAMES.get(dimension, dimension),
        "value": dimension_labels(dimension, [key or None])[key or None] if value else "—",
        "start": period.start_date.isoformat(),
        "end": (period.end_date - timedelta(days=1)).isoformat(),
    }
    return origin, [t.pk for t in visible], title


def _check_origin(origin: dict[str, Any] | None) -> dict[str, Any]:
    if not origin:
        return {}
    if origin.get("kind") not in ORIGIN_KINDS:
        raise QualityError(_("Unknown origin."), field="origin")
    return origin


# --- links ------------------------------------------------------------------------------------


@dataclass
class LinkOutcome:
    """What a request to link tickets did, ticket by ticket (ids)."""

    linked: list[int] = field(default_factory=list)
    already: list[int] = field(default_factory=list)
    not_visible: list[int] = field(default_factory=list)


def _link(problem: Problem, by: User, ids: Iterable[int], at: datetime) -> LinkOutcome:
    """Link the tickets of `ids` that `by` can see. Precondition: problem row locked."""
    outcome = LinkOutcome()
    wanted = list(dict.fromkeys(ids))
    if len(wanted) > LINK_MAX:
        raise QualityError(
            _("At most %(limit)s tickets at a time.") % {"limit": LINK_MAX}, field="tickets"
        )
    visible = tickets_visible_to(by).in_bulk(wanted)
    existing = set(
        ProblemTicket.objects.filter(problem=problem, ticket_id__in=wanted).values_list(
            "ticket_id", flat=True
        )
    )
    for ticket_id in wanted:
        if ticket_id not in visible:
            outcome.not_visible.append(ticket_id)
        elif ticket_id in existing:
            outcome.already.append(ticket_id)
        else:
            ProblemTicket.objects.create(problem=problem, ticket_id=ticket_id, linked_by=by)
            outcome.linked.append(ticket_id)
    if outcome.linked:
        references = [visible[i].reference for i in outcome.linked]
        _event(problem, by, "tickets_linked", at, tickets=outcome.linked, references=references)
    return outcome


def _touch(problem: Problem, at: datetime) -> None:
    problem.updated_at = at
    problem.save(update_fields=["updated_at"])


@transaction.atomic
def link_tickets(*, problem: Problem, by: User, ticket_ids: Sequence[int]) -> LinkOutcome:
    """Link tickets to the problem: those `by` cannot see are reported, not linked (as the
    queue's bulk actions report a ticket nobody may see as not found)."""
    _require_staff(by)
    at = timezone.now()
    problem = _lock(problem)
    outcome = _link(problem, by, ticket_ids, at)
    if outcome.linked:
        _touch(problem, at)
    return outcome


@transaction.atomic
def unlink_ticket(*, problem: Problem, by: User, ticket: Ticket) -> None:
    """Take a ticket off the problem. The ticket must be one `by` can see."""
    _require_staff(by)
    if not can_see_ticket(by, ticket):
        raise QualityPermissionDenied(_("You cannot work on this ticket."))
    at = timezone.now()
    problem = _lock(problem)
    deleted, _rows = ProblemTicket.objects.filter(problem=problem, ticket=ticket).delete()
    if not deleted:
        raise QualityError(_("This ticket is not linked to the problem."), field="ticket")
    _event(problem, by, "ticket_unlinked", at, ticket=ticket.pk, reference=ticket.reference)
    _touch(problem, at)


@dataclass
class FollowUpLinkOutcome:
    linked: list[int] = field(default_factory=list)
    already: list[int] = field(default_factory=list)
    not_found: list[int] = field(default_factory=list)
    tickets: LinkOutcome = field(default_factory=LinkOutcome)


def _link_follow_ups(
    problem: Problem, by: User, ids: Iterable[int], at: datetime
) -> FollowUpLinkOutcome:
    """Link follow-ups and their tickets. Precondition: problem row locked; `by` a manager."""
    wanted = list(dict.fromkeys(ids))
    if len(wanted) > LINK_MAX:
        raise QualityError(
            _("At most %(limit)s follow-ups at a time.") % {"limit": LINK_MAX},
            field="follow_ups",
        )
    found: dict[int, FollowUp] = follow_ups_visible_to(by).in_bulk(wanted)
    existing = set(
        ProblemFollowUp.objects.filter(problem=problem, follow_up_id__in=wanted).values_list(
            "follow_up_id", flat=True
        )
    )
    outcome = FollowUpLinkOutcome()
    for follow_up_id in wanted:
        if follow_up_id not in found:
            outcome.not_found.append(follow_up_id)
        elif follow_up_id in existing:
            outcome.already.append(follow_up_id)
        else:
            ProblemFollowUp.objects.create(problem=problem, follow_up_id=follow_up_id, linked_by=by)
            outcome.linked.append(follow_up_id)
    if outcome.linked:
        _event(problem, by, "follow_ups_linked", at, follow_ups=outcome.linked)
    ticket_ids = [found[i].ticket_id for i in wanted if i in found]
    outcome.tickets = _link(problem, by, ticket_ids, at)
    return outcome


@transaction.atomic
def link_follow_ups(
    *, problem: Problem, by: User, follow_up_ids: Sequence[int]
) -> FollowUpLinkOutcome:
    """Link survey follow-ups (the closed loop's one customer) to the problem (many
    customers), and their tickets with them. Managers and admins: follow-ups are theirs."""
    require_problem_manager(by)
    at = timezone.now()
    problem = _lock(problem)
    outcome = _link_follow_ups(problem, by, follow_up_ids, at)
    _touch(problem, at)
    return outcome


# --- open and change --------------------------------------------------------------------------


@transaction.atomic
def open_problem(
    *,
    by: User,
    title: str,
    description: str = "",
    root_cause: str = "",
    owner: User | None = None,
    ticket_ids: Sequence[int] = (),
    follow_up_ids: Sequence[int] = (),
    origin: dict[str, Any] | None = None,
) -> Problem:
    """A new problem, investigating, with the tickets and follow-ups it was opened from.
    Any agent may open one (with tickets they can see); follow-ups need a manager."""
    _require_staff(by)
    title = _text(title, "title", required=True, limit=TITLE_MAX)
    description = _text(description, "description")
    root_cause = _text(root_cause, "root_cause")
    _check_owner(owner)
    origin = _check_origin(origin)
    if follow_up_ids:
        require_problem_manager(by)
    at = timezone.now()
    problem = Problem.objects.create(
        title=title,
        description=description,
        root_cause=root_cause,
        owner=owner,
        origin=origin,
        created_by=by,
        created_at=at,
        updated_at=at,
    )
    _event(problem, by, "opened", at, title=title, origin=origin)
    if follow_up_ids:
        _link_follow_ups(problem, by, follow_up_ids, at)
    if ticket_ids:
        outcome = _link(problem, by, ticket_ids, at)
        if outcome.not_visible:
            raise QualityError(
                _("Some of these tickets are not ones you can see."), field="tickets"
            )
    return problem


_EDITABLE = ("title", "description", "root_cause", "owner", "status", "fix_note", "fixed_at")


def _shown(value: object) -> object:
    if isinstance(value, User):
        return value.pk
    if isinstance(value, datetime):
        return value.isoformat()
    return value


@transaction.atomic
def update_problem(
    *,
    problem: Problem,
    by: User,
    title: str | None = None,
    description: str | None = None,
    root_cause: str | None = None,
    owner: User | None | bool = False,
    status: str | None = None,
    fix_note: str | None = None,
    fixed_at: datetime | None = None,
) -> Problem:
    """Change what is given (None, and `owner=False`, mean unchanged). Managers and admins.

    Status rules: fixed needs a fix note and a fix date (default now, never in the future);
    leaving fixed clears the date (the event keeps the old one). Every changed field is
    written to one "changed" event, a status move to its own "status" event."""
    require_problem_manager(by)
    at = timezone.now()
    problem = _lock(problem)
    new: dict[str, Any] = {}
    if title is not None:
        new["title"] = _text(title, "title", required=True, limit=TITLE_MAX)
    if description is not None:
        new["description"] = _text(description, "description")
    if root_cause is not None:
        new["root_cause"] = _text(root_cause, "root_cause")
    if owner is not False:
        assert not isinstance(owner, bool)
        _check_owner(owner)
        new["owner"] = owner
    if fix_note is not None:
        new["fix_note"] = _text(fix_note, "fix_note")
    if status is not None and status not in ProblemStatus.values:
        raise QualityError(_("Choose one of the offered statuses."), field="status")
    target = status or problem.status
    if target == ProblemStatus.FIXED:
        note = new.get("fix_note", problem.fix_note)
        if not note:
            raise QualityError(
                _("Say what fixed it: a fixed problem needs a fix note."), field="fix_note"
            )
        when = fixed_at or (problem.fixed_at if problem.status == ProblemStatus.FIXED else None)
        when = when or at
        if when > at:
            raise QualityError(_("The fix date cannot be in the future."), field="fixed_at")
        new["fixed_at"] = when
    elif fixed_at is not None:
        raise QualityError(_("Only a fixed problem has a fix date."), field="fixed_at")
    else:
        new["fixed_at"] = None
    new["status"] = target
    changes = {
        name: [_shown(getattr(problem, name)), _shown(value)]
        for name, value in new.items()
        if getattr(problem, name) != value
    }
    if not changes:
        return problem
    for name, value in new.items():
        setattr(problem, name, value)
    problem.updated_at = at
    problem.save(update_fields=[*_EDITABLE, "updated_at"])
    if "status" in changes:
        old, now = changes["status"]
        _event(
            problem,
            by,
            "status",
            at,
            old=old,
            new=now,
            fixed_at=_shown(problem.fixed_at),
            cleared_fixed_at=changes.get("fixed_at", [None])[0] if now != "fixed" else None,
        )
    rest = {k: v for k, v in changes.items() if k != "status"}
    if rest:
        _event(problem, by, "changed", at, changes=rest)
    return problem


# --- bulk answer ------------------------------------------------------------------------------


def message_for(bulk: ProblemBulkAnswer, language: str) -> str:
    """The message in the customer's language; the other one when theirs is blank."""
    if language == Language.ENGLISH:
        return bulk.message_en or bulk.message_es
    return bulk.message_es or bulk.message_en


@transaction.atomic
def start_bulk_answer(
    *, problem: Problem, by: User, message_es: str, message_en: str, resolve: bool = True
) -> ProblemBulkAnswer:
    """Record a bulk answer to send; `run_bulk_answer` sends it (a Celery task queued after
    commit, quality/tasks_problems.py). Managers and admins, on a fixed problem."""
    require_problem_manager(by)
    problem = _lock(problem)
    if problem.status != ProblemStatus.FIXED:
        raise QualityError(_("Answer the tickets once the problem is fixed."), code="conflict")
    if problem.bulk_answers.filter(finished_at__isnull=True).exists():
        raise QualityError(
            _("A bulk answer is still being sent: wait for it to finish."), code="conflict"
        )
    message_es = _text(message_es, "message_es")
    message_en = _text(message_en, "message_en")
    if not (message_es or message_en):
        raise QualityError(
            _("Write the message in Spanish, in English or both."), field="message_es"
        )
    at = timezone.now()
    bulk = ProblemBulkAnswer.objects.create(
        problem=problem,
        by=by,
        at=at,
        message_es=message_es,
        message_en=message_en,
        resolve=resolve,
    )
    _event(problem, by, "bulk_answer_started", at, bulk_answer=bulk.pk, resolve=resolve)
    from ..tasks_problems import send_bulk_answer  # the task calls back into this module

    transaction.on_commit(lambda: send_bulk_answer.delay(bulk.pk), robust=True)
    return bulk


def _record(bulk_id: int, entry: dict[str, Any]) -> bool:
    """Append one ticket's outcome unless it is there already. Precondition: in a
    transaction. False when another run recorded this ticket first."""
    bulk = ProblemBulkAnswer.objects.select_for_update().get(pk=bulk_id)
    if any(r.get("ticket") == entry["ticket"] for r in bulk.results):
        return False
    bulk.results = [*bulk.results, entry]
    bulk.save(update_fields=["results"])
    return True


class _AlreadyDone(Exception):
    """Another run answered this ticket meanwhile: roll back this one's reply."""


class _NotOpenNow(Exception):
    """The ticket left the open statuses since the run listed it: nothing sent."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


def _answer_one(bulk: ProblemBulkAnswer, ticket: Ticket) -> None:
    """Reply (and resolve) one ticket and record it, in one transaction; raises on refusal."""
    with transaction.atomic():
        locked = Ticket.objects.select_for_update().select_related("customer").get(pk=ticket.pk)
        if locked.status not in ACTIVE_STATUSES:
            raise _NotOpenNow(locked.status)
        language = locked.customer.language
        message = message_for(bulk, language)
        add_reply(ticket=locked, by=bulk.by, body=message, public=True)
        if bulk.resolve:
            resolve_ticket(ticket=locked, by=bulk.by, resolution=message)
        entry = {
            "ticket": locked.pk,
            "reference": locked.reference,
            "outcome": "answered",
            "language": language,
            "resolved": bulk.resolve,
            "reason": "",
        }
        if not _record(bulk.pk, entry):
            raise _AlreadyDone


def _refused(bulk: ProblemBulkAnswer, ticket: Ticket, reason: str = "", **codes: str) -> None:
    """Record a refusal: the cases services' words, or a code worded when read
    (`ProblemBulkAnswer.worded_results`, in the reader's language)."""
    with transaction.atomic():
        _record(
            bulk.pk,
            {
                "ticket": ticket.pk,
                "reference": ticket.reference,
                "outcome": "refused",
                "reason": reason,
                **codes,
            },
        )


def run_bulk_answer(*, bulk_answer_id: int, limit: int | None = None) -> ProblemBulkAnswer:
    """Send the bulk answer to every linked ticket still open, EACH IN ITS OWN TRANSACTION
    (the reply, the resolution and the ticket's line in `results` commit together), so one
    refused ticket stops nothing else and a rerun skips every ticket already in `results`:
    safe to call again after a crash. Linked tickets not open when the run reaches them are
    listed as skipped, refused ones with the reason the cases services gave. With `limit`,
    at most that many tickets are handled and the answer stays unfinished if more remain
    (the task then queues itself again, each run well inside Celery's time limit)."""
    bulk = ProblemBulkAnswer.objects.select_related("problem", "by").get(pk=bulk_answer_id)
    if bulk.finished_at is not None:
        return bulk
    done = {r.get("ticket") for r in bulk.results}
    tickets = (
        Ticket.objects.filter(problem_links__problem=bulk.problem_id)
        .exclude(pk__in=done)
        .select_related("customer")
        .order_by("pk")
    )
    if limit is not None:
        tickets = tickets[: limit + 1]
    for handled, ticket in enumerate(tickets):
        if limit is not None and handled == limit:
            return bulk
        if ticket.status not in ACTIVE_STATUSES:
            entry = {
                "ticket": ticket.pk,
                "reference": ticket.reference,
                "outcome": "skipped",
                "code": "already",
                "status": ticket.status,
                "reason": "",
            }
            with transaction.atomic():
                _record(bulk.pk, entry)
            continue
        try:
            _answer_one(bulk, ticket)
        except _AlreadyDone:
            continue
        except _NotOpenNow as moved:
            _refused(bulk, ticket, code="not_open_now", status=moved.status)
        except CasesError as refused:
            _refused(bulk, ticket, refused.message)
        except Exception:  # one ticket's failure never stops the others: listed, logged
            logger.exception("Bulk answer %s failed on ticket %s", bulk.pk, ticket.pk)
            _refused(bulk, ticket, code="error")
    with transaction.atomic():
        bulk = ProblemBulkAnswer.objects.select_for_update().get(pk=bulk.pk)
        if bulk.finished_at is None:
            bulk.finished_at = timezone.now()
            bulk.save(update_fields=["finished_at"])
            counts: dict[str, int] = {}
            for r in bulk.results:
                counts[r["outcome"]] = counts.get(r["outcome"], 0) + 1
            problem = _lock(bulk.problem)
            _event(
                problem, bulk.by, "bulk_answered", bulk.finished_at, bulk_answer=bulk.pk, **counts
            )
    return bulk
