"""How a model's confidence is worded for people."""

from __future__ import annotations


def sure_percent(probability: float) -> int:
    """`probability` as a whole percentage, never 100: a model is never certain, and "100 %
    sure" reads as a fact (0.9996 is shown as 99 %)."""
    return max(0, min(99, round(probability * 100)))
