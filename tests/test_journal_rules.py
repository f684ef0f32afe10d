"""The journal's rules on the server, through the service functions (R-J01..R-J09, R-A01).

Dates are fixed: "today" is Wednesday 2026-11-25 (journal.rules.today is patched)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from accounts.models import Person
from accounts.roles import Role
from audit.models import AuditRecord
from core.errors import Conflict, PermissionDenied, ValidationFailed
from curriculum.models import Subject, TeachingAssignment
from journal import rules, services
from journal.models import Attendance, ChangeRequestStatus, Lesson, Mark, WorkType
from journal.rules import JournalLocked
from journal.services import LessonData
from roster.models import Enrolment, SchoolClass
from tenants.db import use_public, use_school
from tests.conftest import make_class

pytestmark = pytest.mark.django_db
TODAY = dt.date(2026, 11, 25)
YESTERDAY = dt.date(2026, 11, 24)
SEVEN_DAYS_AGO = dt.date(2026, 11, 18)
NINE_DAYS_AGO = dt.date(2026, 11, 16)


@dataclass
class J:
    school: Any
    teacher: Person
    other_teacher: Person
    deputy: Person
    parent: Person
    students: list[Person]
    cls: SchoolClass
    grade1: SchoolClass
    maths: Subject
    control: WorkType
    answer: WorkType


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "today", lambda: TODAY)


@pytest.fixture
def j(school_a: Any, make_person: Any, grant: Any) -> J:
    teacher, other, deputy, parent = make_person("Лебедева", "Ольга"), make_person("Другой", "Учитель"), make_person("Морозов", "Андрей"), make_person("Мама", "Ученика")
    students = [make_person(f"Ученик{i}", "Тест") for i in range(3)]
    grant(teacher, Role.TEACHER, school_a)
    grant(other, Role.TEACHER, school_a)
    grant(deputy, Role.DEPUTY, school_a)
    grant(parent, Role.PARENT, school_a)
    for s in students:
        grant(s, Role.STUDENT, school_a)
    use_school(school_a)
    cls, grade1 = make_class(5, "А"), make_class(1, "А")
    maths = Subject.objects.create(name="Математика")
    TeachingAssignment.objects.create(teacher=teacher, subject=maths, school_class=cls, hours_per_week=Decimal(5))
    TeachingAssignment.objects.create(teacher=teacher, subject=maths, school_class=grade1, hours_per_week=Decimal(4))
    for s in students:
        Enrolment.objects.create(student=s, school_class=cls, since=dt.date(2026, 9, 1))
    control = WorkType.objects.get(name="Контрольная работа")
    answer = WorkType.objects.get(name="Ответ на уроке")
    return J(school_a, teacher, other, deputy, parent, students, cls, grade1, maths, control, answer)


def lesson(j: J, date: dt.date = YESTERDAY, number: int = 2, **kw: Any) -> Lesson:
    return services.record_lesson(j.teacher, j.school, LessonData(school_class=j.cls, subject=j.maths, date=date, lesson_number=number, **kw))


def test_lesson_record_with_topic_and_homework(j: J) -> None:
    """R-J01: date, number, class, subject, teacher, topic, what was done, homework."""
    les = lesson(j, topic="Десятичные дроби", done="Решали задачи", homework="№ 245, 247")
    assert (les.teacher, les.topic, les.homework, les.entered_late) == (j.teacher, "Десятичные дроби", "№ 245, 247", True)
    today_lesson = lesson(j, date=TODAY, number=1, topic="Сложение дробей")
    assert today_lesson.entered_late is False  # R-J05: made on the day
    assert AuditRecord.objects.filter(action="journal.lesson.save", school=j.school).count() == 2


def test_other_teacher_family_and_student_cannot_write(j: J) -> None:
    """R-A01: students and parents never write to the journal; a teacher only their own classes."""
    for person in (j.other_teacher, j.parent, j.students[0]):
        with pytest.raises(PermissionDenied):
            services.record_lesson(person, j.school, LessonData(school_class=j.cls, subject=j.maths, date=YESTERDAY, lesson_number=1))
    les = lesson(j)
    work = services.add_work(j.teacher, j.school, les, j.answer)
    with pytest.raises(PermissionDenied):
        services.record_mark(j.parent, j.school, work, j.students[0].pk, "5")
    assert not Mark.objects.exists()


@pytest.mark.parametrize("bad", ["6", "5+", "0", "отл", "", "4.5"])
def test_bad_mark_values_are_refused(j: J, bad: str) -> None:
    """R-J03: the 5-point scale (and зач/незач/осв) only; an empty value means delete."""
    work = services.add_work(j.teacher, j.school, lesson(j), j.answer)
    if bad == "":
        assert services.record_mark(j.teacher, j.school, work, j.students[0].pk, bad) is None
        return
    with pytest.raises(ValidationFailed):
        services.record_mark(j.teacher, j.school, work, j.students[0].pk, bad)
    assert not Mark.objects.exists()


def test_marks_and_other_kinds(j: J) -> None:
    """R-J03: marks in the column of the day, tied to the work; зач/незач/осв; several works a lesson."""
    les = lesson(j)
    w1, w2 = services.add_work(j.teacher, j.school, les, j.answer, "Устный счёт"), services.add_work(j.teacher, j.school, les, j.control, "Дроби")
    services.record_mark(j.teacher, j.school, w1, j.students[0].pk, "5")
    services.record_mark(j.teacher, j.school, w2, j.students[0].pk, "4")
    services.record_mark(j.teacher, j.school, w1, j.students[1].pk, "осв")
    marks = {(m.work_id, m.student_id): m.display for m in Mark.objects.all()}
    assert marks == {(w1.pk, j.students[0].pk): "5", (w2.pk, j.students[0].pk): "4", (w1.pk, j.students[1].pk): "осв"}


def test_mark_for_student_not_in_class_that_day(j: J, make_person: Any) -> None:
    outsider = make_person("Чужой", "Ученик")
    late_comer = make_person("Новенький", "Ученик")
    Enrolment.objects.create(student=late_comer, school_class=j.cls, since=TODAY)
    work = services.add_work(j.teacher, j.school, lesson(j), j.answer)
    for student in (outsider, late_comer):
        with pytest.raises(ValidationFailed, match="не учился"):
            services.record_mark(j.teacher, j.school, work, student.pk, "5")


def test_grade_one_has_no_marks(j: J) -> None:
    """R-J04: first grade — topics and attendance only."""
    les = services.record_lesson(j.teacher, j.school, LessonData(school_class=j.grade1, subject=j.maths, date=YESTERDAY, lesson_number=1, topic="Счёт до 10"))
    with pytest.raises(ValidationFailed, match="1 классе"):
        services.add_work(j.teacher, j.school, les, j.answer)
    assert les.topic == "Счёт до 10"


def test_holiday_and_weekend_and_future_dates_refused(j: J) -> None:
    from schoolyear.models import DayOff

    DayOff.objects.create(year=j.cls.year, kind="quarantine", name="Актированный день", starts_on=dt.date(2026, 11, 23), ends_on=dt.date(2026, 11, 23))
    cases = ((dt.date(2026, 11, 23), "not_a_school_day"), (dt.date(2026, 11, 22), "not_a_school_day"), (dt.date(2026, 11, 26), "future_date"),
             (dt.date(2027, 6, 10), "future_date"))
    for date, code in cases:
        with pytest.raises(ValidationFailed) as exc:
            lesson(j, date=date)
        assert exc.value.code == code
    assert not Lesson.objects.exists()


def test_seven_day_lock_on_every_write(j: J) -> None:
    """R-J07: nothing dated more than 7 days ago is entered or changed: lesson, work, mark, attendance."""
    boundary = lesson(j, date=SEVEN_DAYS_AGO, topic="ещё можно")  # exactly 7 days: allowed
    assert boundary.pk
    with pytest.raises(JournalLocked):
        lesson(j, date=NINE_DAYS_AGO)
    rules_today = TODAY
    old = Lesson.objects.create(school_class=j.cls, subject=j.maths, teacher=j.teacher, created_by=j.teacher, date=NINE_DAYS_AGO, lesson_number=3)
    from journal.models import Work

    work = Work.objects.create(lesson=old, work_type=j.answer, position=1)
    with pytest.raises(JournalLocked):
        services.add_work(j.teacher, j.school, old, j.answer)
    with pytest.raises(JournalLocked):
        services.record_mark(j.teacher, j.school, work, j.students[0].pk, "5")
    with pytest.raises(JournalLocked):
        services.set_attendance(j.teacher, j.school, old, j.students[0].pk, "absent")
    assert not Mark.objects.exists() and not Attendance.objects.exists() and rules_today == TODAY


def test_lock_days_is_a_school_setting(j: J) -> None:
    from journal.models import JournalSettings

    settings_row = JournalSettings.current()
    settings_row.lock_days = 10
    settings_row.save()
    assert lesson(j, date=NINE_DAYS_AGO).pk


def test_stale_save_is_a_conflict_not_a_silent_overwrite(j: J) -> None:
    """Two teachers saving the same cell: the second, based on an old version, is refused."""
    work = services.add_work(j.teacher, j.school, lesson(j), j.answer)
    first = services.record_mark(j.teacher, j.school, work, j.students[0].pk, "4")
    assert first is not None
    services.record_mark(j.teacher, j.school, work, j.students[0].pk, "5", expected_version=first.version)
    with pytest.raises(Conflict):
        services.record_mark(j.teacher, j.school, work, j.students[0].pk, "3", expected_version=first.version)
    assert Mark.objects.get().value == 5
    les = Lesson.objects.get()
    with pytest.raises(Conflict):
        services.record_lesson(j.teacher, j.school, LessonData(school_class=j.cls, subject=j.maths, date=YESTERDAY, lesson_number=2, topic="x"),
                               expected_version=les.version + 5)


def test_attendance_and_absence_reason(j: J, grant: Any) -> None:
    """R-J02: absent or late per lesson; the class teacher sets the reason with the document."""
    les = lesson(j)
    row = services.set_attendance(j.teacher, j.school, les, j.students[0].pk, "absent")
    assert row is not None
    services.set_attendance(j.teacher, j.school, les, j.students[1].pk, "late")
    work = services.add_work(j.teacher, j.school, les, j.answer)
    with pytest.raises(ValidationFailed):
        services.record_mark(j.teacher, j.school, work, j.students[0].pk, "5")  # absent
    with pytest.raises(PermissionDenied):
        services.set_absence_reason(j.teacher, j.school, row, "illness", document="Справка № 5")
    use_public()
    class_teacher = j.teacher
    grant(class_teacher, Role.CLASS_TEACHER, j.school, class_id=j.cls.pk)
    use_school(j.school)
    with pytest.raises(ValidationFailed):
        services.set_absence_reason(class_teacher, j.school, row, "illness")  # no document
    services.set_absence_reason(class_teacher, j.school, row, "illness", document="Справка № 5", document_date=YESTERDAY)
    row.refresh_from_db()
    assert row.reason == "illness" and row.reason_set_by == class_teacher


def test_substitute_fills_the_lesson_they_taught(j: J) -> None:
    """R-J06: a substitute fills the journal of the lesson they taught; the substitution is recorded."""
    from timetable.models import Substitution, TimetableEntry

    entry = TimetableEntry.objects.create(school_class=j.cls, weekday=2, lesson_number=2, subject=j.maths, teacher=j.teacher,
                                          valid_from=dt.date(2026, 9, 1))
    Substitution.objects.create(date=YESTERDAY, entry=entry, absent_teacher=j.teacher, substitute=j.other_teacher, reason="болезнь")
    les = services.record_lesson(j.other_teacher, j.school, LessonData(school_class=j.cls, subject=j.maths, date=YESTERDAY, lesson_number=2, topic="Замена"))
    assert les.teacher == j.other_teacher and les.replaced_teacher == j.teacher
    with pytest.raises(PermissionDenied):  # not for another lesson
        services.record_lesson(j.other_teacher, j.school, LessonData(school_class=j.cls, subject=j.maths, date=YESTERDAY, lesson_number=3))


def test_external_mark_needs_document(j: J) -> None:
    """R-J09: a mark from a hospital school rests on a document."""
    work = services.add_work(j.teacher, j.school, lesson(j), j.answer)
    with pytest.raises(ValidationFailed):
        services.record_external_mark(j.teacher, j.school, work, j.students[2].pk, "4", "")
    mark = services.record_external_mark(j.teacher, j.school, work, j.students[2].pk, "4", "Ведомость ГБУЗ «Детская больница» № 12")
    assert mark is not None and mark.source_document.startswith("Ведомость")


def test_change_request_approved_applies_and_logs(j: J) -> None:
    """R-J08: past the lock, a request; the deputy approves it, the change is applied and logged."""
    old = Lesson.objects.create(school_class=j.cls, subject=j.maths, teacher=j.teacher, created_by=j.teacher, date=NINE_DAYS_AGO, lesson_number=3)
    from journal.models import Work

    work = Work.objects.create(lesson=old, work_type=j.control, position=1)
    Mark.objects.create(work=work, student=j.students[0], value=2, created_by=j.teacher)
    with pytest.raises(ValidationFailed):
        services.file_change_request(j.teacher, j.school, old, changes=[{"op": "mark", "work": work.pk, "student": j.students[0].pk, "value": "6"}],
                                     description="исправить", reason="ошибка")
    request = services.file_change_request(
        j.teacher, j.school, old, changes=[{"op": "mark", "work": work.pk, "student": j.students[0].pk, "value": "3"},
                                           {"op": "attendance", "student": j.students[1].pk, "status": "absent"}],
        description="Отметка 2 → 3 у Ученик0; Н у Ученик1", reason="Ошибка при вводе")
    with pytest.raises(PermissionDenied):
        services.approve_change_request(j.teacher, j.school, request.pk)
    services.approve_change_request(j.deputy, j.school, request.pk, "Обосновано")
    assert Mark.objects.get(work=work, student=j.students[0]).value == 3
    assert Attendance.objects.filter(lesson=old, student=j.students[1], status="absent").exists()
    request.refresh_from_db()
    assert request.status == ChangeRequestStatus.APPROVED and request.decided_by == j.deputy
    assert AuditRecord.objects.filter(action="journal.change_request.approve").exists()
    assert AuditRecord.objects.filter(action="journal.mark.save", actor=j.deputy).exists()
    with pytest.raises(ValidationFailed, match="уже рассмотрена"):
        services.reject_change_request(j.deputy, j.school, request.pk, "передумал")


def test_change_request_rejected_is_logged_and_changes_nothing(j: J) -> None:
    old = Lesson.objects.create(school_class=j.cls, subject=j.maths, teacher=j.teacher, created_by=j.teacher, date=NINE_DAYS_AGO, lesson_number=3, topic="Старая")
    request = services.file_change_request(j.teacher, j.school, old, changes=[{"op": "lesson", "topic": "Новая"}], description="тема", reason="опечатка")
    with pytest.raises(ValidationFailed):
        services.reject_change_request(j.deputy, j.school, request.pk, "")
    services.reject_change_request(j.deputy, j.school, request.pk, "Не обосновано")
    old.refresh_from_db()
    assert old.topic == "Старая"
    assert AuditRecord.objects.filter(action="journal.change_request.reject", reason="Не обосновано").exists()


def test_change_request_not_needed_inside_the_lock(j: J) -> None:
    with pytest.raises(ValidationFailed, match="ещё не закрыта"):
        services.file_change_request(j.teacher, j.school, lesson(j), changes=[{"op": "lesson", "topic": "x"}], description="x", reason="x")
