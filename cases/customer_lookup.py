"""Read queries of the new-ticket form's customer finder: the customers matching what the agent
types (name, e-mail, phone or company; case and accents ignored), and each one's open cases
the agent may see. No side effects.

Each typed word becomes a regular expression run against the UPPER() of each column, the
expression the customers' trigram indexes are built on (cases migration 0011): PostgreSQL's
pg_trgm reads regular expressions from those indexes as it reads LIKE, so a search reads the
matching rows, not the table — on SQLite Django runs the same expression in Python. Accents
are matched by character classes ("lucia" → L[uúùûüUÚÙÛÜ][cçCÇ][iíìîïIÍÌÎÏ][aáàâäãAÁÀÂÄÃ]), both
cases included because UPPER() leaves accented letters alone in some database locales. Digits
may be split by a space, dot, dash or brackets, so "3001234567" finds "+57 300 123-4567".
"""

import re
import unicodedata
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.db.models.functions import Upper

from .models import ACTIVE_STATUSES, Customer, Ticket
from .selectors import Viewer, customers_visible_to, tickets_visible_to

MATCH_LIMIT = 8  # customers listed
OPEN_CASES_SHOWN = 3  # open cases listed under each
MIN_WORD_LENGTH = 3  # a trigram index needs three characters to narrow anything down
MAX_WORDS = 4
MAX_LENGTH = 100

# The letters Spanish, Portuguese and French write with accents, by their bare form.
_ACCENTED = {
    "a": "aáàâäã",
    "e": "eéèêë",
    "i": "iíìîï",
    "o": "oóòôöõ",
    "u": "uúùûü",
    "n": "nñ",
    "c": "cç",
    "y": "yýÿ",
}
_SEPARATORS = r"[ ().+/-]{0,2}"  # what people put between a phone number's digits


def _bare(letter: str) -> str:
    """The letter without its accent ("í" → "i")."""
    decomposed = unicodedata.normalize("NFD", letter)
    return "".join(c for c in decomposed if not unicodedata.combining(c)) or letter


def _letter_pattern(letter: str) -> str:
    base = _bare(letter).lower()
    if base not in _ACCENTED and letter.isascii():
        return letter.upper()  # UPPER() turns a plain letter upper case in every locale
    variants = _ACCENTED.get(base, letter.lower())
    members = dict.fromkeys(variants + variants.upper())  # each once, in order
    return "[" + "".join(members) + "]"


def word_pattern(word: str) -> str:
    """The regular expression that finds `word` in an UPPER()ed column, accents ignored."""
    return "".join(
        _letter_pattern(c) if c.isalpha() else re.escape(c)
        for c in unicodedata.normalize("NFC", word)
    )


def phone_pattern(word: str) -> str | None:
    """For a word of digits (and the usual separators), the expression that finds those digits
    in a phone number however they are grouped; None for any other word."""
    digits = re.sub(r"[ ().+/-]", "", word)
    if len(digits) < MIN_WORD_LENGTH or not digits.isdigit():
        return None
    return _SEPARATORS.join(digits)


def search_words(text: str) -> list[str]:
    """The words of a search worth looking up: at most MAX_WORDS, none shorter than
    MIN_WORD_LENGTH (an empty list when nothing typed is long enough)."""
    words = [w for w in (text or "")[:MAX_LENGTH].split() if len(w) >= MIN_WORD_LENGTH]
    return words[:MAX_WORDS]


def customers_matching(user: Viewer, text: str, limit: int = MATCH_LIMIT) -> list[Customer]:
    """The first `limit` customers (by name) with every word of `text` in their name, e-mail,
    company or phone. Empty when no word is long enough."""
    words = search_words(text)
    if not words:
        return []
    customers = customers_visible_to(user).alias(
        name_upper=Upper("name"),
        email_upper=Upper("email"),
        company_upper=Upper("company"),
        phone_upper=Upper("phone"),
    )
    for word in words:
        pattern = word_pattern(word)
        found = (
            Q(name_upper__regex=pattern)
            | Q(email_upper__regex=pattern)
            | Q(company_upper__regex=pattern)
        )
        phone = phone_pattern(word)
        found |= Q(phone_upper__regex=phone or pattern)
        customers = customers.filter(found)
    return list(customers.order_by("name", "id")[:limit])


@dataclass(frozen=True)
class CustomerMatch:
    """A customer as the finder lists them: with their newest open cases the agent may see,
    and whether there are more."""

    customer: Customer
    open_cases: list[Ticket]
    more_open_cases: bool


def open_cases_of(user: Viewer, customer: Customer) -> CustomerMatch:
    """The customer's newest active tickets that `user` may see (OPEN_CASES_SHOWN of them, one
    more read to tell whether there are more): the cases a new one might duplicate."""
    cases = list(
        tickets_visible_to(user)
        .filter(customer=customer, status__in=ACTIVE_STATUSES)
        .order_by("-created_at", "-id")[: OPEN_CASES_SHOWN + 1]
    )
    return CustomerMatch(
        customer=customer,
        open_cases=cases[:OPEN_CASES_SHOWN],
        more_open_cases=len(cases) > OPEN_CASES_SHOWN,
    )


def find_customers(user: Viewer, text: str) -> list[CustomerMatch]:
    """What the finder shows for `text`: the matching customers, each with their open cases
    (one bounded query per customer listed)."""
    return [open_cases_of(user, customer) for customer in customers_matching(user, text)]


def chosen_customer(user: Viewer, customer_id: int) -> QuerySet[Customer]:
    """The customer with this id, if `user` may see customers."""
    return customers_visible_to(user).filter(pk=customer_id)
