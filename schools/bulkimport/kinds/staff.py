"""Staff (R-Y07, R-A07, R-P03): one row per person — the staff card (position, category,
functions, diploma speciality, hiring order) and the roles in the e-journal. A person
already known in the district (same full name and date of birth, or the login given) is
matched, not duplicated (a teacher of two schools is one account). Roles are added, never
taken away by an import; granting them goes through accounts.services.grant_role, so
nobody grants a role wider than their own."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from accounts.models import Membership
from accounts.roles import STAFF_ROLES, Perm, Role
from accounts.services import PersonData, find_or_create_person, grant_role, just_created
from roster.models import SchoolClass, StaffCard
from roster.services import ClassData, StaffCardData, hire_staff, save_staff_card, update_class

from ..models import ImportKind
from ..schemas import Column, Row, norm
from .base import Kind, Outcome, RowRejected, reported
from .common import SEX, SEX_LABEL, SEX_TEXT, class_key, name_columns, parse_class_name, person_fields

if TYPE_CHECKING:
    from accounts.models import Person
    from tenants.models import School

ROLE_SPELLINGS: dict[str, list[str]] = {
    Role.SCHOOL_ADMIN: ["администратор ЭЖ", "администратор", "администратор электронного журнала"],
    Role.DIRECTOR: ["директор"],
    Role.DEPUTY: ["заместитель директора", "зам. директора", "заместитель директора по УВР", "завуч", "зам по УВР"],
    Role.METHODIST: ["методист"],
    Role.TEACHER: ["учитель", "педагог", "учитель-предметник"],
    Role.HR_CLERK: ["специалист по кадрам", "инспектор по кадрам", "кадры"],
    Role.SECRETARY: ["секретарь", "делопроизводитель"],
}
ROLES: dict[str, str] = {}
for _role in STAFF_ROLES:
    ROLES[norm(Role(_role).label)] = _role
for _code, _spellings in ROLE_SPELLINGS.items():
    for _spelling in _spellings:
        ROLES[norm(_spelling)] = _code
_CLASS_TEACHER = re.compile(r"^\s*(?:классный\s+руководитель|кл\.?\s*рук(?:оводитель)?\.?)\s*(.*)$", re.IGNORECASE)
ROLE_LABEL = "учитель, классный руководитель 5А, заместитель директора, методист, администратор ЭЖ, секретарь, специалист по кадрам"

# 004 §XII (R-A05): the account is handed over within 3 working days of the hiring order, so the
# order's date is what the role starts from; the import does not make one up (not the import's date).
HIRED_ON_HINT = ("Обязательно для нового сотрудника школы: с этой даты действует его роль и от неё считаются 3 рабочих дня "
                 "на выдачу учётной записи. Для уже работающего можно оставить пустым.")
NO_HIRED_ON = "Укажите дату приказа о приёме: без неё сотрудника не принять на работу (от неё считается срок выдачи учётной записи)."

COLUMNS: list[Column] = [
    *name_columns("", "", required=True, example=("Петрова", "Ольга", "Ивановна"), synonyms_of="сотрудника"),
    Column("sex", "Пол", required=True, example="ж", hint=SEX_LABEL),
    Column("birth_date", "Дата рождения", required=True, example="05.05.1980", synonyms=("дата рожд", "др")),
    Column("position", "Должность", required=True, example="учитель математики", synonyms=("основная должность",)),
    Column("category", "Категория", example="высшая", synonyms=("квалификационная категория",)),
    Column("rank", "Разряд", example=""),
    Column("functions", "Функции", example="руководитель МО математики", synonyms=("выполняемые функции",)),
    Column("diploma", "Специальность по диплому", example="математика", synonyms=("специальность", "по диплому")),
    Column("roles", "Роли", required=True, example="учитель; классный руководитель 5А",
           synonyms=("роль", "роли в ЭЖ", "роль в ЭЖ"), hint=f"Через «;» или «,»: {ROLE_LABEL}."),
    Column("hired_on", "Дата приказа о приёме", required=True, example="25.08.2026", synonyms=("дата приёма", "принят"),
           hint=HIRED_ON_HINT),
    Column("hire_order", "Номер приказа о приёме", example="112-к", synonyms=("№ приказа о приёме",)),
    Column("login", "Логин", example="", hint="Только если у человека уже есть учётная запись в районе (работает в другой школе)."),
    Column("email", "E-mail", example="petrova@example.ru", synonyms=("email", "электронная почта"),
           hint="Почта учётной записи; запоминается только для нового сотрудника."),
]


@dataclass
class StaffIn:
    surname: str
    name: str
    patronymic: str
    sex: str
    birth_date: dt.date | None
    login: str
    email: str
    card: dict[str, Any]
    roles: list[tuple[str, tuple[int, str] | None]] = field(default_factory=list)  # (role, class of a class teacher)


def parse_roles(row: Row, key: str) -> list[tuple[str, tuple[int, str] | None]]:
    text = row.text(key, required=True)
    result: list[tuple[str, tuple[int, str] | None]] = []
    for part in re.split(r"[;,\n]", text):
        token = part.strip()
        if not token:
            continue
        m = _CLASS_TEACHER.match(token)
        if m:
            school_class = parse_class_name(m.group(1))
            if school_class is None:
                row.error(key, f"«{token}»: укажите класс классного руководителя, например «классный руководитель 5А».")
                continue
            result.append((Role.CLASS_TEACHER, school_class))
            continue
        role = ROLES.get(norm(token))
        if role is None:
            row.error(key, f"Неизвестная роль «{token}». Допустимо: {ROLE_LABEL}.")
            continue
        if (role, None) not in result:
            result.append((role, None))
    return result


STAFF_FIELDS = {"position": "position", "category": "category", "rank": "rank", "functions": "functions",
                "diploma_speciality": "diploma", "hired_on": "hired_on", "hire_order_number": "hire_order", "role": "roles",
                "class_id": "roles", "until": "hired_on", "class_teacher_id": "roles"}


def _card_of(person_id: int) -> tuple[Any, ...] | None:
    return StaffCard.objects.filter(person_id=person_id).values_list(
        "position", "category", "rank", "functions", "diploma_speciality", "hired_on", "hire_order_number").first()


def _appoint(actor: Person, school: School, row: Row, person: Person, grade: int, letter: str) -> bool:
    """Makes the person the class teacher of the open year's class; True when that changed something."""
    school_class = SchoolClass.objects.filter(year__status="open", grade=grade, letter=letter).select_related("class_teacher").first()
    if school_class is None:
        row.error("roles", f"Класса {class_key(grade, letter)} нет в текущем учебном году: сначала создайте его.")
        raise RowRejected
    if school_class.class_teacher_id == person.pk:
        return False
    if school_class.class_teacher is not None:
        row.notes.append(f"Классным руководителем {school_class} был(а) {school_class.class_teacher.short_name}: заменяется.")
    with reported(row, STAFF_FIELDS, default="roles"):
        update_class(actor, school, school_class, ClassData(grade=school_class.grade, letter=school_class.letter,
                                                             profile=school_class.profile, class_teacher_id=person.pk))
    return True


class StaffKind(Kind):
    code = ImportKind.STAFF
    perms = (Perm.MANAGE_STAFF, Perm.MANAGE_PEOPLE)
    people_list = True
    file_stem = "Сотрудники"
    all_columns = COLUMNS
    help_lines = [
        "Одна строка — один сотрудник. Роли добавляются к уже имеющимся; импорт роли не снимает.",
        "Сотрудник, уже известный в районе (те же ФИО и дата рождения или указан логин), не создаётся второй раз.",
        "Дата приказа о приёме обязательна для нового сотрудника: с неё действует его роль в школе.",
    ]

    def label(self, row: Row) -> str:
        name = " ".join(p for p in (row.text("surname"), row.text("name"), row.text("patronymic")) if p)
        return f"{name}, {row.text('position')}" if row.text("position") else name

    def parse(self, row: Row, ctx: Any) -> StaffIn:
        return StaffIn(
            surname=row.text("surname", required=True, max_length=100),
            name=row.text("name", required=True, max_length=100),
            patronymic=row.text("patronymic", max_length=100),
            sex=row.choice("sex", SEX, required=True, label=SEX_LABEL),
            birth_date=row.date("birth_date", required=True, past=True),
            login=row.text("login", max_length=64),
            email=row.text("email", max_length=254),
            card={
                "position": row.text("position", required=True, max_length=100),
                "category": row.text("category", max_length=60),
                "rank": row.text("rank", max_length=30),
                "functions": row.text("functions", max_length=300),
                "diploma_speciality": row.text("diploma", max_length=200),
                "hired_on": row.date("hired_on"),
                "hire_order_number": row.text("hire_order", max_length=40),
            },
            roles=parse_roles(row, "roles"),
        )

    def row_keys(self, data: StaffIn, row: Row) -> list[Any]:
        return [("person", norm(data.surname), norm(data.name), norm(data.patronymic), data.birth_date, data.login.lower())]

    def apply(self, actor: Person, school: School, row: Row, data: StaffIn, ctx: Any) -> Outcome:
        """The person (matched or created), then: not on the staff yet — hired through
        roster.services.hire_staff (card + first role from the hiring order's date); on the
        staff — their card saved through save_staff_card. Further roles through
        accounts.services.grant_role; a class teacher through roster.services.update_class."""
        with reported(row, {**person_fields(""), "email": "email"}):
            person, created = find_or_create_person(actor, PersonData(
                surname=data.surname, name=data.name, patronymic=data.patronymic, sex=data.sex, birth_date=data.birth_date,
                login=data.login, email=data.email), school)
        card = StaffCardData(**data.card)
        # A person the row has just created holds no role anywhere (accounts.services.just_created).
        held = set() if just_created(person) else \
            set(Membership.objects.current().filter(school=school, person=person).values_list("role", flat=True))
        roles = [role for role, _ in data.roles if role != Role.CLASS_TEACHER]
        status = "unchanged"
        if not held & set(STAFF_ROLES):
            if card.hired_on is None:
                row.error("hired_on", NO_HIRED_ON)
                raise RowRejected
            first = roles[0] if roles else Role.TEACHER
            if not roles:
                row.notes.append("Назначается учителем: классный руководитель — ещё и учитель.")
            with reported(row, STAFF_FIELDS, default="roles"):
                hire_staff(actor, school, person, card, role=first)
            held.add(first)
            status = "new"
            if not created:
                row.notes.append("Сотрудник уже есть в районе (работает в другой школе): новая учётная запись не создаётся.")
        else:
            before = _card_of(person.pk)
            with reported(row, STAFF_FIELDS, default="roles"):
                save_staff_card(actor, school, person, card)
            if _card_of(person.pk) != before:
                status = "update"
        since = card.hired_on if status == "new" else None
        for role in roles:
            if role not in held:
                with reported(row, STAFF_FIELDS, default="roles"):
                    grant_role(actor, person, role, school=school, since=since, reason="Загрузка списка сотрудников")
                status = "new" if status == "new" else "update"
        for role, grade_letter in data.roles:
            if role == Role.CLASS_TEACHER and grade_letter is not None and _appoint(actor, school, row, person, *grade_letter):
                status = "new" if status == "new" else "update"
        return Outcome(status)

    def export_rows(self, school: School, *, columns: list[Column], class_id: int | None = None) -> Iterable[list[Any]]:
        """Current staff with their cards and roles, in three queries."""
        from accounts.selectors import staff_of_school
        memberships = list(staff_of_school(school))
        people: dict[int, Any] = {}
        roles: dict[int, list[str]] = {}
        class_names = {c.pk: class_key(c.grade, c.letter) for c in SchoolClass.objects.filter(year__status="open")}
        # The hiring role first, a class teacher's classes last: as one would type them.
        order = [r for r in Role.values if r != Role.CLASS_TEACHER] + [Role.CLASS_TEACHER]
        memberships.sort(key=lambda m: (order.index(m.role), class_names.get(m.class_id or 0, "")))
        for m in memberships:
            people[m.person_id] = m.person
            label = f"классный руководитель {class_names.get(m.class_id or 0, '')}".strip() if m.role == Role.CLASS_TEACHER \
                else ROLE_SPELLINGS.get(m.role, [Role(m.role).label])[0]
            roles.setdefault(m.person_id, []).append(label)
        cards = {c.person_id: c for c in StaffCard.objects.filter(person_id__in=list(people))}
        for person in sorted(people.values(), key=lambda p: (p.surname, p.name, p.patronymic)):
            card = cards.get(person.pk)
            values = {
                "surname": person.surname, "name": person.name, "patronymic": person.patronymic,
                "sex": SEX_TEXT.get(person.sex, ""), "birth_date": person.birth_date,
                "position": card.position if card else "", "category": card.category if card else "",
                "rank": card.rank if card else "", "functions": card.functions if card else "",
                "diploma": card.diploma_speciality if card else "", "roles": "; ".join(roles[person.pk]),
                "hired_on": card.hired_on if card else None, "hire_order": card.hire_order_number if card else "",
                "login": person.login, "email": person.email,
            }
            yield [values.get(c.key, "") for c in columns]
