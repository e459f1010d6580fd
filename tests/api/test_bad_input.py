"""Bad input gets a clear 400 naming the field — never a 500, never a silent coercion."""

import pytest

from cases.models import Customer, Status, Ticket

from .helpers import bring_to, url

HUGE = 10**30
BAD_IDS = ["abc", "", 1.5, True, -1, 0, HUGE, 999_999, [1], {"id": 1}]


def ticket_body(**overrides):
    return {
        "subject": "Cannot log in",
        "description": "Expired password.",
        "channel": "email",
        "customer": {"email": "new@example.com"},
    } | overrides


class TestIdsInBodies:
    @pytest.mark.parametrize("field", ["category", "team", "assignee"])
    @pytest.mark.parametrize("value", BAD_IDS)
    def test_a_bad_id_when_registering_is_a_field_error(self, as_ana, team_n1, field, value):
        response = as_ana.post(url("ticket-list"), ticket_body(**{field: value}), format="json")
        assert response.status_code == 400
        assert field in response.json()
        assert not Ticket.objects.exists() and not Customer.objects.exists()

    @pytest.mark.parametrize("value", BAD_IDS)
    def test_a_bad_assignee_is_a_field_error(self, as_ana, ticket, value):
        response = as_ana.post(url("ticket-assign", ticket.pk), {"assignee": value}, format="json")
        assert response.status_code == 400 and "assignee" in response.json()

    @pytest.mark.parametrize("value", BAD_IDS)
    def test_a_bad_escalation_team_is_a_field_error(self, as_ana, ticket, value):
        response = as_ana.post(
            url("ticket-escalate", ticket.pk), {"reason": "x", "team": value}, format="json"
        )
        assert response.status_code == 400 and "team" in response.json()
        ticket.refresh_from_db()
        assert ticket.level == 1

    @pytest.mark.parametrize("value", BAD_IDS)
    def test_a_bad_category_when_classifying_is_a_field_error(self, as_ana, ticket, value):
        response = as_ana.patch(url("ticket-detail", ticket.pk), {"category": value}, format="json")
        assert response.status_code == 400 and "category" in response.json()

    def test_an_unknown_id_says_so(self, as_ana, ticket):
        response = as_ana.post(
            url("ticket-assign", ticket.pk), {"assignee": 999_999}, format="json"
        )
        assert response.json() == {"assignee": ["There is no object with id 999999."]}

    def test_an_inactive_team_is_refused_by_the_service(self, as_ana, ticket):
        from tests.factories import TeamFactory

        closed = TeamFactory(name="Old team", level=2, is_active=False)
        response = as_ana.post(
            url("ticket-escalate", ticket.pk), {"reason": "x", "team": closed.pk}, format="json"
        )
        assert response.status_code == 400 and "team" in response.json()

    def test_a_non_staff_user_cannot_be_assigned(self, as_ana, nobody, ticket):
        response = as_ana.post(
            url("ticket-assign", ticket.pk), {"assignee": nobody.pk}, format="json"
        )
        assert response.status_code == 400 and "assignee" in response.json()


class TestVersionField:
    @pytest.mark.parametrize("value", ["abc", None, 1.5, 0, -3, HUGE, [1], True])
    def test_a_bad_version_is_a_field_error(self, as_ana, ana, ticket, value):
        ticket = bring_to(ticket, Status.OPEN, by=ana)
        response = as_ana.post(url("ticket-pending", ticket.pk), {"version": value}, format="json")
        assert response.status_code == 400 and "version" in response.json()
        ticket.refresh_from_db()
        assert ticket.status == Status.OPEN


class TestChoicesAndText:
    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("channel", "pigeon"), ("channel", None), ("channel", 3),
            ("priority", "asap"), ("priority", ""),
            ("subject", ""), ("subject", None), ("subject", "x" * 201),
            ("description", ""), ("customer", None), ("customer", "lucia@example.com"),
            ("auto_assign", "maybe"),
        ],
    )  # fmt: skip
    def test_a_bad_value_when_registering_is_a_field_error(self, as_ana, team_n1, field, value):
        response = as_ana.post(url("ticket-list"), ticket_body(**{field: value}), format="json")
        assert response.status_code == 400
        assert field in response.json()

    @pytest.mark.parametrize(
        "customer",
        [{"email": "not-an-email"}, {"email": "a@b.c", "language": "fr"},
         {"email": "a@b.c", "name": "x" * 151}, {"email": "a@b.c", "id": 1}],
    )  # fmt: skip
    def test_bad_customer_details_are_nested_field_errors(self, as_ana, team_n1, customer):
        response = as_ana.post(url("ticket-list"), ticket_body(customer=customer), format="json")
        assert response.status_code == 400
        assert "customer" in response.json()

    def test_public_must_be_a_boolean(self, as_ana, ticket):
        response = as_ana.post(
            url("ticket-replies", ticket.pk), {"body": "x", "public": "maybe"}, format="json"
        )
        assert response.status_code == 400 and "public" in response.json()


class TestMalformedBodies:
    @pytest.mark.parametrize("payload", ["[1, 2]", '"text"', "null", "{not json", "42"])
    def test_a_body_that_is_not_an_object_is_a_400(self, as_ana, team_n1, ticket, payload):
        for target in (url("ticket-list"), url("ticket-assign", ticket.pk)):
            response = as_ana.post(target, payload, content_type="application/json")
            assert response.status_code == 400, (target, payload)

    def test_a_patch_with_a_list_body_is_a_400(self, as_ana, ticket):
        response = as_ana.patch(
            url("ticket-detail", ticket.pk), "[]", content_type="application/json"
        )
        assert response.status_code == 400

    def test_form_encoded_bodies_are_415_the_api_speaks_json(self, as_ana, ticket):
        # (Only a reply takes multipart/form-data, to carry files: test_reply_attachments.py.)
        response = as_ana.post(url("ticket-escalate", ticket.pk), {"reason": "x"})
        assert response.status_code == 415
        assert not ticket.events.filter(kind="escalated").exists()
        as_json = as_ana.post(url("ticket-replies", ticket.pk), {"body": "x"}, format="json")
        assert as_json.status_code == 201  # the same reply as JSON is fine

    def test_an_unsupported_media_type_is_415(self, as_ana, ticket):
        response = as_ana.post(
            url("ticket-replies", ticket.pk), "body=x", content_type="text/plain"
        )
        assert response.status_code == 415


class TestQueryParameters:
    @pytest.mark.parametrize("page", ["0", "999", "abc", "-1"])
    def test_a_page_out_of_range_is_404_not_500(self, as_ana, ticket, page):
        assert as_ana.get(url("ticket-list"), {"page": page}).status_code == 404

    def test_a_huge_page_size_is_capped(self, as_ana, ticket):
        response = as_ana.get(url("ticket-list"), {"page_size": str(HUGE)})
        assert response.status_code == 200

    @pytest.mark.parametrize("search", ["PUL-" + "9" * 40, "9" * 40, "%", "_", "' OR 1=1 --"])
    def test_odd_searches_find_nothing_and_do_not_fail(self, as_ana, ticket, search):
        response = as_ana.get(url("ticket-list"), {"search": search})
        assert response.status_code == 200 and response.json()["count"] == 0


BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize("query", ["", "?status=closed", "?page=999999"])
def test_a_browser_opening_the_ticket_list_gets_json_not_a_500(client, ana, ticket, query):
    """A logged-in agent who types an API address into the browser (session auth) is answered
    in JSON, as any client: the list, or a 404 with its reason past the last page."""
    client.force_login(ana)
    response = client.get(url("ticket-list") + query, HTTP_ACCEPT=BROWSER_ACCEPT)
    assert response["Content-Type"].startswith("application/json")
    if query == "?page=999999":
        assert response.status_code == 404 and "detail" in response.json()
    else:
        assert response.status_code == 200 and "results" in response.json()
