"""Articles in the agents' hands (docs/knowledge.md, "For agents"): the reply box's article
finder, the uses it records, and what each article's uses came to.

- The finder offers published and internal articles (agents may read internal ones), never
  drafts. A published article may go into a reply as a link to its public page or as its
  text; an internal one only as its text, since the help centre does not show it.
- Inserting writes an `ArticleUse` (article, ticket, agent, language, kind, time); the text
  put in the reply box carries no marker. A use counts as **sent** when its ticket has a
  public reply by an agent written at or after the use: read at query time, so a reply
  discarded unsent never counts, and nothing needs to be matched in the reply's text.
- An article's outcome: the tickets where it was sent, and the CSAT % of those tickets'
  survey answers (`100 × count(csat ≥ 4) / count(csat answers)`, docs/kpis.md) with its
  sample. The answers are read through the reverse relation from `Ticket`
  (`survey_responses__csat`) by name, so this module imports nothing from `surveys`."""

import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import (
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, NullIf
from django.utils.translation import gettext as _

from cases.errors import PermissionDenied, ValidationError
from cases.models import Reply, Ticket, User
from cases.selectors import tickets_visible_to

from .models import Article, ArticleUse, Status, UseKind, in_language
from .search import HelpSearch, search
from .selectors import is_staff

FINDER_LIMIT = 8
LIST_LIMIT = 200  # tickets listed per article; the figures cover all of them
OFFERED = (Status.PUBLISHED, Status.INTERNAL)
SATISFIED = 4  # CSAT 4 and 5 are "satisfied" (docs/kpis.md)
_RELATIVE_LINK = re.compile(r"\]\((/(?:help)/)")


def finder_articles(user: User, text: str) -> QuerySet[Article]:
    """Published and internal articles matching `text`, best first; none for non-staff."""
    if not is_staff(user):
        return Article.objects.none()
    articles = Article.objects.filter(status__in=OFFERED).select_related("section__category")
    return search(articles, HelpSearch.parse(text))[:FINDER_LIMIT]


def customer_language(ticket: Ticket) -> str:
    """The customer's preferred language, as the articles' languages name it."""
    language = (ticket.customer.language or settings.LANGUAGE_CODE)[:2]
    return language if language in ("es", "en") else "es"


def article_url(article: Article) -> str:
    """The article's public page, absolute (for an e-mail)."""
    return f"{settings.SITE_URL}/help/articles/{article.slug}/"


def insertion(article: Article, *, kind: str, language: str) -> tuple[str, str]:
    """What goes into the reply box, and the language it is in: a link (its title and
    address) or its title and Markdown text, with the help centre's own addresses made
    absolute. Refused for a link to an article that is not published."""
    title, shown = in_language(article, "title", language)
    if kind == UseKind.LINK:
        if article.status != Status.PUBLISHED:
            raise ValidationError(
                _("Only a published article can be sent as a link; insert its text instead."),
                field="kind",
            )
        return f"{title}: {article_url(article)}", shown
    if kind != UseKind.TEXT:
        raise ValidationError(_("Insert a link or the text."), field="kind")
    body = getattr(article, f"body_{shown}", "")
    body = _RELATIVE_LINK.sub(lambda m: f"]({settings.SITE_URL}{m.group(1)}", body)
    return (f"{title}\n\n{body}".strip(), shown)


@transaction.atomic
def record_use(*, article: Article, ticket: Ticket, by: User, kind: str) -> tuple[ArticleUse, str]:
    """The agent inserted the article into the ticket's reply: (the use, the text inserted).
    Preconditions checked here: `by` is staff and sees the ticket, the article is published
    or internal, and a link only for a published article."""
    if not is_staff(by) or not tickets_visible_to(by).filter(pk=ticket.pk).exists():
        raise PermissionDenied(_("You cannot reply on this ticket."))
    if article.status not in OFFERED:
        raise ValidationError(_("A draft cannot be sent to a customer."), field="article")
    text, language = insertion(article, kind=kind, language=customer_language(ticket))
    use = ArticleUse.objects.create(
        article=article, ticket=ticket, agent=by, kind=kind, language=language
    )
    return use, text


def _sent_after() -> Exists:
    return Exists(
        Reply.objects.filter(
            ticket_id=OuterRef("ticket_id"),
            public=True,
            author__isnull=False,
            created_at__gte=OuterRef("created_at"),
        )
    )


def sent_uses(article: Article) -> QuerySet[ArticleUse]:
    """The article's uses that were sent: a public agent reply on the ticket followed."""
    return ArticleUse.objects.filter(article=article).filter(_sent_after())


@dataclass(frozen=True)
class SentTicket:
    ticket: Ticket
    kinds: list[str]
    first_used_at: object
    csat: list[int]


@dataclass(frozen=True)
class ArticleOutcome:
    """Where an article was sent and how satisfied those tickets' customers said they were."""

    tickets: list[SentTicket]
    hidden: int  # tickets where it was sent that the viewer may not see
    more: int  # tickets the viewer may see beyond the LIST_LIMIT listed
    csat_answers: int
    csat_satisfied: int
    low_sample: bool

    @property
    def csat_percent(self) -> float | None:
        if not self.csat_answers:
            return None
        return round(100 * self.csat_satisfied / self.csat_answers, 1)


def article_outcome(article: Article, viewer: User) -> ArticleOutcome:
    """The tickets where `article` was sent — the first LIST_LIMIT the viewer may see listed
    by the time it was first inserted, the others counted — and the CSAT % over all of them.
    Subqueries throughout, so a much-used article costs no long lists of ids."""
    sent_tickets = sent_uses(article).values("ticket_id")
    figures = Ticket.objects.filter(pk__in=sent_tickets).aggregate(
        tickets=Count("pk", distinct=True),
        answers=Count("survey_responses", filter=Q(survey_responses__csat__isnull=False)),
        satisfied=Count("survey_responses", filter=Q(survey_responses__csat__gte=SATISFIED)),
    )
    visible = tickets_visible_to(viewer).filter(pk__in=sent_tickets)
    first_use = (
        sent_uses(article)
        .filter(ticket_id=OuterRef("pk"))
        .order_by("created_at")
        .values("created_at")
    )
    listed = list(
        visible.annotate(first_used_at=Subquery(first_use[:1])).order_by("first_used_at", "pk")[
            :LIST_LIMIT
        ]
    )
    ids = [ticket.pk for ticket in listed]
    kinds: dict[int, set[str]] = {}
    for ticket_id, kind in (
        sent_uses(article).filter(ticket_id__in=ids).values_list("ticket_id", "kind")
    ):
        kinds.setdefault(ticket_id, set()).add(kind)
    scores: dict[int, list[int]] = {}
    for ticket_id, csat in (
        Ticket.objects.filter(pk__in=ids, survey_responses__csat__isnull=False)
        .values_list("pk", "survey_responses__csat")
        .order_by("pk", "survey_responses__csat")
    ):
        if csat is not None:
            scores.setdefault(ticket_id, []).append(csat)
    rows = [
        SentTicket(
            ticket=ticket,
            kinds=sorted(kinds.get(ticket.pk, set())),
            first_used_at=ticket.first_used_at,
            csat=scores.get(ticket.pk, []),
        )
        for ticket in listed
    ]
    seen = visible.count() if len(rows) == LIST_LIMIT else len(rows)
    answers = int(figures["answers"] or 0)
    return ArticleOutcome(
        tickets=rows,
        hidden=int(figures["tickets"] or 0) - seen,
        more=seen - len(rows),
        csat_answers=answers,
        csat_satisfied=int(figures["satisfied"] or 0),
        low_sample=answers < settings.KPI_MIN_SAMPLE,
    )


# A first line that only greets the customer: "Hola Mónica," / "Hi James," / "Dear Ana:".
_GREETING = re.compile(
    r"(?:hola|hi|hello|hey|dear|estimad[oa]s?|buen[oa]s(?: d[ií]as| tardes| noches)?)"
    r"(?:\s+[\w'’.-]+){0,4}\s*[,:!]?",
    re.IGNORECASE,
)


def without_greeting(text: str) -> str:
    """The text without a leading line that only greets the customer by name (an article
    speaks to every reader, and names no one)."""
    text = text.strip()
    first, _sep, rest = text.partition("\n")
    if _GREETING.fullmatch(first.strip()):
        return rest.strip()
    return text


def draft_from_ticket(ticket: Ticket) -> dict[str, str]:
    """A draft's text from a resolved ticket ("Turn this answer into an article"), in the
    customer's language: the subject as the title, and as the text the resolution — or,
    without one, the last public agent reply — less a greeting line naming the customer."""
    language = customer_language(ticket)
    body = ticket.resolution.strip()
    if not body:
        body = (
            Reply.objects.filter(ticket=ticket, public=True, author__isnull=False)
            .order_by("-created_at", "-pk")
            .values_list("body", flat=True)
            .first()
        ) or ""
    return {
        "language": language,
        f"title_{language}": ticket.subject.strip()[:200],
        f"body_{language}": without_greeting(body),
    }


def _per_article(tickets: QuerySet[Ticket], count: Count) -> Subquery:
    """One figure over `tickets` (which refer to the outer article), as a column."""
    return Subquery(
        tickets.order_by()
        .annotate(one=Value(1, output_field=IntegerField()))
        .values("one")
        .annotate(n=count)
        .values("n")[:1],
        output_field=IntegerField(),
    )


def with_sent_figures(articles: QuerySet[Article]) -> QuerySet[Article]:
    """`articles` with `sent_tickets`, `sent_csat_answers`, `sent_csat_satisfied` and
    `sent_csat_percent` (None without answers): the staff list's columns, by the same rule as
    `article_outcome`."""
    sent = ArticleUse.objects.filter(article=OuterRef(OuterRef("pk"))).filter(_sent_after())
    tickets = Ticket.objects.filter(pk__in=sent.values("ticket_id"))
    return articles.annotate(
        sent_tickets=Coalesce(_per_article(tickets, Count("pk", distinct=True)), 0),
        sent_csat_answers=Coalesce(
            _per_article(
                tickets,
                Count("survey_responses", filter=Q(survey_responses__csat__isnull=False)),
            ),
            0,
        ),
        sent_csat_satisfied=Coalesce(
            _per_article(
                tickets,
                Count("survey_responses", filter=Q(survey_responses__csat__gte=SATISFIED)),
            ),
            0,
        ),
    ).annotate(
        sent_csat_percent=ExpressionWrapper(
            Value(100.0) * F("sent_csat_satisfied") / NullIf(F("sent_csat_answers"), 0),
            output_field=FloatField(),
        )
    )
