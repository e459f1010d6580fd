"""Sentiment: whether a customer sounds unhappy, learned from the desk's own survey comments.

Each answered survey with a comment is labelled by its own scores (`label_of`); the comments
whose scores say nothing clear (a CSAT of 3, an NPS passive, scores that contradict each
other) are left out. One TF-IDF vocabulary of stemmed words and neighbouring pairs
(`insights.text.terms_and_pairs`: "no funcion", "not good" say what their words apart don't)
feeds a logistic regression, whose probability of "unhappy" the ticket page shows.

Words that say what cases are about rather than how the customer feels — written in at least
as large a share of ticket texts as of comments (`pedido`, `refund`, `contraseña`) — are left
out: where only unhappy comments mention refunds, the model would otherwise learn that a
refund is unhappy and warn about every calm question about one.

It is measured twice on the newest fifth of the answers: on their comments (what it learned
from), and on what those customers wrote on their ticket before answering (what the ticket
page reads) — how many of the unhappy ones it would have warned about, and how often a
warning was right.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db.models import Count, Max, QuerySet
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from cases.models import Reply, Ticket
from insights.models import ModelKind
from insights.text import terms_and_pairs
from insights.training import TooLittleData, Trained, digest, register
from insights.training.evaluation import commonest, scores, split_point
from surveys.models import SurveyResponse

VERSION = 3  # of the recipe: a new one retrains even on the same data
UNHAPPY = "unhappy"
HAPPY = "happy"
UNHAPPY_AT = 0.6  # the probability from which the agent is warned
MESSAGES_READ = 3  # the customer's newest messages: what they feel now, not a week ago
FULL_EVIDENCE = 4  # known terms from which a message weighs fully
CASE_TEXTS = 20_000  # the newest tickets whose subject and description tell the case words
CASE_WORD_RATIO = 1.0  # a term this much as common in ticket texts as in comments is a case word


def label_of(csat: int | None, nps: int | None) -> str | None:
    """The label an answer's own scores give its comment, or None when they say nothing clear.

    - unhappy: CSAT ≤ 2, or NPS ≤ 6 (a detractor) unless the CSAT is 4 or 5;
    - happy: CSAT ≥ 4 unless the NPS is ≤ 6, or no CSAT and NPS ≥ 9 (a promoter);
    - otherwise (CSAT 3 alone, an NPS passive alone, CSAT ≥ 4 with a detractor's NPS, only
      the effort score) the comment is left out. CES is not used: effort is not mood.
    """
    if csat is not None and csat <= 2:
        return UNHAPPY
    detractor = nps is not None and nps <= 6
    if csat is not None and csat >= 4:
        return None if detractor else HAPPY
    if detractor:
        return UNHAPPY
    if csat is None and nps is not None and nps >= 9:
        return HAPPY
    return None


@dataclass
class History:
    texts: list[str]  # oldest answer first
    labels: list[str]
    tickets: list[int | None]  # the ticket each answer was about
    answered: list[datetime]


def customer_replies() -> QuerySet[Reply]:
    """The public replies customers wrote themselves (not an agent's, not a follower's)."""
    return Reply.objects.filter(public=True, author__isnull=True, from_email="")


def unhappy_reading(messages: Sequence[str], payload: Any) -> tuple[float, str] | None:
    """How likely the writer of `messages` (oldest first) is unhappy, and the message read
    that sounds most so; None when none of the newest `MESSAGES_READ` holds a term the model
    knows. Each newer message weighs twice the one before, and the reading of a message of
    which the model knows fewer than `FULL_EVIDENCE` terms (words and pairs) is drawn towards
    undecided: a lone known word is scant evidence of a mood."""
    newest = list(messages[-MESSAGES_READ:])
    if not newest:
        return None
    matrix = payload["vectorizer"].transform(newest)
    classifier = payload["classifier"]
    column = list(classifier.classes_).index(UNHAPPY)
    probabilities = classifier.predict_proba(matrix)[:, column]
    total = weights = 0.0
    worst: tuple[float, str] | None = None
    for position, (message, probability) in enumerate(zip(newest, probabilities, strict=True)):
        known = matrix[position].nnz
        if known == 0:  # no word the model knows: it says nothing
            continue
        evidence = min(known, FULL_EVIDENCE) / FULL_EVIDENCE
        reading = 0.5 + (float(probability) - 0.5) * evidence
        weight = 2.0**position
        total += weight * reading
        weights += weight
        if worst is None or reading > worst[0]:
            worst = (reading, message)
    if worst is None:
        return None
    return round(total / weights, 4), worst[1]


class MoodTerms:
    """The analyzer: `terms_and_pairs` of a text but the case words. A class, not a closure,
    so the trained vectorizer can be stored."""

    def __init__(self, case_words: frozenset[str]) -> None:
        self.case_words = case_words

    def __call__(self, text: str) -> list[str]:
        return [term for term in terms_and_pairs(text) if term not in self.case_words]


def case_words(comments: Sequence[str]) -> frozenset[str]:
    """The terms (words and pairs) of `comments` written in at least CASE_WORD_RATIO times as
    large a share of the newest CASE_TEXTS tickets' subjects and descriptions: what cases are
    about, not how customers feel about them."""
    in_comments: Counter[str] = Counter()
    for comment in comments:
        in_comments.update(set(terms_and_pairs(comment)))
    in_tickets: Counter[str] = Counter()
    tickets = Ticket.objects.order_by("-pk").values_list("subject", "description")
    count = 0
    for subject, description in tickets[:CASE_TEXTS].iterator(chunk_size=2000):
        count += 1
        written = set(terms_and_pairs(f"{subject}\n{description}"))
        in_tickets.update(term for term in written if term in in_comments)
    if not count or not comments:
        return frozenset()
    return frozenset(
        term
        for term, found in in_comments.items()
        if in_tickets[term] / count >= CASE_WORD_RATIO * found / len(comments)
    )


def vectorizer(skipped: frozenset[str] = frozenset()) -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=MoodTerms(skipped), min_df=2, max_df=0.7, sublinear_tf=True)


def classifier() -> LogisticRegression:
    # Balanced: an unhappy comment is rarer than a happy one, and the one that matters. Not
    # less regularised: a few hundred comments would teach it their incidental words.
    return LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)


def _comments() -> Any:
    return SurveyResponse.objects.exclude(comment="")


class SentimentTrainer:
    def fingerprint(self) -> str:
        figures = _comments().aggregate(n=Count("pk"), last=Max("pk"), newest=Max("answered_at"))
        # The tickets tell the case words (the newest ones: a new ticket may change them).
        tickets = Ticket.objects.aggregate(n=Count("pk"), last=Max("pk"))
        # The minimum too: a desk told "too little history" trains once an admin lowers it.
        return digest(
            VERSION,
            settings.INSIGHTS_TRAIN_MAX_TICKETS,
            settings.INSIGHTS_MIN_COMMENTS,
            *figures.values(),
            *tickets.values(),
        )

    def history(self) -> History:
        rows = list(
            _comments()
            .order_by("-answered_at", "-pk")
            .values_list("comment", "csat", "nps", "ticket_id", "answered_at")[
                : settings.INSIGHTS_TRAIN_MAX_TICKETS
            ]
        )
        rows.reverse()  # oldest first: the hold-out is the newest
        history = History(texts=[], labels=[], tickets=[], answered=[])
        for comment, csat, nps, ticket_id, answered_at in rows:
            label = label_of(csat, nps)
            if label is not None and comment.strip():
                history.texts.append(comment)
                history.labels.append(label)
                history.tickets.append(ticket_id)
                history.answered.append(answered_at)
        return history

    def train(self) -> Trained:
        history = self.history()
        minimum = settings.INSIGHTS_MIN_COMMENTS
        have = len(history.labels)
        # Both kinds of comment are needed, and in the older part too (the measurement).
        cut = split_point(have) if have else 0
        if have < minimum or len(set(history.labels[:cut])) < 2:
            raise TooLittleData(needed=minimum, have=have)
        skipped = case_words(history.texts)
        words = vectorizer(skipped)
        try:
            quality = self._measure(history, cut, skipped)
            matrix = words.fit_transform(history.texts)
        except ValueError:  # too few comments, or too few shared words, for min_df and max_df
            raise TooLittleData(needed=minimum, have=have) from None
        model = classifier()
        model.fit(matrix, history.labels)
        payload = {"version": VERSION, "vectorizer": words, "classifier": model}
        return Trained(payload=payload, documents=have, quality=quality)

    def _measure(self, history: History, cut: int, skipped: frozenset[str]) -> dict[str, Any]:
        """Train on the older 80 % of the labelled comments, test on the newest 20 %."""
        train_labels, truth = history.labels[:cut], history.labels[cut:]
        words = vectorizer(skipped)
        model = classifier()
        model.fit(words.fit_transform(history.texts[:cut]), train_labels)
        predicted = [str(p) for p in model.predict(words.transform(history.texts[cut:]))]
        result = scores(truth, predicted, commonest(train_labels))
        result["trained_on"] = len(train_labels)
        result["unhappy_share"] = round(history.labels.count(UNHAPPY) / len(history.labels), 4)
        result["case_words"] = len(skipped)
        payload = {"vectorizer": words, "classifier": model}
        result["messages"] = self._measure_on_messages(history, cut, payload)
        result["beats_baseline"] = is_useful(result)  # the verdict, for the models page
        return result

    def _measure_on_messages(self, history: History, cut: int, payload: Any) -> dict[str, int]:
        """The hold-out's customers read as the ticket page reads them, on what they wrote
        on their ticket before answering: `read` customers had a reading, `unhappy` of them
        then answered unhappily, the model `warned` about so many, `warned_right` of them
        unhappy ones."""
        asked = [
            (ticket, answered, label)
            for ticket, answered, label in zip(
                history.tickets[cut:], history.answered[cut:], history.labels[cut:], strict=True
            )
            if ticket is not None
        ]
        written = _written_before(asked)
        figures = {"read": 0, "unhappy": 0, "warned": 0, "warned_right": 0}
        for ticket, answered, label in asked:
            reading = unhappy_reading(written.get((ticket, answered), []), payload)
            if reading is None:
                continue
            warned = reading[0] >= UNHAPPY_AT
            figures["read"] += 1
            figures["unhappy"] += label == UNHAPPY
            figures["warned"] += warned
            figures["warned_right"] += warned and label == UNHAPPY
        return figures


def _written_before(
    asked: list[tuple[int, datetime, str]],
) -> dict[tuple[int, datetime], list[str]]:
    """What each customer had written on their ticket (its description, then their own
    replies, oldest first) before they answered its survey: two queries per 500 tickets."""
    descriptions: dict[int, str] = {}
    replies: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    ids = sorted({ticket for ticket, _, _ in asked})
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        descriptions.update(Ticket.objects.filter(pk__in=chunk).values_list("pk", "description"))
        for ticket, at, body in (
            customer_replies()
            .filter(ticket_id__in=chunk)
            .order_by("created_at", "pk")
            .values_list("ticket_id", "created_at", "body")
        ):
            replies[ticket].append((at, body))
    written = {}
    for ticket, answered, _ in asked:
        said = [descriptions.get(ticket, "")]
        said += [body for at, body in replies.get(ticket, []) if at < answered]
        written[(ticket, answered)] = [text for text in said if text.strip()]
    return written


def is_useful(quality: dict[str, Any]) -> bool:
    """The model beat always answering the commonest label on the newest fifth."""
    if "accuracy" not in quality:
        return False
    return bool(
        quality["accuracy"] > quality["baseline_accuracy"]
        or quality["macro_f1"] > quality["baseline_macro_f1"] + 0.1
    )


@register(ModelKind.SENTIMENT)
def sentiment_trainer() -> SentimentTrainer:
    return SentimentTrainer()
