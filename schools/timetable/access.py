"""Fetch-and-authorise helpers of the timetable pages and API (core.access.access_school first).

Who reads what (R-Y04): every member of the school — the timetable of any class, the bells
and the events (families see their child's timetable in the diary the same way); staff — a
teacher's timetable and the substitutions; the validation report — those who plan
(Perm.MANAGE_TIMETABLE) and staff with Perm.VIEW_PEOPLE. Writes need MANAGE_TIMETABLE."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

from accounts.models import Person
from accounts.roles import Perm
from core.access import access_school
from core.errors import NotFound, PermissionDenied
from curriculum.access import access_staff, is_staff
from curriculum.validation import is_staff_of
from roster.models import SchoolClass

if TYPE_CHECKING:
    from accounts.selectors import Access
    from tenants.models import School

__all__ = ["access_class", "access_manage", "access_report", "access_staff", "access_teacher", "is_staff", "may_manage"]


def may_manage(access: Access, school: School) -> bool:
    return access.can(Perm.MANAGE_TIMETABLE, school)


def access_manage(request: HttpRequest) -> tuple[School, Access]:
    return access_school(request, Perm.MANAGE_TIMETABLE)


def access_report(request: HttpRequest) -> tuple[School, Access]:
    school, access = access_school(request)
    if not (may_manage(access, school) or access.can(Perm.VIEW_PEOPLE, school)):
        raise PermissionDenied("Проверку расписания видят администрация и заместитель директора.")
    return school, access


def access_class(request: HttpRequest, class_id: int, perm: str | None = None) -> tuple[School, Access, SchoolClass]:
    school, access = access_school(request, perm)
    school_class = SchoolClass.objects.select_related("year", "class_teacher").filter(pk=class_id).first()
    if school_class is None:
        raise NotFound("Класс не найден.")
    return school, access, school_class


def access_teacher(request: HttpRequest, person_id: int) -> tuple[School, Access, Person]:
    """A teacher's timetable: the teacher themself and the school's staff."""
    school, access = access_school(request)
    user: Any = request.user
    if user.pk != person_id and not is_staff(access, school):
        raise PermissionDenied("Расписание учителя видят сотрудники школы.")
    person = Person.objects.filter(pk=person_id).first()
    if person is None or not is_staff_of(person.pk, school):
        raise NotFound("Учитель не найден.")
    return school, access, person
