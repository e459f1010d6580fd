"""Triage: a ticket's category, team and priority from its subject and description.

One TF-IDF vocabulary (stemmed words and pairs, `insights.text`) shared by three linear
classifiers, one per field. A ticket teaches the team only if it was never escalated (an
escalated ticket's team is the level it was raised to, not where it should have started).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count, Max
from sklearn.exceptions import ConvergenceWarning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier

from cases.models import Status, Ticket
from insights.models import ModelKind
from insights.text import terms_and_pairs
from insights.training import TooLittleData, Trained, digest, register
from insights.training.evaluation import commonest, scores, split_point

FIELDS = ("category", "team", "priority")
VERSION = 1  # of the recipe: a new one retrains even on the same data


@dataclass
class History:
    texts: list[str]
    labels: dict[str, list[str | None]]


def ticket_text(subject: str, description: str) -> str:
    # The subject is short and says most: counted twice.
    return f"{subject}\n{subject}\n{description}"


def vectorizer(analyzer: Callable[[Any], list[str]] = terms_and_pairs) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer=analyzer, min_df=2, max_df=0.6, sublinear_tf=True, max_features=200_000
    )


def already_read(terms: list[str]) -> list[str]:
    """The analyser of a vocabulary fitted on texts read beforehand: reading a text
    (`terms_and_pairs`, ~0.5 ms) is most of a training's time, and each text is read once
    instead of once per field measured and once more for the model."""
    return terms


def classifier() -> SGDClassifier:
    # Logistic loss: probabilities, which the agent sees as the suggestion's confidence.
    return SGDClassifier(
        loss="log_loss", alpha=5e-6, max_iter=50, tol=1e-4, random_state=0, class_weight="balanced"
    )


def fit(model: SGDClassifier, matrix: Any, labels: list[str]) -> None:
    """Fit in at most `max_iter` passes: a bound on the training's time, so scikit-learn's
    warning that it stopped there before converging says nothing an admin must act on."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(matrix, labels)


class TriageTrainer:
    def fingerprint(self) -> str:
        figures = Ticket.objects.aggregate(n=Count("pk"), newest=Max("updated_at"), last=Max("pk"))
        # The minimum too: a desk told "too little history" trains once an admin lowers it.
        return digest(
            VERSION,
            settings.INSIGHTS_TRAIN_MAX_TICKETS,
            settings.INSIGHTS_MIN_TICKETS,
            *figures.values(),
        )

    def history(self) -> History:
        rows = list(
            Ticket.objects.exclude(status=Status.MERGED)
            .order_by("-created_at", "-pk")
            .values_list(
                "subject", "description", "category_id", "team_id", "escalation_count", "priority"
            )[: settings.INSIGHTS_TRAIN_MAX_TICKETS]
        )
        rows.reverse()  # oldest first: the hold-out is the newest
        return History(
            texts=[ticket_text(subject, description) for subject, description, *_ in rows],
            labels={
                "category": [str(c) if c else None for _s, _d, c, _t, _e, _p in rows],
                "team": [str(t) if t and not e else None for _s, _d, _c, t, e, _p in rows],
                "priority": [p or None for *_, p in rows],
            },
        )

    def train(self) -> Trained:
        history = self.history()
        minimum = settings.INSIGHTS_MIN_TICKETS
        learnable = {
            field: [i for i, value in enumerate(values) if value is not None]
            for field, values in history.labels.items()
        }
        learnable = {
            field: rows
            for field, rows in learnable.items()
            if len(rows) >= minimum and len({history.labels[field][i] for i in rows}) >= 2
        }
        if not learnable:
            have = max(sum(v is not None for v in values) for values in history.labels.values())
            raise TooLittleData(needed=minimum, have=have)
        read = [terms_and_pairs(text) for text in history.texts]
        try:
            quality = {
                field: self._measure(history, read, rows, field)
                for field, rows in learnable.items()
            }
            words = vectorizer(already_read)
            matrix = words.fit_transform(read)
        except ValueError:  # too few texts, or too few shared words, for min_df and max_df
            raise TooLittleData(needed=minimum, have=max(map(len, learnable.values()))) from None
        words.analyzer = terms_and_pairs  # what the stored model reads a new ticket with
        models = {}
        for field, rows in learnable.items():
            model = classifier()
            fit(model, matrix[rows], [str(history.labels[field][i]) for i in rows])
            models[field] = model
        payload = {"version": VERSION, "vectorizer": words, "classifiers": models}
        return Trained(payload=payload, documents=len(history.texts), quality={"fields": quality})

    def _measure(
        self, history: History, read: list[list[str]], rows: list[int], field: str
    ) -> dict[str, Any]:
        """Train on the older 80 % of the labelled tickets, test on the newest 20 %."""
        cut = split_point(len(rows))
        older, newest = rows[:cut], rows[cut:]
        labels = history.labels[field]
        train_labels = [str(labels[i]) for i in older]
        words = vectorizer(already_read)
        model = classifier()
        train_matrix = words.fit_transform([read[i] for i in older])
        truth = [str(labels[i]) for i in newest]
        if len(set(train_labels)) < 2:
            predicted = [train_labels[0]] * len(truth)
        else:
            fit(model, train_matrix, train_labels)
            predicted = list(model.predict(words.transform([read[i] for i in newest])))
        result = scores(truth, predicted, commonest(train_labels))
        result["trained_on"] = len(older)
        result["values"] = len(set(train_labels))
        return result


@register(ModelKind.TRIAGE)
def triage_trainer() -> TriageTrainer:
    return TriageTrainer()
