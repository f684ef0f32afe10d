"""Who may write to whom inside one school (R-D06; 001 §2.3, 002 §4.4–4.5).

- Staff (any staff role in the school) write to anyone who holds a current role in it.
- A parent writes to the teachers of their children (teaching load and timetable), the class
  teachers of their children's classes and the administration; to the other parents of their
  children's classes only when the school allows it (MessagingSettings).
- A student writes to their teachers, their class teacher and the administration
  (002 §4.5: students "ведут переписку с классным руководителем, педагогами и администрацией").
- Anyone in a conversation may answer in it: a parent answers the secretary who wrote to them.
  Families are kept apart (see `families_of` and services.start_conversations): a conversation
  holds one family unless the school allows parents to write to parents, and a family member does
  not answer in a conversation that holds another family when that is not allowed.

Every circle is computed in a constant number of queries, whatever the size of the school."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils import timezone

from accounts.models import Membership
from accounts.roles import STAFF_ROLES, Role

if TYPE_CHECKING:
    from accounts.models import Person
    from accounts.selectors import Access
    from tenants.models import School

ADMIN_ROLES = frozenset({Role.DIRECTOR, Role.DEPUTY, Role.SCHOOL_ADMIN})


def today() -> dt.date:
    return timezone.localdate()


def roles_here(access: Access, school: School) -> set[str]:
    """The person's own roles in the school (a district administrator holds none here)."""
    entry = access.schools.get(school.pk)
    return set(entry.roles) if entry else set()


def is_staff(roles: set[str]) -> bool:
    return bool(roles & STAFF_ROLES)


def is_admin(roles: set[str]) -> bool:
    return bool(roles & ADMIN_ROLES)


def current_member_ids(school: School, person_ids: Iterable[int] | None = None) -> set[int]:
    """People holding a current role in the school (optionally among `person_ids`). One query."""
    qs = Membership.objects.current().filter(school=school)
    if person_ids is not None:
        qs = qs.filter(person_id__in=list(person_ids))
    return set(qs.values_list("person_id", flat=True))


@dataclass
class Circle:
    """Whom `person` may start a conversation with. `everyone`: any current member of the
    school (staff); otherwise `reasons` maps each allowed person id to why, for the picker."""

    person_id: int
    everyone: bool = False
    reasons: dict[int, list[str]] = field(default_factory=dict)

    def add(self, person_id: int | None, reason: str) -> None:
        if person_id is not None and person_id != self.person_id:
            self.reasons.setdefault(person_id, []).append(reason)

    def permits(self, person_id: int) -> bool:
        """Before the membership check (see `refused`), which is done for all targets at once."""
        return person_id != self.person_id and (self.everyone or person_id in self.reasons)


def _teachers_of_classes(circle: Circle, classes: dict[int, str], subgroup_ids: set[int]) -> None:
    """Teachers of these classes by the teaching load and the timetable now in force; a subgroup's
    teacher only for that subgroup's members. The class teacher from the roster. Three queries."""
    from curriculum.models import TeachingAssignment
    from roster.models import SchoolClass
    from timetable.models import TimetableEntry

    in_group = Q(subgroup__isnull=True) | Q(subgroup_id__in=subgroup_ids)
    day = today()
    load = (TeachingAssignment.objects.filter(in_group, school_class_id__in=list(classes))
            .values_list("teacher_id", "subject__name", "school_class_id"))
    timetable = (TimetableEntry.objects.filter(in_group, school_class_id__in=list(classes), valid_from__lte=day)
                 .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
                 .values_list("teacher_id", "subject__name", "school_class_id").order_by().distinct())
    for teacher_id, subject, class_id in [*load, *timetable]:
        reason = f"учитель ({subject}, {classes[class_id]})"
        if reason not in circle.reasons.get(teacher_id, []):
            circle.add(teacher_id, reason)
    for class_id, teacher_id in SchoolClass.objects.filter(pk__in=list(classes)).values_list("pk", "class_teacher_id"):
        circle.add(teacher_id, f"классный руководитель {classes[class_id]}")


def _administration(circle: Circle, school: School) -> None:
    rows = Membership.objects.current().filter(school=school, role__in=sorted(ADMIN_ROLES)).values_list("person_id", "role")
    for person_id, role in rows:
        circle.add(person_id, f"администрация ({Role(role).label})")


def _class_names(class_ids: Iterable[int]) -> dict[int, str]:
    from roster.models import SchoolClass

    return {c.pk: c.name for c in SchoolClass.objects.filter(pk__in=list(class_ids))}


def circle_of(person: Person, access: Access, school: School) -> Circle:
    """The circle of `person` in the selected school's schema."""
    from roster.models import Enrolment, Guardianship, SubgroupMember

    from .models import MessagingSettings

    roles = roles_here(access, school)
    circle = Circle(person_id=person.pk, everyone=is_staff(roles))
    if circle.everyone or not roles:
        return circle
    family_students: set[int] = set()
    if Role.STUDENT in roles:
        family_students.add(person.pk)
    children: set[int] = set()
    if Role.PARENT in roles:
        children = set(Guardianship.objects.filter(parent_id=person.pk).values_list("student_id", flat=True))
        family_students |= children
    enrolments = list(Enrolment.objects.filter(student_id__in=family_students, until__isnull=True)
                      .values_list("student_id", "school_class_id"))
    classes = _class_names({class_id for _, class_id in enrolments})
    if classes:
        subgroups = set(SubgroupMember.objects.filter(student_id__in=family_students).values_list("subgroup_id", flat=True))
        _teachers_of_classes(circle, classes, subgroups)
    _administration(circle, school)
    if children and classes and MessagingSettings.current().parents_may_write_parents:
        student_class = dict(Enrolment.objects.filter(school_class_id__in=list(classes), until__isnull=True)
                             .values_list("student_id", "school_class_id"))
        rows = Guardianship.objects.filter(student_id__in=list(student_class)).values_list("parent_id", "student_id")
        for parent_id, student_id in rows:
            reason = f"родитель ({classes[student_class[student_id]]})"
            if reason not in circle.reasons.get(parent_id, []):
                circle.add(parent_id, reason)
    return circle


def refused(circle: Circle, school: School, person_ids: Iterable[int]) -> list[int]:
    """Those of `person_ids` whom the circle's owner may not write to: outside the circle, or
    holding no current role in the school (they could not read it). One query."""
    wanted = set(person_ids)
    members = current_member_ids(school, wanted)
    return sorted(pid for pid in wanted if not (circle.permits(pid) and pid in members))


@dataclass
class Families:
    """The people of a message split by who they are: `staff` (a current staff role here, whatever
    else they are) and `groups`, each one family — parents and students linked by the
    guardianships of this school, two parents of one child together. Groups in the order of
    their smallest person id; people holding no current role here are in neither."""

    staff: list[int]
    groups: list[list[int]]
    students: set[int] = field(default_factory=set)  # the students among the families' people


def families_of(school: School, person_ids: Iterable[int]) -> Families:
    """Splits `person_ids` into staff and families. Two queries (their roles, their guardianships)."""
    from roster.models import Guardianship

    ids = sorted(set(person_ids))
    roles: dict[int, set[str]] = {}
    for pid, role in Membership.objects.current().filter(school=school, person_id__in=ids).values_list("person_id", "role"):
        roles.setdefault(pid, set()).add(role)
    staff = [pid for pid in ids if is_staff(roles.get(pid, set()))]
    # People without a current role here (a teacher who left) read nothing more: in no group.
    family = [pid for pid in ids if pid in roles and not is_staff(roles[pid])]
    students = {pid for pid in family if Role.STUDENT in roles[pid]}
    # Union-find over parent–child links; a child outside the message still joins its two parents.
    root: dict[int, int] = {}

    def find(x: int) -> int:
        root.setdefault(x, x)
        while root[x] != x:
            root[x] = root[root[x]]
            x = root[x]
        return x

    if family:
        links = Guardianship.objects.filter(Q(parent_id__in=family) | Q(student_id__in=family)).values_list("parent_id", "student_id")
        for parent_id, student_id in links:
            a, b = find(parent_id), find(student_id)
            if a != b:
                root[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = {}
    for pid in family:
        groups.setdefault(find(pid), []).append(pid)
    return Families(staff=staff, groups=sorted(groups.values(), key=min), students=students)


def families_may_share(families: Families, parents_may_write_parents: bool) -> bool:
    """Whether these families may be in one conversation (R-D06): one family always; several only
    where the school allows parents to write to parents, and never with a student among them
    (students write to their teachers and the administration, 002 §4.5)."""
    return len(families.groups) <= 1 or (parents_may_write_parents and not families.students)
