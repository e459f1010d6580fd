"""The web form's suggested articles and what became of them (docs/knowledge.md,
"Deflection"): which published articles to suggest for what a customer is typing, the visit
record (a random token, no personal data), the articles opened from it and the form's
submission, told by cases' `web_case_submitted` signal. Also the help centre's view
counters. Whether a visit was deflected is decided when read (knowledge/kpis.py)."""

import re
import secrets
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from .models import Article, ArticleView, DeflectionShown, DeflectionVisit
from .search import HelpSearch, search
from .selectors import public_articles

SUGGESTIONS = 5
# What matching reads of the form: the subject and the start of the description. The page's
# script (static/js/help_suggestions.js) sends no more, so the GET stays a few KB.
SUBJECT_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 500
TEXT_MAX_LENGTH = SUBJECT_MAX_LENGTH + 1 + DESCRIPTION_MAX_LENGTH
# Words read from the subject and description, longest first: enough to find an answer,
# few enough for a request per pause in typing.
WORDS_TRIED = 6
WORD_MIN_LENGTH = 4
# Words that say nothing about the question (folded, as HelpSearch reads them).
STOPWORDS = frozenset(
    """
    about after again also because been cannot could does doesnt dont from have hello help
    here into just know like need please since still that their them then there these they
    this thank thanks want were what when where which while with would your
    ahora algo antes como cual cuando desde donde esta estan este esto gracias hace hola
    mismo mucho necesito otra otro para pero puedo quiero sobre solo tambien tengo tiene
    todo todos buenas buenos dias favor
    """.split()  # noqa: SIM905 - a paragraph of words reads better than a list
)
TOKEN_BYTES = 24


def suggest(text: str, language: str, limit: int = SUGGESTIONS) -> list[Article]:
    """Published articles with a title in `language` matching the words of `text`: those
    holding the most of its longest meaningful words first (any one word is enough, unlike
    the help-centre search, since a question holds words no article does)."""
    query = HelpSearch.parse(text[:TEXT_MAX_LENGTH])
    words = sorted(
        {
            word
            for word, _prefix in query.words
            if len(word) >= WORD_MIN_LENGTH
            and not word.isdigit()
            and HelpSearch.parse(word).normalised not in STOPWORDS
        },
        key=lambda w: (-len(w), w),
    )[:WORDS_TRIED]
    if not words:
        return []
    field = "title_es" if language == "es" else "title_en"
    candidates = public_articles().exclude(**{field: ""})
    hits: dict[int, int] = {}
    order: list[int] = []
    for word in words:
        for pk in search(candidates, HelpSearch(((word, True),))).values_list("pk", flat=True)[
            : limit * 2
        ]:
            if pk not in hits:
                order.append(pk)
            hits[pk] = hits.get(pk, 0) + 1
    best = sorted(order, key=lambda pk: -hits[pk])[:limit]
    articles = {a.pk: a for a in candidates.filter(pk__in=best)}
    return [articles[pk] for pk in best if pk in articles]


# What secrets.token_urlsafe writes: anything else (a NUL byte PostgreSQL would refuse, a
# megabyte of junk) is no visit, without asking the database.
_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def visit_for(token: str) -> DeflectionVisit | None:
    if not isinstance(token, str) or not _TOKEN.fullmatch(token):
        return None
    return DeflectionVisit.objects.filter(token=token).first()


@transaction.atomic
def record_shown(
    *, token: str, articles: list[Article], language: str, now: datetime | None = None
) -> DeflectionVisit | None:
    """The visit (`token`'s, else a new one once something is shown) with `articles` noted as
    shown. None when nothing was ever shown: a visit counts only once it was."""
    now = now or timezone.now()
    visit = visit_for(token)
    if visit is None:
        if not articles:
            return None
        visit = DeflectionVisit.objects.create(
            token=secrets.token_urlsafe(TOKEN_BYTES), language=language[:2], started_at=now
        )
    if visit.submitted_at is None:
        known = set(visit.shown.values_list("article_id", flat=True))
        # ignore_conflicts: two overlapping requests of the same visit (the visitor typing on)
        # may both find an article not yet noted; the first one's row stands.
        DeflectionShown.objects.bulk_create(
            [
                DeflectionShown(visit=visit, article=article, shown_at=now)
                for article in articles
                if article.pk not in known
            ],
            ignore_conflicts=True,
        )
    return visit


def record_open(*, token: str, article: Article, now: datetime | None = None) -> bool:
    """A suggested article opened from its visit's list: its first opening and the visit's.
    False (nothing written) for an article the visit was never shown."""
    now = now or timezone.now()
    visit = visit_for(token)
    if visit is None:
        return False
    shown = DeflectionShown.objects.filter(visit=visit, article=article)
    if not shown.exists():
        return False
    shown.filter(opened_at__isnull=True).update(opened_at=now)
    DeflectionVisit.objects.filter(pk=visit.pk, first_opened_at__isnull=True).update(
        first_opened_at=now
    )
    return True


def record_submission(*, token: str, now: datetime | None = None) -> bool:
    """The web form submitted during the visit (its first submission only)."""
    visit = visit_for(token)
    if visit is None:
        return False
    DeflectionVisit.objects.filter(pk=visit.pk, submitted_at__isnull=True).update(
        submitted_at=now or timezone.now()
    )
    return True


def on_web_case_submitted(sender: Any, visit_token: str = "", **kwargs: Any) -> None:
    """cases.signals.web_case_submitted's receiver (connected in apps.py)."""
    if isinstance(visit_token, str) and visit_token:
        record_submission(token=visit_token)


def record_view(article: Article, *, now: datetime | None = None) -> None:
    """One more view of `article` today, counted in the database (no read-modify-write)."""
    day = timezone.localdate(now or timezone.now())
    rows = ArticleView.objects.filter(article=article, day=day)
    if rows.update(views=F("views") + 1):
        return
    try:
        with transaction.atomic():
            ArticleView.objects.create(article=article, day=day, views=1)
    except IntegrityError:  # another request created today's row first
        rows.update(views=F("views") + 1)
