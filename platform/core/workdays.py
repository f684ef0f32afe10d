"""Working days by the federal production calendar (holidays.RU knows moved days off
and working Saturdays). School holidays (каникулы) are added by the school calendar."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays


@lru_cache(maxsize=32)
def _federal(year: int) -> holidays.HolidayBase:
    return holidays.country_holidays("RU", years=year)


def is_working_day(day: dt.date) -> bool:
    calendar = _federal(day.year)
    if day in calendar:
        return False
    # holidays.RU marks the Saturdays that became working days by a government decree.
    if day.weekday() >= 5:
        workdays: set[dt.date] = getattr(calendar, "weekend_workdays", set())
        return day in workdays
    return True


def add_working_days(start: dt.date, n: int) -> dt.date:
    """The date `n` working days after `start` (start itself not counted)."""
    day = start
    remaining = n
    while remaining > 0:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days after `start` up to and including `end`."""
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
