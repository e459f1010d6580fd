"""Auto-apply: a new ticket gets the switched-on fields' suggestions on its own, once."""

from decimal import Decimal

import pytest
from django.utils import timezone

from cases.errors import ValidationError
from cases.models import Channel, EventKind, Status, Ticket, TicketEvent
from cases.services import classify_ticket, register_ticket
from cases.signals import replaying_history
from insights.models import AppliedSuggestion, AutoApplyRule, ModelKind, SuggestionOutcome
from insights.predict import suggest
from insights.services import auto_apply
from insights.services.auto_apply import RuleRefused, set_rule
from insights.services.suggestions import apply_suggestion
from insights.services.training import train_model
from insights.tasks import auto_apply_ticket
from tests.factories import AgentFactory, CustomerFactory
from tests.insights.histories import planted_desk

BILLING_SUBJECT = "Factura rectificativa"
BILLING_TEXT = "El IVA de la factura está mal, necesito una factura rectificativa."
# Billing and Shipping words together: the model is far less sure.
MIXED_SUBJECT = "Factura"
MIXED_TEXT = "El envío del paquete y la factura"


@pytest.fixture
def desk(db):
    desk = planted_desk(600, noise=0.05)
    train_model(kind=ModelKind.TRIAGE)
    return desk


def _rule(field: str, enabled: bool, threshold: str) -> None:
    AutoApplyRule.objects.update_or_create(
        field=field, defaults={"enabled": enabled, "threshold": Decimal(threshold)}
    )


def _register(by=None, subject=BILLING_SUBJECT, description=BILLING_TEXT):
    customer = CustomerFactory(email="nueva@example.com")
    return register_ticket(
        by=by, customer=customer, subject=subject, description=description, channel=Channel.EMAIL
    )


def _category_suggestion(subject=BILLING_SUBJECT, description=BILLING_TEXT):
    return next(s for s in suggest(subject, description) if s.field == "category")


@pytest.mark.django_db
def test_a_customers_new_ticket_gets_the_category_on_its_own(
    desk, django_capture_on_commit_callbacks
):
    _rule("category", True, "0.50")
    with django_capture_on_commit_callbacks(execute=True) as queued:
        ticket = _register()
    assert len(queued) == 1
    ticket.refresh_from_db()
    assert ticket.category == desk.categories["Billing"]
    applied = AppliedSuggestion.objects.get(ticket=ticket)
    assert (applied.field, applied.value, applied.label) == (
        "category",
        str(desk.categories["Billing"].pk),
        "Billing",
    )
    assert applied.outcome == SuggestionOutcome.AUTOMATIC and applied.by is None
    assert applied.confidence == _category_suggestion().confidence
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.CLASSIFIED)
    assert event.actor is None
    assert event.data["suggested"]["automatic"] is True
    assert event.data["changes"]["category"] == [None, "Billing"]
    # Only the switched-on field changed.
    assert AppliedSuggestion.objects.filter(ticket=ticket).count() == 1


@pytest.mark.django_db
def test_a_ticket_an_agent_registers_is_theirs_to_classify(
    desk, django_capture_on_commit_callbacks
):
    _rule("category", True, "0.50")
    agent = AgentFactory(teams=[desk.teams["Shipping"]])
    with django_capture_on_commit_callbacks(execute=True) as queued:
        ticket = _register(by=agent)
    assert queued == []
    ticket.refresh_from_db()
    assert ticket.category is None
    assert not AppliedSuggestion.objects.exists()


@pytest.mark.django_db
def test_a_field_someone_classified_by_hand_is_left_alone(desk, marta):
    ticket = _register()
    classify_ticket(ticket=ticket, by=marta, category=desk.categories["Shipping"])
    _rule("category", True, "0.50")
    assert auto_apply.apply_rules(ticket) == []
    ticket.refresh_from_db()
    assert ticket.category == desk.categories["Shipping"]
    assert not AppliedSuggestion.objects.exists()


@pytest.mark.django_db
def test_with_the_rule_off_nothing_changes(desk, django_capture_on_commit_callbacks):
    _rule("category", False, "0.50")
    with django_capture_on_commit_callbacks(execute=True) as queued:
        ticket = _register()
    assert queued == []  # no rule on: not even a task
    ticket.refresh_from_db()
    assert ticket.category is None
    assert not AppliedSuggestion.objects.exists()
    assert not TicketEvent.objects.filter(ticket=ticket, kind=EventKind.CLASSIFIED).exists()
    # Run by hand all the same, the task changes nothing.
    assert auto_apply_ticket(ticket.pk) == []
    ticket.refresh_from_db()
    assert ticket.category is None and not AppliedSuggestion.objects.exists()


@pytest.mark.django_db
def test_a_model_less_sure_than_the_threshold_changes_nothing(
    desk, django_capture_on_commit_callbacks
):
    unsure = _category_suggestion(MIXED_SUBJECT, MIXED_TEXT)
    assert unsure.label == "Billing" and unsure.confidence < 0.8
    _rule("category", True, "0.80")
    with django_capture_on_commit_callbacks(execute=True) as queued:
        ticket = _register(subject=MIXED_SUBJECT, description=MIXED_TEXT)
    assert len(queued) == 1  # the task ran, and chose to do nothing
    ticket.refresh_from_db()
    assert ticket.category is None
    assert not AppliedSuggestion.objects.exists()
    assert not TicketEvent.objects.filter(ticket=ticket, kind=EventKind.CLASSIFIED).exists()


@pytest.mark.django_db
def test_replayed_history_is_never_auto_applied(desk, django_capture_on_commit_callbacks):
    _rule("category", True, "0.50")
    with django_capture_on_commit_callbacks(execute=True) as queued, replaying_history():
        ticket = _register()
    assert queued == []
    ticket.refresh_from_db()
    assert ticket.category is None and not AppliedSuggestion.objects.exists()


@pytest.mark.django_db
def test_a_retry_applies_nothing_twice(desk, django_capture_on_commit_callbacks):
    _rule("category", True, "0.50")
    with django_capture_on_commit_callbacks(execute=True):
        ticket = _register()
    ticket.refresh_from_db()
    version = ticket.version
    assert auto_apply_ticket(ticket.pk) == []
    ticket.refresh_from_db()
    assert ticket.version == version
    assert AppliedSuggestion.objects.filter(ticket=ticket).count() == 1
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.CLASSIFIED).count() == 1


@pytest.mark.django_db
def test_a_field_an_agent_already_set_from_a_suggestion_is_left_alone(desk, adrian):
    ticket = _register()
    value = _category_suggestion().value
    apply_suggestion(ticket=ticket, field="category", value=value, by=adrian)
    _rule("category", True, "0.50")
    assert auto_apply.apply_rules(ticket) == []
    assert AppliedSuggestion.objects.get(ticket=ticket).outcome == SuggestionOutcome.ACCEPTED


@pytest.mark.django_db
def test_a_closed_or_missing_ticket_is_skipped_without_error(desk):
    ticket = _register()
    _rule("category", True, "0.50")
    Ticket.objects.filter(pk=ticket.pk).update(status=Status.CLOSED, resolved_at=timezone.now())
    assert auto_apply_ticket(ticket.pk) == []
    ticket.refresh_from_db()
    assert ticket.category is None and not AppliedSuggestion.objects.exists()
    assert auto_apply_ticket(ticket.pk + 1000) == []


@pytest.mark.django_db
def test_a_refusal_from_cases_is_swallowed(desk, monkeypatch):
    ticket = _register()
    _rule("category", True, "0.50")

    def refuse(**kwargs):
        raise ValidationError("The model suggests something else now.")

    monkeypatch.setattr(auto_apply, "apply_suggestion", refuse)
    assert auto_apply.apply_rules(ticket) == []
    ticket.refresh_from_db()
    assert ticket.category is None and not AppliedSuggestion.objects.exists()


# --- the rules' service ---------------------------------------------------------------------


@pytest.mark.django_db
def test_set_rule_records_who_and_when(adrian):
    rule = set_rule(field="team", enabled=True, threshold=Decimal("0.75"), by=adrian)
    saved = AutoApplyRule.objects.get(field="team")
    assert (saved.enabled, saved.threshold, saved.updated_by) == (True, Decimal("0.75"), adrian)
    assert saved.updated_at == rule.updated_at


@pytest.mark.django_db
@pytest.mark.parametrize("threshold", ["0.49", "1.00", "0.3"])
def test_set_rule_refuses_a_threshold_out_of_range(adrian, threshold):
    with pytest.raises(RuleRefused) as refused:
        set_rule(field="team", enabled=True, threshold=Decimal(threshold), by=adrian)
    assert refused.value.field == "threshold"
    assert not AutoApplyRule.objects.exists()


@pytest.mark.django_db
def test_set_rule_is_for_admins_only(marta, ana):
    for user in (marta, ana):
        with pytest.raises(RuleRefused):
            set_rule(field="team", enabled=True, threshold=Decimal("0.80"), by=user)
    assert not AutoApplyRule.objects.exists()
