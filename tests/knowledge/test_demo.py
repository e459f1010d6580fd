"""The help centre's demo data (knowledge/demo.py): ~30 articles in both languages for the
demo desk's categories and 90 days of history that fill the self-service section."""

from datetime import timedelta

from django.utils import timezone

from cases.demo import World
from cases.signals import demo_loaded
from knowledge.kpis import self_service
from knowledge.models import Article, DeflectionVisit, Status


def test_demo_loaded_writes_the_articles_and_their_history(marta):
    now = timezone.now()
    demo_loaded.send(sender=World, seed=7, now=now, managers=[marta])
    articles = Article.objects.all()
    assert 28 <= articles.count() <= 35
    assert articles.filter(status=Status.DRAFT).exists()
    assert articles.filter(status=Status.INTERNAL).exists()
    published = articles.filter(status=Status.PUBLISHED)
    assert published.exclude(title_es="").exclude(title_en="").count() == published.count()
    assert not DeflectionVisit.objects.filter(started_at__gt=now).exists()

    today = timezone.localdate(now)
    kpis = self_service(today - timedelta(days=89), today + timedelta(days=1), now=now)
    assert kpis["views"] > 1000
    assert kpis["votes"] >= 20 and kpis["helpfulness"] is not None
    assert kpis["visits_shown"] >= 20 and not kpis["deflection_low_sample"]
    assert 10 < kpis["deflection_rate"] < 60
    assert kpis["content_gaps"] and kpis["viewed_before_ticket"]
    assert 0 < kpis["no_results_share"] < 50

    # a second signal (the loader runs once per desk) adds nothing
    demo_loaded.send(sender=World, seed=7, now=now, managers=[marta])
    assert Article.objects.count() == articles.count()
