"""Demo data of this app for `manage.py seed_demo`: the 2026/2027 year of a Russian school."""

from __future__ import annotations

import datetime as dt
from typing import Any

from .models import AcademicYear, DayOff, DayOffKind, PeriodKind, PeriodScheme, StudyPeriod, WeekLength

D = dt.date
QUARTERS = [(D(2026, 9, 1), D(2026, 10, 24)), (D(2026, 11, 3), D(2026, 12, 27)), (D(2027, 1, 11), D(2027, 3, 20)), (D(2027, 3, 30), D(2027, 5, 25))]
HALVES = [(D(2026, 9, 1), D(2026, 12, 27)), (D(2027, 1, 11), D(2027, 5, 25))]
VACATIONS = [
    ("Осенние каникулы", D(2026, 10, 25), D(2026, 11, 2), []),
    ("Зимние каникулы", D(2026, 12, 28), D(2027, 1, 10), []),
    ("Дополнительные каникулы для 1 классов", D(2027, 2, 15), D(2027, 2, 21), [1]),
    ("Весенние каникулы", D(2027, 3, 21), D(2027, 3, 29), []),
]


def seed_school(ctx: dict[str, Any]) -> None:
    year, created = AcademicYear.objects.get_or_create(
        name="2026/2027", defaults={"starts_on": D(2026, 9, 1), "ends_on": D(2027, 5, 25)},
    )
    ctx["year"] = year
    if not created:
        return
    quarters = PeriodScheme.objects.create(year=year, kind=PeriodKind.QUARTER, grades=list(range(1, 10)))
    halves = PeriodScheme.objects.create(year=year, kind=PeriodKind.HALF_YEAR, grades=[10, 11])
    StudyPeriod.objects.bulk_create(
        [StudyPeriod(scheme=quarters, number=i, name=f"{i} четверть", starts_on=s, ends_on=e) for i, (s, e) in enumerate(QUARTERS, 1)]
        + [StudyPeriod(scheme=halves, number=i, name=f"{i} полугодие", starts_on=s, ends_on=e) for i, (s, e) in enumerate(HALVES, 1)]
    )
    DayOff.objects.bulk_create([DayOff(year=year, kind=DayOffKind.VACATION, name=n, starts_on=s, ends_on=e, grades=g) for n, s, e, g in VACATIONS])
    # Primary school works five days a week, the rest six (a common arrangement).
    WeekLength.objects.bulk_create([WeekLength(year=year, grade=g, days=5 if g <= 4 else 6) for g in range(1, 12)])
