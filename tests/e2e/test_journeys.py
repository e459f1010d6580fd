"""The two journeys of issue 2 in headless Chromium, through the real pages."""

import re

import pytest
from django.core import mail

from cases import services
from cases.models import EventKind, Status, Ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, username, password="pulso-test"):
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_url("**/tickets/**")


def act(page, action, **fields):
    form = page.locator(f"form[data-action={action}]")
    details = form.locator("xpath=ancestor::details[1]")
    if details.count() and not details.evaluate("el => el.open"):
        details.locator("summary").click()
    for name, value in fields.items():
        control = form.locator(f"[name={name}]")
        if control.evaluate("el => el.tagName") == "SELECT":
            control.select_option(label=value)
        else:
            control.fill(value)
    with page.expect_response(lambda r: "/tickets/" in r.url and r.request.method == "POST"):
        form.locator("button[type=submit]").click()
    page.wait_for_load_state("networkidle")


def test_an_agent_registers_a_phone_case_assigns_replies_escalates_and_resolves(
    page, ana, team_n1, team_n2, billing
):
    log_in(page, "ana")
    page.goto("/tickets/new/")
    page.fill("#id_email", "rosa.mendez@example.com")
    page.fill("#id_name", "Rosa Méndez")
    page.fill("#id_subject", "Cobro duplicado en la factura de octubre")
    page.fill("#id_description", "Llamó: le cobraron dos veces el plan mensual.")
    page.select_option("#id_channel", "phone")
    page.select_option("#id_category", label="Billing")
    page.click("text=Register ticket")
    page.wait_for_url(re.compile(r".*/tickets/\d+/$"))
    ticket = Ticket.objects.get(subject="Cobro duplicado en la factura de octubre")
    assert ticket.channel == "phone" and ticket.customer.email == "rosa.mendez@example.com"

    act(page, "assign-me")
    # The panel's Assignee field names her (her name is on the page already, as the creator).
    page.locator(".ticket-facts dt:text-is('Assignee') + dd", has_text="Ana Pérez").wait_for()

    act(page, "reply", body="Hola Rosa, ya revisamos tu factura.")
    page.locator(".timeline").get_by_text("Hola Rosa, ya revisamos tu factura.").wait_for()

    act(page, "escalate", reason="Requiere reverso en el sistema de facturación")
    page.locator(".timeline").get_by_text("Requiere reverso").wait_for()

    act(page, "resolve", resolution="Se reversó el cobro duplicado.")
    page.locator("form[data-action=reopen]").wait_for(state="attached")
    assert page.locator("form[data-action=reopen]").get_attribute("hx-confirm") is None

    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.assignee == ana
    assert (ticket.level, ticket.escalation_count, ticket.public_agent_replies) == (2, 1, 1)
    assert ticket.first_response_at is not None
    assert list(ticket.events.values_list("kind", flat=True)) == [
        EventKind.CREATED,
        EventKind.ASSIGNED,
        EventKind.REPLIED,
        EventKind.ESCALATED,
        EventKind.RESOLVED,
    ]


def test_a_customer_opens_a_case_and_follows_it_from_the_confirmation_email(page, ana, team_n1):
    page.goto("/support/")
    page.fill("#id_name", "Jorge Ramírez")
    page.fill("#id_email", "jorge@example.com")
    page.fill("#id_subject", "No puedo entrar a mi cuenta")
    page.fill("#id_description", "Dice contraseña incorrecta aunque la cambié ayer.")
    page.click("button[type=submit]")
    page.wait_for_url("**/support/thanks/")
    ticket = Ticket.objects.get(subject="No puedo entrar a mi cuenta")
    assert ticket.reference in page.content()

    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/support/c/[\w-]+/", mail.outbox[0].body).group(0)
    path = link[link.index("/support/") :]

    services.add_reply(ticket=ticket, by=ana, body="Hola Jorge, te enviamos un enlace nuevo.")
    services.add_reply(ticket=ticket, by=ana, body="OJO: cuenta marcada por fraude", public=False)

    page.goto(path)
    page.get_by_text("Hola Jorge, te enviamos un enlace nuevo.").wait_for()
    assert "cuenta marcada por fraude" not in page.content()
    assert ticket.reference in page.content()

    page.fill("textarea[name=body]", "¡Gracias, ya pude entrar!")
    page.click("button[type=submit]")
    page.get_by_text("¡Gracias, ya pude entrar!").wait_for()
    assert ticket.replies.filter(author=None, body="¡Gracias, ya pude entrar!").exists()
