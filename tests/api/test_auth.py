from datetime import timedelta
from importlib import import_module

import pytest
import requests
import schemathesis
import time_machine
from django.apps import apps
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.models import AuthToken
from rest_framework.test import APIClient

from cases.login_guard import parse_rate

from .helpers import token_client, url

ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"


def login(username, password="pulso-test", client=None, address="127.0.0.1"):
    return (client or APIClient(REMOTE_ADDR=address)).post(
        url("auth-token"), {"username": username, "password": password}, format="json"
    )


def client_with(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


class TestGettingAToken:
    def test_an_agent_gets_a_token_that_authenticates_later_requests(self, ana):
        response = login("ana")
        assert response.status_code == 200
        assert set(response.json()) == {"token", "expiry"}
        expiry = parse_datetime(response.json()["expiry"])
        expected = timezone.now() + timedelta(days=settings.API_TOKEN_TTL_DAYS)
        assert abs(expiry - expected) < timedelta(minutes=1)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
        me = client.get(url("me"))
        assert me.status_code == 200 and me.json()["username"] == "ana"

    def test_only_the_hash_of_the_token_is_stored(self, ana):
        token = login("ana").json()["token"]
        stored = AuthToken.objects.get(user=ana)
        assert token not in (stored.digest, stored.token_key)

    def test_a_wrong_password_is_refused_with_a_clear_message(self, ana):
        response = login("ana", "wrong")
        assert response.status_code == 400
        assert response.json() == {
            "detail": "Unable to log in with the username and password given."
        }
        assert not AuthToken.objects.exists()

    def test_an_unknown_user_gets_the_same_answer_as_a_wrong_password(self, db):
        response = login("ghost")
        assert response.status_code == 400
        assert response.json()["detail"].startswith("Unable to log in")

    def test_missing_fields_are_field_errors(self, db):
        response = APIClient().post(url("auth-token"), {}, format="json")
        assert response.status_code == 400
        assert set(response.json()) == {"username", "password"}

    def test_an_inactive_user_gets_no_token(self, ana):
        ana.is_active = False
        ana.save(update_fields=["is_active"])
        assert login("ana").status_code == 400

    def test_a_user_without_a_role_gets_no_token(self, nobody):
        response = login("nadie")
        assert response.status_code == 403
        assert "no role" in response.json()["detail"]
        assert not AuthToken.objects.exists()

    def test_a_stale_token_in_the_header_does_not_stop_a_login(self, ana):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
        assert login("ana", client=client).status_code == 200

    def test_after_too_many_wrong_passwords_even_the_right_one_is_refused_unchecked(self, ana):
        allowed, _period = parse_rate(settings.LOGIN_RATE)
        codes = [login("ana", "wrong").status_code for _ in range(allowed)]
        throttled = login("ana")  # even with the right password
        assert codes == [400] * allowed
        assert throttled.status_code == 429
        assert throttled.json()["detail"].startswith("Too many failed sign-ins")
        assert 0 < int(throttled.headers["Retry-After"]) <= 300
        assert not AuthToken.objects.exists()

    def test_right_passwords_use_up_no_budget(self, ana):
        allowed, _period = parse_rate(settings.LOGIN_RATE)
        assert [login("ana").status_code for _ in range(allowed + 3)] == [200] * (allowed + 3)
        assert login("ana", "wrong").status_code == 400

    def test_a_body_without_a_password_is_not_an_attempt(self, ana):
        allowed, _period = parse_rate(settings.LOGIN_RATE)
        client = APIClient()
        for _ in range(allowed + 2):
            assert (
                client.post(url("auth-token"), {"username": "ana"}, format="json").status_code
                == 400
            )
        assert login("ana").status_code == 200

    def test_the_budget_comes_back_when_its_window_ends(self, ana):
        allowed, period = parse_rate(settings.LOGIN_RATE)
        with time_machine.travel(timezone.now(), tick=False) as traveller:
            for _ in range(allowed):
                login("ana", "wrong")
            assert login("ana").status_code == 429
            traveller.shift(timedelta(seconds=period))
            assert login("ana").status_code == 200


class TestPasswordGuessing:
    """Attacks on one account: the attacker is slowed, the owner is never locked out."""

    def test_a_spent_account_budget_refuses_the_attackers_addresses_not_the_owners(
        self, settings, ana
    ):
        settings.LOGIN_RATE = "3/5m"
        settings.LOGIN_ACCOUNT_RATE = "5/h"
        attackers = [f"203.0.113.{i}" for i in range(1, 4)]
        outcomes = [
            login("ana", f"guess-{i}", address=a).status_code for a in attackers for i in range(2)
        ]
        # The 6th guess finds the account's budget of 5 spent, from an address that tried it.
        assert outcomes == [400] * 5 + [429]

        # The owner, from an address that never tried this account, gets in at once.
        assert login("ana", address=OWNER).status_code == 200
        # Every attacking address stays refused, even with the right password.
        for address in attackers:
            refused = login("ana", address=address)
            assert refused.status_code == 429
            assert "Retry-After" in refused.headers
        assert AuthToken.objects.filter(user=ana).count() == 1

    def test_a_new_address_gets_one_guess_while_the_account_is_under_attack(self, settings, ana):
        settings.LOGIN_RATE = "3/5m"
        settings.LOGIN_ACCOUNT_RATE = "2/h"
        for i in range(3):
            login("ana", f"guess-{i}", address=ATTACKER)
        fresh = "192.0.2.200"
        assert login("ana", "another-guess", address=fresh).status_code == 400
        assert login("ana", address=fresh).status_code == 429  # now it has tried: refused

    def test_one_address_trying_many_accounts_is_stopped(self, settings, ana, bruno):
        settings.LOGIN_IP_RATE = "4/h"
        names = ["ana", "bruno", "carmen", "diego"]
        assert [login(n, "wrong", address=ATTACKER).status_code for n in names] == [400] * 4
        assert login("bruno", address=ATTACKER).status_code == 429
        assert login("bruno", address=OWNER).status_code == 200

    def test_the_login_page_and_the_token_endpoint_share_the_budget(self, client, settings, ana):
        settings.LOGIN_RATE = "3/5m"
        for _ in range(3):
            client.post(reverse("login"), {"username": "ana", "password": "wrong"})
        assert login("ana").status_code == 429

    def test_an_unknown_account_has_a_budget_like_a_real_one(self, settings, db):
        settings.LOGIN_RATE = "2/5m"
        assert [login("ghost", "x").status_code for _ in range(3)] == [400, 400, 429]


class TestTokenLifetime:
    def test_a_token_stops_working_when_it_expires(self, ana):
        token = login("ana").json()["token"]
        client = client_with(token)
        lifetime = timedelta(days=settings.API_TOKEN_TTL_DAYS)
        with time_machine.travel(timezone.now() + lifetime - timedelta(minutes=1)):
            assert client.get(url("me")).status_code == 200
        with time_machine.travel(timezone.now() + lifetime + timedelta(minutes=1)):
            assert client.get(url("me")).status_code == 401
        assert not AuthToken.objects.filter(user=ana).exists()  # knox deletes it

    def test_the_lifetime_follows_the_setting(self, settings, ana):
        settings.API_TOKEN_TTL_DAYS = 2
        settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": timedelta(days=2)}
        expiry = parse_datetime(login("ana").json()["expiry"])
        assert abs(expiry - (timezone.now() + timedelta(days=2))) < timedelta(minutes=1)

    def test_refreshing_exchanges_the_token_for_a_new_one_with_a_full_lifetime(self, ana):
        with time_machine.travel(timezone.now() - timedelta(days=20)):
            old = login("ana").json()
        response = client_with(old["token"]).post(url("auth-token-refresh"))
        assert response.status_code == 200
        new = response.json()
        assert new["token"] != old["token"]
        assert parse_datetime(new["expiry"]) - parse_datetime(old["expiry"]) > timedelta(days=19)
        assert client_with(old["token"]).get(url("me")).status_code == 401
        assert client_with(new["token"]).get(url("me")).status_code == 200
        assert AuthToken.objects.filter(user=ana).count() == 1

    def test_an_expired_token_cannot_be_refreshed(self, ana):
        token = login("ana").json()["token"]
        later = timezone.now() + timedelta(days=settings.API_TOKEN_TTL_DAYS, minutes=1)
        with time_machine.travel(later):
            assert client_with(token).post(url("auth-token-refresh")).status_code == 401

    def test_refreshing_needs_a_token_not_a_session(self, ana):
        client = APIClient(enforce_csrf_checks=False)
        client.force_login(ana)
        assert client.post(url("auth-token-refresh")).status_code == 401
        assert not AuthToken.objects.exists()


class TestListingAndRevokingTokens:
    def test_a_person_lists_their_own_working_tokens_by_id_never_by_secret(self, ana, bruno):
        first = login("ana").json()["token"]
        second = login("ana").json()["token"]
        login("bruno")
        response = client_with(second).get(url("auth-tokens"))
        assert response.status_code == 200
        rows = response.json()
        assert len(rows) == 2
        assert [row["current"] for row in rows] == [True, False]  # newest first
        assert set(rows[0]) == {"id", "created", "expiry", "current"}
        body = response.content.decode()
        for token in (first, second):
            assert token not in body and token[:8] not in body
        for stored in AuthToken.objects.filter(user=ana):
            assert stored.token_key not in body

    def test_expired_tokens_are_not_listed(self, ana):
        with time_machine.travel(timezone.now() - timedelta(days=settings.API_TOKEN_TTL_DAYS + 1)):
            login("ana")
        current = login("ana").json()["token"]
        assert len(client_with(current).get(url("auth-tokens")).json()) == 1

    def test_revoking_a_token_makes_it_stop_working(self, ana):
        kept = login("ana").json()["token"]
        revoked = login("ana").json()["token"]
        client = client_with(kept)
        victim = next(r["id"] for r in client.get(url("auth-tokens")).json() if not r["current"])
        assert client.delete(url("auth-token-detail", victim)).status_code == 204
        assert client_with(revoked).get(url("me")).status_code == 401
        assert client.get(url("me")).status_code == 200

    def test_another_persons_token_is_a_404_and_keeps_working(self, ana, bruno):
        brunos = login("bruno").json()["token"]
        brunos_id = client_with(brunos).get(url("auth-tokens")).json()[0]["id"]
        as_ana = client_with(login("ana").json()["token"])
        response = as_ana.delete(url("auth-token-detail", brunos_id))
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
        assert client_with(brunos).get(url("me")).status_code == 200

    @pytest.mark.parametrize("token_id", ["0" * 16, "abc", "ABCDEF0123456789", "%2e%2e", "x" * 200])
    def test_a_made_up_id_is_a_json_404(self, as_ana, token_id):
        response = as_ana.delete(f"/api/v1/auth/tokens/{token_id}/")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}

    def test_a_browser_session_lists_and_revokes_tokens_too(self, ana):
        token = login("ana").json()["token"]
        client = APIClient()
        client.force_login(ana)
        rows = client.get(url("auth-tokens")).json()
        assert [row["current"] for row in rows] == [False]
        assert client.delete(url("auth-token-detail", rows[0]["id"])).status_code == 204
        assert client_with(token).get(url("me")).status_code == 401


class TestLoggingOut:
    def test_logout_revokes_the_token(self, ana):
        token = login("ana").json()["token"]
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        assert client.post(url("auth-logout")).status_code == 204
        assert client.get(url("me")).status_code == 401
        assert not AuthToken.objects.filter(user=ana).exists()

    def test_logout_all_revokes_every_token_of_the_caller(self, ana, bruno):
        first, second = token_client(ana), token_client(ana)
        token_client(bruno)
        assert first.post(url("auth-logout-all")).status_code == 204
        assert second.get(url("me")).status_code == 401
        assert AuthToken.objects.filter(user=bruno).count() == 1

    def test_logout_needs_a_token(self, anonymous):
        assert anonymous.post(url("auth-logout")).status_code == 401


class TestSessionAuthentication:
    def test_a_logged_in_browser_session_can_read_the_api(self, ana):
        client = APIClient()
        client.force_login(ana)
        assert client.get(url("me")).status_code == 200

    def test_a_session_post_without_the_csrf_token_is_refused(self, ana, ticket):
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(ana)
        response = client.post(url("ticket-replies", ticket.pk), {"body": "Hi"}, format="json")
        assert response.status_code == 403
        assert "CSRF" in response.json()["detail"]
        assert not ticket.replies.exists()

    def test_a_bad_token_is_401_not_a_silent_anonymous_request(self, db):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION="Token abc")
        assert client.get(url("me")).status_code == 401


class TestMe:
    def test_me_describes_the_caller_with_role_and_teams(self, as_ana, ana, team_n1):
        response = as_ana.get(url("me"))
        assert response.json() == {
            "id": ana.pk,
            "username": "ana",
            "name": "Ana Pérez",
            "email": "ana@pulso.test",
            "role": "agent",
            "language": "es",
            "teams": [{"id": team_n1.pk, "name": "Soporte N1", "level": 1}],
        }

    def test_an_admin_without_groups_is_an_admin(self, adrian):
        assert token_client(adrian).get(url("me")).json()["role"] == "admin"

    @pytest.mark.parametrize("email", ["", "ana@pulso.test"])
    def test_me_keeps_the_documented_schema_with_or_without_an_e_mail(self, ana, email):
        """People without an e-mail exist (admins create them so): /me/ says "" for them,
        and the schema allows it."""
        ana.email = email
        ana.save()
        response = token_client(ana).get(url("me"))

        assert response.status_code == 200
        assert response.json()["email"] == email
        served = APIClient().get(reverse("api-schema"), {"format": "json"}).json()
        me = schemathesis.openapi.from_dict(served)[url("me")]["GET"]
        me.validate_response(  # raises with every violation
            schemathesis.Response(
                status_code=response.status_code,
                headers={name: [value] for name, value in response.headers.items()},
                content=response.content,
                request=requests.Request("GET", f"http://testserver{url('me')}").prepare(),
                elapsed=0.0,
                verify=True,
            )
        )


def test_tokens_issued_before_tokens_expired_get_the_lifetime_from_the_upgrade(ana):
    _instance, token = AuthToken.objects.create(ana, expiry=None)
    migration = import_module("cases.migrations.0009_api_tokens_expire")
    migration.give_every_token_an_expiry(apps, None)

    expiry = AuthToken.objects.get(user=ana).expiry
    expected = timezone.now() + timedelta(days=settings.API_TOKEN_TTL_DAYS)
    assert abs(expiry - expected) < timedelta(minutes=1)
    with time_machine.travel(expected + timedelta(minutes=1)):
        assert client_with(token).get(url("me")).status_code == 401
