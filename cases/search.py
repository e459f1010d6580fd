"""The ticket search: one box over a ticket's reference, subject, description, every reply
and note, and its customer's name and e-mail, accents and case ignored (docs/search.md).

What people type is read as words (runs of letters and digits: `lucia.torres@` is `lucia`
and `torres`). A ticket matches when every word begins a word of the ticket — `factura`
finds `facturas` and `facturación`, `envio` finds `envío` — except words of one or two
characters and numbers, which must match whole (`de` is not every word that starts so, and
`123` is not `1234`). A search that is a reference (`PUL-000123`, `123`) also finds that
ticket.

- **PostgreSQL**: the words of each ticket are kept in `TicketSearchDocument.vector` by the
  database's own triggers (cases migration 0020), folded by the `pulso` text search
  configuration; the search is a `tsquery` over its GIN index, ranked by `ts_rank` with the
  reference and subject above the customer and description, above the conversation, and the
  matching passage comes from `ts_headline`, for the rows of one page only.
- **SQLite** (the embedded desk): the same words and the same rule, read from the tickets'
  own text by functions registered on each connection (`register_sqlite_functions`): no
  index, a scan of the desk's tickets, which the embedded mode's size allows.

Both give the same tickets for the same words; the tests run on both.
"""

import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.postgres.aggregates import StringAgg
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchRank
from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import (
    Aggregate,
    BooleanField,
    Case,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.expressions import Combinable
from django.db.models.functions import Cast, Coalesce, Concat
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .models import Reply, Ticket, parse_reference
from .paginator import COUNT_CAP

# PostgreSQL's text search configuration (cases migration 0020).
CONFIG = "pulso"
# A word of what people type, and of a ticket's text on SQLite: letters and digits.
WORD = re.compile(r"[^\W_]+")
# Shorter words, and numbers, match whole words only: a prefix of one or two letters would
# read most of the index, and a number is a reference, an amount, a code.
PREFIX_MIN = 3
# Words beyond these are ignored: each one narrows the search, and a pasted paragraph would
# otherwise become a query of a hundred terms.
MAX_WORDS = 10
# Sorting by relevance ranks the newest matches, up to one more than the pager counts (so
# it still says "1000+" when more match): ranking every ticket that mentions a common word
# would read all their documents for one page.
RELEVANCE_WINDOW = COUNT_CAP + 1
# The matching passage: about this many words, in at most two fragments (PostgreSQL).
FRAGMENT_WORDS = 30
# Marks around a matched word inside the database's fragment, made <mark> after the text is
# escaped; taken out of the text first (private-use characters, never meant to be shown).
START, STOP = "\ue000", "\ue001"


@dataclass(frozen=True)
class Term:
    """One word of a search, as typed; `prefix`: it may begin a longer word."""

    word: str
    prefix: bool

    @property
    def folded(self) -> str:
        return fold(self.word)


@dataclass(frozen=True)
class TicketSearch:
    """What a search box holds, read once: its words and the reference it may be.

    Words typed together (`lucia.torres@`, `bench-3@`, `wi-fi`, `PUL-000123`) form a group
    that must appear in that order, one right after the other, as the ticket's text has them:
    an e-mail address finds that address, not every ticket holding its words somewhere. In a
    group only the last word, if nothing follows it, may begin a longer word: the others were
    typed whole (and a prefix of a word every ticket holds, like an e-mail's domain, would
    read its whole list of tickets from the index)."""

    groups: tuple[tuple[Term, ...], ...]
    reference: int | None

    @classmethod
    def parse(cls, value: str) -> "TicketSearch":
        groups: list[tuple[Term, ...]] = []
        budget = MAX_WORDS
        for chunk in unicodedata.normalize("NFC", value or "").split():
            found = list(WORD.finditer(chunk))[:budget]
            if found:
                # Only a word the chunk ends with may be the beginning of a longer one: one
                # followed by a dot, an @ or a hyphen was typed whole (`lucia.torres@`).
                groups.append(
                    tuple(
                        Term(m.group(), prefix=m.end() == len(chunk) and _may_begin(m.group()))
                        for m in found
                    )
                )
                budget -= len(found)
        return cls(groups=tuple(groups), reference=parse_reference(value or ""))

    @property
    def terms(self) -> tuple[Term, ...]:
        return tuple(term for group in self.groups for term in group)

    def __bool__(self) -> bool:
        return bool(self.groups) or self.reference is not None

    def tsquery(self, connector: str = "&") -> str:
        """The words as `to_tsquery` text: each quoted (a word holds only letters and
        digits), `:*` for a prefix, a group's words joined by `<->` (followed by), the
        groups by `&` — or every word by `|` (`connector="|"`, to mark any of them); OR the
        reference's number, which every document holds (weight A)."""
        if connector == "|":
            words = " | ".join(_operand(term) for term in self.terms)
        else:
            words = " & ".join(
                "(" + " <-> ".join(_operand(term) for term in group) + ")" for group in self.groups
            )
        if self.reference is None:
            return words
        return f"({words}) | '{self.reference}'" if words else f"'{self.reference}'"

    def folded_groups(self) -> str:
        """The words for the SQLite functions: JSON, a list of groups of [folded word,
        prefix]."""
        return json.dumps([[[term.folded, term.prefix] for term in group] for group in self.groups])


def _may_begin(word: str) -> bool:
    return len(word) >= PREFIX_MIN and not word.isdigit()


def _operand(term: Term) -> str:
    return f"'{term.word}'{':*' if term.prefix else ''}"


def matching(search: TicketSearch) -> Q:
    """Tickets the search finds (nothing for a search without words)."""
    if not search:
        return Q(pk__in=[])
    if connection.vendor == "postgresql":
        return Q(search_document__vector=_query(search.tsquery()))
    match = Q(pk__in=[])
    if search.terms:
        match = Q(_SqliteMatch(_ticket_text(), Value(search.folded_groups())))
    if search.reference is not None:
        match |= Q(pk=search.reference)
    return match


def ranked(tickets: QuerySet[Ticket], search: TicketSearch) -> QuerySet[Ticket]:
    """`tickets` (already searched) by relevance, best first, newest first among equals —
    within the newest RELEVANCE_WINDOW of them, read first as ids (one query; the page and
    its count are then read among those ids). The ticket whose reference was typed comes
    first."""
    newest = list(
        tickets.order_by("-created_at", "-pk").values_list("pk", flat=True)[:RELEVANCE_WINDOW]
    )
    if search.reference is not None:
        newest.append(search.reference)  # first, however old (if `tickets` holds it)
    rank: Func
    if connection.vendor == "postgresql":
        rank = SearchRank(F("search_document__vector"), _query(search.tsquery()))
    else:
        rank = _SqliteRank(
            Concat(Cast("pk", TextField()), Value(" "), "subject", output_field=TextField()),
            Concat(
                "customer__name",
                Value(" "),
                "customer__email",
                Value(" "),
                "description",
                output_field=TextField(),
            ),
            Coalesce(_messages(), Value(""), output_field=TextField()),
            Value(search.folded_groups()),
        )
    order: list[Any] = ["-search_rank", "-created_at", "-pk"]
    if search.reference is not None:
        order.insert(0, Case(When(pk=search.reference, then=Value(1)), default=Value(0)).desc())
    return tickets.filter(pk__in=newest).annotate(search_rank=rank).order_by(*order)


def fragments(tickets: Iterable[Ticket], search: TicketSearch) -> dict[int, SafeString]:
    """For the tickets of one page: the passage of each one's conversation (description,
    replies, notes) where the search's words are, escaped, the words in <mark>. None for a
    ticket found only by its reference, subject or customer."""
    ids = [ticket.pk for ticket in tickets]
    if not ids or not search.terms:
        return {}
    conversation = Concat(
        "description",
        Value("\n"),
        Coalesce(_messages(), Value(""), output_field=TextField()),
        output_field=TextField(),
    )
    rows = Ticket.objects.filter(pk__in=ids).order_by()
    if connection.vendor == "postgresql":
        headlines = rows.annotate(
            fragment=SearchHeadline(
                Func(conversation, Value(START + STOP), Value(""), function="translate"),
                _query(search.tsquery("|")),
                config=CONFIG,
                start_sel=START,
                stop_sel=STOP,
                max_words=FRAGMENT_WORDS,
                min_words=FRAGMENT_WORDS // 2,
                max_fragments=2,
                fragment_delimiter=" … ",
            )
        ).values_list("pk", "fragment")
        found = {pk: fragment for pk, fragment in headlines if fragment and START in fragment}
    else:
        texts = rows.annotate(text=conversation).values_list("pk", "text")
        found = {
            pk: fragment
            for pk, text in texts
            if (fragment := _fragment(text, search.terms)) is not None
        }
    return {pk: marked(fragment) for pk, fragment in found.items()}


def with_fragments(tickets: Iterable[Ticket], search: TicketSearch) -> list[Ticket]:
    """The tickets of one page as a list, each with its `search_fragment` (see `fragments`)
    while searching; unchanged otherwise."""
    rows = list(tickets)
    if search:
        found = fragments(rows, search)
        for ticket in rows:
            ticket.search_fragment = found.get(ticket.pk)  # type: ignore[attr-defined]  # shown beside the row, not a column
    return rows


def marked(fragment: str) -> SafeString:
    """A fragment with START/STOP around its matches, as HTML: the text escaped first, the
    marks then made <mark> — nothing the ticket's text holds is ever HTML."""
    text = " ".join(escape(fragment).split())
    return mark_safe(text.replace(START, "<mark>").replace(STOP, "</mark>"))  # noqa: S308 - escaped above


def fold(text: str) -> str:
    """Lower case without accents: what PostgreSQL's `unaccent` + `simple` make of a word,
    for the letters Spanish and English write (and a few more)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


_LIGATURES = str.maketrans(
    {
        "ß": "ss",
        "æ": "ae",
        "Æ": "AE",
        "œ": "oe",
        "Œ": "OE",
        "ø": "o",
        "Ø": "O",
        "ł": "l",
        "Ł": "L",
        "đ": "d",
        "Đ": "D",
        "þ": "th",
        "Þ": "TH",
        "ı": "i",
    }
)


# --- PostgreSQL -------------------------------------------------------------------------------


def _query(text: str) -> SearchQuery:
    return SearchQuery(text, config=CONFIG, search_type="raw")


# Beyond this many tickets without their document, `rebuild_documents` drops the GIN index,
# writes them and builds the index again: once over the whole table is far quicker than
# entry by entry.
REBUILD_INDEX_FROM = 10_000

_MISSING = """
    SELECT t.id FROM cases_ticket t
    WHERE NOT EXISTS (SELECT 1 FROM cases_ticketsearchdocument d WHERE d.ticket_id = t.id)
"""

_WRITE_MISSING = """
    INSERT INTO cases_ticketsearchdocument (ticket_id, vector)
    SELECT t.id, pulso_search_vector(t.id, t.subject, t.description, c.name, c.email, m.messages)
    FROM cases_ticket t
    JOIN cases_customer c ON c.id = t.customer_id
    LEFT JOIN (
        SELECT ticket_id, string_agg(body, E'\\n' ORDER BY created_at, id) AS messages
        FROM cases_reply GROUP BY ticket_id
    ) m ON m.ticket_id = t.id
    WHERE NOT EXISTS (SELECT 1 FROM cases_ticketsearchdocument d WHERE d.ticket_id = t.id)
"""


def rebuild_documents() -> int:
    """Write the search document of every ticket that has none; how many were written.

    For what wrote tickets with the triggers off: `seed_bench`'s bulk load (superuser,
    `session_replication_role = replica`), a restore made so. Set-based: one statement for
    all of them (the replies aggregated per ticket in one pass), the GIN index dropped and
    built again around a large one. PostgreSQL only (0 elsewhere: nothing to keep)."""
    if connection.vendor != "postgresql":
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({_MISSING}) missing")  # noqa: S608 - constant
        missing: int = cursor.fetchone()[0]
        if missing == 0:
            return 0
        if missing < REBUILD_INDEX_FROM:
            cursor.execute(f"SELECT pulso_search_refresh(ARRAY({_MISSING}), true)")  # noqa: S608
            return missing
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'ticket_search_vector'")
        index = cursor.fetchone()
        if index is not None:
            cursor.execute("DROP INDEX ticket_search_vector")
        cursor.execute(_WRITE_MISSING)
        if index is not None:
            # The new rows' foreign-key checks, deferred to the commit, would forbid the index.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute("SELECT set_config('maintenance_work_mem', '512MB', true)")
            cursor.execute(index[0])
    return missing


# --- SQLite -----------------------------------------------------------------------------------


class _GroupConcat(Aggregate):
    function = "GROUP_CONCAT"
    output_field = TextField()


def _messages() -> Subquery:
    """A ticket's replies and notes, oldest first, as one text."""
    if connection.vendor == "postgresql":
        joined: Aggregate = StringAgg("body", "\n", order_by=("created_at", "id"))
    else:
        joined = _GroupConcat("body", Value("\n"))
    replies = (
        Reply.objects.filter(ticket=OuterRef("pk"))
        .order_by()
        .values("ticket")
        .annotate(text=joined)
        .values("text")
    )
    return Subquery(replies, output_field=TextField())


def _ticket_text() -> Combinable:
    """Everything a ticket is found by, as one text (SQLite)."""
    return Concat(
        "subject",
        Value(" "),
        "description",
        Value(" "),
        "customer__name",
        Value(" "),
        "customer__email",
        Value(" "),
        Coalesce(_messages(), Value(""), output_field=TextField()),
        output_field=TextField(),
    )


class _SqliteMatch(Func):
    function = "pulso_search_match"
    output_field = BooleanField()


class _SqliteRank(Func):
    function = "pulso_search_rank"
    output_field = FloatField()


# A group's words as the SQLite functions get them: [folded word, prefix].
_Group = list[tuple[str, bool]]


def _words(text: str | None) -> list[str]:
    return WORD.findall(fold(text or ""))


def _is(word: str, term: str, prefix: bool) -> bool:
    return word.startswith(term) if prefix else word == term


def _finds(group: _Group, words: list[str]) -> bool:
    """The group's words, one right after the other, somewhere in `words`."""
    first, *rest = group
    return any(
        _is(word, *first)
        and len(words) - start > len(rest)
        and all(_is(words[start + 1 + k], *term) for k, term in enumerate(rest))
        for start, word in enumerate(words)
    )


def _search_match(text: str | None, groups_json: str) -> bool:
    words = _words(text)
    return all(_finds(group, words) for group in json.loads(groups_json))


# ts_rank's default weights of A, B and C.
_WEIGHTS = (1.0, 0.4, 0.2)


def _search_rank(head: str | None, middle: str | None, tail: str | None, groups_json: str) -> float:
    """Like ts_rank, roughly: each group found adds the weight of each part that holds it."""
    groups = json.loads(groups_json)
    parts = [_words(head), _words(middle), _words(tail)]
    return sum(
        weight
        for weight, words in zip(_WEIGHTS, parts, strict=True)
        for group in groups
        if _finds(group, words)
    )


def register_sqlite_functions(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """`connection_created` receiver: the search's functions on every SQLite connection."""
    if connection.vendor != "sqlite":
        return
    raw = connection.connection
    raw.create_function("pulso_search_match", 2, _search_match, deterministic=True)
    raw.create_function("pulso_search_rank", 4, _search_rank, deterministic=True)


# --- the fragment on SQLite -------------------------------------------------------------------


def _fragment(text: str | None, terms: Sequence[Term]) -> str | None:
    """About FRAGMENT_WORDS words of `text` around its first word the search finds, the
    words it finds between START and STOP; None when it finds none."""
    text = unicodedata.normalize("NFC", (text or "").replace(START, "").replace(STOP, ""))
    tokens = list(WORD.finditer(text))
    wanted = [(term.folded, term.prefix) for term in terms]

    def hit(index: int) -> bool:
        word = fold(tokens[index].group())
        return any(word.startswith(t) if prefix else word == t for t, prefix in wanted)

    hits = [index for index in range(len(tokens)) if hit(index)]
    if not hits:
        return None
    first = max(0, hits[0] - FRAGMENT_WORDS // 4)
    last = min(len(tokens), first + FRAGMENT_WORDS) - 1
    pieces, position = [], tokens[first].start()
    for index in range(first, last + 1):
        token = tokens[index]
        pieces.append(text[position : token.start()])
        pieces.append(f"{START}{token.group()}{STOP}" if hit(index) else token.group())
        position = token.end()
    prefix = "… " if first > 0 else ""
    suffix = " …" if last < len(tokens) - 1 else ""
    return prefix + "".join(pieces) + suffix
