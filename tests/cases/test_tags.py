"""Tags on tickets: one spelling per tag, every change through the service and in the
timeline, refused changes write nothing."""

import pytest

from cases import services
from cases.errors import ConflictError, PermissionDenied, TransitionError, ValidationError
from cases.models import EventKind, Status, Tag, Ticket, TicketEvent, TicketTag
from cases.tags import MAX_LENGTH, normalise_tag, split_tags

from .lifecycle_helpers import bring_to


def tags_of(ticket: Ticket) -> list[str]:
    return sorted(Ticket.objects.get(pk=ticket.pk).tags.values_list("name", flat=True))


@pytest.mark.parametrize(
    ("typed", "tag"),
    [
        ("VIP", "vip"),
        ("  Factura   Duplicada ", "factura duplicada"),
        ("Envío", "envío"),
        ("ENVÍO", "envío"),
        ("Envi\u0301o", "envío"),  # a combining accent is the same tag as the composed one
    ],
)
def test_a_tag_is_trimmed_single_spaced_and_lower_case(typed, tag):
    assert normalise_tag(typed) == tag


@pytest.mark.parametrize(
    "typed",
    ["", "   ", "a" * (MAX_LENGTH + 1), "uno,dos", "tab\there-is-fine-but\x00nul", "\u200bzero"],
)
def test_what_cannot_be_a_tag_is_refused_with_a_reason(typed):
    with pytest.raises(ValidationError) as refused:
        normalise_tag(typed)
    assert refused.value.field == "tags"
    assert refused.value.message


def test_several_tags_typed_in_one_field_are_split_on_commas_and_kept_once():
    assert split_tags("VIP, envío ,, Vip, factura") == ["vip", "envío", "factura"]


def test_an_agent_adds_and_removes_tags_and_the_timeline_says_so(ticket, ana):
    before = Ticket.objects.get(pk=ticket.pk)
    services.change_tags(ticket=ticket, by=ana, add=["VIP", "Envío"])
    assert tags_of(ticket) == ["envío", "vip"]
    after = Ticket.objects.get(pk=ticket.pk)
    assert after.version == before.version + 1
    event = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TAGGED).get()
    assert event.actor == ana
    assert event.data == {"added": ["vip", "envío"], "removed": []}
    assert TicketTag.objects.get(ticket=ticket, tag__name="vip").added_by == ana

    services.change_tags(ticket=ticket, by=ana, add=["urgente"], remove=["VIP"])
    assert tags_of(ticket) == ["envío", "urgente"]
    last = TicketEvent.objects.filter(ticket=ticket, kind=EventKind.TAGGED).latest("pk")
    assert last.data == {"added": ["urgente"], "removed": ["vip"]}
    assert Tag.objects.filter(name="vip").exists()  # a tag outlives its last ticket


def test_a_change_that_changes_nothing_records_nothing(ticket, ana):
    services.change_tags(ticket=ticket, by=ana, add=["vip"])
    version = Ticket.objects.get(pk=ticket.pk).version
    events = TicketEvent.objects.filter(ticket=ticket).count()
    services.change_tags(ticket=ticket, by=ana, add=["VIP"], remove=["never-there"])
    assert Ticket.objects.get(pk=ticket.pk).version == version
    assert TicketEvent.objects.filter(ticket=ticket).count() == events


def test_one_spelling_is_one_tag_across_tickets(ticket, ana, team_n1):
    from tests.factories import make_ticket

    other = make_ticket(by=ana, team=team_n1)
    services.change_tags(ticket=ticket, by=ana, add=["Factura"])
    services.change_tags(ticket=other, by=ana, add=["  FACTURA "])
    assert Tag.objects.filter(name="factura").count() == 1
    assert Tag.objects.get(name="factura").tickets.count() == 2


@pytest.mark.parametrize(
    ("add", "remove"),
    [(["vip", "a" * 60], []), (["vip"], ["VIP"]), ([f"t{n}" for n in range(21)], [])],
)
def test_a_refused_change_writes_nothing(ticket, ana, add, remove):
    version = Ticket.objects.get(pk=ticket.pk).version
    with pytest.raises(ValidationError):
        services.change_tags(ticket=ticket, by=ana, add=add, remove=remove)
    assert tags_of(ticket) == []
    assert not Tag.objects.exists()
    assert Ticket.objects.get(pk=ticket.pk).version == version


def test_a_closed_ticket_keeps_its_tags(ticket, ana):
    services.change_tags(ticket=ticket, by=ana, add=["vip"])
    closed = bring_to(ticket, Status.CLOSED, by=ana)
    with pytest.raises(TransitionError):
        services.change_tags(ticket=closed, by=ana, remove=["vip"])
    assert tags_of(ticket) == ["vip"]


def test_only_someone_who_works_the_ticket_tags_it(ticket, carla):
    with pytest.raises(PermissionDenied):
        services.change_tags(ticket=ticket, by=carla, add=["vip"])
    assert tags_of(ticket) == []


def test_a_stale_version_is_refused(ticket, ana, bruno):
    seen = Ticket.objects.get(pk=ticket.pk).version
    services.change_tags(ticket=ticket, by=bruno, add=["vip"])
    with pytest.raises(ConflictError):
        services.change_tags(ticket=ticket, by=ana, add=["envío"], expected_version=seen)
    assert tags_of(ticket) == ["vip"]
