"""Business-time arithmetic for SLA clocks: working hours per weekday in a time zone, minus
holidays — or around the clock.

Working hours are wall-clock times in the calendar's zone, so 08:00–18:00 stays 08:00–18:00
across a daylight-saving change; a day with a change simply has an hour more or less only
if its working hours span the change. Instants are aware datetimes; results are aware
datetimes in UTC (callers localise for display).
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# How far ahead a deadline is looked for: a calendar open one hour a year still answers; a
# calendar never open (no hours, not 24×7) raises instead of looping.
HORIZON_DAYS = 3 * 366


class ClosedCalendar(ValueError):
    """The calendar has no working time within the horizon."""


@dataclass(frozen=True)
class Schedule:
    """A calendar as the arithmetic needs it."""

    zone: ZoneInfo
    # weekday (0 = Monday) → ((opens, closes), …), closes after opens on the same day
    hours: dict[int, tuple[tuple[time, time], ...]] = field(default_factory=dict)
    holidays: frozenset[date] = frozenset()
    always_open: bool = False

    @classmethod
    def around_the_clock(cls) -> "Schedule":
        return cls(zone=ZoneInfo("UTC"), always_open=True)

    def _local(self, day: date, moment: time) -> datetime:
        """A wall-clock time of a local day as a UTC instant. A time that does not exist
        (skipped by a spring-forward change) is the first instant after the gap."""
        local = datetime.combine(day, moment, tzinfo=self.zone)
        after = local.astimezone(UTC)  # fold=0: read with the offset before the change
        if after.astimezone(self.zone).replace(tzinfo=None) == local.replace(tzinfo=None):
            return after
        # In the gap. The change happened between the two readings: find it (to the second).
        before = local.replace(fold=1).astimezone(UTC)
        offset = after.astimezone(self.zone).utcoffset()
        while after - before > timedelta(seconds=1):
            middle = before + (after - before) / 2
            if middle.astimezone(self.zone).utcoffset() == offset:
                after = middle
            else:
                before = middle
        return after.replace(microsecond=0) if after.microsecond else after

    def open_periods(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Working periods [opens, closes) in order, from the local day of `start` on (the
        first may end before `start`)."""
        day = start.astimezone(self.zone).date()
        for offset in range(HORIZON_DAYS):
            current = day + timedelta(days=offset)
            if current in self.holidays:
                continue
            for opens, closes in self.hours.get(current.weekday(), ()):
                yield self._local(current, opens), self._local(current, closes)

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant `seconds` of working time after `start`."""
        if self.always_open:
            return (start + timedelta(seconds=seconds)).astimezone(UTC)
        remaining = timedelta(seconds=seconds)
        for opens, closes in self.open_periods(start):
            begin = max(opens, start)
            if begin >= closes:
                continue
            if remaining <= closes - begin:
                return begin + remaining
            remaining -= closes - begin
        raise ClosedCalendar("no working time within the horizon")

    def between(self, start: datetime, end: datetime) -> float:
        """Working seconds in [start, end) (0 if end is not after start)."""
        if end <= start:
            return 0.0
        if self.always_open:
            return (end - start).total_seconds()
        total = timedelta()
        for opens, closes in self.open_periods(start):
            if opens >= end:
                break
            begin, finish = max(opens, start), min(closes, end)
            if finish > begin:
                total += finish - begin
        return total.total_seconds()
