"""The history import maps a customer's `company` to an organisation (docs/import.md): found
by name whatever its case, or created; a new customer without a company joins the organisation
of their address's domain, as a new customer does anywhere; a customer who was already there
is put in their company's organisation only if they had none. The batched writer and the
service replay agree, and a second import changes nothing."""

import json
from datetime import UTC, datetime

import pytest
from django.db import transaction

from cases import services
from cases.models import Customer, Organisation
from metrics.importing import import_history
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2025, 6, 2, 9, 30, tzinfo=UTC)


def customer(external_id: str, email: str, company: str = "") -> str:
    record = {
        "type": "customer",
        "external_id": external_id,
        "email": email,
        "name": external_id.upper(),
        "company": company,
    }
    return json.dumps(record, ensure_ascii=False)


HISTORY = [
    customer("c-1", "ana@uno.example", "Ferretería Sur"),
    customer("c-2", "beto@dos.example", "FERRETERÍA SUR"),
    customer("c-3", "caro@tres.example", "ferretería sur"),
    customer("c-4", "dani@cuatro.example", "Acme Ltda."),  # an organisation already there
    customer("c-5", "eva@globex.example"),  # no company: the domain decides
    customer("c-6", "fede@seis.example"),  # no company, no domain: nobody's
    customer("c-7", "Vieja@Cliente.example", "Café Río"),  # adopted, had none
    customer("c-8", "ya@tenia.example", "Café Río"),  # adopted, keeps their own
]


@pytest.fixture
def desk(db):
    acme = services.create_organisation(by=None, name="ACME LTDA.")
    globex = services.create_organisation(by=None, name="Globex", domains=["globex.example"])
    CustomerFactory(email="vieja@cliente.example")
    CustomerFactory(email="ya@tenia.example", organisation=globex)
    return {"acme": acme, "globex": globex}


def organisations_by_email() -> dict[str, str | None]:
    return {
        c.email.lower(): c.organisation.name if c.organisation else None
        for c in Customer.objects.select_related("organisation")
    }


EXPECTED = {
    "ana@uno.example": "Ferretería Sur",
    "beto@dos.example": "Ferretería Sur",
    "dani@cuatro.example": "ACME LTDA.",
    "eva@globex.example": "Globex",
    "fede@seis.example": None,
    "vieja@cliente.example": "Café Río",
    "ya@tenia.example": "Globex",
}


@pytest.mark.parametrize("replay", ["bulk", "services"])
def test_company_becomes_an_organisation_both_ways(desk, replay):
    import_history(HISTORY, replay=replay, now=NOW)

    found = organisations_by_email()
    # SQLite's LOWER folds ASCII only: "ferretería sur" may be another name there, never a
    # fourth organisation for the same letters.
    assert {k: v for k, v in found.items() if k != "caro@tres.example"} == EXPECTED
    assert found["caro@tres.example"].lower() == "ferretería sur"
    names = sorted(Organisation.objects.values_list("name", flat=True))
    assert "Ferretería Sur" in names and "ACME LTDA." in names and "Café Río" in names
    assert Customer.objects.get(email="ana@uno.example").company == "Ferretería Sur"


def test_the_batched_writer_and_the_services_agree(desk):
    results = {}
    for replay in ("services", "bulk"):
        with transaction.atomic():
            import_history(HISTORY, replay=replay, now=NOW)
            results[replay] = (
                organisations_by_email(),
                sorted(Organisation.objects.values_list("name", flat=True)),
            )
            transaction.set_rollback(True)
    assert results["bulk"] == results["services"]


def test_importing_again_changes_nothing(desk):
    import_history(HISTORY, now=NOW)
    before = (organisations_by_email(), Organisation.objects.count())
    import_history(HISTORY, now=NOW)
    assert (organisations_by_email(), Organisation.objects.count()) == before
