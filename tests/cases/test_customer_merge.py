"""Merging a duplicate customer record (cases/services/customer_merge.py): everything moves
to the kept record in one transaction — tickets with their private links, survey answers and
follow-ups, the survey invitations, addresses (the duplicate's primary one among them),
followed tickets, portal sign-ins — the duplicate is deleted, the merge recorded twice
(CustomerMerge, a CustomerChange on the kept record); refused for the same record and for
agents; the churn KPI counts the person once, as a customer for as long as either record was;
the moved tickets' rollups are redone."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from cases import services
from cases.errors import PermissionDenied, ValidationError
from cases.models import (
    Customer,
    CustomerAddress,
    CustomerChange,
    CustomerMerge,
    PortalSignIn,
    Status,
    Ticket,
    TicketFollower,
)
from cases.selectors import customers_with_email
from cases.services.customer_merge import merge_counts, merge_customers
from cases.services.customers import add_customer_address
from cases.services.inbound import ingest_email
from metrics import rollups
from metrics.kpis import Period, customer_kpis
from metrics.models import RollupChange
from surveys.models import FollowUp, SurveyInvitation, SurveyResponse
from surveys.services import answer_survey
from tests.api.helpers import bring_to
from tests.cases.test_inbound_email import mail
from tests.factories import CustomerFactory, make_ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def kept(customer):
    return customer  # Lucía Torres <lucia@example.com>


@pytest.fixture
def duplicate(db, marta):
    twin = CustomerFactory(
        name="Lucia Torres", email="ltorres@trabajo.co", company="Acme", phone="555-0199"
    )
    add_customer_address(customer=twin, by=marta, email="lucia.t@casa.co")
    return twin


@pytest.fixture
def history(duplicate, ana, team_n1):
    """The duplicate's cases: one answered by a detractor (a follow-up), one open with a
    private link, one they follow as someone in copy of another customer's case."""
    answered = bring_to(
        make_ticket(by=ana, customer=duplicate, team=team_n1), Status.RESOLVED, by=ana
    )
    invitation = SurveyInvitation.objects.get(ticket=answered)
    answer_survey(invitation=invitation, nps=3, comment="Tardaron mucho")
    open_one = make_ticket(by=ana, customer=duplicate, team=team_n1)
    token = services.issue_access_token(open_one)
    someone_else = make_ticket(by=ana, team=team_n1)
    TicketFollower.objects.create(ticket=someone_else, email=duplicate.email, customer=duplicate)
    PortalSignIn.objects.create(
        customer=duplicate, token_hash="0" * 64, expires_at=timezone.now() + timedelta(minutes=15)
    )
    return {"answered": answered, "open": open_one, "token": token, "followed": someone_else}


def test_everything_of_the_duplicate_moves_and_the_duplicate_is_gone(
    kept, duplicate, history, marta
):
    duplicate_id = duplicate.pk
    merge = merge_customers(kept=kept, duplicate=duplicate, by=marta)

    assert not Customer.objects.filter(pk=duplicate_id).exists()
    assert set(Ticket.objects.filter(customer=kept)) == {history["answered"], history["open"]}
    assert SurveyInvitation.objects.get(ticket=history["answered"]).customer == kept
    assert SurveyResponse.objects.get().ticket.customer == kept
    assert FollowUp.objects.get().ticket.customer == kept
    assert TicketFollower.objects.get().customer == kept
    assert PortalSignIn.objects.get().customer == kept
    assert services.ticket_for_access_token(history["token"]) == history["open"]
    assert sorted(kept.addresses.values_list("email", flat=True)) == [
        "ltorres@trabajo.co",
        "lucia.t@casa.co",
    ]
    assert merge.moved == {
        "tickets": 2,
        "addresses": 2,
        "followed_tickets": 1,
        "portal_sign_ins": 1,
        "notices": 0,
        "changes": 1,  # the duplicate's own record of its added address
        "earlier_merges": 0,
        "survey_invitations": 1,
        "survey_answers": 1,
        "follow_ups": 1,
    }


def test_the_merge_is_recorded_on_the_kept_record(kept, duplicate, history, marta):
    merge_customers(kept=kept, duplicate=duplicate, by=marta)
    merge = CustomerMerge.objects.get()
    assert (merge.kept, merge.merged_name, merge.merged_email, merge.by) == (
        kept,
        "Lucia Torres",
        "ltorres@trabajo.co",
        marta,
    )
    change = CustomerChange.objects.filter(customer=kept).first()
    assert change.by == marta
    assert change.changes["merged"] == [None, "Lucia Torres <ltorres@trabajo.co>"]
    assert change.changes["addresses"] == [None, "ltorres@trabajo.co, lucia.t@casa.co"]
    # the empty phone is filled in; the kept record's company stays its own
    assert change.changes["phone"] == [None, "555-0199"]
    kept.refresh_from_db()
    assert kept.phone == "555-0199" and kept.email == "lucia@example.com"


def test_mail_from_the_duplicates_addresses_finds_the_kept_record(kept, duplicate, marta):
    merge_customers(kept=kept, duplicate=duplicate, by=marta)
    assert customers_with_email("LTORRES@trabajo.co").get() == kept
    result = ingest_email(
        mail({"From": "ltorres@trabajo.co", "Subject": "Otra", "Message-ID": "<m-1@trabajo.co>"})
    )
    assert result.ticket.customer == kept


def test_the_confirmation_counts_what_will_move(duplicate, history):
    assert merge_counts(duplicate) == {
        "tickets": 2,
        "addresses": 2,
        "followed_tickets": 1,
        "portal_sign_ins": 1,
        "survey_invitations": 1,
        "survey_answers": 1,
        "follow_ups": 1,
    }


def test_a_record_cannot_be_merged_into_itself(kept, marta):
    with pytest.raises(ValidationError) as refused:
        merge_customers(kept=kept, duplicate=Customer.objects.get(pk=kept.pk), by=marta)
    assert refused.value.field == "duplicate"
    assert Customer.objects.filter(pk=kept.pk).exists() and not CustomerMerge.objects.exists()


def test_an_agent_cannot_merge_and_nothing_changes(kept, duplicate, history, ana):
    with pytest.raises(PermissionDenied):
        merge_customers(kept=kept, duplicate=duplicate, by=ana)
    assert Customer.objects.filter(pk=duplicate.pk).exists()
    assert Ticket.objects.filter(customer=duplicate).count() == 2
    assert not CustomerMerge.objects.exists()


def test_a_failure_midway_leaves_both_records_untouched(
    kept, duplicate, history, marta, monkeypatch
):
    def fail(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr("surveys.services.move_customer_surveys", fail)
    with pytest.raises(RuntimeError):
        merge_customers(kept=kept, duplicate=duplicate, by=marta)
    assert Ticket.objects.filter(customer=duplicate).count() == 2
    assert CustomerAddress.objects.filter(customer=duplicate).count() == 1
    assert not CustomerMerge.objects.exists()


@pytest.mark.parametrize(
    ("kept_dates", "duplicate_dates", "merged"),
    [
        # (active_since, churned_at) of each record → of the merged one
        ((date(2025, 3, 1), None), (date(2024, 1, 1), date(2024, 6, 1)), (date(2024, 1, 1), None)),
        ((date(2024, 5, 1), date(2025, 2, 1)), (date(2025, 1, 1), None), (date(2024, 5, 1), None)),
        (
            (date(2024, 5, 1), date(2025, 2, 1)),
            (date(2024, 1, 1), date(2025, 4, 1)),
            (date(2024, 1, 1), date(2025, 4, 1)),
        ),
    ],
)
def test_the_merged_record_is_a_customer_while_either_was(
    kept, duplicate, marta, kept_dates, duplicate_dates, merged
):
    for record, (since, churned) in ((kept, kept_dates), (duplicate, duplicate_dates)):
        services.update_customer(customer=record, by=None, active_since=since, churned_at=churned)
    merge_customers(kept=kept, duplicate=duplicate, by=marta)
    kept.refresh_from_db()
    assert (kept.active_since, kept.churned_at) == merged


def test_churn_counts_the_person_once_after_the_merge(kept, duplicate, marta):
    """Q1 2025. Before: two records of one person — the old one churned in February, the
    new one started in March: S = 1, N = 1, C = 1 (churn 100 %). After: one customer since
    2024 who never left: S = 1, N = 0, C = 0, E = 1."""
    services.update_customer(
        customer=duplicate, by=None, active_since=date(2024, 1, 1), churned_at=date(2025, 2, 10)
    )
    services.update_customer(customer=kept, by=None, active_since=date(2025, 3, 5))
    q1 = Period.of(date(2025, 1, 1), date(2025, 4, 1))
    before = customer_kpis(q1)
    assert (before["S"], before["N"], before["C"], before["churn_rate"]) == (1, 1, 1, 100.0)

    merge_customers(kept=kept, duplicate=duplicate, by=marta)

    after = customer_kpis(q1)
    assert (after["S"], after["N"], after["C"], after["E"]) == (1, 0, 0, 1)
    assert after["churn_rate"] == 0.0 and after["retention_rate"] == 100.0


def test_the_moved_tickets_rollups_are_redone(kept, duplicate, history, marta):
    rollups.rebuild()
    RollupChange.objects.all().delete()
    merge_customers(kept=kept, duplicate=duplicate, by=marta)
    marked = set(RollupChange.objects.values_list("ticket_id", flat=True))
    assert {history["answered"].pk, history["open"].pk} <= marked
    rollups.refresh()
    assert not RollupChange.objects.exists()


def test_earlier_merges_into_the_duplicate_follow_it(kept, duplicate, marta):
    third = CustomerFactory(name="Tercera", email="l3@example.org")
    merge_customers(kept=duplicate, duplicate=third, by=marta)
    merge_customers(kept=kept, duplicate=duplicate, by=marta)
    assert sorted(
        CustomerMerge.objects.filter(kept=kept).values_list("merged_name", flat=True)
    ) == [
        "Lucia Torres",
        "Tercera",
    ]
    assert customers_with_email("l3@example.org").get() == kept
