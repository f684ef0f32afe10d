"""The journal's demo data (issue #5 item 16): a living journal up to yesterday, built from the
timetable and the calendar, with the regulations' shape (R-J01..R-J04, R-J11, R-J13, R-J15),
in bulk and idempotent. "Today" is fixed by patching journal.rules.today."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

import pytest
from django.db.models import Count

from accounts.roles import Role
from audit.models import AuditRecord
from journal import demo, rules
from journal.models import Attendance, KtpPlan, Lesson, Mark, PeriodMark, Work
from roster.models import Enrolment
from tenants.db import use_public, use_school
from tests.conftest import make_class

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
TODAY = dt.date(2026, 11, 25)


@pytest.fixture
def ctx(school_a: Any, make_person: Any, grant: Any, district_admin: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A school as seed_demo makes it (year, 14 classes, the curriculum, the load, the timetable), small."""
    from curriculum import demo as curriculum_demo
    from schoolyear import demo as year_demo
    from timetable import demo as timetable_demo

    monkeypatch.setattr(rules, "today", lambda: TODAY)
    teachers = [make_person(f"Учитель{i}", "Тест") for i in range(16)]
    students = [make_person(f"Ученик{i:03d}", "Тест") for i in range(14 * 4)]
    for t in teachers:
        grant(t, Role.TEACHER, school_a)
    use_school(school_a)
    ctx: dict[str, Any] = {"school": school_a, "actor": district_admin, "rng": random.Random(1), "index": 1,
                           "named": {"uchitel": teachers[0], "klruk": teachers[1]}, "teachers": teachers}
    year_demo.seed_school(ctx)
    names = [(g, letter) for g in range(1, 12) for letter in "АБ"[: 2 if g in (1, 5, 10) else 1]]
    classes = [make_class(g, letter, class_teacher=teachers[1 + i % 15]) for i, (g, letter) in enumerate(names)]
    for i, s in enumerate(students):
        Enrolment.objects.create(student=s, school_class=classes[i % len(classes)], since=dt.date(2026, 9, 1))
    ctx["classes"] = classes
    curriculum_demo.seed_school(ctx)
    timetable_demo.seed_school(ctx)
    use_school(school_a)
    return ctx


def test_demo_journal_is_living_and_follows_the_rules(ctx: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    """Item 16: every timetable lesson from 1 September to yesterday is recorded (none today, none in
    the autumn holidays), with topics (КТП topics for the named teacher, R-J13), attendance and
    marks; no marks in grade 1 (R-J04) nor in extracurricular courses (R-J15); a control work has a
    mark for everybody present (R-J03); the first quarter has its period marks (R-J11). In bulk: the
    number of queries does not grow with the rows."""
    with django_assert_max_num_queries(400):  # ~3 per school day (the timetable of the day) and a few bulk inserts
        demo.seed_school(ctx)
    lessons = Lesson.objects.all()
    assert lessons.count() > 1000
    first, last = lessons.order_by("date").first(), lessons.order_by("-date").first()
    assert first is not None and last is not None
    assert first.date == dt.date(2026, 9, 1) and last.date < TODAY
    assert not lessons.filter(date__range=(dt.date(2026, 10, 25), dt.date(2026, 11, 2))).exists()  # autumn holidays
    assert lessons.exclude(topic="").count() > 0.95 * lessons.count()
    assert lessons.filter(ktp_topic__plan__author_id=ctx["named"]["uchitel"].pk).exists()
    assert KtpPlan.objects.filter(author_id=ctx["named"]["uchitel"].pk).exists()
    assert Mark.objects.count() > 1000
    assert not Mark.objects.filter(work__lesson__school_class__grade=1).exists()
    assert not Mark.objects.filter(work__lesson__subject__is_extracurricular=True).exists()
    assert Attendance.objects.filter(status="absent").exclude(reason="").exists()
    for work in Work.objects.filter(work_type__requires_all_marks=True).annotate(n=Count("marks"))[:20]:
        enrolled = Enrolment.objects.filter(school_class_id=work.lesson.school_class_id).count()
        absent = Attendance.objects.filter(lesson_id=work.lesson_id, status="absent").count()
        assert work.n == enrolled - absent  # type: ignore[attr-defined]
    assert PeriodMark.objects.filter(period__number=1, period__scheme__kind="quarter").exists()
    assert not PeriodMark.objects.filter(period__number=2).exists()
    assert not PeriodMark.objects.filter(school_class__grade=1).exists()
    use_public()
    assert AuditRecord.objects.filter(action="journal.demo.seed").count() == 1


def test_demo_journal_is_idempotent(ctx: dict[str, Any]) -> None:
    """A second run (seed_demo again, or another day) adds nothing."""
    demo.seed_school(ctx)
    counts = (Lesson.objects.count(), Mark.objects.count(), Attendance.objects.count(), PeriodMark.objects.count())
    demo.seed_school(ctx)
    assert (Lesson.objects.count(), Mark.objects.count(), Attendance.objects.count(), PeriodMark.objects.count()) == counts
    use_public()
    assert AuditRecord.objects.filter(action="journal.demo.seed").count() == 1
