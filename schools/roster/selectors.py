"""Reads inside the current school's schema (the request's school is already selected).
Every list here costs a constant number of queries whatever the number of rows: rows of
the school's schema first, then the people they name (public schema) in one query."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from accounts.models import Membership, Person
from accounts.roles import STAFF_ROLES, Perm

from .models import (
    Enrolment,
    GuardianKind,
    Guardianship,
    MovementOrder,
    PersonalDataSettings,
    PersonCard,
    SchoolClass,
    StaffCard,
    Subgroup,
    SubgroupMember,
)

# PersonCard field -> the PersonalDataSettings switch that allows it (R-A06).
CARD_FIELDS: dict[str, str] = {
    "phone": "collect_phone", "address": "collect_address", "email": "collect_email", "snils": "collect_snils",
}


def classes() -> QuerySet[SchoolClass]:
    return SchoolClass.objects.select_related("class_teacher").order_by("grade", "letter")


def classes_of_year(year_id: int | None) -> list[SchoolClass]:
    """The year's classes (all classes when no year is given), each with `student_count`:
    students enrolled now. One query."""
    qs = classes().select_related("year").annotate(
        student_count=Count("enrolments", filter=Q(enrolments__until__isnull=True)),
    )
    if year_id is not None:
        qs = qs.filter(year_id=year_id)
    return list(qs)


def student_ids_of_classes(class_ids: Iterable[int]) -> set[int]:
    return set(Enrolment.objects.filter(school_class_id__in=list(class_ids), until__isnull=True).values_list("student_id", flat=True))


def family_person_ids_of_classes(class_ids: Iterable[int]) -> set[int]:
    """Students currently in the classes and their legal representatives."""
    students = student_ids_of_classes(class_ids)
    parents = set(Guardianship.objects.filter(student_id__in=students).values_list("parent_id", flat=True))
    return students | parents


def children_of(parent_id: int) -> set[int]:
    return set(Guardianship.objects.filter(parent_id=parent_id).values_list("student_id", flat=True))


def class_families(class_id: int) -> list[dict]:
    """Each current student of the class with their legal representatives, in two queries
    plus one for the people, whatever the class size."""
    enrolments = list(Enrolment.objects.filter(school_class_id=class_id, until__isnull=True).values_list("student_id", flat=True))
    links = list(Guardianship.objects.filter(student_id__in=enrolments).values_list("student_id", "parent_id", "kind"))
    people = Person.objects.in_bulk(set(enrolments) | {p for _, p, _ in links})
    by_student: dict[int, list[tuple[Person, str]]] = {}
    for student_id, parent_id, kind in links:
        by_student.setdefault(student_id, []).append((people[parent_id], GuardianKind(kind).label))
    rows = [{"student": people[s], "parents": by_student.get(s, [])} for s in enrolments if s in people]
    rows.sort(key=lambda r: (r["student"].surname, r["student"].name))  # type: ignore[attr-defined]
    return rows


# --- who is who in this school ------------------------------------------------------------

def own_class_ids(access: Any, school: Any) -> set[int]:
    """The classes whose class teacher `access` is in `school`."""
    entry = access.schools.get(school.pk)
    return set(entry.class_teacher_of) if entry else set()


def sees_all_people(access: Any, school: Any) -> bool:
    return bool(access.can(Perm.VIEW_PEOPLE, school))


def current_enrolment(student_id: int) -> Enrolment | None:
    return (Enrolment.objects.filter(student_id=student_id, until__isnull=True)
            .select_related("school_class__year", "order_in").first())


def is_student_here(person_id: int) -> bool:
    """Has studied in this school (any enrolment, open or closed)."""
    return Enrolment.objects.filter(student_id=person_id).exists()


def is_parent_here(person_id: int) -> bool:
    return Guardianship.objects.filter(parent_id=person_id).exists()


def is_staff_here(school: Any, person_id: int) -> bool:
    return Membership.objects.filter(school=school, person_id=person_id, role__in=[r.value for r in STAFF_ROLES]).exists()


def current_students(class_id: int) -> list[Person]:
    ids = student_ids_of_classes([class_id])
    return sorted(Person.objects.filter(pk__in=ids), key=lambda p: (p.surname, p.name, p.patronymic))


# --- students -------------------------------------------------------------------------------

@dataclass
class StudentRow:
    person: Person
    enrolment: Enrolment | None  # the open one; None for those who left

    @property
    def school_class(self) -> SchoolClass | None:
        return self.enrolment.school_class if self.enrolment else None


def student_rows(*, q: str = "", class_id: int | None = None, class_ids: set[int] | None = None,
                 left: bool = False) -> list[StudentRow]:
    """Students enrolled now (or, with `left`, those who have left), optionally of one class or
    of a set of classes (a class teacher's), whose name or login contains `q`. Two queries."""
    if left:
        open_ids = Enrolment.objects.filter(until__isnull=True).values("student_id")
        student_ids = set(Enrolment.objects.exclude(student_id__in=open_ids).values_list("student_id", flat=True))
        enrolments: dict[int, Enrolment | None] = dict.fromkeys(student_ids)
    else:
        qs = Enrolment.objects.filter(until__isnull=True).select_related("school_class")
        if class_id is not None:
            qs = qs.filter(school_class_id=class_id)
        if class_ids is not None:
            qs = qs.filter(school_class_id__in=class_ids)
        enrolments = {e.student_id: e for e in qs}
    people = Person.objects.filter(pk__in=list(enrolments))
    for word in q.split()[:4]:
        people = people.filter(Q(surname__icontains=word) | Q(name__icontains=word) | Q(patronymic__icontains=word)
                               | Q(login__icontains=word))
    rows = [StudentRow(person=p, enrolment=enrolments[p.pk]) for p in people]
    rows.sort(key=lambda r: (r.person.surname, r.person.name, r.person.patronymic, r.person.pk))
    return rows


def student_history(student_id: int) -> list[Enrolment]:
    """Every class the student has been in, oldest first, with the orders in and out. One query."""
    return list(Enrolment.objects.filter(student_id=student_id)
                .select_related("school_class__year", "order_in", "order_out").order_by("since", "id"))


def guardians_of(student_id: int) -> list[tuple[Guardianship, Person]]:
    links = list(Guardianship.objects.filter(student_id=student_id).order_by("kind", "id"))
    people = Person.objects.in_bulk([g.parent_id for g in links])
    return [(g, people[g.parent_id]) for g in links if g.parent_id in people]


def children_rows(parent_id: int) -> list[tuple[Guardianship, Person, Enrolment | None]]:
    """A parent's children in this school with their current class (None: left)."""
    links = list(Guardianship.objects.filter(parent_id=parent_id).order_by("id"))
    ids = [g.student_id for g in links]
    people = Person.objects.in_bulk(ids)
    open_rows = {e.student_id: e for e in Enrolment.objects.filter(student_id__in=ids, until__isnull=True).select_related("school_class")}
    return [(g, people[g.student_id], open_rows.get(g.student_id)) for g in links if g.student_id in people]


@dataclass
class ParentRow:
    person: Person
    children: list[tuple[str, Person, SchoolClass | None]] = field(default_factory=list)  # (kind label, child, class)


def parent_rows(*, q: str = "", class_ids: set[int] | None = None) -> list[ParentRow]:
    """Legal representatives with their children and the children's classes; of the given
    classes only when `class_ids` is set. Three queries."""
    links = Guardianship.objects.all()
    open_rows = Enrolment.objects.filter(until__isnull=True).select_related("school_class")
    if class_ids is not None:
        open_rows = open_rows.filter(school_class_id__in=class_ids)
    enrolment_of = {e.student_id: e for e in open_rows}
    if class_ids is not None:
        links = links.filter(student_id__in=list(enrolment_of))
    pairs = list(links.values_list("parent_id", "student_id", "kind"))
    by_id = Person.objects.in_bulk({p for p, _, _ in pairs} | {s for _, s, _ in pairs})
    rows: dict[int, ParentRow] = {}
    for parent_id, student_id, kind in pairs:
        if parent_id not in by_id or student_id not in by_id:
            continue
        row = rows.setdefault(parent_id, ParentRow(person=by_id[parent_id]))
        enrolment = enrolment_of.get(student_id)
        row.children.append((GuardianKind(kind).label, by_id[student_id], enrolment.school_class if enrolment else None))
    result = sorted(rows.values(), key=lambda r: (r.person.surname, r.person.name, r.person.pk))
    if q:
        words = [w.casefold() for w in q.split()[:4]]
        result = [r for r in result if all(w in _haystack(r.person) for w in words)]
    return result


def _haystack(person: Person) -> str:
    return f"{person.surname} {person.name} {person.patronymic} {person.login}".casefold()


# --- subgroups --------------------------------------------------------------------------------

@dataclass
class SubgroupRow:
    subgroup: Subgroup
    members: list[Person]


def subgroup_rows(class_id: int) -> list[SubgroupRow]:
    """The class's subgroups with their members who are in the class now. Three queries."""
    groups = list(Subgroup.objects.filter(school_class_id=class_id).order_by("kind", "name"))
    current = student_ids_of_classes([class_id])
    pairs = list(SubgroupMember.objects.filter(subgroup__school_class_id=class_id, student_id__in=current)
                 .values_list("subgroup_id", "student_id"))
    people = Person.objects.in_bulk({s for _, s in pairs})
    by_group: dict[int, list[Person]] = {}
    for group_id, student_id in pairs:
        if student_id in people:
            by_group.setdefault(group_id, []).append(people[student_id])
    return [SubgroupRow(subgroup=g, members=sorted(by_group.get(g.pk, []), key=lambda p: (p.surname, p.name)))
            for g in groups]


# --- orders ------------------------------------------------------------------------------------

@dataclass
class OrderRow:
    order: MovementOrder
    moves: list[tuple[Person, str]]  # (student, "5А → 5Б" / "→ 5А" / "5А →")


def order_rows(*, kind: str = "", limit: int = 500) -> list[OrderRow]:
    """Orders on student movement, newest first, each with the students it moved. Three queries."""
    qs = MovementOrder.objects.all()
    if kind:
        qs = qs.filter(kind=kind)
    orders = list(qs.order_by("-date", "-id")[:limit])
    ids = [o.pk for o in orders]
    rows = list(Enrolment.objects.filter(Q(order_in_id__in=ids) | Q(order_out_id__in=ids)).select_related("school_class")
                .order_by("since", "id"))
    people = Person.objects.in_bulk({e.student_id for e in rows})
    # A transfer closes one row and opens another with the same order: pair them per student.
    moves: dict[int, dict[int, list[str]]] = {}
    for e in rows:
        if e.order_out_id in ids:
            moves.setdefault(e.order_out_id, {}).setdefault(e.student_id, ["", ""])[0] = e.school_class.name
        if e.order_in_id in ids:
            moves.setdefault(e.order_in_id, {}).setdefault(e.student_id, ["", ""])[1] = e.school_class.name
    result = []
    for order in orders:
        per_student = moves.get(order.pk, {})
        lines = [(people[s], f"{out} → {into}".strip()) for s, (out, into) in per_student.items() if s in people]
        lines.sort(key=lambda line: (line[0].surname, line[0].name))
        result.append(OrderRow(order=order, moves=lines))
    return result


# --- cards --------------------------------------------------------------------------------------

def personal_data_settings() -> PersonalDataSettings:
    return PersonalDataSettings.current()


def collected_fields(settings: PersonalDataSettings | None = None) -> list[str]:
    """PersonCard fields the school collects now, in display order."""
    settings = settings or personal_data_settings()
    return [name for name, flag in CARD_FIELDS.items() if getattr(settings, flag)]


def card_of(person_id: int) -> PersonCard | None:
    return PersonCard.objects.filter(person_id=person_id).first()


def stored_but_not_collected(settings: PersonalDataSettings | None = None) -> dict[str, int]:
    """How many cards still hold a field the school no longer collects (offered for erasure). One query."""
    settings = settings or personal_data_settings()
    off = [name for name, flag in CARD_FIELDS.items() if not getattr(settings, flag)]
    if not off:
        return {}
    counts = PersonCard.objects.aggregate(**{name: Count("pk", filter=~Q(**{name: ""})) for name in off})
    return {name: counts[name] for name in off if counts[name]}


@dataclass
class StaffRow:
    person: Person
    roles: list[str]
    since: Any
    card: StaffCard | None


def staff_rows(school: Any) -> list[StaffRow]:
    """Current staff of the school with their roles and staff cards. Two queries."""
    memberships = list(Membership.objects.current().filter(school=school, role__in=[r.value for r in STAFF_ROLES])
                       .select_related("person").order_by("person__surname", "person__name", "since"))
    cards = {c.person_id: c for c in StaffCard.objects.filter(person_id__in={m.person_id for m in memberships})}
    rows: dict[int, StaffRow] = {}
    for m in memberships:
        row = rows.setdefault(m.person_id, StaffRow(person=m.person, roles=[], since=m.since, card=cards.get(m.person_id)))
        label = str(m.get_role_display())
        if label not in row.roles:
            row.roles.append(label)
        row.since = min(row.since, m.since)
    return list(rows.values())
