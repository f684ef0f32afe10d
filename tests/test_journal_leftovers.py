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
