"""Who may open whose diary, across the district (R-D02, R-A02).

The account is district-wide (accounts.Person); a parent's link to a child lives in each school's
schema (roster.Guardianship), so the list of a family's children is read school by school, in the
schools where the person holds a parent or student role. The list feeds the entry page and the
one-tap child switch; it is kept in the session, read again each time the family opens /diary/
(the «Дневник» link), so that a diary page never pays for it. It decides nothing: every diary
page and endpoint checks the reader's link to the child again (diary.access)."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from django_tenants.utils import schema_context

from accounts.roles import FAMILY_ROLES, Role
from accounts.selectors import access_for

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


def family_children(person: Any) -> list[FamilyChild]:
    """The children `person` may read the diary of, in every school where they are a parent or a
    student: two queries per such school (the links, then the open enrolments with names)."""
    from roster.models import Enrolment, Guardianship

    result: list[FamilyChild] = []
    for entry in access_for(person).school_list:
        roles = entry.roles & FAMILY_ROLES
        if not roles or entry.school.status == "archived":
            continue
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
    return result


def cached_children(request: HttpRequest, *, refresh: bool = False) -> list[FamilyChild]:
    """`family_children` kept in the session (the switch on every page); `refresh` reads it again."""
    user: Any = request.user
    saved = request.session.get(SESSION_KEY)
    if not refresh and isinstance(saved, dict) and saved.get("person") == user.pk:
        return [FamilyChild(**row) for row in saved.get("children", [])]
    children = family_children(user)
    request.session[SESSION_KEY] = {"person": user.pk, "at": time.time(), "children": [asdict(c) for c in children]}
    return children
