"""The school's journal settings (R-J07 lock days, R-J11 rounding and the period-mark window):
changed by the school's e-journal administrator or the director, audited with before/after."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import transaction

from accounts.roles import Perm
from accounts.selectors import access_for
from accounts.services import ensure_writable
from audit.services import record, snapshot
from core.errors import PermissionDenied, ValidationFailed

from .models import JournalSettings

if TYPE_CHECKING:
    from accounts.models import Person
    from tenants.models import School

AUDITED = ["lock_days", "round_up_from", "period_mark_days_after", "use_weighted_average"]
LOCK_DAYS = (1, 30)
ROUND_UP_FROM = (Decimal("0.01"), Decimal("0.99"))
DAYS_AFTER_PERIOD = (0, 10)


@dataclass(frozen=True)
class SettingsData:
    lock_days: int
    round_up_from: Decimal
    period_mark_days_after: int
    use_weighted_average: bool


def update_settings(actor: Person, school: School, data: SettingsData, *, reason: str = "") -> JournalSettings:
    """003 §2.3.2 asks for 7 days; the school may set 1–30. The proposed period mark rounds up
    from `round_up_from` (x.60 by default); period marks are due up to N days after the period."""
    if not access_for(actor).can(Perm.MANAGE_SETTINGS, school):
        raise PermissionDenied("Настройки журнала меняет администратор ЭЖ школы или директор.")
    ensure_writable(school)
    errors: dict[str, list[str]] = {}
    if not LOCK_DAYS[0] <= data.lock_days <= LOCK_DAYS[1]:
        errors["lock_days"] = ["От 1 до 30 дней."]
    if not (ROUND_UP_FROM[0] <= data.round_up_from <= ROUND_UP_FROM[1]) or data.round_up_from != data.round_up_from.quantize(Decimal("0.01")):
        errors["round_up_from"] = ["Дробная часть от 0,01 до 0,99 (например, 0,60)."]
    if not DAYS_AFTER_PERIOD[0] <= data.period_mark_days_after <= DAYS_AFTER_PERIOD[1]:
        errors["period_mark_days_after"] = ["От 0 до 10 дней."]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    with transaction.atomic():
        row = JournalSettings.objects.select_for_update().filter(pk=JournalSettings.current().pk).get()
        before = snapshot(row, AUDITED)
        row.lock_days, row.round_up_from = data.lock_days, data.round_up_from
        row.period_mark_days_after, row.use_weighted_average = data.period_mark_days_after, data.use_weighted_average
        row.save()
        after = snapshot(row, AUDITED)
        if after != before:
            record(actor=actor, action="journal.settings.update", school=school, obj=row, before=before, after=after, reason=reason)
    return row
