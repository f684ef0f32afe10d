"""The school's working-day calendar (R-Y01; 004 §II, §VII): the federal production calendar
(holidays.RU), the school's vacations and days off (for the whole school or some parallels),
moved school days and 5- or 6-day weeks. Other apps count lessons and deadlines through it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pytest

from schoolyear.calendar_service import SchoolCalendar, add_working_days, federal_holiday_name
from schoolyear.models import AcademicYear, DayOff, MovedDay, WeekLength
from schoolyear.services import latest_entry_day

D = dt.date
MON = 1


def calendar(starts: dt.date = D(2026, 9, 1), ends: dt.date = D(2027, 5, 25), *, week: dict[int, int] | None = None,
             days_off: Sequence[tuple[dt.date, dt.date, list[int]]] = (),
             moved: Sequence[tuple[dt.date, dt.date]] = ()) -> SchoolCalendar:
    """A calendar built in memory, as for_year builds it from the rows."""
    cal = SchoolCalendar(year=AcademicYear(name="test", starts_on=starts, ends_on=ends), week_days=dict(week or {}))
    for start, end, grades in days_off:
        cal.days_off.append((start, end, frozenset(grades), "Каникулы"))
    for works_on, replaces in moved:
        cal.moved_in[works_on] = replaces
        cal.moved_out[replaces] = works_on
    return cal


def test_federal_holiday_is_no_school_day_in_any_week() -> None:
    """R-Y01: 4 November 2026 (Wednesday, Unity Day) has no lessons in a 5- or a 6-day week."""
    cal = calendar(week={5: 5, 6: 6})
    for grade in (5, 6, None):
        assert not cal.is_school_day(D(2026, 11, 4), grade)
    assert "единства" in cal.info(D(2026, 11, 4), 5).reason
    assert cal.is_school_day(D(2026, 11, 5), 5)


def test_working_saturday_2025_11_01() -> None:
    """R-Y01: 1 November 2025 is a working Saturday by decree (Monday 3 November is the day off in
    exchange): a 5-day class studies on it by Monday's timetable; a 6-day class has its own Saturday;
    nobody studies on 3 November."""
    cal = calendar(D(2025, 9, 1), D(2026, 5, 25), week={5: 5, 7: 6})
    assert cal.is_school_day(D(2025, 11, 1), 5)
    assert cal.timetable_weekday(D(2025, 11, 1), 5) == MON
    assert cal.is_school_day(D(2025, 11, 1), 7)
    assert cal.timetable_weekday(D(2025, 11, 1), 7) == 6
    assert not cal.is_school_day(D(2025, 11, 3), 5)
    assert not cal.is_school_day(D(2025, 11, 3), 7)
    # An ordinary Saturday: only the 6-day week studies.
    assert not cal.is_school_day(D(2025, 11, 8), 5)
    assert cal.is_school_day(D(2025, 11, 8), 7)


def test_moved_federal_day_off_2026_01_09() -> None:
    """R-Y01: 9 January 2026 (Friday) is a federal day off (moved from 3 January): no lessons even
    outside any school vacation."""
    cal = calendar(D(2025, 9, 1), D(2026, 5, 25), week={8: 6})
    assert federal_holiday_name(D(2026, 1, 9))
    assert not cal.is_school_day(D(2026, 1, 9), 5)
    assert not cal.is_school_day(D(2026, 1, 9), 8)
    assert cal.is_school_day(D(2026, 1, 10), 8)  # the Saturday after: an ordinary one for the 6-day week
    assert cal.is_school_day(D(2026, 1, 12), 5)


def test_vacation_for_one_grade_only() -> None:
    """R-Y01: the extra February vacation of first grade stops lessons for grade 1 only; the school
    as a whole still works; a whole-school vacation stops everybody."""
    cal = calendar(days_off=[(D(2027, 2, 15), D(2027, 2, 21), [1]), (D(2026, 10, 26), D(2026, 11, 3), [])])
    assert not cal.is_school_day(D(2027, 2, 16), 1)
    assert cal.is_school_day(D(2027, 2, 16), 2)
    assert cal.is_school_day(D(2027, 2, 16), None)
    assert cal.info(D(2027, 2, 16), 1).reason == "Каникулы"
    for grade in (1, 5, None):
        assert not cal.is_school_day(D(2026, 10, 28), grade)


def test_five_and_six_day_weeks() -> None:
    """R-Y01: a Saturday is a school day for a 6-day parallel only; a parallel without a setting has 5 days;
    the school as a whole works on Saturday when any parallel does."""
    cal = calendar(week={1: 5, 10: 6})
    saturday = D(2026, 9, 5)
    assert not cal.is_school_day(saturday, 1)
    assert not cal.is_school_day(saturday, 3)
    assert cal.is_school_day(saturday, 10)
    assert cal.is_school_day(saturday, None)
    assert not cal.is_school_day(D(2026, 9, 6), 10)  # Sunday
    week = (D(2026, 9, 7), D(2026, 9, 13))
    assert cal.count_school_days(*week, grade=1) == 5
    assert cal.count_school_days(*week, grade=10) == 6


def test_moved_school_day() -> None:
    """R-Y01: a Saturday works as Monday 12 October (its lessons move there): Saturday has Monday's
    timetable for every parallel, Monday has none; a vacation of a parallel still wins."""
    cal = calendar(week={5: 6}, moved=[(D(2026, 10, 10), D(2026, 10, 12))],
                   days_off=[(D(2026, 10, 10), D(2026, 10, 10), [9])])
    assert cal.is_school_day(D(2026, 10, 10), 2)
    assert cal.timetable_weekday(D(2026, 10, 10), 2) == MON
    assert cal.timetable_weekday(D(2026, 10, 10), 5) == MON
    assert not cal.is_school_day(D(2026, 10, 12), 2)
    assert not cal.is_school_day(D(2026, 10, 12), 5)
    assert not cal.is_school_day(D(2026, 10, 10), 9)
    assert "занятия перенесены" in cal.info(D(2026, 10, 12), 2).reason


def test_a_holiday_can_work_as_a_weekday() -> None:
    """R-Y01: a moved day may fall on a federal holiday (the school's decision): lessons by the given day."""
    cal = calendar(moved=[(D(2026, 11, 4), D(2026, 11, 6))])
    assert cal.is_school_day(D(2026, 11, 4), 3)
    assert cal.timetable_weekday(D(2026, 11, 4), 3) == 5
    assert not cal.is_school_day(D(2026, 11, 6), 3)


def test_outside_the_year_no_lessons() -> None:
    """R-Y01: nothing before the first or after the last day of the year."""
    cal = calendar()
    assert not cal.is_school_day(D(2026, 8, 31), 5)
    assert not cal.is_school_day(D(2027, 5, 26), 5)
    assert list(cal.school_days(D(2026, 8, 25), D(2026, 9, 2), 5)) == [D(2026, 9, 1), D(2026, 9, 2)]


def test_federal_office_deadlines_and_moved_day_notice() -> None:
    """R-Y01, 004 §VII: a move onto a day is entered no later than 3 working days before it, counted
    with add_working_days (federal calendar): for Saturday 28.11.2026 the last day is Tuesday 24.11,
    for Saturday 07.11.2026 (4 November is a holiday) Monday 02.11."""
    assert add_working_days(D(2026, 11, 24), 3) == D(2026, 11, 27)
    assert latest_entry_day(D(2026, 11, 28)) == D(2026, 11, 24)
    assert latest_entry_day(D(2026, 11, 7)) == D(2026, 11, 2)
    assert add_working_days(latest_entry_day(D(2026, 11, 7)), 3) <= D(2026, 11, 7)
    assert add_working_days(latest_entry_day(D(2026, 11, 7)) + dt.timedelta(days=1), 3) > D(2026, 11, 7)


@pytest.mark.django_db
def test_for_year_reads_the_rows_in_three_queries(school_a: Any, django_assert_num_queries: Any) -> None:
    """R-Y01: the calendar built from the year's rows answers any number of dates after three queries."""
    from tenants.db import use_school

    use_school(school_a)
    year = AcademicYear.objects.create(name="2026/2027", starts_on=D(2026, 9, 1), ends_on=D(2027, 5, 25))
    DayOff.objects.create(year=year, name="Доп. каникулы", starts_on=D(2027, 2, 15), ends_on=D(2027, 2, 21), grades=[1])
    MovedDay.objects.create(year=year, works_on=D(2026, 10, 10), replaces=D(2026, 10, 12))
    WeekLength.objects.create(year=year, grade=10, days=6)
    with django_assert_num_queries(3):
        cal = SchoolCalendar.for_year(year)
        days = list(cal.school_days(year.starts_on, year.ends_on, 10))
    assert D(2026, 10, 10) in days and D(2026, 10, 12) not in days
    assert cal.is_school_day(D(2027, 2, 16), 10) and not cal.is_school_day(D(2027, 2, 16), 1)
    assert SchoolCalendar.for_date(D(2026, 12, 1)) is not None
    assert SchoolCalendar.for_date(D(2026, 7, 1)) is None
