"""docs/kpis.md: a macro's uses are placed by their time; its outcome covers the tickets
resolved in the period on which it was used before their latest resolution — the CSAT % of
their answers, reopen rate and FCR, each with its sample — on the API and the dashboard."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cases import services
from metrics import kpis
from metrics.kpis import Period
from surveys.models import SurveyInvitation
from surveys.services import answer_survey
from tests.api.helpers import token_client
from tests.factories import CustomerFactory, make_ticket

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
PERIOD = Period.of(TODAY - timedelta(days=1), TODAY + timedelta(days=1))


@pytest.fixture
def used(marta, ana, team_n1):
    macro = services.save_macro(
        by=marta, shared=True, title="Envío retrasado", body_es="Hola, sale mañana."
    )

    def ticket():
        return make_ticket(by=ana, team=team_n1, customer=CustomerFactory())

    def answer(t, csat):
        invitation = SurveyInvitation.objects.filter(ticket=t).latest("pk")
        answer_survey(invitation=invitation, csat=csat)

    # 1: the macro's reply, resolved at once, a happy customer.
    one = ticket()
    services.apply_macro(ticket=one, by=ana, macro=macro)
    services.resolve_ticket(ticket=one, by=ana, resolution="Entregado")
    answer(one, 5)
    # 2: the macro, resolved, reopened, resolved again: an unhappy customer.
    two = ticket()
    services.apply_macro(ticket=two, by=ana, macro=macro)
    services.resolve_ticket(ticket=two, by=ana, resolution="Entregado")
    services.reopen_ticket(ticket=two, by=ana, reason="No llegó")
    services.resolve_ticket(ticket=two, by=ana, resolution="Reenviado")
    answer(two, 2)
    # 3: resolved first, the macro only afterwards (as a note): a use, not an outcome.
    three = ticket()
    services.add_reply(ticket=three, by=ana, body="Listo")
    services.resolve_ticket(ticket=three, by=ana, resolution="Listo")
    services.apply_macro(ticket=three, by=ana, macro=macro, public=False)
    # 4: no macro at all.
    four = ticket()
    services.add_reply(ticket=four, by=ana, body="Listo")
    services.resolve_ticket(ticket=four, by=ana, resolution="Listo")
    answer(four, 1)
    return macro


def test_a_macros_uses_and_the_tickets_it_was_used_on(used):
    [row] = kpis.macro_effectiveness(PERIOD)
    assert row["macro"] == used.pk and row["uses"] == 3
    assert row["resolved"] == 2  # tickets 1 and 2; 3 got the macro after its resolution
    assert row["csat"] == {"percent": 50.0, "responses": 2}
    assert row["reopen_rate"] == 50.0
    assert row["fcr"] == 50.0


def test_outside_the_period_there_is_nothing(used):
    earlier = Period.of(TODAY - timedelta(days=30), TODAY - timedelta(days=20))
    assert kpis.macro_effectiveness(earlier) == []


def test_managers_read_it_in_the_api_and_on_the_dashboard_agents_do_not(marta, ana, used, client):
    url = reverse("metrics_api:metrics-macros")
    body = token_client(marta).get(url).json()
    assert body["macros"][0]["title"] == "Envío retrasado"
    assert body["macros"][0]["csat"] == {"percent": 50.0, "responses": 2}
    assert token_client(ana).get(url).status_code == 403

    client.force_login(marta)
    page = client.get(reverse("metrics:dashboard")).content.decode()
    assert "dashboard-macros" in page and "Envío retrasado" in page
    export = client.get(reverse("metrics:export", args=["macros"])).content.decode("utf-8-sig")
    assert export.splitlines()[1].startswith("Envío retrasado,3,2,50.0,2,50.0,50.0")
    client.force_login(ana)
    assert "dashboard-macros" not in client.get(reverse("metrics:my_dashboard")).content.decode()
    assert client.get(reverse("metrics:export", args=["macros"])).status_code == 403
