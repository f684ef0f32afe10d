"""Journal leftovers: absence reasons entered late shown to the deputy (R-J02, R-C01), «посещаемость
не отмечена» on the teacher's day for a saved lesson whose attendance was never taken (R-J05), and a
change request for a forgotten lesson carrying its works and marks (R-J08, R-J03, R-J07).

"Today" is Wednesday 2026-11-25; the set-up `jw` comes from tests/test_journal_pages.py (5А with three
students, maths taught by `teacher`, lessons 2 and 3 on Wednesdays, `class_teacher` of 5А)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from journal import selectors, services, timeliness
from journal.models import Attendance, Lesson
from roster.models import Enrolment
from tests import test_journal_pages as pages
from tests.conftest import make_class
from tests.test_journal_pages import JW, TODAY

pytestmark = pytest.mark.django_db
jw, as_, _today = pages.jw, pages.as_, pages._today
D = dt.date


def at(day: dt.date, hour: int = 12) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=dt.UTC)


def absence(jw: JW, lesson: Lesson, student_index: int = 0) -> Attendance:
    return Attendance.objects.create(lesson=lesson, student=jw.students[student_index], created_by=jw.teacher)


def reason_entered(jw: JW, row: Attendance, document_date: dt.date, entered: dt.date) -> Attendance:
    """The class teacher gives the reason through the service; the day it was entered is then set."""
    services.set_absence_reason(jw.class_teacher, jw.school, row, "illness", document="Справка № 1",
                                document_date=document_date)
    Attendance.objects.filter(pk=row.pk).update(reason_set_at=at(entered))
    return row


# --- R-J02: reasons entered later than 2 working days after the document --------------------------------------


def test_reason_late_by_working_days_not_calendar_days(jw: JW) -> None:
    """R-J02 (004 §VIII: the reason «не позднее 2 рабочих дней после предоставления … документа»): the deadline
    counts working days of the production calendar from the document's date. A document of Friday 20.11 is due
    Tuesday 24.11 (the weekend does not count); a document of Monday 02.11 is due Thursday 05.11 (04.11, Day of
    National Unity, does not count). Entered on the due day: not listed; a day later: listed, with the due day."""
    lesson = jw.lesson(D(2026, 11, 2), 2)
    on_time_weekend = reason_entered(jw, absence(jw, lesson, 0), D(2026, 11, 20), D(2026, 11, 24))
    on_time_holiday = reason_entered(jw, absence(jw, lesson, 1), D(2026, 11, 2), D(2026, 11, 5))
    late = reason_entered(jw, absence(jw, lesson, 2), D(2026, 11, 2), D(2026, 11, 6))
    rows = selectors.reasons_entered_late()
    assert [(r.attendance.pk, r.due, r.entered_on) for r in rows] == [(late.pk, D(2026, 11, 5), D(2026, 11, 6))]
    assert on_time_weekend.pk not in {r.attendance.pk for r in rows} and on_time_holiday.pk not in {r.attendance.pk for r in rows}
    Attendance.objects.filter(pk=on_time_weekend.pk).update(reason_set_at=at(D(2026, 11, 25)))
    assert {r.attendance.pk for r in selectors.reasons_entered_late()} == {late.pk, on_time_weekend.pk}


def test_reason_without_document_date_or_without_reason_is_not_listed(jw: JW) -> None:
    """R-J02: an absence with no document date has nothing to count from; one still without a reason is in
    the other list («пропуски без причины»), not in this one; a lateness («О») has no reason at all."""
    lesson = jw.lesson(D(2026, 11, 2), 2)
    row = absence(jw, lesson, 0)
    services.set_absence_reason(jw.class_teacher, jw.school, row, "unexcused")
    Attendance.objects.filter(pk=row.pk).update(reason_set_at=at(D(2026, 11, 25)))
    absence(jw, lesson, 1)
    assert selectors.reasons_entered_late() == []


def test_late_reasons_page_and_api_for_the_deputy_and_the_class_teacher(jw: JW, as_: Any, client: Any, make_person: Any) -> None:
    """R-J02, R-C01: the deputy's absences page lists «Причина внесена позже 2 рабочих дней» with the student,
    the document, its date, the due day, the day entered and who entered it; the API gives the same rows.
    The class teacher sees their own classes only; a subject teacher, a methodist, a parent and a student get 403; anonymous 401 (API) or the
    sign-in page."""
    late = reason_entered(jw, absence(jw, jw.lesson(D(2026, 11, 2), 2), 0), D(2026, 11, 2), D(2026, 11, 9))
    other_cls = make_class(7, "В")
    stranger = make_person("Чужой", "Пётр")
    Enrolment.objects.create(student=stranger, school_class=other_cls, since=D(2026, 9, 1), until=None)
    other_lesson = Lesson.objects.create(school_class=other_cls, subject=jw.maths, teacher=jw.teacher, created_by=jw.teacher,
                                         date=D(2026, 11, 2), lesson_number=3)
    foreign = Attendance.objects.create(lesson=other_lesson, student=stranger, created_by=jw.teacher, reason="illness",
                                        document="Справка", document_date=D(2026, 11, 2), reason_set_at=at(D(2026, 11, 20)))

    page = as_(jw.deputy).get(jw.url("control/absences/"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Причина внесена позже 2 рабочих дней" in html and 'data-testid="late-reasons-table"' in html
    table = html.split('data-testid="late-reasons-table"')[1].split("</table>")[0]
    assert jw.students[0].full_name in table and "Справка № 1" in table and "05.11.2026" in table and "09.11.2026" in table
    assert "7В" in table and jw.class_teacher.short_name in table

    api = as_(jw.deputy).get(jw.api("control/absences/late-reasons/"))
    assert api.status_code == 200
    data = api.json()
    assert [(r["attendance_id"], r["due"], r["entered_on"]) for r in data] == [
        (late.pk, "2026-11-05", "2026-11-09"), (foreign.pk, "2026-11-05", "2026-11-20")]
    assert data[0]["document"] == "Справка № 1" and data[0]["entered_by"]["id"] == jw.class_teacher.pk
    assert data[0]["reason"] == "illness" and data[0]["document_date"] == "2026-11-02" and data[1]["entered_by"] is None

    mine = as_(jw.class_teacher).get(jw.api("control/absences/late-reasons/")).json()
    assert [r["attendance_id"] for r in mine] == [late.pk]
    own_page = as_(jw.class_teacher).get(jw.url("control/absences/")).content.decode()
    assert "7В" not in own_page.split('data-testid="late-reasons-table"')[1]

    for refused in (jw.teacher, jw.methodist, jw.parent, jw.student_person):  # access table of the new route
        assert as_(refused).get(jw.api("control/absences/late-reasons/")).status_code == 403, refused
    assert as_(jw.teacher).get(jw.url("control/absences/")).status_code == 403
    anonymous = client.get(jw.api("control/absences/late-reasons/"), HTTP_ACCEPT="application/json")
    assert anonymous.status_code == 401
    assert client.get(jw.url("control/absences/")).status_code in (302, 401)


def test_late_reasons_cost_constant_queries(jw: JW, as_: Any) -> None:
    """R-J02: the list costs one query in the selector and the same number on the API for 1 or 16 rows."""
    lesson = jw.lesson(D(2026, 11, 2), 2)
    reason_entered(jw, absence(jw, lesson, 0), D(2026, 11, 2), D(2026, 11, 10))

    def selector_queries() -> int:
        with CaptureQueriesContext(connection) as alone:
            selectors.reasons_entered_late()
        return len(alone)

    def api_queries() -> int:
        as_(jw.deputy).get(jw.api("control/absences/late-reasons/"))  # warms the session and the access caches
        with CaptureQueriesContext(connection) as api:
            assert as_(jw.deputy).get(jw.api("control/absences/late-reasons/")).status_code == 200
        return len(api)

    assert selector_queries() == 1
    few = api_queries()
    for number in range(3, 8):
        other = jw.lesson(D(2026, 11, 2), number)
        for i in range(3):
            reason_entered(jw, absence(jw, other, i), D(2026, 11, 2), D(2026, 11, 10))
    assert len(selectors.reasons_entered_late()) == 16
    assert selector_queries() == 1
    assert api_queries() == few


# --- R-J05: my day — a saved lesson whose attendance was never taken --------------------------------------------


def test_my_day_shows_attendance_not_taken_for_a_saved_lesson(jw: JW, as_: Any) -> None:
    """R-J05 (003 §2.1: absences are entered on the day): a lesson saved with its topic and homework but no
    attendance (attendance_taken_at empty) shows «посещаемость не отмечена» on the page and in the API;
    «все присутствуют» takes it off; a lesson with an absence marked is complete too."""
    lesson = services.record_lesson(jw.teacher, jw.school, services.LessonData(
        school_class=jw.cls, subject=jw.maths, date=TODAY, lesson_number=2, topic="Дроби", homework="№ 5"))
    assert lesson.attendance_taken_at is None
    mine = as_(jw.teacher).get(jw.api("my-day/")).json()
    assert [(r["lesson_number"], r["missing"]) for r in mine] == [(2, ["посещаемость не отмечена"])]
    row = pages.day_row(as_(jw.teacher).get(jw.url("today/")).content.decode(), 2, jw.cls.pk)
    assert "посещаемость не отмечена" in row

    timeliness.confirm_attendance(jw.teacher, jw.school, lesson)
    assert as_(jw.teacher).get(jw.api("my-day/")).json()[0]["missing"] == []
    row = pages.day_row(as_(jw.teacher).get(jw.url("today/")).content.decode(), 2, jw.cls.pk)
    assert "посещаемость не отмечена" not in row

    third = services.record_lesson(jw.other, jw.school, services.LessonData(
        school_class=jw.cls, subject=jw.maths, date=TODAY, lesson_number=3, topic="Проценты", homework="№ 6"))
    assert as_(jw.other).get(jw.api("my-day/")).json()[0]["missing"] == ["посещаемость не отмечена"]
    services.set_attendance(jw.other, jw.school, third, jw.students[0].pk, "absent")
    assert as_(jw.other).get(jw.api("my-day/")).json()[0]["missing"] == []


# --- R-J08: a forgotten lesson's request carries its works and marks ---------------------------------------------


@pytest.fixture
def w(school_a: Any, make_person: Any, grant: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    from journal import rules
    from tests.test_journal_control import build

    monkeypatch.setattr(rules, "today", lambda: TODAY)
    return build(school_a, make_person, grant)


def _slot(w: Any, number: int = 2) -> None:
    from tests.test_journal_requests_more import _timetable

    _timetable(w, number)


def _file(w: Any, works: list[dict[str, Any]], *extra: dict[str, Any]) -> Any:
    from journal.views_control import file_request
    from tests.test_journal_control import LOCKED_DAY

    new = {"op": "new_lesson", "subgroup": None, "lesson_number": 2, "topic": "Дроби", "works": works}
    return file_request(w.teacher, w.school, None, [new, *extra], reason="Забыла записать урок", school_class=w.cls,
                        subject=w.maths, date=LOCKED_DAY)


def test_forgotten_lesson_request_with_works_and_marks_applied_on_approval(w: Any) -> None:
    """R-J08, R-J03: a `new_lesson` change carries works (type, topic) and their marks (student → value);
    the register lists them in words; the approval creates the lesson, its works in order and the marks,
    each audited (the works with the request's number), the lesson marked late (R-J05)."""
    from audit.models import AuditRecord
    from journal.models import ChangeRequestStatus, Mark, Work

    _slot(w)
    s0, s1, s2 = (s.pk for s in w.students)
    filed = _file(w, [{"work_type": w.control.pk, "topic": "Дроби, вариант 1", "marks": {str(s0): "5", str(s2): "3"}},
                      {"work_type": w.answer.pk, "marks": {s0: "4", str(s2): ""}}],
                  {"op": "attendance", "student": s1, "status": "absent"})
    assert filed.changes[0]["works"] == [
        {"work_type": w.control.pk, "topic": "Дроби, вариант 1", "marks": {str(s0): "5", str(s2): "3"}},
        {"work_type": w.answer.pk, "topic": "", "marks": {str(s0): "4"}}]
    assert "работа «Контрольная работа — Дроби, вариант 1»: " in filed.description
    assert f"{w.students[0].short_name} 5" in filed.description and "работа «Ответ на уроке»" in filed.description
    assert not Lesson.objects.exists()
    services.approve_change_request(w.deputy, w.school, filed.pk)
    created = Lesson.objects.get()
    assert created.entered_late
    works = list(Work.objects.filter(lesson=created).order_by("position"))
    assert [(x.work_type_id, x.topic, x.position) for x in works] == [(w.control.pk, "Дроби, вариант 1", 1), (w.answer.pk, "", 2)]
    assert sorted((m.work_id, m.student_id, m.value) for m in Mark.objects.all()) == sorted(
        [(works[0].pk, s0, 5), (works[0].pk, s2, 3), (works[1].pk, s0, 4)])
    assert Attendance.objects.get().student_id == s1
    assert AuditRecord.objects.filter(action="journal.work.add", actor=w.deputy, reason=f"Заявка №{filed.pk}").count() == 2
    assert AuditRecord.objects.filter(action="journal.mark.save", actor=w.deputy).count() == 3
    filed.refresh_from_db()
    assert filed.status == ChangeRequestStatus.APPROVED and filed.lesson_id == created.pk


def test_forgotten_lesson_marks_validated_like_record_mark(w: Any) -> None:
    """R-J08, R-J03: the works and marks are refused when filing, naming the change: a work type switched
    off, an unknown work type, a mark off the scale, a student not of the class that day, a mark for a
    student the same request marks absent, an unknown key; nothing is stored."""
    from core.errors import ValidationFailed
    from journal.models import ChangeRequest

    _slot(w)
    s0, s1 = w.students[0].pk, w.students[1].pk
    w.answer.is_active = False
    w.answer.save(update_fields=["is_active"])
    cases: list[tuple[list[dict[str, Any]], tuple[dict[str, Any], ...], str, str]] = [
        ([{"work_type": w.answer.pk, "marks": {}}], (), "work_type_inactive", "1: work_type"),
        ([{"work_type": 999999, "marks": {}}], (), "bad_change", "1: work_type"),
        ([{"work_type": w.control.pk, "marks": {str(s0): "7"}}], (), "bad_mark", "1: value"),
        ([{"work_type": w.control.pk, "marks": {str(w.teacher.pk): "5"}}], (), "bad_change", "1: student"),
        ([{"work_type": w.control.pk, "marks": {str(s1): "5"}}], ({"op": "attendance", "student": s1, "status": "absent"},),
         "absent", "1: student"),
        ([{"work_type": w.control.pk, "marks": {}, "weight": 2}], (), "bad_change", "1: weight"),
    ]
    for works, extra, code, field in cases:
        with pytest.raises(ValidationFailed) as exc:
            _file(w, works, *extra)
        assert (exc.value.code, exc.value.fields["changes"]) == (code, [field]), (works, exc.value.message)
    assert not ChangeRequest.objects.exists()


def test_forgotten_lesson_works_all_or_nothing_on_approval(w: Any) -> None:
    """R-J08: the approval checks the works again; a work type switched off meanwhile refuses the whole
    request — no lesson, no work, no mark, no attendance written — and it stays pending."""
    from core.errors import ValidationFailed
    from journal.models import ChangeRequestStatus, Mark, Work

    _slot(w)
    filed = _file(w, [{"work_type": w.control.pk, "marks": {str(w.students[0].pk): "5"}}],
                  {"op": "attendance", "student": w.students[1].pk, "status": "absent"})
    w.control.is_active = False
    w.control.save(update_fields=["is_active"])
    with pytest.raises(ValidationFailed) as exc:
        services.approve_change_request(w.deputy, w.school, filed.pk)
    assert exc.value.code == "work_type_inactive"
    assert not Lesson.objects.exists() and not Work.objects.exists() and not Mark.objects.exists() and not Attendance.objects.exists()
    filed.refresh_from_db()
    assert filed.status == ChangeRequestStatus.PENDING


def test_forgotten_lesson_works_refused_in_grade_one(w: Any) -> None:
    """R-J04, R-J08: in the first grade a forgotten lesson's request may carry no works (no marks at all)."""
    from core.errors import ValidationFailed
    from journal.views_control import file_request
    from tests.test_journal_control import LOCKED_DAY
    from timetable.models import TimetableEntry

    grade1 = make_class(1, "Б")
    from curriculum.models import TeachingAssignment

    TeachingAssignment.objects.create(teacher=w.teacher, subject=w.maths, school_class=grade1, hours_per_week=4)
    TimetableEntry.objects.create(school_class=grade1, weekday=LOCKED_DAY.isoweekday(), lesson_number=1, subject=w.maths,
                                  teacher=w.teacher, valid_from=D(2026, 9, 1))
    new = {"op": "new_lesson", "subgroup": None, "lesson_number": 1, "topic": "Счёт", "works": [{"work_type": w.answer.pk}]}
    with pytest.raises(ValidationFailed) as exc:
        file_request(w.teacher, w.school, None, [new], reason="Забыла", school_class=grade1, subject=w.maths, date=LOCKED_DAY)
    assert exc.value.code == "grade_one_no_marks" and exc.value.fields["changes"] == ["1: works"]


def test_forgotten_lesson_works_through_the_api(w: Any) -> None:
    """R-J08: the API files a `new_lesson` change with works and marks (marks as {student id: value}); its
    changes_text names them; the deputy's approval through the API writes them; an off-scale mark is a 400."""
    from journal.models import Mark
    from tests.test_journal_control import LOCKED_DAY, client
    from tests.test_journal_requests_more import error, post

    _slot(w)
    s0 = w.students[0]
    body = {"school_class": w.cls.pk, "subject": w.maths.pk, "date": LOCKED_DAY.isoformat(), "reason": "Забыла",
            "changes": [{"op": "new_lesson", "subgroup": None, "lesson_number": 2, "topic": "Дроби",
                         "works": [{"work_type": w.control.pk, "topic": "Дроби", "marks": {str(s0.pk): "4"}}]}]}
    bad = {**body, "changes": [{**body["changes"][0], "works": [{"work_type": w.control.pk, "marks": {str(s0.pk): "9"}}]}]}
    assert error(post(client(w.teacher), w.api("change-requests/"), bad), 400)["code"] == "bad_mark"
    filed = post(client(w.teacher), w.api("change-requests/"), body)
    assert filed.status_code == 201, filed.content
    assert filed.json()["changes_text"] == [f"Новый урок 2: тема «Дроби»; работа «Контрольная работа — Дроби»: {s0.short_name} 4"]
    approved = post(client(w.deputy), w.api(f"change-requests/{filed.json()['id']}/approve/"), {})
    assert approved.status_code == 200, approved.content
    mark = Mark.objects.select_related("work__lesson").get()
    assert (mark.student_id, mark.value, mark.work.topic, mark.work.lesson.lesson_number) == (s0.pk, 4, "Дроби", 2)


def test_forgotten_lesson_works_on_the_page(w: Any) -> None:
    """R-J08: the slot's page offers works (type of the school's switched-on ones, topic) and a column of
    marks for each; the request filed carries them, the deputy's page shows them and approves them."""
    from journal.models import ChangeRequest, Mark
    from tests.test_journal_control import LOCKED_DAY, client

    _slot(w)
    c = client(w.teacher)
    url = w.url(f"requests/new/lesson/?date={LOCKED_DAY.isoformat()}&class={w.cls.pk}&subject={w.maths.pk}&number=2")
    page = c.get(url).content.decode()
    assert 'data-testid="request-slot-works"' in page and "Контрольная работа" in page and f'name="m_1_{w.students[0].pk}"' in page
    s0, s1 = w.students[0].pk, w.students[1].pk
    form = {"date": LOCKED_DAY.isoformat(), "class": w.cls.pk, "subject": w.maths.pk, "number": 2, "subgroup": "",
            "topic": "Дроби", "w1_type": str(w.control.pk), "w1_topic": "Вариант 1", f"m_1_{s0}": "5",
            f"m_1_{s1}": "", f"a_{s1}": "absent", "reason": "Забыла записать"}
    bad = c.post(w.url("requests/new/lesson/"), {**form, f"m_1_{s1}": "4"})  # a mark for the absent student
    assert bad.status_code == 200 and "отсутствующим" in bad.content.decode() and not ChangeRequest.objects.exists()
    response = c.post(w.url("requests/new/lesson/"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    filed = ChangeRequest.objects.get()
    assert filed.changes[0]["works"] == [{"work_type": w.control.pk, "topic": "Вариант 1", "marks": {str(s0): "5"}}]
    detail = client(w.deputy).get(w.url(f"requests/{filed.pk}/")).content.decode()
    assert "работа «Контрольная работа — Вариант 1»" in detail
    assert client(w.deputy).post(w.url(f"requests/{filed.pk}/"), {"action": "approve", "note": ""}).status_code == 302
    assert Mark.objects.get().value == 5 and Attendance.objects.get().student_id == s1
