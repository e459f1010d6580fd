"""The ticket search (cases/search.py, docs/search.md): one box over the reference, subject,
description, every reply and note, and the customer's name and e-mail, accents and case
ignored; ranked, with the passage where the words are. Every test here runs on SQLite and on
PostgreSQL (DATABASE_URL): the two must find the same tickets."""

import io
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from cases import services
from cases.models import Ticket, TicketSearchDocument
from cases.search import TicketSearch, fragments, matching, ranked, rebuild_documents
from cases.selectors import ticket_search, tickets_visible_to
from cases.services.inbound import ingest_email
from tests.cases.test_inbound_email import gmail_new, mail
from tests.factories import CustomerFactory, make_ticket

on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="PostgreSQL's documents, index and triggers"
)


@pytest.fixture
def desk(ana, team_n1):
    lucia = CustomerFactory(name="Lucía Núñez", email="lucia.torres@example.com")
    otto = CustomerFactory(name="Otto Weber", email="otto@weber.example")
    return {
        "printer": make_ticket(
            by=ana,
            team=team_n1,
            customer=otto,
            subject="La impresora no imprime",
            description="Parpadea en naranja desde el lunes.",
        ),
        "invoice": make_ticket(
            by=ana,
            team=team_n1,
            customer=otto,
            subject="Question",
            description="Me cobraron dos veces la facturación de marzo: 20254572 (100%).",
        ),
        "shipping": make_ticket(
            by=ana,
            team=team_n1,
            customer=lucia,
            subject="Envío retrasado",
            description="The parcel is late; la devolucion tampoco llega.",
        ),
    }


def found(term: str) -> set[int]:
    return set(Ticket.objects.filter(ticket_search(term)).values_list("pk", flat=True))


def ids(desk, *names) -> set[int]:
    return {desk[name].pk for name in names}


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("envio", ["shipping"]),  # written with its accent, typed without
        ("ENVÍO", ["shipping"]),
        ("devolución", ["shipping"]),  # written without, typed with
        ("devolucion", ["shipping"]),
        ("facturacion", ["invoice"]),
        ("Facturación", ["invoice"]),
        ("Nuñez", ["shipping"]),  # the customer's name
        ("lucia", ["shipping"]),
        ("LUCÍA", ["shipping"]),
    ],
)
def test_accented_and_unaccented_words_find_the_same_tickets(term, expected, desk):
    assert found(term) == ids(desk, *expected)


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("factura", ["invoice"]),  # the beginning of a word finds it
        ("imprim", ["printer"]),
        ("PARPADEA naranja", ["printer"]),  # every word must be there, anywhere
        ("impresora marzo", []),
        ("im", []),  # one or two letters: whole words only
        ("no", ["printer"]),
        ("2025457", []),  # numbers: whole numbers only
        ("20254572", ["invoice"]),
        ("nothing like this", []),
    ],
)
def test_a_word_finds_the_words_it_begins(term, expected, desk):
    assert found(term) == ids(desk, *expected)


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("lucia.torres@", ["shipping"]),
        ("LUCIA.TORRES@EXAMPLE.COM", ["shipping"]),
        ("weber.example", ["printer", "invoice"]),
        ("otto@weber", ["printer", "invoice"]),
        ("Otto Weber", ["printer", "invoice"]),
    ],
)
def test_the_customers_name_and_e_mail_find_their_tickets(term, expected, desk):
    assert found(term) == ids(desk, *expected)


def test_the_words_of_an_address_must_come_together(desk, ana, team_n1):
    apart = make_ticket(by=ana, team=team_n1, description="Weber llamó; Otto no estaba.")
    assert apart.pk in found("weber otto")
    assert apart.pk not in found("otto@weber")


@pytest.mark.parametrize("query", ["PUL-{pk:06d}", "pul-{pk}", "{pk}", "{pk:06d}"])
def test_a_reference_finds_its_ticket_first(query, desk):
    ticket = desk["invoice"]
    search = TicketSearch.parse(query.format(pk=ticket.pk))
    assert ticket.pk in found(query.format(pk=ticket.pk))
    first = ranked(Ticket.objects.filter(matching(search)), search).first()
    assert first == ticket


@pytest.mark.parametrize("term", ["%", "_", "' OR 1=1 --", "¿?", "   ", "'\\:*|&!"])
def test_a_search_without_words_or_with_odd_characters_never_fails(term, desk):
    assert found(term) == set()


# --- what becomes searchable, whoever writes it -------------------------------------------------


def test_a_reply_and_a_note_are_searchable_at_once(desk, ana):
    ticket = desk["printer"]
    services.add_reply(ticket=ticket, by=ana, body="Cambia el cartucho de tóner, por favor.")
    services.add_reply(
        ticket=ticket, by=ana, body="El proveedor confirma el defecto.", public=False
    )
    services.add_customer_reply(ticket=ticket, body="Ya lo cambié y sigue el atasco.")

    assert found("toner") == {ticket.pk}
    assert found("proveedor defecto") == {ticket.pk}
    assert found("atasco") == {ticket.pk}
    assert found("cartucho atasco naranja") == {ticket.pk}  # words of three messages


def test_a_new_subject_and_a_renamed_customer_are_searchable(desk, ana):
    services.classify_ticket(ticket=desk["invoice"], by=ana, subject="Cobro duplicado")
    otto = desk["printer"].customer
    services.update_customer(customer=otto, by=None, name="Ottó Wéber-Schmidt")

    assert found("cobro duplicado") == ids(desk, "invoice")
    assert found("question") == set()
    assert found("schmidt") == ids(desk, "printer", "invoice")


def test_an_inbound_e_mail_is_searchable(desk):
    created = ingest_email(gmail_new()).ticket
    assert found("blinks orange") == {created.pk}  # its description

    reply = mail(
        {
            "From": "Lucía Torres <lucia@example.com>",
            "Subject": "Re: Impresora no imprime",
            "Message-ID": "<CAF2@mail.gmail.com>",
            "In-Reply-To": "<CAF1@mail.gmail.com>",
        },
        "Ya probé a reiniciarla con el botón trasero.",
    )
    ingest_email(reply)
    assert found("boton trasero") == {created.pk}


def test_an_imported_history_is_searchable(db):
    example = Path(__file__).parent.parent / "metrics" / "fixtures" / "example.jsonl"
    call_command("import_history", str(example), stdout=io.StringIO(), stderr=io.StringIO())

    ticket = Ticket.objects.get(subject="Factura duplicada")
    assert found("pasarela") == {ticket.pk}  # an internal note of the history
    assert found("quedo atenta") == {ticket.pk}  # the customer's reply
    assert ticket.pk in found("ana@example.com")


def test_a_merged_ticket_is_found_through_the_one_that_carries_on(desk, ana):
    source, target = desk["printer"], desk["invoice"]
    services.add_reply(ticket=source, by=ana, body="Enviamos un técnico el jueves.", public=False)

    services.merge_tickets(source=source, target=target, by=ana)

    assert target.pk in found("tecnico jueves")
    assert source.pk not in found("tecnico jueves")


# --- who may find what ------------------------------------------------------------------------


def test_an_agent_never_finds_a_ticket_they_may_not_see(desk, carla):
    assert found("impresora") == ids(desk, "printer")
    visible = tickets_visible_to(carla).filter(ticket_search("impresora"))
    assert not visible.exists()


# --- relevance and the passage ----------------------------------------------------------------


def test_a_subject_match_ranks_above_a_mention_deep_in_a_reply(ana, team_n1):
    deep = make_ticket(by=ana, team=team_n1, subject="Printer", description="Paper jam.")
    for n in range(3):
        services.add_reply(ticket=deep, by=ana, body=f"Checked the tray {n}.", public=False)
    services.add_reply(ticket=deep, by=ana, body="It may be the fuser unit after all.")
    in_subject = make_ticket(by=ana, team=team_n1, subject="Fuser unit broken", description="x")
    make_ticket(by=ana, team=team_n1, subject="Unrelated", description="Nothing here.")
    search = TicketSearch.parse("fuser")

    order = list(ranked(Ticket.objects.filter(matching(search)), search))

    assert order == [in_subject, deep]


def test_the_passage_marks_the_words_found_in_the_conversation(desk, ana):
    ticket = desk["printer"]
    services.add_reply(ticket=ticket, by=ana, body="Hemos pedido un cartucho de tóner nuevo.")
    search = TicketSearch.parse("toner")

    passage = fragments([ticket], search)[ticket.pk]

    assert "<mark>tóner</mark>" in passage
    assert "cartucho" in passage


def test_the_passage_escapes_the_tickets_text(ana, team_n1):
    ticket = make_ticket(
        by=ana,
        team=team_n1,
        subject="Página rota",
        description='Hola, <script>alert("x")</script> el botón <b>pagar</b> falla si el '
        "importe es < 5 € & <img src=x onerror=alert(1)>",
    )
    search = TicketSearch.parse("pagar")

    passage = fragments([ticket], search)[ticket.pk]

    assert "<mark>pagar</mark>" in passage
    text = passage.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in text and ">" not in text
    assert "&lt; 5 € &amp;" in passage and "&lt;img" in passage


def test_a_ticket_found_by_its_subject_or_customer_has_no_passage(desk):
    assert fragments([desk["printer"]], TicketSearch.parse("impresora")) == {}
    assert fragments([desk["printer"]], TicketSearch.parse("otto")) == {}


# --- PostgreSQL's documents --------------------------------------------------------------------


@on_postgresql
def test_every_ticket_has_its_document_and_the_index_exists(desk):
    assert TicketSearchDocument.objects.count() == Ticket.objects.count() == 3
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'ticket_search_vector'")
        assert "USING gin (vector)" in cursor.fetchone()[0]


@on_postgresql
def test_documents_written_without_the_triggers_are_rebuilt(desk):
    TicketSearchDocument.objects.filter(ticket=desk["printer"]).delete()
    assert found("impresora") == set()

    assert rebuild_documents() == 1

    assert found("impresora") == ids(desk, "printer")
    assert rebuild_documents() == 0
