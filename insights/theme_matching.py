"""Which theme of one training is which theme of another: the one with the most top terms in
common. A retraining finds the themes again and numbers them anew; this is how a manager's
name, and a link to a theme, follow it to the new training."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

SAME_THEME = 0.3  # top-term overlap (Jaccard) from which two themes are the same one


def overlap(a: Sequence[str], b: Sequence[str]) -> float:
    first, second = set(a), set(b)
    return len(first & second) / len(first | second) if first or second else 0.0


def stems(top_terms: list[dict[str, Any]]) -> list[str]:
    return [str(term["term"]) for term in top_terms]


def best_matches(
    old: Iterable[tuple[int, list[dict[str, Any]]]],
    new: Iterable[tuple[int, list[dict[str, Any]]]],
) -> list[tuple[int, int]]:
    """(old key, new key) pairs of themes given as (key, top terms): the most overlapping
    first, each theme in one pair at most, none under SAME_THEME."""
    new = list(new)
    scored = sorted(
        (
            (overlap(stems(old_terms), stems(new_terms)), old_key, new_key)
            for old_key, old_terms in old
            for new_key, new_terms in new
        ),
        key=lambda pair: (-pair[0], pair[1], pair[2]),
    )
    pairs: list[tuple[int, int]] = []
    taken_old: set[int] = set()
    taken_new: set[int] = set()
    for score, old_key, new_key in scored:
        if score < SAME_THEME:
            break
        if old_key in taken_old or new_key in taken_new:
            continue
        pairs.append((old_key, new_key))
        taken_old.add(old_key)
        taken_new.add(new_key)
    return pairs
