"""The families' electronic diary: the week (R-D01), marks by subject with averages and results
(R-D01, R-D05), the forecast with the journal's own rounding (R-D04), who may read whose diary
(R-A02, R-D02: a parent only their children, in every school; a student only themself; refusals
audited), the teacher's notebook never shown (R-J10), and fixed query counts per page.

"Today" is Wednesday 2026-11-25 (journal.rules.today is patched). The world: school A (alpha)
with 5А and 5Б, school B (beta). Parent P has Artyom (5А, school A) and Alisa (school B); parent
Q has Boris, Artyom's classmate; Artyom also signs in himself."""

from __future__ import annotations

import ast
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Person
from accounts.roles import Role
from audit.models import AuditRecord
from curriculum.models import CurriculumLine, Subject, TeachingAssignment
from diary import forecast as fc
from journal import rules
from journal.models import Attendance, IndividualHomework, JournalSettings, Lesson, Mark, NotebookEntry, Work, WorkType
from roster.models import Enrolment, Guardianship, SchoolClass
from schoolyear.models import PeriodScheme, StudyPeriod
from tenants.db import use_public, use_school
from tests.conftest import make_class

pytestmark = pytest.mark.django_db
D = dt.date
TODAY = D(2026, 11, 25)  # Wednesday
MONDAY = D(2026, 11, 23)
SECRET_NOTE = "ЧЕРНОВИК-БЛОКНОТА-7731"


@pytest.fixture(autouse=True)
def _today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "today", lambda: TODAY)


@dataclass
class World:
    a: Any
    b: Any
    parent: Person  # P: Artyom (A) and Alisa (B)
    other_parent: Person  # Q: Boris (A)
    artyom: Person
    boris: Person
    alisa: Person
    teacher: Person  # teaches maths in 5А (school A)
    teacher_b: Person  # a teacher of school B only
    cls: SchoolClass
    maths: Subject
    russian: Subject
    answer: WorkType
    control: WorkType
    q1: StudyPeriod
    q2: StudyPeriod
    lessons: dict[str, Lesson]

    def page(self, child: Person, path: str = "", school: Any = None) -> str:
        return f"/s/{(school or self.a).slug}/diary/{child.pk}/{path}"

    def api(self, child: Person, path: str, school: Any = None) -> str:
        return f"/api/v1/schools/{(school or self.a).slug}/diary/{child.pk}/{path}"


def family_client(person: Person) -> Client:
    """Families sign in with a password and no second factor."""
    client = Client()
    client.force_login(person)
    return client


def _mark(work: Work, student: Person, value: int, by: Person) -> Mark:
    return Mark.objects.create(work=work, student=student, value=value, created_by=by)


@pytest.fixture
def world(school_a: Any, school_b: Any, make_person: Any, grant: Any) -> World:
    from timetable.models import TimetableEntry

    parent = make_person("Смирнова", "Татьяна")
    other_parent = make_person("Белова", "Ольга")
    artyom = make_person("Смирнов", "Артём", birth_date=D(2015, 3, 14))
    boris = make_person("Белов", "Борис")
    alisa = make_person("Смирнова", "Алиса", birth_date=D(2012, 1, 5))
    teacher = make_person("Лебедева", "Ольга")
    teacher_b = make_person("Орлова", "Нина")
    for person, role, school in ((parent, Role.PARENT, school_a), (parent, Role.PARENT, school_b), (other_parent, Role.PARENT, school_a),
                                 (artyom, Role.STUDENT, school_a), (boris, Role.STUDENT, school_a), (alisa, Role.STUDENT, school_b),
                                 (teacher, Role.TEACHER, school_a), (teacher_b, Role.TEACHER, school_b)):
        grant(person, role, school)
    use_school(school_b)
    try:
        cls_b = make_class(8, "А")
        Enrolment.objects.create(student=alisa, school_class=cls_b, since=D(2026, 9, 1))
        Guardianship.objects.create(parent=parent, student=alisa, kind="mother")
    finally:
        use_public()
    use_school(school_a)
    try:
        cls = make_class(5, "А")
        make_class(5, "Б")
        year = cls.year
        scheme = PeriodScheme.objects.create(year=year, kind="quarter", grades=[5])
        q1 = StudyPeriod.objects.create(scheme=scheme, number=1, name="1 четверть", starts_on=D(2026, 9, 1), ends_on=D(2026, 10, 24))
        q2 = StudyPeriod.objects.create(scheme=scheme, number=2, name="2 четверть", starts_on=D(2026, 11, 5), ends_on=D(2026, 12, 27))
        maths = Subject.objects.create(name="Математика")
        russian = Subject.objects.create(name="Русский язык")
        CurriculumLine.objects.create(school_class=cls, subject=maths, hours_per_week=Decimal(5))
        CurriculumLine.objects.create(school_class=cls, subject=russian, hours_per_week=Decimal(4))
        TeachingAssignment.objects.create(teacher=teacher, subject=maths, school_class=cls, hours_per_week=Decimal(5))
        for child in (artyom, boris):
            Enrolment.objects.create(student=child, school_class=cls, since=D(2026, 9, 1))
        Guardianship.objects.create(parent=parent, student=artyom, kind="mother")
        Guardianship.objects.create(parent=other_parent, student=boris, kind="mother")
        for weekday in range(1, 6):
            TimetableEntry.objects.create(school_class=cls, weekday=weekday, lesson_number=1, subject=maths, teacher=teacher,
                                          valid_from=D(2026, 9, 1), room="12")
            TimetableEntry.objects.create(school_class=cls, weekday=weekday, lesson_number=2, subject=russian, teacher=teacher,
                                          valid_from=D(2026, 9, 1))
        answer = WorkType.objects.get(name="Ответ на уроке")
        control = WorkType.objects.filter(requires_all_marks=True).order_by("-weight").first()
        assert control is not None
        lessons: dict[str, Lesson] = {}
        for key, day, topic, hw in (("mon", D(2026, 11, 23), "Дроби", "№ 101, 102"), ("tue", D(2026, 11, 24), "Сложение дробей", "№ 110"),
                                    ("old", D(2026, 11, 10), "Делимость", "")):
            lessons[key] = Lesson.objects.create(school_class=cls, subject=maths, teacher=teacher, created_by=teacher, date=day,
                                                 lesson_number=1, topic=topic, homework=hw)
        w_mon = Work.objects.create(lesson=lessons["mon"], work_type=answer, position=1, topic="Устный счёт")
        w_tue = Work.objects.create(lesson=lessons["tue"], work_type=control, position=1, topic="Контрольная по дробям")
        w_old = Work.objects.create(lesson=lessons["old"], work_type=answer, position=1)
        _mark(w_mon, artyom, 5, teacher)
        _mark(w_tue, artyom, 3, teacher)
        _mark(w_old, artyom, 4, teacher)
        _mark(w_mon, boris, 2, teacher)
        Attendance.objects.create(lesson=lessons["tue"], student=artyom, status="late", created_by=teacher)
        Attendance.objects.create(lesson=lessons["mon"], student=boris, status="absent", reason="illness", created_by=teacher)
        IndividualHomework.objects.create(lesson=lessons["tue"], student=artyom, text="Повторить таблицу умножения")
        IndividualHomework.objects.create(lesson=lessons["tue"], student=boris, text="Задание Бориса")
        NotebookEntry.objects.create(teacher=teacher, school_class=cls, subject=maths, student=artyom, value=1, note=SECRET_NOTE, date=TODAY)
        return World(school_a, school_b, parent, other_parent, artyom, boris, alisa, teacher, teacher_b, cls, maths, russian, answer, control,
                     q1, q2, lessons)
    finally:
        use_public()


# --- the week ---------------------------------------------------------------------------------

def test_parent_reads_the_week_with_marks_homework_and_attendance(world: World) -> None:
    """R-D01: the week shows the timetable, topics, homework (class and individual), the child's marks
    with the work they were for, and lateness; nothing of a classmate's."""
    r = family_client(world.parent).get(world.page(world.artyom) + "?week=2026-11-23")
    assert r.status_code == 200
    html = r.content.decode()
    for text in ("Дроби", "№ 101, 102", "Сложение дробей", "Повторить таблицу умножения", "Устный счёт", "Контрольная по дробям",
                 "опоздал", "Русский язык", "каб. 12"):
        assert text in html, text
    assert "Задание Бориса" not in html and "отсутствовал" not in html


def test_week_api_gives_only_the_childs_marks_and_attendance(world: World) -> None:
    """R-D01 through the API: the week's days and lessons, the child's marks with work type and weight."""
    data = family_client(world.parent).get(world.api(world.artyom, "week/") + "?date=2026-11-25").json()
    assert data["monday"] == "2026-11-23"
    days = {d["date"]: d for d in data["days"]}
    assert len(days) == 5 and all(d["is_school_day"] for d in days.values())
    monday = days["2026-11-23"]["lessons"]
    assert [(ls["number"], ls["subject"]) for ls in monday] == [(1, "Математика"), (2, "Русский язык")]
    maths = monday[0]
    assert maths["topic"] == "Дроби" and maths["homework"] == "№ 101, 102" and maths["attendance"] == ""
    assert [(m["text"], m["work_type"], m["topic"]) for m in maths["marks"]] == [("5", world.answer.name, "Устный счёт")]
    tuesday = days["2026-11-24"]["lessons"][0]
    assert tuesday["attendance"] == "late" and tuesday["individual_homework"] == "Повторить таблицу умножения"
    assert [(m["value"], m["weight"]) for m in tuesday["marks"]] == [(3, str(world.control.weight))]
    # The coming week: the timetable only, nothing recorded yet.
    coming = family_client(world.parent).get(world.api(world.artyom, "week/") + "?date=2026-11-30").json()
    assert all(ls["lesson_id"] is None and not ls["marks"] for d in coming["days"] for ls in d["lessons"])
    assert sum(len(d["lessons"]) for d in coming["days"]) == 10


def test_coming_week_timetable_page(world: World) -> None:
    """R-D01: the child's timetable for the coming week."""
    client = family_client(world.artyom)
    html = client.get(world.page(world.artyom)).content.decode()
    assert 'data-testid="week-coming"' in html
    coming = client.get(world.page(world.artyom) + "?week=2026-11-30").content.decode()
    assert "Следующая неделя" in coming and coming.count('data-testid="lesson"') == 10


def test_homework_api(world: World) -> None:
    """R-D01: homework of the child's lessons in a range, class and individual."""
    data = family_client(world.parent).get(world.api(world.artyom, "homework/") + "?date_from=2026-11-01&date_to=2026-11-30").json()
    assert [(ls["date"], ls["homework"], ls["individual_homework"]) for ls in data["lessons"]] == [
        ("2026-11-23", "№ 101, 102", ""), ("2026-11-24", "№ 110", "Повторить таблицу умножения")]
    bad = family_client(world.parent).get(world.api(world.artyom, "homework/") + "?date_from=2026-01-01&date_to=2026-12-30")
    assert bad.status_code == 400 and bad.json()["error"]["fields"]


# --- marks, averages, results ------------------------------------------------------------------------

def test_marks_page_by_subject_with_averages_and_forecast(world: World) -> None:
    """R-D01: marks by subject in the current period with plain and weighted averages; R-D04: the
    forecast on the page. Maths in Q2: 5 (weight 1), 3 (control) and 4 (weight 1)."""
    r = family_client(world.parent).get(world.page(world.artyom, "marks/"))
    assert r.status_code == 200
    html = r.content.decode()
    assert "2 четверть" in html and "Средний балл 4,00" in html and 'data-testid="forecast-mark"' in html
    data = family_client(world.parent).get(world.api(world.artyom, "marks/")).json()
    assert data["period"] == world.q2.pk and data["is_current"]
    maths = next(s for s in data["subjects"] if s["subject"] == "Математика")
    assert sorted(m["value"] for m in maths["marks"]) == [3, 4, 5]
    weight = world.control.weight
    weighted = ((Decimal(9) + 3 * weight) / (2 + weight)).quantize(Decimal("0.01"))
    assert Decimal(maths["forecast"]["plain"]) == Decimal("4.00") and Decimal(maths["forecast"]["weighted"]) == weighted
    russian = next(s for s in data["subjects"] if s["subject"] == "Русский язык")
    assert russian["marks"] == [] and russian["forecast"]["expected"] is None


def test_past_period_and_whole_year(world: World) -> None:
    """R-D01: a past period is shown (no forecast); the whole year sums both."""
    client = family_client(world.parent)
    q1 = client.get(world.api(world.artyom, "marks/") + f"?period={world.q1.pk}").json()
    assert not q1["is_current"] and all(not s["marks"] and s["forecast"] is None for s in q1["subjects"])
    year = client.get(world.api(world.artyom, "marks/") + "?period=year").json()
    assert year["period"] is None and sum(len(s["marks"]) for s in year["subjects"]) == 3
    assert client.get(world.page(world.artyom, "marks/") + "?period=year").status_code == 200


def test_period_mark_is_visible_to_the_family_as_soon_as_saved(world: World) -> None:
    """R-D05: the teacher saves a period mark for Q1 and a year mark; the family's next read shows
    them (no cache, no delay), in the results table and on the period's page."""
    from journal.period_marks import set_period_mark

    client = family_client(world.parent)
    before = client.get(world.api(world.artyom, "marks/") + f"?period={world.q1.pk}").json()
    assert before["results"] == []
    use_school(world.a)
    try:
        cls = SchoolClass.objects.select_related("year").get(pk=world.cls.pk)
        set_period_mark(world.teacher, world.a, school_class=cls, subject=world.maths, student_id=world.artyom.pk, kind="period",
                        value="4", period=world.q1, on=world.q1.ends_on)
    finally:
        use_public()
    after = client.get(world.api(world.artyom, "marks/") + f"?period={world.q1.pk}").json()
    maths = next(s for s in after["subjects"] if s["subject"] == "Математика")
    assert maths["period_mark"] == "4"
    assert after["results"] == [{"subject_id": world.maths.pk, "subject": "Математика", "periods": ["4", ""], "year": "", "exam": "",
                                 "final": ""}]
    html = client.get(world.page(world.artyom, "marks/") + f"?period={world.q1.pk}").content.decode()
    assert 'data-testid="period-mark"' in html


# --- the forecast -----------------------------------------------------------------------------

W1 = Decimal("1.0")


@pytest.mark.parametrize(("marks", "weighted", "round_from", "expected", "fives", "fours"), [
    # 3.50 → 3 (below .60); one 5 gives 4.00, one 4 gives 3.67 → 4.
    ([(3, W1), (4, W1)], True, Decimal("0.60"), 3, 1, 1),
    # The school rounds up from .50: 3.50 → 4; a 5 needs (7 + 5k)/(2 + k) ≥ 4.5 → k = 4.
    ([(3, W1), (4, W1)], True, Decimal("0.50"), 4, 4, None),
    # 4.33 → 4; two 5s give 23/5 = 4.60, exactly the boundary → 5.
    ([(4, W1), (5, W1), (4, W1)], True, Decimal("0.60"), 4, 2, None),
    # Weighted (5·1 + 3·3)/4 = 3.50 → 3; one 5 → 19/5 = 3.80 → 4; one 4 → 18/5 = 3.60 → 4.
    ([(5, W1), (3, Decimal(3))], True, Decimal("0.60"), 3, 1, 1),
    # The same marks with the plain average (the school's setting): 4.00 → 4; 5 needs (8+5k)/(2+k) ≥ 4.6 → k = 3.
    ([(5, W1), (3, Decimal(3))], False, Decimal("0.60"), 4, 3, None),
    # 2, 2 and a 3 of weight 2: weighted 2.50 → 2; one 5 → 3.00, one 4 → 2.80 → 3.
    ([(2, W1), (2, W1), (3, Decimal(2))], True, Decimal("0.60"), 2, 1, 1),
    # Heavy 1s: (300 + 5k)/(300 + k) ≥ 1.6 needs k = 53, beyond the 30 looked at.
    ([(1, Decimal(10))] * 30, True, Decimal("0.60"), 1, None, None),
    # Already 5: nothing to reach.
    ([(5, W1), (5, W1)], True, Decimal("0.60"), 5, None, None),
])
def test_forecast_hand_computed(marks: list[tuple[int, Decimal]], weighted: bool, round_from: Decimal, expected: int,
                                fives: int | None, fours: int | None) -> None:
    """R-D04: the expected period mark and the marks it takes to reach the next one, by hand."""
    f = fc.forecast(marks, round_up_from=round_from, use_weighted=weighted, hours_per_week=2)
    assert (f.expected, f.fives_needed, f.fours_needed) == (expected, fives, fours)
    assert f.min_marks == 5


def test_forecast_texts() -> None:
    """R-D04: what it would take, in words; no marks; beyond the look-ahead."""
    assert fc.advice(fc.forecast([], round_up_from=Decimal("0.6"), use_weighted=True)) == "Отметок в этом периоде пока нет."
    text = fc.advice(fc.forecast([(3, W1), (4, W1)], round_up_from=Decimal("0.6"), use_weighted=True))
    assert text == "До «4»: ещё 1 отметка «5» или 1 отметка «4» обычного веса подряд."
    far = fc.advice(fc.forecast([(1, Decimal(10))] * 30, round_up_from=Decimal("0.6"), use_weighted=True))
    assert "больше 30" in far


def test_forecast_equals_the_journals_proposal(world: World) -> None:
    """R-D04: the diary's expected mark is the journal grid's proposed period mark (same averages,
    same rounding setting), here with the school rounding up from .50 and the weighted average."""
    from diary.selectors import WITH_MARKS_CONTEXT, child_context, diary_marks
    from journal.selectors import journal_grid

    use_school(world.a)
    try:
        settings_row = JournalSettings.current()
        settings_row.round_up_from = Decimal("0.50")
        settings_row.save()
        cls = SchoolClass.objects.select_related("year").get(pk=world.cls.pk)
        grid = journal_grid(cls, world.maths.pk, world.q2.starts_on, world.q2.ends_on)
        proposed = next(r.proposed for r in grid.rows if r.student.pk == world.artyom.pk)
        _, child = child_context(world.parent.pk, world.artyom.pk, TODAY, frozenset({WITH_MARKS_CONTEXT}))
        assert child is not None
        data = diary_marks(child, None, TODAY)
        maths = next(s for s in data.subjects if s.subject_id == world.maths.pk)
        assert maths.forecast is not None and maths.forecast.expected == proposed
    finally:
        use_public()


def test_forecast_api(world: World) -> None:
    """R-D04 through the API."""
    data = family_client(world.artyom).get(world.api(world.artyom, "forecast/")).json()
    maths = next(s for s in data["subjects"] if s["subject"] == "Математика")
    assert data["is_current"] and maths["forecast"]["count"] == 3 and maths["forecast"]["advice"]


# --- access (R-A02, R-D02) ------------------------------------------------------------------------

ENDPOINTS = ["page:", "page:marks/", "api:week/", "api:marks/", "api:homework/", "api:forecast/"]


def _url(world: World, endpoint: str, child: Person, school: Any = None) -> str:
    kind, path = endpoint.split(":", 1)
    return world.page(child, path, school) if kind == "page" else world.api(child, path, school)


def test_family_reads_own(world: World) -> None:
    """R-A02: the parent reads their child in each school; the student reads themself (every page and endpoint)."""
    for endpoint in ENDPOINTS:
        assert family_client(world.parent).get(_url(world, endpoint, world.artyom)).status_code == 200, endpoint
        assert family_client(world.parent).get(_url(world, endpoint, world.alisa, world.b)).status_code == 200, endpoint
        assert family_client(world.artyom).get(_url(world, endpoint, world.artyom)).status_code == 200, endpoint


@pytest.mark.parametrize("case", ["other_parent", "own_parent_other_child", "student_classmate", "teacher_other_school",
                                  "teacher_same_school", "child_of_other_school_here"])
def test_refused_and_audited(world: World, client_for: Any, case: str) -> None:
    """R-A02, R-D02: another parent, a parent changing the child id to a classmate, a student reading a
    classmate, a teacher of another school, a teacher of the school and a child id from another
    school are refused with 403, and each refusal is recorded once as access.refused."""
    reader, child, school = {
        "other_parent": (world.other_parent, world.artyom, None),
        "own_parent_other_child": (world.parent, world.boris, None),
        "student_classmate": (world.artyom, world.boris, None),
        "teacher_other_school": (world.teacher_b, world.artyom, None),
        "teacher_same_school": (world.teacher, world.artyom, None),
        "child_of_other_school_here": (world.parent, world.alisa, None),  # Alisa studies in B, not in A
    }[case]
    client = family_client(reader) if case != "teacher_other_school" else client_for(reader)
    for endpoint in ENDPOINTS:
        before = AuditRecord.objects.filter(action="access.refused", actor=reader).count()
        r = client.get(_url(world, endpoint, child, school))
        assert r.status_code == 403, endpoint
        body = r.content.decode()
        assert "Дроби" not in body and child.name not in body
        assert AuditRecord.objects.filter(action="access.refused", actor=reader).count() == before + 1, endpoint


def test_anonymous_refused(world: World) -> None:
    """Anonymous: pages send to sign-in, the API answers 401/403."""
    for endpoint in ENDPOINTS:
        r = Client().get(_url(world, endpoint, world.artyom))
        assert r.status_code in (302, 401, 403), endpoint
        if r.status_code == 302:
            assert "/login/" in r["Location"]
    assert Client().get("/diary/").status_code == 302 and Client().get("/api/v1/diary/children/").status_code in (401, 403)


def test_entry_page_lists_children_of_both_schools_and_switches(world: World) -> None:
    """R-D02, R-A02: the parent's /diary/ lists the children in both schools; every diary page carries
    a one-tap switch to the other child; a one-child family goes straight to the week."""
    client = family_client(world.parent)
    html = client.get("/diary/").content.decode()
    assert world.page(world.artyom) in html and world.page(world.alisa, school=world.b) in html
    week = client.get(world.page(world.artyom)).content.decode()
    assert 'data-testid="child-switch"' in week and world.page(world.alisa, school=world.b) in week
    marks = client.get(world.page(world.alisa, "marks/", world.b)).content.decode()
    assert world.page(world.artyom, "marks/") in marks
    r = family_client(world.other_parent).get("/diary/")
    assert r.status_code == 302 and r["Location"] == world.page(world.boris)
    children = client.get("/api/v1/diary/children/").json()
    assert {(c["school"], c["id"]) for c in children} == {("alpha", world.artyom.pk), ("beta", world.alisa.pk)}
    assert family_client(world.teacher).get("/diary/").status_code == 200  # staff: an explanation, no children


def test_home_sends_a_family_to_the_diary(world: World) -> None:
    """R-D02: a family member signs in and lands on the diary, with no request to staff."""
    r = family_client(world.other_parent).get("/home/")
    assert r.status_code == 302 and r["Location"] == "/diary/"
    # A family in two schools sees the schools, and the diary one tap away in the header.
    assert 'data-testid="nav-diary"' in family_client(world.parent).get("/home/").content.decode()
    assert 'data-testid="nav-diary"' not in family_client(world.teacher).get("/s/alpha/").content.decode()


def test_access_starts_when_the_class_teacher_links_the_parent(world: World, make_person: Any, grant: Any) -> None:
    """R-D02: no request to staff: once the class teacher records a legal representative (which gives
    the parent role), that person's diary opens on the child, and only on that child."""
    from roster.services import add_guardian

    class_teacher = make_person("Козлов", "Дмитрий")
    grant(class_teacher, Role.CLASS_TEACHER, world.a, class_id=world.cls.pk)
    father = make_person("Белов", "Игорь")
    use_school(world.a)
    try:
        add_guardian(class_teacher, world.a, world.boris, father, kind="father")
    finally:
        use_public()
    client = family_client(father)
    r = client.get("/diary/")
    assert r.status_code == 302 and r["Location"] == world.page(world.boris)
    assert client.get(world.page(world.boris)).status_code == 200
    assert client.get(world.page(world.artyom)).status_code == 403


# --- the notebook stays private (R-J10) --------------------------------------------------------------

def test_notebook_never_reaches_the_diary(world: World) -> None:
    """R-J10: a private notebook mark (1, with a note) of the child is in no page and no endpoint, and
    does not move the averages or the forecast."""
    client = family_client(world.parent)
    for endpoint in ENDPOINTS:
        body = client.get(_url(world, endpoint, world.artyom)).content.decode()
        assert SECRET_NOTE not in body
    data = client.get(world.api(world.artyom, "marks/")).json()
    maths = next(s for s in data["subjects"] if s["subject"] == "Математика")
    assert sorted(m["value"] for m in maths["marks"]) == [3, 4, 5] and Decimal(maths["forecast"]["plain"]) == Decimal("4.00")
    week = client.get(world.api(world.artyom, "week/")).json()
    assert all(m["value"] != 1 for d in week["days"] for ls in d["lessons"] for m in ls["marks"])


def test_diary_code_never_reads_the_notebook() -> None:
    """R-J10: no module of the diary imports the notebook's model or module."""
    for path in (Path(__file__).resolve().parent.parent / "schools" / "diary").glob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                names = {a.name for a in node.names}
                assert "NotebookEntry" not in names and "notebook" not in names, path
                assert not (node.module or "").endswith("notebook"), path
            if isinstance(node, ast.Name | ast.Attribute):
                assert getattr(node, "id", getattr(node, "attr", "")) != "NotebookEntry", path


# --- queries ------------------------------------------------------------------------------------

def _more_marks(world: World, weeks: int) -> None:
    """Many more lessons, works and marks for Artyom (and attendance), to show the counts do not grow."""
    use_school(world.a)
    try:
        for i in range(weeks * 5):
            day = D(2026, 9, 1) + dt.timedelta(days=i)
            lesson = Lesson.objects.create(school_class=world.cls, subject=world.russian, teacher=world.teacher, created_by=world.teacher,
                                           date=day, lesson_number=2, topic=f"Тема {i}", homework="Упр. 1")
            for position in (1, 2):
                work = Work.objects.create(lesson=lesson, work_type=world.answer, position=position)
                _mark(work, world.artyom, 3 + (i + position) % 3, world.teacher)
    finally:
        use_public()


def test_pages_and_api_cost_at_most_10_queries_whatever_the_marks(world: World) -> None:
    """Issue 6: a diary page or endpoint costs at most 10 SQL queries (session, user, school and roles
    included), the same with 3 marks as with 180."""
    client = family_client(world.parent)
    client.get("/diary/")  # the family list is kept in the session, as after signing in
    urls = [world.page(world.artyom) + "?week=2026-11-23", world.page(world.artyom, "marks/"), world.page(world.artyom, "marks/?period=year"),
            *(world.api(world.artyom, path) for path in ("week/", "marks/", "homework/", "forecast/"))]
    counts: dict[str, list[int]] = {url: [] for url in urls}
    for weeks in (0, 18):
        if weeks:
            _more_marks(world, weeks)
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            counts[url].append(len(ctx.captured_queries))
    for url, (few, many) in counts.items():
        assert few == many and many <= 10, (url, few, many)


def test_openapi_documents_the_diary(make_person: Any) -> None:
    """Issue 6 item 8: the mobile client's endpoints are in the OpenAPI schema."""
    client = Client()
    client.force_login(make_person())
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in ("/api/v1/diary/children/", "/api/v1/schools/{school_slug}/diary/{child_id}/week/",
                 "/api/v1/schools/{school_slug}/diary/{child_id}/marks/", "/api/v1/schools/{school_slug}/diary/{child_id}/homework/",
                 "/api/v1/schools/{school_slug}/diary/{child_id}/forecast/"):
        assert path in schema, path


def test_plain_sql_names_the_models_tables() -> None:
    """The diary's plain-SQL parts (diary.selectors, for speed) name the tables the models use."""
    from django.apps import apps

    from diary.selectors import RAW_TABLES

    for label, table in RAW_TABLES.items():
        assert apps.get_model(label)._meta.db_table == table, label


def test_marks_page_html_escapes_what_the_teacher_typed() -> None:
    """R-D01, R-A02: the marks page's chips and its list of works are built in Python (speed); the
    work's topic and type, typed by a teacher, come out escaped, quotes included."""
    import datetime as _dt
    from decimal import Decimal as _D

    from diary.selectors import DiaryMark, SubjectMarks

    mark = DiaryMark(id=1, text="5", value=5, kind="mark", work_type='Тест "А"', weight=_D("2"), topic="<script>x</script> & 'y'",
                     date=_dt.date(2026, 11, 24), subject_id=1, subject="Математика", lesson_id=1)
    row = SubjectMarks(subject_id=1, subject="Математика", marks=[mark])
    for html in (str(row.chips_html), str(row.works_html)):
        assert "<script>" not in html and "&lt;script&gt;x&lt;/script&gt; &amp; &#x27;y&#x27;" in html
        assert "Тест &quot;А&quot;" in html
    assert 'class="d-mark m5"' in str(row.chips_html) and '<time datetime="2026-11-24">24.11</time>' in str(row.works_html)
