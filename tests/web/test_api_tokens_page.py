"""A signed-in person sees their API tokens under Preferences and revokes them there."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from cases.selectors import api_token_id

PREFERENCES = reverse("preferences")


def token_for(user, **kwargs) -> tuple[AuthToken, str]:
    return AuthToken.objects.create(user, expiry=timedelta(days=30), **kwargs)


def works(token: str) -> bool:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client.get(reverse("api:me")).status_code == 200


@pytest.fixture
def as_ana(client, ana):
    client.force_login(ana)
    return client


def test_the_page_lists_my_working_tokens_with_dates_and_never_their_secrets(as_ana, ana, bruno):
    mine, secret = token_for(ana)
    token_for(bruno)
    expired, _old = AuthToken.objects.create(ana, expiry=timedelta(seconds=-1))

    html = as_ana.get(PREFERENCES).content.decode()
    assert "API tokens" in html
    assert api_token_id(mine) in html
    assert api_token_id(expired) not in html
    assert secret not in html and mine.token_key not in html
    assert timezone.localtime(mine.expiry).isoformat()[:16] in html  # <time datetime=…>
    assert html.count('action="/accounts/preferences/api-tokens/') == 1


def test_someone_without_tokens_is_told_so(as_ana):
    assert "You have no API tokens." in as_ana.get(PREFERENCES).content.decode()


def test_revoking_a_token_from_the_page_makes_it_stop_working(as_ana, ana):
    instance, secret = token_for(ana)
    kept, kept_secret = token_for(ana)
    response = as_ana.post(reverse("revoke_api_token", args=[api_token_id(instance)]), follow=True)
    assert response.status_code == 200
    assert "The API token is revoked" in response.content.decode()
    assert not works(secret)
    assert works(kept_secret)


def test_someone_elses_token_cannot_be_revoked(as_ana, bruno):
    instance, secret = token_for(bruno)
    response = as_ana.post(reverse("revoke_api_token", args=[api_token_id(instance)]))
    assert response.status_code == 404
    assert works(secret)


def test_revoking_is_a_post_with_the_csrf_token(client, ana):
    instance, secret = token_for(ana)
    path = reverse("revoke_api_token", args=[api_token_id(instance)])
    client.force_login(ana)
    assert client.get(path).status_code == 405
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(ana)
    assert strict.post(path).status_code == 403
    assert works(secret)


def test_revoking_needs_a_session(client, ana):
    instance, secret = token_for(ana)
    response = client.post(reverse("revoke_api_token", args=[api_token_id(instance)]))
    assert response.status_code == 302 and reverse("login") in response.url
    assert works(secret)


def test_the_page_states_the_lifetime(as_ana, settings):
    settings.API_TOKEN_TTL_DAYS = 7
    assert "expires 7 days after it was issued" in as_ana.get(PREFERENCES).content.decode()
