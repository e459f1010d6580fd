"""The dashboard's self-service section and its API (docs/kpis.md "Self-service")."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from knowledge import deflection
from knowledge.models import ArticleVote, SearchLog

SECTION = reverse("knowledge:self_service")
API = reverse("knowledge-api:knowledge-self-service")


@pytest.fixture
def figures(write):
    """One visit deflected an hour ago, a yes vote, a search that found nothing."""
    article = write(slug="reset-password", title_en="Reset your password", title_es="")
    earlier = timezone.now() - timedelta(hours=1)
    visit = deflection.record_shown(token="", articles=[article], language="en", now=earlier)
    assert visit is not None
    deflection.record_open(token=visit.token, article=article, now=earlier)
    deflection.record_view(article)
    ArticleVote.objects.create(article=article, voter="v", helpful=True)
    SearchLog.objects.create(query="factura duplicada", language="es", results=0)
    return article


def test_the_manager_dashboard_loads_the_section_with_its_period(client, marta, ana):
    client.force_login(marta)
    html = client.get(reverse("metrics:dashboard"), {"period": "90"}).content.decode()
    assert 'hx-get="/knowledge/self-service/?period=90"' in html
    client.force_login(ana)
    mine = client.get(reverse("metrics:my_dashboard")).content.decode()
    assert "/knowledge/self-service/" not in mine


def test_the_section_shows_the_figures_to_managers(client, marta, adrian, figures):
    for user in (marta, adrian):
        client.force_login(user)
        response = client.get(SECTION, {"period": "7"}, headers={"accept-language": "en"})
        html = response.content.decode()
        assert response.status_code == 200
        assert "Deflection rate" in html and "100.0 %" in html
        assert "1 deflected of 1 web-form visit shown suggestions" in html
        assert "95 % interval: 20.7 % to 100.0 %" in html
        assert "factura duplicada" in html
        assert "Reset your password" in html


def test_agents_may_not_see_the_section(client, ana, figures):
    client.force_login(ana)
    assert client.get(SECTION).status_code == 403
    client.logout()
    assert client.get(SECTION).status_code == 302  # to the sign-in page


def test_a_bad_period_is_refused(client, marta):
    client.force_login(marta)
    response = client.get(SECTION, {"period": "custom", "from": "2026-02-01", "to": "2026-01-01"})
    assert response.status_code == 400


def test_the_api_answers_the_figures(client, marta, figures):
    client.force_login(marta)
    today = timezone.localdate()
    response = client.get(
        API,
        {
            "from": (today - timedelta(days=1)).isoformat(),
            "to": (today + timedelta(days=1)).isoformat(),
        },
    )
    assert response.status_code == 200
    data = response.json()
    assert (data["visits_shown"], data["deflected"], data["deflection_rate"]) == (1, 1, 100.0)
    assert data["deflection_interval"] == {"low": 20.7, "high": 100.0}
    assert (data["votes"], data["helpfulness"]) == (1, 100.0)
    assert data["views"] == 1
    assert data["content_gaps"] == [{"query": "factura duplicada", "count": 1}]
    assert data["no_results_share"] == 100.0


def test_the_api_refuses_bad_dates_with_json(client, marta, ana):
    client.force_login(marta)
    response = client.get(API, {"from": "soon"})
    assert response.status_code == 400
    assert "from" in response.json()
    client.force_login(ana)
    assert client.get(API).status_code == 403


def test_a_long_search_without_spaces_is_cut_and_wraps_in_its_column(client, marta, db):
    long_query = "a" * 200
    SearchLog.objects.create(query=long_query, language="es", results=0)
    client.force_login(marta)
    html = client.get(SECTION, {"period": "7"}).content.decode()
    assert f'title="{long_query}"' in html  # the whole search, on hover
    assert f"“{'a' * 79}…”" in html and f"“{long_query}”" not in html
    assert '<li class="text-break"' in html
