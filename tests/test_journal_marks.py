"""Averages, the grid, period marks with their window and minimum, the notebook
(R-J10, R-J11, R-J12). "Today" is fixed by patching journal.rules.today."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from accounts.roles import Role
from core.errors import PermissionDenied, ValidationFailed
from curriculum.models import CurriculumLine, Subject, TeachingAssignment
from journal import notebook, period_marks, rules, selectors, services
from journal.models import Lesson, Mark, NotebookEntry, Work, WorkType
from journal.selectors import propose_mark, weighted_averages
from roster.models import Enrolment
from schoolyear.models import PeriodScheme, StudyPeriod
from tenants.db import use_school
from tests.conftest import make_class

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.mark.parametrize(
    ("marks", "plain", "weighted"),
    [
        ([(5, Decimal(1)), (4, Decimal(1))], Decimal("4.50"), Decimal("4.50")),
        ([(5, Decimal(1)), (3, Decimal(2))], Decimal("4.00"), Decimal("3.67")),
        ([(2, Decimal("1.5")), (5, Decimal(1)), (5, Decimal(1))], Decimal("4.00"), Decimal("3.71")),  # 13 / 3.5
        ([], None, None),
    ],
)
def test_plain_and_weighted_averages_hand_computed(marks, plain, weighted):
    """R-J03: averages are shown plain and weighted by the school's work-type weights."""
    assert weighted_averages(marks) == (plain, weighted)


@pytest.mark.parametrize(
    ("avg", "threshold", "expected"),
    [("4.60", "0.60", 5), ("4.59", "0.60", 4), ("3.50", "0.50", 4), ("2.49", "0.50", 2), ("4.99", "0.60", 5), (None, "0.60", None)],
)
def test_rounding_rule(avg, threshold, expected):
    """R-J11: the proposed mark follows the school's rounding rule (default x.60 rounds up)."""
    assert propose_mark(Decimal(avg) if avg else None, Decimal(threshold)) == expected


@pytest.fixture
def world(school_a: Any, make_person: Any, grant: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setattr(rules, "today", lambda: D(2026, 12, 28))
    teacher, class_teacher, other = make_person("Учитель", "Математики"), make_person("Классный", "Руководитель"), make_person("Чужой", "Учитель")
    students = [make_person(f"Ученик{i:02d}", "Тест") for i in range(4)]
    use_school(school_a)
    cls = make_class(6, "Б")
    scheme = PeriodScheme.objects.create(year=cls.year, kind="quarter", grades=list(range(1, 10)))
    q2 = StudyPeriod.objects.create(scheme=scheme, number=2, name="2 четверть", starts_on=D(2026, 11, 3), ends_on=D(2026, 12, 27))
    maths, music = Subject.objects.create(name="Математика"), Subject.objects.create(name="Музыка")
    CurriculumLine.objects.create(school_class=cls, subject=maths, hours_per_week=Decimal(5))
    CurriculumLine.objects.create(school_class=cls, subject=music, hours_per_week=Decimal(1))
    TeachingAssignment.objects.create(teacher=teacher, subject=maths, school_class=cls, hours_per_week=Decimal(5))
    TeachingAssignment.objects.create(teacher=teacher, subject=music, school_class=cls, hours_per_week=Decimal(1))
    for s in students:
        Enrolment.objects.create(student=s, school_class=cls, since=D(2026, 9, 1))
    from tenants.db import use_public

    use_public()
    grant(teacher, Role.TEACHER, school_a)
    grant(other, Role.TEACHER, school_a)
    grant(class_teacher, Role.CLASS_TEACHER, school_a, class_id=cls.pk)
    use_school(school_a)
    return {"school": school_a, "teacher": teacher, "class_teacher": class_teacher, "other": other, "students": students,
            "cls": cls, "q2": q2, "maths": maths, "music": music}


def _marks(w: dict[str, Any], subject: Subject, values: list[int], student_index: int = 0) -> None:
    """Marks on past lessons, written directly (set-up; the service rules are tested elsewhere)."""
    answer = WorkType.objects.get(name="Ответ на уроке")
    for i, value in enumerate(values):
        lesson = Lesson.objects.create(school_class=w["cls"], subject=subject, teacher=w["teacher"], created_by=w["teacher"],
                                       date=D(2026, 11, 9) + dt.timedelta(days=i), lesson_number=1 + student_index)
        work = Work.objects.create(lesson=lesson, work_type=answer, position=1)
        Mark.objects.create(work=work, student=w["students"][student_index], value=value, created_by=w["teacher"])


def test_period_mark_window_rights_and_warning(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """R-J11: from the day the period ends to 3 days after; R-J12: a warning when short of marks."""
    w = world
    _marks(w, w["maths"], [5, 4, 5])  # 3 marks, 5 hours a week -> needs 5
    result = period_marks.set_period_mark(w["teacher"], w["school"], school_class=w["cls"], subject=w["maths"],
                                          student_id=w["students"][0].pk, kind="period", period=w["q2"], value="5")
    assert result.mark.value == 5 and "не меньше 5" in result.warnings[0]
    # the class teacher may set any subject of their class; another teacher may not
    period_marks.set_period_mark(w["class_teacher"], w["school"], school_class=w["cls"], subject=w["music"],
                                 student_id=w["students"][1].pk, kind="period", period=w["q2"], value="н/а")
    with pytest.raises(PermissionDenied):
        period_marks.set_period_mark(w["other"], w["school"], school_class=w["cls"], subject=w["maths"],
                                     student_id=w["students"][1].pk, kind="period", period=w["q2"], value="4")
    for day in (D(2026, 12, 26), D(2026, 12, 31)):  # before the end; 4 days after
        with pytest.raises(period_marks.OutsideWindow):
            period_marks.set_period_mark(w["teacher"], w["school"], school_class=w["cls"], subject=w["maths"],
                                         student_id=w["students"][2].pk, kind="period", period=w["q2"], value="4", on=day)
    with pytest.raises(ValidationFailed):
        period_marks.set_period_mark(w["teacher"], w["school"], school_class=w["cls"], subject=w["maths"],
                                     student_id=w["students"][2].pk, kind="period", period=w["q2"], value="5+")


def test_minimum_marks_by_weekly_hours(world: dict[str, Any]) -> None:
    """R-J12: 3 marks suffice for a 1-hour subject, 5 are needed for 2 hours or more; the deputy sees who is short."""
    w = world
    _marks(w, w["music"], [5, 4, 4], student_index=0)
    _marks(w, w["maths"], [5, 4, 4], student_index=0)
    short_music = {r.student.pk for r in period_marks.students_short_of_marks(w["cls"], w["music"], w["q2"])}
    short_maths = {r.student.pk for r in period_marks.students_short_of_marks(w["cls"], w["maths"], w["q2"])}
    assert w["students"][0].pk not in short_music
    assert w["students"][0].pk in short_maths
    assert w["students"][1].pk in short_music  # no marks at all


def test_grid_query_count_does_not_grow(world: dict[str, Any], make_person: Any, django_assert_max_num_queries: Any) -> None:
    """The journal grid costs the same number of queries for a small and a large class and term."""
    from journal.models import JournalSettings

    w = world
    JournalSettings.current()
    _marks(w, w["maths"], [5, 4])
    with django_assert_max_num_queries(8) as small:
        selectors.journal_grid(w["cls"], w["maths"].pk, D(2026, 11, 3), D(2026, 12, 27), period_id=w["q2"].pk)
    extra = [make_person(f"Доп{i:02d}", "Ученик") for i in range(30)]
    use_school(w["school"])
    for s in extra:
        Enrolment.objects.create(student=s, school_class=w["cls"], since=D(2026, 9, 1))
    for i in range(1, 4):
        _marks(w, w["maths"], [3, 4, 5, 4, 5, 3, 4, 5], student_index=i)
    with django_assert_max_num_queries(len(small.captured_queries)):
        grid = selectors.journal_grid(w["cls"], w["maths"].pk, D(2026, 11, 3), D(2026, 12, 27), period_id=w["q2"].pk)
    assert len(grid.rows) == 34 and len(grid.lessons) == 26


def test_notebook_is_private_until_moved(world: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """R-J10: notebook marks are not journal marks until the teacher moves them in one action."""
    w = world
    monkeypatch.setattr(rules, "today", lambda: D(2026, 11, 25))
    entry = notebook.add_note(w["teacher"], w["school"], school_class=w["cls"], subject=w["maths"], student_id=w["students"][0].pk,
                              value="4", note="переписать работу")
    assert not Mark.objects.exists()
    with pytest.raises(ValidationFailed):
        notebook.add_note(w["other"], w["school"], school_class=w["cls"], subject=w["maths"], student_id=w["students"][0].pk, value="4")
    lesson = services.record_lesson(w["teacher"], w["school"], services.LessonData(school_class=w["cls"], subject=w["maths"], date=D(2026, 11, 24), lesson_number=1))
    work = services.add_work(w["teacher"], w["school"], lesson, WorkType.objects.get(name="Самостоятельная работа"))
    notebook.move_to_journal(w["teacher"], w["school"], entry.pk, work)
    assert Mark.objects.get().value == 4
    assert NotebookEntry.objects.get().moved_to is not None
    assert notebook.private_entries(w["teacher"].pk, w["cls"].pk, w["maths"].pk) == []
