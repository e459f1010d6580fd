from knox.models import AuthToken
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from .helpers import token_client, url


def login(username, password="pulso-test", client=None):
    return (client or APIClient()).post(
        url("auth-token"), {"username": username, "password": password}, format="json"
    )


class TestGettingAToken:
    def test_an_agent_gets_a_token_that_authenticates_later_requests(self, ana):
        response = login("ana")
        assert response.status_code == 200
        assert set(response.json()) == {"token", "expiry"}
        assert response.json()["expiry"] is None  # REST_KNOX TOKEN_TTL is None: no expiry
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

    def test_the_token_endpoint_is_throttled_at_the_configured_rate(self, ana):
        allowed, _period = ScopedRateThrottle().parse_rate(
            api_settings.DEFAULT_THROTTLE_RATES["auth"]
        )
        codes = [login("ana", "wrong").status_code for _ in range(allowed)]
        throttled = login("ana")  # even with the right password
        assert codes == [400] * allowed
        assert throttled.status_code == 429
        assert "Retry-After" in throttled.headers
        assert not AuthToken.objects.exists()


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
