"""Writes about the academic year (R-Y01, R-Y05; seed 004 §II, §III, §VII): years, study
periods, days off, moved school days, week lengths, and closing a year into the next.
Each function checks the actor's right (Perm.SETUP_YEAR), refuses a closed year, validates
everything before writing, writes and audits in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError, Q
from django.utils import timezone

from accounts.roles import Perm
from accounts.selectors import access_for
from accounts.services import ensure_writable
from audit.services import batched, record, snapshot
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed

from .calendar_service import SchoolCalendar, add_working_days
from .guards import YearClosed, ensure_year_open
from .models import (
    PERIOD_COUNT,
    AcademicYear,
    DayOff,
    DayOffKind,
    MovedDay,
    PeriodKind,
    PeriodScheme,
    StudyPeriod,
    WeekLength,
    YearStatus,
)
from .selectors import GRADES, LAST_GRADE, open_enrolments_of_year

if TYPE_CHECKING:
    from accounts.models import Person
    from roster.models import SchoolClass
    from tenants.models import School

YEAR_AUDITED = ["name", "starts_on", "ends_on", "status", "closed_at", "closed_by_id", "close_order_number", "close_order_date"]
DAY_OFF_AUDITED = ["year", "kind", "name", "starts_on", "ends_on", "grades"]
MOVED_DAY_AUDITED = ["year", "works_on", "replaces", "reason", "grades"]
MAX_YEAR_MONTHS = 13
# 004 §VII: a moved school day is entered no later than 3 working days before it.
MOVED_DAY_NOTICE_WORKING_DAYS = 3
# 004 §VII: vacations and holidays no later than 2 weeks before they begin (a warning only:
# a quarantine or a frost day cannot be known two weeks ahead).
DAY_OFF_NOTICE_DAYS = 14
PERIOD_NOUN = {PeriodKind.QUARTER: "четверть", PeriodKind.TRIMESTER: "триместр", PeriodKind.HALF_YEAR: "полугодие"}
PERIOD_NOUN_GENITIVE = {PeriodKind.QUARTER: "четвертью", PeriodKind.TRIMESTER: "триместром", PeriodKind.HALF_YEAR: "полугодием"}


def today() -> dt.date:
    """The school's today (a function, so that tests can move it)."""
    return timezone.localdate()


def _fail(errors: dict[str, list[str]], code: str | None = None) -> None:
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors, code=code)


def _add(errors: dict[str, list[str]], field_name: str, message: str) -> None:
    errors.setdefault(field_name, []).append(message)


def _require_setup(actor: Person, school: School) -> None:
    if not access_for(actor).can(Perm.SETUP_YEAR, school):
        raise PermissionDenied("Учебный год, периоды и каникулы настраивают администратор ЭЖ, директор и заместитель директора.")
    ensure_writable(school)


def may_close_year(actor: Person, school: School) -> bool:
    """Closing (and reopening) a year moves every student by the director's order: it takes the
    right to set up the year and the right to the movement orders (004 §III: the school
    administrator by the director's order; §X: movement is the orders' business). The deputy,
    who keeps the calendar (§VII), does not close the year."""
    access = access_for(actor)
    return access.can(Perm.SETUP_YEAR, school) and access.can(Perm.MOVEMENT, school)


def _require_close(actor: Person, school: School) -> None:
    if not may_close_year(actor, school):
        raise PermissionDenied("Закрыть учебный год и перевести обучающихся может администратор ЭЖ или директор "
                               "(нужны права на учебный год и на приказы о движении обучающихся).")
    ensure_writable(school)


def _lock_open(year: AcademicYear) -> AcademicYear:
    """The year's row, locked for this transaction (so that concurrent edits of one year
    queue up), refused when closed meanwhile."""
    locked = AcademicYear.objects.select_for_update().filter(pk=year.pk).first()
    if locked is None:
        raise NotFound("Учебный год не найден.")
    ensure_year_open(locked)
    return locked


def _d(day: dt.date) -> str:
    return f"{day:%d.%m.%Y}"


def _grades_label(grades: Iterable[int]) -> str:
    return ", ".join(str(g) for g in sorted(grades))


def _add_months(day: dt.date, months: int) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for d in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, d)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def shift_one_year(day: dt.date) -> dt.date:
    """The same date a year later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + 1)
    except ValueError:
        return day.replace(year=day.year + 1, day=28)


# --- years -------------------------------------------------------------------------------------

def _check_year(name: str, starts_on: dt.date | None, ends_on: dt.date | None, *, exclude_pk: int | None = None) -> str:
    """Validates a year's name and dates; returns the name to store."""
    errors: dict[str, list[str]] = {}
    if starts_on is None:
        _add(errors, "starts_on", "Укажите дату начала учебного года.")
    if ends_on is None:
        _add(errors, "ends_on", "Укажите дату окончания учебного года.")
    _fail(errors)
    assert starts_on is not None and ends_on is not None
    name = (name or "").strip() or f"{starts_on.year}/{ends_on.year}"
    if len(name) > 20:
        _add(errors, "name", "Название не длиннее 20 знаков, например «2026/2027».")
    if ends_on <= starts_on:
        _add(errors, "ends_on", "Учебный год заканчивается раньше, чем начинается.")
    elif ends_on > _add_months(starts_on, MAX_YEAR_MONTHS):
        _add(errors, "ends_on", f"Учебный год не может быть длиннее {MAX_YEAR_MONTHS} месяцев.")
    others = AcademicYear.objects.exclude(pk=exclude_pk) if exclude_pk else AcademicYear.objects.all()
    if others.filter(name=name).exists():
        _add(errors, "name", f"Учебный год «{name}» уже есть.")
    if ends_on > starts_on:
        clash = others.filter(starts_on__lte=ends_on, ends_on__gte=starts_on).order_by("starts_on").first()
        if clash is not None:
            _add(errors, "starts_on", f"Даты пересекаются с учебным годом {clash.name} ({_d(clash.starts_on)}–{_d(clash.ends_on)}).")
    _fail(errors)
    return name


def create_year(actor: Person, school: School, *, name: str = "", starts_on: dt.date | None, ends_on: dt.date | None) -> AcademicYear:
    """The school's first year (004 §II). Later years are opened by closing the current one."""
    _require_setup(actor, school)
    open_year = AcademicYear.objects.filter(status=YearStatus.OPEN).first()
    if open_year is not None:
        raise ValidationFailed(
            f"Уже открыт учебный год {open_year.name}. Следующий год создаётся при его закрытии (перевод обучающихся).",
            code="open_year_exists", fields={"name": ["Уже есть открытый учебный год."]})
    clean_name = _check_year(name, starts_on, ends_on)
    assert starts_on is not None and ends_on is not None
    try:
        with transaction.atomic():
            year = AcademicYear.objects.create(name=clean_name, starts_on=starts_on, ends_on=ends_on)
            record(actor=actor, action="year.create", school=school, obj=year, after=snapshot(year, YEAR_AUDITED))
    except IntegrityError as exc:  # a concurrent create won the race for the one open year
        raise Conflict("Учебный год только что создан другим пользователем. Обновите страницу.") from exc
    return year


def update_year(actor: Person, school: School, year: AcademicYear, *, name: str = "", starts_on: dt.date | None,
                ends_on: dt.date | None) -> AcademicYear:
    """New name or dates of an open year; its periods, days off and moved days must stay inside."""
    _require_setup(actor, school)
    ensure_year_open(year)
    clean_name = _check_year(name, starts_on, ends_on, exclude_pk=year.pk)
    assert starts_on is not None and ends_on is not None
    with transaction.atomic():
        locked = _lock_open(year)
        outside = (
            [f"{p.name} ({_d(p.starts_on)}–{_d(p.ends_on)})" for p in StudyPeriod.objects.filter(scheme__year=locked)
             .filter(Q(starts_on__lt=starts_on) | Q(ends_on__gt=ends_on)).order_by("starts_on")]
            + [f"{d.name} ({_d(d.starts_on)}–{_d(d.ends_on)})" for d in DayOff.objects.filter(year=locked)
               .filter(Q(starts_on__lt=starts_on) | Q(ends_on__gt=ends_on))]
            + [f"перенос {_d(m.works_on)}" for m in MovedDay.objects.filter(year=locked)
               .filter(Q(works_on__lt=starts_on) | Q(works_on__gt=ends_on) | Q(replaces__lt=starts_on) | Q(replaces__gt=ends_on))]
        )
        if outside:
            raise ValidationFailed("Новые даты не вмещают: " + "; ".join(outside) + ". Сначала измените их.",
                                   fields={"starts_on": ["Не вмещает периоды, каникулы или переносы года."]})
        before = snapshot(locked, YEAR_AUDITED)
        locked.name, locked.starts_on, locked.ends_on = clean_name, starts_on, ends_on
        locked.save(update_fields=["name", "starts_on", "ends_on"])
        record(actor=actor, action="year.update", school=school, obj=locked, before=before, after=snapshot(locked, YEAR_AUDITED))
    return locked


# --- study periods -------------------------------------------------------------------------------

@dataclass(frozen=True)
class PeriodDates:
    starts_on: dt.date | None
    ends_on: dt.date | None
    name: str = ""


@dataclass
class SchemeResult:
    scheme: PeriodScheme
    periods: list[StudyPeriod]
    warnings: list[str] = field(default_factory=list)


def _scheme_state(scheme: PeriodScheme | None, periods: Sequence[StudyPeriod | PeriodDates]) -> dict[str, Any] | None:
    if scheme is None:
        return None
    return {"kind": scheme.kind, "grades": list(scheme.grades),
            "periods": [[p.name, p.starts_on, p.ends_on] for p in periods]}


def _clean_grades(grades: Iterable[Any], errors: dict[str, list[str]], *, required: bool) -> list[int]:
    try:
        clean = sorted({int(g) for g in grades})
    except (TypeError, ValueError):
        _add(errors, "grades", "Параллели — числа от 1 до 11.")
        return []
    if any(g not in GRADES for g in clean):
        _add(errors, "grades", "Параллели — числа от 1 до 11.")
    elif required and not clean:
        _add(errors, "grades", "Выберите хотя бы одну параллель.")
    return clean


def save_scheme(actor: Person, school: School, year: AcademicYear, *, kind: str, grades: Iterable[int],
                periods: Sequence[PeriodDates], scheme: PeriodScheme | None = None) -> SchemeResult:
    """Creates a scheme of study periods for a set of parallels (quarters for 1–9, half-years
    for 10–11…) with the user's dates, or replaces an existing scheme's kind, parallels and
    dates. Periods keep their rows by number, so the marks that refer to them stay linked.
    Refused: a parallel already in another scheme of the year, a count that does not match
    the kind (4/3/2), a period outside the year, out of order or overlapping. Days between
    periods that are neither vacations nor days off only produce a warning."""
    _require_setup(actor, school)
    ensure_year_open(year)
    if scheme is not None and scheme.year_id != year.pk:
        raise NotFound("Схема периодов не найдена.")
    errors: dict[str, list[str]] = {}
    if kind not in PeriodKind.values:
        _add(errors, "kind", "Выберите тип периодов: четверти, триместры или полугодия.")
    clean_grades = _clean_grades(grades, errors, required=True)
    _fail(errors)
    kind = PeriodKind(kind)
    noun = PERIOD_NOUN[kind]
    expected = PERIOD_COUNT[kind]
    if len(periods) != expected:
        _add(errors, "periods", f"Для типа «{kind.label}» нужно {expected} периода(ов), указано {len(periods)}.")
    names = [(p.name or "").strip() or f"{i} {noun}" for i, p in enumerate(periods, 1)]
    for i, (p, name) in enumerate(zip(periods, names, strict=True), 1):
        if p.starts_on is None or p.ends_on is None:
            _add(errors, "periods", f"{name}: укажите даты начала и окончания.")
            continue
        if len(name) > 40:
            _add(errors, "periods", f"{i}-й период: название не длиннее 40 знаков.")
        if p.ends_on < p.starts_on:
            _add(errors, "periods", f"{name}: окончание ({_d(p.ends_on)}) раньше начала ({_d(p.starts_on)}).")
        if p.starts_on < year.starts_on or p.ends_on > year.ends_on:
            _add(errors, "periods", f"{name}: даты вне учебного года ({_d(year.starts_on)}–{_d(year.ends_on)}).")
    dated = [(n, p) for n, p in zip(names, periods, strict=True) if p.starts_on and p.ends_on]
    for (prev_name, prev), (name, p) in pairwise(dated):
        assert prev.ends_on is not None and p.starts_on is not None
        if p.starts_on <= prev.ends_on:
            _add(errors, "periods", f"{name} начинается ({_d(p.starts_on)}) до окончания периода «{prev_name}» "
                                    f"({_d(prev.ends_on)}): периоды идут по порядку и не пересекаются.")
    _fail(errors)
    with transaction.atomic():
        locked = _lock_open(year)
        others = PeriodScheme.objects.filter(year=locked)
        if scheme is not None:
            others = others.exclude(pk=scheme.pk)
        for other in others:
            taken = set(other.grades) & set(clean_grades)
            if taken:
                raise ValidationFailed(
                    f"Параллели {_grades_label(taken)} уже входят в схему «{other}». Каждая параллель — не больше чем в одной схеме.",
                    fields={"grades": [f"Уже в схеме «{other}»: {_grades_label(taken)}."]})
        old_periods = list(scheme.periods.order_by("number")) if scheme else []
        before = _scheme_state(scheme, old_periods)
        if scheme is None:
            scheme = PeriodScheme.objects.create(year=locked, kind=kind, grades=clean_grades)
        else:
            scheme.kind, scheme.grades = kind, clean_grades
            scheme.save(update_fields=["kind", "grades"])
        by_number = {p.number: p for p in old_periods}
        saved: list[StudyPeriod] = []
        for number, (name, p) in enumerate(zip(names, periods, strict=True), 1):
            row = by_number.pop(number, None) or StudyPeriod(scheme=scheme, number=number)
            assert p.starts_on is not None and p.ends_on is not None
            row.name, row.starts_on, row.ends_on = name, p.starts_on, p.ends_on
            row.save()
            saved.append(row)
        if by_number:
            try:
                with transaction.atomic():
                    StudyPeriod.objects.filter(pk__in=[p.pk for p in by_number.values()]).delete()
            except ProtectedError as exc:
                raise Conflict("На лишние периоды уже ссылаются итоговые отметки: сменить тип периодов нельзя.") from exc
        record(actor=actor, action="year.scheme.save", school=school, obj=scheme, before=before,
               after=_scheme_state(scheme, saved))
    warnings = _period_gap_warnings(locked, kind, clean_grades, saved)
    return SchemeResult(scheme=scheme, periods=saved, warnings=warnings)


def _period_gap_warnings(year: AcademicYear, kind: PeriodKind, grades: list[int], periods: list[StudyPeriod]) -> list[str]:
    """School days (by the calendar: not a weekend, holiday, vacation or day off) that fall
    before the first period, between periods or after the last one."""
    calendar = SchoolCalendar.for_year(year)
    warnings = []
    bounds = [year.starts_on - dt.timedelta(days=1)]
    for p in periods:
        bounds += [p.starts_on, p.ends_on]
    bounds.append(year.ends_on + dt.timedelta(days=1))
    for i in range(0, len(bounds), 2):
        gap_start, gap_end = bounds[i] + dt.timedelta(days=1), bounds[i + 1] - dt.timedelta(days=1)
        days = [d for d in calendar.days(gap_start, gap_end) if any(calendar.is_school_day(d.date, g) for g in grades)]
        if not days:
            continue
        span = f"{_d(days[0].date)}–{_d(days[-1].date)}" if len(days) > 1 else _d(days[0].date)
        if i == 0:
            where = "до начала первого периода"
        elif i == len(bounds) - 2:
            where = "после окончания последнего периода"
        else:
            where = f"между {periods[i // 2 - 1].name} и {periods[i // 2].name}"
        warnings.append(f"{where.capitalize()} есть учебные дни вне каникул ({len(days)}: {span}). Проверьте даты или внесите каникулы.")
    return warnings


def delete_scheme(actor: Person, school: School, scheme: PeriodScheme) -> None:
    _require_setup(actor, school)
    ensure_year_open(scheme.year)
    with transaction.atomic():
        _lock_open(scheme.year)
        before = _scheme_state(scheme, list(scheme.periods.order_by("number")))
        scheme_id, label = scheme.pk, str(scheme)
        try:
            with transaction.atomic():
                scheme.delete()
        except ProtectedError as exc:
            raise Conflict("На периоды этой схемы уже ссылаются итоговые отметки: удалить её нельзя.") from exc
        record(actor=actor, action="year.scheme.delete", school=school, object_type="schoolyear.periodscheme",
               object_id=str(scheme_id), object_repr=label, before=before)


# --- days off and moved days -----------------------------------------------------------------------

@dataclass
class DayOffResult:
    day_off: DayOff
    warnings: list[str] = field(default_factory=list)


def add_day_off(actor: Person, school: School, year: AcademicYear, *, kind: str = DayOffKind.VACATION, name: str = "",
                starts_on: dt.date | None, ends_on: dt.date | None, grades: Iterable[int] = ()) -> DayOffResult:
    """Vacations (каникулы) or extra days off, for the whole school or some parallels,
    inside the year (004 §VII). Refused when it overlaps another entry for a common parallel."""
    _require_setup(actor, school)
    ensure_year_open(year)
    errors: dict[str, list[str]] = {}
    if kind not in DayOffKind.values:
        _add(errors, "kind", "Выберите вид: каникулы, выходной или карантин.")
    name = (name or "").strip() or (DayOffKind(kind).label if kind in DayOffKind.values else "")
    if len(name) > 100:
        _add(errors, "name", "Название не длиннее 100 знаков.")
    if starts_on is None:
        _add(errors, "starts_on", "Укажите первый день.")
    if ends_on is None:
        _add(errors, "ends_on", "Укажите последний день.")
    clean_grades = _clean_grades(grades, errors, required=False)
    if starts_on and ends_on:
        if ends_on < starts_on:
            _add(errors, "ends_on", "Последний день раньше первого.")
        if starts_on < year.starts_on or ends_on > year.ends_on:
            _add(errors, "starts_on", f"Даты вне учебного года {year.name} ({_d(year.starts_on)}–{_d(year.ends_on)}).")
    _fail(errors)
    assert starts_on is not None and ends_on is not None
    warnings = []
    if kind != DayOffKind.QUARANTINE and today() <= starts_on < today() + dt.timedelta(days=DAY_OFF_NOTICE_DAYS):
        warnings.append("Сведения о каникулах и праздниках вносятся не позднее чем за 2 недели до их начала (004 §VII).")
    with transaction.atomic():
        locked = _lock_open(year)
        for other in DayOff.objects.filter(year=locked, starts_on__lte=ends_on, ends_on__gte=starts_on):
            if not other.grades or not clean_grades or set(other.grades) & set(clean_grades):
                raise ValidationFailed(f"Пересекается с «{other.name}» ({_d(other.starts_on)}–{_d(other.ends_on)}).",
                                       fields={"starts_on": [f"Пересекается с «{other.name}»."]})
        moved = [m for m in MovedDay.objects.filter(year=locked, works_on__gte=starts_on, works_on__lte=ends_on).order_by("works_on")
                 if not m.grades or not clean_grades or set(m.grades) & set(clean_grades)]  # only the parallels concerned
        if moved:
            listed = "; ".join(str(m) for m in moved)
            who = f"параллелей {_grades_label(clean_grades)}" if clean_grades else "всей школы"
            raise ValidationFailed(
                f"В эти даты назначены перенесённые учебные дни ({listed}): каникулы или выходной для {who} отменили бы их "
                "вместе с уроками переносимых дней. Сначала отмените перенос.",
                code="day_off_over_moved_day", fields={"starts_on": [f"Перенос учебного дня: {listed}."]})
        day_off = DayOff.objects.create(year=locked, kind=kind, name=name, starts_on=starts_on, ends_on=ends_on, grades=clean_grades)
        record(actor=actor, action="year.day_off.add", school=school, obj=day_off, after=snapshot(day_off, DAY_OFF_AUDITED))
    return DayOffResult(day_off=day_off, warnings=warnings)


def delete_day_off(actor: Person, school: School, day_off: DayOff) -> None:
    _require_setup(actor, school)
    ensure_year_open(day_off.year_id)
    with transaction.atomic():
        _lock_open(day_off.year)
        before = snapshot(day_off, DAY_OFF_AUDITED)
        record(actor=actor, action="year.day_off.delete", school=school, obj=day_off, before=before)
        day_off.delete()


def latest_entry_day(works_on: dt.date) -> dt.date:
    """The last day on which a move onto `works_on` may still be entered: the last day from
    which 3 working days (federal calendar) still fit before it (004 §VII)."""
    day = works_on - dt.timedelta(days=1)
    while add_working_days(day, MOVED_DAY_NOTICE_WORKING_DAYS) > works_on:
        day -= dt.timedelta(days=1)
    return day


def _check_notice(works_on: dt.date, what: str) -> None:
    # 004 §VII: "перенос учебных дней — не позднее 3 рабочих дней до учебного дня, на который переносится расписание".
    if add_working_days(today(), MOVED_DAY_NOTICE_WORKING_DAYS) > works_on:
        deadline = latest_entry_day(works_on)
        raise ValidationFailed(
            f"{what} не позднее чем за 3 рабочих дня до учебного дня (004 §VII): для {_d(works_on)} — "
            f"не позднее {_d(deadline)}.", code="too_late", fields={"works_on": [f"Срок истёк {_d(deadline)}."]})


def add_moved_day(actor: Person, school: School, year: AcademicYear, *, works_on: dt.date | None,
                  replaces: dt.date | None, reason: str = "", grades: Iterable[int] = ()) -> MovedDay:
    """A moved school day: on `works_on` (a Saturday, a holiday…) lessons follow the timetable
    of `replaces`, which has no lessons. `grades` empty = the whole school; else only those
    parallels move (the checks look at them only)."""
    _require_setup(actor, school)
    ensure_year_open(year)
    errors: dict[str, list[str]] = {}
    if works_on is None:
        _add(errors, "works_on", "Укажите учебный день, на который переносятся занятия.")
    if replaces is None:
        _add(errors, "replaces", "Укажите день, занятия которого переносятся.")
    reason = (reason or "").strip()
    if len(reason) > 200:
        _add(errors, "reason", "Основание не длиннее 200 знаков.")
    clean_grades = _clean_grades(grades, errors, required=False)
    _fail(errors)
    assert works_on is not None and replaces is not None
    for field_name, day in (("works_on", works_on), ("replaces", replaces)):
        if not (year.starts_on <= day <= year.ends_on):
            _add(errors, field_name, f"{_d(day)} вне учебного года {year.name} ({_d(year.starts_on)}–{_d(year.ends_on)}).")
    if works_on == replaces:
        _add(errors, "replaces", "День не переносится сам на себя.")
    if replaces.weekday() == 6:
        _add(errors, "replaces", "В воскресенье нет расписания: выберите день с Пн по Сб.")
    _fail(errors)
    _check_notice(works_on, "Перенос учебного дня вносится")
    with transaction.atomic():
        locked = _lock_open(year)
        clash = MovedDay.objects.filter(Q(works_on__in=[works_on, replaces]) | Q(replaces__in=[works_on, replaces])).first()
        if clash is not None:
            raise ValidationFailed(f"Эти дни уже участвуют в переносе: {clash}.",
                                   fields={"works_on": [f"Уже есть перенос: {clash}."]})
        _check_moved_target(locked, works_on, clean_grades)
        moved = MovedDay.objects.create(year=locked, works_on=works_on, replaces=replaces, reason=reason, grades=clean_grades)
        record(actor=actor, action="year.moved_day.add", school=school, obj=moved, after=snapshot(moved, MOVED_DAY_AUDITED))
    return moved


def _grades_in_scope(year: AcademicYear) -> list[int]:
    """The parallels a whole-school calendar entry concerns: those with classes in the year
    (all eleven while no class is entered yet)."""
    from roster.models import SchoolClass

    grades = sorted(set(SchoolClass.objects.filter(year=year).values_list("grade", flat=True)))
    return grades or list(GRADES)


def _check_moved_target(year: AcademicYear, works_on: dt.date, only: Sequence[int] = ()) -> None:
    """A moved school day goes onto a day that normally has no lessons for any parallel it
    concerns (`only`, or every parallel of the school), and not into their vacations or days
    off: otherwise the day's own timetable would be replaced (or the move silently cancelled by
    the day off). Parallels the move does not concern are not looked at (a 6-day week's Saturday,
    one parallel's day off)."""
    calendar = SchoolCalendar.for_year(year)
    grades = list(only) or _grades_in_scope(year)
    off = [(g, name) for g in grades if (name := calendar.day_off_name(works_on, g)) is not None]
    if off:
        names = sorted({name for _, name in off})
        raise ValidationFailed(
            f"{_d(works_on)} — {', '.join(names)} (параллели {_grades_label(g for g, _ in off)}): на каникулы или выходной "
            "день учебный день не переносится. Сначала измените каникулы или выберите другой день.",
            code="moved_day_on_day_off", fields={"works_on": [f"Каникулы / выходной: {', '.join(names)}."]})
    busy = [g for g in grades if calendar.is_school_day(works_on, g)]
    if busy:
        raise ValidationFailed(
            f"{_d(works_on)} уже учебный день по своему расписанию для параллелей {_grades_label(busy)}: перенос заменил бы "
            "их уроки этого дня. Учебный день переносится только на день без уроков (выходной, праздник).",
            code="moved_day_on_school_day", fields={"works_on": [f"Уже учебный день для параллелей {_grades_label(busy)}."]})


def delete_moved_day(actor: Person, school: School, moved: MovedDay) -> None:
    """Cancelling a move changes the timetable too: the same 3-working-day rule applies."""
    _require_setup(actor, school)
    ensure_year_open(moved.year_id)
    _check_notice(moved.works_on, "Перенос учебного дня отменяется")
    with transaction.atomic():
        _lock_open(moved.year)
        record(actor=actor, action="year.moved_day.delete", school=school, obj=moved, before=snapshot(moved, MOVED_DAY_AUDITED))
        moved.delete()


def set_week_lengths(actor: Person, school: School, year: AcademicYear, weeks: Mapping[int, int]) -> dict[int, int]:
    """5- or 6-day school week per parallel (only the parallels given change)."""
    _require_setup(actor, school)
    ensure_year_open(year)
    errors: dict[str, list[str]] = {}
    clean: dict[int, int] = {}
    for grade, days in weeks.items():
        try:
            g, n = int(grade), int(days)
        except (TypeError, ValueError):
            _add(errors, "weeks", "Параллель — число от 1 до 11, дней — 5 или 6.")
            continue
        if g not in GRADES:
            _add(errors, "weeks", f"Нет параллели {g}: допустимы 1–11.")
        elif n not in (5, 6):
            _add(errors, f"grade_{g}", f"{g} классы: учебная неделя — 5 или 6 дней.")
        # СанПиН 1.2.3685-21: first grade studies a five-day week only.
        elif g == 1 and n != 5:
            _add(errors, "grade_1", "1 классы учатся только по пятидневной учебной неделе (СанПиН 1.2.3685-21).")
        else:
            clean[g] = n
    _fail(errors)
    with transaction.atomic():
        locked = _lock_open(year)
        # A parallel turning to a 6-day week would study on the Saturday a school day was moved
        # onto for it: its own Saturday lessons and the moved ones would clash (R-Y01).
        sixes = {g for g, n in clean.items() if n == 6}
        clashes = [m for m in MovedDay.objects.filter(year=locked).order_by("works_on")
                   if m.works_on.weekday() == 5 and (set(m.grades) & sixes if m.grades else sixes)]
        if clashes:
            listed = "; ".join(str(m) for m in clashes)
            concerned = sorted(set().union(*[(set(m.grades) & sixes if m.grades else sixes) for m in clashes]))
            raise ValidationFailed(
                f"На субботы назначены перенесённые учебные дни ({listed}): шестидневная неделя для параллелей "
                f"{_grades_label(concerned)} заменила бы их уроки. Сначала отмените перенос.",
                code="week_over_moved_day", fields={"weeks": [f"Перенос учебного дня: {listed}."]})
        rows = {w.grade: w for w in WeekLength.objects.filter(year=locked)}
        before = {g: w.days for g, w in sorted(rows.items())}
        changed = [rows[g] for g, n in clean.items() if g in rows and rows[g].days != n]
        for w in changed:
            w.days = clean[w.grade]
        WeekLength.objects.bulk_update(changed, ["days"])
        WeekLength.objects.bulk_create([WeekLength(year=locked, grade=g, days=n) for g, n in clean.items() if g not in rows])
        after = {**before, **clean}
        record(actor=actor, action="year.week.set", school=school, obj=locked, before={"weeks": before},
               after={"weeks": dict(sorted(after.items()))})
    return {g: after.get(g, 5) for g in GRADES}


# --- closing the year (R-Y05; 000 §2.13, 002 §5.2.1, 004 §III) ------------------------------------------

@dataclass(frozen=True)
class YearDates:
    starts_on: dt.date
    ends_on: dt.date
    name: str = ""


@dataclass(frozen=True)
class OrderRef:
    """A director's order: its number and date."""

    number: str
    date: dt.date | None

    @property
    def day(self) -> dt.date:
        assert self.date is not None, "a validated order has a date"
        return self.date


@dataclass
class CloseSummary:
    closed_year: AcademicYear
    new_year: AcademicYear
    continued: dict[str, str]  # old class -> the class continuing it ("5А" -> "6А")
    classes_created: list[str]
    promoted: int
    graduated: int
    repeating: int
    memberships_ended: int
    curriculum_lines: int
    assignments: int
    orders: list[Any]  # roster.MovementOrder
    warnings: list[str] = field(default_factory=list)
    left: int = 0  # students leaving at the year's end by a separate leaving order (after 9th grade…)
    # What the roles in the public schema need to follow the students and classes:
    old_class_of: dict[int, int] = field(default_factory=dict)  # student -> class of the closed year
    destination: dict[int, int] = field(default_factory=dict)  # student -> class of the new year (not graduates)
    class_map: dict[int, SchoolClass] = field(default_factory=dict)  # old class -> its continuation
    ended_classes: list[int] = field(default_factory=list)  # classes of the closed year not continued (11th)

    def as_dict(self) -> dict[str, Any]:
        return {
            "closed_year": self.closed_year.name, "new_year": self.new_year.name, "continued": self.continued,
            "classes_created": self.classes_created, "promoted": self.promoted, "graduated": self.graduated,
            "repeating": self.repeating, "left": self.left, "memberships_ended": self.memberships_ended,
            "curriculum_lines": self.curriculum_lines, "assignments": self.assignments,
            "orders": [{"kind": o.kind, "number": o.number, "date": o.date} for o in self.orders],
        }


def default_next_year(year: AcademicYear) -> YearDates:
    """The year after `year`: the same dates a year later."""
    starts, ends = shift_one_year(year.starts_on), shift_one_year(year.ends_on)
    return YearDates(starts, ends, f"{starts.year}/{ends.year}")


def _check_order(order: OrderRef, year: AcademicYear, prefix: str, errors: dict[str, list[str]]) -> OrderRef:
    from roster.models import MovementOrder

    number = (order.number or "").strip()
    if not number:
        _add(errors, f"{prefix}number", "Укажите номер приказа директора.")
    elif len(number) > 40:
        _add(errors, f"{prefix}number", "Номер приказа не длиннее 40 знаков.")
    if order.date is None:
        _add(errors, f"{prefix}date", "Укажите дату приказа директора.")
    elif order.date > today():
        _add(errors, f"{prefix}date", "Дата приказа в будущем: сначала издаётся приказ, потом переводятся обучающиеся.")
    elif order.date < year.starts_on:
        _add(errors, f"{prefix}date", f"Приказ датирован раньше начала закрываемого года ({_d(year.starts_on)}).")
    elif number and MovementOrder.objects.filter(number=number, date=order.date).exists():
        _add(errors, f"{prefix}number", f"Приказ № {number} от {_d(order.date)} уже зарегистрирован.")
    return OrderRef(number, order.date)


def close_year(actor: Person, school: School, year: AcademicYear, *, order_number: str, order_date: dt.date | None,
               repeaters: Iterable[int] = (), new_year: YearDates | None = None,
               graduation_order: OrderRef | None = None, repeat_order: OrderRef | None = None,
               leavers: Iterable[int] = (), leaving_order: OrderRef | None = None) -> CloseSummary:
    """Closes `year` by the director's order and opens the next one, in one transaction:

    * the next year, with the period schemes shifted by a year and the week lengths;
    * the classes continued one grade up (5А → 6А: letter, profile, class teacher and
      subgroups kept, `previous` linked); 11th-grade classes end; a class of the same grade
      for repeaters when none continues into it;
    * every open enrolment of the year closed on its last day by a movement order, and the
      promoted and repeating students enrolled from the new year's first day; graduates leave,
      and their student role (and the role of parents with no other child staying) ends;
    * class teachers' roles follow their class; the curriculum lines and teaching load of
      each class are copied to its continuation for review;
    * the year is marked closed with the order and stays readable and unchangeable;
    * `leavers` (pupils leaving after the 9th grade, or any grade, each by the leaving order
      `leaving_order`, kind "leave") end their enrolment on the year's last day with that order
      and are not moved on; their student role ends then, as a graduate's does.

    The transfer order (`order_number`, `order_date`, kind "promote") covers everyone unless
    a separate order on graduation or on repetition is given: one order per (number, date)
    is all the order register holds.
    """
    _require_close(actor, school)
    fresh = AcademicYear.objects.filter(pk=year.pk).first()
    if fresh is None:
        raise NotFound("Учебный год не найден.")
    if fresh.is_closed:
        raise YearClosed(f"Учебный год {fresh.name} уже закрыт.")
    year = fresh
    errors: dict[str, list[str]] = {}
    main = _check_order(OrderRef(order_number, order_date), year, "order_", errors)
    extra: dict[str, OrderRef] = {}
    try:
        leave_ids = {int(i) for i in leavers}
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("Выбывающие — номера обучающихся.", fields={"leavers": ["Ожидаются номера."]}) from exc
    if leave_ids and (leaving_order is None or not ((leaving_order.number or "").strip() or leaving_order.date)):
        _add(errors, "leaving_order_number", "Выбывающим по окончании года нужен приказ о выбытии: укажите его номер и дату.")
    for kind, prefix, ref in (("graduate", "graduation_order_", graduation_order), ("repeat", "repeat_order_", repeat_order),
                              ("leave", "leaving_order_", leaving_order if leave_ids else None)):
        if ref is not None and ((ref.number or "").strip() or ref.date):
            clean = _check_order(ref, year, prefix, errors)
            if (clean.number, clean.date) == (main.number, main.date) or clean in extra.values():
                _add(errors, f"{prefix}number", "Номер и дата совпадают с другим приказом: укажите отдельный приказ или оставьте поля пустыми.")
            extra[kind] = clean
    _fail(errors)
    target = new_year or default_next_year(year)
    new_name = _check_year(target.name, target.starts_on, target.ends_on)
    if target.starts_on <= year.ends_on:
        raise ValidationFailed("Новый учебный год начинается раньше окончания закрываемого.",
                               fields={"new_starts_on": ["Раньше окончания закрываемого года."]})
    enrolments = open_enrolments_of_year(year)
    students = {e.student_id for e in enrolments}
    try:
        repeat_ids = {int(i) for i in repeaters}
    except (TypeError, ValueError) as exc:
        raise ValidationFailed("Оставляемые на повторное обучение — номера обучающихся.", fields={"repeaters": ["Ожидаются номера."]}) from exc
    both = sorted(repeat_ids & leave_ids)
    if both:
        raise ValidationFailed("Один и тот же обучающийся не может и остаться на повторное обучение, и выбыть: " + ", ".join(map(str, both)) + ".",
                               fields={"leavers": ["Отмечены и как оставляемые на повторное обучение."]})
    strangers = sorted((repeat_ids | leave_ids) - students)
    if strangers:
        raise ValidationFailed(
            "Не обучающиеся этого учебного года не могут быть оставлены на повторное обучение или выбыть: "
            + ", ".join(map(str, strangers)) + ".",
            fields={"leavers" if set(strangers) <= leave_ids else "repeaters": [f"Не обучаются в {year.name}: {', '.join(map(str, strangers))}."]})
    try:
        return _close(actor, school, year, main, extra, repeat_ids, target, new_name, enrolments, leave_ids)
    except IntegrityError as exc:  # a concurrent close, or the same order registered meanwhile
        raise Conflict("Закрытие не выполнено: данные года только что изменились. Обновите страницу и повторите.") from exc


def _close(actor: Person, school: School, year: AcademicYear, main: OrderRef, extra: dict[str, OrderRef], repeat_ids: set[int],
           target: YearDates, new_name: str, enrolments: list[Any], leave_ids: set[int]) -> CloseSummary:
    with transaction.atomic():
        locked = AcademicYear.objects.select_for_update().get(pk=year.pk)
        if locked.is_closed:
            raise YearClosed(f"Учебный год {locked.name} уже закрыт.")
        before = snapshot(locked, YEAR_AUDITED)
        locked.status, locked.closed_at, locked.closed_by_id = YearStatus.CLOSED, timezone.now(), actor.pk
        locked.close_order_number, locked.close_order_date = main.number, main.date
        locked.save(update_fields=["status", "closed_at", "closed_by_id", "close_order_number", "close_order_date"])
        nxt = AcademicYear.objects.create(name=new_name, starts_on=target.starts_on, ends_on=target.ends_on)
        warnings = _copy_calendar(locked, nxt)
        summary = _move_students(actor, school, locked, nxt, enrolments, repeat_ids, main, extra, leave_ids)
        summary.warnings = warnings
        summary.memberships_ended, roles = _follow_roles(actor, school, locked, nxt, summary)
        locked.close_record = {"next_year": nxt.pk, "orders": [o.pk for o in summary.orders], "roles": roles,
                               "leavers": sorted(leave_ids), "repeaters": sorted(repeat_ids)}
        locked.save(update_fields=["close_record"])
        record(actor=actor, action="year.create", school=school, obj=nxt, after=snapshot(nxt, YEAR_AUDITED),
               reason=f"Закрытие учебного года {locked.name}")
        record(actor=actor, action="year.close", school=school, obj=locked, before=before,
               after={**snapshot(locked, YEAR_AUDITED), "summary": summary.as_dict(), "repeaters": sorted(repeat_ids),
                      "leavers": sorted(leave_ids)},
               reason=f"Приказ № {main.number} от {_d(main.date)}" if main.date else "")
    return summary


def _copy_calendar(old: AcademicYear, new: AcademicYear) -> list[str]:
    """The period schemes shifted by a year (clipped to the new year) and the week lengths.
    Vacations and moved days differ every year and are entered anew."""
    warnings = []
    schemes = list(PeriodScheme.objects.filter(year=old).prefetch_related("periods").order_by("id"))
    periods: list[StudyPeriod] = []
    for scheme in schemes:
        copy = PeriodScheme.objects.create(year=new, kind=scheme.kind, grades=list(scheme.grades))
        shifted = []
        for p in sorted(scheme.periods.all(), key=lambda p: p.number):
            start, end = max(shift_one_year(p.starts_on), new.starts_on), min(shift_one_year(p.ends_on), new.ends_on)
            shifted.append(StudyPeriod(scheme=copy, number=p.number, name=p.name, starts_on=start, ends_on=end))
        if all(p.starts_on <= p.ends_on for p in shifted):
            periods += shifted
        else:
            warnings.append(f"Периоды схемы «{copy}» не помещаются в даты нового года: внесите их заново.")
    StudyPeriod.objects.bulk_create(periods)
    if periods:
        warnings.append("Даты учебных периодов перенесены на год вперёд: проверьте их и внесите каникулы нового года.")
    WeekLength.objects.bulk_create([WeekLength(year=new, grade=w.grade, days=w.days) for w in WeekLength.objects.filter(year=old)])
    # The bell schedules (both shifts) go on unchanged: the lessons' times rarely change with the year.
    from timetable.models import Bell, BellSchedule

    schedules = list(BellSchedule.objects.filter(year=old).prefetch_related("bells").order_by("shift"))
    copies = BellSchedule.objects.bulk_create([BellSchedule(year=new, name=b.name, shift=b.shift) for b in schedules])
    Bell.objects.bulk_create([Bell(schedule=copy, number=bell.number, starts_at=bell.starts_at, ends_at=bell.ends_at)
                              for b, copy in zip(schedules, copies, strict=True) for bell in b.bells.all()])
    return warnings


def _move_students(actor: Person, school: School, old: AcademicYear, new: AcademicYear, enrolments: list[Any],
                   repeaters: set[int], main: OrderRef, extra: dict[str, OrderRef], leavers: set[int]) -> CloseSummary:
    from curriculum.models import CurriculumLine, TeachingAssignment
    from roster.models import Enrolment, MovementOrder, OrderKind, SchoolClass, Subgroup, SubgroupMember

    old_classes = list(SchoolClass.objects.filter(year=old).order_by("grade", "letter"))
    continued = {c.pk: SchoolClass(year=new, grade=c.grade + 1, letter=c.letter, profile=c.profile,
                                   class_teacher_id=c.class_teacher_id, previous=c)
                 for c in old_classes if c.grade < LAST_GRADE}
    by_key = {(c.grade, c.letter): c for c in continued.values()}
    repeat_classes: dict[tuple[int, str], SchoolClass] = {}
    for e in enrolments:
        c = e.school_class
        if e.student_id in repeaters and (c.grade, c.letter) not in by_key and (c.grade, c.letter) not in repeat_classes:
            repeat_classes[(c.grade, c.letter)] = SchoolClass(year=new, grade=c.grade, letter=c.letter, profile=c.profile)
    SchoolClass.objects.bulk_create([*continued.values(), *repeat_classes.values()])
    by_key.update(repeat_classes)

    orders = {"promote": MovementOrder.objects.create(
        kind=OrderKind.PROMOTE, number=main.number, date=main.day, created_by_id=actor.pk,
        note=f"Перевод обучающихся по итогам {old.name} учебного года")}
    if "graduate" in extra:
        orders["graduate"] = MovementOrder.objects.create(kind=OrderKind.GRADUATE, number=extra["graduate"].number,
                                                          date=extra["graduate"].day, created_by_id=actor.pk,
                                                          note=f"Выпуск {old.name} учебного года")
    if "repeat" in extra:
        orders["repeat"] = MovementOrder.objects.create(kind=OrderKind.REPEAT, number=extra["repeat"].number,
                                                        date=extra["repeat"].day, created_by_id=actor.pk,
                                                        note=f"Оставление на повторное обучение, {old.name} учебный год")
    if "leave" in extra:
        orders["leave"] = MovementOrder.objects.create(kind=OrderKind.LEAVE, number=extra["leave"].number,
                                                      date=extra["leave"].day, created_by_id=actor.pk,
                                                      note=f"Выбытие по окончании {old.name} учебного года")
    from roster.services import ORDER_AUDITED

    for order in orders.values():
        record(actor=actor, action="movement_order.create", school=school, obj=order, after=snapshot(order, ORDER_AUDITED))
    counts = {"promote": 0, "graduate": 0, "repeat": 0, "leave": 0}
    opened: list[Any] = []
    destination: dict[int, SchoolClass] = {}  # student -> new class
    for e in enrolments:
        c = e.school_class
        outcome = ("leave" if e.student_id in leavers else "repeat" if e.student_id in repeaters
                   else "graduate" if c.grade >= LAST_GRADE else "promote")
        counts[outcome] += 1
        order = orders.get(outcome, orders["promote"])
        e.until, e.order_out = max(old.ends_on, e.since), order
        if outcome not in ("graduate", "leave"):
            new_class = by_key[(c.grade, c.letter)] if outcome == "repeat" else continued[c.pk]
            destination[e.student_id] = new_class
            opened.append(Enrolment(student_id=e.student_id, school_class=new_class, since=new.starts_on, order_in=order))
    Enrolment.objects.bulk_update(enrolments, ["until", "order_out"])
    Enrolment.objects.bulk_create(opened)

    # Subgroups go on with the class and keep the members who go on with it.
    old_groups = list(Subgroup.objects.filter(school_class_id__in=list(continued)).order_by("id"))
    group_copies = {g.pk: Subgroup(school_class=continued[g.school_class_id], kind=g.kind, name=g.name) for g in old_groups}
    Subgroup.objects.bulk_create(list(group_copies.values()))
    SubgroupMember.objects.bulk_create([
        SubgroupMember(subgroup=group_copies[m.subgroup_id], student_id=m.student_id)
        for m in SubgroupMember.objects.filter(subgroup_id__in=list(group_copies)).select_related("subgroup")
        if destination.get(m.student_id) is continued[m.subgroup.school_class_id]
    ])
    # The curriculum and the teaching load are copied for review: the next grade's plan differs.
    lines = CurriculumLine.objects.bulk_create([
        CurriculumLine(school_class=continued[line.school_class_id], subject_id=line.subject_id, part=line.part,
                       hours_per_week=line.hours_per_week)
        for line in CurriculumLine.objects.filter(school_class_id__in=list(continued))
    ])
    assignments = TeachingAssignment.objects.bulk_create([
        TeachingAssignment(teacher_id=a.teacher_id, subject_id=a.subject_id, school_class=continued[a.school_class_id],
                           subgroup=group_copies.get(a.subgroup_id) if a.subgroup_id else None, hours_per_week=a.hours_per_week)
        for a in TeachingAssignment.objects.filter(school_class_id__in=list(continued))
    ])
    names = {c.pk: c.name for c in old_classes}
    return CloseSummary(
        closed_year=old, new_year=new, continued={names[pk]: c.name for pk, c in continued.items()},
        classes_created=[c.name for c in sorted([*continued.values(), *repeat_classes.values()], key=lambda c: (c.grade, c.letter))],
        promoted=counts["promote"], graduated=counts["graduate"], repeating=counts["repeat"], left=counts["leave"], memberships_ended=0,
        curriculum_lines=len(lines), assignments=len(assignments), orders=list(orders.values()),
        old_class_of={e.student_id: e.school_class_id for e in enrolments},
        destination={s: c.pk for s, c in destination.items()}, class_map=continued,
        ended_classes=[c.pk for c in old_classes if c.pk not in continued],
    )


def _follow_roles(actor: Person, school: School, old: AcademicYear, new: AcademicYear, summary: CloseSummary) -> tuple[int, dict[str, Any]]:
    """The roles in the public schema follow the move: graduates' student roles end on the
    year's last day, and so do the roles of parents with no other child studying here (the
    roster's own helpers, as for any leaving student); a class teacher's role, which names
    the class, moves to the continued class (the old one ends, a new one starts). Returns
    how many student and parent roles ended, and what changed for a reopen: {"ended": {role id:
    its previous end or None}, "started": [role ids]}."""
    from accounts.models import Membership, Person
    from accounts.roles import Role
    from roster.models import Guardianship
    from roster.services import end_memberships, end_parent_roles_without_children, ensure_membership, live_for_update

    last_day = old.ends_on
    graduates = set(summary.old_class_of) - set(summary.destination)
    parents = set(Guardianship.objects.filter(student_id__in=graduates).values_list("parent_id", flat=True))
    families = Membership.objects.filter(school=school, role__in=[Role.STUDENT, Role.PARENT], person_id__in=graduates | parents)
    live_before = families.filter(Q(until__isnull=True) | Q(until__gt=last_day)).count()
    watched = Membership.objects.filter(school=school).filter(
        Q(role__in=[Role.STUDENT, Role.PARENT], person_id__in=graduates | parents)
        | Q(role=Role.CLASS_TEACHER, class_id__in=list(summary.class_map) + list(summary.ended_classes)))
    previous = dict(watched.values_list("pk", "until"))
    reason = f"Выпуск или выбытие: закрытие учебного года {old.name}"
    end_memberships(actor, school, live_for_update(Membership.objects.filter(school=school, role=Role.STUDENT, person_id__in=graduates),
                                          last_day), last_day, reason)
    end_parent_roles_without_children(actor, school, parents, last_day, reason)
    ended = live_before - families.filter(Q(until__isnull=True) | Q(until__gt=last_day)).count()

    teachers = list(live_for_update(Membership.objects.filter(school=school, role=Role.CLASS_TEACHER,
                                                    class_id__in=list(summary.class_map) + list(summary.ended_classes)), last_day))
    end_memberships(actor, school, teachers, last_day, f"Закрытие учебного года {old.name}")
    follows = {m.person_id: summary.class_map[m.class_id] for m in teachers
               if m.class_id in summary.class_map and summary.class_map[m.class_id].class_teacher_id == m.person_id}
    since = min(today(), new.starts_on)
    for person in Person.objects.filter(pk__in=list(follows)):
        school_class = follows[person.pk]
        ensure_membership(actor, school, person, Role.CLASS_TEACHER, since, f"Классный руководитель {school_class} в {new.name}",
                           class_id=school_class.pk)
    changed = {str(pk): (was.isoformat() if (was := previous[pk]) is not None else None)
               for pk, until in watched.filter(pk__in=list(previous)).values_list("pk", "until") if until != previous[pk]}
    started = list(Membership.objects.filter(school=school, role=Role.CLASS_TEACHER,
                                             class_id__in=[c.pk for c in summary.class_map.values()]).values_list("pk", flat=True))
    return ended, {"ended": changed, "started": started}


# --- reopening a closed year (R-Y05) ------------------------------------------------------------------

@dataclass
class ReopenSummary:
    year: AcademicYear
    removed_year: str
    enrolments_restored: int
    orders_cancelled: list[str]
    roles_restored: int


def _journal_records_of(year: AcademicYear) -> list[str]:
    """What teachers have already entered for `year`'s classes (lessons, marks, final marks, change
    requests, notebooks, calendar-thematic plans, extra-curricular groups): the journal's own rows,
    read by their models' names so that schoolyear does not depend on the journal's code."""
    from django.apps import apps

    found = []
    checks = [("Lesson", "school_class__year", "записи уроков"), ("PeriodMark", "school_class__year", "итоговые отметки"),
              ("ChangeRequest", "school_class__year", "заявки на замену сведений"),
              ("NotebookEntry", "school_class__year", "проверка тетрадей"), ("KtpPlan", "school_class__year", "КТП"),
              ("ActivityGroup", "year", "внеурочные группы")]
    for model_name, lookup, label in checks:
        try:
            model = apps.get_model("journal", model_name)
        except LookupError:  # pragma: no cover - a journal without this model
            continue
        if model.objects.filter(**{lookup: year}).exists():
            found.append(label)
    return found


def _next_year_work(school: School, old: AcademicYear, nxt: AcademicYear, class_ids: list[int]) -> list[str]:
    """What was entered in `nxt` after `old` was closed and would go with it if the close were
    undone (R-Y05): timetable entries, class and school events of its dates, days off, moved days,
    and subgroups, their members, curriculum lines and teaching load changed since the close.
    "Changed since the close" is read from the audit: a record on such an object (or on the new
    year's parallels) made after `old.closed_at` other than the close's own records (the close
    writes none on these objects; its reason starts with «Закрытие учебного года»)."""
    from audit.models import AuditRecord
    from curriculum.models import CurriculumLine, TeachingAssignment
    from roster.models import Subgroup
    from timetable.models import Event, TimetableEntry

    found = []
    counts = [
        (TimetableEntry.objects.filter(school_class_id__in=class_ids).count(), "уроков в расписании"),
        (Event.objects.filter(Q(school_class_id__in=class_ids)
                              | Q(school_class__isnull=True, date__gte=nxt.starts_on, date__lte=nxt.ends_on)).count(), "событий"),
        (DayOff.objects.filter(year=nxt).count(), "каникул и выходных"),
        (MovedDay.objects.filter(year=nxt).count(), "переносов учебных дней"),
    ]
    found += [f"{label}: {n}" for n, label in counts if n]
    if old.closed_at is not None:
        ids = {
            "roster.subgroup": {str(pk) for pk in Subgroup.objects.filter(school_class_id__in=class_ids).values_list("pk", flat=True)},
            "curriculum.curriculumline": {str(pk) for pk in CurriculumLine.objects.filter(school_class_id__in=class_ids).values_list("pk", flat=True)},
            "curriculum.teachingassignment": {str(pk) for pk in TeachingAssignment.objects.filter(school_class_id__in=class_ids).values_list("pk", flat=True)},
        }
        labels = {"roster.subgroup": "подгруппы и их состав", "curriculum.curriculumline": "учебный план",
                  "curriculum.teachingassignment": "педагогическая нагрузка", "curriculum.parallel": "учебный план"}
        changed: set[str] = set()
        later = (AuditRecord.objects.filter(school=school, at__gt=old.closed_at, object_type__in=list(labels))
                 .exclude(reason__startswith="Закрытие учебного года").values_list("object_type", "object_id", "action", "before"))
        for object_type, object_id, action, before in later:
            gone = action.endswith(".delete") and isinstance(before, dict) and before.get("school_class") in class_ids
            if object_id in ids.get(object_type, set()) or gone or (object_type == "curriculum.parallel" and object_id.startswith(f"{nxt.pk}:")):
                changed.add(labels[object_type])
        found += [f"изменены {label} после закрытия" for label in sorted(changed)]
    return found


def _audit_removed(actor: Person, school: School, reason: str, querysets: Sequence[Any]) -> None:
    """One «удалено при отмене закрытия» record per row about to go, with its state before."""
    for qs in querysets:
        model = qs.model
        fields = [f.name for f in model._meta.concrete_fields if not f.primary_key]
        for obj in qs:
            record(actor=actor, action=f"{model._meta.label_lower}.delete", school=school, obj=obj,
                   before=snapshot(obj, fields), reason=reason)


def reopen_year(actor: Person, school: School, year: AcademicYear, *, reason: str) -> ReopenSummary:
    """Undoes a year's close (a mistaken order, a pupil left out of the repeaters) while nothing has
    happened in the year it opened: refused once the next year has journal records, a movement
    order of its own, work entered there since the close (timetable, events, days off, moved days,
    subgroups, curriculum or load edited: see _next_year_work), or a later year. The next year goes
    with everything the close copied into it (classes, subgroups, curriculum and load, periods,
    weeks, bells), each deleted row audited with its state; the closed year's enrolments reopen, the
    close's orders are cancelled, the roles it ended are put back and every class-teacher role of
    the removed classes is revoked (also one granted after the close). Each step is audited, the reason
    (e.g. the director's order cancelling the transfer order) is required."""
    from accounts.models import Membership
    from accounts.roles import Role
    from curriculum.models import CurriculumLine, TeachingAssignment
    from roster.models import Enrolment, MovementOrder, SchoolClass, Subgroup, SubgroupMember
    from roster.services import ORDER_AUDITED
    from timetable.models import Bell, BellSchedule

    _require_close(actor, school)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed("Укажите основание: например, приказ директора об отмене приказа о переводе.",
                               fields={"reason": ["Укажите основание."]})
    if len(reason) > 300:
        raise ValidationFailed("Основание не длиннее 300 знаков.", fields={"reason": ["Не длиннее 300 знаков."]})
    with transaction.atomic():
        old = AcademicYear.objects.select_for_update().filter(pk=year.pk).first()
        if old is None:
            raise NotFound("Учебный год не найден.")
        if not old.is_closed:
            raise ValidationFailed(f"Учебный год {old.name} не закрыт.", code="year_not_closed")
        record_of_close: dict[str, Any] = old.close_record or {}
        nxt = AcademicYear.objects.select_for_update().filter(pk=int(record_of_close.get("next_year") or 0)).first()
        if nxt is None or nxt.is_closed:
            raise Conflict(f"Учебный год {old.name} нельзя открыть заново: следующий год, открытый при его закрытии, "
                           "уже закрыт или удалён (или год закрыт до того, как платформа стала запоминать закрытие).")
        later = AcademicYear.objects.filter(starts_on__gt=old.starts_on).exclude(pk=nxt.pk).order_by("starts_on").first()
        if later is not None:
            raise Conflict(f"После {old.name} есть ещё учебный год {later.name}: открыть заново можно только последний закрытый год.")
        journal = _journal_records_of(nxt)
        if journal:
            raise Conflict(f"В {nxt.name} уже ведётся журнал ({', '.join(journal)}): закрытие {old.name} отменить нельзя. "
                           "Исправления оформляются приказами о движении обучающихся в новом году.", code="next_year_in_use")
        order_ids = set(record_of_close.get("orders", []))
        new_rows = list(Enrolment.objects.select_for_update().filter(school_class__year=nxt))
        foreign = [e for e in new_rows if e.order_in_id not in order_ids or e.until is not None]
        if foreign:
            raise Conflict(f"После закрытия {old.name} в {nxt.name} уже оформлялись зачисления, переводы или выбытия: "
                           "закрытие отменить нельзя. Исправления оформляются приказами в новом году.", code="next_year_in_use")
        new_class_ids = list(SchoolClass.objects.filter(year=nxt).values_list("pk", flat=True))
        in_use = _next_year_work(school, old, nxt, new_class_ids)
        if in_use:
            raise Conflict(f"В {nxt.name} после закрытия {old.name} уже внесены данные ({'; '.join(in_use)}): "
                           "закрытие отменить нельзя — они были бы удалены. Исправления оформляются приказами в новом году.",
                           code="next_year_in_use")
        restored = list(Enrolment.objects.select_for_update().filter(school_class__year=old, order_out_id__in=order_ids))
        before = snapshot(old, YEAR_AUDITED)
        removed = nxt.name
        try:
            with transaction.atomic(), batched():
                why = f"Отмена закрытия учебного года {old.name}: {reason}"
                _audit_removed(actor, school, why, [
                    Enrolment.objects.filter(pk__in=[e.pk for e in new_rows]),
                    TeachingAssignment.objects.filter(school_class_id__in=new_class_ids),
                    CurriculumLine.objects.filter(school_class_id__in=new_class_ids),
                    SubgroupMember.objects.filter(subgroup__school_class_id__in=new_class_ids),
                    Subgroup.objects.filter(school_class_id__in=new_class_ids),
                    SchoolClass.objects.filter(pk__in=new_class_ids),
                    StudyPeriod.objects.filter(scheme__year=nxt),
                    PeriodScheme.objects.filter(year=nxt),
                    WeekLength.objects.filter(year=nxt),
                    Bell.objects.filter(schedule__year=nxt),
                    BellSchedule.objects.filter(year=nxt),
                ])
                Enrolment.objects.filter(pk__in=[e.pk for e in new_rows]).delete()
                new_classes = SchoolClass.objects.filter(pk__in=new_class_ids)
                TeachingAssignment.objects.filter(school_class__in=new_classes).delete()
                CurriculumLine.objects.filter(school_class__in=new_classes).delete()
                new_classes.delete()
                nxt.delete()
        except ProtectedError as exc:
            raise Conflict(f"В {removed} уже есть данные, которые нельзя удалить (расписание с заменами, записи журнала): "
                           "закрытие отменить нельзя.", code="next_year_in_use") from exc
        for e in restored:
            e.until, e.order_out = None, None
        Enrolment.objects.bulk_update(restored, ["until", "order_out"])
        roles = record_of_close.get("roles", {})
        back = 0
        for membership in Membership.objects.select_for_update().filter(school=school, pk__in=[int(k) for k in roles.get("ended", {})]):
            previous = roles["ended"][str(membership.pk)]
            snap = {"until": membership.until}
            membership.until = dt.date.fromisoformat(previous) if previous else None
            membership.save(update_fields=["until"])
            record(actor=actor, action="role.restore", school=school, obj=membership, before=snap, after={"until": membership.until},
                   reason=f"Отмена закрытия учебного года {old.name}: {reason}")
            back += 1
        # Every class-teacher role of a removed class: those the close started and those granted since
        # (an appointment in the new year), found by query rather than by the close's record.
        for membership in Membership.objects.select_for_update().filter(
                Q(pk__in=roles.get("started", [])) | Q(role=Role.CLASS_TEACHER, class_id__in=new_class_ids), school=school):
            record(actor=actor, action="role.revoke", school=school, obj=membership,
                   before={"role": membership.role, "since": membership.since, "until": membership.until, "class_id": membership.class_id},
                   reason=f"Отмена закрытия учебного года {old.name}: класс {removed} удалён. {reason}")
            membership.delete()
        cancelled = []
        for order in MovementOrder.objects.filter(pk__in=order_ids).order_by("pk"):
            cancelled.append(str(order))
            record(actor=actor, action="movement_order.cancel", school=school, obj=order, before=snapshot(order, ORDER_AUDITED),
                   reason=f"Отмена закрытия учебного года {old.name}: {reason}")
            order.delete()
        old.status, old.closed_at, old.closed_by_id = YearStatus.OPEN, None, None
        old.close_order_number, old.close_order_date, old.close_record = "", None, {}
        old.save(update_fields=["status", "closed_at", "closed_by_id", "close_order_number", "close_order_date", "close_record"])
        record(actor=actor, action="year.reopen", school=school, obj=old, before=before,
               after={**snapshot(old, YEAR_AUDITED), "removed_year": removed, "enrolments_restored": len(restored),
                      "orders_cancelled": cancelled, "roles_restored": back}, reason=reason)
    return ReopenSummary(year=old, removed_year=removed, enrolments_restored=len(restored), orders_cancelled=cancelled,
                         roles_restored=back)
