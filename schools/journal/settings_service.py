"""The school's journal settings (R-J07 lock days, R-J11 rounding and the period-mark window) and
its work types with their weights (R-J03: «work types carry weights that the school sets»):
changed by the school's e-journal administrator or the director (Perm.MANAGE_SETTINGS), audited
with before/after."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Max, ProtectedError

from accounts.roles import Perm
from accounts.selectors import access_for
from accounts.services import ensure_writable
from audit.services import record, snapshot
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

from .models import JournalSettings, KtpTopic, Work, WorkType

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


# --- work types and their weights (R-J03) ----------------------------------------------------------

WORK_TYPE_AUDITED = ["name", "short_name", "weight", "requires_all_marks", "is_active", "order"]
WEIGHT = (Decimal("0.1"), Decimal("10.0"))
NAME_MAX, SHORT_MAX = 80, 12


@dataclass(frozen=True)
class WorkTypeData:
    name: str
    weight: Decimal
    short_name: str = ""
    # 000 §2.11: a control work needs a mark (or an absence) for every student present.
    requires_all_marks: bool = False
    is_active: bool = True
    order: int | None = None  # None: after the others (a new type) or unchanged


def _ensure_may_manage(actor: Person, school: School) -> None:
    if not access_for(actor).can(Perm.MANAGE_SETTINGS, school):
        raise PermissionDenied("Виды работ и их веса меняет администратор ЭЖ школы или директор.")
    ensure_writable(school)


def _clean_work_type(data: WorkTypeData, *, pk: int | None) -> tuple[str, str, Decimal]:
    """The weight is 0.1–10 with one decimal: it multiplies each mark in the weighted average."""
    errors: dict[str, list[str]] = {}
    name = " ".join((data.name or "").split())
    short = " ".join((data.short_name or "").split())
    if not name:
        errors["name"] = ["Укажите название вида работы."]
    elif len(name) > NAME_MAX:
        errors["name"] = [f"Не длиннее {NAME_MAX} знаков."]
    elif WorkType.objects.filter(name__iexact=name).exclude(pk=pk or 0).exists():
        errors["name"] = ["Вид работы с таким названием уже есть."]
    if len(short) > SHORT_MAX:
        errors["short_name"] = [f"Сокращение — не длиннее {SHORT_MAX} знаков."]
    weight = data.weight
    if not isinstance(weight, Decimal) or not weight.is_finite():
        errors["weight"] = ["Вес — число от 0,1 до 10."]
    elif not WEIGHT[0] <= weight <= WEIGHT[1] or weight != weight.quantize(Decimal("0.1")):
        errors["weight"] = ["Вес — от 0,1 до 10, не больше одного знака после запятой (например, 1,5)."]
    if data.order is not None and not 0 <= data.order <= 999:
        errors["order"] = ["Порядок — от 0 до 999."]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    return name, short, weight.quantize(Decimal("0.1"))


def work_types() -> list[WorkType]:
    """Every work type, switched-off ones included (their marks still count), in the school's order."""
    return list(WorkType.objects.order_by("order", "name"))


def add_work_type(actor: Person, school: School, data: WorkTypeData, *, reason: str = "") -> WorkType:
    _ensure_may_manage(actor, school)
    name, short, weight = _clean_work_type(data, pk=None)
    try:
        with transaction.atomic():
            order = data.order if data.order is not None else (WorkType.objects.aggregate(m=Max("order"))["m"] or 0) + 1
            row = WorkType.objects.create(name=name, short_name=short, weight=weight, requires_all_marks=data.requires_all_marks,
                                          is_active=data.is_active, order=order)
            record(actor=actor, action="journal.work_type.create", school=school, obj=row, after=snapshot(row, WORK_TYPE_AUDITED),
                   reason=reason)
    except IntegrityError as exc:  # the same name saved at the same moment by somebody else
        raise ValidationFailed("Вид работы с таким названием уже есть.", fields={"name": ["Уже есть."]}) from exc
    return row


def _ensure_one_active_left(row: WorkType, active: bool) -> None:
    if row.is_active and not active and not WorkType.objects.filter(is_active=True).exclude(pk=row.pk).exists():
        raise ValidationFailed("Должен остаться хотя бы один действующий вид работы.", code="last_work_type",
                               fields={"is_active": ["Последний действующий вид работы."]})


WORK_TYPE_FIELDS = ("name", "short_name", "weight", "requires_all_marks", "is_active", "order")


def update_work_type(actor: Person, school: School, work_type: WorkType, data: WorkTypeData | None = None, *,
                     reason: str = "", fields: dict[str, Any] | None = None,
                     expected_version: int | None = None) -> WorkType:
    """Rename, re-weigh, mark or unmark as a control work, switch off or on. A new weight applies
    to every weighted average computed from then on (grid, diary, forecast): weights are read
    live, the period marks already given stay as they are. Either every field (`data`) or only
    some (`fields`: the others stay as they are, read under the lock). `expected_version`, the
    version the editor saw: a type changed since is refused (409 stale_version), R-J03."""
    _ensure_may_manage(actor, school)
    try:
        with transaction.atomic():
            row = WorkType.objects.select_for_update().filter(pk=work_type.pk).first()
            if row is None:
                raise NotFound("Вид работы не найден.")
            if expected_version is not None and expected_version != row.version:
                raise Conflict("Вид работы уже изменил другой пользователь. Обновите страницу.", code="stale_version")
            if data is None:
                given = fields or {}
                data = WorkTypeData(**{name: given[name] if name in given else getattr(row, name) for name in WORK_TYPE_FIELDS})
            name, short, weight = _clean_work_type(data, pk=row.pk)
            _ensure_one_active_left(row, data.is_active)
            before = snapshot(row, WORK_TYPE_AUDITED)
            row.name, row.short_name, row.weight = name, short, weight
            row.requires_all_marks, row.is_active = data.requires_all_marks, data.is_active
            if data.order is not None:
                row.order = data.order
            after = snapshot(row, WORK_TYPE_AUDITED)
            if after != before:
                row.version += 1
                row.save()
                record(actor=actor, action="journal.work_type.update", school=school, obj=row, before=before, after=after,
                       reason=reason)
    except IntegrityError as exc:
        raise ValidationFailed("Вид работы с таким названием уже есть.", fields={"name": ["Уже есть."]}) from exc
    return row


def remove_work_type(actor: Person, school: School, work_type: WorkType, *, reason: str = "") -> bool:
    """A type no work ever used is deleted; one in use is switched off instead (its marks and their
    weight stay in the averages, new works cannot take it). True when it was deleted."""
    _ensure_may_manage(actor, school)
    with transaction.atomic():
        row = WorkType.objects.select_for_update().filter(pk=work_type.pk).first()
        if row is None:
            raise NotFound("Вид работы не найден.")
        _ensure_one_active_left(row, False)
        before = snapshot(row, WORK_TYPE_AUDITED)
        if not Work.objects.filter(work_type=row).exists():
            try:
                with transaction.atomic():  # a work that took the type meanwhile: switched off below instead of a 500
                    KtpTopic.objects.filter(work_type=row).update(work_type=None)
                    record(actor=actor, action="journal.work_type.delete", school=school, obj=row, before=before, reason=reason)
                    row.delete()
                    with connection.cursor() as cursor:  # the deferred foreign keys checked here, not at commit
                        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            except (ProtectedError, IntegrityError):
                row = WorkType.objects.select_for_update().get(pk=work_type.pk)
            else:
                return True
        if row.is_active:
            row.is_active = False
            row.version += 1
            row.save(update_fields=["is_active", "version"])
            record(actor=actor, action="journal.work_type.update", school=school, obj=row, before=before,
                   after=snapshot(row, WORK_TYPE_AUDITED), reason=reason or "вид работы использован: выключен вместо удаления")
        return False
