"""One trainer per kind of model. A trainer says what its data looks like now (a fingerprint:
the same means nothing new to learn) and learns from it, answering the payload to store,
how many texts it learned from and its measured quality; `TooLittleData` when the desk
hasn't enough history yet (a state, not an error)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


class TooLittleData(Exception):
    """The desk's history is too short or too uniform to learn this from: `needed` texts
    (of the kind the trainer counts), `have` so far. Kept as figures, worded by the page in
    its reader's language."""

    def __init__(self, *, needed: int, have: int) -> None:
        super().__init__(f"{have} of {needed}")
        self.needed = needed
        self.have = have


@dataclass
class Trained:
    payload: Any
    documents: int
    quality: dict[str, Any] = field(default_factory=dict)


class Trainer(Protocol):
    def fingerprint(self) -> str: ...

    def train(self) -> Trained: ...


TRAINERS: dict[str, Callable[[], Trainer]] = {}


def register(kind: str) -> Callable[[Callable[[], Trainer]], Callable[[], Trainer]]:
    def add(factory: Callable[[], Trainer]) -> Callable[[], Trainer]:
        TRAINERS[kind] = factory
        return factory

    return add


def digest(*parts: object) -> str:
    return hashlib.sha256("|".join(str(part) for part in parts).encode()).hexdigest()
