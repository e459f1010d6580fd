"""The login page of the workspace."""

from django.urls import reverse

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
