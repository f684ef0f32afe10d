"""The school's working-day calendar: the federal production calendar (holidays.RU:
public holidays, moved days off, working Saturdays) plus the school's own days off
(каникулы), moved school days and 5- or 6-day weeks per parallel.

Every deadline in the platform counts through here ("2 working days", "3 days after
the period"): `add_working_days` for office deadlines (federal calendar only; the
school's vacations do not stop the office) and `is_school_day` / `school_days` for
lessons.

The rules, in order, for one date and one parallel:
1. outside the academic year: no lessons;
2. a school day off (каникулы, extra day off) for the whole school or for this parallel: none;
3. a moved school day (`MovedDay.works_on`): lessons, by the timetable of the day it replaces;
   the replaced day (`MovedDay.replaces`) has none;
4. a 5-day week follows the federal production calendar for the five-day week: weekdays
   that are not holidays or moved days off, plus the Saturdays a government decree made
   working (2025-11-01), which hold the timetable of the weekday that became the day off;
5. a 6-day week: Monday to Saturday, except federal holidays and moved days off; a
   decree's working Saturday is an ordinary Saturday with its own timetable.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import holidays

from core.workdays import add_working_days, is_working_day, working_days_between

from .models import AcademicYear, DayOff, MovedDay, WeekLength

__all__ = [
    "DEFAULT_WEEK_DAYS", "DayInfo", "SchoolCalendar", "add_working_days", "federal_holiday_name", "is_working_day",
    "working_days_between",
]

DEFAULT_WEEK_DAYS = 5
SATURDAY = 5
SUNDAY = 6


@dataclass(frozen=True)
class DayInfo:
    """What a date is for a parallel, for calendars and error messages."""

    date: dt.date
    school_day: bool
    timetable_weekday: int | None  # 1 = Monday; None when there are no lessons
    reason: str  # "" for an ordinary school day, otherwise why (Russian)


@dataclass
class SchoolCalendar:
    """Built once from a year's rows (three queries), then answers any number of dates."""

    year: AcademicYear
    days_off: list[tuple[dt.date, dt.date, frozenset[int], str]] = field(default_factory=list)
    moved_in: dict[dt.date, dt.date] = field(default_factory=dict)  # school day -> day whose lessons it holds
    moved_out: dict[dt.date, dt.date] = field(default_factory=dict)  # replaced day -> day its lessons moved to
    week_days: dict[int, int] = field(default_factory=dict)
    # The parallels of a move limited to some (by its school day and by its replaced day); absent = all.
    moved_grades: dict[dt.date, frozenset[int]] = field(default_factory=dict)

    @classmethod
    def for_year(cls, year: AcademicYear) -> SchoolCalendar:
        cal = cls(year=year)
        for d in DayOff.objects.filter(year=year):
            cal.days_off.append((d.starts_on, d.ends_on, frozenset(d.grades or []), d.name))
        for m in MovedDay.objects.filter(year=year):
            cal.moved_in[m.works_on] = m.replaces
            cal.moved_out[m.replaces] = m.works_on
            if m.grades:
                cal.moved_grades[m.works_on] = cal.moved_grades[m.replaces] = frozenset(m.grades)
        cal.week_days = dict(WeekLength.objects.filter(year=year).values_list("grade", "days"))
        return cal

    @classmethod
    def for_date(cls, day: dt.date) -> SchoolCalendar | None:
        """The calendar of the year that contains `day`, if any."""
        year = AcademicYear.objects.filter(starts_on__lte=day, ends_on__gte=day).first()
        return cls.for_year(year) if year is not None else None

    # --- the rules ---------------------------------------------------------------------

    def days_in_week(self, grade: int | None) -> int:
        """5 or 6; for the school as a whole (grade None) the longest week of any parallel."""
        if grade is None:
            return max(self.week_days.values(), default=DEFAULT_WEEK_DAYS)
        return self.week_days.get(grade, DEFAULT_WEEK_DAYS)

    def day_off_name(self, day: dt.date, grade: int | None) -> str | None:
        """The school day off covering `day` for `grade` (None: only whole-school ones count)."""
        for start, end, grades, name in self.days_off:
            if start <= day <= end and (not grades or (grade is not None and grade in grades)):
                return name
        return None

    def moved_applies(self, day: dt.date, grade: int | None, *, studying: bool) -> bool:
        """Whether the move on `day` concerns `grade`: a whole-school move concerns all; a move of
        some parallels concerns those. For the school as a whole (grade None) a limited move's
        school day is a school day (some parallels study) and its replaced day is not a day off
        (the others study)."""
        grades = self.moved_grades.get(day)
        if not grades:
            return True
        return studying if grade is None else grade in grades

    def info(self, day: dt.date, grade: int | None = None) -> DayInfo:
        """Whether lessons are held on `day` for `grade` (None: the school as a whole), by which
        weekday's timetable, and if not, why."""
        if not (self.year.starts_on <= day <= self.year.ends_on):
            return DayInfo(day, False, None, "вне учебного года")
        off = self.day_off_name(day, grade)
        if off is not None:
            return DayInfo(day, False, None, off)
        if day in self.moved_in and self.moved_applies(day, grade, studying=True):
            replaces = self.moved_in[day]
            return DayInfo(day, True, replaces.isoweekday(), f"перенос: занятия за {replaces:%d.%m.%Y}")
        if day in self.moved_out and self.moved_applies(day, grade, studying=False):
            return DayInfo(day, False, None, f"занятия перенесены на {self.moved_out[day]:%d.%m.%Y}")
        holiday = federal_holiday_name(day)
        if holiday:
            return DayInfo(day, False, None, holiday)
        weekday = day.weekday()
        if weekday == SUNDAY:
            return DayInfo(day, False, None, "выходной")
        if self.days_in_week(grade) == 6:
            return DayInfo(day, True, day.isoweekday(), "")
        # Five-day week: the federal production calendar decides, a decree's working Saturday included.
        if weekday == SATURDAY:
            if is_working_day(day):
                swapped = _working_saturday_swaps().get(day)
                return DayInfo(day, True, (swapped or day).isoweekday(), "рабочая суббота по производственному календарю")
            return DayInfo(day, False, None, "выходной")
        return DayInfo(day, True, day.isoweekday(), "")

    def is_school_day(self, day: dt.date, grade: int | None = None) -> bool:
        """Whether lessons are held on `day` for `grade` (None: the school as a whole)."""
        return self.info(day, grade).school_day

    def timetable_weekday(self, day: dt.date, grade: int | None = None) -> int:
        """Which weekday's timetable runs on `day` (1 = Monday): a moved day follows the day it
        replaces; a decree's working Saturday in a 5-day week follows the weekday made a day off."""
        weekday = self.info(day, grade).timetable_weekday
        return weekday if weekday is not None else (self.moved_in.get(day, day)).isoweekday()

    def school_days(self, start: dt.date, end: dt.date, grade: int | None = None) -> Iterator[dt.date]:
        for info in self.days(start, end, grade):
            if info.school_day:
                yield info.date

    def days(self, start: dt.date, end: dt.date, grade: int | None = None) -> Iterator[DayInfo]:
        """Every date of [start, end] inside the year, with what it is."""
        day = max(start, self.year.starts_on)
        last = min(end, self.year.ends_on)
        while day <= last:
            yield self.info(day, grade)
            day += dt.timedelta(days=1)

    def count_school_days(self, start: dt.date, end: dt.date, grade: int | None = None) -> int:
        return sum(1 for _ in self.school_days(start, end, grade))


def federal_holiday_name(day: dt.date) -> str:
    """The federal holiday or moved day off on `day` ("" if none), from holidays.RU, in Russian."""
    return str(_federal_ru(day.year).get(day) or "")


@lru_cache(maxsize=32)
def _federal_ru(year: int) -> holidays.HolidayBase:
    # The same calendar as core.workdays, with Russian names (its default language follows the locale).
    return holidays.country_holidays("RU", years=year, language="ru")


@lru_cache(maxsize=1)
def _working_saturday_swaps() -> dict[dt.date, dt.date]:
    """A decree's working Saturday -> the weekday that became the day off in exchange
    (2025-11-01 -> 2025-11-03): the Saturday holds that weekday's timetable. Read from
    holidays.RU's table of substituted days; a Saturday it does not name keeps its own
    weekday (the school then records a moved day)."""
    try:
        from holidays.countries.russia import RussiaStaticHolidays

        table: dict[int, Any] = dict(RussiaStaticHolidays.special_public_holidays)
    except (ImportError, AttributeError, TypeError):  # pragma: no cover - a future holidays release
        return {}
    swaps: dict[dt.date, dt.date] = {}
    for year, entries in table.items():
        rows: tuple[Any, ...] = entries if entries and isinstance(entries[0], tuple) else (entries,)
        for entry in rows:
            if len(entry) < 4 or not all(isinstance(x, int) for x in entry[:4]):
                continue
            to_month, to_day, from_month, from_day, *rest = entry
            saturday = dt.date(rest[0] if rest and isinstance(rest[0], int) else year, from_month, from_day)
            if saturday.weekday() == SATURDAY:
                swaps[saturday] = dt.date(year, to_month, to_day)
    return swaps
