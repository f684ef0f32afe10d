"""Fetch-and-authorise helpers for the roster's pages and API. Each checks the right first and
only then looks the object up, so that an outsider learns nothing, not even whether it exists.
A class teacher reaches the class they lead, its students and their parents (001 §3.3)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from django.http import HttpRequest

from accounts.models import Person
from accounts.roles import Perm
from core.access import access_school
from core.errors import NotFound, PermissionDenied

from . import selectors
from .models import SchoolClass, Subgroup

if TYPE_CHECKING:
    from accounts.selectors import Access
    from tenants.models import School

Need = Literal["view", "edit", "move"]
_NOT_YOURS = "Это не ваш класс."


def _broad(access: Access, school: School, need: str) -> bool:
    perm = {"view": Perm.VIEW_PEOPLE, "edit": Perm.MANAGE_PEOPLE, "move": Perm.MOVEMENT}[need]
    return bool(access.can(perm, school))


def access_class(request: HttpRequest, class_id: int, need: Literal["view", "manage", "subgroups"] = "view",
                 ) -> tuple[School, Access, SchoolClass]:
    """`view`: people readers, family-credential issuers, class managers and the class's teacher;
    `manage`: class managers; `subgroups`: class managers and the class's teacher."""
    school, access = access_school(request)
    own = access.is_class_teacher_of(school, class_id)
    managers = access.can(Perm.MANAGE_CLASSES, school)
    allowed = {
        "view": managers or own or access.can(Perm.VIEW_PEOPLE, school) or access.can(Perm.ISSUE_ACCOUNTS, school),
        "manage": managers,
        "subgroups": managers or own,
    }[need]
    if not allowed:
        raise PermissionDenied(_NOT_YOURS if need != "manage" else "Классы формирует администрация школы.")
    school_class = SchoolClass.objects.select_related("class_teacher", "year").filter(pk=class_id).first()
    if school_class is None:
        raise NotFound("Класс не найден.")
    return school, access, school_class


def access_subgroup(request: HttpRequest, subgroup_id: int, need: Literal["view", "subgroups"] = "view",
                    ) -> tuple[School, Access, Subgroup]:
    school, access = access_school(request)
    managers = access.can(Perm.MANAGE_CLASSES, school)
    broad = managers or (need == "view" and access.can(Perm.VIEW_PEOPLE, school))
    own = selectors.own_class_ids(access, school)
    if not (broad or own):
        raise PermissionDenied(_NOT_YOURS)
    subgroup = Subgroup.objects.select_related("school_class__year").filter(pk=subgroup_id).first()
    if not broad and (subgroup is None or subgroup.school_class_id not in own):
        raise PermissionDenied(_NOT_YOURS)
    if subgroup is None:
        raise NotFound("Подгруппа не найдена.")
    return school, access, subgroup


def _family_person(request: HttpRequest, person_id: int, need: Need, *, parent: bool) -> tuple[School, Access, Person]:
    school, access = access_school(request)
    broad = _broad(access, school, need)
    if not broad:
        own = selectors.own_class_ids(access, school) if need != "move" else set()
        if not own or person_id not in selectors.family_person_ids_of_classes(own):
            raise PermissionDenied("Это не обучающийся и не родитель вашего класса.")
    here = selectors.is_parent_here(person_id) if parent else selectors.is_student_here(person_id)
    person = Person.objects.filter(pk=person_id).first() if here else None
    if person is None:
        raise NotFound("Родитель не найден." if parent else "Обучающийся не найден.")
    return school, access, person


def access_student(request: HttpRequest, student_id: int, need: Need = "view") -> tuple[School, Access, Person]:
    """`view`: people readers and the class teacher of the student's class; `edit` (the card):
    people managers and that class teacher; `move` (orders): the movement right."""
    return _family_person(request, student_id, need, parent=False)


def access_parent(request: HttpRequest, parent_id: int, need: Need = "view") -> tuple[School, Access, Person]:
    return _family_person(request, parent_id, need, parent=True)


def access_staff(request: HttpRequest, person_id: int, need: Need = "view") -> tuple[School, Access, Person]:
    school, access = access_school(request, Perm.VIEW_PEOPLE if need == "view" else Perm.MANAGE_PEOPLE)
    person = Person.objects.filter(pk=person_id).first() if selectors.is_staff_here(school, person_id) else None
    if person is None:
        raise NotFound("Сотрудник не найден.")
    return school, access, person


def require_class_readers(request: HttpRequest) -> tuple[School, Access, set[int] | None]:
    """Lists of classes, students and parents: the whole school for people readers, the classes
    they lead for class teachers (returned as the set to filter by), nobody else."""
    school, access = access_school(request)
    if access.can(Perm.VIEW_PEOPLE, school) or access.can(Perm.ISSUE_ACCOUNTS, school) or access.can(Perm.MANAGE_CLASSES, school):
        return school, access, None
    own = selectors.own_class_ids(access, school)
    if not own:
        raise PermissionDenied()
    return school, access, own
