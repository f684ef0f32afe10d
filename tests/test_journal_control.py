"""The deputy director's control and the end-of-period work, through the pages (R-J02, R-J05,
R-J08, R-J09, R-J10, R-J11, R-J12, R-J13, R-J15; R-C01 basics).

"Today" is Wednesday 2026-11-25 (journal.rules.today is patched); the year is 2026/2027 with
quarters, the 2nd from 04.11 to 27.12. Set-up writes rows directly; the acts go through pages."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from accounts.models import Person
from accounts.roles import Role
from audit.models import AuditRecord
from curriculum.models import CurriculumLine, Subject, TeachingAssignment
from journal import ktp, rules, selectors
from journal.ktp import TopicData
from journal.models import (
    ActivityGroup,
    ActivityMember,
    Attendance,
    ChangeRequest,
    ChangeRequestStatus,
    JournalSettings,
    KtpPlan,
    KtpTopic,
    Lesson,
    Mark,
    NotebookEntry,
    PeriodMark,
    Work,
    WorkType,
)
from roster.models import Enrolment, SchoolClass
from schoolyear.models import PeriodScheme, StudyPeriod
from tenants.db import use_public, use_school
from tests.conftest import make_class

pytestmark = pytest.mark.django_db
D = dt.date
TODAY = D(2026, 11, 25)  # Wednesday
LOCKED_DAY = D(2026, 11, 16)  # Monday, 9 days ago: past the 7-day lock
QUARTERS = [(D(2026, 9, 1), D(2026, 10, 25)), (D(2026, 11, 4), D(2026, 12, 27)), (D(2027, 1, 11), D(2027, 3, 21)),
            (D(2027, 3, 30), D(2027, 5, 25))]


@dataclass
class W:
    school: Any
    teacher: Person
    other: Person
    deputy: Person
    director: Person
    methodist: Person
    class_teacher: Person
    parent: Person
    students: list[Person]
    cls: SchoolClass
    maths: Subject
    music: Subject
    q1: StudyPeriod
    q2: StudyPeriod
    answer: WorkType
    control: WorkType

    @property
    def slug(self) -> str:
        return str(self.school.slug)

    def url(self, tail: str) -> str:
        return f"/s/{self.slug}/journal/{tail}"

    def api(self, tail: str) -> str:
        return f"/api/v1/schools/{self.slug}/journal/{tail}"


def build(school: Any, make_person: Any, grant: Any) -> W:
    teacher, other = make_person("Лебедева", "Ольга"), make_person("Воробьёв", "Пётр")
    deputy, director, methodist = make_person("Морозова", "Анна"), make_person("Директоров", "Иван"), make_person("Методистова", "Ева")
    class_teacher, parent = make_person("Классная", "Дарья"), make_person("Родителева", "Мать")
    students = [make_person(f"Ученик{i:02d}", "Тест", patronymic="Иванович") for i in range(3)]
    use_school(school)
    cls = make_class(5, "А", class_teacher=class_teacher)
    scheme = PeriodScheme.objects.create(year=cls.year, kind="quarter", grades=list(range(1, 10)))
    periods = [StudyPeriod.objects.create(scheme=scheme, number=i, name=f"{i} четверть", starts_on=s, ends_on=e)
               for i, (s, e) in enumerate(QUARTERS, 1)]
    maths, music = Subject.objects.create(name="Математика"), Subject.objects.create(name="Музыка")
    CurriculumLine.objects.create(school_class=cls, subject=maths, hours_per_week=Decimal(5))
    CurriculumLine.objects.create(school_class=cls, subject=music, hours_per_week=Decimal(1))
    TeachingAssignment.objects.create(teacher=teacher, subject=maths, school_class=cls, hours_per_week=Decimal(5))
    TeachingAssignment.objects.create(teacher=teacher, subject=music, school_class=cls, hours_per_week=Decimal(1))
    for s in students:
        Enrolment.objects.create(student=s, school_class=cls, since=D(2026, 9, 1))
    answer, control = WorkType.objects.get(name="Ответ на уроке"), WorkType.objects.get(name="Контрольная работа")
    use_public()
    grant(teacher, Role.TEACHER, school)
    grant(other, Role.TEACHER, school)
    grant(deputy, Role.DEPUTY, school)
    grant(director, Role.DIRECTOR, school)
    grant(methodist, Role.METHODIST, school)
    grant(class_teacher, Role.CLASS_TEACHER, school, class_id=cls.pk)
    grant(parent, Role.PARENT, school, class_id=cls.pk)
    for s in students:
        grant(s, Role.STUDENT, school, class_id=cls.pk)
    use_school(school)
    _current["school"] = school
    return W(school, teacher, other, deputy, director, methodist, class_teacher, parent, students, cls, maths, music,
             periods[0], periods[1], answer, control)


@pytest.fixture
def w(school_a: Any, make_person: Any, grant: Any, monkeypatch: pytest.MonkeyPatch) -> W:
    monkeypatch.setattr(rules, "today", lambda: TODAY)
    return build(school_a, make_person, grant)


def lesson(w: W, day: dt.date, number: int = 1, subject: Subject | None = None, **fields: Any) -> Lesson:
    return Lesson.objects.create(school_class=w.cls, subject=subject or w.maths, teacher=w.teacher, created_by=w.teacher,
                                 date=day, lesson_number=number, **fields)


def work_with_marks(w: W, les: Lesson, marks: dict[int, int], work_type: WorkType | None = None) -> Work:
    work = Work.objects.create(lesson=les, work_type=work_type or w.answer, position=les.works.count() + 1)
    for index, value in marks.items():
        Mark.objects.create(work=work, student=w.students[index], value=value, created_by=w.teacher)
    return work


class SchoolClient(Client):
    """A signed-in client that selects the school's schema again after each request (a request
    ends in the public schema), so a test can go on reading the school's rows."""

    school: Any = None

    def request(self, **request: Any) -> Any:
        response = super().request(**request)
        if self.school is not None:
            use_school(self.school)
        return response


_current: dict[str, Any] = {}


def client(person: Person) -> Client:
    from tests.conftest import verified_client

    signed_in = verified_client(person)
    signed_in.__class__ = SchoolClient
    signed_in.school = _current.get("school")  # type: ignore[attr-defined]
    return signed_in


def text(response: Any) -> str:
    return response.content.decode()


# --- change requests (R-J08) -----------------------------------------------------------------------------

def test_teacher_files_request_from_locked_lesson_and_sees_it(w: W) -> None:
    """R-J08: from a lesson past the lock the teacher lists the changes (a mark, attendance, the topic)
    and the reason; the request shows the class, the date, the teacher, the subject, the changes and the
    reason (003 §2.3.3.1)."""
    old = lesson(w, LOCKED_DAY, 3, topic="Дроби")
    work = work_with_marks(w, old, {0: 2})
    c = client(w.teacher)
    page = c.get(w.url(f"requests/new/{old.pk}/"))
    assert page.status_code == 200 and 'data-testid="request-form"' in text(page)
    form = {"topic": "Десятичные дроби", "done": "", "homework": "", "reason": "Ошибка при вводе отметки",
            f"m_{work.pk}_{w.students[0].pk}": "3", f"a_{w.students[1].pk}": "absent", "comment": "по журналу учителя"}
    response = c.post(w.url(f"requests/new/{old.pk}/"), form)
    assert response.status_code == 302, text(response)[:2000]
    filed = ChangeRequest.objects.get()
    assert (filed.requested_by, filed.school_class, filed.subject, filed.target_date, filed.status) == (
        w.teacher, w.cls, w.maths, LOCKED_DAY, ChangeRequestStatus.PENDING)
    ops = [c["op"] for c in filed.changes]
    assert ops == ["attendance", "mark", "lesson"]  # applied in this order: attendance before marks
    mark_change = filed.changes[1]
    assert (mark_change["value"], mark_change["was"]) == ("3", "2")
    assert "Ученик00 Т.И.: отметка за «Ответ на уроке»: 2 → 3" in filed.description
    assert "по журналу учителя" in filed.description
    detail = text(c.get(response["Location"]))
    for expected in ("5А", "16.11.2026", "Лебедева О.", "Математика", "2 → 3", "Ошибка при вводе отметки", "На рассмотрении",
                     "Урок: тема: «Дроби» → «Десятичные дроби»"):
        assert expected in detail
    mine = text(c.get(w.url("requests/")))
    assert f'data-testid="request-{filed.pk}"' in mine
    assert not Mark.objects.filter(value=3).exists()  # nothing applied before the decision


def test_request_needs_changes_and_reason_and_a_locked_lesson(w: W) -> None:
    """R-J08: a request without changes or without a reason is refused in Russian, nothing is written; a
    lesson still open for editing needs no request."""
    old = lesson(w, LOCKED_DAY, 3)
    c = client(w.teacher)
    empty = c.post(w.url(f"requests/new/{old.pk}/"), {"reason": "x"})
    assert empty.status_code == 200 and "ничего не изменили" in text(empty)
    no_reason = c.post(w.url(f"requests/new/{old.pk}/"), {"topic": "Новая", "reason": ""})
    assert no_reason.status_code == 200 and "Обязательное поле" in text(no_reason)
    fresh = lesson(w, TODAY - dt.timedelta(days=1), 1)
    open_lesson = c.post(w.url(f"requests/new/{fresh.pk}/"), {"topic": "Новая", "reason": "опечатка"})
    assert "ещё не закрыта" in text(open_lesson)
    assert not ChangeRequest.objects.exists()


def test_other_teacher_family_cannot_file_or_see_requests(w: W) -> None:
    """R-J08, R-A01: only the lesson's teacher files; another teacher, a parent and a student are refused
    and learn nothing of the lesson; a teacher does not see another's request."""
    old = lesson(w, LOCKED_DAY, 3)
    for person in (w.other, w.parent, w.students[0]):
        response = client(person).post(w.url(f"requests/new/{old.pk}/"), {"topic": "x", "reason": "x"})
        assert response.status_code == 403
        assert "Лебедева" not in text(response)
    filed = ChangeRequest.objects.create(requested_by=w.teacher, school_class=w.cls, subject=w.maths, lesson=old,
                                         target_date=old.date, changes=[{"op": "lesson", "topic": "x"}], description="x", reason="x")
    assert client(w.other).get(w.url(f"requests/{filed.pk}/")).status_code == 403
    assert client(w.teacher).post(w.url(f"requests/{filed.pk}/"), {"action": "approve"}).status_code == 403
    assert f"request-{filed.pk}" not in text(client(w.other).get(w.url("requests/")))
    assert not ChangeRequest.objects.exclude(status="pending").exists()


def test_deputy_approves_from_the_queue_change_applied_and_logged(w: W) -> None:
    """R-J08 (003 §2.3.3.2): the deputy's queue; approving applies every change and logs them with the
    decision; the teacher sees the outcome; a decided request cannot be changed (clear error)."""
    old = lesson(w, LOCKED_DAY, 3)
    work = work_with_marks(w, old, {0: 2, 1: 4})
    c = client(w.teacher)
    c.post(w.url(f"requests/new/{old.pk}/"), {"reason": "ошибка", "topic": "", "done": "", "homework": "",
                                              f"m_{work.pk}_{w.students[0].pk}": "3",
                                              f"m_{work.pk}_{w.students[1].pk}": "4", f"a_{w.students[2].pk}": "late"})
    filed = ChangeRequest.objects.get()
    deputy = client(w.deputy)
    queue = text(deputy.get(w.url("requests/")))
    assert f'data-testid="request-{filed.pk}"' in queue and "Лебедева О." in queue
    response = deputy.post(w.url(f"requests/{filed.pk}/"), {"action": "approve", "note": "Обосновано"})
    assert response.status_code == 302
    assert Mark.objects.get(work=work, student=w.students[0]).value == 3
    assert Attendance.objects.get(lesson=old, student=w.students[2]).status == "late"
    filed.refresh_from_db()
    assert (filed.status, filed.decided_by, filed.decision_note) == (ChangeRequestStatus.APPROVED, w.deputy, "Обосновано")
    assert AuditRecord.objects.filter(action="journal.change_request.approve", actor=w.deputy).exists()
    assert AuditRecord.objects.filter(action="journal.mark.save", actor=w.deputy, before__value=2, after__value=3).exists()
    outcome = text(c.get(w.url("requests/")))
    assert "Одобрена, изменения внесены" in outcome and "Обосновано" in outcome
    again = deputy.post(w.url(f"requests/{filed.pk}/"), {"action": "reject", "note": "передумала"})
    assert again.status_code == 200 and "уже рассмотрена" in text(again)
    filed.refresh_from_db()
    assert filed.status == ChangeRequestStatus.APPROVED


def test_deputy_rejects_with_reason_nothing_changes(w: W) -> None:
    """R-J08: a rejection needs its reason, is logged, and changes nothing in the journal."""
    old = lesson(w, LOCKED_DAY, 3, topic="Старая тема")
    filed = ChangeRequest.objects.create(requested_by=w.teacher, school_class=w.cls, subject=w.maths, lesson=old,
                                         target_date=old.date, changes=[{"op": "lesson", "topic": "Новая"}], description="тема",
                                         reason="опечатка")
    deputy = client(w.deputy)
    without = deputy.post(w.url(f"requests/{filed.pk}/"), {"action": "reject", "note": ""})
    assert without.status_code == 200 and "Обязательное поле" in text(without)
    assert deputy.post(w.url(f"requests/{filed.pk}/"), {"action": "reject", "note": "Не обосновано"}).status_code == 302
    old.refresh_from_db()
    assert old.topic == "Старая тема"
    assert AuditRecord.objects.filter(action="journal.change_request.reject", reason="Не обосновано").exists()
    assert "Отклонена" in text(client(w.teacher).get(w.url(f"requests/{filed.pk}/")))


def test_register_of_requests_per_period_prints_and_makes_pdf(w: W) -> None:
    """R-J08: the printable register of requests per period (HTML styled for print; a PDF where
    WeasyPrint is installed), listing each request's columns as 003 §2.3.3.1 asks."""
    from journal import printouts

    old = lesson(w, LOCKED_DAY, 3)
    filed = ChangeRequest.objects.create(requested_by=w.teacher, school_class=w.cls, subject=w.maths, lesson=old,
                                         target_date=old.date, changes=[{"op": "lesson", "homework": "№ 5", "was": {"homework": ""}}],
                                         description="дз", reason="забыла записать")
    ChangeRequest.objects.filter(pk=filed.pk).update(requested_at=dt.datetime(2026, 11, 20, 10, tzinfo=dt.UTC))
    earlier = ChangeRequest.objects.create(requested_by=w.teacher, school_class=w.cls, subject=w.maths, lesson=old,
                                           target_date=old.date, changes=[], description="x", reason="в прошлой четверти")
    ChangeRequest.objects.filter(pk=earlier.pk).update(requested_at=dt.datetime(2026, 10, 1, 10, tzinfo=dt.UTC))
    deputy = client(w.deputy)
    page = deputy.get(w.url(f"requests/register/?period={w.q2.pk}"))
    body = text(page)
    assert page.status_code == 200 and "@media print" in body and 'data-testid="register-table"' in body
    assert "забыла записать" in body and "домашнее задание: «» → «№ 5»" in body and "в прошлой четверти" not in body
    assert "2 четверть" in body and "Лебедева О." in body
    assert client(w.teacher).get(w.url("requests/register/")).status_code == 403
    pdf = deputy.get(w.url(f"requests/register/?period={w.q2.pk}&format=pdf"))
    if printouts.pdf_available():
        assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    else:
        assert pdf.status_code == 200 and "PDF на этом сервере не формируется" in text(pdf)


# --- period, year, exam and final marks (R-J11, R-J12) ---------------------------------------------------

def _q2_marks(w: W) -> None:
    """Student 0: 5, 4, 5, 4, 5, 4 (6 marks, average 4.50 → 5 at 0.50, 4 at 0.60); student 1: 5, 5 (short)."""
    for day, values in ((9, (5, 5)), (10, (4, 5)), (11, (5,)), (12, (4,)), (13, (5,)), (16, (4,))):
        les = lesson(w, D(2026, 11, day), 1)
        work_with_marks(w, les, dict(enumerate(values)))


def test_final_marks_page_shows_counts_averages_proposal_and_shortage(w: W) -> None:
    """R-J11, R-J12: per student the number of current marks, the plain and weighted averages, the
    proposed mark by the school's rounding rule, and a warning when short of marks (5 with 5 h/week)."""
    _q2_marks(w)
    c = client(w.teacher)
    body = text(c.get(w.url(f"final/{w.cls.pk}/{w.maths.pk}/?period={w.q2.pk}")))
    row0 = body[body.index(f'final-row-{w.students[0].pk}'):body.index(f'final-row-{w.students[1].pk}')]
    assert "4,50" in row0 and 'data-testid="proposed">4<' in row0 and "мало отметок" not in row0
    row1 = body[body.index(f'final-row-{w.students[1].pk}'):]
    assert "мало отметок" in row1.split("</tr>")[0] and 'data-testid="proposed">5<' in row1
    assert "не меньше 5 текущих отметок" in body
    settings_row = JournalSettings.current()
    settings_row.round_up_from = Decimal("0.50")
    settings_row.save()
    body = text(c.get(w.url(f"final/{w.cls.pk}/{w.maths.pk}/?period={w.q2.pk}")))
    row0 = body[body.index(f'final-row-{w.students[0].pk}'):body.index(f'final-row-{w.students[1].pk}')]
    assert 'data-testid="proposed">5<' in row0


def test_final_marks_only_in_the_window(w: W, monkeypatch: pytest.MonkeyPatch) -> None:
    """R-J11: entered from the period's last day to 3 days after; outside, the page explains the dates
    and a submission saves nothing. Inside, marks are saved and the shortage warning is shown (R-J12)."""
    _q2_marks(w)
    c = client(w.teacher)
    page = text(c.get(w.url(f"final/{w.cls.pk}/{w.maths.pk}/?period={w.q2.pk}")))
    assert "выставляются с 27.12.2026 по 30.12.2026" in page and "ввод закрыт" in page
    form = {"kind": "period", "period": w.q2.pk, f"mark_{w.students[0].pk}": "4"}
    refused = c.post(w.url(f"final/{w.cls.pk}/{w.maths.pk}/"), form)
    assert refused.status_code == 200 and "27.12.2026 по 30.12.2026" in text(refused)
    assert not PeriodMark.objects.exists()
    monkeypatch.setattr(rules, "today", lambda: D(2026, 12, 28))
    both = {**form, f"mark_{w.students[1].pk}": "5", f"mark_{w.students[2].pk}": "5+"}
    bad = c.post(w.url(f"final/{w.cls.pk}/{w.maths.pk}/"), both)
    assert "не отметка" in text(bad) and not PeriodMark.objects.exists()  # all or nothing
    del both[f"mark_{w.students[2].pk}"]
    saved = c.post(w.url(f"final/{w.cls.pk}/{w.maths.pk}/"), both, follow=True)
    assert {(m.student_id, m.value) for m in PeriodMark.objects.all()} == {(w.students[0].pk, 4), (w.students[1].pk, 5)}
    assert "Ученик01 Т.И.: Текущих отметок 2, а нужно не меньше 5" in text(saved)
    other = client(w.other).post(w.url(f"final/{w.cls.pk}/{w.maths.pk}/"), form)
    assert other.status_code == 403
    deputy = client(w.deputy)
    assert deputy.get(w.url(f"final/{w.cls.pk}/{w.maths.pk}/?period={w.q2.pk}")).status_code == 200  # reads
    assert deputy.post(w.url(f"final/{w.cls.pk}/{w.maths.pk}/"), form).status_code == 403  # does not set


def test_class_teacher_sets_any_subject_and_sees_the_whole_class(w: W, monkeypatch: pytest.MonkeyPatch) -> None:
    """R-J11 (004 §VIII): the class teacher sets marks in every subject of the class and has a page with
    all subjects of the class: marks set and who is short (R-J12)."""
    monkeypatch.setattr(rules, "today", lambda: D(2026, 12, 27))
    _q2_marks(w)
    c = client(w.class_teacher)
    assert c.post(w.url(f"final/{w.cls.pk}/{w.music.pk}/"), {"kind": "period", "period": w.q2.pk,
                                                               f"mark_{w.students[0].pk}": "зач"}).status_code == 302
    assert PeriodMark.objects.get().mark_kind == "pass"
    page = text(c.get(w.url(f"final/class/{w.cls.pk}/?period={w.q2.pk}")))
    assert "Математика" in page and "Музыка" in page and "1 из 3" in page and "Ученик01 Т.И. (2 из 5)" in page
    assert client(w.teacher).get(w.url(f"final/class/{w.cls.pk}/")).status_code == 403  # not their class


def test_year_mark_is_proposed_from_the_period_marks(w: W) -> None:
    """R-J11: year marks list the period marks and propose from their average by the rounding rule."""
    for period, value in ((w.q1, 4), (w.q2, 5)):
        PeriodMark.objects.create(student=w.students[0], school_class=w.cls, subject=w.maths, kind="period", period=period,
                                  value=value, created_by=w.teacher)
    body = text(client(w.teacher).get(w.url(f"final/{w.cls.pk}/{w.maths.pk}/?kind=year")))
    row = body[body.index(f"final-row-{w.students[0].pk}"):].split("</tr>")[0]
    assert 'data-testid="proposed">4<' in row  # 4.50 < 4.60 stays 4
    assert "Годовая" in body


def test_deputy_sees_who_is_short_per_class_subject_period(w: W) -> None:
    """R-J12: the deputy's list of students short of marks per class, subject and period."""
    _q2_marks(w)
    work_with_marks(w, lesson(w, D(2026, 11, 17), 1, subject=w.music), {0: 5, 1: 4, 2: 3})
    body = text(client(w.deputy).get(w.url(f"control/short/?period={w.q2.pk}")))
    maths_row = body[body.index(">Математика<"):].split("</tr>")[0]
    assert "Ученик01 Т.И. (2)" in maths_row and "Ученик02 Т.И. (0)" in maths_row and "Ученик00" not in maths_row
    music_row = body[body.index(">Музыка<"):].split("</tr>")[0]
    assert "Ученик00 Т.И. (1)" in music_row  # 1 hour a week: 3 needed
    assert client(w.teacher).get(w.url("control/short/")).status_code == 403


# --- the deputy's control (R-J05, R-J02, R-J13) ------------------------------------------------------------

def test_lessons_without_topic_homework_and_late_entries_with_filters(w: W, make_person: Any) -> None:
    """R-J05: the deputy sees recorded lessons without a topic or homework and entries made after the
    lesson's day, for a date range, filtered by teacher and class."""
    lesson(w, D(2026, 11, 23), 1, topic="Есть тема", homework="Есть ДЗ", attendance_taken_at=dt.datetime(2026, 11, 23, 9, tzinfo=dt.UTC))
    lesson(w, D(2026, 11, 23), 2, topic="", homework="№ 1")
    lesson(w, D(2026, 11, 24), 1, topic="Тема", homework="ДЗ", entered_late=True)
    other_cls = make_class(6, "Б")
    Lesson.objects.create(school_class=other_cls, subject=w.maths, teacher=w.other, created_by=w.other, date=D(2026, 11, 24),
                          lesson_number=3)
    c = client(w.deputy)
    body = text(c.get(w.url("control/lessons/?start=2026-11-20&end=2026-11-25")))
    assert body.count('data-testid="lesson-') == 3
    assert "нет темы" in body and "внесён не в день урока" in body and "нет домашнего задания" in body
    only_5a = text(c.get(w.url(f"control/lessons/?start=2026-11-20&end=2026-11-25&school_class={w.cls.pk}")))
    assert only_5a.count('data-testid="lesson-') == 2
    by_teacher = text(c.get(w.url(f"control/lessons/?start=2026-11-20&end=2026-11-25&teacher={w.other.pk}")))
    assert by_teacher.count('data-testid="lesson-') == 1 and "6Б" in by_teacher
    backwards = text(c.get(w.url("control/lessons/?start=2026-11-25&end=2026-11-20")))
    assert "Начало позже окончания" in backwards
    assert client(w.teacher).get(w.url("control/lessons/")).status_code == 403


def test_absences_without_reason_after_two_working_days(w: W, make_person: Any, grant: Any) -> None:
    """R-J02 (004 §VIII): an absence whose reason is still missing 2 working days after the lesson shows
    up for the class teacher of the class and for the deputy; one still within its 2 days or with its
    reason given does not; another class's teacher does not see it."""
    friday, monday = lesson(w, D(2026, 11, 20), 1), lesson(w, D(2026, 11, 23), 1)
    for les, student in ((friday, 0), (monday, 1)):
        Attendance.objects.create(lesson=les, student=w.students[student], created_by=w.teacher)
    Attendance.objects.create(lesson=friday, student=w.students[2], created_by=w.teacher, reason="illness", document="Справка")
    body = text(client(w.class_teacher).get(w.url("control/absences/")))
    assert "Ученик00 Тест Иванович" in body and "24.11.2026" in body  # Friday + 2 working days = Tuesday
    assert "Ученик01" not in body and "Ученик02" not in body
    assert "Ученик00" in text(client(w.deputy).get(w.url("control/absences/")))
    stranger = make_person("Чужая", "Классная")
    other_class = make_class(7, "В", class_teacher=stranger)
    use_public()
    grant(stranger, Role.CLASS_TEACHER, w.school, class_id=other_class.pk)
    use_school(w.school)
    assert "Ученик00" not in text(client(stranger).get(w.url("control/absences/")))
    assert client(w.teacher).get(w.url("control/absences/")).status_code == 403


def test_ktp_status_missing_after_15_october_and_delivery(w: W) -> None:
    """R-J13 (004 §VI): plans missing after 15 October are flagged; the delivered share of the programme
    and of the curriculum hours is computed as ktp.progress does, for every class and subject at once."""
    topics = [TopicData(number=i, title=f"Тема {i}", planned_date=D(2026, 9, 1) + dt.timedelta(days=7 * i)) for i in range(1, 11)]
    plan = ktp.save_plan(w.teacher, w.school, school_class=w.cls, subject=w.maths, topics=topics)
    first = plan.topics.get(number=1)
    lesson(w, D(2026, 11, 24), 1, ktp_topic=first)
    rows = {r.subject.name: r for r in selectors.ktp_overview(w.cls.year, on=TODAY)}
    expected = ktp.progress(w.cls, w.maths)
    got = rows["Математика"].progress
    assert (got.topics_total, got.topics_delivered, got.programme_share, got.lessons_given, got.hours_share) == (
        expected.topics_total, expected.topics_delivered, expected.programme_share, expected.lessons_given, expected.hours_share)
    assert rows["Математика"].missed == len(expected.missed_topics) == 9
    assert rows["Музыка"].overdue and not rows["Музыка"].has_plan and not rows["Математика"].overdue
    body = text(client(w.deputy).get(w.url("control/ktp/")))
    assert "нет, срок 15.10 прошёл" in body and "10%" in body
    assert "Математика" not in text(client(w.deputy).get(w.url("control/ktp/?missing=1")))
    assert client(w.methodist).get(w.url("control/ktp/")).status_code == 200
    assert client(w.teacher).get(w.url("control/ktp/")).status_code == 403


# --- marks from elsewhere (R-J09) -------------------------------------------------------------------------

def test_external_mark_with_its_document(w: W) -> None:
    """R-J09 (003 §2.3.5): a mark from a hospital school is entered with the document it rests on."""
    les = lesson(w, D(2026, 11, 24), 2)
    work = work_with_marks(w, les, {})
    c = client(w.teacher)
    form = {"work": work.pk, "student": w.students[1].pk, "value": "4", "document": ""}
    refused = c.post(w.url(f"external/{les.pk}/"), form)
    assert refused.status_code == 200 and "Обязательное поле" in text(refused) and not Mark.objects.exists()
    form["document"] = "Ведомость ГБУЗ «Детская больница» № 12"
    assert c.post(w.url(f"external/{les.pk}/"), form).status_code == 302
    mark = Mark.objects.get()
    assert (mark.value, mark.source_document) == (4, "Ведомость ГБУЗ «Детская больница» № 12")
    assert "Детская больница" in text(c.get(w.url(f"external/{les.pk}/")))
    assert client(w.other).get(w.url(f"external/{les.pk}/")).status_code == 403
    assert client(w.parent).post(w.url(f"external/{les.pk}/"), form).status_code == 403


# --- the notebook (R-J10) ---------------------------------------------------------------------------------

def test_notebook_note_then_moved_into_the_journal(w: W) -> None:
    """R-J10 (003 §2.3.4): the teacher's private note, then moved into the journal in one action by
    choosing the work."""
    les = lesson(w, D(2026, 11, 24), 1)
    work = work_with_marks(w, les, {})
    c = client(w.teacher)
    pair = f"class={w.cls.pk}&subject={w.maths.pk}"
    assert c.post(w.url(f"notebook/?{pair}"), {"action": "add", "class": w.cls.pk, "subject": w.maths.pk,
                                               "student": w.students[0].pk, "value": "4", "note": "переписать"}).status_code == 302
    entry = NotebookEntry.objects.get()
    assert not Mark.objects.exists()
    page = text(c.get(w.url(f"notebook/?pair={w.cls.pk}:{w.maths.pk}")))
    assert "переписать" in page and f'data-testid="note-{entry.pk}"' in page
    moved = c.post(w.url("notebook/"), {"action": "move", "class": w.cls.pk, "subject": w.maths.pk, "entry": entry.pk,
                                        "work": work.pk})
    assert moved.status_code == 302
    assert Mark.objects.get().value == 4 and NotebookEntry.objects.get().moved_to is not None
    assert "переписать" not in text(c.get(w.url(f"notebook/?{pair}")))


NOTE = "Секретная-заметка-блокнота"


def test_notebook_is_seen_by_its_teacher_only(w: W) -> None:
    """R-J10: a notebook entry is never shown to the deputy, the director, another teacher, a parent or a
    student — not on their pages, not in any API answer but its teacher's own notebook endpoint."""
    NotebookEntry.objects.create(teacher=w.teacher, school_class=w.cls, subject=w.maths, student=w.students[0], value=2,
                                 note=NOTE, date=TODAY)
    pair = f"class={w.cls.pk}&subject={w.maths.pk}"
    assert NOTE in text(client(w.teacher).get(w.url(f"notebook/?{pair}")))
    assert NOTE in text(client(w.teacher).get(w.api(f"notebook/?class_id={w.cls.pk}&subject_id={w.maths.pk}")))
    for person in (w.deputy, w.director, w.other, w.class_teacher):
        c = client(person)
        assert c.get(w.url(f"notebook/?{pair}")).status_code == 403
        assert NOTE not in text(c.get(w.url("notebook/")))
        assert c.get(w.api(f"notebook/?class_id={w.cls.pk}&subject_id={w.maths.pk}")).status_code == 403
    for person in (w.parent, w.students[0]):
        assert client(person).get(w.url("notebook/")).status_code == 403
    urls = [w.api(u) for u in ("change-requests/", "control/short/", "control/lessons/", "control/absences/", "control/ktp/",
                               f"final-marks/{w.cls.pk}/{w.maths.pk}/", f"ktp/{w.cls.pk}/{w.maths.pk}/", "activities/",
                               "notebook/")]
    urls += [w.url(u) for u in ("requests/", "control/short/", "control/lessons/", "control/absences/", "control/ktp/",
                                f"final/{w.cls.pk}/{w.maths.pk}/", f"final/class/{w.cls.pk}/", f"ktp/{w.cls.pk}/{w.maths.pk}/")]
    for person in (w.deputy, w.director, w.class_teacher, w.parent, w.students[0]):
        c = client(person)
        for url in urls:
            assert NOTE not in text(c.get(url)), (person.surname, url)
    teacher = client(w.teacher)
    for url in urls[:-8]:
        if not url.endswith("notebook/"):
            assert NOTE not in text(teacher.get(url)), url


# --- КТП (R-J13) ------------------------------------------------------------------------------------------

def xlsx(rows: list[list[Any]]) -> io.BytesIO:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    out.name = "ktp.xlsx"
    return out


def test_ktp_edit_on_the_page_and_progress(w: W) -> None:
    """R-J13: the teacher enters topics on the page and sees the share of programme and hours delivered."""
    c = client(w.teacher)
    form = {"t-TOTAL_FORMS": "3", "t-INITIAL_FORMS": "0", "t-MIN_NUM_FORMS": "0", "t-MAX_NUM_FORMS": "400", "action": "save",
            "t-0-number": "1", "t-0-title": "Натуральные числа", "t-0-hours": "2", "t-0-planned_date": "2026-09-02",
            "t-1-number": "2", "t-1-title": "Дроби", "t-1-hours": "3", "t-1-work_type": str(w.control.pk),
            "t-2-title": ""}
    assert c.post(w.url(f"ktp/{w.cls.pk}/{w.maths.pk}/"), form).status_code == 302
    plan = KtpPlan.objects.get()
    assert [(t.number, t.title, t.hours) for t in plan.topics.all()] == [(1, "Натуральные числа", 2), (2, "Дроби", 3)]
    lesson(w, D(2026, 11, 24), 1, ktp_topic=plan.topics.get(number=1))
    page = text(c.get(w.url(f"ktp/{w.cls.pk}/{w.maths.pk}/")))
    assert "50%" in page and "Не проведены в срок" not in page
    assert client(w.other).post(w.url(f"ktp/{w.cls.pk}/{w.maths.pk}/"), form).status_code == 403
    assert "Дроби" in text(client(w.methodist).get(w.url(f"ktp/{w.cls.pk}/{w.maths.pk}/")))


def test_ktp_import_from_xlsx_row_errors_before_anything_is_written(w: W) -> None:
    """R-J13: the plan from XLSX (№, Тема, Часы, Дата, Вид работы); every bad row is reported in Russian
    with its number and nothing is written; a good file replaces the topics."""
    c = client(w.teacher)
    bad = xlsx([["№", "Тема", "Часы", "Дата", "Вид работы"], [1, "Числа", 1, "02.09.2026", "Ответ на уроке"],
                [2, "", "два", "31.02.2026", "Танцы"], [1, "Повтор", 1, None, None], [4, "Лето", 1, D(2027, 7, 1), None]])
    response = c.post(w.url(f"ktp/{w.cls.pk}/{w.maths.pk}/"), {"action": "import", "file": bad})
    body = text(response)
    assert "Строка 3: пустая тема; часы «два» — целое число от 1 до 40; дата «31.02.2026» не распознана" in body
    assert "вид работы «Танцы» не найден" in body and "Строка 4: номер 1 уже был в строке 2" in body
    assert "Строка 5: дата 01.07.2027 вне учебного года" in body
    assert not KtpPlan.objects.exists()
    good = xlsx([["№", "Тема", "Часы", "Дата", "Вид работы"], [1, "Числа", 1, D(2026, 9, 2), "Ответ на уроке"],
                 [None, "Дроби", 2, "10.09.2026", "контрольная работа"], [], [5, "Проценты", None, None, None]])
    assert c.post(w.url(f"ktp/{w.cls.pk}/{w.maths.pk}/"), {"action": "import", "file": good}).status_code == 302
    topics = list(KtpTopic.objects.order_by("number").values_list("number", "title", "hours", "planned_date", "work_type_id"))
    assert topics == [(1, "Числа", 1, D(2026, 9, 2), w.answer.pk), (2, "Дроби", 2, D(2026, 9, 10), w.control.pk),
                      (5, "Проценты", 1, None, None)]
    junk = io.BytesIO(b"not a spreadsheet")
    junk.name = "ktp.xlsx"
    assert "не читается как таблица XLSX" in text(c.post(w.url(f"ktp/{w.cls.pk}/{w.maths.pk}/"), {"action": "import", "file": junk}))
    template = c.get(w.api("ktp/template/"))
    assert template.status_code == 200 and template.content[:2] == b"PK"


# --- extracurricular (R-J15) --------------------------------------------------------------------------------

def test_extracurricular_group_created_by_deputy_sessions_by_its_leader_no_marks(w: W) -> None:
    """R-J15 (002 §3.1): the deputy creates a group with its programme and members; its leader records
    sessions with topics and absences; there are no marks anywhere."""
    deputy = client(w.deputy)
    form = {"name": "Шахматы", "teacher": w.other.pk, "programme": "Шахматная школа", "hours_per_week": "1",
            "students": [w.students[0].pk, w.students[1].pk]}
    created = deputy.post(w.url("activities/"), form)
    assert created.status_code == 302
    group = ActivityGroup.objects.get()
    assert set(ActivityMember.objects.values_list("student_id", flat=True)) == {w.students[0].pk, w.students[1].pk}
    assert client(w.teacher).post(w.url("activities/"), {**form, "name": "Другое"}).status_code == 403
    leader = client(w.other)
    assert "Шахматы" in text(leader.get(w.url("activities/")))
    assert "Шахматы" not in text(client(w.teacher).get(w.url("activities/")))
    session = {"date": "2026-11-24", "topic": "Дебюты", "absent": [w.students[1].pk]}
    assert leader.post(w.url(f"activities/{group.pk}/"), session).status_code == 302
    page = text(leader.get(w.url(f"activities/{group.pk}/")))
    assert "Дебюты" in page and "Ученик01 Т.И." in page and "Отметка" not in page
    locked = leader.post(w.url(f"activities/{group.pk}/"), {**session, "date": "2026-11-10"})
    assert "Запись старше 7 дней" in text(locked)
    assert client(w.teacher).get(w.url(f"activities/{group.pk}/")).status_code == 403
    assert deputy.post(w.url(f"activities/{group.pk}/"), session).status_code == 403  # only the leader writes
    assert not Mark.objects.exists()


# --- settings ------------------------------------------------------------------------------------------------

def test_journal_settings_by_director_with_audit(w: W) -> None:
    """R-J07, R-J11: the director (or the school e-journal administrator) sets the lock days (1–30), the
    rounding threshold and the days after the period; each change is audited with before and after."""
    c = client(w.director)
    form = {"lock_days": "10", "round_up_from": "0.50", "period_mark_days_after": "5", "use_weighted_average": "on",
            "reason": "Решение педсовета № 3"}
    assert c.post(w.url("settings/"), form).status_code == 302
    row = JournalSettings.current()
    assert (row.lock_days, row.round_up_from, row.period_mark_days_after) == (10, Decimal("0.50"), 5)
    audit = AuditRecord.objects.get(action="journal.settings.update")
    assert audit.before["lock_days"] == 7 and audit.after["lock_days"] == 10 and audit.reason == "Решение педсовета № 3"
    assert "Решение педсовета № 3" in text(c.get(w.url("settings/")))
    too_long = c.post(w.url("settings/"), {**form, "lock_days": "31"})
    assert too_long.status_code == 200 and JournalSettings.current().lock_days == 10
    for person in (w.deputy, w.teacher):
        assert client(person).post(w.url("settings/"), form).status_code == 403


def test_control_tile_on_the_school_home(w: W) -> None:
    """R-C01: the deputy reaches the journal control from the school's home; a teacher sees no such tile."""
    assert 'data-testid="tile-journal-control"' in text(client(w.deputy).get(f"/s/{w.slug}/"))
    assert 'data-testid="tile-journal-control"' not in text(client(w.teacher).get(f"/s/{w.slug}/"))
    home = text(client(w.deputy).get(w.url("control/")))
    assert "Контроль электронного журнала" in home


# --- constant queries ------------------------------------------------------------------------------------------

LIST_PAGES = ["requests/", "requests/register/?period={q2}", "control/lessons/?start=2026-11-01&end=2026-11-25",
              "control/absences/", "control/short/?period={q2}", "control/ktp/", "final/{cls}/{maths}/?period={q2}",
              "final/class/{cls}/?period={q2}", "activities/", "ktp/"]


def _grow(w: W, make_person: Any, grant: Any, n: int) -> None:
    """n more students with marks, absences, lessons without topics, change requests and groups."""
    students = [make_person(f"Доп{n}-{i:02d}", "Ученик") for i in range(n)]
    use_school(w.school)
    for s in students:
        Enrolment.objects.create(student=s, school_class=w.cls, since=D(2026, 9, 1))
    for day in range(2, 2 + n):
        les = lesson(w, D(2026, 11, day + 2), n, entered_late=True)
        work = Work.objects.create(lesson=les, work_type=w.answer, position=1)
        Mark.objects.bulk_create([Mark(work=work, student=s, value=4, created_by=w.teacher) for s in students])
        Attendance.objects.create(lesson=les, student=w.students[0], created_by=w.teacher)
        ChangeRequest.objects.create(requested_by=w.teacher, school_class=w.cls, subject=w.maths, lesson=les, target_date=les.date,
                                     changes=[{"op": "mark", "work": work.pk, "student": students[0].pk, "value": "5"}],
                                     description="x", reason="x")
    extra = SchoolClass.objects.create(year=w.cls.year, grade=6, letter=f"Г{n}")
    subject = Subject.objects.create(name=f"Предмет {n}")
    CurriculumLine.objects.create(school_class=extra, subject=subject, hours_per_week=Decimal(2))
    group = ActivityGroup.objects.create(year=w.cls.year, name=f"Кружок {n}", teacher=w.other)
    ActivityMember.objects.bulk_create([ActivityMember(group=group, student=s) for s in students])


def test_list_pages_cost_constant_queries(w: W, make_person: Any, grant: Any, django_assert_max_num_queries: Any) -> None:
    """Every list page costs the same number of SQL queries for a small and a large school."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    deputy = client(w.deputy)

    def measure() -> dict[str, int]:
        counts = {}
        for tail in LIST_PAGES:
            url = w.url(tail.format(q2=w.q2.pk, cls=w.cls.pk, maths=w.maths.pk))
            deputy.get(url)
            with CaptureQueriesContext(connection) as ctx:
                response = deputy.get(url)
            assert response.status_code == 200, (url, response.status_code)
            counts[tail] = len(ctx.captured_queries)
        return counts

    _grow(w, make_person, grant, 2)
    small = measure()
    _grow(w, make_person, grant, 12)
    large = measure()
    assert large == small, f"small {small}, large {large}"
    print(f"queries per page (3 vs 17 students, 2 vs 14 more lessons and requests): {small}")
    notebook_url = w.url(f"notebook/?class={w.cls.pk}&subject={w.maths.pk}")
    teacher = client(w.teacher)
    teacher.get(notebook_url)
    with CaptureQueriesContext(connection) as ctx:
        teacher.get(notebook_url)
    NotebookEntry.objects.bulk_create([NotebookEntry(teacher=w.teacher, school_class=w.cls, subject=w.maths, student=s, value=3,
                                                     date=TODAY) for s in w.students * 5])
    with django_assert_max_num_queries(len(ctx.captured_queries)):
        assert teacher.get(notebook_url).status_code == 200
