"""The journal's API for the teacher's daily work, /api/v1/schools/<slug>/journal/… (R-J01..R-J07, R-A01):
every write goes through the services, every rule answers {"error": {"code", "message", "fields"}},
409 for the 7-day lock and for a stale version, and the reads cost a constant number of queries.

"Today" is Wednesday 2026-11-25; the set-up `jw` comes from tests/test_journal_pages.py."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditRecord
from journal.models import Attendance, IndividualHomework, Lesson, Mark, Work
from tests import test_journal_pages as pages
from tests.test_journal_pages import JW, NINE_DAYS_AGO, TODAY, YESTERDAY, _big_class

pytestmark = pytest.mark.django_db
# The set-up of the pages' tests: the same school, people, class and timetable, "today" fixed.
jw, as_, _today = pages.jw, pages.as_, pages._today


def send(client: Any, method: str, url: str, data: dict[str, Any] | None = None) -> Any:
    return client.generic(method, url, json.dumps(data or {}), content_type="application/json", HTTP_ACCEPT="application/json")


def error_of(response: Any, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:400])
    error = response.json()["error"]
    assert error["message"]
    if code:
        assert error["code"] == code, error
    return dict(error)


# --- marks ---------------------------------------------------------------------------------------


def test_put_a_mark_change_it_with_its_version_and_delete_it(jw: JW, as_: Any) -> None:
    """R-J03: a cell is PUT with {work, student, value, version} and answers {mark, version}; the change
    is audited with before and after; DELETE removes it."""
    work = jw.work(jw.lesson(YESTERDAY, 2))
    client, student = as_(jw.teacher), jw.students[0].pk
    first = send(client, "PUT", jw.api("marks/"), {"work": work.pk, "student": student, "value": "4", "version": 0})
    assert first.status_code == 200, first.content
    assert first.json()["mark"]["display"] == "4" and first.json()["version"] == 1
    second = send(client, "PUT", jw.api("marks/"), {"work": work.pk, "student": student, "value": "осв", "version": 1})
    assert second.json()["mark"]["kind"] == "exempt" and second.json()["version"] == 2
    record = AuditRecord.objects.filter(action="journal.mark.save", actor=jw.teacher).order_by("-id").first()
    assert record is not None and record.before["value"] == 4 and record.after["kind"] == "exempt"
    gone = send(client, "DELETE", jw.api("marks/"), {"work": work.pk, "student": student, "version": 2})
    assert gone.json() == {"mark": None, "version": 0}
    assert not Mark.objects.exists()


def test_stale_version_is_a_conflict_with_the_current_value(jw: JW, as_: Any) -> None:
    """Two teachers on the same cell: the second save, based on an old version, is refused with 409
    stale_version and the value now in the journal; nothing is overwritten."""
    work = jw.work(jw.lesson(YESTERDAY, 2))
    client, student = as_(jw.teacher), jw.students[0].pk
    send(client, "PUT", jw.api("marks/"), {"work": work.pk, "student": student, "value": "4", "version": 0})
    send(client, "PUT", jw.api("marks/"), {"work": work.pk, "student": student, "value": "5", "version": 1})
    error = error_of(send(client, "PUT", jw.api("marks/"), {"work": work.pk, "student": student, "value": "3", "version": 1}),
                     409, "stale_version")
    assert error["current"] == {"value": "5", "version": 2}
    error = error_of(send(client, "PUT", jw.api("marks/"), {"work": work.pk, "student": jw.students[1].pk, "value": "3", "version": 4}),
                     409, "stale_version")
    assert error["current"] == {"value": "", "version": 0}
    error_of(send(client, "DELETE", jw.api("marks/"), {"work": work.pk, "student": student, "version": 1}), 409, "stale_version")
    assert Mark.objects.get().value == 5


@pytest.mark.parametrize(("value", "code"), [("6", "bad_mark"), ("5+", "bad_mark"), ("0", "bad_mark"), ("отл", "bad_mark")])
def test_bad_marks_are_refused_in_russian(jw: JW, as_: Any, value: str, code: str) -> None:
    """R-J03: the 5-point scale (and зач/незач/осв) only. R-J14: the refusal is in Russian."""
    work = jw.work(jw.lesson(YESTERDAY, 2))
    error = error_of(send(as_(jw.teacher), "PUT", jw.api("marks/"), {"work": work.pk, "student": jw.students[0].pk, "value": value,
                                                                     "version": 0}), 400, code)
    assert "не отметка" in error["message"] and error["fields"] == {"value": ["Недопустимое значение."]}
    assert not Mark.objects.exists()


def test_mark_for_a_student_not_in_the_class_or_absent(jw: JW, as_: Any, make_person: Any) -> None:
    """R-J03: a mark for somebody not in the class that day, or for an absent student, is refused."""
    lesson = jw.lesson(YESTERDAY, 2)
    work = jw.work(lesson)
    outsider = make_person("Чужой", "Ученик")
    client = as_(jw.teacher)
    error_of(send(client, "PUT", jw.api("marks/"), {"work": work.pk, "student": outsider.pk, "value": "5", "version": 0}), 400, "not_in_class")
    Attendance.objects.create(lesson=lesson, student=jw.students[0], created_by=jw.teacher)
    error_of(send(client, "PUT", jw.api("marks/"), {"work": work.pk, "student": jw.students[0].pk, "value": "5", "version": 0}), 400, "absent")
    error_of(send(client, "PUT", jw.api("marks/"), {"work": work.pk, "student": jw.students[1].pk, "value": "5"}), 400, "invalid")
    error_of(send(client, "PUT", jw.api("marks/"), {"work": 999999, "student": jw.students[1].pk, "value": "5", "version": 0}), 404, "not_found")
    assert not Mark.objects.exists()


def test_grade_one_gets_no_marks_through_the_api(jw: JW, as_: Any) -> None:
    """R-J04: no work and no mark in the first grade, whatever the path."""
    lesson = jw.lesson(YESTERDAY, 1, cls=jw.grade1)
    error_of(send(as_(jw.teacher), "POST", jw.api(f"lessons/{lesson.pk}/works/"), {"work_type": jw.answer.pk}), 400, "grade_one_no_marks")
    work = jw.work(lesson)  # even if one existed
    error_of(send(as_(jw.teacher), "PUT", jw.api("marks/"), {"work": work.pk, "student": jw.students[0].pk, "value": "5", "version": 0}),
             400, "grade_one_no_marks")


# --- the 7-day lock ---------------------------------------------------------------------------------


def test_seven_day_lock_through_every_api_write(jw: JW, as_: Any) -> None:
    """R-J07: nothing dated more than 7 days ago is entered or changed through the API: lesson (new and
    existing), work, mark, attendance, individual homework — 409 journal_locked with the Russian message;
    exactly 7 days ago is still open."""
    old = jw.lesson(NINE_DAYS_AGO, 2, topic="Старая")
    work = jw.work(old)
    Mark.objects.create(work=work, student=jw.students[0], value=3, created_by=jw.teacher)
    client, s0, s1 = as_(jw.teacher), jw.students[0].pk, jw.students[1].pk
    calls = [
        ("POST", "lessons/", {"school_class": jw.cls.pk, "subject": jw.maths.pk, "date": "2026-11-16", "lesson_number": 4, "topic": "x"}),
        ("PATCH", f"lessons/{old.pk}/", {"topic": "Новая", "version": old.version}),
        ("POST", f"lessons/{old.pk}/works/", {"work_type": jw.answer.pk}),
        ("PUT", "marks/", {"work": work.pk, "student": s0, "value": "5", "version": 1}),
        ("DELETE", "marks/", {"work": work.pk, "student": s0, "version": 1}),
        ("PUT", "marks/", {"work": work.pk, "student": s1, "value": "4", "version": 0}),
        ("PUT", "attendance/", {"lesson": old.pk, "student": s1, "status": "absent"}),
        ("PUT", f"lessons/{old.pk}/individual-homework/", {"student": s1, "text": "Карточка"}),
    ]
    for method, path, data in calls:
        error = error_of(send(client, method, jw.api(path), data), 409, "journal_locked")
        assert "Замена сведений в электронном журнале" in error["message"], (method, path)
    old.refresh_from_db()
    assert old.topic == "Старая" and Mark.objects.get().value == 3 and Work.objects.count() == 1
    assert not Attendance.objects.exists() and not IndividualHomework.objects.exists()
    assert not Lesson.objects.filter(lesson_number=4).exists()
    boundary = send(client, "POST", jw.api("lessons/"), {"school_class": jw.cls.pk, "subject": jw.maths.pk, "date": "2026-11-18",
                                                         "lesson_number": 2, "topic": "ещё можно"})
    assert boundary.status_code == 201, boundary.content


# --- lessons, works, attendance, homework ---------------------------------------------------------------


def test_lesson_create_update_with_version_and_works(jw: JW, as_: Any) -> None:
    """R-J01, R-J05: POST records the lesson (201; made on the day, so not late), a second POST with the
    version updates it (200), a stale version is 409; PATCH changes it; a work is added; GET lists them."""
    client = as_(jw.teacher)
    payload = {"school_class": jw.cls.pk, "subject": jw.maths.pk, "date": "2026-11-25", "lesson_number": 2, "topic": "Дроби",
               "done": "Решали", "homework": "№ 1"}
    created = send(client, "POST", jw.api("lessons/"), payload)
    assert created.status_code == 201, created.content
    lesson = created.json()
    assert (lesson["topic"], lesson["entered_late"], lesson["locked"], lesson["version"], lesson["teacher"]) == ("Дроби", False, False, 1, jw.teacher.pk)
    updated = send(client, "POST", jw.api("lessons/"), {**payload, "homework": "№ 2", "version": 1})
    assert updated.status_code == 200 and updated.json()["version"] == 2
    error_of(send(client, "POST", jw.api("lessons/"), {**payload, "homework": "№ 3", "version": 1}), 409, "stale_version")
    patched = send(client, "PATCH", jw.api(f"lessons/{lesson['id']}/"), {"done": "Самостоятельная", "version": 2})
    assert patched.status_code == 200 and patched.json()["done"] == "Самостоятельная"
    work = send(client, "POST", jw.api(f"lessons/{lesson['id']}/works/"), {"work_type": jw.control.pk, "topic": "Дроби"})
    assert work.status_code == 201 and work.json()["work_type"]["name"] == "Контрольная работа"
    listing = client.get(jw.api(f"grid/{jw.cls.pk}/{jw.maths.pk}/lessons/?date_from=2026-11-01"))
    assert [(row["id"], len(row["works"])) for row in listing.json()] == [(lesson["id"], 1)]
    late = send(client, "POST", jw.api("lessons/"), {**payload, "date": "2026-11-24"})
    assert late.json()["entered_late"] is True  # R-J05: entered after the lesson's day
    error_of(send(client, "POST", jw.api("lessons/"), {**payload, "date": "2026-11-26"}), 400, "future_date")
    error_of(send(client, "POST", jw.api("lessons/"), {**payload, "date": "2026-11-22"}), 400, "not_a_school_day")


def test_lesson_detail_attendance_and_individual_homework(jw: JW, as_: Any) -> None:
    """R-J01, R-J02: attendance PUT/DELETE per student; individual homework; the lesson's detail shows them."""
    lesson = jw.lesson(TODAY, 2)
    client, s0, s1 = as_(jw.teacher), jw.students[0].pk, jw.students[1].pk
    absent = send(client, "PUT", jw.api("attendance/"), {"lesson": lesson.pk, "student": s0, "status": "absent"})
    assert absent.status_code == 200 and absent.json()["attendance"]["status"] == "absent"
    send(client, "PUT", jw.api("attendance/"), {"lesson": lesson.pk, "student": s1, "status": "late"})
    error_of(send(client, "PUT", jw.api("attendance/"), {"lesson": lesson.pk, "student": s1, "status": "ill"}), 400, "invalid")
    hw = send(client, "PUT", jw.api(f"lessons/{lesson.pk}/individual-homework/"), {"student": s1, "text": "Карточка № 3"})
    assert hw.json() == {"student": s1, "text": "Карточка № 3"}
    detail = client.get(jw.api(f"lessons/{lesson.pk}/")).json()
    by_student = {row["student"]["id"]: row for row in detail["students"]}
    assert by_student[s0]["attendance"]["status"] == "absent" and by_student[s1]["individual_homework"] == "Карточка № 3"
    assert send(client, "DELETE", jw.api("attendance/"), {"lesson": lesson.pk, "student": s0}).json() == {"attendance": None}
    assert send(client, "PUT", jw.api(f"lessons/{lesson.pk}/individual-homework/"), {"student": s1, "text": ""}).json()["text"] == ""
    assert list(Attendance.objects.values_list("student_id", "status")) == [(s1, "late")]
    assert not IndividualHomework.objects.exists()


def test_absence_reason_by_the_class_teacher_only(jw: JW, as_: Any) -> None:
    """R-J02: the class teacher sets the reason with the document; the subject teacher may not; the
    class's absences are listed for the class teacher and the deputy."""
    lesson = jw.lesson(YESTERDAY, 2)
    absence = Attendance.objects.create(lesson=lesson, student=jw.students[0], created_by=jw.teacher)
    url = jw.api(f"attendance/{absence.pk}/reason/")
    error_of(send(as_(jw.teacher), "PUT", url, {"reason": "illness", "document": "Справка"}), 403, "forbidden")
    error_of(send(as_(jw.class_teacher), "PUT", url, {"reason": "illness"}), 400)
    ok = send(as_(jw.class_teacher), "PUT", url, {"reason": "illness", "document": "Справка № 7", "document_date": "2026-11-24"})
    assert ok.status_code == 200 and ok.json()["reason"] == "illness"
    listing = as_(jw.deputy).get(jw.api(f"absences/{jw.cls.pk}/"))
    assert [row["id"] for row in listing.json()] == [absence.pk] and listing.json()[0]["document"] == "Справка № 7"
    error_of(as_(jw.teacher).get(jw.api(f"absences/{jw.cls.pk}/")), 403)


# --- reads: the grid, my day ---------------------------------------------------------------------------------


def test_grid_json_for_the_teacher_and_readers(jw: JW, as_: Any) -> None:
    """R-J03: the grid as JSON: lessons with works and lock flags, per student marks, attendance,
    plain and weighted averages, the proposed mark; readers get it with can_write false."""
    lesson, old = jw.lesson(YESTERDAY, 2), jw.lesson(NINE_DAYS_AGO, 2)
    w1, w2 = jw.work(lesson, jw.answer, 1), jw.work(lesson, jw.control, 2)
    s0 = jw.students[0]
    Mark.objects.create(work=w1, student=s0, value=5, created_by=jw.teacher)
    Mark.objects.create(work=w2, student=s0, value=4, created_by=jw.teacher)
    data = as_(jw.teacher).get(jw.api(f"grid/{jw.cls.pk}/{jw.maths.pk}/")).json()
    assert data["can_write"] is True and data["period"] == jw.q2.pk and data["lock_from"] == "2026-11-18"
    assert [(row["id"], row["locked"], len(row["works"])) for row in data["lessons"]] == [(old.pk, True, 0), (lesson.pk, False, 2)]
    row = next(r for r in data["rows"] if r["student"]["id"] == s0.pk)
    assert (row["plain"], row["weighted"], row["proposed"], row["count"], row["short"]) == ("4.50", "4.33", 4, 2, True)
    assert sorted(m["display"] for m in row["marks"]) == ["4", "5"]
    for reader in (jw.deputy, jw.methodist, jw.class_teacher):
        assert as_(reader).get(jw.api(f"grid/{jw.cls.pk}/{jw.maths.pk}/")).json()["can_write"] is False


def test_my_day_json_with_substitution(jw: JW, as_: Any) -> None:
    """R-J05, R-J06: my day as JSON; the substitute's lesson names the teacher replaced."""
    jw.lesson(TODAY, 2, topic="Дроби")
    mine = as_(jw.teacher).get(jw.api("my-day/")).json()
    # A record saved without its attendance taken (attendance_taken_at empty) misses it too (R-J05).
    assert [(row["lesson_number"], row["missing"]) for row in mine] == [(2, ["посещаемость не отмечена", "домашнее задание"])]
    theirs = as_(jw.other).get(jw.api("my-day/?date=2026-11-25")).json()
    assert [(row["lesson_number"], row["replaces"]["id"], row["lesson"]) for row in theirs] == [(3, jw.teacher.pk, None)]
    assert as_(jw.other).get(jw.api("my-day/?date=2026-11-24")).json() == []


# --- who may write ---------------------------------------------------------------------------------------------


def test_families_readers_and_other_teachers_never_write(jw: JW, as_: Any) -> None:
    """R-A01: students and parents never write to the journal; nor do the deputy, the methodist, the
    class teacher of the class (not its subject teacher) or a teacher of another class; each refusal is
    a JSON 403, nothing is written, and the refusal is audited."""
    lesson = jw.lesson(TODAY, 2, topic="Дроби")
    work = jw.work(lesson)
    s0 = jw.students[0].pk
    writes = [
        ("POST", "lessons/", {"school_class": jw.cls.pk, "subject": jw.maths.pk, "date": "2026-11-25", "lesson_number": 5}),
        ("PATCH", f"lessons/{lesson.pk}/", {"topic": "чужая", "version": lesson.version}),
        ("POST", f"lessons/{lesson.pk}/works/", {"work_type": jw.answer.pk}),
        ("PUT", "marks/", {"work": work.pk, "student": s0, "value": "5", "version": 0}),
        ("DELETE", "marks/", {"work": work.pk, "student": s0, "version": 0}),
        ("PUT", "attendance/", {"lesson": lesson.pk, "student": s0, "status": "absent"}),
        ("DELETE", "attendance/", {"lesson": lesson.pk, "student": s0}),
        ("PUT", f"lessons/{lesson.pk}/individual-homework/", {"student": s0, "text": "x"}),
    ]
    for person in (jw.parent, jw.student_person, jw.deputy, jw.methodist, jw.class_teacher, jw.other):
        client = as_(person)
        for method, path, data in writes:
            error_of(send(client, method, jw.api(path), data), 403, "forbidden")
        assert AuditRecord.objects.filter(action="access.refused", actor=person).count() == len(writes)
    lesson.refresh_from_db()
    assert lesson.topic == "Дроби" and lesson.version == 1
    assert not Mark.objects.exists() and not Attendance.objects.exists() and Work.objects.count() == 1
    assert Lesson.objects.count() == 1
    for person in (jw.parent, jw.student_person, jw.other):
        error_of(as_(person).get(jw.api(f"grid/{jw.cls.pk}/{jw.maths.pk}/")), 403)
        error_of(as_(person).get(jw.api(f"lessons/{lesson.pk}/")), 403)
        error_of(as_(person).get(jw.api(f"grid/{jw.cls.pk}/{jw.maths.pk}/lessons/")), 403)


def test_openapi_documents_the_journal_endpoints(jw: JW, as_: Any) -> None:
    """The API is documented in the OpenAPI schema (drf-spectacular)."""
    schema = as_(jw.teacher).get("/api/schema/?format=json").json()
    paths = [p for p in schema["paths"] if "/journal/" in p]
    for part in ("my-day/", "lessons/", "lessons/{lesson_id}/works/", "marks/", "attendance/", "attendance/{attendance_id}/reason/",
                 "absences/{class_id}/", "lessons/{lesson_id}/individual-homework/", "grid/{class_id}/{subject_id}/",
                 "grid/{class_id}/{subject_id}/lessons/", "work-types/"):
        assert any(p.endswith("/journal/" + part) for p in paths), part
    marks = next(v for p, v in schema["paths"].items() if p.endswith("/journal/marks/"))
    assert set(marks) >= {"put", "delete"}


# --- constant cost ---------------------------------------------------------------------------------------------


def _queries(client: Any, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_api_reads_cost_constant_queries(jw: JW, as_: Any) -> None:
    """The grid JSON, the lesson list and the lesson's detail cost the same for 3 and for 35 students ×
    many lessons; saving one mark costs a fixed number of queries too."""
    lesson = jw.lesson(YESTERDAY, 2)
    work = jw.work(lesson)
    Mark.objects.create(work=work, student=jw.students[0], value=5, created_by=jw.teacher)
    Attendance.objects.create(lesson=lesson, student=jw.students[1], created_by=jw.teacher)
    today = jw.lesson(TODAY, 2)
    Mark.objects.create(work=jw.work(today, jw.control), student=jw.students[0], value=4, created_by=jw.teacher)
    client = as_(jw.teacher)
    urls = [jw.api(f"grid/{jw.cls.pk}/{jw.maths.pk}/"), jw.api(f"grid/{jw.cls.pk}/{jw.maths.pk}/lessons/"),
            jw.api(f"lessons/{lesson.pk}/"), jw.api("my-day/")]
    small = [_queries(client, u) for u in urls]
    _big_class(jw, 32, 100, start=YESTERDAY.replace(day=3))
    large = [_queries(client, u) for u in urls]
    assert small == large, (small, large)
    with CaptureQueriesContext(connection) as ctx:
        response = send(client, "PUT", jw.api("marks/"), {"work": work.pk, "student": jw.students[2].pk, "value": "4", "version": 0})
    assert response.status_code == 200
    print(f"API queries (grid, lessons, lesson, my day): {large}; one mark saved: {len(ctx.captured_queries)}")
