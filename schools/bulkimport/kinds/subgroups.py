"""Subgroups and their members (R-Y02, R-Y07; 001 §3.3, 004 §VI): one row per student of a
subgroup (a subgroup without members: one row without a student). The subgroup is created by
roster.services.create_subgroup when the class lacks it, a student is added by
roster.services.set_subgroup_members; the roster's rules (a current student of the class, one
subgroup of each kind per student, a unique name) are the services', not repeated here. An
import adds subgroups and members and never takes anybody out (as the staff list never takes
a role away). The teaching load and the timetable name these subgroups."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from accounts.models import Person
from accounts.roles import Perm
from roster.models import Enrolment, SchoolClass, Subgroup, SubgroupKind, SubgroupMember
from roster.services import create_subgroup, set_subgroup_members

from ..models import ImportKind
from ..schemas import Column, Row, norm, option_map
from .base import Kind, Outcome, RowRejected, reported
from .common import class_key, name_columns, parse_class_name

if TYPE_CHECKING:
    from tenants.models import School

KIND = option_map([
    (SubgroupKind.FOREIGN_LANGUAGE, ["иностранный язык", "иностранный", "ин. яз.", "иняз", "foreign_language"]),
    (SubgroupKind.INFORMATICS, ["информатика", "информатика и икт", "informatics"]),
    (SubgroupKind.TECHNOLOGY, ["технология", "труд", "труд (технология)", "technology"]),
    (SubgroupKind.PE, ["физическая культура", "физкультура", "физ-ра", "pe"]),
    (SubgroupKind.OTHER, ["другое", "иное", "other"]),
])
KIND_LABEL = "иностранный язык, информатика, технология, физическая культура, другое"
KIND_TEXT: dict[str, str] = {SubgroupKind.FOREIGN_LANGUAGE: "иностранный язык", SubgroupKind.INFORMATICS: "информатика",
             SubgroupKind.TECHNOLOGY: "технология", SubgroupKind.PE: "физическая культура", SubgroupKind.OTHER: "другое"}
STUDENT_KEYS = ("surname", "name", "patronymic", "birth_date", "login")

COLUMNS: list[Column] = [
    Column("class", "Класс", required=True, example="5А", hint="Класс текущего учебного года."),
    Column("subgroup", "Подгруппа", required=True, example="Английский, 1 группа", synonyms=("название подгруппы", "группа"),
           hint="Название подгруппы в классе; нагрузка и расписание называют подгруппу так же."),
    Column("kind", "Вид подгруппы", example="иностранный язык", synonyms=("вид",),
           hint=f"{KIND_LABEL}. Нужен для новой подгруппы."),
    *name_columns("", "", required=False, example=("Иванов", "Пётр", "Сергеевич"), synonyms_of="обучающегося"),
    Column("birth_date", "Дата рождения", example="14.03.2015", synonyms=("дата рожд", "др"),
           hint="Обучающийся узнаётся по ФИО и дате рождения (или по логину) среди обучающихся класса."),
    Column("login", "Логин", example="", hint="Если указан, обучающийся узнаётся по нему; выгрузка заполняет его сама."),
]
# Service field -> column key; a refusal about the students (not in the class, already in a
# subgroup of the kind) goes whole on the student's column.
FIELDS = {"kind": "kind", "name": "subgroup", "school_class": "class"}


@dataclass
class SubgroupIn:
    school_class: Any
    name: str
    kind: str
    student: Person | None


class SubgroupLookups:
    """The open year's classes, their subgroups and their current students, loaded once (four queries)."""

    def __init__(self) -> None:
        classes = list(SchoolClass.objects.filter(year__status="open"))
        self.classes = {class_key(c.grade, c.letter): c for c in classes}
        self.subgroups = {(s.school_class_id, norm(s.name)): s for s in Subgroup.objects.filter(school_class__in=classes)}
        students: dict[int, list[int]] = {}
        for class_id, student_id in Enrolment.objects.filter(school_class__in=classes, until__isnull=True).values_list(
                "school_class_id", "student_id"):
            students.setdefault(class_id, []).append(student_id)
        people = Person.objects.in_bulk([i for ids in students.values() for i in ids])
        self.by_login: dict[tuple[int, str], Person] = {}
        self.by_name: dict[tuple[int, str, str, str, dt.date | None], list[Person]] = {}
        for class_id, ids in students.items():
            for person in (people[i] for i in ids if i in people):
                self.by_login[(class_id, person.login)] = person
                key = (class_id, norm(person.surname), norm(person.name), norm(person.patronymic), person.birth_date)
                self.by_name.setdefault(key, []).append(person)
        self._staged: dict[tuple[int, str], Subgroup] = {}
        self._pending: dict[tuple[int, str], Subgroup] = {}

    def school_class(self, row: Row) -> Any | None:
        text = row.text("class", required=True)
        if not text:
            return None
        parsed = parse_class_name(text)
        if parsed is None:
            row.error("class", "Не похоже на класс: ожидается параллель и литера, например 5А.")
            return None
        found = self.classes.get(class_key(*parsed))
        if found is None:
            row.error("class", "Такого класса нет в текущем учебном году.")
        return found

    def subgroup(self, school_class: Any, name: str) -> Subgroup | None:
        key = (school_class.pk, norm(name))
        return self.subgroups.get(key) or self._staged.get(key)

    def student(self, row: Row, school_class: Any) -> Person | None:
        given = {k: row.text(k) for k in STUDENT_KEYS if row.has(k)}
        if not any(given.values()):
            return None
        login = Person.normalize_login(given.get("login", "")) if given.get("login") else ""
        surname, name = row.text("surname", max_length=100), row.text("name", max_length=100)
        if login:
            person = self.by_login.get((school_class.pk, login))
            if person is None:
                row.error("login", f"Обучающегося с этим логином нет в классе {school_class} сейчас.")
            elif surname and norm(surname) != norm(person.surname):
                row.error("login", "Учётная запись с этим логином принадлежит другому обучающемуся.")
                return None
            return person
        if not surname:
            row.error("surname", "Укажите фамилию и имя обучающегося (или его логин).")
        if not name:
            row.error("name", "Укажите фамилию и имя обучающегося (или его логин).")
        birth = row.date("birth_date", past=True)
        if birth is None and not any(e["column"] == row.title("birth_date") for e in row.errors):
            row.error("birth_date", "Укажите дату рождения обучающегося (или его логин): по ней узнаётся обучающийся.")
        if row.errors:
            return None
        found = self.by_name.get((school_class.pk, norm(surname), norm(name), norm(row.text("patronymic")), birth), [])
        if not found:
            row.error("surname", f"В классе {school_class} сейчас нет обучающегося с такими ФИО и датой рождения.")
            return None
        if len(found) > 1:
            row.error("login", "В классе несколько обучающихся с такими ФИО и датой рождения: укажите логин.")
            return None
        return found[0]

    def stage(self, subgroup: Subgroup) -> None:
        """A subgroup created by the current row; known to later rows once the row succeeds."""
        self._pending[(subgroup.school_class_id, norm(subgroup.name))] = subgroup

    def row_finished(self, ok: bool) -> None:
        if ok:
            self._staged.update(self._pending)
        self._pending = {}


class SubgroupsKind(Kind):
    code = ImportKind.SUBGROUPS
    # 004 §VI: the deputy director forms the classes and subgroups; the file names students.
    perms = (Perm.MANAGE_CLASSES, Perm.VIEW_PEOPLE)
    file_stem = "Подгруппы"
    all_columns = COLUMNS
    help_lines = [
        "Одна строка — один обучающийся подгруппы; подгруппа без обучающихся — строка без ФИО.",
        "Подгруппы, которой нет в классе, создаётся (для неё нужен вид); обучающиеся добавляются, "
        "загрузка никого из подгруппы не исключает.",
        "Обучающийся может быть только в одной подгруппе каждого вида. Загрузите подгруппы до нагрузки и расписания.",
    ]

    def prepare(self, actor: Person, school: School) -> SubgroupLookups:
        return SubgroupLookups()

    def label(self, row: Row) -> str:
        who = " ".join(p for p in (row.text("surname"), row.text("name")) if p) or row.text("login")
        return f"{row.text('class')}: {row.text('subgroup')}" + (f" — {who}" if who else "")

    def parse(self, row: Row, ctx: SubgroupLookups) -> SubgroupIn:
        school_class = ctx.school_class(row)
        name = row.text("subgroup", required=True, max_length=60)
        kind = row.choice("kind", KIND, label=KIND_LABEL)
        student = ctx.student(row, school_class) if school_class is not None else None
        if school_class is not None and name:
            existing = ctx.subgroups.get((school_class.pk, norm(name)))
            if existing is not None and kind and kind != existing.kind:
                row.error("kind", f"Подгруппа «{existing.name}» класса {school_class} — вида «{existing.get_kind_display()}»: "
                                  "вид существующей подгруппы загрузка не меняет.")
        return SubgroupIn(school_class, name, kind, student)

    def row_keys(self, data: SubgroupIn, row: Row) -> list[Any]:
        who = data.student.pk if data.student is not None else None
        return [("subgroup", data.school_class.pk, norm(data.name), who)]

    def apply(self, actor: Person, school: School, row: Row, data: SubgroupIn, ctx: SubgroupLookups) -> Outcome:
        subgroup = ctx.subgroup(data.school_class, data.name)
        student_ids = [data.student.pk] if data.student is not None else []
        if subgroup is None:
            if not data.kind:
                row.error("kind", f"Подгруппы «{data.name}» в классе {data.school_class} нет: укажите её вид ({KIND_LABEL}).")
                raise RowRejected
            with reported(row, FIELDS, default="surname"):
                created = create_subgroup(actor, school, data.school_class, kind=data.kind, name=data.name,
                                          student_ids=student_ids)
            ctx.stage(created)
            row.notes.append(f"Подгруппы «{created.name}» не было: она будет создана.")
            return Outcome("new")
        if data.student is None:
            return Outcome("unchanged")
        current = {p.pk for (class_id, _), p in ctx.by_login.items() if class_id == data.school_class.pk}
        members = set(SubgroupMember.objects.filter(subgroup=subgroup, student_id__in=current).values_list("student_id", flat=True))
        if data.student.pk in members:
            return Outcome("unchanged")
        with reported(row, FIELDS, default="surname"):
            set_subgroup_members(actor, school, subgroup, members | {data.student.pk})
        return Outcome("new")

    def export_rows(self, school: School, *, columns: list[Column], class_id: int | None = None) -> Iterable[list[Any]]:
        """The open year's subgroups with their current members, in four queries."""
        subgroups = list(Subgroup.objects.filter(school_class__year__status="open").select_related("school_class")
                         .order_by("school_class__grade", "school_class__letter", "kind", "name"))
        current = set(Enrolment.objects.filter(school_class__year__status="open", until__isnull=True)
                      .values_list("school_class_id", "student_id"))
        members: dict[int, list[int]] = {}
        for subgroup_id, class_id_, student_id in SubgroupMember.objects.filter(subgroup__in=subgroups).values_list(
                "subgroup_id", "subgroup__school_class_id", "student_id"):
            if (class_id_, student_id) in current:
                members.setdefault(subgroup_id, []).append(student_id)
        people = Person.objects.in_bulk([i for ids in members.values() for i in ids])
        for subgroup in subgroups:
            base = {"class": class_key(subgroup.school_class.grade, subgroup.school_class.letter), "subgroup": subgroup.name,
                    "kind": KIND_TEXT.get(subgroup.kind, "")}
            students = sorted((people[i] for i in members.get(subgroup.pk, []) if i in people),
                              key=lambda p: (p.surname, p.name, p.patronymic))
            if not students:
                yield [base.get(c.key, "") for c in columns]
            for p in students:
                values = {**base, "surname": p.surname, "name": p.name, "patronymic": p.patronymic,
                          "birth_date": p.birth_date, "login": p.login}
                yield [values.get(c.key, "") for c in columns]
