"""Small helpers the curriculum and timetable services share: collecting field errors
before raising one ValidationFailed, the half-hour rule for weekly hours, the staff check."""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from core.errors import ValidationFailed

if TYPE_CHECKING:
    from django.db import models

    from accounts.models import Person
    from tenants.models import School


class FieldErrors:
    """Collects every problem of one input, then raises them together (a form shows each
    next to its field; the API returns them in `fields`)."""

    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.fields.setdefault(field, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.fields)

    def raise_if_any(self, code: str | None = None) -> None:
        if self.fields:
            messages = [m for ms in self.fields.values() for m in ms]
            raise ValidationFailed(" ".join(dict.fromkeys(messages)), code=code, fields=self.fields)


def clean_hours(value: Any, errors: FieldErrors, field: str = "hours_per_week") -> Decimal | None:
    """Weekly hours: 0.5 … 40 in steps of half an hour (a subject every other week is 0.5)."""
    try:
        hours = Decimal(str(value).replace(",", "."))
    except (InvalidOperation, ValueError):
        errors.add(field, "Укажите число часов, например 2 или 0,5.")
        return None
    if not hours.is_finite() or hours <= 0 or hours > 40:
        errors.add(field, "Часов в неделю: от 0,5 до 40.")
        return None
    if (hours * 2) != (hours * 2).to_integral_value():
        errors.add(field, "Часы указываются с шагом 0,5.")
        return None
    return hours


def lessons_ceiling(hours: Decimal) -> int:
    """At most this many lessons a week fit `hours` (0.5 h = one lesson every other week)."""
    return math.ceil(hours)


def fmt_hours(hours: Decimal | int | float) -> str:
    value = Decimal(str(hours)).normalize()
    return format(value, "f").replace(".", ",")


def is_staff_of(person_id: int, school: School) -> bool:
    """A current staff role in this school (teacher, class teacher or any other staff role)."""
    from accounts.models import Membership
    from accounts.roles import STAFF_ROLES

    return Membership.objects.current().filter(person_id=person_id, school=school, role__in=sorted(STAFF_ROLES)).exists()


def staff_ids_of(school: School) -> set[int]:
    from accounts.models import Membership
    from accounts.roles import STAFF_ROLES

    return set(Membership.objects.current().filter(school=school, role__in=sorted(STAFF_ROLES)).values_list("person_id", flat=True))


def audited_delete(actor: Person, school: School, obj: models.Model, action: str, fields: list[str]) -> None:
    """Deletes one object and records what it was, in one transaction."""
    from django.db import transaction

    from audit.services import record, snapshot

    with transaction.atomic():
        record(actor=actor, action=action, school=school, obj=obj, before=snapshot(obj, fields))
        obj.delete()
