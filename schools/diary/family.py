"""Who may open whose diary, across the district (R-D02, R-A02).

The account is district-wide (accounts.Person); a parent's link to a child lives in each school's
schema (roster.Guardianship), so the list of a family's children is read school by school, in the
schools where the person holds a parent or student role. The list feeds the entry page and the
one-tap child switch; it is kept in the session so that a diary page does not read every school
for it, and read again when it may be out of date: on /diary/ (the «Дневник» link); when the
schools where the person is a parent or student changed (their roles are on every request
anyway); when the family stamp of the page's school (selectors.FAMILY_STAMP_SQL, read in the
child's own query: no extra query) differs from the one kept — a child linked, unlinked, enrolled
or moved. A newly linked child therefore appears in the switch on the next diary page, without a
visit to /diary/. The list decides nothing: every
diary page and endpoint checks the reader's link to the child again (diary.access)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection
from django_tenants.utils import schema_context

from accounts.roles import FAMILY_ROLES, Role
from accounts.selectors import access_for

from .selectors import FAMILY_STAMP_SQL

if TYPE_CHECKING:
    from django.http import HttpRequest

SESSION_KEY = "diary_family"


@dataclass(frozen=True)
class FamilyChild:
    school_slug: str
    school_name: str
    child_id: int
    name: str  # "Смирнов Артём"
    class_name: str  # "5А", "" when not enrolled now
    is_self: bool  # the reader is this student

    @property
    def key(self) -> str:
        return f"{self.school_slug}/{self.child_id}"


def family_children(person: Any, stamps: dict[str, str] | None = None) -> list[FamilyChild]:
    """The children `person` may read the diary of, in every school where they are a parent or a
    student: two queries per such school (the links, then the open enrolments with names). With
    `stamps`, also each school's family stamp into it (one more query per school)."""
    from roster.models import Enrolment, Guardianship

    result: list[FamilyChild] = []
    for entry in _family_schools(person):
        roles = entry.roles & FAMILY_ROLES
        with schema_context(entry.school.schema_name):
            ids: set[int] = {person.pk} if Role.STUDENT in roles else set()
            if Role.PARENT in roles:
                ids |= set(Guardianship.objects.filter(parent_id=person.pk).values_list("student_id", flat=True))
            rows = (Enrolment.objects.filter(student_id__in=ids, until__isnull=True)
                    .select_related("student", "school_class").order_by("student__birth_date", "student__name"))
            for enrolment in rows:
                student = enrolment.student
                result.append(FamilyChild(entry.school.slug, entry.school.short_name, student.pk, f"{student.surname} {student.name}",
                                          enrolment.school_class.name, student.pk == person.pk))
            if stamps is not None:
                stamps[entry.school.slug] = family_stamp(person.pk)
    return result


def _family_schools(person: Any) -> list[Any]:
    """The access entries of the schools where the person is a parent or a student (not archived)."""
    return [entry for entry in access_for(person).school_list
            if entry.roles & FAMILY_ROLES and entry.school.status != "archived"]


def family_stamp(person_id: int) -> str:
    """The family stamp of `person_id` in the selected school's schema (selectors.FAMILY_STAMP_SQL)."""
    with connection.cursor() as cursor:
        cursor.execute(FAMILY_STAMP_SQL, [person_id] * 3)
        row = cursor.fetchone()
    return str(row[0]) if row else ""


@dataclass(frozen=True)
class Here:
    """The diary page being shown: its school and the family stamp read with the child."""

    school_slug: str
    family_stamp: str


def _stale(saved: dict[str, Any], user: Any, here: Here | None) -> bool:
    if saved.get("person") != user.pk or not isinstance(saved.get("stamps"), dict):
        return True
    if sorted(saved.get("schools") or []) != sorted(e.school.slug for e in _family_schools(user)):
        return True  # a parent or student role in one more school, or one fewer
    if here is None:
        return False
    # A school missing from the stamps (archived: not listed) is never stale, or each page would read all.
    stamps: dict[str, str] = saved["stamps"]
    return here.school_slug in stamps and stamps[here.school_slug] != here.family_stamp


def cached_children(request: HttpRequest, *, refresh: bool = False, here: Here | None = None) -> list[FamilyChild]:
    """`family_children` kept in the session (the switch on every page); `refresh` reads it again,
    and so does a stale copy (see the module's docstring; `here`: the page being shown)."""
    user: Any = request.user
    saved = request.session.get(SESSION_KEY)
    if not refresh and isinstance(saved, dict) and not _stale(saved, user, here):
        return [FamilyChild(**row) for row in saved.get("children", [])]
    stamps: dict[str, str] = {}
    children = family_children(user, stamps)
    request.session[SESSION_KEY] = {"person": user.pk, "at": time.time(), "children": [asdict(c) for c in children],
                                    "stamps": stamps, "schools": sorted(stamps)}
    return children
