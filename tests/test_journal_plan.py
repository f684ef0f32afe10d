"""The calendar-thematic plan and extracurricular activities (R-J13, R-J15)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from accounts.roles import Role
from core.errors import PermissionDenied, ValidationFailed
from curriculum.models import CurriculumLine, Subject, TeachingAssignment
from journal import activities, ktp, rules, services
from journal.ktp import TopicData
from journal.models import ActivityAbsence, Lesson, Mark
from roster.models import Enrolment
from tenants.db import use_public, use_school
from tests.conftest import make_class

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def w(school_a: Any, make_person: Any, grant: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setattr(rules, "today", lambda: D(2026, 11, 25))
    teacher, methodist, other, deputy = make_person("Учитель", "Истории"), make_person("Методист", "Школы"), make_person("Другой", "Учитель"), make_person("Зам", "Директора")
    kids = [make_person(f"Ребёнок{i}", "Тест") for i in range(3)]
    grant(teacher, Role.TEACHER, school_a)
    grant(other, Role.TEACHER, school_a)
    grant(methodist, Role.METHODIST, school_a)
    grant(deputy, Role.DEPUTY, school_a)
    use_school(school_a)
    cls = make_class(7, "А")
    history = Subject.objects.create(name="История")
    CurriculumLine.objects.create(school_class=cls, subject=history, hours_per_week=Decimal(2))
    TeachingAssignment.objects.create(teacher=teacher, subject=history, school_class=cls, hours_per_week=Decimal(2))
    for k in kids:
        Enrolment.objects.create(student=k, school_class=cls, since=D(2026, 9, 1))
    return {"school": school_a, "teacher": teacher, "methodist": methodist, "other": other, "deputy": deputy, "cls": cls,
            "history": history, "kids": kids}


def topics(n: int) -> list[TopicData]:
    return [TopicData(number=i, title=f"Тема {i}", hours=1, planned_date=D(2026, 9, 1) + dt.timedelta(days=7 * i)) for i in range(1, n + 1)]


def test_plan_by_teacher_or_methodist_and_lessons_matched(w: dict[str, Any]) -> None:
    """R-J13: the teacher or a methodist enters the plan; lessons match topics; delivery is shown."""
    with pytest.raises(PermissionDenied):
        ktp.save_plan(w["other"], w["school"], school_class=w["cls"], subject=w["history"], topics=topics(3))
    assert [(c.name, s.name, late) for c, s, late in ktp.missing_plans()] == [("7А", "История", True)]
    plan = ktp.save_plan(w["methodist"], w["school"], school_class=w["cls"], subject=w["history"], topics=topics(10))
    plan = ktp.save_plan(w["teacher"], w["school"], school_class=w["cls"], subject=w["history"], topics=topics(12))
    assert plan.topics.count() == 12 and ktp.missing_plans() == []
    first = plan.topics.get(number=1)
    services.record_lesson(w["teacher"], w["school"], services.LessonData(school_class=w["cls"], subject=w["history"], date=D(2026, 11, 24),
                                                                       lesson_number=3, topic=first.title, ktp_topic_id=first.pk))
    p = ktp.progress(w["cls"], w["history"])
    assert (p.topics_total, p.topics_delivered, p.programme_share, p.lessons_given) == (12, 1, 8, 1)
    assert len(p.missed_topics) == 11  # planned before today, not delivered
    assert p.curriculum_hours_to_date > 0 and 0 < p.hours_share < 10
    with pytest.raises(ValidationFailed, match="уже проведены"):
        ktp.save_plan(w["teacher"], w["school"], school_class=w["cls"], subject=w["history"], topics=topics(12)[1:])


@pytest.mark.parametrize(
    "bad",
    [[], [TopicData(1, "А"), TopicData(1, "Б")], [TopicData(1, "")], [TopicData(1, "А", hours=0)],
     [TopicData(1, "А", planned_date=D(2027, 7, 1))]],
)
def test_bad_plans_are_refused_and_nothing_written(w: dict[str, Any], bad: list[TopicData]) -> None:
    with pytest.raises(ValidationFailed):
        ktp.save_plan(w["teacher"], w["school"], school_class=w["cls"], subject=w["history"], topics=bad)
    from journal.models import KtpPlan

    assert not KtpPlan.objects.exists()


def test_topic_of_another_plan_is_refused(w: dict[str, Any]) -> None:
    other_subject = Subject.objects.create(name="Обществознание")
    TeachingAssignment.objects.create(teacher=w["teacher"], subject=other_subject, school_class=w["cls"], hours_per_week=Decimal(1))
    plan = ktp.save_plan(w["teacher"], w["school"], school_class=w["cls"], subject=other_subject, topics=topics(2))
    with pytest.raises(ValidationFailed):
        services.record_lesson(w["teacher"], w["school"], services.LessonData(school_class=w["cls"], subject=w["history"], date=D(2026, 11, 24),
                                                                           lesson_number=1, ktp_topic_id=plan.topics.first().pk))
    assert not Lesson.objects.exists()


def test_extracurricular_groups_have_topics_and_attendance_no_marks(w: dict[str, Any]) -> None:
    """R-J15: own programme, topics, attendance; no marks."""
    with pytest.raises(PermissionDenied):
        activities.create_group(w["teacher"], w["school"], year=w["cls"].year, name="Шахматы", teacher=w["teacher"])
    group = activities.create_group(w["deputy"], w["school"], year=w["cls"].year, name="Шахматы", teacher=w["teacher"],
                                    programme="Программа «Шахматная школа»", student_ids=[k.pk for k in w["kids"]])
    with pytest.raises(ValidationFailed):
        activities.create_group(w["deputy"], w["school"], year=w["cls"].year, name="Шахматы", teacher=w["teacher"])
    session = activities.record_session(w["teacher"], w["school"], group, date=D(2026, 11, 24), topic="Дебюты", absent_ids=[w["kids"][0].pk])
    assert list(ActivityAbsence.objects.filter(session=session).values_list("student_id", flat=True)) == [w["kids"][0].pk]
    with pytest.raises(rules.JournalLocked):
        activities.record_session(w["teacher"], w["school"], group, date=D(2026, 11, 10), topic="Старое", absent_ids=[])
    with pytest.raises(PermissionDenied):
        activities.record_session(w["other"], w["school"], group, date=D(2026, 11, 24), topic="x", absent_ids=[])
    assert not Mark.objects.exists()
    use_public()
