"""The deputy's control of the journal, completed (R-J05, R-J03, R-J04, R-J13, R-J14, R-J15; 003 §2.1–2.3,
004 §VIII): the list of lessons built from the timetable (substitutions and days off applied) and the
records, lessons whose attendance was never taken, control works without marks, late records, attendance
and marks from their own timestamps; «все присутствуют»; extracurricular subjects take no marks; the КТП
counted per group for a subject taught in two groups, and audited with the topics before and after.

"Today" is Wednesday 2026-11-25 (journal.rules.today is patched); set-up writes rows directly."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from audit.models import AuditRecord
from core.errors import PermissionDenied, ValidationFailed
from curriculum.models import CurriculumLine, Subject, TeachingAssignment
from journal import ktp, rules, selectors, services, timeliness
from journal.ktp import TopicData
from journal.models import Attendance, KtpPlan, Lesson, Mark, Work
from roster.models import Enrolment, SchoolClass, Subgroup, SubgroupMember
from schoolyear.models import DayOff
from tenants.db import use_school
from tests.conftest import make_class
from tests.test_journal_control import TODAY, W, build, client, text, work_with_marks
from timetable.models import Substitution, TimetableEntry

pytestmark = pytest.mark.django_db
D = dt.date
MON, TUE = D(2026, 11, 23), D(2026, 11, 24)
PREV_MON, PREV_TUE = D(2026, 11, 16), D(2026, 11, 17)


@pytest.fixture
def w(school_a: Any, make_person: Any, grant: Any, monkeypatch: pytest.MonkeyPatch) -> W:
    monkeypatch.setattr(rules, "today", lambda: TODAY)
    return build(school_a, make_person, grant)


def on_day(day: dt.date, hour: int = 10) -> dt.datetime:
    return timezone.make_aware(dt.datetime(day.year, day.month, day.day, hour))


def entry(w: W, weekday: int, number: int, school_class: SchoolClass | None = None, subject: Subject | None = None,
          **fields: Any) -> TimetableEntry:
    return TimetableEntry.objects.create(school_class=school_class or w.cls, weekday=weekday, lesson_number=number,
                                         subject=subject or w.maths, teacher=fields.pop("teacher", w.teacher),
                                         valid_from=D(2026, 9, 1), **fields)


def complete(w: W, day: dt.date, number: int, school_class: SchoolClass | None = None, **fields: Any) -> Lesson:
    """A lesson recorded on its day with topic, homework and attendance."""
    values = {"subject": w.maths, "topic": "Тема", "homework": "ДЗ", "attendance_taken_at": on_day(day), **fields}
    return Lesson.objects.create(school_class=school_class or w.cls, teacher=w.teacher, created_by=w.teacher, date=day,
                                 lesson_number=number, **values)


def api(c: Any, url: str, body: dict[str, Any] | None = None, method: str = "POST") -> Any:
    return c.generic(method, url, json.dumps(body or {}), content_type="application/json", HTTP_ACCEPT="application/json")


def problems(rows: list[selectors.CheckRow]) -> dict[tuple[dt.date, int], list[str]]:
    return {(r.date, r.lesson_number): r.problems for r in rows}


# --- R-J05: the list from the timetable and the records ---------------------------------------------------

def test_timetable_lessons_without_record_attendance_or_control_marks(w: W) -> None:
    """R-J05, R-J03: the deputy's list comes from the timetable (a day off has no lessons, a substituted
    lesson names the substitute) and the records: a lesson never recorded, a record whose attendance
    was never taken, a control work with a present student without a mark («контрольная без отметок: N»);
    a complete lesson, recorded on its day, is not listed."""
    entry(w, 1, 1)  # Mondays, 1st lesson
    entry(w, 2, 2)  # Tuesdays, 2nd lesson
    DayOff.objects.create(year=w.cls.year, name="Методический день", starts_on=PREV_TUE, ends_on=PREV_TUE)
    Substitution.objects.create(date=MON, entry=TimetableEntry.objects.get(weekday=1), absent_teacher=w.teacher,
                                substitute=w.other, reason="болезнь")
    control = complete(w, PREV_MON, 1)
    work = Work.objects.create(lesson=control, work_type=w.control, position=1)
    Mark.objects.create(work=work, student=w.students[0], value=4, created_by=w.teacher)
    Mark.objects.filter(work=work).update(created_at=on_day(PREV_MON, 12))
    Attendance.objects.create(lesson=control, student=w.students[1], created_by=w.teacher)
    Attendance.objects.filter(lesson=control).update(created_at=on_day(PREV_MON, 9))
    Lesson.objects.create(school_class=w.cls, subject=w.maths, teacher=w.teacher, created_by=w.teacher, date=TUE, lesson_number=2,
                          topic="Дроби", homework="№ 5")  # attendance never taken
    rows = selectors.lessons_to_check(PREV_MON, TODAY)
    found = problems(rows)
    assert found == {
        (PREV_MON, 1): ["контрольная без отметок: 1"],  # students 0 marked, 1 absent, 2 without a mark
        (MON, 1): [selectors.NOT_RECORDED],
        (TUE, 2): ["посещаемость не отмечена"],
    }, found
    never = next(r for r in rows if r.lesson is None)
    assert (never.teacher, never.in_timetable, never.school_class) == (w.other, True, w.cls)  # the substitute
    assert [r.date for r in selectors.lessons_to_check(PREV_MON, TODAY, teacher_id=w.other.pk)] == [MON]
    assert selectors.lessons_to_check(PREV_MON, TODAY, class_id=make_class(6, "В").pk) == []
    Mark.objects.create(work=work, student=w.students[2], value=3, created_by=w.teacher)
    Mark.objects.filter(work=work).update(created_at=on_day(PREV_MON, 12))
    assert (PREV_MON, 1) not in problems(selectors.lessons_to_check(PREV_MON, TODAY))

    deputy = client(w.deputy)
    body = text(deputy.get(w.url("control/lessons/?start=2026-11-16&end=2026-11-25")))
    assert f'data-testid="slot-{w.cls.pk}-2026-11-23-1"' in body and "урок не записан в журнал" in body
    assert "посещаемость не отмечена" in body and "Воробьёв П." in body and 'data-testid="lessons-summary"' in body
    data = deputy.get(w.api("control/lessons/?start=2026-11-16&end=2026-11-25")).json()
    assert [(r["date"], r["lesson_id"], r["teacher"]["id"], r["in_timetable"], r["attendance_taken"]) for r in data] == [
        ("2026-11-23", None, w.other.pk, True, False), ("2026-11-24", Lesson.objects.get(date=TUE).pk, w.teacher.pk, True, False)]
    assert client(w.teacher).get(w.api("control/lessons/")).status_code == 403


def test_control_work_counts_only_students_of_the_lesson(w: W, make_person: Any) -> None:
    """R-J03, R-J05: a control work of a subgroup's lesson needs marks from that subgroup's students
    present that day only (a student enrolled later, or of the other group, is not counted)."""
    group = Subgroup.objects.create(school_class=w.cls, kind="foreign_language", name="1 группа")
    SubgroupMember.objects.create(subgroup=group, student=w.students[0])
    SubgroupMember.objects.create(subgroup=group, student=w.students[1])
    late_comer = make_person("Новенький", "Ученик")
    use_school(w.school)
    Enrolment.objects.create(student=late_comer, school_class=w.cls, since=TUE)
    SubgroupMember.objects.create(subgroup=group, student=late_comer)
    les = complete(w, MON, 3, subgroup=group)
    Work.objects.create(lesson=les, work_type=w.control, position=1)
    assert problems(selectors.lessons_to_check(MON, MON)) == {(MON, 3): ["контрольная без отметок: 2"]}


def test_late_records_attendance_and_marks_from_their_timestamps(w: W) -> None:
    """R-J05 (003 §2.1, 004 §VIII): marks and absences added days after the lesson count as late, from
    their own timestamps, not only the record's first save; a mark from a hospital school (R-J09) is
    not late; entries of the lesson's day are not."""
    les = complete(w, PREV_MON, 2)
    on_time = work_with_marks(w, les, {0: 5})
    Mark.objects.filter(work=on_time).update(created_at=on_day(PREV_MON, 15))
    later = work_with_marks(w, les, {0: 4, 1: 3})  # created now: days after the lesson
    Mark.objects.create(work=later, student=w.students[2], value=5, created_by=w.teacher, source_document="Справка санатория № 7")
    rows = selectors.lessons_to_check(PREV_MON, PREV_MON)
    assert [(r.late_marks, r.late_attendance, r.entered_late) for r in rows] == [(2, False, False)]
    assert rows[0].problems == ["отметки внесены не в день урока: 2"]
    Attendance.objects.create(lesson=les, student=w.students[1], status=Attendance.Status.LATE, created_by=w.teacher)
    assert problems(selectors.lessons_to_check(PREV_MON, PREV_MON))[(PREV_MON, 2)] == [
        "посещаемость внесена не в день урока", "отметки внесены не в день урока: 2"]
    taken_late = complete(w, PREV_MON, 3)
    Lesson.objects.filter(pk=taken_late.pk).update(attendance_taken_at=on_day(PREV_TUE))
    assert problems(selectors.lessons_to_check(PREV_MON, PREV_MON))[(PREV_MON, 3)] == ["посещаемость внесена не в день урока"]
    deputy = client(w.deputy)
    body = text(deputy.get(w.url("control/lessons/?start=2026-11-16&end=2026-11-16")))
    assert "отметки внесены не в день урока: 2" in body
    row = next(r for r in deputy.get(w.api("control/lessons/?start=2026-11-16&end=2026-11-16")).json() if r["lesson_number"] == 2)
    assert (row["late_marks"], row["late_attendance"]) == (2, True)


def test_attendance_taken_by_saving_it_by_the_lesson_page_and_all_present(w: W) -> None:
    """R-J05, R-J02: attendance counts as taken when the teacher saves any (services.set_attendance),
    saves the lesson page (its sheet lists every student), or says «все присутствуют» through the API
    (audited once, its teacher only, within the lock); a lesson taken later than its day shows late."""
    first = Lesson.objects.create(school_class=w.cls, subject=w.maths, teacher=w.teacher, created_by=w.teacher, date=TODAY,
                                  lesson_number=1, topic="Т", homework="Д")
    services.set_attendance(w.teacher, w.school, first, w.students[0].pk, None)  # marked present
    first.refresh_from_db()
    assert first.attendance_taken_at is not None

    page_lesson = Lesson.objects.create(school_class=w.cls, subject=w.maths, teacher=w.teacher, created_by=w.teacher, date=TODAY,
                                        lesson_number=2, topic="Т", homework="Д")
    form = {"topic": "Т", "done": "", "homework": "Д", "version": page_lesson.version, "ktp_topic": "0",
            **{f"a_{s.pk}": "" for s in w.students}}
    response = client(w.teacher).post(f"/s/{w.slug}/journal/lessons/{page_lesson.pk}/", form)
    assert response.status_code == 302, text(response)[:1500]
    page_lesson.refresh_from_db()
    assert page_lesson.attendance_taken_at is not None

    yesterday = Lesson.objects.create(school_class=w.cls, subject=w.maths, teacher=w.teacher, created_by=w.teacher, date=TUE,
                                      lesson_number=4, topic="Т", homework="Д")
    url = w.api(f"lessons/{yesterday.pk}/attendance-taken/")
    assert api(client(w.other), url).status_code == 403
    assert api(client(w.deputy), url).status_code == 403
    assert api(client(w.parent), url).status_code == 403
    saved = api(client(w.teacher), url)
    assert saved.status_code == 200, saved.content
    assert (saved.json()["lesson_id"], saved.json()["late"]) == (yesterday.pk, True)  # taken today for yesterday's lesson
    again = api(client(w.teacher), url)
    assert again.json()["attendance_taken_at"] == saved.json()["attendance_taken_at"]
    assert AuditRecord.objects.filter(action="journal.attendance.taken", object_id=str(yesterday.pk)).count() == 1
    assert problems(selectors.lessons_to_check(TUE, TUE))[(TUE, 4)] == ["посещаемость внесена не в день урока"]
    locked = Lesson.objects.create(school_class=w.cls, subject=w.maths, teacher=w.teacher, created_by=w.teacher, date=D(2026, 11, 10),
                                   lesson_number=1)
    refused = api(client(w.teacher), w.api(f"lessons/{locked.pk}/attendance-taken/"))
    assert refused.status_code == 409 and refused.json()["error"]["code"] == "journal_locked"
    with pytest.raises(PermissionDenied):
        timeliness.confirm_attendance(w.other, w.school, yesterday)
    assert api(client(w.teacher), w.api("lessons/999999/attendance-taken/")).status_code == 404


def _grow(w: W, make_person: Any, n: int) -> None:
    """n more classes with a timetable, a recorded lesson with a control work and marks, one never recorded."""
    start = SchoolClass.objects.count()
    students = [[make_person(f"Рост{start + i}-{k}", "Ученик") for k in range(3)] for i in range(n)]
    use_school(w.school)
    for i in range(n):
        cls = SchoolClass.objects.create(year=w.cls.year, grade=7, letter=f"К{start + i}")
        CurriculumLine.objects.create(school_class=cls, subject=w.maths, hours_per_week=Decimal(5))
        for s in students[i]:
            Enrolment.objects.create(student=s, school_class=cls, since=D(2026, 9, 1))
        entry(w, 1, 1, school_class=cls)
        entry(w, 2, 2, school_class=cls)
        les = complete(w, MON, 1, school_class=cls, homework="")
        work = Work.objects.create(lesson=les, work_type=w.control, position=1)
        Mark.objects.create(work=work, student=students[i][0], value=5, created_by=w.teacher)
        Attendance.objects.create(lesson=les, student=students[i][1], created_by=w.teacher)


def test_lessons_to_check_costs_constant_queries(w: W, make_person: Any, django_assert_max_num_queries: Any) -> None:
    """R-J05: the list, the page and the API cost the same number of SQL queries for one class and for many."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _grow(w, make_person, 1)
    deputy = client(w.deputy)
    page, api_url = w.url("control/lessons/?start=2026-11-16&end=2026-11-25"), w.api("control/lessons/?start=2026-11-16&end=2026-11-25")
    deputy.get(page)
    counts = {}
    for name, call in (("selector", lambda: selectors.lessons_to_check(PREV_MON, TODAY)), ("page", lambda: deputy.get(page)),
                       ("api", lambda: deputy.get(api_url))):
        with CaptureQueriesContext(connection) as ctx:
            call()
        counts[name] = len(ctx.captured_queries)
    small_rows = len(selectors.lessons_to_check(PREV_MON, TODAY))
    _grow(w, make_person, 8)
    assert len(selectors.lessons_to_check(PREV_MON, TODAY)) > small_rows * 4
    with django_assert_max_num_queries(counts["selector"]):
        selectors.lessons_to_check(PREV_MON, TODAY)
    with django_assert_max_num_queries(counts["page"]):
        assert deputy.get(page).status_code == 200
    with django_assert_max_num_queries(counts["api"]):
        assert len(deputy.get(api_url).json()) > small_rows * 4
    print(f"queries (1 vs 9 classes): {counts}")


# --- R-J15, R-J04: extracurricular subjects take no marks -------------------------------------------------

def test_extracurricular_subject_refuses_marks_everywhere(w: W) -> None:
    """R-J15 (002 §3.1), R-J04: a subject of внеурочная деятельность takes no marks and no column of marked
    work — through the services, the API and the page, with a clear Russian error — and nobody is short
    of marks in it (R-J12)."""
    club = Subject.objects.create(name="Разговоры о важном", is_extracurricular=True)
    CurriculumLine.objects.create(school_class=w.cls, subject=club, hours_per_week=Decimal(1))
    TeachingAssignment.objects.create(teacher=w.teacher, subject=club, school_class=w.cls, hours_per_week=Decimal(1))
    les = complete(w, TUE, 6, subject=club)
    with pytest.raises(ValidationFailed, match="внеурочная деятельность") as refused:
        services.add_work(w.teacher, w.school, les, w.answer)
    assert refused.value.code == "extracurricular_no_marks"
    work = Work.objects.create(lesson=les, work_type=w.answer, position=1)  # e.g. left from before
    with pytest.raises(ValidationFailed, match="отметки не ставятся"):
        services.record_mark(w.teacher, w.school, work, w.students[0].pk, "5")
    teacher = client(w.teacher)
    response = api(teacher, w.api(f"lessons/{les.pk}/works/"), {"work_type": w.answer.pk})
    assert response.status_code == 400 and response.json()["error"]["code"] == "extracurricular_no_marks"
    assert "внеурочная деятельность" in response.json()["error"]["message"]
    mark = api(teacher, w.api("marks/"), {"work": work.pk, "student": w.students[0].pk, "value": "5", "version": 0}, method="PUT")
    assert mark.status_code == 400 and mark.json()["error"]["code"] == "extracurricular_no_marks"
    page = text(teacher.get(f"/s/{w.slug}/journal/lessons/{les.pk}/"))
    assert 'data-testid="no-marks"' in page and "«Разговоры о важном» — внеурочная деятельность" in page
    added = teacher.post(f"/s/{w.slug}/journal/lessons/{les.pk}/", {"action": "work", "work_type": w.answer.pk, "topic": ""}, follow=True)
    assert "внеурочная деятельность" in text(added)
    assert not Mark.objects.exists() and Work.objects.filter(lesson=les).count() == 1
    services.record_mark(w.teacher, w.school, work_with_marks(w, complete(w, TUE, 1), {}), w.students[0].pk, "5")  # maths still fine
    grid = teacher.get(f"/s/{w.slug}/journal/{w.cls.pk}/{club.pk}/")
    assert grid.status_code == 200 and 'data-short="short"' not in text(grid)  # nobody short of marks in it
    short = {r.subject.name for r in selectors.period_overview(w.q2)}
    assert "Разговоры о важном" not in short and "Математика" in short


# --- R-J13: the КТП per group, audited ---------------------------------------------------------------------

def _topics(n: int, title: str = "Тема") -> list[TopicData]:
    return [TopicData(number=i, title=f"{title} {i}", hours=1) for i in range(1, n + 1)]


def test_ktp_progress_per_group_of_a_subject_taught_in_two_groups(w: W) -> None:
    """R-J13: English in two groups — each group has its own plan, its lessons deliver its topics, and the
    share of the programme and of the hours counts only the lessons the group's students attend (theirs
    and the whole class's), not both groups' lessons; the deputy's overview, the page and the API agree."""
    english = Subject.objects.create(name="Английский язык")
    CurriculumLine.objects.create(school_class=w.cls, subject=english, hours_per_week=Decimal(3))
    g1 = Subgroup.objects.create(school_class=w.cls, kind="foreign_language", name="Английский, 1 группа")
    g2 = Subgroup.objects.create(school_class=w.cls, kind="foreign_language", name="Английский, 2 группа")
    TeachingAssignment.objects.create(teacher=w.teacher, subject=english, school_class=w.cls, subgroup=g1, hours_per_week=Decimal(3))
    TeachingAssignment.objects.create(teacher=w.other, subject=english, school_class=w.cls, subgroup=g2, hours_per_week=Decimal(3))
    with pytest.raises(PermissionDenied):
        ktp.save_plan(w.teacher, w.school, school_class=w.cls, subject=english, topics=_topics(4), subgroup=g2)
    p1 = ktp.save_plan(w.teacher, w.school, school_class=w.cls, subject=english, topics=_topics(4, "Unit"), subgroup=g1)
    p2 = ktp.save_plan(w.other, w.school, school_class=w.cls, subject=english, topics=_topics(4, "Lesson"), subgroup=g2)
    for n, day in enumerate((D(2026, 11, 18), D(2026, 11, 19), D(2026, 11, 20)), start=1):
        complete(w, day, 2, subject=english, subgroup=g1, ktp_topic=p1.topics.get(number=n))
    complete(w, D(2026, 11, 18), 2, subject=english, subgroup=g2, ktp_topic=p2.topics.get(number=1))
    one, two = ktp.progress(w.cls, english, subgroup=g1), ktp.progress(w.cls, english, subgroup=g2)
    assert (one.plan, one.topics_delivered, one.programme_share, one.lessons_given) == (p1, 3, 75, 3)
    assert (two.plan, two.topics_delivered, two.programme_share, two.lessons_given) == (p2, 1, 25, 1)
    assert ktp.progress(w.cls, english).lessons_given == 3  # the class as a whole: parallel group lessons count once
    rows = {r.subgroup.pk: r for r in selectors.ktp_overview(w.cls.year, on=TODAY) if r.subject.pk == english.pk}
    assert set(rows) == {g1.pk, g2.pk}
    for group, expected in ((g1, one), (g2, two)):
        got = rows[group.pk].progress
        assert (got.topics_total, got.topics_delivered, got.programme_share, got.lessons_given, got.hours_share) == (
            expected.topics_total, expected.topics_delivered, expected.programme_share, expected.lessons_given, expected.hours_share)
        assert rows[group.pk].has_plan
    deputy = client(w.deputy)
    status = text(deputy.get(w.url("control/ktp/")))
    assert f'data-testid="ktp-{w.cls.pk}-{english.pk}-{g1.pk}"' in status and "Английский, 2 группа" in status
    page = text(deputy.get(w.url(f"ktp/{w.cls.pk}/{english.pk}/?subgroup={g2.pk}")))
    assert "Lesson 1" in page and "Unit 1" not in page and "<strong>25%</strong>" in page and 'data-testid="ktp-groups"' in page
    assert deputy.get(w.url(f"ktp/{w.cls.pk}/{english.pk}/?subgroup=999999")).status_code == 404
    data = deputy.get(w.api(f"ktp/{w.cls.pk}/{english.pk}/?subgroup={g1.pk}")).json()
    assert (data["subgroup_id"], data["own_plan"], data["progress"]["programme_share"], data["progress"]["lessons_given"]) == (g1.pk, True, 75, 3)
    api_rows = {r["subgroup_id"]: r for r in deputy.get(w.api("control/ktp/")).json() if r["subject_id"] == english.pk}
    assert (api_rows[g2.pk]["programme_share"], api_rows[g2.pk]["lessons_given"]) == (25, 1)
    saved = api(client(w.other), w.api(f"ktp/{w.cls.pk}/{english.pk}/?subgroup={g2.pk}"),
                {"topics": [{"number": 1, "title": "Lesson 1"}, {"number": 2, "title": "Lesson 2 (new)"}]}, method="PUT")
    assert saved.status_code == 200, saved.content
    assert (saved.json()["subgroup_id"], len(saved.json()["topics"])) == (g2.pk, 2)
    assert KtpPlan.objects.get(subgroup=g1).topics.count() == 4  # the other group's plan untouched
    refused = api(client(w.other), w.api(f"ktp/{w.cls.pk}/{english.pk}/?subgroup={g1.pk}"), {"topics": [{"number": 1, "title": "x"}]},
                  method="PUT")
    assert refused.status_code == 403  # the teacher of group 2 does not write group 1's plan


def test_ktp_save_is_audited_with_topics_before_and_after(w: W) -> None:
    """R-J13, R-J14 (issue 5 §14): a plan's save is in the audit log with the topics before and after and
    which numbers changed, were added or removed; saving the same topics again logs nothing."""
    ktp.save_plan(w.teacher, w.school, school_class=w.cls, subject=w.maths, topics=_topics(3))
    created = AuditRecord.objects.get(action="journal.ktp.save")
    assert created.before is None and created.after["created"] is True and created.after["topics"]["2"]["title"] == "Тема 2"
    new = [TopicData(1, "Тема 1"), TopicData(2, "Дроби", hours=2), TopicData(4, "Проценты")]
    ktp.save_plan(w.methodist, w.school, school_class=w.cls, subject=w.maths, topics=new)
    changed = AuditRecord.objects.filter(action="journal.ktp.save").order_by("-at", "-id").first()
    assert changed is not None and changed.actor == w.methodist
    assert changed.before["topics"]["2"] == {"title": "Тема 2", "hours": 1, "planned_date": None, "work_type": None}
    assert changed.after["topics"]["2"] == {"title": "Дроби", "hours": 2, "planned_date": None, "work_type": None}
    assert (changed.after["changed"], changed.after["added"], changed.after["removed"]) == ([2], [4], [3])
    ktp.save_plan(w.methodist, w.school, school_class=w.cls, subject=w.maths, topics=new)
    assert AuditRecord.objects.filter(action="journal.ktp.save").count() == 2


def test_attendance_taken_route_access_table(school_b: Any, w: W, make_person: Any, grant: Any) -> None:
    """R-A01, R-J05: «все присутствуют» (api-journal-attendance-taken) is for the lesson's teacher only:
    another teacher of the school, the deputy, a parent, a student of the class, the director of
    another school and an anonymous visitor are refused with a JSON error, and nothing is written."""
    from django.test import Client

    from accounts.roles import Role
    from tenants.db import use_public

    stranger = make_person("Чужой", "Директор")
    use_public()
    grant(stranger, Role.DIRECTOR, school_b)
    grant(stranger, Role.SCHOOL_ADMIN, school_b)
    use_school(w.school)
    les = Lesson.objects.create(school_class=w.cls, subject=w.maths, teacher=w.teacher, created_by=w.teacher, date=TUE, lesson_number=5)
    url = w.api(f"lessons/{les.pk}/attendance-taken/")
    for person in (w.other, w.deputy, w.director, w.parent, w.students[0], w.class_teacher, stranger):
        response = api(client(person), url)
        assert response.status_code in (403, 404), (person, response.status_code)
        assert response.json()["error"]["code"]
    anonymous = Client().post(url, "{}", content_type="application/json", HTTP_ACCEPT="application/json")
    use_school(w.school)
    assert anonymous.status_code in (401, 403) and anonymous.json()["error"]["code"]
    les.refresh_from_db()
    assert les.attendance_taken_at is None and not AuditRecord.objects.filter(action="journal.attendance.taken").exists()


@pytest.mark.slow
def test_demo_journal_gives_the_deputy_a_short_honest_list(school_a: Any, make_person: Any, grant: Any, district_admin: Any,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """R-J05, issue 5 item 16: in the demo school the teachers fill the journal on the day (attendance
    taken, marks and absences entered on the lesson's day), so the deputy's list holds only the few
    recent lessons left without homework or a topic — no lesson of the timetable unrecorded before
    today, nothing late."""
    from journal import demo
    from tests.test_journal_demo import ctx as demo_ctx

    ctx = demo_ctx.__wrapped__(school_a, make_person, grant, district_admin, monkeypatch)  # type: ignore[attr-defined]
    demo.seed_school(ctx)
    rows = selectors.lessons_to_check(D(2026, 9, 1), D(2026, 11, 24))
    assert rows and len(rows) < 0.05 * Lesson.objects.count()
    assert {p for r in rows for p in r.problems} <= {"нет темы", "нет домашнего задания"}


def test_openapi_documents_attendance_taken_and_ktp_groups(w: W) -> None:
    """R-J05, R-J13 (issue 5 §15): «все присутствуют», the unfilled-lessons fields and the КТП's ?subgroup=
    are in the OpenAPI schema."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    base = "/api/v1/schools/{school_slug}/journal/"
    taken = schema["paths"][base + "lessons/{lesson_id}/attendance-taken/"]["post"]
    assert "Все присутствуют" in taken["summary"]
    plan = schema["paths"][base + "ktp/{class_id}/{subject_id}/"]
    assert all(any(p["name"] == "subgroup" for p in op.get("parameters", [])) for op in plan.values())
    fields = schema["components"]["schemas"]["CtlLessonCheckOut"]["properties"]
    assert {"in_timetable", "attendance_taken", "late_marks", "late_attendance", "control_without_marks"} <= set(fields)
