"""Macros: a safe text with a fixed set of placeholders, saved by whoever may own them, and
applied through the services all or nothing."""

import pytest

from cases import services
from cases.errors import ConflictError, PermissionDenied, TransitionError, ValidationError
from cases.macro_text import MacroContext, check_macro_text, render_macro_text
from cases.models import (
    EventKind,
    Macro,
    MacroStatus,
    MacroUse,
    Priority,
    Reply,
    Status,
    Ticket,
    TicketEvent,
)
from cases.selectors import macros_offered_to

from .lifecycle_helpers import bring_to


def snapshot(ticket):
    fresh = Ticket.objects.get(pk=ticket.pk)
    return (
        fresh.status,
        fresh.priority,
        fresh.assignee_id,
        fresh.version,
        sorted(fresh.tags.values_list("name", flat=True)),
        Reply.objects.filter(ticket=ticket).count(),
        TicketEvent.objects.filter(ticket=ticket).count(),
        MacroUse.objects.filter(ticket=ticket).count(),
    )


# --- the text ---------------------------------------------------------------------------------


def test_placeholders_are_filled_in_as_plain_text(ticket, ana):
    ticket.customer.name = "Lucía <b>Torres</b>"
    text = render_macro_text(
        "Hola {{ customer.first_name }}, soy {{agent.first_name}}: tu caso {{ ticket.reference }}"
        " ({{ ticket.subject }}).",
        MacroContext(ticket=ticket, agent=ana),
    )
    assert text == (
        f"Hola Lucía, soy Ana: tu caso {ticket.reference} (The printer does not print)."
    )
    assert "<b>" not in render_macro_text("{{ customer.first_name }}", MacroContext(ticket, ana))


@pytest.mark.parametrize(
    "text",
    [
        "{% load static %}Hola",
        "{{ settings.SECRET_KEY }}",
        "{{ customer.name.upper }}",
        "{{ customer.name|upper }}",
        "{{ ticket.customer.email }}",
        "{{ ticket.__class__ }}",
        "{# comment #}",
        "{{customer.first_name}} }} dangling",
        "{{ request.user.password }}",
        "{% include 'base.html' %}",
    ],
)
def test_template_injection_is_refused_when_the_macro_is_saved(text, marta):
    with pytest.raises(ValidationError):
        check_macro_text(text)
    with pytest.raises(ValidationError):
        services.save_macro(by=marta, shared=True, title="Malicioso", body_es=text)
    assert not Macro.objects.exists()


def test_text_that_was_never_checked_is_never_evaluated(ticket, ana):
    # An old or imported text keeps unknown syntax as it is: nothing is interpreted.
    text = "{{ settings.SECRET_KEY }} {% now 'Y' %}"
    assert render_macro_text(text, MacroContext(ticket=ticket, agent=ana)) == text


# --- who saves what ---------------------------------------------------------------------------


def test_managers_share_macros_and_agents_keep_personal_ones(marta, ana, bruno, carla, team_n2):
    shared = services.save_macro(by=marta, shared=True, title="Saludo", body_es="Hola")
    for_n2 = services.save_macro(
        by=marta, shared=True, teams=[team_n2], title="Solo N2", body_es="Hola N2"
    )
    mine = services.save_macro(by=ana, title="Mi firma", body_es="Saludos, Ana")
    assert mine.owner == ana and shared.owner is None
    assert set(macros_offered_to(ana)) == {shared, mine}
    assert set(macros_offered_to(bruno)) == {shared}
    assert set(macros_offered_to(carla)) == {shared, for_n2}
    assert set(macros_offered_to(marta)) == {shared, for_n2}

    with pytest.raises(PermissionDenied):
        services.save_macro(by=ana, shared=True, title="Compartida", body_es="x")
    with pytest.raises(PermissionDenied):
        services.save_macro(by=bruno, macro=mine, title="Robada")
    with pytest.raises(PermissionDenied):
        services.save_macro(by=ana, macro=shared, title="Cambiada")
    assert Macro.objects.get(pk=mine.pk).title == "Mi firma"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"title": " "}, "title"),
        ({"title": "Vacía"}, "body_es"),
        ({"title": "Resuelve sin texto", "set_status": MacroStatus.RESOLVED}, "body_es"),
        ({"title": "Mala etiqueta", "body_es": "x", "add_tags": "a" * 60}, "add_tags"),
        ({"title": "Marcador", "body_en": "Hi {{ customer.nickname }}"}, "body_en"),
    ],
)
def test_a_macro_that_cannot_work_is_refused_with_the_field(marta, fields, field):
    with pytest.raises(ValidationError) as refused:
        services.save_macro(by=marta, shared=True, **fields)
    assert refused.value.field == field
    assert not Macro.objects.exists()


def test_tags_are_stored_normalised(marta):
    macro = services.save_macro(
        by=marta, shared=True, title="Envío", body_es="x", add_tags="VIP,  Envío Retrasado"
    )
    assert macro.add_tags == "vip, envío retrasado"


# --- applying ---------------------------------------------------------------------------------


def test_a_macro_replies_in_the_customers_language_and_runs_its_actions(marta, ana, ticket):
    macro = services.save_macro(
        by=marta,
        shared=True,
        title="Envío retrasado",
        body_es="Hola {{ customer.first_name }}, tu pedido {{ ticket.reference }} sale mañana.",
        body_en="Hi {{ customer.first_name }}, your order ships tomorrow.",
        set_priority=Priority.HIGH,
        assign_to_me=True,
        add_tags="envío-retrasado",
        set_status=MacroStatus.PENDING,
    )
    after = services.apply_macro(ticket=ticket, by=ana, macro=macro)
    assert after.status == Status.PENDING
    assert after.priority == Priority.HIGH
    assert after.assignee == ana
    assert list(after.tags.values_list("name", flat=True)) == ["envío-retrasado"]
    reply = Reply.objects.get(ticket=ticket)
    assert reply.body == f"Hola Lucía, tu pedido {ticket.reference} sale mañana."
    assert reply.public and reply.author == ana
    use = MacroUse.objects.get(ticket=ticket)
    assert (use.macro, use.agent) == (macro, ana)
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.MACRO_APPLIED).exists()


def test_the_agents_edited_text_is_what_goes_out(marta, ana, ticket):
    macro = services.save_macro(by=marta, shared=True, title="Saludo", body_es="Hola")
    services.apply_macro(ticket=ticket, by=ana, macro=macro, body="Hola Lucía, un gusto.")
    assert Reply.objects.get(ticket=ticket).body == "Hola Lucía, un gusto."


def test_a_resolving_macro_resolves_with_its_text(marta, ana, ticket):
    macro = services.save_macro(
        by=marta,
        shared=True,
        title="Resuelto",
        body_es="Reemplazamos el cartucho.",
        set_status=MacroStatus.RESOLVED,
    )
    ticket = bring_to(ticket, Status.OPEN, by=ana)
    after = services.apply_macro(ticket=ticket, by=ana, macro=macro)
    assert after.status == Status.RESOLVED
    assert after.resolution == "Reemplazamos el cartucho."


def test_one_refused_action_refuses_the_whole_macro_and_changes_nothing(marta, ana, ticket):
    # A NEW ticket cannot be set pending: the reply and the tags before it are undone too.
    macro = services.save_macro(
        by=marta,
        shared=True,
        title="Pendiente",
        body_es="Te escribimos pronto.",
        add_tags="en-espera",
        set_priority=Priority.URGENT,
        set_status=MacroStatus.PENDING,
    )
    ticket = Ticket.objects.get(pk=ticket.pk)
    services.add_reply(ticket=ticket, by=ana, body="nota", public=False)  # stays new
    before = snapshot(ticket)
    assert before[0] == Status.NEW
    with pytest.raises(TransitionError):
        services.apply_macro(
            ticket=ticket, by=ana, macro=macro, body="", public=False
        )  # a note keeps it new; pending is refused
    assert snapshot(ticket) == before


def test_a_stale_version_or_a_macro_not_offered_changes_nothing(marta, ana, bruno, ticket, team_n2):
    macro = services.save_macro(by=marta, shared=True, title="Saludo", body_es="Hola")
    seen = Ticket.objects.get(pk=ticket.pk).version
    services.add_reply(ticket=ticket, by=bruno, body="Yo lo tomo")
    before = snapshot(ticket)
    with pytest.raises(ConflictError):
        services.apply_macro(ticket=ticket, by=ana, macro=macro, expected_version=seen)
    assert snapshot(ticket) == before

    other_team = services.save_macro(
        by=marta, shared=True, teams=[team_n2], title="Solo N2", body_es="Hola"
    )
    someone_elses = services.save_macro(by=bruno, title="De Bruno", body_es="Hola")
    for macro in (other_team, someone_elses):
        with pytest.raises(PermissionDenied):
            services.apply_macro(ticket=ticket, by=ana, macro=macro)
    assert snapshot(ticket) == before
