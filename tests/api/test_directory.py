import pytest

from cases.models import Customer
from tests.factories import CategoryFactory, CustomerFactory, TeamFactory

from .helpers import token_client, url


class TestCustomers:
    def test_the_list_is_paginated_and_searchable(self, as_ana, customer):
        CustomerFactory(name="Pedro Gil", email="pedro@acme.test", company="Acme")
        body = as_ana.get(url("customer-list")).json()
        assert set(body) == {"count", "next", "previous", "results"} and body["count"] == 2
        for text in ("pedro", "ACME.test", "acme"):
            found = as_ana.get(url("customer-list"), {"search": text}).json()["results"]
            assert [c["name"] for c in found] == ["Pedro Gil"], text

    def test_creating_a_customer(self, as_ana):
        response = as_ana.post(
            url("customer-list"),
            {"email": "pedro@acme.test", "name": "Pedro Gil", "company": "Acme",
             "language": "en"},
            format="json",
        )  # fmt: skip
        assert response.status_code == 201
        customer = Customer.objects.get()
        assert response.json() | {"active_since": None, "created_at": None} == {
            "id": customer.pk, "name": "Pedro Gil", "email": "pedro@acme.test", "phone": "",
            "company": "Acme", "language": "en", "churned_at": None, "active_since": None,
            "created_at": None, "organisation": None, "is_organisation_admin": False,
            "addresses": [],
        }  # fmt: skip

    def test_a_customer_reached_only_by_phone_needs_a_name(self, as_ana):
        assert as_ana.post(url("customer-list"), {"phone": "555"}, format="json").json() == {
            "email": ["A customer needs an e-mail or a name."]
        }
        response = as_ana.post(url("customer-list"), {"phone": "555", "name": "Ana"}, format="json")
        assert response.status_code == 201

    def test_a_duplicate_email_in_any_case_is_a_field_error(self, as_ana, customer):
        response = as_ana.post(url("customer-list"), {"email": "LUCIA@example.com"}, format="json")
        assert response.status_code == 400
        assert response.json() == {"email": ["A customer with this e-mail already exists."]}
        assert Customer.objects.count() == 1

    def test_reading_and_editing_a_customer(self, as_ana, customer):
        assert as_ana.get(url("customer-detail", customer.pk)).json()["name"] == "Lucía Torres"
        response = as_ana.patch(
            url("customer-detail", customer.pk),
            {"phone": "555-0101", "company": "Acme"},
            format="json",
        )
        assert response.status_code == 200
        customer.refresh_from_db()
        assert (customer.phone, customer.company) == ("555-0101", "Acme")

    def test_editing_to_another_customers_email_is_a_field_error(self, as_ana, customer):
        other = CustomerFactory(email="other@example.com")
        response = as_ana.patch(
            url("customer-detail", other.pk), {"email": "Lucia@Example.com"}, format="json"
        )
        assert response.status_code == 400 and "email" in response.json()

    def test_churn_before_the_start_is_a_field_error(self, as_ana, customer):
        response = as_ana.patch(
            url("customer-detail", customer.pk),
            {"active_since": "2024-05-01", "churned_at": "2024-01-01"}, format="json",
        )  # fmt: skip
        assert response.status_code == 400 and "churned_at" in response.json()

    @pytest.mark.parametrize(
        "body", [{"id": 9}, {"created_at": "2024-01-01"}, {"name": ""}, {"language": "xx"},
                 {"active_since": "yesterday"}, {"email": "nope"}],
    )  # fmt: skip
    def test_bad_edits_are_refused(self, as_ana, customer, body):
        response = as_ana.patch(url("customer-detail", customer.pk), body, format="json")
        assert response.status_code == 400
        assert set(response.json()) == set(body)

    def test_an_unknown_customer_is_404(self, as_ana, db):
        assert as_ana.get(url("customer-detail", 4242)).status_code == 404

    def test_markup_in_a_name_is_stored_verbatim(self, as_ana):
        name = '"><svg onload=alert(1)>'
        response = as_ana.post(url("customer-list"), {"name": name}, format="json")
        assert response.json()["name"] == name
        assert response.headers["Content-Type"] == "application/json"


class TestAgentsTeamsCategories:
    def test_agents_lists_active_staff_with_role_and_teams(
        self, as_ana, ana, bruno, carla, marta, nobody, team_n1
    ):
        bruno.is_active = False
        bruno.save(update_fields=["is_active"])
        agents = as_ana.get(url("agent-list")).json()["results"]
        assert [a["username"] for a in agents] == ["ana", "carla", "marta"]
        assert agents[0] == {
            "id": ana.pk, "username": "ana", "name": "Ana Pérez", "role": "agent",
            "teams": [{"id": team_n1.pk, "name": "Soporte N1", "level": 1, "is_active": True}],
        }  # fmt: skip
        assert agents[2]["role"] == "manager" and agents[2]["teams"] == []

    def test_agents_can_be_filtered_by_team(self, as_ana, ana, bruno, carla, team_n2):
        agents = as_ana.get(url("agent-list"), {"team": team_n2.pk}).json()["results"]
        assert [a["username"] for a in agents] == ["carla"]

    def test_the_agent_list_costs_a_fixed_number_of_queries(
        self, as_marta, team_n1, django_assert_max_num_queries
    ):
        from tests.factories import AgentFactory

        for n in range(8):
            AgentFactory(username=f"agent{n}", teams=[team_n1])
        with django_assert_max_num_queries(7):
            response = as_marta.get(url("agent-list"))
        assert response.json()["count"] == 9

    def test_teams_by_level_with_inactive_ones_marked(self, as_ana, team_n1, team_n2):
        TeamFactory(name="Old", level=1, is_active=False)
        teams = as_ana.get(url("team-list")).json()["results"]
        assert [(t["name"], t["level"], t["is_active"]) for t in teams] == [
            ("Old", 1, False), ("Soporte N1", 1, True), ("Soporte N2", 2, True),
        ]  # fmt: skip

    def test_categories_with_their_default_team(self, as_ana, team_n2, billing):
        CategoryFactory(name="Network", default_team=team_n2)
        categories = as_ana.get(url("category-list")).json()["results"]
        assert [(c["name"], c["default_team"]) for c in categories] == [
            ("Billing", None), ("Network", team_n2.pk),
        ]  # fmt: skip
        assert set(categories[0]) == {"id", "name", "description", "default_team", "is_active"}

    def test_an_admin_sees_the_same_lists(self, adrian, team_n1):
        client = token_client(adrian)
        assert client.get(url("team-list")).json()["count"] == 1
