"""The school's set-up lists (R-Y03, R-Y04, R-Y07): the curriculum (hours of a subject in a
class or a whole parallel), the teaching load (who teaches what to which class or
subgroup) and the weekly timetable. Rows are written by curriculum.services and
timetable.services, which validate them (a lesson clash included)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils import timezone

from accounts.roles import Perm
from curriculum.models import CurriculumLine, Subject, TeachingAssignment
from curriculum.services import AssignmentData, SubjectData, assign_teacher, create_subject, set_line
from roster.models import SchoolClass, Subgroup
from schoolyear.models import AcademicYear
from timetable.models import TimetableEntry
from timetable.services import EntryData, create_entry, update_entry

from ..models import ImportKind
from ..schemas import Column, Row, norm, option_map
from .base import Kind, Outcome, reported
from .common import class_key, parse_class_name, parse_grade, staff_index

if TYPE_CHECKING:
    from accounts.models import Person
    from tenants.models import School

PART = option_map([
    ("mandatory", ["обязательная", "обязательная часть", "инвариантная", "инвариант", "о"]),
    ("elective", ["формируемая", "часть, формируемая участниками образовательных отношений",
                  "формируемая участниками", "вариативная", "по выбору", "ф"]),
    ("extracurricular", ["внеурочная", "внеурочная деятельность", "в"]),
])
PART_LABEL = "обязательная, формируемая участниками, внеурочная"
PART_TEXT = {"mandatory": "обязательная", "elective": "формируемая участниками", "extracurricular": "внеурочная"}
WEEKDAY = option_map([
    ("1", ["1", "пн", "пон", "понедельник"]), ("2", ["2", "вт", "вторник"]), ("3", ["3", "ср", "среда"]),
    ("4", ["4", "чт", "чет", "четверг"]), ("5", ["5", "пт", "пят", "пятница"]), ("6", ["6", "сб", "суб", "суббота"]),
])
WEEKDAY_LABEL = "понедельник … суббота (или пн … сб, 1 … 6)"
WEEKDAY_TEXT = {1: "понедельник", 2: "вторник", 3: "среда", 4: "четверг", 5: "пятница", 6: "суббота"}


def _hours(value: Decimal | None) -> str:
    if value is None:
        return ""
    return format(value.normalize(), "f").replace(".", ",")


class Lookups:
    """The open year's classes and subgroups, the subjects and the staff, loaded once."""

    def __init__(self, school: School, *, staff: bool) -> None:
        self.year = AcademicYear.objects.filter(status="open").first()
        self.classes: dict[str, Any] = {}
        self.by_grade: dict[int, list[Any]] = {}
        for c in SchoolClass.objects.filter(year=self.year).select_related("year").order_by("grade", "letter"):
            self.classes[class_key(c.grade, c.letter)] = c
            self.by_grade.setdefault(c.grade, []).append(c)
        self.subgroups = {(s.school_class_id, norm(s.name)): s for s in Subgroup.objects.filter(school_class__year=self.year)}
        self.subjects = {norm(s.name): s for s in Subject.objects.all()}
        for s in list(self.subjects.values()):
            if s.short_name:
                self.subjects.setdefault(norm(s.short_name), s)
        self.staff = staff_index(school) if staff else None
        self._staged: dict[str, Any] = {}

    def stage_subject(self, key: str, subject: Any) -> None:
        """A subject created by the current row; known to later rows once the row succeeds."""
        self._staged[key] = subject

    def row_finished(self, ok: bool) -> None:
        if ok:
            self.subjects.update(self._staged)
        self._staged = {}

    def school_class(self, row: Row, key: str) -> Any | None:
        text = row.text(key, required=True)
        if not text:
            return None
        parsed = parse_class_name(text)
        if parsed is None:
            row.error(key, "Не похоже на класс: ожидается параллель и литера, например 5А.")
            return None
        found = self.classes.get(class_key(*parsed))
        if found is None:
            row.error(key, "Такого класса нет в текущем учебном году.")
        return found

    def subject(self, row: Row, key: str) -> Any | None:
        text = row.text(key, required=True, max_length=120)
        if not text:
            return None
        found = self.subjects.get(norm(text))
        if found is None:
            row.error(key, "Такого предмета нет в списке предметов школы.")
        return found

    def subgroup(self, row: Row, key: str, school_class: Any) -> Any | None:
        text = row.text(key)
        if not text or school_class is None:
            return None
        found = self.subgroups.get((school_class.pk, norm(text)))
        if found is None:
            row.error(key, f"В классе {school_class} нет такой подгруппы.")
        return found


# --- writing through the owners' services ------------------------------------------------------
# A row that would change nothing calls no service, so re-importing a file writes nothing.

# Service field -> column key, to put a service's refusal on the right column.
LINE_FIELDS = {"hours_per_week": "hours", "hours": "hours", "part": "part", "subject": "subject", "name": "subject",
               "school_class": "class", "grade": "class"}
LOAD_FIELDS = {"teacher": "teacher", "subject": "subject", "school_class": "class", "subgroup": "subgroup",
               "hours_per_week": "hours", "hours": "hours"}


def _subject(actor: Person, school: School, row: Row, data: CurriculumIn, ctx: Lookups) -> Any:
    """The row's subject, created through curriculum.services when the school has none of
    that name yet (a new school imports its curriculum before typing its subjects)."""
    if data.subject is not None:
        return data.subject
    name = row.text("subject")
    with reported(row, {"name": "subject", "short_name": "subject"}):
        subject = create_subject(actor, school, SubjectData(name=name))
    ctx.stage_subject(norm(name), subject)
    return subject


def apply_curriculum(actor: Person, school: School, row: Row, data: CurriculumIn, ctx: Lookups) -> Outcome:
    subject = _subject(actor, school, row, data, ctx)
    existing = {ln.school_class_id: ln for ln in CurriculumLine.objects.filter(
        school_class__in=data.classes, subject=subject, part=data.part)}
    created = changed = 0
    for school_class in data.classes:
        line = existing.get(school_class.pk)
        if line is not None and line.hours_per_week == data.hours:
            continue
        with reported(row, LINE_FIELDS):
            set_line(actor, school, school_class, subject, hours=data.hours if data.hours is not None else "", part=data.part)
        created += line is None
        changed += line is not None
    if len(data.classes) > 1 and (created or changed):
        row.notes.append(f"Классы параллели: {', '.join(str(c) for c in data.classes)}.")
    if created and not changed and len(existing) == 0:
        return Outcome("new")
    return Outcome("update" if created or changed else "unchanged")


def apply_load(actor: Person, school: School, row: Row, data: LoadIn, ctx: Lookups) -> Outcome:
    existing = TeachingAssignment.objects.filter(teacher=data.teacher, subject=data.subject, school_class=data.school_class,
                                                 subgroup=data.subgroup).first()
    if existing is not None and existing.hours_per_week == data.hours:
        return Outcome("unchanged")
    with reported(row, LOAD_FIELDS):
        assign_teacher(actor, school, AssignmentData(teacher=data.teacher, subject=data.subject, school_class=data.school_class,
                                                     hours=data.hours if data.hours is not None else "", subgroup=data.subgroup))
    return Outcome("new" if existing is None else "update")


TIMETABLE_FIELDS = {"weekday": "weekday", "lesson_number": "lesson", "shift": "shift", "subject": "subject",
                    "teacher": "teacher", "room": "room", "subgroup": "subgroup", "valid_from": "valid_from",
                    "from_date": "valid_from", "school_class": "class"}


def apply_timetable(actor: Person, school: School, row: Row, data: TimetableIn, ctx: Lookups) -> Outcome:
    """The lesson in its slot (class or subgroup, weekday, lesson, shift): created, or — when
    the slot holds another lesson now — changed (from «Действует с» if given); the clash
    checks are timetable.services'."""
    today = timezone.localdate()
    existing = (TimetableEntry.objects.filter(school_class=data.school_class, subgroup=data.subgroup, weekday=data.weekday,
                                              lesson_number=data.lesson or 0, shift=data.shift)
                .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today)).select_related("school_class__year", "subject", "teacher").first())
    if existing is not None and (existing.subject_id, existing.teacher_id, existing.room.casefold()) == (
            data.subject.pk, data.teacher.pk, " ".join(data.room.split()).casefold()):
        return Outcome("unchanged")
    entry = EntryData(school_class=data.school_class, weekday=data.weekday, lesson_number=data.lesson or 0, subject=data.subject,
                      teacher=data.teacher, subgroup=data.subgroup, room=data.room, shift=data.shift, valid_from=data.valid_from)
    if existing is None:
        with reported(row, TIMETABLE_FIELDS):
            create_entry(actor, school, entry)
        return Outcome("new")
    was = f"Было: «{existing.subject}», {existing.teacher.short_name}" + (f", каб. {existing.room}" if existing.room else "") + "."
    with reported(row, TIMETABLE_FIELDS):
        update_entry(actor, school, existing, replace(entry, valid_from=data.valid_from or existing.valid_from,
                                                      valid_to=existing.valid_to), from_date=data.valid_from)
    return Outcome("update", [was])


# --- curriculum ----------------------------------------------------------------------------------

CURRICULUM_COLUMNS = [
    Column("class", "Класс", required=True, example="5А", synonyms=("класс или параллель", "параллель"),
           hint="Класс (5А) или целая параллель (5) — тогда строка относится к каждому её классу."),
    Column("subject", "Предмет", required=True, example="Математика", synonyms=("учебный предмет",),
           hint="Как в списке предметов школы."),
    Column("part", "Часть учебного плана", example="обязательная", synonyms=("часть", "компонент"),
           hint=f"{PART_LABEL}; если пусто — обязательная."),
    Column("hours", "Часов в неделю", required=True, example="5", synonyms=("часы", "часов", "кол-во часов"),
           hint="Можно дробное: 0,5 или 1,5."),
]


@dataclass
class CurriculumIn:
    classes: list[Any]
    subject: Any
    part: str
    hours: Decimal | None


class CurriculumKind(Kind):
    code = ImportKind.CURRICULUM
    perms = (Perm.MANAGE_CURRICULUM,)
    file_stem = "Учебный план"
    all_columns = CURRICULUM_COLUMNS
    help_lines = ["Одна строка — часы одного предмета в классе или во всей параллели."]

    def prepare(self, actor: Person, school: School) -> Lookups:
        return Lookups(school, staff=False)

    def label(self, row: Row) -> str:
        return f"{row.text('class')}: {row.text('subject')}, {row.text('hours')} ч"

    def parse(self, row: Row, ctx: Lookups) -> CurriculumIn:
        text = row.text("class", required=True)
        classes: list[Any] = []
        grade = parse_grade(text) if text else None
        if grade is not None:
            classes = ctx.by_grade.get(grade, [])
            if not classes:
                row.error("class", "В этой параллели нет классов в текущем учебном году.")
        elif text:
            found = ctx.school_class(row, "class")
            classes = [found] if found else []
        subject = ctx.subjects.get(norm(row.text("subject", required=True, max_length=120)))
        if subject is None and row.text("subject"):
            row.notes.append(f"Предмета «{row.text('subject')}» ещё нет в списке предметов школы: он будет добавлен.")
        return CurriculumIn(classes, subject, row.choice("part", PART, label=PART_LABEL) or "mandatory",
                            row.decimal("hours", required=True))

    def row_keys(self, data: CurriculumIn, row: Row) -> list[Any]:
        return [("line", c.pk, norm(row.text("subject")), data.part) for c in data.classes]

    def apply(self, actor: Person, school: School, row: Row, data: CurriculumIn, ctx: Lookups) -> Outcome:
        return apply_curriculum(actor, school, row, data, ctx)

    def export_rows(self, school: School, *, columns: list[Column], class_id: int | None = None) -> Iterable[list[Any]]:
        lines = (CurriculumLine.objects.filter(school_class__year__status="open")
                 .select_related("school_class", "subject").order_by("school_class__grade", "school_class__letter", "subject__name"))
        for line in lines:
            values = {"class": class_key(line.school_class.grade, line.school_class.letter), "subject": line.subject.name,
                      "part": PART_TEXT.get(line.part, ""), "hours": _hours(line.hours_per_week)}
            yield [values.get(c.key, "") for c in columns]


# --- teaching load --------------------------------------------------------------------------------

LOAD_COLUMNS = [
    Column("teacher", "Учитель", required=True, example="Петрова Ольга Ивановна", synonyms=("педагог", "фио учителя"),
           hint="ФИО полностью, «Фамилия И.О.» или логин сотрудника школы."),
    Column("subject", "Предмет", required=True, example="Математика", synonyms=("учебный предмет",)),
    Column("class", "Класс", required=True, example="5А"),
    Column("subgroup", "Подгруппа", example="", synonyms=("группа",), hint="Название подгруппы класса, если предмет ведётся по подгруппам."),
    Column("hours", "Часов в неделю", required=True, example="5", synonyms=("часы", "часов", "нагрузка")),
]


@dataclass
class LoadIn:
    teacher: Any
    subject: Any
    school_class: Any
    subgroup: Any
    hours: Decimal | None


class LoadKind(Kind):
    code = ImportKind.LOAD
    perms = (Perm.MANAGE_CURRICULUM,)
    file_stem = "Нагрузка"
    all_columns = LOAD_COLUMNS
    help_lines = ["Одна строка — предмет учителя в классе (или подгруппе). Учителя сначала загрузите списком сотрудников."]

    def prepare(self, actor: Person, school: School) -> Lookups:
        return Lookups(school, staff=True)

    def label(self, row: Row) -> str:
        return f"{row.text('teacher')}: {row.text('subject')}, {row.text('class')} {row.text('subgroup')}".strip()

    def parse(self, row: Row, ctx: Lookups) -> LoadIn:
        assert ctx.staff is not None
        school_class = ctx.school_class(row, "class")
        return LoadIn(ctx.staff.find(row, "teacher"), ctx.subject(row, "subject"), school_class,
                      ctx.subgroup(row, "subgroup", school_class), row.decimal("hours", required=True))

    def row_keys(self, data: LoadIn, row: Row) -> list[Any]:
        return [(data.teacher.pk, data.subject.pk, data.school_class.pk, data.subgroup.pk if data.subgroup else None)]

    def apply(self, actor: Person, school: School, row: Row, data: LoadIn, ctx: Lookups) -> Outcome:
        return apply_load(actor, school, row, data, ctx)

    def export_rows(self, school: School, *, columns: list[Column], class_id: int | None = None) -> Iterable[list[Any]]:
        rows = (TeachingAssignment.objects.filter(school_class__year__status="open")
                .select_related("teacher", "subject", "school_class", "subgroup")
                .order_by("teacher__surname", "teacher__name", "school_class__grade", "school_class__letter", "subject__name"))
        for a in rows:
            values = {"teacher": a.teacher.full_name, "subject": a.subject.name,
                      "class": class_key(a.school_class.grade, a.school_class.letter),
                      "subgroup": a.subgroup.name if a.subgroup else "", "hours": _hours(a.hours_per_week)}
            yield [values.get(c.key, "") for c in columns]


# --- timetable -------------------------------------------------------------------------------------

TIMETABLE_COLUMNS = [
    Column("class", "Класс", required=True, example="5А"),
    Column("weekday", "День недели", required=True, example="понедельник", synonyms=("день",), hint=WEEKDAY_LABEL),
    Column("lesson", "Номер урока", required=True, example="1", synonyms=("урок", "№ урока")),
    Column("subject", "Предмет", required=True, example="Математика"),
    Column("teacher", "Учитель", required=True, example="Петрова Ольга Ивановна", synonyms=("педагог",),
           hint="ФИО полностью, «Фамилия И.О.» или логин сотрудника школы."),
    Column("room", "Кабинет", example="21", synonyms=("каб", "аудитория")),
    Column("subgroup", "Подгруппа", example="", synonyms=("группа",)),
    Column("shift", "Смена", example="1", hint="1 или 2; если пусто — 1."),
    Column("valid_from", "Действует с", example="01.09.2026", hint="Если пусто — с начала учебного года."),
]


@dataclass
class TimetableIn:
    school_class: Any
    subgroup: Any
    weekday: int
    lesson: int | None
    subject: Any
    teacher: Any
    room: str
    shift: int
    valid_from: dt.date | None


class TimetableKind(Kind):
    code = ImportKind.TIMETABLE
    perms = (Perm.MANAGE_TIMETABLE,)
    file_stem = "Расписание"
    all_columns = TIMETABLE_COLUMNS
    help_lines = ["Одна строка — один урок недели. Накладки (учитель или класс дважды в одно время) показываются как ошибки."]

    def prepare(self, actor: Person, school: School) -> Lookups:
        return Lookups(school, staff=True)

    def label(self, row: Row) -> str:
        return f"{row.text('class')}, {row.text('weekday')}, {row.text('lesson')} урок: {row.text('subject')}"

    def parse(self, row: Row, ctx: Lookups) -> TimetableIn:
        assert ctx.staff is not None
        school_class = ctx.school_class(row, "class")
        weekday = row.choice("weekday", WEEKDAY, required=True, label=WEEKDAY_LABEL)
        return TimetableIn(
            school_class=school_class, subgroup=ctx.subgroup(row, "subgroup", school_class),
            weekday=int(weekday) if weekday else 0, lesson=row.integer("lesson", required=True, low=0, high=12),
            subject=ctx.subject(row, "subject"), teacher=ctx.staff.find(row, "teacher"),
            room=row.text("room", max_length=20), shift=row.integer("shift", low=1, high=2) or 1,
            valid_from=row.date("valid_from"),
        )

    def apply(self, actor: Person, school: School, row: Row, data: TimetableIn, ctx: Lookups) -> Outcome:
        return apply_timetable(actor, school, row, data, ctx)

    def export_rows(self, school: School, *, columns: list[Column], class_id: int | None = None) -> Iterable[list[Any]]:
        today = timezone.localdate()
        entries = (TimetableEntry.objects.filter(school_class__year__status="open")
                   .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
                   .select_related("school_class", "subgroup", "subject", "teacher")
                   .order_by("school_class__grade", "school_class__letter", "weekday", "lesson_number", "subgroup__name"))
        for e in entries:
            values = {"class": class_key(e.school_class.grade, e.school_class.letter), "weekday": WEEKDAY_TEXT.get(e.weekday, ""),
                      "lesson": e.lesson_number, "subject": e.subject.name, "teacher": e.teacher.full_name, "room": e.room,
                      "subgroup": e.subgroup.name if e.subgroup else "", "shift": e.shift, "valid_from": e.valid_from}
            yield [values.get(c.key, "") for c in columns]
