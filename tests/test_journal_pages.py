"""The teacher's daily work on the journal's pages: my day (R-J05, R-J06), the lesson (R-J01, R-J02,
R-J03), the grid with its read-only and refused readers (R-A01), the 7-day lock seen on the page
(R-J07), grade 1 without marks (R-J04), and constant query counts (the grid ≤ 15 for 35 × 100).

"Today" is Wednesday 2026-11-25 (journal.rules.today is patched); the test set-up (`jw`) is shared
with tests/test_journal_api.py."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Person
from accounts.roles import Role
from audit.models import AuditRecord
from curriculum.models import CurriculumLine, Subject, TeachingAssignment
from journal import rules
from journal.models import Attendance, IndividualHomework, KtpPlan, KtpTopic, Lesson, Mark, Work, WorkType
from roster.models import Enrolment, SchoolClass
from schoolyear.models import PeriodScheme, StudyPeriod
from tenants.db import use_public, use_school
from tests.conftest import make_class

pytestmark = pytest.mark.django_db
D = dt.date
TODAY = D(2026, 11, 25)  # a Wednesday
YESTERDAY = D(2026, 11, 24)
NINE_DAYS_AGO = D(2026, 11, 16)


@dataclass
class JW:
    school: Any
    teacher: Person  # teaches maths in 5А
    other: Person  # another teacher (maths in 6Б); substitutes lesson 3 today
    deputy: Person
    methodist: Person
    class_teacher: Person  # of 5А, teaches nothing there
    parent: Person
    student_person: Person  # a student of 5А with a school account
    students: list[Person]
    cls: SchoolClass
    other_cls: SchoolClass
    grade1: SchoolClass
    maths: Subject
    answer: WorkType
    control: WorkType
    q2: StudyPeriod

    def url(self, path: str) -> str:
        return f"/s/{self.school.slug}/journal/{path}"

    def api(self, path: str) -> str:
        return f"/api/v1/schools/{self.school.slug}/journal/{path}"

    def lesson(self, date: dt.date = YESTERDAY, number: int = 2, cls: SchoolClass | None = None, **fields: Any) -> Lesson:
        """A lesson written directly (set-up: the services are exercised by the tests themselves)."""
        return Lesson.objects.create(school_class=cls or self.cls, subject=self.maths, teacher=self.teacher, created_by=self.teacher,
                                     date=date, lesson_number=number, **fields)

    def work(self, lesson: Lesson, work_type: WorkType | None = None, position: int = 1) -> Work:
        return Work.objects.create(lesson=lesson, work_type=work_type or self.answer, position=position)


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "today", lambda: TODAY)


@pytest.fixture
def jw(school_a: Any, make_person: Any, grant: Any) -> JW:
    from timetable.models import Substitution, TimetableEntry

    teacher, other = make_person("Лебедева", "Ольга"), make_person("Грачёв", "Павел")
    deputy, methodist = make_person("Морозов", "Андрей"), make_person("Методова", "Нина")
    class_teacher, parent = make_person("Классова", "Вера"), make_person("Мамина", "Ирина")
    students = [make_person(f"Ученик{i}", "Тест") for i in range(3)]
    use_school(school_a)
    cls, other_cls, grade1 = make_class(5, "А"), make_class(6, "Б"), make_class(1, "А")
    maths = Subject.objects.create(name="Математика")
    CurriculumLine.objects.create(school_class=cls, subject=maths, hours_per_week=Decimal(5))
    for c in (cls, grade1):
        TeachingAssignment.objects.create(teacher=teacher, subject=maths, school_class=c, hours_per_week=Decimal(5))
    TeachingAssignment.objects.create(teacher=other, subject=maths, school_class=other_cls, hours_per_week=Decimal(5))
    for s in students:
        Enrolment.objects.create(student=s, school_class=cls, since=D(2026, 9, 1))
    scheme = PeriodScheme.objects.create(year=cls.year, kind="quarter", grades=list(range(1, 12)))
    StudyPeriod.objects.create(scheme=scheme, number=1, name="1 четверть", starts_on=D(2026, 9, 1), ends_on=D(2026, 10, 25))
    q2 = StudyPeriod.objects.create(scheme=scheme, number=2, name="2 четверть", starts_on=D(2026, 11, 3), ends_on=D(2026, 12, 27))
    for number in (2, 3):
        TimetableEntry.objects.create(school_class=cls, weekday=3, lesson_number=number, subject=maths, teacher=teacher,
                                      valid_from=D(2026, 9, 1))
    entry3 = TimetableEntry.objects.get(lesson_number=3)
    Substitution.objects.create(date=TODAY, entry=entry3, absent_teacher=teacher, substitute=other, reason="курсы повышения квалификации")
    use_public()
    grant(teacher, Role.TEACHER, school_a)
    grant(other, Role.TEACHER, school_a)
    grant(deputy, Role.DEPUTY, school_a)
    grant(methodist, Role.METHODIST, school_a)
    grant(class_teacher, Role.CLASS_TEACHER, school_a, class_id=cls.pk)
    grant(parent, Role.PARENT, school_a)
    grant(students[0], Role.STUDENT, school_a, class_id=cls.pk)
    use_school(school_a)
    return JW(school_a, teacher, other, deputy, methodist, class_teacher, parent, students[0], students, cls, other_cls, grade1, maths,
              WorkType.objects.get(name="Ответ на уроке"), WorkType.objects.get(name="Контрольная работа"), q2)


class InSchool:
    """A signed-in test client that selects the school's schema again after each request (the
    middleware leaves the connection in public), so the test can read the school's rows."""

    def __init__(self, client: Any, school: Any) -> None:
        self.client, self.school = client, school

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.client, name)
        if name not in {"get", "post", "put", "patch", "delete", "generic"}:
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return attr(*args, **kwargs)
            finally:
                use_school(self.school)
        return call


@pytest.fixture
def as_(jw: JW, client_for: Any) -> Any:
    return lambda person: InSchool(client_for(person), jw.school)


def body(response: Any) -> str:
    return response.content.decode()


def day_row(html: str, number: int, class_id: int) -> str:
    found = re.search(rf'data-testid="day-lesson-{number}-{class_id}".*?</tr>', html, re.S)
    assert found is not None, f"no lesson {number} of class {class_id} in the day"
    return found.group(0)


def grid_row(html: str, student_id: int) -> str:
    found = re.search(rf'<tr data-s="{student_id}">.*?</tr>', html)
    assert found is not None
    return found.group(0)


# --- my day -------------------------------------------------------------------------------------


def test_my_day_lists_timetable_lessons_with_what_is_missing(jw: JW, as_: Any) -> None:
    """R-J05: the teacher's day shows today's lessons from the timetable and what is still missing;
    R-J06: a lesson somebody substitutes leaves the teacher's day and shows in the substitute's."""
    page = as_(jw.teacher).get(jw.url("today/"))
    assert page.status_code == 200
    html = body(page)
    row = day_row(html, 2, jw.cls.pk)
    assert "тема" in row and "посещаемость" in row and "Записать урок" in row
    assert f"day-lesson-3-{jw.cls.pk}" not in html  # taught by the substitute today

    substitute = body(as_(jw.other).get(jw.url("today/")))
    assert f"day-lesson-3-{jw.cls.pk}" in substitute
    assert "замена за Лебедева" in substitute and "курсы повышения квалификации" in substitute

    jw.lesson(TODAY, 2, topic="Десятичные дроби")  # recorded, no homework yet
    html = body(as_(jw.teacher).get(jw.url("today/")))
    row = day_row(html, 2, jw.cls.pk)
    assert "домашнее задание" in row and "Открыть урок" in row
    assert ">тема<" not in row


def test_my_day_of_another_date_and_recorded_extra_lessons(jw: JW, as_: Any) -> None:
    """R-J05: ?date= shows another day; a lesson recorded outside the timetable shows too."""
    # Tuesday: no timetable lessons. Complete: topic, homework and its attendance taken (R-J05).
    jw.lesson(YESTERDAY, 6, topic="Дополнительное занятие", homework="—",
              attendance_taken_at=dt.datetime(2026, 11, 24, 10, tzinfo=dt.UTC))
    html = body(as_(jw.teacher).get(jw.url("today/?date=2026-11-24")))
    assert "Дополнительное занятие" in html and "нет в расписании" in html and 'data-testid="complete"' in html
    assert "no-lessons" in body(as_(jw.teacher).get(jw.url("today/?date=2026-11-29")))  # Sunday


def test_my_day_refused_to_families_and_readers_without_lessons(jw: JW, as_: Any) -> None:
    """R-A01: the day page is for those who write the journal."""
    for person in (jw.parent, jw.student_person, jw.methodist):
        assert as_(person).get(jw.url("today/")).status_code == 403


# --- the lesson -----------------------------------------------------------------------------------


def test_recording_a_lesson_with_topic_attendance_and_homework(jw: JW, as_: Any) -> None:
    """R-J01, R-J02: the teacher records today's lesson from the day page: topic suggested from the
    КТП, what was done, homework for all and one student's own, absent and late students."""
    plan = KtpPlan.objects.create(school_class=jw.cls, subject=jw.maths, author=jw.teacher)
    first = KtpTopic.objects.create(plan=plan, number=1, title="Натуральные числа")
    second = KtpTopic.objects.create(plan=plan, number=2, title="Дроби")
    jw.lesson(D(2026, 11, 23), 2, ktp_topic=first)
    client = as_(jw.teacher)
    url = jw.url(f"lessons/new/{jw.cls.pk}/{jw.maths.pk}/2026-11-25/2/")
    page = client.get(url)
    assert page.status_code == 200
    assert "Следующая тема по КТП: №2. Дроби" in body(page)
    assert 'value="Дроби"' in body(page)  # the topic field is pre-filled from the plan
    s0, s1, s2 = jw.students
    response = client.post(url, {
        "ktp_topic": second.pk, "topic": "", "done": "Решали задачи", "homework": "№ 245",
        f"a_{s0.pk}": "absent", f"a_{s1.pk}": "late", f"a_{s2.pk}": "", f"h_{s2.pk}": "Карточка № 3",
    })
    assert response.status_code == 302, body(response)[:2000]
    lesson = Lesson.objects.get(date=TODAY, lesson_number=2)
    assert response["Location"] == jw.url(f"lessons/{lesson.pk}/")
    assert (lesson.topic, lesson.ktp_topic_id, lesson.done, lesson.homework, lesson.entered_late) == ("Дроби", second.pk, "Решали задачи", "№ 245", False)
    assert dict(Attendance.objects.values_list("student_id", "status")) == {s0.pk: "absent", s1.pk: "late"}
    assert IndividualHomework.objects.get().text == "Карточка № 3"
    assert AuditRecord.objects.filter(action="journal.individual_homework.save", actor=jw.teacher).exists()
    page = body(client.get(response["Location"]))
    assert "Карточка № 3" in page and "№ 245" in page
    assert f"day-lesson-2-{jw.cls.pk}" in body(client.get(jw.url("today/")))


def test_marks_on_the_lesson_page_all_or_nothing(jw: JW, as_: Any) -> None:
    """R-J03: works added on the lesson page get marks; a bad mark ("6") saves nothing at all and is
    shown in Russian next to its cell; a control work shows who still lacks a mark."""
    lesson = jw.lesson(YESTERDAY, 2, topic="Дроби")
    client = as_(jw.teacher)
    url = jw.url(f"lessons/{lesson.pk}/")
    assert client.post(url, {"action": "work", "work_type": jw.control.pk, "topic": "Контрольная по дробям"}).status_code == 302
    work = Work.objects.get(lesson=lesson)
    s0, s1, s2 = jw.students
    base = {"topic": "Дроби", "version": lesson.version, **{f"a_{s.pk}": "" for s in jw.students}}
    bad = client.post(url, {**base, f"m_{work.pk}_{s0.pk}": "5", f"m_{work.pk}_{s1.pk}": "6", f"a_{s2.pk}": "absent"})
    assert bad.status_code == 400
    assert "не отметка" in body(bad) and "Ничего не сохранено" in body(bad)
    assert not Mark.objects.exists() and not Attendance.objects.exists()
    lesson.refresh_from_db()
    good = client.post(url, {**base, "version": lesson.version, f"m_{work.pk}_{s0.pk}": "5", f"m_{work.pk}_{s1.pk}": "4"})
    assert good.status_code == 302, body(good)[:3000]
    assert dict(Mark.objects.values_list("student_id", "value")) == {s0.pk: 5, s1.pk: 4}
    page = body(client.get(url))
    assert f'data-testid="unmarked-{work.pk}"' in page and "нет отметки у 1" in page
    # a mark is changed only from the version the teacher saw
    mark = Mark.objects.get(student=s0)
    stale = client.post(url, {**base, "version": lesson.version + 1, f"m_{work.pk}_{s0.pk}": "3", f"mv_{work.pk}_{s0.pk}": mark.version + 7,
                              f"m_{work.pk}_{s1.pk}": "4", f"mv_{work.pk}_{s1.pk}": 1})
    assert stale.status_code == 400 and "другой пользователь" in body(stale)
    assert Mark.objects.get(student=s0).value == 5


def test_locked_lesson_on_the_page(jw: JW, as_: Any) -> None:
    """R-J07: a lesson older than 7 days opens read-only with the change-request note, and a POST
    (through the page, not just the service) is refused with the lock's message; nothing changes."""
    old = jw.lesson(NINE_DAYS_AGO, 2, topic="Старая тема")
    work = jw.work(old)
    client = as_(jw.teacher)
    url = jw.url(f"lessons/{old.pk}/")
    page = body(client.get(url))
    assert 'data-testid="lesson-locked"' in page and "Замена сведений в электронном журнале" in page
    assert 'data-testid="lesson-save"' not in page
    response = client.post(url, {"topic": "Новая тема", "version": old.version, f"m_{work.pk}_{jw.students[0].pk}": "5"})
    assert response.status_code == 400
    assert "старше 7 дней" in body(response)
    old.refresh_from_db()
    assert old.topic == "Старая тема" and not Mark.objects.exists()
    assert client.post(url, {"action": "work", "work_type": jw.answer.pk}).status_code == 302
    assert Work.objects.filter(lesson=old).count() == 1  # the added work was refused too
    response = client.post(jw.url(f"lessons/new/{jw.cls.pk}/{jw.maths.pk}/2026-11-16/4/"), {"topic": "задним числом"})
    assert response.status_code == 400 and "старше 7 дней" in body(response)
    assert not Lesson.objects.filter(lesson_number=4).exists()


def test_grade_one_lesson_has_no_marks(jw: JW, as_: Any) -> None:
    """R-J04: in the first grade the lesson page has topic and attendance only; a work is refused."""
    lesson = jw.lesson(YESTERDAY, 1, cls=jw.grade1, topic="Счёт до 10")
    client = as_(jw.teacher)
    page = body(client.get(jw.url(f"lessons/{lesson.pk}/")))
    assert "отметки не ставятся" in page and 'data-testid="works"' not in page
    response = client.post(jw.url(f"lessons/{lesson.pk}/"), {"action": "work", "work_type": jw.answer.pk}, follow=True)
    assert "В 1 классе отметки не ставятся" in body(response)
    assert not Work.objects.exists()


def test_substitute_records_the_lesson_they_teach(jw: JW, as_: Any) -> None:
    """R-J06: the substitute fills the journal of the lesson they taught; the substitution is recorded;
    the same teacher cannot open another lesson of that class."""
    client = as_(jw.other)
    url = jw.url(f"lessons/new/{jw.cls.pk}/{jw.maths.pk}/2026-11-25/3/")
    assert client.get(url).status_code == 200
    response = client.post(url, {"topic": "Замена: дроби", **{f"a_{s.pk}": "" for s in jw.students}})
    assert response.status_code == 302, body(response)[:2000]
    lesson = Lesson.objects.get(lesson_number=3)
    assert (lesson.teacher, lesson.replaced_teacher) == (jw.other, jw.teacher)
    assert "замена за Лебедева" in body(client.get(response["Location"]))
    other_lesson = jw.lesson(TODAY, 2)
    assert client.get(jw.url(f"lessons/{other_lesson.pk}/")).status_code == 403
    assert client.get(jw.url(f"lessons/new/{jw.cls.pk}/{jw.maths.pk}/2026-11-25/2/")).status_code == 403


def test_lesson_page_readers_and_refusals(jw: JW, as_: Any) -> None:
    """R-A01: the deputy, the methodist and the class teacher read a lesson; they, families and other
    classes' teachers cannot write it; families and other teachers cannot even read it."""
    lesson = jw.lesson(YESTERDAY, 2, topic="Дроби")
    url = jw.url(f"lessons/{lesson.pk}/")
    for reader in (jw.deputy, jw.methodist, jw.class_teacher):
        page = as_(reader).get(url)
        assert page.status_code == 200 and 'data-testid="read-only"' in body(page)
        assert as_(reader).post(url, {"topic": "чужая правка", "version": lesson.version}).status_code == 403
    for outsider in (jw.parent, jw.student_person, jw.other):
        response = as_(outsider).get(url)
        assert response.status_code == 403 and "Дроби" not in body(response)
        assert as_(outsider).post(url, {"topic": "x", "version": lesson.version}).status_code == 403
    lesson.refresh_from_db()
    assert lesson.topic == "Дроби"


# --- the grid ---------------------------------------------------------------------------------------


def test_grid_shows_works_marks_attendance_and_averages(jw: JW, as_: Any) -> None:
    """R-J03: students in rows, a column per work under its date ("5/4" for two works a day),
    absences, plain and weighted averages and the proposed mark; the teacher's grid is editable."""
    s0, s1, _ = jw.students
    lesson = jw.lesson(YESTERDAY, 2)
    w1, w2 = jw.work(lesson, jw.answer, 1), jw.work(lesson, jw.control, 2)
    Mark.objects.create(work=w1, student=s0, value=5, created_by=jw.teacher)
    Mark.objects.create(work=w2, student=s0, value=4, created_by=jw.teacher)
    Attendance.objects.create(lesson=lesson, student=s1, status="absent", created_by=jw.teacher)
    page = as_(jw.teacher).get(jw.url(f"{jw.cls.pk}/{jw.maths.pk}/"))
    assert page.status_code == 200
    html = body(page)
    assert 'data-editable="1"' in html and "journal-grid.js" in html and "2 четверть" in html
    assert '<th colspan="2" class="d"' in html  # two works under one date
    row0 = grid_row(html, s0.pk)
    assert re.search(r'<td data-v="1" class="d">5</td><td data-v="1">4</td>', row0)
    # weights: answer 1, control 2 (the school's defaults) -> plain 4.50, weighted 4.33, proposed 4;
    # 2 marks of the 5 a 5-hour subject needs (R-J12): flagged short
    assert '<td class="avg">4,50</td><td class="avg">4,33</td><td class="prop" data-short="short">4</td>' in row0
    assert '<td class="abs d">н</td>' in grid_row(html, s1.pk)


def test_grid_read_only_for_readers_and_refused_to_others(jw: JW, as_: Any, make_person: Any, grant: Any) -> None:
    """R-A01: the deputy, the methodist and the class teacher read the grid without editing; parents,
    students and teachers of other classes are refused; a subject teacher edits only their own."""
    jw.lesson(YESTERDAY, 2, topic="Дроби")
    url = jw.url(f"{jw.cls.pk}/{jw.maths.pk}/")
    for reader in (jw.deputy, jw.methodist, jw.class_teacher):
        page = as_(reader).get(url)
        assert page.status_code == 200 and 'data-editable="0"' in body(page) and 'data-testid="read-only"' in body(page)
    for outsider in (jw.parent, jw.student_person, jw.other):
        response = as_(outsider).get(url)
        assert response.status_code == 403
        assert "Ученик1" not in body(response) and "Дроби" not in body(response)
    assert as_(jw.teacher).get(jw.url(f"{jw.other_cls.pk}/{jw.maths.pk}/")).status_code == 403
    assert as_(jw.deputy).get(jw.url(f"{jw.cls.pk}/999999/")).status_code == 404
    assert as_(jw.parent).get(jw.url(f"{jw.cls.pk}/999999/")).status_code == 403  # learns nothing


def test_grid_marks_locked_columns(jw: JW, as_: Any) -> None:
    """R-J07: the grid greys the columns past the lock (the API refuses them: tests/test_journal_api.py)."""
    old, recent = jw.lesson(NINE_DAYS_AGO, 2), jw.lesson(YESTERDAY, 2)
    html = body(as_(jw.teacher).get(jw.url(f"{jw.cls.pk}/{jw.maths.pk}/")))
    assert re.search(rf'<th class="w d lk" data-l="{old.pk}"[^>]*data-lk="1"', html)
    assert re.search(rf'<th class="w d" data-l="{recent.pk}"', html)


def _big_class(jw: JW, students: int, lessons: int, start: dt.date = D(2026, 9, 1)) -> None:
    """`students` × `lessons` (up to three a day from `start`) with a work and a mark in most cells
    and a few absences, written with bulk_create."""
    people = Person.objects.bulk_create([Person(login=f"bulk{students}_{i}", surname=f"Массов{i:02d}", name="Ученик") for i in range(students)])
    Enrolment.objects.bulk_create([Enrolment(student=p, school_class=jw.cls, since=D(2026, 9, 1)) for p in people])
    days = [d for d in (start + dt.timedelta(days=n) for n in range(60)) if d.weekday() < 5]
    slots = [(d, n) for d in days for n in (4, 5, 6)][:lessons]
    made = Lesson.objects.bulk_create([Lesson(school_class=jw.cls, subject=jw.maths, teacher=jw.teacher, created_by=jw.teacher, date=d,
                                              lesson_number=n) for d, n in slots])
    works = Work.objects.bulk_create([Work(lesson=ls, work_type=jw.answer, position=1) for ls in made])
    Mark.objects.bulk_create([Mark(work=w, student=p, value=2 + (i + j) % 4, created_by=jw.teacher)
                              for i, w in enumerate(works) for j, p in enumerate(people) if (i + j) % 7])
    Attendance.objects.bulk_create([Attendance(lesson=w.lesson, student=p, status="absent", created_by=jw.teacher)
                                    for i, w in enumerate(works) for j, p in enumerate(people) if (i + j) % 7 == 0 and i % 5 == 0])


def _count(client: Any, url: str) -> tuple[int, Any]:
    client.get(url)  # warm: session stamps, settings row
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return len(ctx.captured_queries), response


def test_grid_page_queries_do_not_grow_35_by_100(jw: JW, as_: Any, django_assert_max_num_queries: Any) -> None:
    """The grid page costs at most 15 SQL queries for a class of 35 × 100 lessons (issue 5,
    «Performance»), the same as for a nearly empty class."""
    client = as_(jw.teacher)
    url = jw.url(f"{jw.cls.pk}/{jw.maths.pk}/?period={jw.q2.pk}")
    lesson = jw.lesson(YESTERDAY, 2)
    Mark.objects.create(work=jw.work(lesson), student=jw.students[0], value=5, created_by=jw.teacher)
    Attendance.objects.create(lesson=lesson, student=jw.students[1], created_by=jw.teacher)
    small, _ = _count(client, url)
    _big_class(jw, 32, 100, start=D(2026, 11, 3))  # 3 + 32 = 35 students; 100 more lessons in the quarter
    large, response = _count(client, url)
    html = body(response)
    assert html.count("<tr data-s=") == 35 and html.count('<th class="w') == 101
    assert large == small, (small, large)
    with django_assert_max_num_queries(15):
        client.get(url)
    print(f"grid page: {large} queries for 35 × 101")


def test_day_and_lesson_pages_queries_do_not_grow(jw: JW, as_: Any) -> None:
    """My day and the lesson page cost the same number of queries for 3 and for 35 students."""
    lesson = jw.lesson(TODAY, 2, topic="Дроби")
    work = jw.work(lesson, jw.control)
    client = as_(jw.teacher)
    day_small, _ = _count(client, jw.url("today/"))
    lesson_small, _ = _count(client, jw.url(f"lessons/{lesson.pk}/"))
    _big_class(jw, 32, 3)
    Mark.objects.bulk_create([Mark(work=work, student=e.student, value=4, created_by=jw.teacher)
                              for e in Enrolment.objects.filter(school_class=jw.cls)[:20]])
    day_large, _ = _count(client, jw.url("today/"))
    lesson_large, _ = _count(client, jw.url(f"lessons/{lesson.pk}/"))
    assert (day_small, lesson_small) == (day_large, lesson_large)
    print(f"my day: {day_large} queries; lesson page: {lesson_large} queries")


# --- absences, the journal list, the school's home -----------------------------------------------------


def test_class_teacher_sets_absence_reasons(jw: JW, as_: Any) -> None:
    """R-J02: the class teacher sets the reason of an absence with its document; one without a reason
    2 working days later is flagged; the subject teacher may not set it; families may not see it."""
    lesson = jw.lesson(D(2026, 11, 19), 2)
    absence = Attendance.objects.create(lesson=lesson, student=jw.students[0], status="absent", created_by=jw.teacher)
    url = jw.url(f"absences/{jw.cls.pk}/")
    client = as_(jw.class_teacher)
    page = body(client.get(url))
    assert f'data-testid="absence-{absence.pk}" class="overdue"' in page and "прошло больше 2 рабочих дней" in page
    response = client.post(url, {"attendance": absence.pk, "reason": "illness", "document": ""}, follow=True)
    assert "Укажите подтверждающий документ" in body(response)
    client.post(url, {"attendance": absence.pk, "reason": "illness", "document": "Справка № 12", "document_date": "2026-11-24"})
    absence.refresh_from_db()
    assert (absence.reason, absence.document, absence.reason_set_by) == ("illness", "Справка № 12", jw.class_teacher)
    assert as_(jw.deputy).get(url).status_code == 200
    for refused in (jw.teacher, jw.parent, jw.student_person):
        assert as_(refused).get(url).status_code == 403
    assert as_(jw.teacher).post(url, {"attendance": absence.pk, "reason": "unexcused"}).status_code == 403


def test_journal_list_and_school_home_tiles(jw: JW, as_: Any) -> None:
    """The teacher sees their journals and «Мой день» from the school's home; readers see every journal."""
    home = body(as_(jw.teacher).get(f"/s/{jw.school.slug}/"))
    assert 'data-testid="tile-my-day"' in home and 'data-testid="tile-journal"' in home
    listing = body(as_(jw.teacher).get(jw.url("")))
    assert f'data-testid="journal-{jw.cls.pk}-{jw.maths.pk}"' in listing and f"journal-{jw.other_cls.pk}-" not in listing
    everything = body(as_(jw.methodist).get(jw.url("")))
    assert f"journal-{jw.cls.pk}-{jw.maths.pk}" in everything and f"journal-{jw.other_cls.pk}-{jw.maths.pk}" in everything
    assert 'data-testid="tile-journal"' in body(as_(jw.methodist).get(f"/s/{jw.school.slug}/"))
    assert 'data-testid="tile-my-day"' not in body(as_(jw.methodist).get(f"/s/{jw.school.slug}/"))
    for person in (jw.parent, jw.student_person):
        assert 'tile-journal' not in body(as_(person).get(f"/s/{jw.school.slug}/"))
        assert as_(person).get(jw.url("")).status_code == 403


def test_new_lesson_page_never_overwrites_a_lesson_recorded_meanwhile(jw: JW, as_: Any) -> None:
    """R-J01, R-J07 (no silent overwrite): the teacher opened the empty slot, a colleague (the
    substitute, another tab) recorded it first; the late save is refused with a message and the
    record stays as it was."""
    client = as_(jw.teacher)
    url = jw.url(f"lessons/new/{jw.cls.pk}/{jw.maths.pk}/2026-11-25/2/")
    assert client.get(url).status_code == 200
    first = jw.lesson(TODAY, 2, topic="Первая запись")
    response = client.post(url, {"topic": "Вторая запись", "done": "", "homework": ""}, follow=True)
    assert response.redirect_chain[-1][0] == jw.url(f"lessons/{first.pk}/")
    assert "уже записан другим пользователем" in body(response)
    first.refresh_from_db()
    assert (first.topic, first.version) == ("Первая запись", 1)
