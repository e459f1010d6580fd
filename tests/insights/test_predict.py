"""Suggestions read from the model in use."""

import pytest

from cases.models import Priority
from insights import store
from insights.models import ModelKind
from insights.predict import suggest, suggest_for
from insights.services.training import train_model
from tests.insights.histories import planted_desk


@pytest.mark.django_db
def test_no_model_no_suggestions():
    assert suggest("Factura con IVA mal", "La factura tiene el IVA mal") == []


@pytest.mark.django_db
def test_planted_words_are_read_back_in_both_languages():
    desk = planted_desk(600, noise=0.05)
    train_model(kind=ModelKind.TRIAGE)
    spanish = {
        s.field: s for s in suggest("Factura rectificativa", "El IVA de la factura, urgente")
    }
    assert spanish["category"].value == str(desk.categories["Billing"].pk)
    assert spanish["category"].label == "Billing"
    assert spanish["team"].value == str(desk.teams["Billing"].pk)
    assert spanish["priority"].value == Priority.URGENT
    english = {s.field: s for s in suggest("Parcel lost", "The courier tracking shows nothing")}
    assert english["category"].label == "Shipping" and english["priority"].value == Priority.NORMAL
    assert all(0.5 < s.confidence <= 1 for s in [*spanish.values(), *english.values()])


@pytest.mark.django_db
def test_unknown_words_suggest_nothing():
    planted_desk(300)
    train_model(kind=ModelKind.TRIAGE)
    assert suggest("Zzzz", "qwerty asdfgh") == []


@pytest.mark.django_db
def test_a_retired_category_is_never_suggested():
    desk = planted_desk(400, noise=0.05)
    train_model(kind=ModelKind.TRIAGE)
    desk.categories["Billing"].is_active = False
    desk.categories["Billing"].save()
    found = {s.field: s for s in suggest("Factura", "La factura con el IVA mal")}
    assert found["category"].value != str(desk.categories["Billing"].pk)


@pytest.mark.django_db
def test_a_ticket_already_filed_right_is_marked_current():
    desk = planted_desk(400, noise=0.0)
    train_model(kind=ModelKind.TRIAGE)
    ticket = next(t for t in desk.tickets if t.category == desk.categories["Access"])
    marks = {s.field: s.current for s in suggest_for(ticket)}
    assert marks["category"] is True and marks["team"] is True


@pytest.mark.django_db
def test_a_field_whose_model_is_no_better_than_the_baseline_is_not_suggested():
    planted_desk(400, noise=0.05)
    record = train_model(kind=ModelKind.TRIAGE)
    # As if the priority model had only matched always answering the commonest priority.
    figures = record.quality["fields"]["priority"]
    figures["accuracy"] = figures["baseline_accuracy"]
    figures["macro_f1"] = figures["baseline_macro_f1"]
    record.save(update_fields=["quality"])
    store.forget()
    found = {s.field for s in suggest("Factura rectificativa", "El IVA de la factura, urgente")}
    assert found == {"category", "team"}
