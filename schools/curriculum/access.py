"""Fetch-and-authorise helpers of the curriculum pages and API (each calls
core.access.access_school first: a stranger learns nothing, not even whether an object exists).

Who reads what (R-Y03): subjects — every staff member; the curriculum and the load of the
whole school — staff who see the school's people lists (Perm.VIEW_PEOPLE) and those who
form the curriculum (Perm.MANAGE_CURRICULUM); a class's curriculum — also its teachers
(a teaching assignment there) and its class teacher. Writes need MANAGE_CURRICULUM."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

from accounts.roles import FAMILY_ROLES, Perm
from core.access import access_school
from core.errors import NotFound, PermissionDenied
from roster.models import SchoolClass

from .selectors import teacher_class_ids

if TYPE_CHECKING:
    from accounts.selectors import Access
    from tenants.models import School


def reads_everything(access: Access, school: School) -> bool:
    return access.can(Perm.VIEW_PEOPLE, school) or access.can(Perm.MANAGE_CURRICULUM, school)


def is_staff(access: Access, school: School) -> bool:
    return access.is_district_admin or bool(access.roles_in(school) - FAMILY_ROLES)


def access_staff(request: HttpRequest) -> tuple[School, Access]:
    """Any staff member of the school (families are refused)."""
    school, access = access_school(request)
    if not is_staff(access, school):
        raise PermissionDenied("Раздел доступен сотрудникам школы.")
    return school, access


def access_overview(request: HttpRequest, perm: str | None = None) -> tuple[School, Access]:
    """The whole school's curriculum or load: VIEW_PEOPLE or MANAGE_CURRICULUM (and `perm`)."""
    school, access = access_school(request, perm)
    if not reads_everything(access, school):
        raise PermissionDenied("Учебный план школы видят администрация и заместитель директора.")
    return school, access


def own_class_ids(request: HttpRequest, access: Access, school: School) -> set[int]:
    """The classes a teacher may read the curriculum of: where they teach or lead."""
    user: Any = request.user
    entry = access.schools.get(school.pk)
    return teacher_class_ids(user.pk) | (entry.class_teacher_of if entry else set())


def access_class(request: HttpRequest, class_id: int) -> tuple[School, Access, SchoolClass]:
    school, access = access_school(request)
    # Rights first: an outsider learns nothing, not even whether the class exists.
    if not (reads_everything(access, school) or (is_staff(access, school) and class_id in own_class_ids(request, access, school))):
        raise PermissionDenied("Учебный план этого класса вам недоступен.")
    school_class = SchoolClass.objects.select_related("year", "class_teacher").filter(pk=class_id).first()
    if school_class is None:
        raise NotFound("Класс не найден.")
    return school, access, school_class


def may_manage(access: Access, school: School) -> bool:
    return access.can(Perm.MANAGE_CURRICULUM, school)
