"""History import (docs/import.md): a previous helpdesk's teams, customers, agents and
tickets — with their events and survey answers — read from JSON Lines and replayed through
the same rules as live work, so the KPIs start with that history.

Three steps, every problem kept with its line number; the file is streamed, never held in
memory (run.py reads it twice):
1. **Read** each line (records.py): JSON object, `type`, `external_id` (unique within its
   type), fields, enum values, timestamps with an offset and not in the future,
   `YYYY-MM-DD` dates, survey scales, and each ticket's events in time order.
2. **Resolve references** (references.py) once the whole file is read: a ticket's customer,
   assignee and event actors are valid records of the file or records imported by an
   earlier file; a team named anywhere must not be defined by an invalid team record.
3. **Replay** in one transaction inside `replaying_history()`, so nothing is e-mailed and no
   survey is sent: teams, customers, agents (people.py), then the tickets in order of
   creation. Each ticket goes through the services' own steps in memory — the lifecycle
   table, the counters, the SLA clocks, its surveys — and is written with its batch in one
   COPY per table (bulk.py); `replay="services"` calls the services one by one instead
   (replay_services.py), the reference a test holds the batched writer to. A step the
   lifecycle or any other service rule refuses makes that ticket invalid, with nothing of
   it written, so one run finds every problem. With any problem the whole transaction is
   rolled back — unless `skip_invalid`: then the valid records stay and the invalid ones are
   listed.

Decisions where the format is silent:
- Idempotency: every record written or adopted gets an `ImportedRecord(type, external_id)`.
  A record found there is "already present" and left exactly as it is (not updated); a ticket
  already imported is skipped whole. References may point at records of earlier imports.
- Customers are matched by e-mail, whatever its case: an existing customer is adopted, not
  duplicated, and only its `active_since` moves earlier when the history knows an earlier
  start. A customer record without `active_since` starts on the day of its first (valid)
  ticket in the file. Two customer records with one e-mail are an error.
- Agents are matched by username: an existing user is adopted, keeps their password and gains
  the teams and the role group the record names. New users get an unusable password (they
  choose one through "forgot password"). Role group: Agent, or Manager with `"manager": true`.
- Teams named by agents, tickets and escalations are created if missing, at support level 1
  unless a team record gives the level; an existing team of that name is adopted as it is.
  Categories named by tickets are created if missing. Names are matched exactly.
- A ticket's `team` and `assignee` are those at its creation. The assignee must then be a
  member of that team — which they are when their agent record lists it — otherwise
  registering it is refused and the ticket is invalid, as live work would be.
- Historical authority: an event's actor may act on the ticket whatever their teams are today.
  In the format's example a-3 (Soporte N1) sets the ticket pending after escalating it to
  Soporte N2, which live visibility rules would refuse; the services skip that one check
  while replaying history (`cases.signals.replaying_history`). Every other rule — the
  lifecycle, active users, assignees in the ticket's team, non-empty texts, level ≤ 3 — holds.
- `by` is an agent's external id, or "customer" for a customer's reply or reopening; a
  `closed` event without `by` is a system close. Besides the format's kinds, `resumed`
  (pending → open by an agent) and `assigned` (`"assignee"`: an agent's id, or null to
  unassign) are accepted.
- Events are listed in time order (equal times keep their order), none before the ticket's
  creation; the list order is the replay order.
- A survey is about the last resolution before its `sent_at` (none: an error) and takes its
  place in the timeline there. When the customer or an agent reopened the ticket after that
  resolution, the reopening withdraws it as it does live (`withdraw_surveys`): unanswered, it
  ends expired with `withdrawn_at` and a "survey withdrawn" event, and still counts as sent
  for the response rate; answered before the reopening, the answer stands (with its
  follow-up). A survey sent at or after that reopening, or answered at or after it, is an
  error: live, the link no longer works then. `survey` may also be a list, in `sent_at` order,
  for a ticket surveyed after each of several resolutions (one survey per resolution at most).
  `answered_at` may not precede `sent_at`, and scores without `answered_at` are an error. An
  unhappy answer opens its follow-up (nobody alerted).
- SLA: a ticket gets the policy that matches it and its due times, as live. A deadline that
  fell during the history (before an event, or before the import for what is still open) is
  marked passed and, for a due time, breached at that moment — as the beat's check would have
  marked it, so the SLA figures count it — but nobody is warned and nothing escalates (the
  history lists its own escalations). An imported ticket still open is live from the import
  on: its next deadline warns and escalates as any other.
- A team with automatic assignment (round robin, fewest open tickets) picks its agent from
  the tickets already in the database: a ticket that needs it is replayed through the
  services, after the tickets before it are written.
- Rollups: every imported ticket is marked changed (`RollupChange`), as the services' saves
  mark it; the refresh then counts it.
- People the import creates, or makes managers, get no weekly digest of the last full week
  before the import (it was lived in the old tool); next Monday's goes out as usual.
- Unknown fields are errors: a misspelt "asignee" must not silently drop the assignee.
- Messages are English, for the operator at the terminal, like Django's own commands.
"""

from .records import TYPES
from .report import Counts, ImportReport, Problem
from .run import Progress, Replay, import_history

__all__ = ["TYPES", "Counts", "ImportReport", "Problem", "Progress", "Replay", "import_history"]
