"""The one signal `cases` sends.

`ticket_resolved(sender=Ticket, ticket, by, at)` is sent by `resolve_ticket` *inside* the
resolving transaction, after the ticket and its event are written: a receiver that writes
rows (the surveys app writes the survey invitation) commits or rolls back with the
resolution. Receivers must not do slow I/O; they queue it with `transaction.on_commit`.
"""

from django.dispatch import Signal

ticket_resolved = Signal()
