"""Similar solved cases: the resolved and closed tickets whose words are nearest a ticket's.

Each solved ticket's subject (twice: it says most), description and resolution become a
TF-IDF vector over `insights.text.terms`, cut to its `KEPT_TERMS` strongest terms and
L2-normalised again, so a million tickets stay a few hundred megabytes. The vectors are kept
by term (a CSC matrix: for each term, the tickets that carry it and how strongly), so a
lookup reads only the postings of the query's own terms — a few tens of thousands of numbers
— instead of every ticket. The similarity is the cosine of the two vectors, 0–1.

Quality: the older 80 % are indexed, and for each of the newest 20 % (a sample of at most
`MEASURED` of them) the five nearest are looked up. `hit_rate_at_5` is the share whose
five include one of the ticket's own category; the baseline is what five tickets drawn at
random from the indexed ones would score (per ticket 1 − (1 − p)^5, p the share of the
indexed tickets in its category), named in the quality dict.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from django.conf import settings
from django.db.models import Count, Max
from sklearn.feature_extraction.text import TfidfVectorizer

from cases.models import Status, Ticket
from insights.models import ModelKind
from insights.text import terms
from insights.training import TooLittleData, Trained, digest, register
from insights.training.evaluation import split_point

VERSION = 1  # of the recipe: a new one retrains even on the same data
SOLVED = (Status.RESOLVED, Status.CLOSED)
KEPT_TERMS = 30  # strongest terms kept per ticket
MEASURED = 2_000  # hold-out tickets looked up when measuring
SHOWN = 5  # the agent sees five
# A term more tickets than this carry (a desk's "hola", "gracias") only adds to the tickets a
# rarer term found: read in full, its postings would be most of a lookup's time at 1M tickets.
COMMON_POSTINGS = 20_000
BASELINE = "five random indexed tickets"


def solved_text(subject: str, description: str, resolution: str = "") -> str:
    return f"{subject}\n{subject}\n{description}\n{resolution}"


def query_text(subject: str, description: str) -> str:
    return f"{subject}\n{subject}\n{description}"


def vectorizer() -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer=terms,
        min_df=2,
        max_df=0.5,
        sublinear_tf=True,
        dtype=np.float32,
        max_features=300_000,
    )


def keep_strongest(matrix: sp.csr_matrix, kept: int = KEPT_TERMS) -> sp.csr_matrix:
    """Each row cut to its `kept` largest weights and L2-normalised again (float32)."""
    matrix = sp.csr_matrix(matrix, dtype=np.float32)
    counts = np.diff(matrix.indptr)
    if counts.size and counts.max() > kept:
        rows = np.repeat(np.arange(matrix.shape[0]), counts)
        order = np.lexsort((-matrix.data, rows))  # by row, strongest first within a row
        rank = np.empty(matrix.nnz, dtype=np.int64)
        rank[order] = np.arange(matrix.nnz) - matrix.indptr[rows[order]]
        keep = rank < kept
        matrix = sp.csr_matrix(
            (matrix.data[keep], (rows[keep], matrix.indices[keep])),
            shape=matrix.shape,
            dtype=np.float32,
        )
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1), dtype=np.float32).ravel())
    norms[norms == 0] = 1
    matrix = sp.csr_matrix(sp.diags(1 / norms).astype(np.float32) @ matrix, dtype=np.float32)
    return matrix


def build_index(texts: Sequence[str], ticket_ids: Sequence[int]) -> dict[str, Any]:
    """The payload: the fitted vectorizer, the postings (terms × tickets as CSC of tickets ×
    terms; float32 weights, int32 indices) and the ticket ids (int64) in row order."""
    words = vectorizer()
    matrix = keep_strongest(words.fit_transform(texts))
    # The terms min_df/max_df left out: only there for inspection, and large.
    if hasattr(words, "stop_words_"):
        delattr(words, "stop_words_")
    postings = sp.csc_matrix(matrix, dtype=np.float32)
    postings.indices = postings.indices.astype(np.int32)
    postings.indptr = postings.indptr.astype(np.int32 if postings.nnz < 2**31 else np.int64)
    return {
        "version": VERSION,
        "vectorizer": words,
        "postings": postings,
        "ticket_ids": np.asarray(ticket_ids, dtype=np.int64),
    }


def query_vector(words: TfidfVectorizer, text: str) -> tuple[list[int], list[np.float32]]:
    """The text's TF-IDF vector as `words.transform` makes it (sublinear tf × idf,
    L2-normalised), without its per-call overhead (~2 ms): the columns and their weights."""
    vocabulary: dict[str, int] = words.vocabulary_
    counts = Counter(c for c in (vocabulary.get(t) for t in terms(text)) if c is not None)
    if not counts:
        return [], []
    columns = list(counts)
    idf = words.idf_[columns]
    weights = (1 + np.log(np.fromiter(counts.values(), dtype=np.float64))) * idf
    weights /= np.sqrt(np.dot(weights, weights))
    return columns, [np.float32(w) for w in weights]


def nearest(
    index: dict[str, Any],
    text: str,
    limit: int = SHOWN,
    exclude: int | None = None,
    common: int = COMMON_POSTINGS,
) -> list[tuple[int, float]]:
    """The `limit` indexed tickets nearest `text`: (ticket id, similarity 0–1), nearest
    first; `exclude` a ticket id never answered (the ticket itself).

    Reads only the postings of the text's own terms, and of a term more than `common`
    tickets carry, only the tickets a rarer term of the text found (a binary search in its
    sorted postings): a ticket that shares nothing but the commonest words with the text is
    not a candidate (when the text has only common terms, all their postings are read)."""
    columns, weights = query_vector(index["vectorizer"], text)
    postings: sp.csc_matrix = index["postings"]
    ids: npt.NDArray[np.int64] = index["ticket_ids"]
    if not columns or limit <= 0:
        return []
    indptr, indices, data = postings.indptr, postings.indices, postings.data
    terms_by_size = sorted(
        (int(indptr[c + 1] - indptr[c]), c, w) for c, w in zip(columns, weights, strict=True)
    )
    terms_by_size = [t for t in terms_by_size if t[0] > 0]
    if not terms_by_size:
        return []
    rare = [t for t in terms_by_size if t[0] <= common] or terms_by_size
    frequent = terms_by_size[len(rare) :]
    scores = np.zeros(postings.shape[0], dtype=np.float32)
    touched = []
    for _size, column, weight in rare:
        start, end = indptr[column], indptr[column + 1]
        rows = indices[start:end]
        scores[rows] += data[start:end] * weight
        touched.append(rows)
    if len(touched) == 1:
        rows = touched[0]
    elif sum(len(t) for t in touched) * 16 > len(scores):
        rows = np.flatnonzero(scores)  # a scan beats sorting this many postings
    else:
        rows = np.unique(np.concatenate(touched))
    for _size, column, weight in frequent:
        start, end = indptr[column], indptr[column + 1]
        carriers = indices[start:end]
        at = np.searchsorted(carriers, rows)
        inside = at < len(carriers)
        hit = np.zeros(rows.shape, dtype=bool)
        hit[inside] = carriers[at[inside]] == rows[inside]
        scores[rows[hit]] += data[start:end][at[hit]] * weight
    if exclude is not None:
        rows = rows[ids[rows] != exclude]
    found = scores[rows]
    if rows.size > limit:
        best = np.argpartition(-found, limit - 1)[:limit]
        rows, found = rows[best], found[best]
    order = np.lexsort((ids[rows], -found))  # nearest first; ties: the older ticket first
    return [(int(ids[rows[i]]), round(min(1.0, max(0.0, float(found[i]))), 4)) for i in order]


@dataclass
class History:
    ids: list[int]
    texts: list[str]
    queries: list[str]
    categories: list[int | None]


class SimilarTrainer:
    def solved(self) -> Any:
        return Ticket.objects.filter(status__in=SOLVED)

    def fingerprint(self) -> str:
        figures = self.solved().aggregate(n=Count("pk"), newest=Max("updated_at"), last=Max("pk"))
        # The minimum too: a desk told "too little history" trains once an admin lowers it.
        return digest(
            VERSION,
            KEPT_TERMS,
            settings.INSIGHTS_TRAIN_MAX_TICKETS,
            settings.INSIGHTS_MIN_TICKETS,
            *figures.values(),
        )

    def history(self) -> History:
        rows = list(
            self.solved()
            .order_by("-created_at", "-pk")
            .values_list("pk", "subject", "description", "resolution", "category_id")[
                : settings.INSIGHTS_TRAIN_MAX_TICKETS
            ]
        )
        rows.reverse()  # oldest first: the hold-out is the newest
        return History(
            ids=[pk for pk, *_ in rows],
            texts=[solved_text(s, d, r) for _pk, s, d, r, _c in rows],
            queries=[query_text(s, d) for _pk, s, d, _r, _c in rows],
            categories=[c for *_, c in rows],
        )

    def train(self) -> Trained:
        history = self.history()
        minimum = settings.INSIGHTS_MIN_TICKETS
        if len(history.ids) < minimum:
            raise TooLittleData(needed=minimum, have=len(history.ids))
        try:
            payload = build_index(history.texts, history.ids)
        except ValueError:  # no term is in two tickets: nothing would ever be found
            raise TooLittleData(needed=minimum, have=len(history.ids)) from None
        quality = self._measure(history)
        postings = payload["postings"]
        quality["index_megabytes"] = round(
            (postings.data.nbytes + postings.indices.nbytes + postings.indptr.nbytes) / 2**20, 2
        )
        quality["terms"] = int(postings.shape[1])
        return Trained(payload=payload, documents=len(history.ids), quality=quality)

    def _measure(self, history: History) -> dict[str, Any]:
        cut = split_point(len(history.ids))
        older = range(cut)
        newest = [i for i in range(cut, len(history.ids)) if history.categories[i] is not None]
        if len(newest) > MEASURED:
            newest = sorted(random.Random(0).sample(newest, MEASURED))
        result: dict[str, Any] = {"baseline": BASELINE, "trained_on": cut, "tested_on": 0}
        try:
            index = build_index([history.texts[i] for i in older], history.ids[:cut])
        except ValueError:
            return result
        category_of = {history.ids[i]: history.categories[i] for i in older}
        counts = Counter(history.categories[i] for i in older)
        hits = shared = baseline = baseline_shared = 0.0
        for i in newest:
            category = history.categories[i]
            found = [category_of[pk] for pk, _ in nearest(index, history.queries[i], SHOWN)]
            hits += category in found
            shared += sum(c == category for c in found) / SHOWN
            share = counts[category] / cut
            baseline += 1 - (1 - share) ** SHOWN
            baseline_shared += share
        tested = len(newest)
        if tested:
            result.update(
                hit_rate_at_5=round(hits / tested, 4),
                baseline_hit_rate_at_5=round(baseline / tested, 4),
                share_at_5=round(shared / tested, 4),
                baseline_share_at_5=round(baseline_shared / tested, 4),
                tested_on=tested,
            )
        return result


@register(ModelKind.SIMILAR)
def similar_trainer() -> SimilarTrainer:
    return SimilarTrainer()
