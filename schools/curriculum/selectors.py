"""Reads about subjects, the curriculum (учебный план) and the teaching load, shared by the
pages, the API, the timetable and the journal. Every function costs a fixed number of
queries whatever the number of classes, lines or teachers."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q, QuerySet

from roster.models import SchoolClass, Subgroup

from .models import CurriculumLine, CurriculumPart, EducationalArea, Subject, TeachingAssignment

if TYPE_CHECKING:
    from schoolyear.models import AcademicYear

ZERO = Decimal(0)
# Maximum weekly classroom load (mandatory + elective part) by grade for a 5- and a
# 6-day week: СанПиН 1.2.3685-21, table 6.6. Shown as a warning, never enforced.
SANPIN_MAX_LOAD: dict[int, dict[int, int]] = {
    5: {1: 21, 2: 23, 3: 23, 4: 23, 5: 29, 6: 30, 7: 32, 8: 33, 9: 33, 10: 34, 11: 34},
    6: {1: 21, 2: 26, 3: 26, 4: 26, 5: 32, 6: 33, 7: 35, 8: 36, 9: 36, 10: 37, 11: 37},
}


# --- subjects ------------------------------------------------------------------------------

def areas() -> QuerySet[EducationalArea]:
    return EducationalArea.objects.annotate(subject_count=Count("subjects")).order_by("name")


def subjects() -> QuerySet[Subject]:
    return Subject.objects.select_related("area").order_by("name")


# --- the curriculum ------------------------------------------------------------------------

@dataclass
class Totals:
    """Hours per week of one class by part of the curriculum."""

    grade: int
    week_days: int = 5
    by_part: dict[str, Decimal] = field(default_factory=lambda: {p: ZERO for p in CurriculumPart.values})

    @property
    def mandatory(self) -> Decimal:
        return self.by_part[CurriculumPart.MANDATORY]

    @property
    def elective(self) -> Decimal:
        return self.by_part[CurriculumPart.ELECTIVE]

    @property
    def extracurricular(self) -> Decimal:
        return self.by_part[CurriculumPart.EXTRACURRICULAR]

    @property
    def classroom(self) -> Decimal:
        """Lessons of the timetable: mandatory + elective part."""
        return self.mandatory + self.elective

    @property
    def total(self) -> Decimal:
        return self.classroom + self.extracurricular

    @property
    def max_allowed(self) -> int:
        return SANPIN_MAX_LOAD.get(self.week_days, SANPIN_MAX_LOAD[5])[self.grade]

    @property
    def over_limit(self) -> bool:
        return self.classroom > self.max_allowed

    def add(self, part: str, hours: Decimal) -> None:
        self.by_part[part] = self.by_part.get(part, ZERO) + hours


@dataclass
class ClassPlan:
    school_class: SchoolClass
    lines: list[CurriculumLine]
    totals: Totals


def week_days_of(year: AcademicYear | int) -> dict[int, int]:
    """grade -> 5 or 6 school days a week (5 when the school has not said)."""
    from schoolyear.models import WeekLength

    return dict(WeekLength.objects.filter(year=year).values_list("grade", "days"))


def _plans(classes: list[SchoolClass], lines: Iterable[CurriculumLine], week_days: dict[int, int]) -> list[ClassPlan]:
    plans = {c.pk: ClassPlan(c, [], Totals(grade=c.grade, week_days=week_days.get(c.grade, 5))) for c in classes}
    for line in lines:
        plan = plans.get(line.school_class_id)
        if plan is not None:
            plan.lines.append(line)
            plan.totals.add(line.part, line.hours_per_week)
    for plan in plans.values():
        plan.lines.sort(key=lambda ln: (list(CurriculumPart.values).index(ln.part), ln.subject.name))
    return list(plans.values())


def lines() -> QuerySet[CurriculumLine]:
    return CurriculumLine.objects.select_related("subject", "subject__area", "school_class")


def class_plan(school_class: SchoolClass) -> ClassPlan:
    """One class's curriculum with its totals by part (two queries)."""
    return _plans([school_class], lines().filter(school_class=school_class), week_days_of(school_class.year_id))[0]


def classes_overview(year: AcademicYear | None) -> list[ClassPlan]:
    """Every class of the year with its totals (three queries)."""
    if year is None:
        return []
    classes = list(SchoolClass.objects.filter(year=year).select_related("class_teacher").order_by("grade", "letter"))
    return _plans(classes, lines().filter(school_class__year=year), week_days_of(year))


@dataclass
class ParallelRow:
    subject: Subject
    part: str
    hours: list[Decimal | None]  # one per class of the parallel, in order

    @property
    def part_label(self) -> str:
        return str(CurriculumPart(self.part).label)

    @property
    def uniform(self) -> bool:
        return len(set(self.hours)) == 1


@dataclass
class ParallelPlan:
    grade: int
    classes: list[SchoolClass]
    rows: list[ParallelRow]
    plans: list[ClassPlan]


def parallel_plan(year: AcademicYear, grade: int) -> ParallelPlan:
    """Subjects × classes of one parallel, with each class's totals (three queries)."""
    classes = list(SchoolClass.objects.filter(year=year, grade=grade).select_related("class_teacher").order_by("letter"))
    plans = _plans(classes, lines().filter(school_class__in=classes), week_days_of(year))
    index = {c.pk: i for i, c in enumerate(classes)}
    rows: dict[tuple[int, str], ParallelRow] = {}
    for plan in plans:
        for line in plan.lines:
            row = rows.setdefault((line.subject_id, line.part), ParallelRow(line.subject, line.part, [None] * len(classes)))
            row.hours[index[line.school_class_id]] = line.hours_per_week
    order = list(CurriculumPart.values)
    return ParallelPlan(grade, classes, sorted(rows.values(), key=lambda r: (order.index(r.part), r.subject.name)), plans)


def planned_hours(school_class_id: int, subject_id: int) -> Decimal:
    """The class's weekly hours of a subject over every part of its curriculum."""
    return sum((h for h in CurriculumLine.objects.filter(school_class_id=school_class_id, subject_id=subject_id)
                .values_list("hours_per_week", flat=True)), ZERO)


# --- coverage: hours of a subject spread over a class or its subgroups -------------------------

@dataclass
class CoverageRow:
    """How much of a class's subject is covered (by teachers, or by timetable lessons); a
    subject taught in subgroups is covered per subgroup (each needs its own hours)."""

    school_class: SchoolClass
    subject: Subject
    subgroup: Subgroup | None
    planned: Decimal
    covered: Decimal
    lesson_part: bool = True  # False when the subject is only extracurricular in this class

    @property
    def missing(self) -> Decimal:
        return max(self.planned - self.covered, ZERO)

    @property
    def surplus(self) -> Decimal:
        return max(self.covered - self.planned, ZERO)


def coverage(planned: dict[tuple[int, int], Decimal], given: Iterable[tuple[int, int, int | None, Decimal]],
             classes: dict[int, SchoolClass], subjects_by_id: dict[int, Subject],
             subgroups: dict[int, list[Subgroup]]) -> list[CoverageRow]:
    """`planned`: (class, subject) -> hours; `given`: (class, subject, subgroup or None, hours).
    Whole-class hours count for every subgroup. When any hours go to a subgroup, the subject
    is split: every subgroup of that kind in the class needs its own cover."""
    whole: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
    split: dict[tuple[int, int], dict[int, Decimal]] = defaultdict(dict)
    for class_id, subject_id, subgroup_id, hours in given:
        if subgroup_id is None:
            whole[(class_id, subject_id)] += hours
        else:
            groups = split[(class_id, subject_id)]
            groups[subgroup_id] = groups.get(subgroup_id, ZERO) + hours
    rows: list[CoverageRow] = []
    for key in set(planned) | set(whole) | set(split):
        class_id, subject_id = key
        school_class, subject = classes.get(class_id), subjects_by_id.get(subject_id)
        if school_class is None or subject is None:
            continue
        hours = planned.get(key, ZERO)
        groups = split.get(key, {})
        if not groups:
            rows.append(CoverageRow(school_class, subject, None, hours, whole.get(key, ZERO)))
            continue
        own = subgroups.get(class_id, [])
        kinds = {g.kind for g in own if g.pk in groups}
        for g in own:
            if g.pk in groups or g.kind in kinds:
                rows.append(CoverageRow(school_class, subject, g, hours, whole.get(key, ZERO) + groups.get(g.pk, ZERO)))
    rows.sort(key=lambda r: (r.school_class.grade, r.school_class.letter, r.subject.name, r.subgroup.name if r.subgroup else ""))
    return rows


@dataclass
class YearData:
    """The year's classes, curriculum, subgroups and subjects, loaded once (four queries)."""

    classes: dict[int, SchoolClass]
    lines: list[CurriculumLine]
    subgroups: dict[int, list[Subgroup]]
    subjects: dict[int, Subject]

    @classmethod
    def load(cls, year: AcademicYear) -> YearData:
        classes = {c.pk: c for c in SchoolClass.objects.filter(year=year).order_by("grade", "letter")}
        year_lines = list(CurriculumLine.objects.filter(school_class__year=year).select_related("subject"))
        subgroups: dict[int, list[Subgroup]] = defaultdict(list)
        for g in Subgroup.objects.filter(school_class__year=year).order_by("kind", "name"):
            subgroups[g.school_class_id].append(g)
        return cls(classes, year_lines, dict(subgroups), {ln.subject_id: ln.subject for ln in year_lines})

    def planned(self, *, lessons_only: bool = False) -> dict[tuple[int, int], Decimal]:
        result: dict[tuple[int, int], Decimal] = defaultdict(Decimal)
        for ln in self.lines:
            if not lessons_only or ln.part != CurriculumPart.EXTRACURRICULAR:
                result[(ln.school_class_id, ln.subject_id)] += ln.hours_per_week
        return dict(result)


# --- the teaching load ----------------------------------------------------------------------

def assignments() -> QuerySet[TeachingAssignment]:
    return TeachingAssignment.objects.select_related("teacher", "subject", "school_class", "subgroup").order_by(
        "school_class__grade", "school_class__letter", "subject__name", "subgroup__name", "teacher__surname")


@dataclass
class TeacherLoad:
    teacher: Any
    items: list[TeachingAssignment] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((a.hours_per_week for a in self.items), ZERO)

    @property
    def rates(self) -> Decimal:
        """In teacher's rates (ставка = 18 hours a week)."""
        return (self.total / 18).quantize(Decimal("0.01"))


@dataclass
class LoadCheck:
    unassigned: list[CoverageRow]  # curriculum hours without a teacher
    surplus: list[CoverageRow]  # assigned beyond the curriculum (or a subject not in it)
    teachers: list[TeacherLoad]

    @property
    def unassigned_hours(self) -> Decimal:
        return sum((r.missing for r in self.unassigned), ZERO)


def load_check(year: AcademicYear | None, *, teacher_id: int | None = None) -> LoadCheck:
    """The "hours without a teacher" check (R-Y03; 004 §VI) and every teacher's total load
    (five queries)."""
    if year is None:
        return LoadCheck([], [], [])
    data = YearData.load(year)
    items = list(assignments().filter(school_class__year=year))
    for a in items:
        data.subjects.setdefault(a.subject_id, a.subject)
    rows = coverage(data.planned(), ((a.school_class_id, a.subject_id, a.subgroup_id, a.hours_per_week) for a in items),
                    data.classes, data.subjects, data.subgroups)
    loads: dict[int, TeacherLoad] = {}
    for a in items:
        if teacher_id is None or a.teacher_id == teacher_id:
            loads.setdefault(a.teacher_id, TeacherLoad(a.teacher)).items.append(a)
    teachers = sorted(loads.values(), key=lambda t: (t.teacher.surname, t.teacher.name, t.teacher.pk))
    return LoadCheck([r for r in rows if r.missing > 0], [r for r in rows if r.surplus > 0], teachers)


def teacher_class_ids(person_id: int, year: AcademicYear | int | None = None) -> set[int]:
    """Classes a person teaches (a teaching assignment) or leads as class teacher."""
    qs = SchoolClass.objects.filter(Q(assignments__teacher_id=person_id) | Q(class_teacher_id=person_id))
    if year is not None:
        qs = qs.filter(year=year)
    return set(qs.values_list("pk", flat=True).distinct())


def teaches(person_id: int, school_class_id: int, subject_id: int, subgroup_id: int | None = None) -> bool:
    """Whether the person is assigned to the class and subject (for a subgroup: to that
    subgroup or to the whole class)."""
    qs = TeachingAssignment.objects.filter(teacher_id=person_id, school_class_id=school_class_id, subject_id=subject_id)
    qs = qs.filter(subgroup__isnull=True) if subgroup_id is None else qs.filter(Q(subgroup_id=subgroup_id) | Q(subgroup__isnull=True))
    return qs.exists()


def staff_people(school: Any) -> list[Any]:
    """The school's current staff (each person once), by surname: the teachers to choose from."""
    from accounts.selectors import staff_of_school

    people: dict[int, Any] = {}
    for m in staff_of_school(school):
        people.setdefault(m.person_id, m.person)
    return sorted(people.values(), key=lambda p: (p.surname, p.name, p.patronymic, p.pk))
