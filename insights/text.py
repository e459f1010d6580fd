"""The words of a desk's text as every model reads them: letters only, lower case, stop words
of Spanish and English left out, each word cut to its stem by Snowball in the text's language
and its accents folded — so `facturación`, `facturacion` and `facturas` are one term, and
a customer who types without accents meets one who doesn't.

The language is guessed per text from its stop words (a ticket's customer may write in the
other language than their profile says). Stems are cached: Snowball costs ~20 µs a word and
a desk repeats a few tens of thousands of words.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import snowballstemmer
import stopwordsiso

# Words the stop-word lists hold but that carry a support desk's meaning: what a case is
# about (`cuenta`, `order`) and how the customer feels (`mal`, `never`, `not`).
MEANINGFUL = frozenset(
    """
    cuenta cuentas pedido problema problemas servicio bien mal mejor peor nada nunca no sin
    tampoco todavía aún ayuda rápido lento tarde pronto gracias bueno buena malo mala
    account order orders problem problems service help good great bad better worse best
    never not no nothing without yet still late slow quick fast thanks thank down
    immediately wrong right work works working now again
    """.split()  # noqa: SIM905 - a word list reads best as words
)

# Letters only; a word glued to a number by a dash or slash is part of a reference or a code
# (`PED-1042`, `FE/2291`, `AX12`), not something a customer says.
_WORD = re.compile(r"\b[^\W\d_]{2,}\b(?![-/]?\d)")
_STEMMERS = {
    "es": snowballstemmer.stemmer("spanish"),
    "en": snowballstemmer.stemmer("english"),
}
MAX_CHARACTERS = 20_000  # of one text: a pasted log says nothing more past this


def fold(word: str) -> str:
    """Lower case without accents (`Ñandú` → `nandu`)."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _stop_words(language: str) -> frozenset[str]:
    listed = {fold(w) for w in stopwordsiso.stopwords(language)}
    return frozenset(listed - {fold(w) for w in MEANINGFUL})


STOP_WORDS = {"es": _stop_words("es"), "en": _stop_words("en")}
# The guess counts only the commonest function words of each language, which the other lacks.
_SPANISH_MARKERS = "el la los las de que y en un una por con para es mi no se lo al del me"
_ENGLISH_MARKERS = "the and to of a in is it my i for on was with you this that not have"
_MARKERS = {"es": frozenset(_SPANISH_MARKERS.split()), "en": frozenset(_ENGLISH_MARKERS.split())}


def guess_language(words: Iterable[str]) -> str:
    """'es' or 'en', by which language's commonest words the text uses more (ties: Spanish)."""
    spanish = english = 0
    for word in words:
        spanish += word in _MARKERS["es"]
        english += word in _MARKERS["en"]
    return "en" if english > spanish else "es"


@lru_cache(maxsize=200_000)
def _stem(word: str, language: str) -> str:
    return fold(_STEMMERS[language].stemWord(word))


def stem_of(word: str, language: str) -> str:
    """The folded Snowball stem of one lower-case word in `language` ('es' or 'en')."""
    return _stem(word.lower(), language)


def terms_as_written(text: str) -> list[tuple[str, str]]:
    """Each content word of the text, in order, as (its stem, the word as written in lower
    case): the stem for the models, the word for the people who read a theme's top words."""
    words = [w.lower() for w in _WORD.findall(text[:MAX_CHARACTERS])]
    language = guess_language(words)
    stop = STOP_WORDS[language]
    found = []
    for word in words:
        stem = _stem(word, language)
        # Two letters say something only when they are a word of meaning (`no`); else they
        # are units and initials (`kg`, `bt`).
        if fold(word) not in stop and len(stem) > 1 and (len(word) > 2 or word in MEANINGFUL):
            found.append((stem, word))
    return found


def terms(text: str) -> list[str]:
    """The text's stemmed, folded content words, in order (repeats kept: they count)."""
    return [stem for stem, _word in terms_as_written(text)]


def terms_and_pairs(text: str) -> list[str]:
    """`terms` and each two neighbouring terms joined (`tarjet rechaz`): a pair often says
    more than its words apart."""
    single = terms(text)
    return single + [f"{a} {b}" for a, b in zip(single, single[1:], strict=False)]
