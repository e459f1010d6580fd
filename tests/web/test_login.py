"""The login page of the workspace."""

from django.test import Client
from django.urls import reverse

from cases.login_guard import parse_rate

LOGIN = reverse("login")


def test_the_login_page_asks_for_username_and_password_and_offers_languages(client, db):
    html = client.get(LOGIN).content.decode()
    assert 'name="username"' in html
    assert 'name="password"' in html
    assert 'name="language"' in html  # the language switcher


def test_a_wrong_password_is_reported(client, ana):
    response = client.post(LOGIN, {"username": "ana", "password": "wrong"})
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert 'value="ana"' in response.content.decode()


def test_logging_in_leads_to_the_queue(client, ana):
    response = client.post(LOGIN, {"username": "ana", "password": "pulso-test"})
    assert response.status_code == 302
    assert response.url == reverse("cases:queue")


def test_logging_in_returns_to_the_page_asked_for(client, ana, ticket):
    target = reverse("cases:ticket_detail", args=[ticket.pk])
    page = client.get(target, follow=True)
    assert f'name="next" value="{target}"' in page.content.decode()
    response = client.post(LOGIN, {"username": "ana", "password": "pulso-test", "next": target})
    assert response.url == target


def test_logging_out_is_a_post(client, ana):
    client.force_login(ana)
    assert client.get(reverse("logout")).status_code == 405
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get(reverse("cases:queue")).status_code == 302


# --- password guessing ------------------------------------------------------------------------

ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"


def post_login(username, password, address=ATTACKER, **extra):
    return Client(REMOTE_ADDR=address).post(
        LOGIN, {"username": username, "password": password, **extra}
    )


def test_after_too_many_wrong_passwords_the_form_says_when_to_try_again(settings, ana):
    allowed, _period = parse_rate(settings.LOGIN_RATE)
    assert [post_login("ana", "wrong").status_code for _ in range(allowed)] == [200] * allowed
    refused = post_login("ana", "pulso-test")  # even the right password is not checked
    html = refused.content.decode()
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 300
    assert "Too many failed sign-ins. Try again in" in html
    assert 'value="ana"' in html  # the form keeps what was typed
    assert "_auth_user_id" not in refused.wsgi_request.session


def test_nobody_can_lock_the_owner_out_of_their_account(settings, ana):
    settings.LOGIN_RATE = "3/5m"
    settings.LOGIN_ACCOUNT_RATE = "5/h"
    attackers = [f"203.0.113.{i}" for i in range(1, 4)]
    for address in attackers:
        for guess in ("123456", "password"):
            post_login("ana", guess, address=address)

    owner = post_login("ana", "pulso-test", address=OWNER)
    assert owner.status_code == 302 and owner.url == reverse("cases:queue")
    for address in attackers:
        assert post_login("ana", "pulso-test", address=address).status_code == 429


def test_the_owners_typos_do_not_block_other_accounts_from_the_same_office(settings, ana, bruno):
    settings.LOGIN_RATE = "2/5m"
    post_login("ana", "typo", address=OWNER)
    post_login("ana", "typo", address=OWNER)
    assert post_login("ana", "pulso-test", address=OWNER).status_code == 429
    assert post_login("bruno", "pulso-test", address=OWNER).status_code == 302


def test_only_failed_passwords_count(settings, ana):
    settings.LOGIN_RATE = "2/5m"
    for _ in range(4):
        assert post_login("ana", "pulso-test").status_code == 302
    for _ in range(4):  # a post without a password checks nothing
        assert post_login("ana", "").status_code == 200
    assert post_login("ana", "wrong").status_code == 200
    assert post_login("ana", "pulso-test").status_code == 302


def test_the_admin_login_counts_in_the_same_budget(settings, adrian):
    settings.LOGIN_RATE = "3/5m"
    admin_login = reverse("admin:login")
    client = Client(REMOTE_ADDR=ATTACKER)
    for _ in range(3):
        client.post(admin_login, {"username": "adrian", "password": "wrong"})
    refused = client.post(admin_login, {"username": "adrian", "password": "pulso-test"})
    assert "Too many failed sign-ins" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    assert post_login("adrian", "pulso-test", address=ATTACKER).status_code == 429
    assert post_login("adrian", "pulso-test", address=OWNER).status_code == 302
