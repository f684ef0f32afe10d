"""The school's working-day calendar: the federal production calendar (holidays.RU:
public holidays, moved days off, working Saturdays) plus the school's own days off
(каникулы), moved school days and 5- or 6-day weeks per parallel.

Every deadline in the platform counts through here ("2 working days", "3 days after
the period"): `add_working_days` for office deadlines (federal calendar only; the
school's vacations do not stop the office) and `is_school_day` / `school_days` for
lessons.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field

from core.workdays import add_working_days, is_working_day, working_days_between

from .models import AcademicYear, DayOff, MovedDay, WeekLength

__all__ = ["SchoolCalendar", "add_working_days", "is_working_day", "working_days_between"]


@dataclass
class SchoolCalendar:
    """Built once from a year's rows (three queries), then answers any number of dates."""

    year: AcademicYear
    days_off: list[tuple[dt.date, dt.date, frozenset[int]]] = field(default_factory=list)
    moved_in: dict[dt.date, dt.date] = field(default_factory=dict)  # school day -> day whose lessons it holds
    moved_out: set[dt.date] = field(default_factory=set)
    week_days: dict[int, int] = field(default_factory=dict)

    @classmethod
    def for_year(cls, year: AcademicYear) -> SchoolCalendar:
        cal = cls(year=year)
        for d in DayOff.objects.filter(year=year):
            cal.days_off.append((d.starts_on, d.ends_on, frozenset(d.grades or [])))
        for m in MovedDay.objects.filter(year=year):
            cal.moved_in[m.works_on] = m.replaces
            cal.moved_out.add(m.replaces)
        cal.week_days = dict(WeekLength.objects.filter(year=year).values_list("grade", "days"))
        return cal

    def _off(self, day: dt.date, grade: int | None) -> bool:
        for start, end, grades in self.days_off:
            if start <= day <= end and (not grades or (grade is not None and grade in grades)):
                return True
        return False

    def is_school_day(self, day: dt.date, grade: int | None = None) -> bool:
        """Whether lessons are held on `day` for `grade` (None: the school as a whole)."""
        if not (self.year.starts_on <= day <= self.year.ends_on):
            return False
        if day in self.moved_in:
            return not self._off(day, grade)
        if day in self.moved_out or self._off(day, grade):
            return False
        days_in_week = self.week_days.get(grade, 5) if grade is not None else max(self.week_days.values(), default=5)
        if day.weekday() >= days_in_week:
            return False
        # A federal holiday is no school day; a federal working Saturday is one only in a 6-day week.
        return is_working_day(day) or (day.weekday() == 5 and days_in_week == 6 and not _federal_holiday(day))

    def timetable_weekday(self, day: dt.date) -> int:
        """Which weekday's timetable runs on `day` (1 = Monday): a moved day follows the day it replaces."""
        return (self.moved_in.get(day, day)).isoweekday()

    def school_days(self, start: dt.date, end: dt.date, grade: int | None = None) -> Iterator[dt.date]:
        day = max(start, self.year.starts_on)
        last = min(end, self.year.ends_on)
        while day <= last:
            if self.is_school_day(day, grade):
                yield day
            day += dt.timedelta(days=1)


def _federal_holiday(day: dt.date) -> bool:
    from core.workdays import _federal

    return day in _federal(day.year)
