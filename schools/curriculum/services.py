"""Writes about subjects, the curriculum (учебный план) and the teaching load (R-Y03;
004 §VI: the deputy director forms the curriculum, subjects and subgroups).

Every function takes the acting person first, checks Perm.MANAGE_CURRICULUM, validates
(raising one ValidationFailed with every field's problem), writes in one transaction and
appends an audit record. A closed year's curriculum and load are read-only."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import ProtectedError, Q

from accounts.roles import Perm
from accounts.selectors import access_for
from accounts.services import ensure_writable
from audit.services import record, snapshot
from core.errors import Conflict, PermissionDenied
from roster.models import SchoolClass, Subgroup
from schoolyear.guards import ensure_year_open

from .models import CurriculumLine, CurriculumPart, EducationalArea, Subject, TeachingAssignment
from .selectors import ZERO, YearData, coverage
from .validation import FieldErrors, audited_delete, clean_hours, fmt_hours, is_staff_of

if TYPE_CHECKING:
    from accounts.models import Person
    from schoolyear.models import AcademicYear
    from tenants.models import School

SUBJECT_AUDITED = ["name", "short_name", "area", "is_extracurricular"]
LINE_AUDITED = ["school_class", "subject", "part", "hours_per_week"]
ASSIGNMENT_AUDITED = ["teacher", "subject", "school_class", "subgroup", "hours_per_week"]


def _authorise(actor: Person, school: School) -> None:
    if not access_for(actor).can(Perm.MANAGE_CURRICULUM, school):
        raise PermissionDenied("Учебный план и нагрузку ведут заместитель директора и администрация школы.")
    ensure_writable(school)


# --- educational areas ---------------------------------------------------------------------------

def _clean_name(value: str, errors: FieldErrors, *, taken: bool, what: str, max_length: int = 120) -> str:
    name = " ".join((value or "").split())
    if not name:
        errors.add("name", "Укажите название.")
    elif len(name) > max_length:
        errors.add("name", f"Не длиннее {max_length} символов.")
    elif taken:
        errors.add("name", f"{what} «{name}» уже есть.")
    return name


def create_area(actor: Person, school: School, name: str) -> EducationalArea:
    _authorise(actor, school)
    errors = FieldErrors()
    clean = " ".join((name or "").split())
    _clean_name(clean, errors, taken=EducationalArea.objects.filter(name__iexact=clean).exists(), what="Образовательная область")
    errors.raise_if_any()
    with transaction.atomic():
        area = EducationalArea.objects.create(name=clean)
        record(actor=actor, action="curriculum.area.create", school=school, obj=area, after={"name": area.name})
    return area


def rename_area(actor: Person, school: School, area: EducationalArea, name: str) -> EducationalArea:
    _authorise(actor, school)
    errors = FieldErrors()
    clean = " ".join((name or "").split())
    _clean_name(clean, errors, taken=EducationalArea.objects.filter(name__iexact=clean).exclude(pk=area.pk).exists(),
                what="Образовательная область")
    errors.raise_if_any()
    with transaction.atomic():
        before = {"name": area.name}
        area.name = clean
        area.save(update_fields=["name"])
        record(actor=actor, action="curriculum.area.update", school=school, obj=area, before=before, after={"name": area.name})
    return area


def delete_area(actor: Person, school: School, area: EducationalArea) -> None:
    _authorise(actor, school)
    if area.subjects.exists():
        raise Conflict(f"В области «{area.name}» есть предметы: сначала перенесите их в другую область.")
    with transaction.atomic():
        record(actor=actor, action="curriculum.area.delete", school=school, obj=area, before={"name": area.name})
        area.delete()


# --- subjects ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SubjectData:
    name: str
    short_name: str = ""
    area: EducationalArea | None = None
    is_extracurricular: bool = False


def _clean_subject(data: SubjectData, exclude_id: int | None = None) -> SubjectData:
    errors = FieldErrors()
    name = " ".join((data.name or "").split())
    short = " ".join((data.short_name or "").split())
    others = Subject.objects.exclude(pk=exclude_id) if exclude_id else Subject.objects.all()
    _clean_name(name, errors, taken=bool(name) and others.filter(name__iexact=name).exists(), what="Предмет")
    if len(short) > 30:
        errors.add("short_name", "Краткое название — не длиннее 30 символов.")
    elif short and others.filter(Q(short_name__iexact=short) | Q(name__iexact=short)).exists():
        errors.add("short_name", f"Краткое название «{short}» уже занято другим предметом.")
    errors.raise_if_any()
    return SubjectData(name=name, short_name=short, area=data.area, is_extracurricular=data.is_extracurricular)


def create_subject(actor: Person, school: School, data: SubjectData) -> Subject:
    _authorise(actor, school)
    clean = _clean_subject(data)
    with transaction.atomic():
        subject = Subject.objects.create(name=clean.name, short_name=clean.short_name, area=clean.area,
                                         is_extracurricular=clean.is_extracurricular)
        record(actor=actor, action="curriculum.subject.create", school=school, obj=subject, after=snapshot(subject, SUBJECT_AUDITED))
    return subject


def update_subject(actor: Person, school: School, subject: Subject, data: SubjectData) -> Subject:
    _authorise(actor, school)
    clean = _clean_subject(data, exclude_id=subject.pk)
    with transaction.atomic():
        before = snapshot(subject, SUBJECT_AUDITED)
        subject.name, subject.short_name, subject.area = clean.name, clean.short_name, clean.area
        subject.is_extracurricular = clean.is_extracurricular
        subject.save()
        record(actor=actor, action="curriculum.subject.update", school=school, obj=subject, before=before,
               after=snapshot(subject, SUBJECT_AUDITED))
    return subject


def delete_subject(actor: Person, school: School, subject: Subject) -> None:
    """Only a subject nothing refers to (curriculum, load, timetable, journal) may go."""
    _authorise(actor, school)
    try:
        audited_delete(actor, school, subject, "curriculum.subject.delete", SUBJECT_AUDITED)
    except ProtectedError as exc:
        raise Conflict(f"Предмет «{subject.name}» уже есть в учебном плане, нагрузке, расписании или журнале: удалить нельзя.") from exc


# --- the curriculum ------------------------------------------------------------------------------

def _check_part(part: str, subject: Subject, errors: FieldErrors) -> None:
    if part not in CurriculumPart.values:
        errors.add("part", "Часть учебного плана: обязательная, формируемая участниками или внеурочная деятельность.")
    elif subject.is_extracurricular and part != CurriculumPart.EXTRACURRICULAR:
        errors.add("part", f"«{subject.name}» — курс внеурочной деятельности: его часы идут во внеурочную часть.")


def set_line(actor: Person, school: School, school_class: SchoolClass, subject: Subject, *,
             hours: Decimal | str | float, part: str = CurriculumPart.MANDATORY) -> CurriculumLine:
    """Sets the weekly hours of a subject in a class for one part of its curriculum
    (creates the line or changes its hours)."""
    _authorise(actor, school)
    ensure_year_open(school_class.year_id)
    errors = FieldErrors()
    clean = clean_hours(hours, errors)
    _check_part(part, subject, errors)
    errors.raise_if_any()
    assert clean is not None
    with transaction.atomic():
        line = CurriculumLine.objects.select_for_update().filter(school_class=school_class, subject=subject, part=part).first()
        before = snapshot(line, LINE_AUDITED) if line else None
        if line is None:
            line = CurriculumLine.objects.create(school_class=school_class, subject=subject, part=part, hours_per_week=clean)
        else:
            line.hours_per_week = clean
            line.save(update_fields=["hours_per_week"])
        record(actor=actor, action="curriculum.line.set", school=school, obj=line, before=before, after=snapshot(line, LINE_AUDITED))
    return line


def update_line(actor: Person, school: School, line: CurriculumLine, *, hours: Decimal | str | float,
                part: str | None = None) -> CurriculumLine:
    _authorise(actor, school)
    ensure_year_open(line.school_class.year_id)
    errors = FieldErrors()
    clean = clean_hours(hours, errors)
    new_part = part or line.part
    _check_part(new_part, line.subject, errors)
    if new_part != line.part and CurriculumLine.objects.filter(school_class_id=line.school_class_id, subject_id=line.subject_id,
                                                               part=new_part).exists():
        errors.add("part", "В этой части учебного плана у класса уже есть строка этого предмета.")
    errors.raise_if_any()
    assert clean is not None
    with transaction.atomic():
        before = snapshot(line, LINE_AUDITED)
        line.hours_per_week, line.part = clean, new_part
        line.save(update_fields=["hours_per_week", "part"])
        record(actor=actor, action="curriculum.line.update", school=school, obj=line, before=before, after=snapshot(line, LINE_AUDITED))
    return line


def delete_line(actor: Person, school: School, line: CurriculumLine) -> None:
    _authorise(actor, school)
    ensure_year_open(line.school_class.year_id)
    audited_delete(actor, school, line, "curriculum.line.delete", LINE_AUDITED)


@dataclass(frozen=True)
class PlanItem:
    """One line of a plan applied to a whole parallel."""

    subject: Subject
    hours: Decimal | str | float
    part: str = CurriculumPart.MANDATORY


def apply_to_parallel(actor: Person, school: School, year: AcademicYear, grade: int, items: Iterable[PlanItem], *,
                      replace: bool = False) -> list[SchoolClass]:
    """Gives every class of the parallel the same lines (bulk entry of the curriculum).
    With `replace`, lines of those classes that the plan does not name are removed.
    Returns the classes changed; all of them or none."""
    _authorise(actor, school)
    ensure_year_open(year)
    classes = list(SchoolClass.objects.filter(year=year, grade=grade).order_by("letter"))
    errors = FieldErrors()
    if not classes:
        errors.add("grade", f"В {grade} параллели нет классов в учебном году {year}.")
    plan: dict[tuple[int, str], tuple[Subject, Decimal]] = {}
    for i, item in enumerate(items):
        sub = FieldErrors()
        hours = clean_hours(item.hours, sub)
        _check_part(item.part, item.subject, sub)
        if (item.subject.pk, item.part) in plan:
            sub.add("lines", f"«{item.subject.name}» указан дважды в одной части плана.")
        for messages in sub.fields.values():
            for message in messages:
                errors.add("lines", f"Строка {i + 1} ({item.subject.name}): {message}")
        if hours is not None and not sub:
            plan[(item.subject.pk, item.part)] = (item.subject, hours)
    if not plan and not errors:
        errors.add("lines", "План пуст: добавьте хотя бы один предмет.")
    errors.raise_if_any()
    with transaction.atomic():
        existing = {(ln.school_class_id, ln.subject_id, ln.part): ln
                    for ln in CurriculumLine.objects.select_for_update().filter(school_class__in=classes)}
        names = {c.pk: str(c) for c in classes}
        before: dict[str, list[str]] = {name: [] for name in names.values()}
        for ln in existing.values():
            before[names[ln.school_class_id]].append(f"{ln.subject_id}:{ln.part}:{fmt_hours(ln.hours_per_week)}")
        creates, updates = [], []
        for c in classes:
            for (subject_id, part), (subject, hours) in plan.items():
                line = existing.pop((c.pk, subject_id, part), None)
                if line is None:
                    creates.append(CurriculumLine(school_class=c, subject=subject, part=part, hours_per_week=hours))
                elif line.hours_per_week != hours:
                    line.hours_per_week = hours
                    updates.append(line)
        CurriculumLine.objects.bulk_create(creates)
        CurriculumLine.objects.bulk_update(updates, ["hours_per_week"])
        removed = 0
        if replace and existing:
            removed, _ = CurriculumLine.objects.filter(pk__in=[ln.pk for ln in existing.values()]).delete()
        record(actor=actor, action="curriculum.parallel.apply", school=school, object_type="curriculum.parallel",
               object_id=f"{year.pk}:{grade}", object_repr=f"{grade} параллель, {year}", before=before,
               after={"classes": [str(c) for c in classes], "replace": replace, "created": len(creates), "updated": len(updates),
                      "removed": removed,
                      "plan": [f"{s.name}:{part}:{fmt_hours(h)}" for (_, part), (s, h) in plan.items()]})
    return classes


# --- the teaching load ---------------------------------------------------------------------------

@dataclass(frozen=True)
class AssignmentData:
    teacher: Person
    subject: Subject
    school_class: SchoolClass
    hours: Decimal | str | float
    subgroup: Subgroup | None = None


def _check_assignment(school: School, data: AssignmentData, hours: Decimal | None, errors: FieldErrors,
                      exclude_id: int | None = None) -> None:
    if not is_staff_of(data.teacher.pk, school):
        errors.add("teacher", f"{data.teacher.short_name} не работает в этой школе (нет текущей роли сотрудника).")
    if data.subgroup is not None and data.subgroup.school_class_id != data.school_class.pk:
        errors.add("subgroup", f"Подгруппа «{data.subgroup.name}» не из класса {data.school_class}.")
    if errors or hours is None:
        return
    # The load may not exceed the curriculum: each subgroup (or the whole class) gets at
    # most the class's hours of the subject.
    year = data.school_class.year
    yd = YearData.load(year)
    planned = yd.planned()
    key = (data.school_class.pk, data.subject.pk)
    if key not in planned:
        errors.add("subject", f"«{data.subject.name}» нет в учебном плане {data.school_class}: сначала внесите часы в учебный план.")
        return
    others = TeachingAssignment.objects.filter(school_class=data.school_class, subject=data.subject)
    if exclude_id:
        others = others.exclude(pk=exclude_id)
    given = [(data.school_class.pk, data.subject.pk, a.subgroup_id, a.hours_per_week) for a in others]
    given.append((data.school_class.pk, data.subject.pk, data.subgroup.pk if data.subgroup else None, hours))
    yd.subjects.setdefault(data.subject.pk, data.subject)
    for row in coverage({key: planned[key]}, given, yd.classes, yd.subjects, yd.subgroups):
        if row.surplus > 0:
            where = f"подгруппе «{row.subgroup.name}»" if row.subgroup else f"классу {data.school_class}"
            errors.add("hours_per_week", f"Нагрузка по «{data.subject.name}» {where} превысит учебный план: "
                                         f"{fmt_hours(row.covered)} ч при {fmt_hours(row.planned)} ч по плану.")
            break


def assign_teacher(actor: Person, school: School, data: AssignmentData) -> TeachingAssignment:
    """Gives a teacher a subject in a class or subgroup (creates the assignment or changes
    its hours). The teacher is a current staff member of this school; the subgroup belongs
    to the class; the subject is in the class's curriculum and not over-assigned."""
    _authorise(actor, school)
    ensure_year_open(data.school_class.year_id)
    errors = FieldErrors()
    hours = clean_hours(data.hours, errors)
    existing = TeachingAssignment.objects.filter(teacher=data.teacher, subject=data.subject, school_class=data.school_class,
                                                 subgroup=data.subgroup).first()
    _check_assignment(school, data, hours, errors, exclude_id=existing.pk if existing else None)
    errors.raise_if_any()
    assert hours is not None
    with transaction.atomic():
        before = snapshot(existing, ASSIGNMENT_AUDITED) if existing else None
        if existing is None:
            assignment = TeachingAssignment.objects.create(teacher=data.teacher, subject=data.subject, school_class=data.school_class,
                                                           subgroup=data.subgroup, hours_per_week=hours)
        else:
            assignment = existing
            assignment.hours_per_week = hours
            assignment.save(update_fields=["hours_per_week"])
        record(actor=actor, action="curriculum.assignment.set", school=school, obj=assignment, before=before,
               after=snapshot(assignment, ASSIGNMENT_AUDITED))
    return assignment


def update_assignment(actor: Person, school: School, assignment: TeachingAssignment, *,
                      hours: Decimal | str | float | None = None, teacher: Person | None = None) -> TeachingAssignment:
    """Changes the hours or hands the class over to another teacher."""
    _authorise(actor, school)
    ensure_year_open(assignment.school_class.year_id)
    errors = FieldErrors()
    new_hours = clean_hours(hours if hours is not None else assignment.hours_per_week, errors)
    data = AssignmentData(teacher=teacher or assignment.teacher, subject=assignment.subject, school_class=assignment.school_class,
                          hours=new_hours or ZERO, subgroup=assignment.subgroup)
    if teacher is not None and teacher.pk != assignment.teacher_id and TeachingAssignment.objects.filter(
            teacher=teacher, subject=assignment.subject, school_class=assignment.school_class, subgroup=assignment.subgroup).exists():
        errors.add("teacher", f"У {teacher.short_name} уже есть этот предмет в этом классе.")
    _check_assignment(school, data, new_hours, errors, exclude_id=assignment.pk)
    errors.raise_if_any()
    assert new_hours is not None
    with transaction.atomic():
        before = snapshot(assignment, ASSIGNMENT_AUDITED)
        assignment.teacher, assignment.hours_per_week = data.teacher, new_hours
        assignment.save(update_fields=["teacher", "hours_per_week"])
        record(actor=actor, action="curriculum.assignment.update", school=school, obj=assignment, before=before,
               after=snapshot(assignment, ASSIGNMENT_AUDITED))
    return assignment


def delete_assignment(actor: Person, school: School, assignment: TeachingAssignment) -> None:
    _authorise(actor, school)
    ensure_year_open(assignment.school_class.year_id)
    audited_delete(actor, school, assignment, "curriculum.assignment.delete", ASSIGNMENT_AUDITED)


__all__ = [
    "AssignmentData", "PlanItem", "SubjectData", "apply_to_parallel", "assign_teacher", "create_area", "create_subject",
    "delete_area", "delete_assignment", "delete_line", "delete_subject", "rename_area", "set_line", "update_assignment",
    "update_line", "update_subject",
]
