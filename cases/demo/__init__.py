"""Deterministic demo data: a support desk with three teams, eight agents, two managers, ~60
customers and ~400 tickets over the last 90 days.

Every ticket is played through the real services (`register_ticket`, `assign_ticket`,
`add_reply`, `escalate_ticket`, `resolve_ticket` …) with backdated, increasing `at=`
timestamps, so the data obeys the lifecycle and every denormalised counter matches its
events. Nothing is e-mailed (no `acknowledge=True`).

`load_demo()` runs in one transaction and does nothing when the demo login `agent` exists.
Note for receivers of `ticket_resolved` (the surveys app): the demo resolves tickets in the
past through `resolve_ticket`, which sends the signal.

What builds what: `people` (staff and customers), `sla` (policies, calendar, holidays),
`world` (the desk they make up), `case_texts` and `conversation_texts` (what is written),
`stories` (one ticket's life), `load` (the whole desk and its summary).
"""

from .case_texts import CASES, CITIES, PRODUCTS
from .conversation_texts import (
    CUSTOMER_NUDGE,
    ESCALATION_REASONS,
    FIRST_REPLIES,
    HANDOVER,
    INFO_EXCHANGES,
    NOTES,
    REOPEN_BY_CUSTOMER,
    REOPEN_REASONS,
    RESOLUTIONS,
    RESUMED_REPLIES,
    SOLVED,
)
from .load import DAYS, HOURLY_WEIGHTS, SEED, TICKETS, load_demo, summary
from .people import (
    COMPANIES_EN,
    COMPANIES_ES,
    EMAIL_DOMAINS,
    FIRST_NAMES_EN,
    FIRST_NAMES_ES,
    LAST_NAMES_EN,
    LAST_NAMES_ES,
    MARKER_USERNAME,
    PASSWORD,
    STAFF,
)
from .sla import FIXED_HOLIDAYS, SLA_POLICIES
from .stories import (
    CHANNEL_WEIGHTS,
    LIVE,
    PRIORITY_UP,
    PRIORITY_WEIGHTS,
    SELF_SERVICE,
    Step,
    Story,
)
from .world import CATEGORIES, TEAMS, World

# Every public name the single-module cases/demo.py had, so `from cases import demo` still
# finds what it found before the split.
__all__ = [
    # load
    "SEED",
    "DAYS",
    "TICKETS",
    "HOURLY_WEIGHTS",
    "load_demo",
    "summary",
    # people
    "PASSWORD",
    "MARKER_USERNAME",
    "STAFF",
    "FIRST_NAMES_ES",
    "LAST_NAMES_ES",
    "FIRST_NAMES_EN",
    "LAST_NAMES_EN",
    "COMPANIES_ES",
    "COMPANIES_EN",
    "EMAIL_DOMAINS",
    # sla
    "SLA_POLICIES",
    "FIXED_HOLIDAYS",
    # world
    "TEAMS",
    "CATEGORIES",
    "World",
    # texts
    "PRODUCTS",
    "CITIES",
    "CASES",
    "RESOLUTIONS",
    "FIRST_REPLIES",
    "INFO_EXCHANGES",
    "CUSTOMER_NUDGE",
    "HANDOVER",
    "SOLVED",
    "REOPEN_BY_CUSTOMER",
    "RESUMED_REPLIES",
    "NOTES",
    "ESCALATION_REASONS",
    "REOPEN_REASONS",
    # stories
    "CHANNEL_WEIGHTS",
    "PRIORITY_WEIGHTS",
    "PRIORITY_UP",
    "SELF_SERVICE",
    "LIVE",
    "Step",
    "Story",
]
