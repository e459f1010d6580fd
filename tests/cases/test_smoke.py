from cases.models import EventKind, Status


def test_registering_a_ticket_records_a_created_event(ticket):
    assert ticket.status == Status.NEW
    assert ticket.reference.startswith("PUL-")
    assert list(ticket.events.values_list("kind", flat=True)) == [EventKind.CREATED]
