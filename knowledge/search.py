"""The help-centre search: titles and bodies of both languages, accents and case ignored
(docs/knowledge.md).

What people type is read as words (letters and digits, as the ticket search reads them,
cases/search.py). An article matches when every word begins a word of its titles or bodies
(`envio` finds `Envío`, `factura` finds `facturación`); words of one or two characters and
numbers must match whole.

- **PostgreSQL**: `Article.search_vector`, written by the table's trigger with the `pulso`
  configuration (unaccent + simple, cases migration 0020), titles weight A and bodies B; a
  `tsquery` over its GIN index, ranked by `ts_rank`.
- **SQLite**: the same words and rule over `search_title` and `search_body`, the words
  folded by the services when the article is saved, each between spaces: `LIKE '% envio%'`
  finds a word beginning with `envio`. A scan, ranked by how many words the titles hold,
  then the bodies."""

import re
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import Case, ExpressionWrapper, F, FloatField, Q, QuerySet, Value, When

from cases.search import CONFIG, MAX_WORDS, PREFIX_MIN, WORD, fold

from .models import Article

QUERY_MAX_LENGTH = 200

# What people sometimes paste into a search box that names them: an e-mail address, or a
# number of six digits or more (a phone, an order, a card, an ID), spaces and dashes within.
_EMAIL = re.compile(r"\S+@\S+")
_NUMBER = re.compile(r"\+?\d[\d \t().-]*\d")
PERSONAL_DIGITS = 6
REMOVED = "…"


def without_personal_data(text: str) -> tuple[str, bool]:
    """`text` without e-mail addresses and long numbers, for the search log (docs/knowledge.md,
    "Search"); and whether anything was taken out."""
    cleaned, emails = _EMAIL.subn(" ", text)

    def number(match: re.Match[str]) -> str:
        digits = sum(c.isdigit() for c in match.group(0))
        return " " if digits >= PERSONAL_DIGITS else match.group(0)

    scrubbed = _NUMBER.sub(number, cleaned)
    return scrubbed, bool(emails) or scrubbed != cleaned


@dataclass(frozen=True)
class HelpSearch:
    """The words of a search box, read once; `(word, prefix)` pairs."""

    words: tuple[tuple[str, bool], ...]

    @classmethod
    def parse(cls, value: str) -> "HelpSearch":
        text = unicodedata.normalize("NFC", (value or "")[:QUERY_MAX_LENGTH])
        found = WORD.findall(text)[:MAX_WORDS]
        return cls(tuple((word, len(word) >= PREFIX_MIN and not word.isdigit()) for word in found))

    def __bool__(self) -> bool:
        return bool(self.words)

    @property
    def normalised(self) -> str:
        """The words folded (lower case, no accents), as the search log keeps them."""
        return " ".join(fold(word) for word, _prefix in self.words)[:QUERY_MAX_LENGTH]

    def tsquery(self) -> str:
        return " & ".join(f"'{word}'{':*' if prefix else ''}" for word, prefix in self.words)


def search(articles: QuerySet[Article], query: HelpSearch) -> QuerySet[Article]:
    """`articles` that hold every word of `query`, best first (none for a query without
    words), each with `search_rank`."""
    if not query:
        return articles.none()
    if connection.vendor == "postgresql":
        tsquery = SearchQuery(query.tsquery(), config=CONFIG, search_type="raw")
        return (
            articles.filter(search_vector=tsquery)
            .annotate(search_rank=SearchRank(F("search_vector"), tsquery))
            .order_by("-search_rank", "-updated_at", "-pk")
        )
    return _sqlite_search(articles, query)


# --- SQLite ---------------------------------------------------------------------------------

# A title hit outweighs any number of body hits (MAX_WORDS body hits at most).
_TITLE_WEIGHT = 100


def folded_words(*texts: str) -> str:
    """The words of `texts` folded, each with a space before and after: `" envio rapido "`.
    Kept in `Article.search_title` / `search_body` by the services."""
    words = WORD.findall(unicodedata.normalize("NFC", " ".join(texts)))
    return f" {' '.join(fold(word) for word in words)} " if words else ""


def _pattern(word: str, prefix: bool) -> str:
    """What a folded text holds when the word is in it: a word beginning with it, or it
    whole."""
    return f" {fold(word)}" if prefix else f" {fold(word)} "


def _sqlite_search(articles: QuerySet[Article], query: HelpSearch) -> QuerySet[Article]:
    match = Q()
    rank: Any = Value(0)
    for word, prefix in query.words:
        pattern = _pattern(word, prefix)
        in_title = Q(search_title__contains=pattern)
        in_body = Q(search_body__contains=pattern)
        match &= in_title | in_body
        rank = (
            rank
            + Case(When(in_title, then=Value(_TITLE_WEIGHT)), default=Value(0))
            + Case(When(in_body, then=Value(1)), default=Value(0))
        )
    return (
        articles.filter(match)
        .annotate(search_rank=ExpressionWrapper(rank, output_field=FloatField()))
        .order_by("-search_rank", "-updated_at", "-pk")
    )
