"""The kinds of lists a school imports and exports, by code."""

from __future__ import annotations

from core.errors import NotFound

from .base import Kind
from .setup_lists import CurriculumKind, LoadKind, TimetableKind
from .staff import StaffKind
from .students import StudentsKind
from .subgroups import SubgroupsKind

# In the order a new school imports them: the students (their classes are created), the staff
# (class teachers), the subgroups, then the curriculum, the load and the timetable that name them.
KINDS: dict[str, Kind] = {k.code: k for k in (StudentsKind(), StaffKind(), SubgroupsKind(), CurriculumKind(), LoadKind(),
                                              TimetableKind())}


def get_kind(code: str) -> Kind:
    kind = KINDS.get(code)
    if kind is None:
        raise NotFound("Неизвестный вид списка.")
    return kind
