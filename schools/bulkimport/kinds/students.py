"""Students with their parents (R-Y07, R-Y06, R-A02, R-A06): one row per student — the
class, the student's minimum personal data, the enrolment order, up to two parents.
People are matched, not duplicated: a student or parent already in the district (same
surname, name, patronymic and date of birth) is the same Person, so re-importing a file
changes nothing and a parent with children in two schools stays one account."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from accounts.roles import Perm
from accounts.services import PersonData, find_or_create_person
from roster.models import Guardianship, MovementOrder, PersonCard
from roster.selectors import current_enrolment
from roster.services import CardData, OrderData, add_guardian, enrol_student, save_family_card

from ..models import ImportKind
from ..schemas import Column, Row, norm, option_map
from .base import Kind, Outcome, reported
from .common import (
    SEX,
    SEX_LABEL,
    SEX_TEXT,
    ClassCache,
    class_key,
    name_columns,
    parse_class_name,
    person_fields,
    personal_columns,
)

if TYPE_CHECKING:
    from accounts.models import Person
    from tenants.models import School

    from .students_bulk import FamilyPlan

GUARDIAN = option_map([
    ("mother", ["мать", "мама"]),
    ("father", ["отец", "папа"]),
    ("guardian", ["опекун", "попечитель", "опекун (попечитель)", "опекун/попечитель"]),
    ("other", ["иной законный представитель", "иной представитель", "законный представитель", "иное", "другое"]),
])
GUARDIAN_LABEL = "мать, отец, опекун, иной законный представитель"
GUARDIAN_TEXT = {"mother": "мать", "father": "отец", "guardian": "опекун", "other": "иной законный представитель"}
GUARDIAN_SEX = {"mother": "f", "father": "m"}
PARENTS = (1, 2)
LOGIN_HINT = ("Только если человек уже есть в районе и его нельзя узнать по ФИО и дате рождения "
              "(тёзки с одной датой рождения); выгрузка заполняет его сама.")


SNILS_HINT = "11 цифр: 112-233-445 95 или 11223344595."


def _parent_columns(n: int, example: tuple[str, ...]) -> list[Column]:
    title = f"Родитель {n}"
    p = f"p{n}_"
    return [
        Column(f"{p}kind", f"{title}: кем приходится", example=example[0],
               synonyms=(f"{title}: степень родства", f"{title}: кто", f"{title} кем приходится"),
               hint=f"{GUARDIAN_LABEL}. Пол матери и отца понятен из этого столбца."),
        *name_columns(p, title, required=False, example=(example[1], example[2], example[3])),
        Column(f"{p}sex", f"{title}: пол", example="", hint="Только для опекуна и иного представителя: м или ж."),
        Column(f"{p}birth_date", f"{title}: дата рождения", example=example[4],
               hint="Нужна, чтобы узнать человека, уже известного в районе (например, родителя детей из двух школ)."),
        Column(f"{p}login", f"{title}: логин", example="", hint=LOGIN_HINT),
        Column(f"{p}phone", f"{title}: телефон", example=example[5], personal="phone"),
        Column(f"{p}email", f"{title}: e-mail", example=example[6], personal="email",
               synonyms=(f"{title}: email", f"{title}: электронная почта")),
        Column(f"{p}snils", f"{title}: СНИЛС", example=example[7], personal="snils", hint=SNILS_HINT),
    ]


COLUMNS: list[Column] = [
    Column("class", "Класс", required=True, example="5А", synonyms=("класс (литера)", "кл"),
           hint="Класс текущего учебного года: 1А … 11В."),
    *name_columns("", "", required=True, example=("Иванов", "Пётр", "Сергеевич"), synonyms_of="обучающегося"),
    Column("sex", "Пол", required=True, example="м", hint=SEX_LABEL),
    Column("birth_date", "Дата рождения", required=True, example="14.03.2015", synonyms=("дата рожд", "др")),
    Column("order_number", "Номер приказа о зачислении", required=True, example="45-у",
           synonyms=("№ приказа о зачислении", "номер приказа", "№ приказа", "приказ №", "приказ о зачислении")),
    Column("order_date", "Дата приказа о зачислении", required=True, example="28.08.2026", synonyms=("дата приказа",)),
    Column("since", "Дата зачисления", example="01.09.2026", synonyms=("зачислен с", "дата поступления"),
           hint="Если пусто — дата приказа, но не раньше начала учебного года."),
    Column("login", "Логин", example="", hint=LOGIN_HINT),
    Column("address", "Адрес проживания", example="г. Энск, ул. Мира, д. 1, кв. 2", personal="address",
           synonyms=("адрес", "домашний адрес")),
    Column("phone", "Телефон", example="+7 900 000-00-03", personal="phone", synonyms=("телефон обучающегося",),
           hint="Телефон обучающегося (родителей — в их столбцах)."),
    Column("email", "E-mail", example="", personal="email",
           synonyms=("email", "электронная почта", "e-mail обучающегося", "email обучающегося")),
    Column("snils", "СНИЛС", example="112-233-445 95", personal="snils", synonyms=("снилс обучающегося",), hint=SNILS_HINT),
    *_parent_columns(1, ("мать", "Иванова", "Анна", "Викторовна", "02.07.1988", "+7 900 000-00-01", "ivanova@example.ru", "")),
    *_parent_columns(2, ("отец", "Иванов", "Сергей", "Петрович", "11.01.1986", "", "", "")),
]


@dataclass
class PersonIn:
    surname: str
    name: str
    patronymic: str
    sex: str
    birth_date: dt.date | None
    phone: str = ""
    email: str = ""
    address: str = ""
    login: str = ""
    snils: str = ""


@dataclass
class StudentIn:
    grade: int
    letter: str
    student: PersonIn
    order_number: str
    order_date: dt.date | None
    since: dt.date | None
    parents: list[tuple[str, PersonIn, str]] = field(default_factory=list)  # (kind, person, column prefix)


# Service field -> column key, for a refusal of enrol_student / save_family_card.
ENROL_FIELDS = {"order_number": "order_number", "order_date": "order_date", "order_id": "order_number", "on": "since",
                "school_class": "class", "address": "address", "phone": "phone", "email": "email", "snils": "snils",
                "student_id": "surname"}


def student_card(row: Row, data: StudentIn) -> CardData | None:
    """The student's card fields given in the file (as far as the school collects them)."""
    p = data.student
    return _card(row, "", address=p.address, phone=p.phone, email=p.email, snils=p.snils)


def parent_card(row: Row, prefix: str, parent: PersonIn) -> CardData | None:
    return _card(row, prefix, phone=parent.phone, email=parent.email, snils=parent.snils)


def parent_fields(prefix: str) -> dict[str, str]:
    """Service fields of adding a parent (or saving their card) -> the row's columns."""
    return {**person_fields(prefix), "kind": f"{prefix}kind", "parent": f"{prefix}surname",
            "phone": f"{prefix}phone", "email": f"{prefix}email", "snils": f"{prefix}snils"}


def _person_data(p: PersonIn) -> PersonData:
    # The e-mail goes to the school's card (if it collects e-mail), not to the account.
    return PersonData(surname=p.surname, name=p.name, patronymic=p.patronymic, sex=p.sex, birth_date=p.birth_date,
                      login=p.login)


def _card(row: Row, prefix: str, **values: str) -> CardData | None:
    """Card fields given in the file; an empty cell leaves what the school has."""
    given = {name: value for name, value in values.items() if value and row.has(f"{prefix}{name}")}
    return CardData(**given) if given else None


def _enrolment_day(data: StudentIn, school_class: Any) -> dt.date | None:
    """«Дата зачисления», else the order's date — but not before the class's year starts
    (an order of 28 August enrols from 1 September)."""
    if data.since is not None or data.order_date is None:
        return data.since
    return max(data.order_date, school_class.year.starts_on)


def _cards(person_ids: list[int]) -> dict[int, tuple[str, ...]]:
    return {c.person_id: (c.phone, c.address, c.email, c.snils) for c in PersonCard.objects.filter(person_id__in=person_ids)}


class StudentsContext(ClassCache):
    """The classes, and the enrolment orders already registered (a list names one order for
    many students: the first row registers it, the others enrol by it)."""

    def __init__(self) -> None:
        super().__init__()
        self.orders: dict[tuple[str, dt.date], MovementOrder] = {}
        self._staged_order: MovementOrder | None = None

    def order(self, number: str, date: dt.date | None) -> MovementOrder | None:
        if not number or date is None:
            return None
        if (number, date) not in self.orders:
            found = MovementOrder.objects.filter(number=number, date=date).first()
            if found is None:
                return None
            self.orders[(number, date)] = found
        return self.orders[(number, date)]

    def stage_order(self, order: MovementOrder | None) -> None:
        self._staged_order = order

    def row_finished(self, ok: bool) -> None:
        super().row_finished(ok)
        if ok and self._staged_order is not None:
            self.orders[(self._staged_order.number, self._staged_order.date)] = self._staged_order
        self._staged_order = None


class StudentsKind(Kind):
    code = ImportKind.STUDENTS
    perms = (Perm.MANAGE_PEOPLE, Perm.MOVEMENT)
    people_list = True
    file_stem = "Обучающиеся и родители"
    all_columns = COLUMNS
    help_lines = [
        "Одна строка — один обучающийся; до двух родителей (законных представителей) в той же строке.",
        "Человек, уже известный в районе (те же ФИО и дата рождения), не создаётся второй раз: "
        "повторная загрузка того же файла ничего не меняет.",
        "Столбцы телефона, адреса, e-mail и СНИЛС (обучающегося и родителей) есть, только если школа собирает эти данные "
        "(настройка персональных данных); столбец поля, которое школа не собирает, не принимается.",
    ]

    def columns(self) -> tuple[list[Column], list[Column]]:
        return personal_columns(COLUMNS)

    def label(self, row: Row) -> str:
        name = " ".join(p for p in (row.text("surname"), row.text("name"), row.text("patronymic")) if p)
        return f"{name}, {row.text('class')}" if row.text("class") else name

    def _person(self, row: Row, prefix: str, *, required: bool) -> PersonIn:
        return PersonIn(
            surname=row.text(f"{prefix}surname", required=required, max_length=100),
            name=row.text(f"{prefix}name", required=required, max_length=100),
            patronymic=row.text(f"{prefix}patronymic", max_length=100),
            sex=row.choice(f"{prefix}sex", SEX, required=required, label=SEX_LABEL),
            birth_date=row.date(f"{prefix}birth_date", required=required, past=True),
            phone=row.text(f"{prefix}phone", max_length=30),
            email=row.text(f"{prefix}email", max_length=254),
            address=row.text(f"{prefix}address", max_length=300),
            login=row.text(f"{prefix}login", max_length=64),
            snils=row.text(f"{prefix}snils", max_length=30),
        )

    def parse(self, row: Row, ctx: Any) -> StudentIn | None:
        class_text = row.text("class", required=True)
        parsed = parse_class_name(class_text) if class_text else None
        if class_text and parsed is None:
            row.error("class", "Не похоже на класс: ожидается параллель и литера, например 5А.")
        student = self._person(row, "", required=True)
        data = StudentIn(
            grade=parsed[0] if parsed else 0, letter=parsed[1] if parsed else "", student=student,
            order_number=row.text("order_number", required=True, max_length=40),
            order_date=row.date("order_date", required=True),
            since=row.date("since"),
        )
        for n in PARENTS:
            p = f"p{n}_"
            keys = [f"{p}{k}" for k in ("kind", "surname", "name", "patronymic", "sex", "birth_date", "login", "phone", "email",
                                          "snils")]
            if not any(row.text(k) for k in keys if row.has(k)):
                continue
            kind = row.choice(f"{p}kind", GUARDIAN, required=True, label=GUARDIAN_LABEL)
            parent = self._person(row, p, required=False)
            for key, value in ((f"{p}surname", parent.surname), (f"{p}name", parent.name), (f"{p}birth_date", parent.birth_date)):
                if not value and not any(e["column"] == row.title(key) for e in row.errors):
                    row.error(key, "Обязательное поле, если указан родитель.")
            parent.sex = GUARDIAN_SEX.get(kind) or parent.sex
            data.parents.append((kind, parent, p))
        return data

    def row_keys(self, data: StudentIn, row: Row) -> list[Any]:
        p = data.student
        return [("person", norm(p.surname), norm(p.name), norm(p.patronymic), p.birth_date, p.login.lower())]

    def prepare(self, actor: Person, school: School) -> StudentsContext:
        return StudentsContext()

    def planner(self, actor: Person, school: School) -> FamilyPlan:
        """The whole file at once (students_bulk): the same decisions as `apply`, without a query per row."""
        from .students_bulk import FamilyPlan

        return FamilyPlan(actor, school)

    def apply(self, actor: Person, school: School, row: Row, data: StudentIn, ctx: StudentsContext) -> Outcome:
        """The student (matched or created), their enrolment by the order, their card, and each
        parent (matched or created) with the link and the parent's card — all through
        accounts.services and roster.services. "new": the student is enrolled by this row;
        "update": they were in this class already and something was added or changed.
        Imports go through `planner` (students_bulk); this row-by-row path is kept as the reference
        the bulk path is proven against (tests/test_import_bulk.py runs a file through both)."""
        school_class = ctx.get_or_create(actor, school, row, data.grade, data.letter)
        with reported(row, person_fields("")):
            student, created = find_or_create_person(actor, _person_data(data.student), school)
        parents = []
        for kind, parent_in, prefix in data.parents:
            with reported(row, person_fields(prefix)):
                parent, _ = find_or_create_person(actor, _person_data(parent_in), school)
            parents.append((kind, parent_in, prefix, parent))
        # A person new to the district has no enrolment and no parent here yet: no need to look.
        current = None if created else current_enrolment(student.pk)
        enrolling = current is None or current.school_class_id != school_class.pk
        people = [student.pk, *(p.pk for *_, p in parents)]
        cards_before = None if enrolling else _cards(people)
        card_of_student = student_card(row, data)
        if enrolling:
            order = ctx.order(data.order_number, data.order_date)
            with reported(row, ENROL_FIELDS):
                enrolment = enrol_student(actor, school, student, school_class, on=_enrolment_day(data, school_class),
                                          card=card_of_student, order=order or OrderData(number=data.order_number,
                                                                                      date=data.order_date))  # type: ignore[arg-type]
            ctx.stage_order(enrolment.order_in)
            if not created:
                row.notes.append("Обучающийся уже есть в районе (те же ФИО и дата рождения): новая учётная запись не создаётся.")
        elif card_of_student is not None:
            with reported(row, ENROL_FIELDS):
                save_family_card(actor, school, student, card=card_of_student)
        linked = False
        for kind, parent_in, prefix, parent in parents:
            card = parent_card(row, prefix, parent_in)
            link = None if created else Guardianship.objects.filter(parent=parent, student=student).first()
            fields = parent_fields(prefix)
            if link is None:
                with reported(row, fields):
                    add_guardian(actor, school, student, parent, kind=kind, card=card)
                linked = True
                continue
            if link.kind != kind:
                row.notes.append(f"{parent.short_name}: в школе указан(а) как «{link.get_kind_display()}», "
                                 "в файле иначе — не изменено.")
            if card is not None:
                with reported(row, fields):
                    save_family_card(actor, school, parent, card=card)
        if enrolling:
            return Outcome("new")
        return Outcome("update" if linked or _cards(people) != cards_before else "unchanged")

    def export_suffix(self, class_id: int | None) -> str:
        if class_id is None:
            return ""
        from roster.models import SchoolClass

        school_class = SchoolClass.objects.filter(pk=class_id).first()
        return f" {school_class}" if school_class else ""

    def export_rows(self, school: School, *, columns: list[Column], class_id: int | None = None) -> Iterable[list[Any]]:
        """Current students of the open year (one class or all) with up to two parents,
        in five queries whatever their number."""
        from accounts.models import Person
        from roster.models import Enrolment, Guardianship, PersonCard

        enrolments = (Enrolment.objects.filter(until__isnull=True, school_class__year__status="open")
                      .select_related("school_class", "order_in"))
        if class_id is not None:
            enrolments = enrolments.filter(school_class_id=class_id)
        rows = list(enrolments)
        student_ids = [e.student_id for e in rows]
        links = list(Guardianship.objects.filter(student_id__in=student_ids).order_by("student_id", "id"))
        people = Person.objects.in_bulk({*student_ids, *(g.parent_id for g in links)})
        cards = {c.person_id: c for c in PersonCard.objects.filter(person_id__in=list(people))}
        parents: dict[int, list[Any]] = {}
        for link in links:
            parents.setdefault(link.student_id, []).append(link)
        rows.sort(key=lambda e: (e.school_class.grade, e.school_class.letter, people[e.student_id].surname, people[e.student_id].name))
        for enrolment in rows:
            student = people[enrolment.student_id]
            card = cards.get(student.pk)
            values: dict[str, Any] = {
                "class": class_key(enrolment.school_class.grade, enrolment.school_class.letter),
                "surname": student.surname, "name": student.name, "patronymic": student.patronymic,
                "sex": SEX_TEXT.get(student.sex, ""), "birth_date": student.birth_date,
                "order_number": enrolment.order_in.number if enrolment.order_in else "",
                "order_date": enrolment.order_in.date if enrolment.order_in else None,
                "since": enrolment.since, "address": card.address if card else "", "login": student.login,
                "phone": card.phone if card else "", "email": card.email if card else "", "snils": card.snils if card else "",
            }
            for n, link in zip(PARENTS, parents.get(student.pk, [])[:2], strict=False):
                parent, pcard = people[link.parent_id], cards.get(link.parent_id)
                values.update({
                    f"p{n}_kind": GUARDIAN_TEXT.get(link.kind, ""), f"p{n}_surname": parent.surname,
                    f"p{n}_name": parent.name, f"p{n}_patronymic": parent.patronymic,
                    f"p{n}_sex": SEX_TEXT.get(parent.sex, "") if link.kind not in GUARDIAN_SEX else "",
                    f"p{n}_birth_date": parent.birth_date, f"p{n}_login": parent.login,
                    f"p{n}_phone": pcard.phone if pcard else "",
                    f"p{n}_email": (pcard.email if pcard and pcard.email else parent.email),
                    f"p{n}_snils": pcard.snils if pcard else "",
                })
            yield [values.get(c.key, "") for c in columns]
