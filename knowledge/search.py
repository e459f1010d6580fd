"""The help-centre search: titles and bodies of both languages, accents and case ignored
(docs/knowledge.md).

What people type is read as words (letters and digits, as the ticket search reads them,
cases/search.py). An article matches when every word begins a word of its titles or bodies
(`envio` finds `Envío`, `factura` finds `facturación`); words of one or two characters and
numbers must match whole.

- **PostgreSQL**: `Article.search_vector`, written by the table's trigger with the `pulso`
  configuration (unaccent + simple, cases migration 0020), titles weight A and bodies B; a
  `tsquery` over its GIN index, ranked by `ts_rank`.
- **SQLite**: the same words and rule over the articles' text through a Python function
  registered on each connection: a scan, ranked by how many words the titles hold, then the
  bodies."""

import json
import unicodedata
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F, FloatField, Func, QuerySet, TextField, Value
from django.db.models.functions import Concat

from cases.search import CONFIG, MAX_WORDS, PREFIX_MIN, WORD, fold

from .models import Article

QUERY_MAX_LENGTH = 200


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

    def folded_json(self) -> str:
        return json.dumps([[fold(word), prefix] for word, prefix in self.words])


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
    score = Func(
        Concat("title_es", Value(" "), "title_en", output_field=TextField()),
        Concat("body_es", Value(" "), "body_en", output_field=TextField()),
        Value(query.folded_json()),
        function="knowledge_search_score",
        output_field=FloatField(),
    )
    return (
        articles.annotate(search_rank=score)
        .filter(search_rank__gt=0)
        .order_by("-search_rank", "-updated_at", "-pk")
    )


# --- SQLite -----------------------------------------------------------------------------------

# A title hit outweighs any number of body hits (MAX_WORDS body hits at most).
_TITLE_WEIGHT = 100


def _words(text: str | None) -> set[str]:
    return {fold(word) for word in WORD.findall(unicodedata.normalize("NFC", text or ""))}


def _finds(words: set[str], term: str, prefix: bool) -> bool:
    if not prefix:
        return term in words
    return any(word.startswith(term) for word in words)


def _score(title: str | None, body: str | None, terms_json: str) -> float:
    """0 unless every word is in the title or body; else title hits × 100 + body hits."""
    terms = json.loads(terms_json)
    title_words, body_words = _words(title), _words(body)
    title_hits = body_hits = 0
    for term, prefix in terms:
        in_title = _finds(title_words, term, prefix)
        in_body = _finds(body_words, term, prefix)
        if not (in_title or in_body):
            return 0.0
        title_hits += in_title
        body_hits += in_body
    return float(title_hits * _TITLE_WEIGHT + body_hits)


def register_sqlite_functions(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """`connection_created` receiver: the search's function on every SQLite connection."""
    if connection.vendor != "sqlite":
        return
    connection.connection.create_function("knowledge_search_score", 3, _score, deterministic=True)
