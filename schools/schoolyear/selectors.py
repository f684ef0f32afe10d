"""Reads about the school's years (inside the current school's schema). Other apps use
`current_year`, `year_for_date`, `period_for` and `periods_for_grade`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Prefetch, QuerySet

from .models import AcademicYear, DayOff, MovedDay, PeriodScheme, StudyPeriod, WeekLength, YearStatus

if TYPE_CHECKING:
    from roster.models import SchoolClass

GRADES = tuple(range(1, 12))
LAST_GRADE = 11


def current_year() -> AcademicYear | None:
    """The open year, or None when the school has not opened one yet."""
    return AcademicYear.objects.filter(status=YearStatus.OPEN).first()


def year_for_date(day: dt.date) -> AcademicYear | None:
    return AcademicYear.objects.filter(starts_on__lte=day, ends_on__gte=day).first()


def years() -> QuerySet[AcademicYear]:
    return AcademicYear.objects.order_by("-starts_on")


def period_for(day: dt.date, grade: int) -> StudyPeriod | None:
    """The study period of `grade` that contains `day` (None in the vacations between
    periods or outside any year). One query."""
    return (StudyPeriod.objects.select_related("scheme", "scheme__year")
            .filter(scheme__grades__contains=[grade], starts_on__lte=day, ends_on__gte=day,
                    scheme__year__starts_on__lte=day, scheme__year__ends_on__gte=day)
            .order_by("number").first())


def periods_for_grade(grade: int, year: AcademicYear | None = None) -> list[StudyPeriod]:
    """The study periods of `grade` in `year` (default: the open year), in order; empty when
    no scheme covers the grade."""
    qs = StudyPeriod.objects.select_related("scheme").filter(scheme__grades__contains=[grade])
    qs = qs.filter(scheme__year=year) if year is not None else qs.filter(scheme__year__status=YearStatus.OPEN)
    return list(qs.order_by("number"))


def scheme_for_grade(year: AcademicYear, grade: int) -> PeriodScheme | None:
    return PeriodScheme.objects.filter(year=year, grades__contains=[grade]).first()


def schemes_of(year: AcademicYear) -> list[PeriodScheme]:
    """The year's schemes with their periods (two queries)."""
    return list(PeriodScheme.objects.filter(year=year).order_by("id")
                .prefetch_related(Prefetch("periods", queryset=StudyPeriod.objects.order_by("number"))))


def week_lengths_of(year: AcademicYear) -> dict[int, int]:
    """Days in the school week per parallel 1–11 (5 when the school set nothing)."""
    stored = dict(WeekLength.objects.filter(year=year).values_list("grade", "days"))
    return {g: stored.get(g, 5) for g in GRADES}


@dataclass
class YearOverview:
    year: AcademicYear
    schemes: list[PeriodScheme]
    days_off: list[DayOff]
    moved_days: list[MovedDay]
    week: dict[int, int]

    @property
    def grades_without_scheme(self) -> list[int]:
        covered = {g for s in self.schemes for g in s.grades}
        return [g for g in GRADES if g not in covered]


def year_overview(year: AcademicYear) -> YearOverview:
    """Everything the year page shows, in five queries whatever the number of rows."""
    return YearOverview(
        year=year, schemes=schemes_of(year),
        days_off=list(DayOff.objects.filter(year=year).order_by("starts_on", "id")),
        moved_days=list(MovedDay.objects.filter(year=year).order_by("works_on")),
        week=week_lengths_of(year),
    )


# --- closing the year: what would happen ------------------------------------------------------

@dataclass
class ClassPlan:
    """One class of the closing year and where its students go."""

    school_class: SchoolClass
    students: list[Any]  # accounts.Person, sorted by name
    repeaters: list[Any]
    target: str  # "6А", or "" for a graduating class
    leavers: list[Any] = field(default_factory=list)  # leaving at the year's end by a leaving order

    @property
    def student_count(self) -> int:
        return len(self.students)

    @property
    def graduating(self) -> bool:
        return self.school_class.grade >= LAST_GRADE

    @property
    def promoted_count(self) -> int:
        return 0 if self.graduating else len(self.students) - len(self.repeaters) - len(self.leavers)

    @property
    def graduate_count(self) -> int:
        return len(self.students) - len(self.repeaters) - len(self.leavers) if self.graduating else 0

    @property
    def repeat_count(self) -> int:
        return len(self.repeaters)

    @property
    def leave_count(self) -> int:
        return len(self.leavers)


@dataclass
class ClosePlan:
    year: AcademicYear
    classes: list[ClassPlan]
    new_classes: list[str]  # names of the classes the close will create, in order
    unknown_repeaters: list[int] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def promoted(self) -> int:
        return sum(c.promoted_count for c in self.classes)

    @property
    def graduates(self) -> int:
        return sum(c.graduate_count for c in self.classes)

    @property
    def repeating(self) -> int:
        return sum(c.repeat_count for c in self.classes)

    @property
    def leaving(self) -> int:
        return sum(c.leave_count for c in self.classes)

    @property
    def students(self) -> int:
        return sum(len(c.students) for c in self.classes)


def open_enrolments_of_year(year: AcademicYear) -> list[Any]:
    """The year's open enrolments (roster.Enrolment) with their class, one query."""
    from roster.models import Enrolment

    return list(Enrolment.objects.filter(school_class__year=year, until__isnull=True)
                .select_related("school_class").order_by("school_class__grade", "school_class__letter", "id"))


def close_plan(year: AcademicYear, repeaters: set[int] | frozenset[int] = frozenset(), today: dt.date | None = None,
               leavers: set[int] | frozenset[int] = frozenset()) -> ClosePlan:
    """What closing `year` would do with these repeaters: per class, how many students are
    promoted, graduate or repeat, and which classes of the next year are created. Four
    queries whatever the number of classes and students."""
    from accounts.models import Person
    from roster.models import SchoolClass

    classes = list(SchoolClass.objects.filter(year=year).select_related("class_teacher").order_by("grade", "letter"))
    enrolments = open_enrolments_of_year(year)
    people = Person.objects.in_bulk({e.student_id for e in enrolments})
    by_class: dict[int, list[Any]] = {}
    for e in enrolments:
        if e.student_id in people:
            by_class.setdefault(e.school_class_id, []).append(people[e.student_id])
    known = {e.student_id for e in enrolments}
    plans: list[ClassPlan] = []
    continued = {(c.grade + 1, c.letter) for c in classes if c.grade < LAST_GRADE}
    repeat_targets: set[tuple[int, str]] = set()
    for c in classes:
        students = sorted(by_class.get(c.pk, []), key=lambda p: (p.surname, p.name, p.patronymic, p.pk))
        stay = [p for p in students if p.pk in repeaters and p.pk not in leavers]
        gone = [p for p in students if p.pk in leavers]
        target = "" if c.grade >= LAST_GRADE else f"{c.grade + 1}{c.letter}"
        plans.append(ClassPlan(school_class=c, students=students, repeaters=stay, target=target, leavers=gone))
        if stay and (c.grade, c.letter) not in continued:
            repeat_targets.add((c.grade, c.letter))
    new_names = [f"{g}{letter}" for g, letter in sorted(continued | repeat_targets)]
    plan = ClosePlan(year=year, classes=plans, new_classes=new_names, unknown_repeaters=sorted((set(repeaters) | set(leavers)) - known))
    day = today or dt.date.today()
    if day < year.ends_on:
        plan.warnings.append(f"Учебный год ещё не окончен (последний день — {year.ends_on:%d.%m.%Y}). "
                             "После закрытия его данные нельзя будет изменить.")
    empty = [c.school_class.name for c in plans if not c.students]
    if empty:
        plan.warnings.append("В классах нет обучающихся: " + ", ".join(empty) + ".")
    no_teacher = [c.school_class.name for c in plans if c.target and c.school_class.class_teacher_id is None]
    if no_teacher:
        plan.warnings.append("Нет классного руководителя (новый класс тоже будет без него): " + ", ".join(no_teacher) + ".")
    return plan
