"""Who is a family person where, and whose data each may receive.

A parent receives their own children's data only: the link is roster.Guardianship in the
child's school, and the parent must hold a current parent membership in that school. A student
receives their own. Nothing else ever names a child in a notice."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable

from accounts.models import Membership
from accounts.roles import Role
from tenants.models import School


def family_memberships(on: dt.date, person_ids: Iterable[int] | None = None) -> dict[int, dict[int, set[str]]]:
    """{school_id: {person_id: {"parent", "student"}}} for current family memberships in real,
    non-archived schools."""
    qs = (Membership.objects.current(on).filter(role__in=[Role.PARENT, Role.STUDENT])
          .filter(school__in=School.objects.real().exclude(status="archived")))
    if person_ids is not None:
        qs = qs.filter(person_id__in=list(person_ids))
    result: dict[int, dict[int, set[str]]] = defaultdict(lambda: defaultdict(set))
    for school_id, person_id, role in qs.values_list("school_id", "person_id", "role"):
        result[school_id][person_id].add(role)
    return result


def children_in_schema(roles_by_person: dict[int, set[str]]) -> dict[int, set[int]]:
    """Inside the selected school schema: {family person: the students whose data they may receive}."""
    from roster.models import Guardianship

    parents = [p for p, roles in roles_by_person.items() if Role.PARENT in roles]
    result: dict[int, set[int]] = defaultdict(set)
    for person_id, roles in roles_by_person.items():
        if Role.STUDENT in roles:
            result[person_id].add(person_id)
    if parents:
        for parent_id, student_id in Guardianship.objects.filter(parent_id__in=parents).values_list("parent_id", "student_id"):
            result[parent_id].add(student_id)
    return result


def recipients_for_student(school: School, student_id: int, on: dt.date) -> list[int]:
    """Inside the student's school schema: the family persons who may receive this student's data."""
    from roster.models import Guardianship

    parent_ids = set(Guardianship.objects.filter(student_id=student_id).values_list("parent_id", flat=True))
    candidates = parent_ids | {student_id}
    roles = family_memberships(on, candidates).get(school.pk, {})
    return sorted(p for p, r in roles.items()
                  if (p == student_id and Role.STUDENT in r) or (p in parent_ids and Role.PARENT in r))
