"""Reads about people and what they may do. `access_for` is computed once per request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import QuerySet

from .models import Membership, Person
from .roles import ALL_SCHOOL_PERMS, FAMILY_ROLES, ROLE_PERMS, STAFF_ROLES, TWO_FACTOR_ROLES, Perm, Role, perms_of

if TYPE_CHECKING:
    from tenants.models import School


@dataclass
class SchoolAccess:
    school: School
    roles: set[str] = field(default_factory=set)
    class_teacher_of: set[int] = field(default_factory=set)

    @property
    def perms(self) -> frozenset[str]:
        return perms_of(self.roles)

    @property
    def role_labels(self) -> list[str]:
        order = [r.value for r in Role]
        return [str(Role(r).label) for r in sorted(self.roles, key=order.index)]


@dataclass
class Access:
    person: Person
    district_roles: set[str]
    schools: dict[int, SchoolAccess]

    @property
    def is_district_admin(self) -> bool:
        return Role.DISTRICT_ADMIN in self.district_roles

    def roles_in(self, school: School | None) -> set[str]:
        if school is None:
            return set(self.district_roles)
        entry = self.schools.get(school.pk)
        return set(entry.roles) if entry else set()

    def perms_in(self, school: School | None) -> frozenset[str]:
        if school is None:
            return perms_of(self.district_roles)
        own = perms_of(self.roles_in(school))
        if self.is_district_admin:
            return own | ALL_SCHOOL_PERMS
        return own

    def can(self, perm: str, school: School | None = None) -> bool:
        return perm in self.perms_in(school)

    def is_member_of(self, school: School) -> bool:
        return school.pk in self.schools or self.is_district_admin

    def is_class_teacher_of(self, school: School, class_id: int) -> bool:
        entry = self.schools.get(school.pk)
        return bool(entry and class_id in entry.class_teacher_of)

    @property
    def all_roles(self) -> set[str]:
        roles = set(self.district_roles)
        for entry in self.schools.values():
            roles |= entry.roles
        return roles

    @property
    def needs_two_factor(self) -> bool:
        return bool(self.all_roles & TWO_FACTOR_ROLES)

    @property
    def school_list(self) -> list[SchoolAccess]:
        return sorted(self.schools.values(), key=lambda e: e.school.short_name)


def access_for(person: Any) -> Access:
    cached = getattr(person, "_zhurnal_access", None)
    if cached is not None:
        return cached
    district: set[str] = set()
    schools: dict[int, SchoolAccess] = {}
    memberships = Membership.objects.current().filter(person_id=person.pk).select_related("school")
    for m in memberships:
        if m.school_id is None:
            district.add(m.role)
            continue
        assert m.school is not None
        if m.school.schema_name == _template_schema():
            continue
        entry = schools.setdefault(m.school_id, SchoolAccess(school=m.school))
        entry.roles.add(m.role)
        if m.role == Role.CLASS_TEACHER and m.class_id:
            entry.class_teacher_of.add(m.class_id)
    access = Access(person=person, district_roles=district, schools=schools)
    person._zhurnal_access = access
    return access


def forget_access(person: Any) -> None:
    if hasattr(person, "_zhurnal_access"):
        del person._zhurnal_access


def _template_schema() -> str:
    from django.conf import settings

    return str(settings.ZHURNAL_TEMPLATE_SCHEMA)


def is_staff_person(person: Person) -> bool:
    """Staff or district official (the stricter password and session rules apply)."""
    roles = access_for(person).all_roles
    return bool(roles - FAMILY_ROLES) or not roles


def people_of_school(school: School) -> QuerySet[Membership]:
    return (
        Membership.objects.current()
        .filter(school=school)
        .select_related("person", "granted_by")
        .order_by("person__surname", "person__name", "role")
    )


def staff_of_school(school: School) -> QuerySet[Membership]:
    return people_of_school(school).filter(role__in=[r.value for r in STAFF_ROLES])


__all__ = ["ROLE_PERMS", "Access", "Perm", "SchoolAccess", "access_for", "forget_access", "people_of_school", "staff_of_school"]


def overdue_accounts(school: School, today: Any = None) -> list[Membership]:
    """People whose account was not handed over within 3 working days of the enrolment
    or hiring order (004 §XII, R-A05): no slip issued and no password of their own.

    The clock runs from the order's date (`Membership.since`); an order registered in the
    platform late is still counted from its own date. But an order dated before the school
    joined the platform (`school_platform_start`: its creation date, also for a school joining
    mid-year; the people of the initial data entry, 004 §II, imported with their old enrolment
    or hiring orders) could not have been followed by a handover: for them the clock runs from the later of the order and
    the day the role was entered (`Membership.created_at`). `handover_from` is set on each row."""
    import datetime as dt

    from django.conf import settings
    from django.utils import timezone

    from core.workdays import add_working_days

    from .models import ActivationCode

    day: dt.date = today or timezone.localdate()
    rows = list(
        people_of_school(school)
        .filter(person__credentials_set_at__isnull=True, person__is_active=True)
        .exclude(person__in=ActivationCode.objects.values("person"))
    )
    platform_start = school_platform_start(school)
    result = []
    for m in rows:
        start = m.since
        if platform_start is not None and m.since < platform_start:
            start = max(m.since, timezone.localdate(m.created_at))
        due = add_working_days(start, settings.ACCOUNT_HANDOVER_WORKING_DAYS)
        if due < day:
            m.handover_from = start  # type: ignore[attr-defined]
            m.handover_due = due  # type: ignore[attr-defined]
            result.append(m)
    return result


def school_platform_start(school: School) -> Any:
    """The day the school joined the platform: the date its tenant was created (R-A05). A school
    joining mid-year has a first academic year that began months before (1 September), and the
    orders of those months were no more followed by a handover than older ones. Without a
    creation time (a row from before the field), the day of its first import, else None. Read
    from the school's schema by its qualified name: the connection's schema stays as it is."""
    from django.db import connection
    from django.utils import timezone

    created = getattr(school, "created_at", None)
    if created is not None:
        return timezone.localdate(created)
    quoted = connection.ops.quote_name(school.schema_name)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(created_at) FROM {quoted}.bulkimport_importjob")  # noqa: S608 - a quoted schema name
        row = cursor.fetchone()
    return timezone.localdate(row[0]) if row and row[0] is not None else None


# --- many people at once (the bulk import, R-Y07) ---------------------------------------------

MatchKey = tuple[str, str, str, Any]  # (UPPER(surname), UPPER(name), UPPER(patronymic), birth_date)


def match_people(wanted: list[tuple[str, str, str, Any]]) -> tuple[list[MatchKey], dict[MatchKey, list[Person]]]:
    """`find_or_create_person`'s match for many people in two queries: each (surname, name,
    patronymic, birth_date) of `wanted` (stripped) against the active people of the district,
    case-insensitively as `iexact` does (UPPER on both sides; the index person_match_idx).
    Returns each wanted entry's key as the database upper-cases it (so that two spellings in
    one file fold exactly as the database would fold them) and the people found per key."""
    from django.db import connection

    if not wanted:
        return [], {}
    surnames, names, patronymics, births = (list(column) for column in zip(*wanted, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT v.i, UPPER(v.s), UPPER(v.n), UPPER(v.p), p.id "
            "FROM unnest(%s::text[], %s::text[], %s::text[], %s::date[]) WITH ORDINALITY AS v(s, n, p, b, i) "
            "LEFT JOIN accounts_person p ON UPPER(p.surname) = UPPER(v.s) AND UPPER(p.name) = UPPER(v.n) "
            "AND p.birth_date = v.b AND UPPER(p.patronymic) = UPPER(v.p) AND p.is_active "
            "ORDER BY v.i, p.id",
            [surnames, names, patronymics, births],
        )
        found = cursor.fetchall()
    keys: list[MatchKey] = [("", "", "", None)] * len(wanted)
    ids: dict[MatchKey, list[int]] = {}
    for index, surname, name, patronymic, person_id in found:
        key = (surname, name, patronymic, wanted[index - 1][3])
        keys[index - 1] = key
        if person_id is not None and person_id not in ids.setdefault(key, []):
            ids[key].append(person_id)
    people = Person.objects.in_bulk([i for group in ids.values() for i in group]) if ids else {}
    return keys, {key: [people[i] for i in group if i in people] for key, group in ids.items()}


def people_by_login(logins: set[str]) -> dict[str, Person]:
    return {p.login: p for p in Person.objects.filter(login__in=sorted(logins))} if logins else {}


def logins_like(candidates: set[str]) -> set[str]:
    """The logins `accounts.services.free_login` must step over for each of `candidates`: the
    candidate itself and the candidate followed by digits (a superset: every login equal to a
    candidate once trailing digits are dropped from both). One scan, no pattern per candidate."""
    if not candidates:
        return set()
    from django.db import connection

    stems = sorted({c.rstrip("0123456789") for c in candidates})
    with connection.cursor() as cursor:
        cursor.execute("SELECT login FROM accounts_person WHERE regexp_replace(login, '[0-9]+$', '') = ANY(%s::text[])", [stems])
        return {row[0] for row in cursor.fetchall()}
