"""Drive a ticket to any status through the real services."""

from cases import services
from cases.models import Status


def a_twin_of(ticket, *, by):
    """Another ticket of the same customer and team: what a duplicate merges into."""
    return services.register_ticket(
        by=by,
        customer=ticket.customer,
        channel=ticket.channel,
        subject=f"{ticket.subject} (again)",
        description="Same problem.",
        team=ticket.team,
    )


def bring_to(ticket, status, *, by):
    if status == Status.NEW:
        return ticket
    if status == Status.MERGED:
        services.merge_tickets(source=ticket, target=a_twin_of(ticket, by=by), by=by)
        return ticket.__class__.objects.get(pk=ticket.pk)
    services.add_reply(ticket=ticket, by=by, body="We are on it.")
    if status == Status.OPEN:
        return ticket.__class__.objects.get(pk=ticket.pk)
    if status == Status.PENDING:
        return services.set_pending(ticket=ticket, by=by)
    ticket = services.resolve_ticket(ticket=ticket, by=by, resolution="Replaced the cartridge.")
    if status == Status.RESOLVED:
        return ticket
    return services.close_ticket(ticket=ticket, by=by)
