"""Sentiment: whether a customer sounds unhappy, learned from the desk's own survey comments.

Each answered survey with a comment is labelled by its own scores (`label_of`); the comments
whose scores say nothing clear (a CSAT of 3, an NPS passive, scores that contradict each
other) are left out. One TF-IDF vocabulary of stemmed words and neighbouring pairs
(`insights.text.terms_and_pairs`: "no funcion", "not good" say what their words apart don't)
feeds a logistic regression, whose probability of "unhappy" the ticket page shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Max
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from insights.models import ModelKind
from insights.text import terms_and_pairs
from insights.training import TooLittleData, Trained, digest, register
from insights.training.evaluation import commonest, scores, split_point
from surveys.models import SurveyResponse

VERSION = 1  # of the recipe: a new one retrains even on the same data
UNHAPPY = "unhappy"
HAPPY = "happy"


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


def vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(analyzer=terms_and_pairs, min_df=2, max_df=0.7, sublinear_tf=True)


def classifier() -> LogisticRegression:
    # Balanced: an unhappy comment is rarer than a happy one, and the one that matters. Not
    # less regularised: a few hundred comments would teach it their incidental words.
    return LogisticRegression(C=1.0, class_weight="balanced", max_iter=1000)


def _comments() -> Any:
    return SurveyResponse.objects.exclude(comment="")


class SentimentTrainer:
    def fingerprint(self) -> str:
        figures = _comments().aggregate(n=Count("pk"), last=Max("pk"), newest=Max("answered_at"))
        # The minimum too: a desk told "too little history" trains once an admin lowers it.
        return digest(
            VERSION,
            settings.INSIGHTS_TRAIN_MAX_TICKETS,
            settings.INSIGHTS_MIN_COMMENTS,
            *figures.values(),
        )

    def history(self) -> History:
        rows = list(
            _comments()
            .order_by("-answered_at", "-pk")
            .values_list("comment", "csat", "nps")[: settings.INSIGHTS_TRAIN_MAX_TICKETS]
        )
        rows.reverse()  # oldest first: the hold-out is the newest
        texts, labels = [], []
        for comment, csat, nps in rows:
            label = label_of(csat, nps)
            if label is not None and comment.strip():
                texts.append(comment)
                labels.append(label)
        return History(texts=texts, labels=labels)

    def train(self) -> Trained:
        history = self.history()
        minimum = settings.INSIGHTS_MIN_COMMENTS
        have = len(history.labels)
        # Both kinds of comment are needed, and in the older part too (the measurement).
        cut = split_point(have) if have else 0
        if have < minimum or len(set(history.labels[:cut])) < 2:
            raise TooLittleData(needed=minimum, have=have)
        words = vectorizer()
        try:
            quality = self._measure(history, cut)
            matrix = words.fit_transform(history.texts)
        except ValueError:  # too few comments, or too few shared words, for min_df and max_df
            raise TooLittleData(needed=minimum, have=have) from None
        model = classifier()
        model.fit(matrix, history.labels)
        payload = {"version": VERSION, "vectorizer": words, "classifier": model}
        return Trained(payload=payload, documents=have, quality=quality)

    def _measure(self, history: History, cut: int) -> dict[str, Any]:
        """Train on the older 80 % of the labelled comments, test on the newest 20 %."""
        train_labels, truth = history.labels[:cut], history.labels[cut:]
        words = vectorizer()
        model = classifier()
        model.fit(words.fit_transform(history.texts[:cut]), train_labels)
        predicted = [str(p) for p in model.predict(words.transform(history.texts[cut:]))]
        result = scores(truth, predicted, commonest(train_labels))
        result["trained_on"] = len(train_labels)
        result["unhappy_share"] = round(history.labels.count(UNHAPPY) / len(history.labels), 4)
        return result


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
