"""Survey fixtures: invitations are made the real way, by resolving tickets."""

import pytest

from cases import services as case_services
from surveys.models import SurveyInvitation
from surveys.services import token_for
from tests.factories import make_ticket


@pytest.fixture
def resolve(ana):
    """resolve(ticket) → the resolved ticket: a public reply, then resolve, as Ana."""

    def _resolve(ticket, *, by=None):
        by = by or ana
        case_services.add_reply(ticket=ticket, by=by, body="Here is the fix.")
        return case_services.resolve_ticket(ticket=ticket, by=by, resolution="Fixed it.")

    return _resolve


@pytest.fixture
def resolved_ticket(ana, team_n1, customer, resolve):
    ticket = make_ticket(by=ana, customer=customer, team=team_n1, assignee=ana)
    return resolve(ticket)


@pytest.fixture
def invitation(resolved_ticket) -> SurveyInvitation:
    """The invitation the resolution wrote (still pending: SURVEY_SEND_DELAY is 10 min)."""
    return SurveyInvitation.objects.get(ticket=resolved_ticket)


@pytest.fixture
def token(invitation) -> str:
    return token_for(invitation)
