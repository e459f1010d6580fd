"""Who else has a ticket open, and who is writing a reply on it: a heartbeat each ticket page
sends every few seconds, kept in the cache (Redis in production) for a short while.

Presence is advice, never a lock: nothing is refused because of it, and when the cache is
away the page simply shows nobody (the version check still refuses a stale change). Each
person is one cache key that expires on its own, so a closed tab disappears within
`PRESENCE_SECONDS` without anyone cleaning up; the list of who was there is a second key,
rewritten by each heartbeat (two heartbeats racing may drop a name for one beat, never more).
"""

import logging
from dataclasses import dataclass
from typing import Literal

from django.core.cache import cache

from .models import User

logger = logging.getLogger(__name__)

Activity = Literal["viewing", "writing"]
HEARTBEAT_SECONDS = 10  # how often a ticket page reports (templates/cases/ticket_detail.html)
PRESENCE_SECONDS = 3 * HEARTBEAT_SECONDS  # a page that stopped reporting is gone after this


@dataclass(frozen=True)
class Presence:
    user_id: int
    name: str
    activity: Activity


def _person_key(ticket_id: int, user_id: int) -> str:
    return f"presence:ticket:{ticket_id}:user:{user_id}"


def _people_key(ticket_id: int) -> str:
    return f"presence:ticket:{ticket_id}:people"


def report(ticket_id: int, user: User, activity: Activity) -> list[Presence]:
    """`user` has the ticket open (`activity` says whether they are writing): remember it and
    return everyone else who has it open now, writers first."""
    try:
        cache.set(
            _person_key(ticket_id, user.pk),
            (user.display_name, activity),
            timeout=PRESENCE_SECONDS,
        )
        people: set[int] = set(cache.get(_people_key(ticket_id)) or ())
        present = _present(ticket_id, people | {user.pk})
        cache.set(_people_key(ticket_id), sorted(present), timeout=PRESENCE_SECONDS)
    except Exception:  # the cache is away: presence is advice, the page goes on without it
        logger.warning("ticket presence unavailable", exc_info=True)
        return []
    others = [p for p in present.values() if p.user_id != user.pk]
    return sorted(others, key=lambda p: (p.activity != "writing", p.name))


def _present(ticket_id: int, people: set[int]) -> dict[int, Presence]:
    keys = {_person_key(ticket_id, user_id): user_id for user_id in people}
    found = cache.get_many(list(keys))
    return {
        keys[key]: Presence(user_id=keys[key], name=name, activity=activity)
        for key, (name, activity) in found.items()
    }
