"""Themes: what customers talk about, found in survey comments and ticket descriptions.

Every comment and every ticket's subject and description is read as stemmed terms
(`insights.text`), weighed by TF-IDF and split by non-negative matrix factorisation (NMF,
`init="nndsvda"`, a fixed `random_state`: the same data gives the same themes) into `k`
themes. `k` is chosen among `K_MIN`…`K_MAX` (fewer on a small desk: at least `TEXTS_PER_THEME`
texts a theme) by the themes' coherence: how often a theme's top terms appear together in the
same texts (normalised pointwise mutual information, on a sample), the most coherent count
winning, the smaller on a near tie.

A text mentions a theme when the theme holds at least `MENTION_SHARE` of the text's strongest
theme weight (a comment can be about the wait *and* the kind agent); the mention's weight is
the theme's share of the text's weights. Each theme keeps its top terms — each stem shown as the
word the desk writes most for it (`factura`, not `factur`) — and its most typical texts as
examples, comments first. The mentions are rows (`insights.models_themes`), written with the
training's record in one transaction (`save_rows`); a manager's name for a theme is carried
to the next training's theme with the most top terms in common.

Quality: the share of texts that mention some theme (`coverage`), the chosen `k` and each
candidate's coherence, and the factorisation's relative reconstruction error.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from django.conf import settings
from django.db.models import Count, Max, Q
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import TfidfVectorizer

from cases.models import Status, Ticket
from insights.models import ModelKind, TrainedModel
from insights.services.themes import save_training
from insights.text import stem_of, terms_as_written
from insights.training import TooLittleData, Trained, digest, register
from surveys.models import SurveyResponse

VERSION = 6  # of the recipe: a new one retrains even on the same data
K_MIN, K_MAX = 6, 12
# Comments (how the service felt) and ticket texts (what went wrong) are factorised apart when
# each has texts for SOURCE_K_MIN themes of its own: a comment's words then never make a theme
# of case descriptions, nor the other way round. Each source gets 4 to 6 themes.
SOURCE_K_MIN, SOURCE_K_MAX = 4, 6
TEXTS_PER_THEME = 20  # at least, on average: a small desk gets fewer themes
TOP_TERMS = 10
COHERENCE_TERMS = 8
WEAKEST = 0.05
EXAMPLES = 5
EXAMPLE_CHARACTERS = 300
MENTION_SHARE = 0.5
MENTION_WORDS = 5  # a text mentions a theme only if it uses one of its strongest words
CHOICE_SAMPLE = 5_000  # texts on which each candidate k is tried
NEAR_TIE = 0.02  # of coherence: the smaller k wins within it
COMMENT, DESCRIPTION = "comment", "description"


@dataclass
class Text:
    source: str  # COMMENT or DESCRIPTION
    ticket_id: int
    response_id: int | None
    at: datetime  # the answer's answered_at, the ticket's created_at: what places it in time
    text: str


@dataclass
class Reading:
    """The texts' terms and, per stem, how often each surface word was written for it."""

    terms: list[list[str]]
    surfaces: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def word(self, stem: str) -> str:
        written = self.surfaces.get(stem)
        if not written:
            return stem
        # The commonest; on a tie the shortest, then alphabetical (stable between trainings).
        return min(written.items(), key=lambda item: (-item[1], len(item[0]), item[0]))[0]


# Words that say how a customer feels or asks, not what they write about: the sentiment and
# triage models need them (`no funciona`, `still waiting`), a theme's top words do not — a
# theme of "no · sin · bien" says nothing to a manager. Matched by stem, in both languages.
NOT_A_SUBJECT = """
    no nada nunca sin tampoco todavía aún sigue sigo bien mal mejor peor bueno buena malo mala
    gracias hola favor quiero quisiera necesito necesitamos hice hago puedo pueden podrían ayuda
    ayúdenme ayudarme
    not never nothing without yet still now again good great bad better worse best right wrong
    thanks thank hello please need want would could help dear regards
""".split()  # noqa: SIM905 - a word list reads best as words
_NO_SUBJECT = frozenset(
    stem_of(word, language) for word in NOT_A_SUBJECT for language in ("es", "en")
)


def read(texts: Iterable[str]) -> Reading:
    """`insights.text.terms` of each text but the words no subject is named by
    (NOT_A_SUBJECT), noting the word each stem was written as."""
    reading = Reading(terms=[])
    for text in texts:
        found = [(stem, word) for stem, word in terms_as_written(text) if stem not in _NO_SUBJECT]
        for stem, word in found:
            reading.surfaces[stem][word] += 1
        reading.terms.append([stem for stem, _word in found])
    return reading


def ticket_text(subject: str, description: str) -> str:
    return f"{subject}\n{description}"


def _same(terms: list[str]) -> list[str]:
    return terms  # the texts come in already read


def vectorizer(documents: int) -> TfidfVectorizer:
    return TfidfVectorizer(
        analyzer=_same,
        min_df=2 if documents < 10_000 else 3,
        max_df=0.5,
        sublinear_tf=True,
        max_features=20_000,
        dtype=np.float32,
    )


def factorise(matrix: sp.csr_matrix, k: int, *, rough: bool = False) -> NMF:
    """NMF of `matrix` into `k` themes; `rough` (choosing k) stops sooner."""
    model = NMF(
        n_components=k,
        init="nndsvda",
        random_state=0,
        max_iter=200 if rough else 400,
        tol=1e-3 if rough else 1e-4,
    )
    model.fit(matrix)
    return model


def coherence(components: npt.NDArray[Any], present: sp.csc_matrix) -> float:
    """Mean NPMI of each theme's top terms, over the texts of `present` (binary, texts ×
    terms): 1 when they always come together, 0 when independent, −1 when never."""
    documents = present.shape[0]
    scores = []
    for row in components:
        top = np.argsort(row)[::-1][:COHERENCE_TERMS]
        columns = present[:, top]
        together = (columns.T @ columns).toarray()
        counts = np.diag(together)
        pairs = []
        for a in range(len(top)):
            for b in range(a + 1, len(top)):
                joint = together[a, b]
                if not counts[a] or not counts[b]:
                    continue
                if not joint:
                    pairs.append(-1.0)
                    continue
                p_joint = joint / documents
                if p_joint >= 1:
                    pairs.append(1.0)
                    continue
                pmi = math.log(p_joint / (counts[a] / documents * counts[b] / documents))
                pairs.append(pmi / -math.log(p_joint))
        if pairs:
            scores.append(sum(pairs) / len(pairs))
    return round(sum(scores) / len(scores), 4) if scores else -1.0


def candidates(documents: int, terms: int, k_min: int = K_MIN, k_max: int = K_MAX) -> list[int]:
    """The numbers of themes to try: k_min…k_max, fewer with fewer texts (TEXTS_PER_THEME a
    theme) or fewer distinct terms than that (NMF finds at most one theme per term)."""
    top = max(2, min(k_max, documents // TEXTS_PER_THEME, terms))
    return list(range(min(k_min, top), top + 1))


def choose_k(
    matrix: sp.csr_matrix, k_min: int = K_MIN, k_max: int = K_MAX
) -> tuple[int, dict[str, float]]:
    """The most coherent number of themes (the smaller on a near tie), tried on an evenly
    spread sample of the texts."""
    documents, terms = matrix.shape
    step = max(1, documents // CHOICE_SAMPLE)
    sample = matrix[::step]
    present = (sample > 0).astype(np.float32).tocsc()
    scores = {
        k: coherence(factorise(sample, k, rough=True).components_, present)
        for k in candidates(documents, min(terms, sample.shape[0]), k_min, k_max)
    }
    best = max(scores.values())
    chosen = min(k for k, score in scores.items() if score >= best - NEAR_TIE)
    return chosen, {str(k): score for k, score in scores.items()}


@dataclass
class Factor:
    """One factorisation: of the comments, of the ticket texts, or ("") of both together."""

    source: str
    rows: list[int]  # positions in the trainer's `kept` texts
    k: int
    tried: dict[str, float]
    coherence: float
    weights: npt.NDArray[Any]  # rows × k
    components: npt.NDArray[Any]  # k × vocabulary
    vocabulary: Sequence[str]
    error: float
    norm: float


class ThemesTrainer:
    def __init__(self) -> None:
        # What `save_rows` writes once the training's record exists.
        self.themes: list[dict[str, Any]] = []
        self.rows: list[dict[str, Any]] = []

    def fingerprint(self) -> str:
        tickets = Ticket.objects.aggregate(n=Count("pk"), newest=Max("updated_at"), last=Max("pk"))
        comments = SurveyResponse.objects.exclude(comment="").aggregate(
            n=Count("pk"), last=Max("pk"), newest=Max("answered_at")
        )
        # The minimum too: a desk told "too little history" trains once an admin lowers it.
        return digest(
            VERSION,
            settings.INSIGHTS_TRAIN_MAX_TICKETS,
            settings.INSIGHTS_MIN_TICKETS,
            *tickets.values(),
            *comments.values(),
        )

    def texts(self) -> list[Text]:
        """The newest tickets' subjects and descriptions (merged ones are their target's) and
        the newest comments, at most INSIGHTS_TRAIN_MAX_TICKETS of each, oldest first."""
        most = settings.INSIGHTS_TRAIN_MAX_TICKETS
        tickets = list(
            Ticket.objects.exclude(status=Status.MERGED)
            .order_by("-created_at", "-pk")
            .values_list("pk", "subject", "description", "created_at")[:most]
        )
        comments = list(
            SurveyResponse.objects.exclude(comment="")
            .filter(~Q(comment__regex=r"^\s*$"))
            .order_by("-answered_at", "-pk")
            .values_list("pk", "ticket_id", "comment", "answered_at")[:most]
        )
        found = [
            Text(DESCRIPTION, pk, None, created, ticket_text(subject, description))
            for pk, subject, description, created in reversed(tickets)
        ]
        found += [
            Text(COMMENT, ticket, pk, answered, comment)
            for pk, ticket, comment, answered in reversed(comments)
        ]
        return found

    def train(self) -> Trained:
        texts = self.texts()
        reading = read(text.text for text in texts)
        kept = [i for i, found in enumerate(reading.terms) if found]
        minimum = settings.INSIGHTS_MIN_TICKETS
        if len(kept) < minimum:
            raise TooLittleData(needed=minimum, have=len(kept))
        factors = [
            factor
            for group in self._groups(texts, kept)
            if (factor := self._factorise(group, kept, reading)) is not None
        ]
        if not factors:  # no term in enough texts, or NMF can't split them: nothing to find
            raise TooLittleData(needed=minimum, have=0)
        weights = np.zeros((len(kept), sum(f.k for f in factors)), dtype=np.float64)
        columns: list[tuple[npt.NDArray[Any], Sequence[str]]] = []
        for factor in factors:
            start = len(columns)
            weights[np.ix_(factor.rows, range(start, start + factor.k))] = factor.weights
            columns += [(row, factor.vocabulary) for row in factor.components]
        order = self._order(weights)
        themes = [
            self._theme(number, *columns[j], reading) for number, j in enumerate(order, start=1)
        ]
        tops = [
            {str(term["term"]) for term in theme["top_terms"][:MENTION_WORDS]} for theme in themes
        ]
        mentioned = self._mentions(
            weights, order, [texts[i] for i in kept], [reading.terms[i] for i in kept], tops
        )
        for theme, examples in zip(
            themes, self._examples(weights, order, texts, kept, reading, themes), strict=True
        ):
            theme["examples"] = examples
            theme["texts"] = mentioned[theme["number"]]
        self.themes = themes
        covered = len({row["text"] for row in self.rows})
        quality: dict[str, Any] = {
            "themes": len(columns),
            "coverage": round(covered / len(texts), 4),
            "texts": len(texts),
            "comments": sum(text.source == COMMENT for text in texts),
            "descriptions": sum(text.source == DESCRIPTION for text in texts),
            "coherence": round(sum(f.coherence * f.k for f in factors) / len(columns), 4),
            "reconstruction_error": round(
                math.sqrt(sum(f.error**2 for f in factors) / sum(f.norm**2 for f in factors)), 4
            ),
        }
        if len(factors) == 1 and factors[0].source == "":
            quality["coherence_by_k"] = factors[0].tried
        else:
            quality["sources"] = {
                f.source: {"themes": f.k, "coherence": f.coherence, "coherence_by_k": f.tried}
                for f in factors
            }
        payload = {
            "version": VERSION,
            "factors": [
                {
                    "source": f.source,
                    "vocabulary": list(f.vocabulary),
                    "components": f.components.astype(np.float32),
                }
                for f in factors
            ],
            "themes": themes,
        }
        return Trained(payload=payload, documents=len(texts), quality=quality)

    @staticmethod
    def _groups(texts: list[Text], kept: list[int]) -> list[tuple[str, list[int], int, int]]:
        """(source, positions in `kept`, fewest themes, most themes) to factorise: comments
        and ticket texts apart when each has texts for SOURCE_K_MIN themes, else all
        together ("" for the source)."""
        by_source = {
            source: [p for p, i in enumerate(kept) if texts[i].source == source]
            for source in (COMMENT, DESCRIPTION)
        }
        if all(len(rows) >= SOURCE_K_MIN * TEXTS_PER_THEME for rows in by_source.values()):
            return [
                (source, rows, SOURCE_K_MIN, SOURCE_K_MAX) for source, rows in by_source.items()
            ]
        return [("", list(range(len(kept))), K_MIN, K_MAX)]

    @staticmethod
    def _factorise(
        group: tuple[str, list[int], int, int], kept: list[int], reading: Reading
    ) -> Factor | None:
        """The themes of one group of texts, or None when they share too few words or NMF
        can't split them (its error and weights come out NaN)."""
        source, rows, k_min, k_max = group
        words = vectorizer(len(rows))
        try:
            matrix = words.fit_transform([reading.terms[kept[p]] for p in rows]).tocsr()
        except ValueError:  # no term in enough texts: nothing shared to find
            return None
        if matrix.shape[1] < 2:  # one word shared by the texts: no themes to tell apart
            return None
        k, tried = choose_k(matrix, k_min, k_max)
        model = factorise(matrix, k)
        weights = model.transform(matrix)
        components = model.components_
        finite = np.isfinite(model.reconstruction_err_) and np.isfinite(components).all()
        if not (finite and np.isfinite(weights).all()):
            return None
        return Factor(
            source=source,
            rows=rows,
            k=k,
            tried=tried,
            coherence=tried[str(k)],
            weights=weights,
            components=components,
            vocabulary=words.get_feature_names_out(),
            error=float(model.reconstruction_err_),
            norm=float(sp.linalg.norm(matrix)) or 1.0,
        )

    @staticmethod
    def _order(weights: npt.NDArray[Any]) -> list[int]:
        """The themes biggest first — by how many texts are mostly about them, then by their
        total weight: number 1 is the one the desk talks about most. (Counts, not weights
        alone: the weights of two factorisations are not on one scale.)"""
        totals = weights.sum(axis=0)
        about = weights.argmax(axis=1)[weights.max(axis=1) > 0]
        counts = np.bincount(about, minlength=weights.shape[1])
        return sorted(
            range(weights.shape[1]), key=lambda j: (-int(counts[j]), -float(totals[j]), j)
        )

    @staticmethod
    def _theme(
        number: int, row: npt.NDArray[Any], vocabulary: Sequence[str], reading: Reading
    ) -> dict[str, Any]:
        peak = float(row.max()) if row.size else 0.0
        # A term a theme barely holds says nothing of it: at least WEAKEST of its strongest.
        top = [int(i) for i in np.argsort(row)[::-1][:TOP_TERMS] if row[i] > WEAKEST * peak > 0]
        strongest = float(row[top[0]]) if top else 1.0
        return {
            "number": number,
            "top_terms": [
                {
                    "term": str(vocabulary[i]),
                    "word": reading.word(str(vocabulary[i])),
                    "weight": round(float(row[i]) / strongest, 4),
                }
                for i in top
            ],
        }

    def _mentions(
        self,
        weights: npt.NDArray[Any],
        order: list[int],
        texts: list[Text],
        terms: list[list[str]],
        tops: list[set[str]],
    ) -> Counter[int]:
        """Each text's themes, as rows to write: those holding at least MENTION_SHARE of its
        strongest one's weight and one of whose MENTION_WORDS strongest words (`tops`, in `order`)
        it uses — a theme
        that only colours a text through words further down its list is not what the text
        is about."""
        number = {j: n for n, j in enumerate(order, start=1)}
        counts: Counter[int] = Counter()
        strongest = weights.max(axis=1)
        totals = weights.sum(axis=1)
        rows, columns = np.nonzero(weights >= (MENTION_SHARE * strongest)[:, None])
        self.rows = []
        for i, j in zip(rows.tolist(), columns.tolist(), strict=True):
            if strongest[i] <= 0 or not tops[number[j] - 1].intersection(terms[i]):
                continue
            text = texts[i]
            self.rows.append(
                {
                    "text": i,
                    "theme": number[j],
                    "source": text.source,
                    "ticket_id": text.ticket_id,
                    "response_id": text.response_id,
                    "at": text.at,
                    "weight": round(float(weights[i, j] / totals[i]), 4),
                }
            )
            counts[number[j]] += 1
        return counts

    @staticmethod
    def _examples(
        weights: npt.NDArray[Any],
        order: list[int],
        texts: list[Text],
        kept: list[int],
        reading: Reading,
        themes: list[dict[str, Any]],
    ) -> list[list[dict[str, Any]]]:
        """Per theme, its most typical texts, each once: first those mostly about it (the
        theme holds at least MENTION_SHARE of the text's weight and more than any other) that
        use one of its top words, comments before descriptions (what customers said, in their
        words); then the rest by weight. A comment that only touches the theme, or shares
        none of the words a manager reads as the theme, is not shown before a text all about
        it."""
        found = []
        totals = weights.sum(axis=1)
        dominant = weights.argmax(axis=1)
        for j, theme in zip(order, themes, strict=True):
            top = {str(term["term"]) for term in theme["top_terms"][:MENTION_WORDS]}
            column = weights[:, j]
            ranked = [int(i) for i in np.argsort(column)[::-1][: EXAMPLES * 50] if column[i] > 0]
            typical = [
                i
                for i in ranked
                if dominant[i] == j
                and column[i] >= MENTION_SHARE * totals[i]
                and top.intersection(reading.terms[kept[i]])
            ]
            typical.sort(key=lambda i: texts[kept[i]].source != COMMENT)  # stable: by weight
            chosen = set(typical)
            ranked = typical + [i for i in ranked if i not in chosen]
            shown: list[dict[str, Any]] = []
            seen: set[str] = set()
            for i in ranked:
                text = texts[kept[i]]
                words = " ".join(text.text.split())[:EXAMPLE_CHARACTERS]
                if words.casefold() in seen:
                    continue
                seen.add(words.casefold())
                shown.append(
                    {
                        "source": text.source,
                        "ticket": text.ticket_id,
                        "response": text.response_id,
                        "text": words,
                    }
                )
                if len(shown) == EXAMPLES:
                    break
            found.append(shown)
        return found

    def save_rows(self, record: TrainedModel) -> None:
        """The themes and their mentions of `record` (a new ready training), with the names
        managers gave the last training's themes. Precondition: inside the transaction that
        created `record`."""
        save_training(record=record, themes=self.themes, mentions=self.rows)


@register(ModelKind.THEMES)
def themes_trainer() -> ThemesTrainer:
    return ThemesTrainer()
