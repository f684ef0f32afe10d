"""Reads about bells, the weekly timetable, events and substitutions (R-Y04).

The journal and the diary call `lessons_on(day, …)` and `week_of(class_or_teacher, monday)`:
the lessons that actually run on a date — the school calendar applied (days off, каникулы,
moved school days, 5- or 6-day weeks) and substitutions applied (the substitute becomes
the teacher). Each costs a fixed number of queries whatever the number of lessons."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from curriculum.models import Subject
from curriculum.selectors import CoverageRow, YearData, coverage
from roster.models import SchoolClass, Subgroup
from schoolyear.calendar_service import SchoolCalendar
from schoolyear.models import AcademicYear
from schoolyear.selectors import year_for_date

from .models import Bell, BellSchedule, Event, EventKind, Substitution, TimetableEntry

if TYPE_CHECKING:
    from accounts.models import Person

WEEKDAYS = {1: "Понедельник", 2: "Вторник", 3: "Среда", 4: "Четверг", 5: "Пятница", 6: "Суббота", 7: "Воскресенье"}
WEEKDAYS_SHORT = {1: "Пн", 2: "Вт", 3: "Ср", 4: "Чт", 5: "Пт", 6: "Сб", 7: "Вс"}
# 004 §VII: school events are entered 2 weeks ahead, class events 1 week ahead.
EVENT_NOTICE_DAYS = {EventKind.SCHOOL: 14, EventKind.CLASS: 7}


def _pk(obj: Any) -> int | None:
    return obj if obj is None or isinstance(obj, int) else obj.pk


def entries() -> QuerySet[TimetableEntry]:
    return TimetableEntry.objects.select_related("school_class", "subgroup", "subject", "teacher")


def valid_between(start: dt.date, end: dt.date) -> Q:
    """Entries valid on at least one day of [start, end]."""
    return Q(valid_from__lte=end) & (Q(valid_to__isnull=True) | Q(valid_to__gte=start))


def valid_on(day: dt.date) -> Q:
    return valid_between(day, day)


def entry_runs_on(entry: TimetableEntry, day: dt.date) -> bool:
    return entry.valid_from <= day and (entry.valid_to is None or entry.valid_to >= day)


def reference_day(year: AcademicYear | None, day: dt.date | None = None) -> dt.date:
    """The day whose timetable to show: `day`, else today, kept inside the year."""
    day = day or timezone.localdate()
    if year is not None:
        day = min(max(day, year.starts_on), year.ends_on)
    return day


# --- bells -------------------------------------------------------------------------------------

def bell_schedules(year: AcademicYear | None) -> list[BellSchedule]:
    if year is None:
        return []
    return list(BellSchedule.objects.filter(year=year).prefetch_related("bells").order_by("shift"))


def bell_times(year: AcademicYear | int | None) -> dict[tuple[int, int], tuple[dt.time, dt.time]]:
    """(shift, lesson number) -> (start, end) of the year's bell schedules (one query)."""
    if year is None:
        return {}
    return {(b.schedule.shift, b.number): (b.starts_at, b.ends_at)
            for b in Bell.objects.filter(schedule__year=year).select_related("schedule")}


def overlapping_slots(times: dict[tuple[int, int], tuple[dt.time, dt.time]], shift: int, number: int) -> set[tuple[int, int]]:
    """The (shift, lesson) slots at the same time as this one: itself, and lessons of the
    other shift whose bells overlap it (the 6th lesson of the 1st shift may meet the 1st of the 2nd)."""
    slots = {(shift, number)}
    own = times.get((shift, number))
    if own is not None:
        for (other_shift, other_number), (start, end) in times.items():
            if other_shift != shift and start < own[1] and own[0] < end:
                slots.add((other_shift, other_number))
    return slots


# --- lessons on a date -------------------------------------------------------------------------

@dataclass(frozen=True)
class Lesson:
    """One lesson that runs on a date: a timetable entry with its substitution applied."""

    date: dt.date
    entry: TimetableEntry
    teacher: Any  # accounts.Person who teaches it: the substitute when there is one
    subject: Subject
    substitution: Substitution | None = None
    starts_at: dt.time | None = None
    ends_at: dt.time | None = None

    @property
    def school_class(self) -> SchoolClass:
        return self.entry.school_class

    @property
    def subgroup(self) -> Subgroup | None:
        return self.entry.subgroup

    @property
    def lesson_number(self) -> int:
        return self.entry.lesson_number

    @property
    def shift(self) -> int:
        return self.entry.shift

    @property
    def room(self) -> str:
        return self.entry.room

    @property
    def planned_teacher(self) -> Any:
        return self.entry.teacher

    @property
    def is_substituted(self) -> bool:
        return self.substitution is not None


def _calendar_for(day: dt.date, calendar: SchoolCalendar | None) -> SchoolCalendar | None:
    if calendar is not None and calendar.year.starts_on <= day <= calendar.year.ends_on:
        return calendar
    year = year_for_date(day)
    return SchoolCalendar.for_year(year) if year is not None else None


def _filtered(qs: QuerySet[TimetableEntry], teacher_id: int | None, class_id: int | None, start: dt.date,
              end: dt.date) -> QuerySet[TimetableEntry]:
    if class_id is not None:
        qs = qs.filter(school_class_id=class_id)
    if teacher_id is not None:
        # Their own lessons, and the lessons they substitute in that period.
        substituted = Substitution.objects.filter(substitute_id=teacher_id, date__range=(start, end)).values("entry_id")
        qs = qs.filter(Q(teacher_id=teacher_id) | Q(pk__in=substituted))
    return qs


def _lessons(days: list[dt.date], cal: SchoolCalendar, teacher_id: int | None, class_id: int | None) -> dict[dt.date, list[Lesson]]:
    """Lessons of several days of one year: three queries (entries, substitutions, bells)."""
    start, end = min(days), max(days)
    rows = list(_filtered(entries().filter(valid_between(start, end), school_class__year=cal.year), teacher_id, class_id, start, end))
    subs = {(s.entry_id, s.date): s for s in Substitution.objects.filter(entry__in=[e.pk for e in rows], date__range=(start, end))
            .select_related("substitute", "subject")} if rows else {}
    times = bell_times(cal.year) if rows else {}
    # Which weekday's timetable runs on a day depends on the grade (5- or 6-day week).
    runs: dict[tuple[dt.date, int], int | None] = {}
    result: dict[dt.date, list[Lesson]] = {}
    for day in days:
        lessons = []
        for e in rows:
            grade = e.school_class.grade
            if (day, grade) not in runs:
                info = cal.info(day, grade)
                runs[(day, grade)] = info.timetable_weekday if info.school_day else None
            if runs[(day, grade)] != e.weekday or not entry_runs_on(e, day):
                continue
            sub = subs.get((e.pk, day))
            teacher = sub.substitute if sub else e.teacher
            if teacher_id is not None and teacher.pk != teacher_id:
                continue  # their lesson is taught by someone else that day
            start_end = times.get((e.shift, e.lesson_number), (None, None))
            lessons.append(Lesson(day, e, teacher, sub.subject if sub and sub.subject else e.subject, sub, *start_end))
        lessons.sort(key=lambda ls: (ls.starts_at or dt.time(0), ls.shift, ls.lesson_number, ls.school_class.grade,
                                     ls.school_class.letter, ls.subgroup.name if ls.subgroup else ""))
        result[day] = lessons
    return result


def lessons_on(day: dt.date, *, teacher: Person | int | None = None, school_class: SchoolClass | int | None = None,
               calendar: SchoolCalendar | None = None) -> list[Lesson]:
    """The lessons that run on `day` (for a teacher, a class, or the whole school), with the
    school calendar and substitutions applied: on a moved school day the timetable of the day
    it replaces runs; on a day off for a grade that grade has none; a substituted lesson
    names the substitute as its teacher (and the substitution's subject when it has one).
    Pass `calendar` to reuse one across many days."""
    cal = _calendar_for(day, calendar)
    if cal is None:
        return []
    return _lessons([day], cal, _pk(teacher), _pk(school_class))[day]


@dataclass
class Day:
    date: dt.date
    weekday: int  # whose timetable runs (a moved day follows the day it replaces)
    is_school_day: bool
    lessons: list[Lesson] = field(default_factory=list)
    reason: str = ""  # why there are no lessons, or what is special about the day (Russian)
    events: list[Event] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{WEEKDAYS_SHORT[self.date.isoweekday()]} {self.date:%d.%m}"

    @property
    def moved(self) -> bool:
        return self.weekday != self.date.isoweekday()

    @property
    def moved_label(self) -> str:
        return f"по расписанию: {WEEKDAYS[self.weekday].lower()}" if self.moved else ""


@dataclass
class Slot:
    shift: int
    number: int
    starts_at: dt.time | None = None
    ends_at: dt.time | None = None

    @property
    def label(self) -> str:
        times = f" {self.starts_at:%H:%M}–{self.ends_at:%H:%M}" if self.starts_at and self.ends_at else ""
        return f"{self.number}{times}"


@dataclass
class Cell:
    key: Any  # the column: a Day of a week, or a weekday number of the weekly template
    items: list[Any] = field(default_factory=list)


@dataclass
class GridRow:
    slot: Slot
    cells: list[Cell]


def build_grid(columns: list[Any], items: Iterable[tuple[int, int, int, Any]],
               times: dict[tuple[int, int], tuple[dt.time, dt.time]], shifts: set[int] | None = None) -> list[GridRow]:
    """Rows by (shift, lesson number) × `columns` cells. `items`: (column index, shift,
    number, item). Every bell of `shifts` gets a row even when empty."""
    cells: dict[tuple[int, int], list[Cell]] = {}
    for key in times:
        if shifts is not None and key[0] in shifts:
            cells.setdefault(key, [Cell(c) for c in columns])
    for column, shift, number, item in items:
        cells.setdefault((shift, number), [Cell(c) for c in columns])[column].items.append(item)
    rows = []
    for (shift, number), row in cells.items():
        start, end = times.get((shift, number), (None, None))
        rows.append(GridRow(Slot(shift, number, start, end), row))
    rows.sort(key=lambda r: (r.slot.shift, r.slot.number))
    return rows


@dataclass
class Week:
    monday: dt.date
    days: list[Day]
    rows: list[GridRow]
    year: AcademicYear | None

    @property
    def previous(self) -> dt.date:
        return self.monday - dt.timedelta(days=7)

    @property
    def next(self) -> dt.date:
        return self.monday + dt.timedelta(days=7)

    @property
    def lessons(self) -> list[Lesson]:
        return [ls for d in self.days for ls in d.lessons]


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_of(who: SchoolClass | Person, monday: dt.date, *, calendar: SchoolCalendar | None = None,
            with_events: bool = True) -> Week:
    """The lessons of a class or a teacher (an accounts.Person) in the week starting on
    `monday`, by day and as a grid (lesson number × day), with substitutions, days off and
    moved days applied; plus the week's school events and the class's events. Six queries
    with events (calendar three, entries, substitutions, bells), whatever the week holds."""
    monday = monday_of(monday)
    saturday = monday + dt.timedelta(days=5)
    cal = _calendar_for(monday, calendar) or _calendar_for(saturday, None)
    is_class = isinstance(who, SchoolClass)
    grade = who.grade if isinstance(who, SchoolClass) else None
    if cal is None:
        return Week(monday, [Day(monday + dt.timedelta(days=i), i + 1, False) for i in range(5)], [], None)
    dates = [monday + dt.timedelta(days=i) for i in range(6)]
    in_year = [d for d in dates if cal.year.starts_on <= d <= cal.year.ends_on]
    by_day = _lessons(in_year, cal, None if is_class else who.pk, who.pk if is_class else None) if in_year else {}
    days = []
    for d in dates:
        info = cal.info(d, grade)
        days.append(Day(d, info.timetable_weekday or d.isoweekday(), info.school_day, by_day.get(d, []), reason=info.reason))
    # Saturday shows in a six-day week, or when lessons run on it (a moved or working Saturday).
    if cal.days_in_week(grade) < 6 and not days[5].lessons and not days[5].is_school_day:
        days.pop()
    if with_events:
        event_qs = Event.objects.filter(date__range=(days[0].date, days[-1].date)).select_related("school_class")
        event_qs = event_qs.filter(Q(kind=EventKind.SCHOOL) | Q(school_class_id=who.pk)) if is_class else event_qs.filter(kind=EventKind.SCHOOL)
        for event in event_qs:
            if (event.date - monday).days < len(days):
                days[(event.date - monday).days].events.append(event)
    times = bell_times(cal.year)
    shifts = {ls.shift for d in days for ls in d.lessons} or {1}
    items = [(i, ls.shift, ls.lesson_number, ls) for i, d in enumerate(days) for ls in d.lessons]
    return Week(monday, days, build_grid(days, items, times, shifts), cal.year)


# --- the weekly template (what the editor shows) ----------------------------------------------------

@dataclass
class Template:
    """The weekly timetable of a class as valid on a day: entries by weekday × lesson."""

    school_class: SchoolClass
    on: dt.date
    weekdays: list[int]
    rows: list[GridRow]
    entries: list[TimetableEntry]

    @property
    def headers(self) -> list[tuple[int, str]]:
        return [(w, WEEKDAYS[w]) for w in self.weekdays]


def template_of(school_class: SchoolClass, on: dt.date | None = None) -> Template:
    """Four queries (week length, entries, bells, nothing per entry)."""
    from curriculum.selectors import week_days_of

    day = reference_day(school_class.year, on)
    days = week_days_of(school_class.year_id).get(school_class.grade, 5)
    rows = list(entries().filter(valid_on(day), school_class=school_class).order_by("weekday", "lesson_number", "subgroup__name"))
    weekdays = list(range(1, days + 1))
    extra = sorted({e.weekday for e in rows} - set(weekdays))
    weekdays += extra
    times = bell_times(school_class.year_id)
    items = [(weekdays.index(e.weekday), e.shift, e.lesson_number, e) for e in rows]
    shifts = {e.shift for e in rows} or {1}
    return Template(school_class, day, weekdays, build_grid(weekdays, items, times, shifts), rows)


def teacher_ids_with_lessons(year: AcademicYear | None) -> set[int]:
    if year is None:
        return set()
    return set(TimetableEntry.objects.filter(school_class__year=year).values_list("teacher_id", flat=True).distinct())


# --- the validation report ------------------------------------------------------------------------

@dataclass
class ReportRow:
    cover: CoverageRow
    required: int  # lessons a week the curriculum needs at least (mandatory + elective part)
    allowed: int  # lessons a week it allows at most (every part)

    @property
    def scheduled(self) -> int:
        return int(self.cover.covered)

    @property
    def status(self) -> str:
        if self.scheduled > self.allowed:
            return "over"
        if self.scheduled < self.required:
            return "under"
        return "ok"

    @property
    def message(self) -> str:
        c = self.cover
        where = f"{c.school_class}" + (f" ({c.subgroup.name})" if c.subgroup else "")
        if self.allowed == 0:
            return f"{where}: «{c.subject.name}» нет в учебном плане, а в расписании {self.scheduled} ур. в неделю."
        if self.status == "over":
            return f"{where}: «{c.subject.name}» — {self.scheduled} ур. в неделю, по учебному плану не больше {self.allowed}."
        return f"{where}: «{c.subject.name}» — {self.scheduled} ур. в неделю, по учебному плану нужно {self.required}."


@dataclass
class Problem:
    entry: TimetableEntry
    message: str


@dataclass
class Report:
    on: dt.date
    rows: list[ReportRow]
    problems: list[Problem]

    @property
    def under(self) -> list[ReportRow]:
        return [r for r in self.rows if r.status == "under"]

    @property
    def over(self) -> list[ReportRow]:
        return [r for r in self.rows if r.status == "over"]

    @property
    def ok(self) -> bool:
        return not (self.under or self.over or self.problems)


def timetable_report(year: AcademicYear | None, *, on: dt.date | None = None, school_class: SchoolClass | None = None) -> Report:
    """The whole timetable (or one class's) as valid on `on`, against the curriculum: subjects
    under or over their weekly hours (R-Y04; a subject split into subgroups is counted per
    subgroup), and entries that no longer fit (a teacher without that load, a weekday past the
    grade's week, a lesson outside the bells, a clash). Seven queries."""
    from curriculum.models import TeachingAssignment
    from curriculum.selectors import week_days_of

    day = reference_day(year, on)
    if year is None:
        return Report(day, [], [])
    data = YearData.load(year)
    qs = entries().filter(valid_on(day), school_class__year=year)
    if school_class is not None:
        qs = qs.filter(school_class=school_class)
    rows = list(qs)
    for e in rows:
        data.subjects.setdefault(e.subject_id, e.subject)
    total = data.planned()
    lessons = data.planned(lessons_only=True)
    covers = coverage(total, ((e.school_class_id, e.subject_id, e.subgroup_id, Decimal(1)) for e in rows),
                      data.classes, data.subjects, data.subgroups)
    if school_class is not None:
        covers = [c for c in covers if c.school_class.pk == school_class.pk]
    report_rows = []
    for c in covers:
        key = (c.school_class.pk, c.subject.pk)
        report_rows.append(ReportRow(c, math.floor(lessons.get(key, Decimal(0))), math.ceil(total.get(key, Decimal(0)))))
    problems: list[Problem] = []
    loads = set(TeachingAssignment.objects.filter(school_class__year=year).values_list("teacher_id", "school_class_id", "subject_id", "subgroup_id"))
    week_days = week_days_of(year)
    times = bell_times(year)
    seen_teacher: dict[tuple[int, int, int, int], TimetableEntry] = {}
    seen_class: dict[tuple[int, int, int, int], list[TimetableEntry]] = defaultdict(list)
    for e in rows:
        if (e.teacher_id, e.school_class_id, e.subject_id, None) not in loads and (
                e.subgroup_id is None or (e.teacher_id, e.school_class_id, e.subject_id, e.subgroup_id) not in loads):
            problems.append(Problem(e, f"{e.school_class}, {WEEKDAYS[e.weekday].lower()}, {e.lesson_number} урок: "
                                       f"у {e.teacher.short_name} нет нагрузки «{e.subject.name}» в этом классе."))
        if e.weekday > week_days.get(e.school_class.grade, 5):
            problems.append(Problem(e, f"{e.school_class}: урок в {WEEKDAYS[e.weekday].lower()}, а у класса "
                                       f"{week_days.get(e.school_class.grade, 5)}-дневная неделя."))
        if (e.shift, e.lesson_number) not in times:
            problems.append(Problem(e, f"{e.school_class}: {e.lesson_number} урок {e.shift} смены не указан в расписании звонков."))
        slot = (e.weekday, e.shift, e.lesson_number)
        other = seen_teacher.get((e.teacher_id, *slot))
        if other is not None:
            problems.append(Problem(e, f"{e.teacher.short_name} в одно время в {other.school_class} и {e.school_class} "
                                       f"({WEEKDAYS[e.weekday].lower()}, {e.lesson_number} урок)."))
        seen_teacher[(e.teacher_id, *slot)] = e
        for o in seen_class[(e.school_class_id, *slot)]:
            if e.subgroup_id is None or o.subgroup_id is None or o.subgroup_id == e.subgroup_id:
                problems.append(Problem(e, f"{e.school_class}: два урока в одно время ({WEEKDAYS[e.weekday].lower()}, "
                                           f"{e.lesson_number} урок): «{o.subject.name}» и «{e.subject.name}»."))
        seen_class[(e.school_class_id, *slot)].append(e)
    report_rows.sort(key=lambda r: (r.status == "ok", r.cover.school_class.grade, r.cover.school_class.letter, r.cover.subject.name))
    return Report(day, report_rows, problems)


# --- events and substitutions ----------------------------------------------------------------------

def events(*, start: dt.date | None = None, end: dt.date | None = None, school_class: SchoolClass | int | None = None) -> QuerySet[Event]:
    qs = Event.objects.select_related("school_class").order_by("date", "starts_at", "pk")
    if start is not None:
        qs = qs.filter(date__gte=start)
    if end is not None:
        qs = qs.filter(date__lte=end)
    if school_class is not None:
        qs = qs.filter(Q(kind=EventKind.SCHOOL) | Q(school_class_id=_pk(school_class)))
    return qs


def event_is_late(event: Event) -> bool:
    """Entered later than 004 §VII asks (2 weeks ahead for school events, 1 week for class ones)."""
    entered = timezone.localdate(event.created_at) if event.created_at else timezone.localdate()
    return (event.date - entered).days < EVENT_NOTICE_DAYS.get(EventKind(event.kind), 7)


def substitutions(*, day: dt.date | None = None, start: dt.date | None = None, end: dt.date | None = None,
                  teacher: Person | int | None = None) -> QuerySet[Substitution]:
    qs = Substitution.objects.select_related(
        "entry", "entry__school_class", "entry__subgroup", "entry__subject", "absent_teacher", "substitute", "subject",
    ).order_by("date", "entry__shift", "entry__lesson_number", "entry__school_class__grade", "entry__school_class__letter")
    if day is not None:
        qs = qs.filter(date=day)
    if start is not None:
        qs = qs.filter(date__gte=start)
    if end is not None:
        qs = qs.filter(date__lte=end)
    if teacher is not None:
        qs = qs.filter(Q(substitute_id=_pk(teacher)) | Q(absent_teacher_id=_pk(teacher)))
    return qs
