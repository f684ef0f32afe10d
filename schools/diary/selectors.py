"""Reads of the electronic diary (R-D01): a child's week and marks, for the pages and the API.

Each page costs a fixed number of queries whatever the number of lessons and marks (the issue
asks at most 10 per page, the request's own session, user, school and roles included):
the child (with the reader's link to them, the subgroups and the journal settings) is one
query; the week adds the calendar, the timetable (bells and substitutions folded in), the
journal's lessons (attendance and individual homework folded in) and the marks; the marks page
adds the periods, the marks, the period/year/final marks and the curriculum.

Only journal rows a family may see are read: lessons, works, marks, attendance, individual
homework and period marks. The teacher's notebook (journal.NotebookEntry, R-J10) is never read
here (tests/test_diary.py proves it)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Exists, OuterRef, Q, Subquery
from django.db.models.functions import JSONObject

from curriculum.models import CurriculumLine
from journal.models import Attendance, IndividualHomework, JournalSettings, Lesson, Mark, MarkKind, PeriodMark
from roster.models import Enrolment, Guardianship, SubgroupMember
from schoolyear.calendar_service import SchoolCalendar
from schoolyear.models import AcademicYear, DayOff, MovedDay, StudyPeriod, WeekLength
from timetable.models import Bell, Substitution, TimetableEntry
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
_YEAR = OuterRef("school_class__year_id")


def _json_list(qs: Any, **fields: Any) -> ArraySubquery:
    return ArraySubquery(qs.values(j=JSONObject(**fields)))


def child_context(reader_id: int, child_id: int, on: dt.date, with_: frozenset[str] = frozenset()) -> tuple[bool, Child | None]:
    """Whether `reader_id` is a legal representative of `child_id` here, and the child's enrolment
    for `on` (the one open that day, else the nearest before it, else the first); with `calendar`
    also the year's school calendar, with `marks` the year's study periods and the class's
    curriculum. One query, whatever is asked."""
    settings_qs = JournalSettings.objects.filter(pk=1)
    extra: dict[str, Any] = {}
    if WITH_CALENDAR in with_:
        extra["d_days_off"] = _json_list(DayOff.objects.filter(year_id=_YEAR), s="starts_on", e="ends_on", g="grades", n="name")
        extra["d_moved"] = _json_list(MovedDay.objects.filter(year_id=_YEAR), w="works_on", r="replaces")
        extra["d_weeks"] = _json_list(WeekLength.objects.filter(year_id=_YEAR), g="grade", d="days")
    if WITH_MARKS_CONTEXT in with_:
        extra["d_periods"] = _json_list(StudyPeriod.objects.filter(scheme__year_id=_YEAR).order_by("number"), id="id", n="number",
                                        name="name", s="starts_on", e="ends_on", g="scheme__grades")
        extra["d_lines"] = _json_list(CurriculumLine.objects.filter(school_class_id=OuterRef("school_class_id"), subject__is_extracurricular=False)
                                      .order_by("subject__name", "pk"), id="subject_id", name="subject__name", h="hours_per_week")
    rows = list(
        Enrolment.objects.filter(student_id=child_id).select_related("student", "school_class__year")
        .annotate(
            d_guardian=Exists(Guardianship.objects.filter(parent_id=reader_id, student_id=child_id)),
            d_subgroups=ArraySubquery(SubgroupMember.objects.filter(student_id=child_id, subgroup__school_class_id=OuterRef("school_class_id"))
                                      .values("subgroup_id")),
            d_round=Subquery(settings_qs.values("round_up_from")[:1]),
            d_weighted=Subquery(settings_qs.values("use_weighted_average")[:1]),
            **extra,
        ).order_by("since", "id")
    )
    if not rows:
        return False, None
    chosen = next((e for e in rows if e.since <= on and (e.until is None or e.until >= on)), None)
    chosen = chosen or next((e for e in reversed(rows) if e.since <= on), None) or rows[0]
    a: Any = chosen
    defaults = JournalSettings()
    child = Child(
        student=chosen.student, enrolment=chosen, subgroup_ids=list(a.d_subgroups or []), reader_is_guardian=bool(a.d_guardian),
        round_up_from=a.d_round if a.d_round is not None else defaults.round_up_from,
        use_weighted=a.d_weighted if a.d_weighted is not None else defaults.use_weighted_average,
        year_class_ids=[e.school_class_id for e in rows if e.school_class.year_id == chosen.school_class.year_id],
    )
    if WITH_CALENDAR in with_:
        child.calendar = _calendar(chosen.school_class.year, a.d_days_off, a.d_moved, a.d_weeks)
    if WITH_MARKS_CONTEXT in with_:
        grade = chosen.school_class.grade
        child.periods = [StudyPeriod(pk=p["id"], number=p["n"], name=p["name"], starts_on=_day(p["s"]), ends_on=_day(p["e"]))
                         for p in a.d_periods or [] if grade in (p["g"] or [])]
        child.curriculum = [(line["id"], line["name"], Decimal(str(line["h"]))) for line in a.d_lines or []]
    return bool(a.d_guardian), child


def _day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


def _calendar(year: AcademicYear, days_off: list[dict[str, Any]] | None, moved: list[dict[str, Any]] | None,
              weeks: list[dict[str, Any]] | None) -> SchoolCalendar:
    """schoolyear's SchoolCalendar from rows already read (its own `for_year` costs three queries)."""
    cal = SchoolCalendar(year=year)
    for d in days_off or []:
        cal.days_off.append((_day(d["s"]), _day(d["e"]), frozenset(d["g"] or []), d["n"]))
    for m in moved or []:
        cal.moved_in[_day(m["w"])] = _day(m["r"])
        cal.moved_out[_day(m["r"])] = _day(m["w"])
    cal.week_days = {w["g"]: w["d"] for w in weeks or []}
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
        return [ls for d in self.days for ls in d.lessons if ls.homework or ls.individual_homework]


def _person_name(surname: str | None, name: str | None, patronymic: str | None) -> str:
    initials = "".join(f"{part[0]}." for part in (name, patronymic) if part)
    return f"{surname or ''} {initials}".strip()


def _timetable(child: Child, monday: dt.date, last: dt.date) -> list[TimetableEntry]:
    """The class's weekly slots valid in the week (the child's subgroups only), each with its bell
    times and the week's substitutions. One query."""
    bells = Bell.objects.filter(schedule__year_id=child.year.pk, schedule__shift=OuterRef("shift"), number=OuterRef("lesson_number"))
    subs = Substitution.objects.filter(entry_id=OuterRef("pk"), date__range=(monday, last)).values(
        j=JSONObject(date="date", surname="substitute__surname", name="substitute__name", patronymic="substitute__patronymic",
                     subject="subject__name", subject_id="subject_id"))
    return list(
        TimetableEntry.objects.filter(valid_between(monday, last), school_class_id=child.school_class.pk).filter(_own_lessons(child))
        .select_related("subject", "teacher", "subgroup")
        .annotate(d_starts=Subquery(bells.values("starts_at")[:1]), d_ends=Subquery(bells.values("ends_at")[:1]), d_subs=ArraySubquery(subs))
        .order_by("lesson_number", "shift")
    )


def _journal_lessons(child: Child, monday: dt.date, last: dt.date, *, with_marks: bool = False) -> list[Lesson]:
    """The journal's lessons of the class between the dates (the child's subgroups only), each with
    the child's attendance and individual homework, and with `with_marks` the child's marks in it
    with their works. One query."""
    mine = {"lesson_id": OuterRef("pk"), "student_id": child.student.pk}
    attendance = Attendance.objects.filter(**mine)
    extra: dict[str, Any] = {}
    if with_marks:
        extra["d_marks"] = _json_list(
            Mark.objects.filter(work__lesson_id=OuterRef("pk"), student_id=child.student.pk).order_by("work__position", "pk"),
            id="id", k="kind", v="value", t="work__work_type__name", w="work__work_type__weight", topic="work__topic")
    return list(
        Lesson.objects.filter(school_class_id=child.school_class.pk, date__range=(monday, last)).filter(_own_lessons(child))
        .select_related("subject", "teacher", "subgroup").defer("done", "created_at", "updated_at")
        .annotate(d_status=Subquery(attendance.values("status")[:1]), d_reason=Subquery(attendance.values("reason")[:1]),
                  d_homework=Subquery(IndividualHomework.objects.filter(**mine).values("text")[:1]), **extra)
        .order_by("date", "lesson_number")
    )


def _marks(child: Child, start: dt.date, end: dt.date) -> list[DiaryMark]:
    """The child's marks between the dates in their classes of the year (a transfer keeps the marks
    given in the former class), with the work each was for. One query, led by the student's index."""
    rows = (Mark.objects.filter(student_id=child.student.pk, work__lesson__school_class_id__in=child.year_class_ids,
                                work__lesson__date__range=(start, end))
            .values_list("pk", "kind", "value", "work__work_type__name", "work__work_type__weight", "work__topic",
                         "work__lesson__date", "work__lesson__subject_id", "work__lesson__subject__name", "work__lesson_id")
            .order_by("work__lesson__date", "work__lesson__lesson_number", "work__position"))
    return [DiaryMark(pk, mark_text(kind, value), value, kind, wt, weight, topic, date, subject_id, subject, lesson_id)
            for pk, kind, value, wt, weight, topic, date, subject_id, subject, lesson_id in rows]


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
    for lesson in _journal_lessons(child, monday, saturday, with_marks=True):
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
    a: Any = e
    lesson = DiaryLesson(date=date, number=e.lesson_number, subject_id=e.subject_id, subject=e.subject.name,
                         teacher=e.teacher.short_name, room=e.room, subgroup=e.subgroup.name if e.subgroup else "",
                         starts_at=a.d_starts, ends_at=a.d_ends)
    for sub in a.d_subs or []:
        if sub["date"] == date.isoformat():
            lesson.teacher = _person_name(sub["surname"], sub["name"], sub["patronymic"])
            lesson.substitution = f"замена: вместо {e.teacher.short_name}"
            if sub["subject_id"]:
                lesson.subject_id, lesson.subject = sub["subject_id"], sub["subject"]
    return lesson


def _merge_recorded(day: DiaryDay, lessons: list[Lesson]) -> None:
    """Puts each journal lesson on its timetable slot (same lesson number and subject, else same
    number), or adds it when the timetable has no such slot."""
    for lesson in lessons:
        a: Any = lesson
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
        slot.individual_homework = a.d_homework or ""
        slot.attendance = a.d_status or ""
        slot.attendance_text = ATTENDANCE_WORDS.get(slot.attendance, "")
        slot.absence_reason = str(Attendance(reason=a.d_reason).get_reason_display()) if a.d_reason else ""
        slot.marks = [DiaryMark(m["id"], mark_text(m["k"], m["v"]), m["v"], m["k"], m["t"], Decimal(str(m["w"])), m["topic"], lesson.date,
                                lesson.subject_id, lesson.subject.name, lesson.pk) for m in a.d_marks or []]


# --- marks by subject and the forecast --------------------------------------------------------------

@dataclass
class SubjectMarks:
    subject_id: int
    subject: str
    marks: list[DiaryMark] = field(default_factory=list)
    period_mark: str = ""  # the period mark once the teacher has saved it (R-D05)
    forecast: Forecast | None = None
    advice: str = ""


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
        a: Any = lesson
        if lesson.homework or a.d_homework:
            rows.append(DiaryLesson(date=lesson.date, number=lesson.lesson_number, subject_id=lesson.subject_id, subject=lesson.subject.name,
                                    teacher=lesson.teacher.short_name, lesson_id=lesson.pk, topic=lesson.topic, homework=lesson.homework,
                                    individual_homework=a.d_homework or "", subgroup=lesson.subgroup.name if lesson.subgroup else ""))
    return rows
