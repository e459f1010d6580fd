"""The self-service KPIs equal a hand computation on a small desk (docs/kpis.md
"Self-service")."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from knowledge.kpis import PeriodError, read_period, self_service, wilson
from knowledge.models import (
    ArticleView,
    ArticleVote,
    DeflectionShown,
    DeflectionVisit,
    SearchLog,
)

START, END = date(2026, 3, 1), date(2026, 4, 1)
NOW = timezone.make_aware(datetime(2026, 4, 10, 12, 0))


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime(2026, 3, day, hour, minute))


def test_wilson_matches_the_shared_vector():
    assert wilson(7, 10) == {"low": 39.7, "high": 89.2}
    assert wilson(0, 0) is None


@pytest.fixture
def desk(write):
    a = write(slug="a", title_es="Artículo A", title_en="Article A")
    b = write(slug="b", title_es="Artículo B", title_en="Article B")
    # views: 5 + 3 of A and 4 of B in March; 100 in February and April don't count
    for article, day, views in ((a, 2, 5), (a, 3, 3), (b, 2, 4)):
        ArticleView.objects.create(article=article, day=date(2026, 3, day), views=views)
    ArticleView.objects.create(article=a, day=date(2026, 2, 28), views=100)
    ArticleView.objects.create(article=b, day=date(2026, 4, 1), views=100)
    # votes: 3 yes, 1 no in March; one in February
    for n, helpful in enumerate((True, True, True, False)):
        vote = ArticleVote.objects.create(article=a, voter=f"v{n}", helpful=helpful)
        ArticleVote.objects.filter(pk=vote.pk).update(created_at=at(5))
    old = ArticleVote.objects.create(article=b, voter="old", helpful=False)
    ArticleVote.objects.filter(pk=old.pk).update(created_at=at(1) - timedelta(days=2))

    def visit(day, opened=None, submitted=None, shown=(a,), opened_articles=(a,)):
        v = DeflectionVisit.objects.create(
            token=f"t{DeflectionVisit.objects.count()}",
            language="en",
            started_at=at(day),
            first_opened_at=opened,
            submitted_at=submitted,
        )
        for article in shown:
            DeflectionShown.objects.create(
                visit=v,
                article=article,
                shown_at=at(day),
                opened_at=opened if opened and article in opened_articles else None,
            )
        return v

    visit(10, opened=at(10, 10, 1))  # deflected
    visit(11, opened=at(11, 10, 1), submitted=at(11, 10, 40))  # submitted after 39 min: deflected
    visit(12, opened=at(12, 10, 1), submitted=at(12, 10, 20), shown=(a, b))  # submitted: not
    visit(13, opened=at(13, 10, 1), submitted=at(13, 10, 2), shown=(a, b), opened_articles=(b,))
    visit(14, submitted=at(14, 10, 5))  # never opened: not
    visit(15)  # shown, left without opening: not
    visit(31, opened=at(31, 10, 5))  # deflected, the last day of March
    february = visit(16, opened=at(16, 10, 1))  # moved to February: out of the period
    DeflectionVisit.objects.filter(pk=february.pk).update(started_at=at(1) - timedelta(days=1))
    # searches: 5 in March, 3 without results (two "factura", one "reembolso")
    for query, results in (
        ("factura", 0),
        ("factura", 0),
        ("reembolso", 0),
        ("contrasena", 2),
        ("envio", 1),
    ):
        log = SearchLog.objects.create(query=query, language="es", results=results)
        SearchLog.objects.filter(pk=log.pk).update(created_at=at(20))
    return a, b


def test_self_service_kpis_equal_the_hand_computation(desk):
    a, b = desk
    result = self_service(START, END, now=NOW, language="en")
    assert result["views"] == 12
    assert [(r["slug"], r["count"]) for r in result["most_viewed"]] == [("a", 8), ("b", 4)]
    assert result["most_viewed"][0]["title"] == "Article A"
    # 3 yes of 4
    assert (result["helpful_yes"], result["votes"], result["helpfulness"]) == (3, 4, 75.0)
    assert result["helpfulness_low_sample"] is True
    # 7 visits in March; deflected: 10th, 11th, 31st = 3
    assert result["visits_shown"] == 7
    assert result["deflected"] == 3
    assert result["deflection_rate"] == 42.9
    assert result["deflection_interval"] == wilson(3, 7)
    # searches: 3 of 5 found nothing
    assert (result["searches"], result["searches_without_results"]) == (5, 3)
    assert result["no_results_share"] == 60.0
    assert result["content_gaps"] == [
        {"query": "factura", "count": 2},
        {"query": "reembolso", "count": 1},
    ]
    # opened before a submission: the 12th (A) and the 13th (B); the 11th opened A but
    # submitted after the window — still opened before the ticket
    assert [(r["slug"], r["count"]) for r in result["viewed_before_ticket"]] == [
        ("a", 2),
        ("b", 1),
    ]


def test_a_visit_opened_less_than_thirty_minutes_ago_is_undecided(desk):
    result = self_service(START, END, now=at(31, 10, 20))
    assert result["undecided"] == 1
    assert result["deflected"] == 2


def test_an_empty_period_has_no_rates(db):
    result = self_service(START, END, now=NOW)
    assert result["views"] == 0
    assert result["helpfulness"] is None
    assert result["deflection_rate"] is None and result["deflection_interval"] is None
    assert result["no_results_share"] is None


def test_read_period():
    today = date(2026, 3, 15)
    assert read_period({}, today) == read_period({"period": "30"}, today)
    got = read_period({"period": "30"}, today)
    assert (got.start, got.end) == (date(2026, 2, 14), date(2026, 3, 16))
    got = read_period({"period": "custom", "from": "2026-01-01", "to": "2026-02-01"}, today)
    assert (got.start, got.end) == (date(2026, 1, 1), date(2026, 2, 1))
    with pytest.raises(PeriodError) as error:
        read_period({"from": "2026-02-01", "to": "2026-01-01"}, today)
    assert error.value.field == "to"
    with pytest.raises(PeriodError):
        read_period({"from": "yesterday"}, today)
    with pytest.raises(PeriodError):
        read_period({"period": "forever"}, today)
