"""The signals `cases` sends, both *inside* the transaction that makes the change, after the
ticket and its event are written: a receiver that writes rows commits or rolls back with the
change. Receivers must not do slow I/O; they queue it with `transaction.on_commit`.

- `ticket_resolved(sender=Ticket, ticket, by, at, event, replay)` — sent by `resolve_ticket`.
  `event` is the `resolved` TicketEvent (one per resolution); `replay` is True while history
  is being replayed (demo data, imports): receivers must cause no side effects then.
  The surveys app connects to it to write the survey invitation.
- `ticket_registered(sender=Ticket, ticket, by, at, replay)` — sent by `register_ticket`
  (every new case: the agents' form, the web form, e-mail, the API) once the ticket and its
  events are written. `by` is the agent who registered it, or None when the customer did;
  `replay` as above. The insights app queues the auto-apply of triage suggestions (after
  commit) when an admin has switched it on.
- `ticket_reopened(sender=Ticket, ticket, by, at, replay)` — sent when a resolved ticket goes
  back to open (an agent reopens it or the customer replies). The surveys app withdraws an
  unanswered survey.
- `ticket_merged(sender=Ticket, source, target, by, at, replay)` — sent by `merge_tickets`
  once the source is merged. The surveys app withdraws the source's unanswered survey.
- `customer_case_links(sender=Ticket, ticket)` — asked, outside any transaction, by the
  customer portal's case page (cases/views/portal.py, `ticket_page`) when the case's own
  customer views it: a receiver answers a list of `CustomerCaseLink` to offer them on the
  page, or None. Reads only. The surveys app offers the case's survey while it can be
  answered.
- `customers_merged(sender=Customer, kept, duplicate, ticket_ids, by, at, replay)` — sent by
  `merge_customers` once the duplicate's tickets are the kept record's (`ticket_ids`) and
  before the duplicate is deleted: a receiver moves its own rows that name the duplicate to
  the kept record and answers what moved, as `{kind: count}` (recorded in
  `CustomerMerge.moved`). The surveys app moves the survey invitations (their answers and
  follow-ups belong to the tickets); the metrics app marks the moved tickets' rollups.
- `customer_merge_counts(sender=Customer, customer)` — asked by the merge's confirmation
  page: a receiver answers `{kind: count}` of the rows a merge of `customer` would move.
  Reads only.
- `web_case_submitted(sender=Ticket, ticket, visit_token)` — sent by the web form `/support/`
  (cases/views/portal.py, `new_case`) once a case is created, outside its transaction, with
  the form's posted `deflection_visit` field ("" when absent; any text, so a receiver checks
  it). The knowledge app connects to it to note that the visit's suggested articles did not
  spare a ticket (docs/knowledge.md, deflection).
- `demo_loaded(sender=World, seed, now, managers)` — sent by the demo loader
  (cases/demo/load.py, `load_demo`) at the end of a load that created the demo desk, inside
  its transaction and while history is replayed: a higher app adds its own demo data
  (deterministic for `seed`, dated before `now`; `managers` may author it). The knowledge
  app writes the help centre's articles and their history.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.dispatch import Signal

ticket_registered = Signal()
ticket_resolved = Signal()
ticket_reopened = Signal()
ticket_merged = Signal()
customer_case_links = Signal()


@dataclass(frozen=True)
class CustomerCaseLink:
    """A link a higher app offers the customer on their case page: what it says (in the
    language active while the page renders), where it goes, a Bootstrap icon's name."""

    label: str
    url: str
    icon: str = "link-45deg"


customers_merged = Signal()
customer_merge_counts = Signal()
web_case_submitted = Signal()
demo_loaded = Signal()

# The web form's field a higher app's fragment may add to it (see web_case_submitted).
WEB_FORM_VISIT_FIELD = "deflection_visit"

_replaying: ContextVar[bool] = ContextVar("replaying_history", default=False)


@contextmanager
def replaying_history() -> Iterator[None]:
    """Mark work that replays the past (demo data, history import): services behave as usual,
    but the signals tell receivers not to send e-mails or surveys."""
    token = _replaying.set(True)
    try:
        yield
    finally:
        _replaying.reset(token)


def is_replaying() -> bool:
    return _replaying.get()
