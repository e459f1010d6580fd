"""Who may edit a customer, and what an edit leaves behind.

Managers and admins edit any customer; an agent edits a customer who has a case the agent can
see (their teams' or assigned to them) or who has no case yet. A changed e-mail address would
send every later private link elsewhere, so an agent of another team gets 403 — on the web
and through the API — with nothing changed. Every change is recorded (who, when, old → new)
and shown on the customer page; a changed address is told at the old one, in the customer's
language, without a link."""

import pytest
from django.core import mail
from django.urls import reverse

from cases import services
from cases.errors import PermissionDenied
from cases.models import Customer, CustomerChange, NotificationKind, OutboundEmail
from cases.signals import replaying_history
from tests.api.helpers import token_client, url
from tests.factories import CustomerFactory, UserFactory, make_ticket

pytestmark = pytest.mark.django_db


def edit_url(customer) -> str:
    return reverse("cases:customer_edit", args=[customer.pk])


def form(customer, **changes) -> dict:
    data = {
        "name": customer.name,
        "email": customer.email,
        "phone": customer.phone,
        "company": customer.company,
        "language": customer.language,
        "active_since": customer.active_since.isoformat(),
        "churned_at": "",
    }
    return {**data, **changes}


@pytest.fixture
def lucia_of_n1(customer, ana, team_n1):
    """Lucía has a case with Soporte N1 (Ana's and Bruno's team); Carla is in Soporte N2."""
    make_ticket(by=ana, customer=customer, team=team_n1)
    return customer


def snapshot(customer) -> tuple:
    return (
        tuple(Customer.objects.filter(pk=customer.pk).values_list("name", "email", "phone")[0]),
        CustomerChange.objects.count(),
        OutboundEmail.objects.filter(kind=NotificationKind.EMAIL_CHANGED).count(),
    )


# --- the policy -------------------------------------------------------------------------------


def test_an_agent_of_the_customers_team_changes_the_email_recorded_and_the_old_address_told(
    client, lucia_of_n1, bruno, django_capture_on_commit_callbacks
):
    client.force_login(bruno)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(edit_url(lucia_of_n1), form(lucia_of_n1, email="lu@example.org"))

    assert response.status_code == 302
    lucia_of_n1.refresh_from_db()
    assert lucia_of_n1.email == "lu@example.org"
    change = CustomerChange.objects.get()
    assert change.by == bruno
    assert change.changes == {"email": ["lucia@example.com", "lu@example.org"]}

    (notice,) = mail.outbox
    assert notice.to == ["lucia@example.com"]
    # Lucía's language is Spanish; the new address is shown masked; no private link.
    assert "cambi" in notice.subject.lower()
    assert "l•••@example.org" in notice.body and "lu@example.org" not in notice.body
    assert "/support/c/" not in notice.body
    assert notice.extra_headers["Auto-Submitted"] == "auto-generated"
    row = OutboundEmail.objects.get(kind=NotificationKind.EMAIL_CHANGED)
    assert (row.ticket, row.customer, row.to_address) == (None, lucia_of_n1, "lucia@example.com")

    # The customer page shows who changed what.
    html = client.get(reverse("cases:customer_detail", args=[lucia_of_n1.pk])).content.decode()
    assert "lucia@example.com → lu@example.org" in html
    assert bruno.display_name in html


def test_an_agent_of_another_team_cannot_edit_the_customer_on_the_web(client, lucia_of_n1, carla):
    client.force_login(carla)
    before = snapshot(lucia_of_n1)
    detail = client.get(reverse("cases:customer_detail", args=[lucia_of_n1.pk]))
    assert detail.status_code == 200
    assert edit_url(lucia_of_n1) not in detail.content.decode()

    assert client.get(edit_url(lucia_of_n1)).status_code == 403
    response = client.post(edit_url(lucia_of_n1), form(lucia_of_n1, email="evil@example.net"))

    assert response.status_code == 403
    assert snapshot(lucia_of_n1) == before
    assert mail.outbox == []


def test_an_agent_of_another_team_gets_403_from_the_api_with_nothing_changed(lucia_of_n1, carla):
    api = token_client(carla)
    before = snapshot(lucia_of_n1)
    for body in ({"email": "evil@example.net"}, {"phone": "1"}, {"email": "not-an-address"}):
        response = api.patch(url("customer-detail", lucia_of_n1.pk), body, format="json")
        assert response.status_code == 403, body
        assert response["Content-Type"] == "application/json"
        assert "none of their cases is in your teams" in response.json()["detail"]
    assert snapshot(lucia_of_n1) == before
    assert mail.outbox == []


def test_the_api_edit_by_the_customers_team_is_recorded_and_told(
    lucia_of_n1, ana, django_capture_on_commit_callbacks
):
    api = token_client(ana)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.patch(
            url("customer-detail", lucia_of_n1.pk),
            {"email": "lu@example.org", "phone": "555"},
            format="json",
        )
    assert response.status_code == 200 and response.json()["email"] == "lu@example.org"
    change = CustomerChange.objects.get()
    assert change.by == ana
    assert change.changes == {
        "email": ["lucia@example.com", "lu@example.org"],
        "phone": ["", "555"],
    }
    assert [m.to for m in mail.outbox] == [["lucia@example.com"]]


def test_later_emails_with_private_links_go_to_the_new_address_only_after_an_allowed_edit(
    lucia_of_n1, ana, carla, django_capture_on_commit_callbacks
):
    ticket = lucia_of_n1.tickets.get()
    with pytest.raises(PermissionDenied):
        services.update_customer(customer=lucia_of_n1, by=carla, email="evil@example.net")
    with django_capture_on_commit_callbacks(execute=True):
        services.add_reply(ticket=ticket, by=ana, body="Here is your answer.")
    assert mail.outbox[-1].to == ["lucia@example.com"]


def test_a_manager_edits_any_customer(client, lucia_of_n1, marta):
    client.force_login(marta)
    response = client.post(edit_url(lucia_of_n1), form(lucia_of_n1, phone="777"))
    assert response.status_code == 302
    assert CustomerChange.objects.get().by == marta


def test_any_agent_may_edit_a_customer_with_no_case_yet(client, customer, carla):
    client.force_login(carla)
    response = client.post(edit_url(customer), form(customer, phone="777"))
    assert response.status_code == 302
    assert Customer.objects.get(pk=customer.pk).phone == "777"


def test_the_assignee_may_edit_though_the_case_is_in_another_team(customer, ana, carla, team_n2):
    ticket = make_ticket(by=carla, customer=customer, team=team_n2)
    assert not services.may_edit_customer(ana, customer)
    services.assign_ticket(ticket=ticket, by=carla, assignee=carla)
    assert services.may_edit_customer(carla, customer)


def test_after_an_escalation_the_new_team_edits_and_the_old_one_no_longer_does(
    customer, ana, carla, team_n1, team_n2
):
    ticket = make_ticket(by=ana, customer=customer, team=team_n1)
    assert services.may_edit_customer(ana, customer)
    assert not services.may_edit_customer(carla, customer)
    services.escalate_ticket(ticket=ticket, by=ana, reason="Needs level 2", team=team_n2)
    assert services.may_edit_customer(carla, customer)
    assert not services.may_edit_customer(ana, customer)


def test_no_role_or_an_inactive_account_edits_nobody(customer):
    nobody = UserFactory(username="nadie")
    with pytest.raises(PermissionDenied):
        services.update_customer(customer=customer, by=nobody, phone="1")
    assert not CustomerChange.objects.exists()


# --- what a change leaves behind --------------------------------------------------------------


def test_only_what_changed_is_recorded_and_nothing_for_no_change(customer, marta):
    services.update_customer(customer=customer, by=marta, name=customer.name, phone="")
    assert not CustomerChange.objects.exists()
    services.update_customer(customer=customer, by=marta, name="Lucía T.", phone="")
    assert CustomerChange.objects.get().changes == {"name": ["Lucía Torres", "Lucía T."]}


def test_a_change_of_letter_case_only_is_recorded_but_tells_nobody(
    customer, marta, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.update_customer(customer=customer, by=marta, email="Lucia@Example.com")
    assert CustomerChange.objects.count() == 1
    assert mail.outbox == []


def test_removing_the_address_tells_the_old_one_that_no_more_mail_will_come(
    customer, marta, django_capture_on_commit_callbacks
):
    customer.language = "en"
    customer.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        services.update_customer(customer=customer, by=marta, email="")
    (notice,) = mail.outbox
    assert notice.to == ["lucia@example.com"]
    assert notice.subject == "The e-mail address of your Pulso customer record was changed"
    assert "we will not write to you by e-mail any more" in notice.body


def test_giving_an_address_to_a_customer_who_had_none_sends_nothing(
    marta, django_capture_on_commit_callbacks
):
    by_phone = CustomerFactory(email="", name="Only by phone")
    with django_capture_on_commit_callbacks(execute=True):
        services.update_customer(customer=by_phone, by=marta, email="now@example.com")
    assert mail.outbox == []
    assert CustomerChange.objects.get().changes == {"email": ["", "now@example.com"]}


def test_replayed_history_records_nothing_and_sends_nothing(
    customer, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), replaying_history():
        services.update_customer(customer=customer, by=None, email="old@example.org")
    assert Customer.objects.get(pk=customer.pk).email == "old@example.org"
    assert not CustomerChange.objects.exists()
    assert mail.outbox == []


def test_a_notice_to_an_old_address_threads_onto_no_case(customer, marta, ana, team_n1):
    """An answer to the notice (the old owner saying "that was not me") is not filed on any
    of the customer's cases — their new address owns those."""
    from cases.services.inbound import ingest_email

    make_ticket(by=ana, customer=customer, team=team_n1)
    services.update_customer(customer=customer, by=marta, email="new@example.org")
    notice = OutboundEmail.objects.get(kind=NotificationKind.EMAIL_CHANGED)
    raw = (
        "From: lucia@example.com\r\nTo: support@pulso.test\r\nSubject: Re: changed\r\n"
        f"In-Reply-To: <{notice.message_id}>\r\nMessage-ID: <ans1@example.com>\r\n\r\n"
        "That was not me!\r\n"
    ).encode()
    ingested = ingest_email(raw)
    assert ingested.ticket is not None
    assert ingested.ticket.customer.email == "lucia@example.com"
    assert ingested.ticket.customer != customer
