"""The kinds of lists a school imports and exports, by code."""

from __future__ import annotations

from core.errors import NotFound

from .base import Kind
from .setup_lists import CurriculumKind, LoadKind, TimetableKind
from .staff import StaffKind
from .students import StudentsKind

KINDS: dict[str, Kind] = {k.code: k for k in (StudentsKind(), StaffKind(), CurriculumKind(), LoadKind(), TimetableKind())}


def get_kind(code: str) -> Kind:
    kind = KINDS.get(code)
    if kind is None:
        raise NotFound("Неизвестный вид списка.")
    return kind
