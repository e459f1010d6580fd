"""Business-time arithmetic (cases/business_time.py): SLA clocks run on working hours in the
team's time zone, skip nights, weekends and holidays, and keep wall-clock hours across a
daylight-saving change."""

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from cases.business_time import ClosedCalendar, Schedule

BOGOTA = ZoneInfo("America/Bogota")
NEW_YORK = ZoneInfo("America/New_York")
SANTIAGO = ZoneInfo("America/Santiago")
OFFICE: tuple[tuple[time, time], ...] = ((time(8), time(18)),)
WEEKDAYS = dict.fromkeys(range(5), OFFICE)
HOUR = 3600


def at(zone: tzinfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def office(zone: ZoneInfo = BOGOTA, holidays: Iterable[date] = ()) -> Schedule:
    return Schedule(zone=zone, hours=WEEKDAYS, holidays=frozenset(holidays))


def test_within_one_working_day():
    start = at(BOGOTA, 2025, 3, 4, 9)  # Tuesday 09:00
    assert office().add(start, 2 * HOUR) == at(BOGOTA, 2025, 3, 4, 11)


def test_the_night_does_not_count():
    start = at(BOGOTA, 2025, 3, 4, 17)  # Tuesday 17:00: one hour left today
    assert office().add(start, 3 * HOUR) == at(BOGOTA, 2025, 3, 5, 10)  # Wednesday 10:00


def test_a_case_opened_at_night_starts_counting_in_the_morning():
    start = at(BOGOTA, 2025, 3, 4, 22, 30)
    assert office().add(start, HOUR) == at(BOGOTA, 2025, 3, 5, 9)


def test_the_weekend_does_not_count():
    start = at(BOGOTA, 2025, 3, 7, 16)  # Friday 16:00
    assert office().add(start, 4 * HOUR) == at(BOGOTA, 2025, 3, 10, 10)  # Monday 10:00
    assert office().between(start, at(BOGOTA, 2025, 3, 10, 10)) == 4 * HOUR


def test_holidays_do_not_count():
    start = at(BOGOTA, 2025, 3, 21, 17)  # Friday 17:00; Monday 24 March is a holiday
    schedule = office(holidays=[date(2025, 3, 24)])
    assert schedule.add(start, 2 * HOUR) == at(BOGOTA, 2025, 3, 25, 9)


def test_split_shifts_skip_the_lunch_break():
    lunch = Schedule(zone=BOGOTA, hours={1: ((time(8), time(12)), (time(14), time(18)))})
    start = at(BOGOTA, 2025, 3, 4, 11)
    assert lunch.add(start, 2 * HOUR) == at(BOGOTA, 2025, 3, 4, 15)
    assert lunch.between(start, at(BOGOTA, 2025, 3, 4, 15)) == 2 * HOUR


def test_each_team_counts_in_its_own_time_zone():
    start = at(UTC, 2025, 3, 4, 21)  # 16:00 in Bogotá, 18:00 in Santiago (summer time)
    assert office(BOGOTA).add(start, HOUR) == at(BOGOTA, 2025, 3, 4, 17)
    assert office(SANTIAGO).add(start, HOUR) == at(SANTIAGO, 2025, 3, 5, 9)


def test_office_hours_stay_on_the_wall_clock_across_a_daylight_saving_change():
    friday = at(NEW_YORK, 2025, 3, 7, 17)  # EST (UTC−5); clocks go forward on Sunday 9 March
    due = office(NEW_YORK).add(friday, 2 * HOUR)
    assert due == at(NEW_YORK, 2025, 3, 10, 9)  # Monday 09:00 EDT
    assert due.utcoffset() == timedelta(0)  # returned in UTC …
    assert due.astimezone(NEW_YORK).utcoffset() == timedelta(hours=-4)  # … 13:00 UTC


def test_a_working_day_that_spans_the_change_has_an_hour_less():
    sundays = Schedule(zone=NEW_YORK, hours={6: ((time(0), time(12)),)})
    start, end = at(NEW_YORK, 2025, 3, 9, 0), at(NEW_YORK, 2025, 3, 9, 12)
    assert sundays.between(start, end) == 11 * HOUR  # 02:00–03:00 never happened
    assert sundays.add(start, 11 * HOUR) == end


def test_working_hours_that_start_inside_the_skipped_hour_start_after_it():
    # Santiago skipped 00:00–01:00 on Sunday 7 September 2025
    sundays = Schedule(zone=SANTIAGO, hours={6: ((time(0, 30), time(2)),)})
    start = at(SANTIAGO, 2025, 9, 6, 20)
    assert sundays.add(start, 60) == at(SANTIAGO, 2025, 9, 7, 1, 1)


def test_around_the_clock_counts_every_second():
    always = Schedule.around_the_clock()
    start = at(BOGOTA, 2025, 3, 8, 23)  # Saturday night
    assert always.add(start, 2 * HOUR) == at(BOGOTA, 2025, 3, 9, 1)
    assert always.between(start, at(BOGOTA, 2025, 3, 9, 1)) == 2 * HOUR


def test_between_is_the_inverse_of_add():
    schedule = office(holidays=[date(2025, 3, 24)])
    start = at(BOGOTA, 2025, 3, 20, 13, 17)
    for seconds in (1, 59, 3600, 8 * HOUR, 10 * HOUR, 37 * HOUR + 5, 200 * HOUR):
        assert schedule.between(start, schedule.add(start, seconds)) == seconds


def test_nothing_is_counted_backwards():
    assert office().between(at(BOGOTA, 2025, 3, 5, 12), at(BOGOTA, 2025, 3, 5, 10)) == 0


def test_a_calendar_with_no_working_hours_is_an_error_not_a_hang():
    with pytest.raises(ClosedCalendar):
        Schedule(zone=BOGOTA).add(at(BOGOTA, 2025, 3, 4, 9), HOUR)
