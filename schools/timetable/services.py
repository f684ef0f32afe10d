"""Writes about bells, the weekly timetable, events and substitutions (R-Y04; 004 §VII: the
deputy director creates and corrects the timetable, school and class events; 003 §2.1:
a lesson taught instead of the usual teacher is recorded as a substitution).

Every write takes the acting person first, checks Perm.MANAGE_TIMETABLE, validates, writes
in one transaction and appends an audit record. Timetable writes take a per-school advisory
lock, so two deputies saving at once cannot both pass the clash check."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from django.db import connection, transaction
from django.db.models import Q

from accounts.roles import Perm
from accounts.selectors import access_for
from accounts.services import ensure_writable
from audit.services import record, snapshot
from core.errors import Conflict, PermissionDenied
from curriculum.models import Subject
from curriculum.selectors import planned_hours, teaches
from curriculum.validation import FieldErrors, audited_delete, fmt_hours, is_staff_of, lessons_ceiling
from roster.models import SchoolClass, Subgroup, SubgroupMember
from schoolyear.calendar_service import SchoolCalendar
from schoolyear.guards import ensure_year_open
from schoolyear.models import AcademicYear, WeekLength
from schoolyear.selectors import year_for_date

from .models import Bell, BellSchedule, Event, EventKind, Substitution, TimetableEntry
from .selectors import WEEKDAYS, bell_times, entry_runs_on, lessons_on, overlapping_slots, valid_between

if TYPE_CHECKING:
    from accounts.models import Person
    from tenants.models import School

ENTRY_AUDITED = ["school_class", "subgroup", "weekday", "lesson_number", "shift", "subject", "teacher", "room", "valid_from", "valid_to"]
EVENT_AUDITED = ["kind", "school_class", "title", "date", "starts_at", "place"]
SUBSTITUTION_AUDITED = ["date", "entry", "absent_teacher", "substitute", "subject", "reason"]


def _authorise(actor: Person, school: School) -> None:
    if not access_for(actor).can(Perm.MANAGE_TIMETABLE, school):
        raise PermissionDenied("Расписание, мероприятия и замены ведут заместитель директора и администрация школы.")
    ensure_writable(school)


def _lock_timetable() -> None:
    """Serialises timetable writes of this school (its schema) until the transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(current_schema() || ':timetable'))")


# --- bells -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class BellTime:
    number: int
    starts_at: dt.time
    ends_at: dt.time


def _bells_text(bells: Sequence[BellTime] | Sequence[Bell]) -> list[str]:
    return [f"{b.number}: {b.starts_at:%H:%M}–{b.ends_at:%H:%M}" for b in bells]


def save_bell_schedule(actor: Person, school: School, *, year: AcademicYear, shift: int, bells: Sequence[BellTime],
                       name: str = "") -> BellSchedule:
    """Creates or replaces the bell schedule of one shift: lesson times in order, without
    overlaps. Lessons the timetable already uses may not disappear."""
    _authorise(actor, school)
    ensure_year_open(year)
    errors = FieldErrors()
    if shift not in (1, 2):
        errors.add("shift", "Смена: 1 или 2.")
    if not bells:
        errors.add("bells", "Укажите время хотя бы одного урока.")
    ordered = sorted(bells, key=lambda b: b.number)
    numbers = [b.number for b in ordered]
    if len(set(numbers)) != len(numbers):
        errors.add("bells", "Номера уроков повторяются.")
    for b in ordered:
        if not 0 <= b.number <= 12:
            errors.add("bells", f"Номер урока {b.number}: допустимо от 0 до 12.")
        if b.ends_at <= b.starts_at:
            errors.add("bells", f"{b.number} урок: окончание ({b.ends_at:%H:%M}) должно быть позже начала ({b.starts_at:%H:%M}).")
    for prev, cur in itertools.pairwise(ordered):
        if cur.starts_at < prev.ends_at:
            errors.add("bells", f"{cur.number} урок ({cur.starts_at:%H:%M}) начинается раньше, чем кончается {prev.number} "
                                f"({prev.ends_at:%H:%M}): уроки идут по порядку и не пересекаются.")
    name = " ".join((name or "").split()) or f"{shift} смена"
    if len(name) > 60:
        errors.add("name", "Название — не длиннее 60 символов.")
    if not errors:
        used = set(TimetableEntry.objects.filter(school_class__year=year, shift=shift).values_list("lesson_number", flat=True))
        lost = sorted(used - set(numbers))
        if lost:
            errors.add("bells", f"В расписании уже стоят уроки № {', '.join(map(str, lost))} {shift} смены: их время нельзя убрать.")
    errors.raise_if_any()
    with transaction.atomic():
        _lock_timetable()
        schedule = BellSchedule.objects.filter(year=year, shift=shift).first()
        before = None
        if schedule is None:
            schedule = BellSchedule.objects.create(year=year, shift=shift, name=name)
        else:
            before = {"name": schedule.name, "bells": _bells_text(list(schedule.bells.all()))}
            schedule.name = name
            schedule.save(update_fields=["name"])
            schedule.bells.all().delete()
        Bell.objects.bulk_create([Bell(schedule=schedule, number=b.number, starts_at=b.starts_at, ends_at=b.ends_at) for b in ordered])
        record(actor=actor, action="timetable.bells.save", school=school, obj=schedule, before=before,
               after={"year": year.pk, "shift": shift, "name": name, "bells": _bells_text(ordered)})
    return schedule


def delete_bell_schedule(actor: Person, school: School, schedule: BellSchedule) -> None:
    _authorise(actor, school)
    ensure_year_open(schedule.year_id)
    if TimetableEntry.objects.filter(school_class__year_id=schedule.year_id, shift=schedule.shift).exists():
        raise Conflict(f"В расписании есть уроки {schedule.shift} смены: сначала уберите их.")
    with transaction.atomic():
        record(actor=actor, action="timetable.bells.delete", school=school, obj=schedule,
               before={"shift": schedule.shift, "name": schedule.name, "bells": _bells_text(list(schedule.bells.all()))})
        schedule.delete()


# --- timetable entries -------------------------------------------------------------------------------

@dataclass(frozen=True)
class EntryData:
    school_class: SchoolClass
    weekday: int  # 1 = Monday … 6 = Saturday
    lesson_number: int
    subject: Subject
    teacher: Person
    subgroup: Subgroup | None = None
    room: str = ""
    shift: int = 1
    valid_from: dt.date | None = None  # None: from the start of the class's year
    valid_to: dt.date | None = None  # None: to its end


def _slot(e: TimetableEntry | EntryData) -> str:
    return f"{WEEKDAYS.get(e.weekday, str(e.weekday)).lower()}, {e.lesson_number} урок"


def _peak_count(data: EntryData, others: list[TimetableEntry], start: dt.date, end: dt.date, year_end: dt.date) -> int:
    """How many lessons of the subject a week the class (or the subgroup) would have at the
    busiest moment of [start, end] with the new entry. A whole-class lesson counts for every
    subgroup; subgroups count separately."""
    starts = {start} | {o.valid_from for o in others if start < o.valid_from <= end}
    peak = 0
    for day in starts:
        live = [o for o in others if o.valid_from <= day <= (o.valid_to or year_end)]
        whole = sum(1 for o in live if o.subgroup_id is None)
        groups: dict[int, int] = {}
        for o in live:
            if o.subgroup_id is not None:
                groups[o.subgroup_id] = groups.get(o.subgroup_id, 0) + 1
        if data.subgroup is None:
            count = whole + 1 + max(groups.values(), default=0)
        else:
            count = whole + groups.get(data.subgroup.pk, 0) + 1
        peak = max(peak, count)
    return peak


def _share_students(a: int, b: int) -> bool:
    return SubgroupMember.objects.filter(subgroup_id=a, student_id__in=SubgroupMember.objects.filter(subgroup_id=b).values("student_id")).exists()


def validate_entry(school: School, data: EntryData, *, exclude_id: int | None = None) -> EntryData:
    """Checks one timetable entry and returns it completed (dates filled in, room trimmed);
    raises ValidationFailed with every problem, field by field (R-Y04):
    the weekday fits the grade's 5- or 6-day week; the lesson is in the shift's bells; the
    subject is in the class's curriculum and this lesson does not exceed its weekly hours;
    the teacher is a staff member assigned to this class and subject (or subgroup); no
    clash — the same teacher or room twice at one time, or the class twice (different
    subgroups of the class with no common student may share a time; they may share a room)."""
    school_class = data.school_class
    year = school_class.year
    errors = FieldErrors()
    room = " ".join((data.room or "").split())
    if len(room) > 20:
        errors.add("room", "Кабинет — не длиннее 20 символов.")
    start = data.valid_from or year.starts_on
    end = data.valid_to or year.ends_on
    if not year.starts_on <= start <= year.ends_on:
        errors.add("valid_from", f"Дата начала вне учебного года {year} ({year.starts_on:%d.%m.%Y}–{year.ends_on:%d.%m.%Y}).")
    if data.valid_to is not None and not start <= data.valid_to <= year.ends_on:
        errors.add("valid_to", "Дата окончания — не раньше начала и не позже конца учебного года.")
    if data.subgroup is not None and data.subgroup.school_class_id != school_class.pk:
        errors.add("subgroup", f"Подгруппа «{data.subgroup.name}» не из класса {school_class}.")
    days = WeekLength.objects.filter(year=year, grade=school_class.grade).values_list("days", flat=True).first() or 5
    if not 1 <= data.weekday <= 6:
        errors.add("weekday", "День недели: от понедельника (1) до субботы (6).")
    elif data.weekday > days:
        errors.add("weekday", f"У {school_class.grade} классов {days}-дневная учебная неделя: {WEEKDAYS[data.weekday].lower()} не учебный день.")
    times = bell_times(year)
    if data.shift not in (1, 2):
        errors.add("shift", "Смена: 1 или 2.")
    elif not any(shift == data.shift for shift, _ in times):
        errors.add("shift", f"Для {data.shift} смены не задано расписание звонков.")
    elif (data.shift, data.lesson_number) not in times:
        errors.add("lesson_number", f"В расписании звонков {data.shift} смены нет {data.lesson_number} урока.")
    if errors:
        errors.raise_if_any()

    # (b) the curriculum: no more lessons a week than its hours.
    hours = planned_hours(school_class.pk, data.subject.pk)
    if hours <= 0:
        errors.add("subject", f"«{data.subject.name}» нет в учебном плане {school_class}: сначала внесите его часы.")
    else:
        same = list(TimetableEntry.objects.filter(valid_between(start, end), school_class=school_class, subject=data.subject)
                    .exclude(pk=exclude_id or 0))
        count = _peak_count(data, same, start, end, year.ends_on)
        if count > lessons_ceiling(hours):
            who = f"{school_class}" + (f" ({data.subgroup.name})" if data.subgroup else "")
            errors.add("subject", f"По учебному плану у {who} «{data.subject.name}» — {fmt_hours(hours)} ч в неделю, "
                                  f"а это был бы {count}-й урок в неделю.")
    # (c) the teaching load.
    if not is_staff_of(data.teacher.pk, school):
        errors.add("teacher", f"{data.teacher.short_name} не работает в этой школе.")
    elif not teaches(data.teacher.pk, school_class.pk, data.subject.pk, data.subgroup.pk if data.subgroup else None):
        target = f"подгруппе «{data.subgroup.name}»" if data.subgroup else f"классу {school_class}"
        errors.add("teacher", f"У {data.teacher.short_name} нет нагрузки «{data.subject.name}» по {target}: "
                              "сначала назначьте её на странице нагрузки.")
    # (a) clashes at the same time, in overlapping validity, in the same year.
    slots = overlapping_slots(times, data.shift, data.lesson_number)
    at_same_time = Q()
    for shift, number in slots:
        at_same_time |= Q(shift=shift, lesson_number=number)
    who_or_where = Q(teacher=data.teacher) | Q(school_class=school_class)
    if room:
        who_or_where |= Q(room__iexact=room)
    clashes = (TimetableEntry.objects.filter(at_same_time, who_or_where, valid_between(start, end), weekday=data.weekday,
                                             school_class__year=year)
               .exclude(pk=exclude_id or 0).select_related("school_class", "subgroup", "subject"))
    for other in clashes:
        same_class = other.school_class_id == school_class.pk
        split = (same_class and data.subgroup is not None and other.subgroup_id is not None
                 and other.subgroup_id != data.subgroup.pk)
        if other.teacher_id == data.teacher.pk:
            errors.add("teacher", f"{data.teacher.short_name} в это время ({_slot(other)}) ведёт «{other.subject.name}» "
                                  f"в {other.school_class}" + (f" ({other.subgroup.name})" if other.subgroup else "") + ".")
        if same_class:
            if not split:
                errors.add("lesson_number", f"У {school_class} в это время ({_slot(other)}) уже стоит «{other.subject.name}»"
                                            + (f" ({other.subgroup.name})" if other.subgroup else "") + ".")
            elif data.subgroup is not None and other.subgroup is not None and _share_students(data.subgroup.pk, other.subgroup_id or 0):
                errors.add("subgroup", f"Подгруппы «{data.subgroup.name}» и «{other.subgroup.name}» имеют общих учеников: "
                                       "их уроки не могут идти одновременно.")
        if room and other.room.lower() == room.lower() and not split:
            errors.add("room", f"Кабинет {room} в это время ({_slot(other)}) занят: {other.school_class}, «{other.subject.name}».")
    errors.raise_if_any(code="timetable_conflict" if "teacher" in errors.fields or "room" in errors.fields
                        or "lesson_number" in errors.fields else None)
    return replace(data, room=room, valid_from=start, valid_to=data.valid_to)


def create_entry(actor: Person, school: School, data: EntryData) -> TimetableEntry:
    """Puts one lesson into a class's weekly timetable (validated by `validate_entry`)."""
    _authorise(actor, school)
    ensure_year_open(data.school_class.year_id)
    with transaction.atomic():
        _lock_timetable()
        clean = validate_entry(school, data)
        assert clean.valid_from is not None
        entry = TimetableEntry.objects.create(
            school_class=clean.school_class, subgroup=clean.subgroup, weekday=clean.weekday, lesson_number=clean.lesson_number,
            shift=clean.shift, subject=clean.subject, teacher=clean.teacher, room=clean.room, valid_from=clean.valid_from,
            valid_to=clean.valid_to,
        )
        record(actor=actor, action="timetable.entry.create", school=school, obj=entry, after=snapshot(entry, ENTRY_AUDITED))
    return entry


def _data_of(entry: TimetableEntry) -> EntryData:
    return EntryData(school_class=entry.school_class, weekday=entry.weekday, lesson_number=entry.lesson_number, subject=entry.subject,
                     teacher=entry.teacher, subgroup=entry.subgroup, room=entry.room, shift=entry.shift,
                     valid_from=entry.valid_from, valid_to=entry.valid_to)


def update_entry(actor: Person, school: School, entry: TimetableEntry, data: EntryData, *,
                 from_date: dt.date | None = None) -> TimetableEntry:
    """Changes a lesson of the timetable. With `from_date` (a change in the middle of the
    year) the old entry ends the day before and a new one starts that day, so the weeks
    already taught keep the timetable they had. Returns the entry now in force."""
    _authorise(actor, school)
    ensure_year_open(entry.school_class.year_id)
    if data.school_class.pk != entry.school_class_id:
        raise Conflict("Урок нельзя перенести в другой класс: удалите его и создайте заново.")
    with transaction.atomic():
        _lock_timetable()
        before = snapshot(entry, ENTRY_AUDITED)
        if from_date is not None and from_date > entry.valid_from:
            if entry.valid_to is not None and from_date > entry.valid_to:
                raise Conflict("Этот урок к той дате уже не действует.", fields={"from_date": ["Позже окончания урока."]})
            if entry.substitutions.filter(date__gte=from_date).exists():
                raise Conflict("На этот урок после этой даты назначены замены: сначала отмените их.")
            clean = validate_entry(school, replace(data, valid_from=from_date, valid_to=entry.valid_to), exclude_id=entry.pk)
            assert clean.valid_from is not None
            entry.valid_to = from_date - dt.timedelta(days=1)
            entry.save(update_fields=["valid_to"])
            record(actor=actor, action="timetable.entry.end", school=school, obj=entry, before=before,
                   after=snapshot(entry, ENTRY_AUDITED), reason=f"изменение расписания с {from_date:%d.%m.%Y}")
            new = TimetableEntry.objects.create(
                school_class=clean.school_class, subgroup=clean.subgroup, weekday=clean.weekday, lesson_number=clean.lesson_number,
                shift=clean.shift, subject=clean.subject, teacher=clean.teacher, room=clean.room, valid_from=clean.valid_from,
                valid_to=clean.valid_to,
            )
            record(actor=actor, action="timetable.entry.create", school=school, obj=new, after=snapshot(new, ENTRY_AUDITED),
                   reason=f"изменение расписания с {from_date:%d.%m.%Y}")
            return new
        moved = (data.weekday, data.lesson_number, data.shift) != (entry.weekday, entry.lesson_number, entry.shift)
        if moved and entry.substitutions.exists():
            raise Conflict("На этот урок уже назначались замены: измените расписание с нужной даты, а не целиком.",
                           fields={"from_date": ["Укажите дату, с которой действует изменение."]})
        clean = validate_entry(school, data, exclude_id=entry.pk)
        for name in ("subgroup", "weekday", "lesson_number", "shift", "subject", "teacher", "room", "valid_from", "valid_to"):
            setattr(entry, name, getattr(clean, name))
        entry.save()
        record(actor=actor, action="timetable.entry.update", school=school, obj=entry, before=before, after=snapshot(entry, ENTRY_AUDITED))
    return entry


def delete_entry(actor: Person, school: School, entry: TimetableEntry) -> None:
    _authorise(actor, school)
    ensure_year_open(entry.school_class.year_id)
    if entry.substitutions.exists():
        raise Conflict("На этот урок уже назначались замены: удалить его нельзя, завершите его датой.")
    audited_delete(actor, school, entry, "timetable.entry.delete", ENTRY_AUDITED)


# --- events ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EventData:
    title: str
    date: dt.date
    kind: str = EventKind.SCHOOL
    school_class: SchoolClass | None = None
    starts_at: dt.time | None = None
    place: str = ""


def _clean_event(data: EventData) -> EventData:
    errors = FieldErrors()
    title = " ".join((data.title or "").split())
    place = " ".join((data.place or "").split())
    if not title:
        errors.add("title", "Укажите название мероприятия.")
    elif len(title) > 200:
        errors.add("title", "Название — не длиннее 200 символов.")
    if len(place) > 100:
        errors.add("place", "Место — не длиннее 100 символов.")
    if data.kind not in EventKind.values:
        errors.add("kind", "Вид мероприятия: школьное или классное.")
    elif data.kind == EventKind.CLASS and data.school_class is None:
        errors.add("school_class", "Для классного мероприятия укажите класс.")
    elif data.kind == EventKind.SCHOOL and data.school_class is not None:
        errors.add("school_class", "Школьное мероприятие не относится к одному классу.")
    year = data.school_class.year if data.school_class is not None else year_for_date(data.date)
    if year is None or not year.starts_on <= data.date <= year.ends_on:
        errors.add("date", "Дата вне учебного года" + (f" {year} ({year.starts_on:%d.%m.%Y}–{year.ends_on:%d.%m.%Y})." if year else "."))
    errors.raise_if_any()
    assert year is not None
    ensure_year_open(year)
    kind = EventKind(data.kind)
    return EventData(title=title, date=data.date, kind=kind, school_class=data.school_class if kind == EventKind.CLASS else None,
                     starts_at=data.starts_at, place=place)


def _event_year(event: Event) -> AcademicYear | None:
    return event.school_class.year if event.school_class is not None else year_for_date(event.date)


def create_event(actor: Person, school: School, data: EventData) -> Event:
    """A school or class event on a date inside the year (R-Y04; 004 §VII)."""
    _authorise(actor, school)
    clean = _clean_event(data)
    with transaction.atomic():
        event = Event.objects.create(kind=clean.kind, school_class=clean.school_class, title=clean.title, date=clean.date,
                                     starts_at=clean.starts_at, place=clean.place, created_by_id=actor.pk)
        record(actor=actor, action="timetable.event.create", school=school, obj=event, after=snapshot(event, EVENT_AUDITED))
    return event


def update_event(actor: Person, school: School, event: Event, data: EventData) -> Event:
    _authorise(actor, school)
    ensure_year_open(_event_year(event))
    clean = _clean_event(data)
    with transaction.atomic():
        before = snapshot(event, EVENT_AUDITED)
        for name in ("kind", "school_class", "title", "date", "starts_at", "place"):
            setattr(event, name, getattr(clean, name))
        event.save()
        record(actor=actor, action="timetable.event.update", school=school, obj=event, before=before, after=snapshot(event, EVENT_AUDITED))
    return event


def delete_event(actor: Person, school: School, event: Event) -> None:
    _authorise(actor, school)
    ensure_year_open(_event_year(event))
    audited_delete(actor, school, event, "timetable.event.delete", EVENT_AUDITED)


# --- substitutions -----------------------------------------------------------------------------------

def _check_substitution(school: School, entry: TimetableEntry, day: dt.date, substitute: Person, reason: str,
                        exclude_id: int | None = None) -> str:
    school_class = entry.school_class
    year = school_class.year
    ensure_year_open(year)
    errors = FieldErrors()
    reason = " ".join((reason or "").split())
    if not reason:
        errors.add("reason", "Укажите причину замены (болезнь, курсы, командировка…).")
    elif len(reason) > 200:
        errors.add("reason", "Причина — не длиннее 200 символов.")
    calendar = SchoolCalendar.for_year(year)
    info = calendar.info(day, school_class.grade)
    if not year.starts_on <= day <= year.ends_on:
        errors.add("date", f"Дата вне учебного года {year}.")
    elif not info.school_day or info.timetable_weekday is None:
        errors.add("date", f"{day:%d.%m.%Y} у {school_class} нет уроков: {info.reason}.")
    elif info.timetable_weekday != entry.weekday:
        errors.add("date", f"{day:%d.%m.%Y} идёт расписание дня «{WEEKDAYS[info.timetable_weekday].lower()}», "
                           f"а этот урок стоит в {WEEKDAYS[entry.weekday].lower()}.")
    elif not entry_runs_on(entry, day):
        errors.add("date", f"{day:%d.%m.%Y} этот урок в расписании не действует.")
    if substitute.pk == entry.teacher_id:
        errors.add("substitute", "Замещающий учитель совпадает с учителем по расписанию.")
    elif not is_staff_of(substitute.pk, school):
        errors.add("substitute", f"{substitute.short_name} не работает в этой школе.")
    elif "date" not in errors.fields:
        # Free at that time: none of their lessons (their own not handed to someone else,
        # or another substitution) runs at an overlapping slot that day.
        slots = overlapping_slots(bell_times(year), entry.shift, entry.lesson_number)
        for lesson in lessons_on(day, teacher=substitute, calendar=calendar):
            if lesson.entry.pk == entry.pk or (lesson.substitution is not None and lesson.substitution.pk == exclude_id):
                continue
            if (lesson.shift, lesson.lesson_number) in slots:
                errors.add("substitute", f"{substitute.short_name} в это время ведёт «{lesson.subject.name}» в {lesson.school_class}.")
                break
    errors.raise_if_any()
    return reason


def create_substitution(actor: Person, school: School, *, entry: TimetableEntry, date: dt.date, substitute: Person, reason: str,
                        subject: Subject | None = None) -> Substitution:
    """Records who teaches a timetable lesson on a date instead of its teacher, and why
    (R-Y04, R-J06; 003 §2.1). The date is a school day of the class whose timetable is the
    entry's weekday (moved days count); the substitute is staff of the school and free then."""
    _authorise(actor, school)
    with transaction.atomic():
        _lock_timetable()
        if Substitution.objects.filter(date=date, entry=entry).exists():
            raise Conflict("На этот урок в этот день замена уже назначена: измените её.", fields={"entry": ["Замена уже есть."]})
        clean_reason = _check_substitution(school, entry, date, substitute, reason)
        sub = Substitution.objects.create(date=date, entry=entry, absent_teacher_id=entry.teacher_id, substitute=substitute,
                                          subject=subject if subject is not None and subject.pk != entry.subject_id else None,
                                          reason=clean_reason, created_by_id=actor.pk)
        record(actor=actor, action="timetable.substitution.create", school=school, obj=sub, after=snapshot(sub, SUBSTITUTION_AUDITED),
               reason=clean_reason)
    return sub


def update_substitution(actor: Person, school: School, substitution: Substitution, *, substitute: Person, reason: str,
                        subject: Subject | None = None) -> Substitution:
    _authorise(actor, school)
    with transaction.atomic():
        _lock_timetable()
        clean_reason = _check_substitution(school, substitution.entry, substitution.date, substitute, reason, exclude_id=substitution.pk)
        before = snapshot(substitution, SUBSTITUTION_AUDITED)
        substitution.substitute, substitution.reason = substitute, clean_reason
        substitution.subject = subject if subject is not None and subject.pk != substitution.entry.subject_id else None
        substitution.save(update_fields=["substitute", "reason", "subject"])
        record(actor=actor, action="timetable.substitution.update", school=school, obj=substitution, before=before,
               after=snapshot(substitution, SUBSTITUTION_AUDITED), reason=clean_reason)
    return substitution


def delete_substitution(actor: Person, school: School, substitution: Substitution) -> None:
    _authorise(actor, school)
    ensure_year_open(substitution.entry.school_class.year_id)
    audited_delete(actor, school, substitution, "timetable.substitution.delete", SUBSTITUTION_AUDITED)


__all__ = [
    "BellTime", "EntryData", "EventData", "create_entry", "create_event", "create_substitution", "delete_bell_schedule",
    "delete_entry", "delete_event", "delete_substitution", "save_bell_schedule", "update_entry", "update_event",
    "update_substitution", "validate_entry",
]
