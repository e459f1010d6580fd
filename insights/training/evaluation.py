"""How a model is measured: trained on the older part of the history, tested on the newest
fifth it never saw (a desk's words drift; a random split would flatter the model), against
the baseline of always answering the commonest value."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from sklearn.metrics import accuracy_score, f1_score

HOLD_OUT = 0.2


def split_point(count: int, hold_out: float = HOLD_OUT) -> int:
    """Index where the newest `hold_out` of `count` time-ordered items begins."""
    return count - max(1, round(count * hold_out))


def scores(truth: Sequence[str], predicted: Sequence[str], commonest: str) -> dict[str, Any]:
    """Accuracy and macro-F1 of `predicted`, and of always answering `commonest`."""
    baseline = [commonest] * len(truth)
    labels = sorted(set(truth))
    return {
        "accuracy": round(float(accuracy_score(truth, predicted)), 4),
        "macro_f1": round(
            float(f1_score(truth, predicted, labels=labels, average="macro", zero_division=0)), 4
        ),
        "baseline_accuracy": round(float(accuracy_score(truth, baseline)), 4),
        "baseline_macro_f1": round(
            float(f1_score(truth, baseline, labels=labels, average="macro", zero_division=0)), 4
        ),
        "tested_on": len(truth),
    }


def commonest(values: Sequence[str]) -> str:
    return Counter(values).most_common(1)[0][0]
