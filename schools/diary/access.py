"""Fetch-and-authorise for the diary (R-A02, R-D02): a parent reads only their own children, a
student only themself. The URL names the child; any other id — another family's child, a
classmate, a child of another school — is refused with 403 and recorded once in the audit log
as `access.refused` (core.access helpers), before anything about that child is shown."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

from accounts.roles import FAMILY_ROLES, Role
from core.access import access_school
from core.errors import NotFound, PermissionDenied

from .selectors import Child, child_context

if TYPE_CHECKING:
    from accounts.selectors import Access
    from tenants.models import School

NOT_FAMILY = "Дневник открывают обучающийся и его родители (законные представители)."
NOT_YOURS = "Нет доступа к дневнику этого обучающегося."


def access_child(request: HttpRequest, child_id: int, on: dt.date, with_: frozenset[str] = frozenset(), *,
                 year_id: int | None = None) -> tuple[School, Access, Child]:
    """The school, the reader's access and the child (enrolment chosen for `on`, or the child's
    enrolment in the academic year `year_id`), if the reader is that student or one of their legal
    representatives in this school (`with_`: what to read along, see selectors.child_context). The
    right is checked first: a year the child did not study here is 404 only to their own family."""
    school, access = access_school(request)
    roles = access.roles_in(school) & FAMILY_ROLES
    if not roles:
        raise PermissionDenied(NOT_FAMILY)
    user: Any = request.user
    is_guardian, child = child_context(user.pk, child_id, on, with_, year_id=year_id)
    own = Role.STUDENT in roles and child_id == user.pk
    if not (own or (Role.PARENT in roles and is_guardian)):
        raise PermissionDenied(NOT_YOURS)
    if child is None:
        raise NotFound("Обучающийся не числится в этой школе." if year_id is None else
                       "В этом учебном году обучающийся в этой школе не учился.")
    return school, access, child
