"""Reads of the electronic diary (R-D01): a child's week and marks, for the pages and the API.

Each page costs a fixed number of queries whatever the number of lessons and marks (the issue
asks at most 10 per page, the request's own session, user, school and roles included): the
child is one query carrying the reader's link to them, the subgroups, the journal settings and
what the page needs besides (the year's calendar; or the periods and the curriculum); the week
adds the timetable (bells and substitutions folded in) and the journal's lessons (the child's
attendance, individual homework and marks, and the lesson's files, folded in); the marks page adds the marks and the
period/year/exam/final marks. What is folded in is built as JSON (jsonb) by PostgreSQL from plain SQL
(see CHILD_SQL and the others below): the same annotations as ORM expressions cost more CPU to
compile on every request than the whole rest of the page.

Only journal rows a family may see are read: lessons, works, marks, attendance, individual
homework and period marks. The teacher's notebook (journal.NotebookEntry, R-J10) is never read
here (tests/test_diary.py proves it)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from html import escape
from typing import TYPE_CHECKING, Any

from django.db.models import JSONField, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from journal.models import AttachmentPurpose, Attendance, JournalSettings, Lesson, Mark, MarkKind, PeriodMark
from roster.models import Enrolment
from schoolyear.calendar_service import SchoolCalendar
from schoolyear.models import AcademicYear, StudyPeriod
from timetable.models import TimetableEntry
from timetable.selectors import WEEKDAYS_SHORT, entry_runs_on, monday_of, valid_between

from .forecast import Forecast, advice, forecast

if TYPE_CHECKING:
    from accounts.models import Person
    from roster.models import SchoolClass

MARK_WORDS: dict[str, str] = {MarkKind.PASS: "зач", MarkKind.FAIL: "незач", MarkKind.EXEMPT: "осв"}
ATTENDANCE_WORDS: dict[str, str] = {Attendance.Status.ABSENT: "отсутствовал(а)", Attendance.Status.LATE: "опоздал(а)"}


def mark_text(kind: str, value: int | None, not_assessed: bool = False) -> str:
    if not_assessed:
        return "н/а"
    return str(value) if kind == MarkKind.GRADE else MARK_WORDS.get(kind, "")


# --- the child ------------------------------------------------------------------------------

@dataclass
class Child:
    """A student of this school as the diary shows them: their enrolment (class and year) chosen for
    a date, the subgroups they belong to there, the journal settings the forecast needs, and what
    the page asked to be read along with them (the year's calendar, periods, curriculum)."""

    student: Person
    enrolment: Enrolment
    subgroup_ids: list[int]
    reader_is_guardian: bool
    round_up_from: Decimal
    use_weighted: bool
    calendar: SchoolCalendar | None = None
    periods: list[StudyPeriod] = field(default_factory=list)
    curriculum: list[tuple[int, str, Decimal]] = field(default_factory=list)  # (subject id, name, hours a week)
    year_class_ids: list[int] = field(default_factory=list)  # the classes of the child in this year (a transfer: two)
    years: list[AcademicYear] = field(default_factory=list)  # the years the child studied in this school, oldest first
    family_stamp: str = ""  # the reader's family here (FAMILY_STAMP_SQL): the cached child switch is checked against it

    @property
    def school_class(self) -> SchoolClass:
        return self.enrolment.school_class

    @property
    def year(self) -> AcademicYear:
        return self.enrolment.school_class.year


WITH_CALENDAR = "calendar"
WITH_MARKS_CONTEXT = "marks"
CALENDAR = frozenset({WITH_CALENDAR})  # what the week page reads with the child
MARKS = frozenset({WITH_MARKS_CONTEXT})  # what the marks page reads with the child


# What a page reads along with its rows, as JSON built by PostgreSQL in the same query. Plain SQL
# rather than ORM expressions: each of these costs the ORM several milliseconds of CPU to compile on
# every request, which was most of a page's time (ops/bench/bench_diary.py). Table names are the
# models' (tests/test_diary.py checks them); values are bound parameters.
_CLASS_OF_ENROLMENT = "FROM roster_schoolclass c WHERE c.id = roster_enrolment.school_class_id"
# The reader's family in this school as a short stamp: their links to children and the open
# enrolments of those children and of the reader (count and newest id of each). It changes when a
# child is linked or unlinked, enrols, moves class or leaves — what the cached child switch shows
# (diary.family) — and costs two index lookups. Parameters: the reader's id three times.
FAMILY_STAMP_SQL = (
    "SELECT concat_ws('.', g.n, g.top, e.n, e.top) "
    "FROM (SELECT count(*) AS n, coalesce(max(id), 0) AS top FROM roster_guardianship WHERE parent_id = %s) g, "
    "(SELECT count(*) AS n, coalesce(max(id), 0) AS top FROM roster_enrolment WHERE until IS NULL AND (student_id = %s "
    "OR student_id IN (SELECT student_id FROM roster_guardianship WHERE parent_id = %s))) e"
)
CHILD_SQL = (  # the reader's link to the child, the child's subgroups in the class, the journal settings, the family stamp
    "SELECT jsonb_build_object("  # noqa: S608 (this module's constants joined; values are bound parameters)
    "'guardian', EXISTS (SELECT 1 FROM roster_guardianship g WHERE g.parent_id = %s AND g.student_id = roster_enrolment.student_id), "
    "'subgroups', (SELECT coalesce(jsonb_agg(m.subgroup_id), '[]') FROM roster_subgroupmember m JOIN roster_subgroup sg ON sg.id = m.subgroup_id "
    "WHERE m.student_id = roster_enrolment.student_id AND sg.school_class_id = roster_enrolment.school_class_id), "
    "'settings', (SELECT jsonb_build_array(js.round_up_from, js.use_weighted_average) FROM journal_journalsettings js WHERE js.id = 1), "
    "'family', (" + FAMILY_STAMP_SQL + "))"
)
CALENDAR_SQL = (
    "SELECT jsonb_build_object("
    "'off', (SELECT coalesce(jsonb_agg(jsonb_build_array(d.starts_on, d.ends_on, d.grades, d.name)), '[]') "
    "FROM schoolyear_dayoff d WHERE d.year_id = c.year_id), "
    "'moved', (SELECT coalesce(jsonb_agg(jsonb_build_array(m.works_on, m.replaces, m.grades)), '[]') "
    "FROM schoolyear_movedday m WHERE m.year_id = c.year_id), "
    "'weeks', (SELECT coalesce(jsonb_agg(jsonb_build_array(w.grade, w.days)), '[]') "
    "FROM schoolyear_weeklength w WHERE w.year_id = c.year_id)) " + _CLASS_OF_ENROLMENT
)
MARKS_CONTEXT_SQL = (
    "SELECT jsonb_build_object("
    "'periods', (SELECT coalesce(jsonb_agg(jsonb_build_array(p.id, p.number, p.name, p.starts_on, p.ends_on) ORDER BY p.number, p.id), '[]') "
    "FROM schoolyear_studyperiod p JOIN schoolyear_periodscheme s ON s.id = p.scheme_id WHERE s.year_id = c.year_id AND c.grade = ANY(s.grades)), "
    "'lines', (SELECT coalesce(jsonb_agg(jsonb_build_array(l.subject_id, j.name, l.hours_per_week) ORDER BY j.name, l.id), '[]') "
    "FROM curriculum_curriculumline l JOIN curriculum_subject j ON j.id = l.subject_id "
    "WHERE l.school_class_id = c.id AND NOT j.is_extracurricular)) " + _CLASS_OF_ENROLMENT
)
TIMETABLE_SQL = (
    "SELECT jsonb_build_object("
    "'bell', (SELECT jsonb_build_array(b.starts_at, b.ends_at) FROM timetable_bell b JOIN timetable_bellschedule bs ON bs.id = b.schedule_id "
    "WHERE bs.year_id = %s AND bs.shift = timetable_timetableentry.shift AND b.number = timetable_timetableentry.lesson_number LIMIT 1), "
    "'subs', (SELECT coalesce(jsonb_agg(jsonb_build_array(s.date, p.surname, p.name, p.patronymic, s.subject_id, j.name)), '[]') "
    "FROM timetable_substitution s JOIN accounts_person p ON p.id = s.substitute_id LEFT JOIN curriculum_subject j ON j.id = s.subject_id "
    "WHERE s.entry_id = timetable_timetableentry.id AND s.date BETWEEN %s AND %s))"
)
LESSON_SQL = (
    "SELECT jsonb_build_object("
    "'att', (SELECT jsonb_build_array(a.status, a.reason) FROM journal_attendance a "
    "WHERE a.lesson_id = journal_lesson.id AND a.student_id = %s), "
    "'hw', (SELECT h.text FROM journal_individualhomework h WHERE h.lesson_id = journal_lesson.id AND h.student_id = %s), "
    "'marks', (SELECT coalesce(jsonb_agg(jsonb_build_array(m.id, m.kind, m.value, t.name, t.weight, w.topic) ORDER BY w.position, m.id), '[]') "
    "FROM journal_mark m JOIN journal_work w ON w.id = m.work_id JOIN journal_worktype t ON t.id = w.work_type_id "
    "WHERE w.lesson_id = journal_lesson.id AND m.student_id = %s), "
    "'files', (SELECT coalesce(jsonb_agg(jsonb_build_array(f.id, f.purpose, f.name, f.size) ORDER BY f.purpose, f.id), '[]') "
    "FROM journal_lessonattachment f WHERE f.lesson_id = journal_lesson.id))"
)
MARK_WORK_SQL = (  # per mark, by primary keys: its lesson, subject and work
    "SELECT jsonb_build_array(l.date, l.id, l.lesson_number, l.school_class_id, l.subject_id, j.name, t.name, t.weight, w.topic, w.position) "
    "FROM journal_work w JOIN journal_lesson l ON l.id = w.lesson_id JOIN journal_worktype t ON t.id = w.work_type_id "
    "JOIN curriculum_subject j ON j.id = l.subject_id WHERE w.id = journal_mark.work_id"
)
RAW_TABLES = {  # the tables the SQL above names, by model label
    "roster.SchoolClass": "roster_schoolclass", "roster.Guardianship": "roster_guardianship",
    "roster.SubgroupMember": "roster_subgroupmember", "roster.Subgroup": "roster_subgroup", "journal.JournalSettings": "journal_journalsettings", "roster.Enrolment": "roster_enrolment", "schoolyear.DayOff": "schoolyear_dayoff",
    "schoolyear.MovedDay": "schoolyear_movedday", "schoolyear.WeekLength": "schoolyear_weeklength",
    "schoolyear.StudyPeriod": "schoolyear_studyperiod", "schoolyear.PeriodScheme": "schoolyear_periodscheme",
    "curriculum.CurriculumLine": "curriculum_curriculumline", "curriculum.Subject": "curriculum_subject", "timetable.Bell": "timetable_bell",
    "timetable.BellSchedule": "timetable_bellschedule", "timetable.Substitution": "timetable_substitution",
    "timetable.TimetableEntry": "timetable_timetableentry", "accounts.Person": "accounts_person", "journal.Attendance": "journal_attendance",
    "journal.IndividualHomework": "journal_individualhomework", "journal.Mark": "journal_mark", "journal.Work": "journal_work",
    "journal.WorkType": "journal_worktype", "journal.Lesson": "journal_lesson", "journal.LessonAttachment": "journal_lessonattachment",
}


def _json(sql: str, params: list[Any] | None = None) -> RawSQL:
    return RawSQL(sql, params or [], output_field=JSONField())  # noqa: S611 (constant SQL above, bound values)


def child_context(reader_id: int, child_id: int, on: dt.date, with_: frozenset[str] = frozenset(), *,
                  year_id: int | None = None) -> tuple[bool, Child | None]:
    """Whether `reader_id` is a legal representative of `child_id` here, and the child's enrolment
    for `on` (the one open that day, else the nearest before it, else the first) — or, with
    `year_id`, the child's last enrolment in that academic year (None when the child did not study
    here that year); with `calendar` also the year's school calendar, with `marks` the year's study
    periods and the class's curriculum. One query, whatever is asked."""
    extra: dict[str, Any] = {}
    if WITH_CALENDAR in with_:
        extra["d_calendar"] = _json(CALENDAR_SQL)
    if WITH_MARKS_CONTEXT in with_:
        extra["d_context"] = _json(MARKS_CONTEXT_SQL)
    rows = list(
        Enrolment.objects.filter(student_id=child_id).select_related("student", "school_class__year")
        .annotate(d_child=_json(CHILD_SQL, [reader_id] * 4), **extra).order_by("since", "id")
    )
    if not rows:
        return False, None
    first: Any = rows[0]
    chosen: Any
    if year_id is not None:
        in_year = [e for e in rows if e.school_class.year_id == year_id]
        if not in_year:
            return bool((first.d_child or {}).get("guardian")), None
        chosen = in_year[-1]
    else:
        chosen = next((e for e in rows if e.since <= on and (e.until is None or e.until >= on)), None)
        chosen = chosen or next((e for e in reversed(rows) if e.since <= on), None) or rows[0]
    a: Any = chosen
    base: dict[str, Any] = a.d_child or {}
    defaults = JournalSettings()
    round_up_from, use_weighted = base.get("settings") or (defaults.round_up_from, defaults.use_weighted_average)
    child = Child(
        student=chosen.student, enrolment=chosen, subgroup_ids=list(base.get("subgroups") or []), reader_is_guardian=bool(base.get("guardian")),
        round_up_from=Decimal(str(round_up_from)), use_weighted=bool(use_weighted),
        year_class_ids=[e.school_class_id for e in rows if e.school_class.year_id == chosen.school_class.year_id],
        years=sorted({e.school_class.year_id: e.school_class.year for e in rows}.values(), key=lambda y: y.starts_on),
        family_stamp=str(base.get("family") or ""),
    )
    if WITH_CALENDAR in with_:
        child.calendar = _calendar(chosen.school_class.year, a.d_calendar or {})
    if WITH_MARKS_CONTEXT in with_:
        context = a.d_context or {}
        child.periods = [StudyPeriod(pk=pk, number=number, name=name, starts_on=_day(start), ends_on=_day(end))
                         for pk, number, name, start, end in context.get("periods") or []]
        child.curriculum = [(subject_id, name, Decimal(str(hours))) for subject_id, name, hours in context.get("lines") or []]
    return child.reader_is_guardian, child


def _day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def _calendar(year: AcademicYear, rows: dict[str, Any]) -> SchoolCalendar:
    """schoolyear's SchoolCalendar from rows already read (its own `for_year` costs three queries)."""
    cal = SchoolCalendar(year=year)
    for start, end, grades, name in rows.get("off") or []:
        cal.days_off.append((_day(start), _day(end), frozenset(grades or []), name))
    for works_on, replaces, *grades in rows.get("moved") or []:
        cal.moved_in[_day(works_on)] = _day(replaces)
        cal.moved_out[_day(replaces)] = _day(works_on)
        if grades and grades[0]:  # a move of some parallels only (R-Y01)
            cal.moved_grades[_day(works_on)] = cal.moved_grades[_day(replaces)] = frozenset(grades[0])
    cal.week_days = {grade: days for grade, days in rows.get("weeks") or []}
    return cal


def _own_lessons(child: Child) -> Q:
    """Whole-class lessons and those of the child's subgroups."""
    return Q(subgroup__isnull=True) | Q(subgroup_id__in=child.subgroup_ids)


# --- the week ---------------------------------------------------------------------------------

@dataclass
class DiaryMark:
    id: int
    text: str  # "5", "зач", …
    value: int | None
    kind: str
    work_type: str
    weight: Decimal
    topic: str
    date: dt.date
    subject_id: int
    subject: str
    lesson_id: int

    @property
    def css(self) -> str:
        return f"d-mark m{self.value}" if self.value else "d-mark"

    @property
    def work(self) -> str:
        """What the mark was for (R-D01, 004 §3 «сведения о содержании ... работ»): «Контрольная работа: Дроби (вес 2)»."""
        weight = f" (вес {self.weight.normalize():f})".replace(".", ",") if self.weight != 1 else ""
        return f"{self.work_type}{': ' + self.topic if self.topic else ''}{weight}"

    @property
    def title(self) -> str:
        """The same with the date, for the chip's tooltip: «Контрольная работа: Дроби (вес 2), 24.11»."""
        return f"{self.work}, {self.date:%d.%m}"


@dataclass
class DiaryFile:
    """A file of the lesson (R-J01, R-D01): its material or one for the homework. Downloaded through
    the journal's access-checked view (journal.views_attachments), never a public URL."""

    id: int
    purpose: str  # "material" or "homework"
    name: str
    size: int


@dataclass
class DiaryLesson:
    """A lesson of the child's day: the timetable's slot and what the journal recorded for it."""

    date: dt.date
    number: int
    subject_id: int
    subject: str
    teacher: str = ""
    room: str = ""
    subgroup: str = ""
    starts_at: dt.time | None = None
    ends_at: dt.time | None = None
    substitution: str = ""  # "замена: …" when somebody else teaches it
    in_timetable: bool = True
    lesson_id: int | None = None  # the journal's lesson, once recorded
    topic: str = ""
    homework: str = ""
    individual_homework: str = ""
    attendance: str = ""  # "", "absent" or "late"
    attendance_text: str = ""
    absence_reason: str = ""
    marks: list[DiaryMark] = field(default_factory=list)
    files: list[DiaryFile] = field(default_factory=list)

    @property
    def homework_files(self) -> list[DiaryFile]:
        return [f for f in self.files if f.purpose == AttachmentPurpose.HOMEWORK]

    @property
    def material_files(self) -> list[DiaryFile]:
        return [f for f in self.files if f.purpose == AttachmentPurpose.MATERIAL]


@dataclass
class DiaryDay:
    date: dt.date
    is_school_day: bool
    reason: str
    lessons: list[DiaryLesson] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"{WEEKDAYS_SHORT[self.date.isoweekday()]} {self.date:%d.%m}"


@dataclass
class DiaryWeek:
    child: Child
    monday: dt.date
    days: list[DiaryDay]
    today: dt.date

    @property
    def previous(self) -> dt.date:
        return self.monday - dt.timedelta(days=7)

    @property
    def next(self) -> dt.date:
        return self.monday + dt.timedelta(days=7)

    @property
    def is_current(self) -> bool:
        return self.monday == monday_of(self.today)

    @property
    def is_coming(self) -> bool:
        return self.monday == monday_of(self.today) + dt.timedelta(days=7)

    @property
    def marks(self) -> list[DiaryMark]:
        return [m for d in self.days for ls in d.lessons for m in ls.marks]

    @property
    def homework(self) -> list[DiaryLesson]:
        return [ls for d in self.days for ls in d.lessons if ls.homework or ls.individual_homework or ls.homework_files]


def _person_name(surname: str | None, name: str | None, patronymic: str | None) -> str:
    initials = "".join(f"{part[0]}." for part in (name, patronymic) if part)
    return f"{surname or ''} {initials}".strip()


def _timetable(child: Child, monday: dt.date, last: dt.date) -> list[TimetableEntry]:
    """The class's weekly slots valid in the week (the child's subgroups only), each with its bell
    times and the week's substitutions. One query."""
    return list(
        TimetableEntry.objects.filter(valid_between(monday, last), school_class_id=child.school_class.pk).filter(_own_lessons(child))
        .select_related("subject", "teacher", "subgroup")
        .annotate(d_slot=_json(TIMETABLE_SQL, [child.year.pk, monday, last]))
        .order_by("lesson_number", "shift")
    )


def _journal_lessons(child: Child, monday: dt.date, last: dt.date) -> list[Lesson]:
    """The journal's lessons of the class between the dates (the child's subgroups only), each with
    the child's attendance, individual homework and marks with their works (`d_child`). One query."""
    pk = child.student.pk
    return list(
        Lesson.objects.filter(school_class_id=child.school_class.pk, date__range=(monday, last)).filter(_own_lessons(child))
        .select_related("subject", "teacher", "subgroup").defer("done", "created_at", "updated_at")
        .annotate(d_child=_json(LESSON_SQL, [pk, pk, pk]))
        .order_by("date", "lesson_number")
    )


def _marks(child: Child, start: dt.date, end: dt.date) -> list[DiaryMark]:
    """The child's marks between the dates in their classes of the year (a transfer keeps the marks
    given in the former class), with the work each was for. One query that walks the child's own
    marks (the student index; a mark is never older than its year: the journal refuses future
    dates, so it is created on or after its lesson's day) and reads each one's work, lesson and
    subject by primary key (MARK_WORK_SQL); the class and the dates are checked here. Joining the
    works and lessons in the query instead made PostgreSQL hash the whole school's works
    (docs/PERFORMANCE.md, "Diary")."""
    since = timezone.make_aware(dt.datetime.combine(child.year.starts_on, dt.time.min))
    classes = set(child.year_class_ids)
    result = []
    for pk, kind, value, (date, lesson_id, number, class_id, subject_id, subject, work_type, weight, topic, position) in (
        Mark.objects.filter(student_id=child.student.pk, created_at__gte=since).annotate(d_work=_json(MARK_WORK_SQL))
        .values_list("pk", "kind", "value", "d_work")
    ):
        day = _day(date)
        if class_id in classes and start <= day <= end:
            result.append(((day, number, position), DiaryMark(pk, mark_text(kind, value), value, kind, work_type, Decimal(str(weight)),
                                                               topic, day, subject_id, subject, lesson_id)))
    result.sort(key=lambda pair: pair[0])
    return [mark for _key, mark in result]


def diary_week(child: Child, day: dt.date, today: dt.date) -> DiaryWeek:
    """The child's week containing `day`: by day, the timetable's lessons (days off, moved days and
    substitutions applied) merged with what the journal recorded — topic, homework, the child's
    marks with their works, absence or lateness. Two queries after the child's (read with its
    calendar)."""
    monday = monday_of(day)
    saturday = monday + dt.timedelta(days=5)
    grade = child.school_class.grade
    cal = child.calendar or SchoolCalendar.for_year(child.year)
    entries = _timetable(child, monday, saturday)
    recorded_of: dict[dt.date, list[Lesson]] = defaultdict(list)
    for lesson in _journal_lessons(child, monday, saturday):
        recorded_of[lesson.date].append(lesson)
    days: list[DiaryDay] = []
    for offset in range(6):
        date = monday + dt.timedelta(days=offset)
        info = cal.info(date, grade)
        day_row = DiaryDay(date, info.school_day, info.reason)
        if info.school_day and info.timetable_weekday is not None:
            for e in entries:
                if e.weekday == info.timetable_weekday and entry_runs_on(e, date):
                    day_row.lessons.append(_planned(e, date))
        _merge_recorded(day_row, recorded_of.get(date, []))
        day_row.lessons.sort(key=lambda ls: (ls.number, ls.starts_at or dt.time(0), ls.subgroup))
        days.append(day_row)
    # Saturday shows in a six-day week, or when something happens on it (a moved or working Saturday).
    if cal.days_in_week(grade) < 6 and not days[5].lessons and not days[5].is_school_day:
        days.pop()
    return DiaryWeek(child, monday, days, today)


def _planned(e: TimetableEntry, date: dt.date) -> DiaryLesson:
    slot: dict[str, Any] = getattr(e, "d_slot", None) or {}
    bell = slot.get("bell") or [None, None]
    lesson = DiaryLesson(date=date, number=e.lesson_number, subject_id=e.subject_id, subject=e.subject.name,
                         teacher=e.teacher.short_name, room=e.room, subgroup=e.subgroup.name if e.subgroup else "",
                         starts_at=_time(bell[0]), ends_at=_time(bell[1]))
    for day, surname, name, patronymic, subject_id, subject in slot.get("subs") or []:
        if day == date.isoformat():
            lesson.teacher = _person_name(surname, name, patronymic)
            lesson.substitution = f"замена: вместо {e.teacher.short_name}"
            if subject_id:
                lesson.subject_id, lesson.subject = subject_id, subject
    return lesson


def _time(value: str | None) -> dt.time | None:
    return dt.time.fromisoformat(value) if value else None


def _child_rows(lesson: Lesson) -> tuple[list[Any], str, list[list[Any]]]:
    """(attendance [status, reason] or [], individual homework, marks) of the lesson's `d_child`."""
    data: dict[str, Any] = getattr(lesson, "d_child", None) or {}
    return data.get("att") or [], data.get("hw") or "", data.get("marks") or []


def _files(lesson: Lesson) -> list[DiaryFile]:
    """The lesson's files from its `d_child` (read in the lessons' own query: none per lesson)."""
    data: dict[str, Any] = getattr(lesson, "d_child", None) or {}
    return [DiaryFile(pk, purpose, name, size) for pk, purpose, name, size in data.get("files") or []]


def _merge_recorded(day: DiaryDay, lessons: list[Lesson]) -> None:
    """Puts each journal lesson on its timetable slot (same lesson number and subject, else same
    number), or adds it when the timetable has no such slot."""
    for lesson in lessons:
        slot = next((s for s in day.lessons if s.lesson_id is None and s.number == lesson.lesson_number
                     and s.subject_id == lesson.subject_id), None)
        slot = slot or next((s for s in day.lessons if s.lesson_id is None and s.number == lesson.lesson_number), None)
        if slot is None:
            slot = DiaryLesson(date=lesson.date, number=lesson.lesson_number, subject_id=lesson.subject_id, subject="", in_timetable=False,
                               subgroup=lesson.subgroup.name if lesson.subgroup else "")
            day.lessons.append(slot)
        slot.lesson_id = lesson.pk
        slot.subject_id, slot.subject = lesson.subject_id, lesson.subject.name
        slot.teacher = lesson.teacher.short_name
        slot.topic, slot.homework = lesson.topic, lesson.homework
        slot.files = _files(lesson)
        attendance, slot.individual_homework, marks = _child_rows(lesson)
        status, reason = attendance if attendance else ("", "")
        slot.attendance = status or ""
        slot.attendance_text = ATTENDANCE_WORDS.get(slot.attendance, "")
        slot.absence_reason = str(Attendance(reason=reason).get_reason_display()) if reason else ""
        slot.marks = [DiaryMark(pk, mark_text(kind, value), value, kind, work_type, Decimal(str(weight)), topic, lesson.date,
                                lesson.subject_id, lesson.subject.name, lesson.pk) for pk, kind, value, work_type, weight, topic in marks]


# --- marks by subject and the forecast --------------------------------------------------------------

@dataclass
class SubjectMarks:
    subject_id: int
    subject: str
    marks: list[DiaryMark] = field(default_factory=list)
    period_mark: str = ""  # the period mark once the teacher has saved it (R-D05)
    forecast: Forecast | None = None
    advice: str = ""

    # The marks page shows a year of marks three times (the chips, the tap-to-open list of what each
    # was for, its printed copy): built here once per subject (escaped, as the grid page does), not by a
    # template loop per mark — a year's page cost 2.5 times the quarter's in template rendering.
    # Every value is escaped (html.escape, quotes included), as format_html would, at a fraction of its cost.
    @cached_property
    def chips_html(self) -> SafeString:
        return mark_safe("".join(f'<span class="{m.css}" title="{escape(m.title)}" data-testid="mark">{escape(m.text)}</span>'  # noqa: S308 — every value escaped, css is fixed text and a digit
                                 for m in self.marks))

    @cached_property
    def works_html(self) -> SafeString:
        items = "".join(f'<li data-testid="mark-work"><span class="{m.css}">{escape(m.text)}</span> '
                        f'<time datetime="{m.date.isoformat()}">{m.date:%d.%m}</time> {escape(m.work)}</li>' for m in self.marks)
        return mark_safe(f'<ol class="d-works">{items}</ol>')  # noqa: S308 — items escaped above


@dataclass
class ResultRow:
    """Period, year, exam and final marks of a subject (R-J11), as saved (R-D05)."""

    subject_id: int
    subject: str
    periods: list[str]  # one per study period, "" when not yet set
    year: str = ""
    exam: str = ""
    final: str = ""


@dataclass
class DiaryMarks:
    child: Child
    periods: list[StudyPeriod]
    period: StudyPeriod | None  # the period shown (None: the whole year)
    start: dt.date
    end: dt.date
    subjects: list[SubjectMarks]
    results: list[ResultRow]
    is_current: bool  # the period shown contains today: the forecast applies


YEAR = "year"


def period_choice(child: Child, raw: str) -> tuple[int | None, bool] | None:
    """What `?period=` asks for, as (period id, whole year): "" the current period, "year" the whole
    year, the id of a study period of the child's year; None for anything else (an unknown or
    another year's period), which the page answers 404 and the API with a validation error —
    never the whole year under the wrong label."""
    raw = (raw or "").strip()
    if not raw:
        return None, False
    if raw == YEAR:
        return None, True
    if raw.isdigit() and any(p.pk == int(raw) for p in child.periods):
        return int(raw), False
    return None


def year_choice(raw: str) -> int | None:
    """`?year=`: an academic year's id; None when absent. ValueError when it is not a number."""
    raw = (raw or "").strip()
    if not raw:
        return None
    if not raw.isdigit():
        raise ValueError(raw)
    return int(raw)


def pick_period(periods: list[StudyPeriod], requested: int | None, today: dt.date) -> StudyPeriod | None:
    """The requested period, else the one containing today, else the last that began, else the first."""
    if requested is not None:
        return next((p for p in periods if p.pk == requested), None)
    return (next((p for p in periods if p.starts_on <= today <= p.ends_on), None)
            or next((p for p in reversed(periods) if p.starts_on <= today), None)
            or (periods[0] if periods else None))


def diary_marks(child: Child, period_id: int | None, today: dt.date, *, whole_year: bool = False) -> DiaryMarks:
    """The child's marks by subject in a study period (the current one by default, or a past one),
    with plain and weighted averages, the period mark when set, and for the current period the
    forecast (R-D04); plus the table of period, year, exam and final marks (R-D05). Two queries
    after the child's (read with its periods and curriculum), whatever the number of marks."""
    year = child.year
    periods = child.periods
    period = None if whole_year else pick_period(periods, period_id, today)
    start, end = (period.starts_on, period.ends_on) if period else (year.starts_on, year.ends_on)
    hours: dict[int, Decimal] = {}
    subjects: dict[int, SubjectMarks] = {}
    for subject_id, name, h in child.curriculum:
        hours.setdefault(subject_id, h)
        subjects.setdefault(subject_id, SubjectMarks(subject_id, name))
    for mark in _marks(child, start, end):
        subjects.setdefault(mark.subject_id, SubjectMarks(mark.subject_id, mark.subject)).marks.append(mark)
    results: dict[int, ResultRow] = {}
    index = {p.pk: i for i, p in enumerate(periods)}
    for subject_id, name, kind, period_ref, mark_kind, value, not_assessed in (
        PeriodMark.objects.filter(student_id=child.student.pk, school_class_id__in=child.year_class_ids)
        .values_list("subject_id", "subject__name", "kind", "period_id", "mark_kind", "value", "not_assessed")
    ):
        text = mark_text(mark_kind, value, not_assessed)
        row = results.setdefault(subject_id, ResultRow(subject_id, name, [""] * len(periods)))
        if kind == "period" and period_ref in index:
            row.periods[index[period_ref]] = text
            if period is not None and period_ref == period.pk:
                subjects.setdefault(subject_id, SubjectMarks(subject_id, name)).period_mark = text
        elif kind in ("year", "exam", "final"):
            setattr(row, kind, text)
    is_current = period is not None and period.starts_on <= today <= period.ends_on
    for row_s in subjects.values():
        graded = [(m.value, m.weight) for m in row_s.marks if m.kind == MarkKind.GRADE and m.value]
        row_s.forecast = forecast(graded, round_up_from=child.round_up_from, use_weighted=child.use_weighted,
                                  hours_per_week=hours.get(row_s.subject_id, Decimal(0)))
        row_s.advice = advice(row_s.forecast) if is_current else ""
    ordered = sorted(subjects.values(), key=lambda s: s.subject)
    return DiaryMarks(child, periods, period, start, end, ordered, sorted(results.values(), key=lambda r: r.subject), is_current)


def homework(child: Child, start: dt.date, end: dt.date) -> list[DiaryLesson]:
    """The homework set in the child's lessons between the dates (class and individual). One query."""
    rows = []
    for lesson in _journal_lessons(child, start, end):
        _attendance, own, _marks_of = _child_rows(lesson)
        files = _files(lesson)
        if lesson.homework or own or files:
            rows.append(DiaryLesson(date=lesson.date, number=lesson.lesson_number, subject_id=lesson.subject_id, subject=lesson.subject.name,
                                    teacher=lesson.teacher.short_name, lesson_id=lesson.pk, topic=lesson.topic, homework=lesson.homework,
                                    individual_homework=own, subgroup=lesson.subgroup.name if lesson.subgroup else "", files=files))
    return rows
