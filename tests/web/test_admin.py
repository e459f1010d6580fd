"""The Django admin manages teams, categories, agents and customers; tickets are read-only
there because they change only through the lifecycle services."""

import pytest
from django.urls import reverse

from cases.models import Team
from tests.factories import make_ticket

PAGES = [
    "admin:cases_team_changelist",
    "admin:cases_team_add",
    "admin:cases_category_changelist",
    "admin:cases_category_add",
    "admin:cases_user_changelist",
    "admin:cases_user_add",
    "admin:cases_customer_changelist",
    "admin:cases_customer_add",
    "admin:cases_ticket_changelist",
    "admin:cases_ticketevent_changelist",
    "admin:cases_businesscalendar_changelist",
    "admin:cases_businesscalendar_add",
    "admin:cases_slapolicy_changelist",
    "admin:cases_slapolicy_add",
    "admin:cases_inboundemail_changelist",
    "admin:cases_outboundemail_changelist",
    "admin:cases_attachment_changelist",
]


@pytest.mark.parametrize("name", PAGES)
def test_an_admin_can_open_every_management_page(client, adrian, ticket, name):
    client.force_login(adrian)
    assert client.get(reverse(name)).status_code == 200


def test_an_admin_can_create_a_team_with_members(client, adrian, ana):
    client.force_login(adrian)
    response = client.post(
        reverse("admin:cases_team_add"),
        {
            "name": "Soporte VIP",
            "level": 2,
            "is_active": "on",
            "members": [ana.pk],
            "assignment": "off",
        },
    )
    assert response.status_code == 302
    assert ana.teams.filter(name="Soporte VIP", level=2).exists()


def test_a_team_level_outside_one_to_three_is_refused(client, adrian):
    client.force_login(adrian)
    response = client.post(reverse("admin:cases_team_add"), {"name": "X", "level": 4})
    assert response.status_code == 200
    assert "level" in response.context["adminform"].form.errors
    assert not Team.objects.filter(name="X").exists()


def test_tickets_cannot_be_edited_in_the_admin(client, adrian, ana):
    ticket = make_ticket(by=ana)
    client.force_login(adrian)
    page = client.get(reverse("admin:cases_ticket_change", args=[ticket.pk]))
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    assert (
        client.post(reverse("admin:cases_ticket_change", args=[ticket.pk]), {}).status_code == 403
    )


def test_a_manager_manages_people_but_not_the_admins_groups(client, marta):
    marta.is_staff = True
    marta.save(update_fields=["is_staff"])
    client.force_login(marta)
    assert client.get(reverse("admin:cases_customer_changelist")).status_code == 200
    assert client.get(reverse("admin:auth_group_changelist")).status_code == 403


def test_an_agent_cannot_use_the_admin(client, ana):
    client.force_login(ana)
    assert client.get(reverse("admin:index")).status_code == 302
