"""Change requests beyond a lesson's existing record, and no silent last-write-wins (R-J07, R-J08,
R-J09, R-J10, R-J11, R-J12): period marks corrected past their window through a request; a
forgotten lesson of the timetable entered past the lock through a request; a hospital mark for a
student recorded absent through a request; conflicts instead of overwrites for lessons, period
marks, notebook transfers and external marks; the notebook audited. "Today" is Wednesday
2026-11-25; the 2nd quarter runs 04.11–27.12, the 1st ended on Sunday 25.10."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from audit.models import AuditRecord
from core.errors import Conflict, PermissionDenied, ValidationFailed
from journal import notebook, period_marks, rules, services
from journal.models import Attendance, ChangeRequest, ChangeRequestStatus, Lesson, Mark, NotebookEntry, PeriodMark
from tests.test_journal_control import LOCKED_DAY, TODAY, W, build, client, lesson, work_with_marks

pytestmark = pytest.mark.django_db
D = dt.date
Q1_END = D(2026, 10, 25)


@pytest.fixture
def w(school_a: Any, make_person: Any, grant: Any, monkeypatch: pytest.MonkeyPatch) -> W:
    monkeypatch.setattr(rules, "today", lambda: TODAY)
    return build(school_a, make_person, grant)


def post(c: Any, url: str, body: dict[str, Any], method: str = "POST") -> Any:
    return c.generic(method, url, json.dumps(body), content_type="application/json", HTTP_ACCEPT="application/json")


def error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:500])
    return dict(response.json()["error"])


def q1_mark(w: W, student: int = 0, value: int = 3) -> PeriodMark:
    return PeriodMark.objects.create(student=w.students[student], school_class=w.cls, subject=w.maths, kind="period",
                                     period=w.q1, value=value, created_by=w.teacher)


# --- 1. period marks through a change request (R-J11, R-J08) ------------------------------------------

def test_period_mark_corrected_past_its_window_through_a_request(w: W) -> None:
    """R-J11, R-J08: past the window the teacher cannot set the period mark («только через заявку»); a
    `period_mark` change is filed (with the current value for «было → стало»), and the deputy's approval
    sets it past the window, audited with before and after and the request's number."""
    q1_mark(w, 0, 3)
    with pytest.raises(period_marks.OutsideWindow):
        period_marks.set_period_mark(w.teacher, w.school, school_class=w.cls, subject=w.maths, student_id=w.students[0].pk,
                                     kind="period", value="4", period=w.q1, expected_version=1)
    from journal.views_control import file_request

    filed = file_request(w.teacher, w.school, None, [
        {"op": "period_mark", "student": w.students[0].pk, "kind": "period", "period": w.q1.pk, "value": "4"},
        {"op": "period_mark", "student": w.students[1].pk, "kind": "period", "period": w.q1.pk, "value": "н/а"}],
        reason="Ошибка при выставлении", school_class=w.cls, subject=w.maths)
    assert filed.lesson is None and filed.target_date == Q1_END
    assert filed.changes[0]["was"] == "3" and filed.changes[1]["was"] == ""
    assert "1 четверть" in filed.description and "3 → 4" in filed.description
    services.approve_change_request(w.deputy, w.school, filed.pk, "Обосновано")
    marks = {m.student_id: m for m in PeriodMark.objects.all()}
    assert marks[w.students[0].pk].value == 4 and marks[w.students[0].pk].version == 2
    assert marks[w.students[1].pk].not_assessed
    audit = AuditRecord.objects.filter(action="journal.period_mark.save", actor=w.deputy).order_by("id")
    assert [(a.before or {}).get("value") for a in audit] == [3, None]
    assert audit[0].after["value"] == 4 and f"Заявка №{filed.pk}" in audit[0].reason


def test_period_mark_change_checked_key_by_key(w: W, monkeypatch: pytest.MonkeyPatch) -> None:
    """R-J11, R-J08: an unknown key, a wrong kind, a period of another kind, a bad value, a student not of
    the class, a repeated change, a mark still in its window, another teacher: refused, nothing stored."""
    def file(change: dict[str, Any], actor: Any = None) -> None:
        services.file_change_request(actor or w.teacher, w.school, changes=[change], description="x", reason="y",
                                     school_class=w.cls, subject=w.maths)

    base = {"op": "period_mark", "student": w.students[0].pk, "kind": "period", "period": w.q1.pk, "value": "4"}
    for change, key in (({**base, "work": 1}, "work"), ({**base, "kind": "term"}, "kind"), ({**base, "period": None}, "period"),
                        ({**base, "kind": "year"}, "period"), ({**base, "value": "6"}, "value"), ({**base, "value": ""}, "value"),
                        ({**base, "student": w.teacher.pk}, "student"), ({**base, "student": True}, "student")):
        with pytest.raises(ValidationFailed) as exc:
            file(change)
        assert exc.value.fields["changes"][0].endswith(key), (change, exc.value.fields)
    with pytest.raises(ValidationFailed) as dup:
        services.file_change_request(w.teacher, w.school, changes=[base, {**base, "value": "5"}], description="x", reason="y",
                                     school_class=w.cls, subject=w.maths)
    assert dup.value.fields["changes"] == ["2: duplicate"]
    with pytest.raises(ValidationFailed) as open_window:
        file({**base, "period": w.q2.pk})  # the 2nd quarter's window (27.12–30.12) has not passed
    assert open_window.value.code == "not_locked"
    with pytest.raises(PermissionDenied):
        file(base, actor=w.other)
    file(base, actor=w.class_teacher)  # the class teacher for every subject of the class (R-J11)
    assert ChangeRequest.objects.count() == 1


def test_period_mark_request_all_or_nothing_and_api(w: W) -> None:
    """R-J08, R-J11: through the API (documented change kind `period_mark`); an approval that cannot apply
    one change applies none."""
    teacher, deputy = client(w.teacher), client(w.deputy)
    body = {"school_class": w.cls.pk, "subject": w.maths.pk, "reason": "Пересчёт", "changes": [
        {"op": "period_mark", "student": w.students[0].pk, "kind": "period", "period": w.q1.pk, "value": "5"}]}
    filed = post(teacher, w.api("change-requests/"), body)
    assert filed.status_code == 201, filed.content
    data = filed.json()
    assert data["lesson_id"] is None and data["target_date"] == "2026-10-25"
    assert data["changes_text"] == ["Ученик00 Т.И.: отметка за 1 четверть: — → 5"]
    assert error(post(client(w.other), w.api("change-requests/"), body), 403)["code"] == "forbidden"
    assert post(deputy, w.api(f"change-requests/{data['id']}/approve/"), {}).status_code == 200
    assert PeriodMark.objects.get().value == 5
    # all or nothing: the second change cannot apply (the student left the class meanwhile)
    second = post(teacher, w.api("change-requests/"), {**body, "changes": [
        {"op": "period_mark", "student": w.students[0].pk, "kind": "period", "period": w.q1.pk, "value": "4"},
        {"op": "period_mark", "student": w.students[2].pk, "kind": "period", "period": w.q1.pk, "value": "4"}]}).json()
    from roster.models import Enrolment

    Enrolment.objects.filter(student=w.students[2]).delete()
    refused = error(post(deputy, w.api(f"change-requests/{second['id']}/approve/"), {}), 400)
    assert "Заявку нельзя применить" in refused["message"]
    assert PeriodMark.objects.get().value == 5 and ChangeRequest.objects.get(pk=second["id"]).status == ChangeRequestStatus.PENDING
    schema = client(w.teacher).get("/api/schema/?format=json").content.decode()
    assert "period_mark" in schema and "new_lesson" in schema and "source_document" in schema


# --- 2. a forgotten lesson of the timetable (R-J08, R-J06, R-J07) -------------------------------------

def _timetable(w: W, number: int = 2, substitute: Any = None) -> Any:
    from timetable.models import Substitution, TimetableEntry

    entry = TimetableEntry.objects.create(school_class=w.cls, weekday=LOCKED_DAY.isoweekday(), lesson_number=number,
                                          subject=w.maths, teacher=w.teacher, valid_from=D(2026, 9, 1))
    if substitute is not None:
        Substitution.objects.create(date=LOCKED_DAY, entry=entry, absent_teacher=w.teacher, substitute=substitute, reason="болезнь")
    return entry


def test_forgotten_lesson_created_on_approval(w: W) -> None:
    """R-J08, R-J07: a lesson of the timetable with no record past the lock cannot be written directly;
    a request for the slot (with attendance) creates it on approval: its teacher is the one who asked, it
    is marked late, the absences are set, all audited."""
    _timetable(w)
    with pytest.raises(rules.JournalLocked):
        services.record_lesson(w.teacher, w.school, services.LessonData(school_class=w.cls, subject=w.maths, date=LOCKED_DAY,
                                                                        lesson_number=2, topic="Дроби"))
    from journal.views_control import file_request

    changes = [{"op": "new_lesson", "subgroup": None, "lesson_number": 2, "topic": "Дроби", "homework": "№ 5"},
               {"op": "attendance", "student": w.students[1].pk, "status": "absent"}]
    filed = file_request(w.teacher, w.school, None, changes, reason="Забыла записать урок", school_class=w.cls, subject=w.maths,
                         date=LOCKED_DAY)
    assert filed.lesson is None and filed.target_date == LOCKED_DAY and not Lesson.objects.exists()
    assert "Новый урок 2" in filed.description
    services.approve_change_request(w.deputy, w.school, filed.pk)
    created = Lesson.objects.get()
    assert (created.teacher_id, created.topic, created.homework, created.entered_late, created.lesson_number) == (
        w.teacher.pk, "Дроби", "№ 5", True, 2)
    assert Attendance.objects.get().student_id == w.students[1].pk
    filed.refresh_from_db()
    assert filed.lesson_id == created.pk and filed.status == ChangeRequestStatus.APPROVED
    assert AuditRecord.objects.filter(action="journal.lesson.save", actor=w.deputy, reason=f"Заявка №{filed.pk}").exists()


def test_forgotten_lesson_must_be_in_the_actors_timetable(w: W) -> None:
    """R-J08, R-J06: only a slot the timetable gives this teacher that day (a substitute's included, and
    then the lesson records whom they replaced); not one already recorded, not one still open."""
    _timetable(w, 2)
    _timetable(w, 3, substitute=w.other)
    new = {"op": "new_lesson", "subgroup": None, "lesson_number": 4, "topic": "Дроби"}

    def file(actor: Any, change: dict[str, Any], day: dt.date = LOCKED_DAY) -> ChangeRequest:
        return services.file_change_request(actor, w.school, changes=[change], description="x", reason="y", school_class=w.cls,
                                            subject=w.maths, date=day)

    with pytest.raises(ValidationFailed) as exc:
        file(w.teacher, new)
    assert exc.value.code == "not_in_timetable"
    with pytest.raises(ValidationFailed) as exc:
        file(w.teacher, {**new, "lesson_number": 3})  # lesson 3 was taught by the substitute
    assert exc.value.code == "not_in_timetable"
    with pytest.raises(ValidationFailed) as exc:
        file(w.teacher, {**new, "lesson_number": 2, "topic": ""})
    assert exc.value.fields["changes"] == ["1: topic"]
    with pytest.raises(ValidationFailed) as exc:
        file(w.teacher, {**new, "lesson_number": 2}, day=D(2026, 11, 23))
    assert exc.value.code in ("not_in_timetable", "not_locked")
    by_substitute = file(w.other, {**new, "lesson_number": 3})
    services.approve_change_request(w.deputy, w.school, by_substitute.pk)
    created = Lesson.objects.get()
    assert (created.teacher_id, created.replaced_teacher_id) == (w.other.pk, w.teacher.pk)
    lesson(w, LOCKED_DAY, 2)
    with pytest.raises(ValidationFailed) as exc:
        file(w.teacher, {**new, "lesson_number": 2})
    assert exc.value.code == "lesson_exists"


def test_forgotten_lesson_through_the_api_and_recorded_meanwhile(w: W) -> None:
    """R-J08: the API files a request without a lesson record (class, subject, date, slot); if the
    lesson is recorded before the approval, the approval is refused and nothing is written."""
    _timetable(w, 2)
    body = {"school_class": w.cls.pk, "subject": w.maths.pk, "date": LOCKED_DAY.isoformat(), "reason": "Забыла",
            "changes": [{"op": "new_lesson", "subgroup": None, "lesson_number": 2, "topic": "Дроби"}]}
    filed = post(client(w.teacher), w.api("change-requests/"), body)
    assert filed.status_code == 201, filed.content
    assert filed.json()["changes_text"] == ["Новый урок 2: тема «Дроби»"]
    assert error(post(client(w.other), w.api("change-requests/"), body), 400)["code"] == "not_in_timetable"
    assert error(post(client(w.parent), w.api("change-requests/"), body), 403)["code"] == "forbidden"
    lesson(w, LOCKED_DAY, 2, topic="уже есть")
    refused = error(post(client(w.deputy), w.api(f"change-requests/{filed.json()['id']}/approve/"), {}), 400)
    assert refused["code"] == "lesson_exists" and Lesson.objects.get().topic == "уже есть"


# --- 3. hospital marks through a change request (R-J09) -----------------------------------------------

def test_hospital_mark_for_an_absent_student_through_a_request(w: W) -> None:
    """R-J09, R-J08: past the lock, a mark from a hospital school for a student recorded absent goes
    through a request whose mark change carries the document; the approval stores it with the mark."""
    old = lesson(w, LOCKED_DAY, 3)
    work = work_with_marks(w, old, {})
    Attendance.objects.create(lesson=old, student=w.students[0], status="absent", created_by=w.teacher)
    with pytest.raises(rules.JournalLocked):
        services.record_external_mark(w.teacher, w.school, work, w.students[0].pk, "5", "Справка больницы № 7")
    without = services.file_change_request(w.teacher, w.school, old, changes=[
        {"op": "mark", "work": work.pk, "student": w.students[0].pk, "value": "5"}], description="x", reason="y")
    with pytest.raises(ValidationFailed) as exc:
        services.approve_change_request(w.deputy, w.school, without.pk)
    assert exc.value.code == "absent"
    with_document = services.file_change_request(w.teacher, w.school, old, changes=[
        {"op": "mark", "work": work.pk, "student": w.students[0].pk, "value": "5",
         "source_document": "Ведомость школы при больнице № 7 от 20.11.2026"}], description="x", reason="Отметка из больницы")
    services.approve_change_request(w.deputy, w.school, with_document.pk)
    mark = Mark.objects.get()
    assert (mark.value, mark.source_document) == (5, "Ведомость школы при больнице № 7 от 20.11.2026")
    assert AuditRecord.objects.get(action="journal.mark.save").after["source_document"].startswith("Ведомость")
    with pytest.raises(ValidationFailed):
        services.file_change_request(w.teacher, w.school, old, changes=[
            {"op": "mark", "work": work.pk, "student": w.students[1].pk, "value": "4", "source_document": 5}],
            description="x", reason="y")


def test_hospital_mark_through_a_request_in_the_api(w: W) -> None:
    """R-J09, R-J08 through the API: the change's source_document is kept, shown in words, and applied."""
    old = lesson(w, LOCKED_DAY, 3)
    work = work_with_marks(w, old, {})
    Attendance.objects.create(lesson=old, student=w.students[0], status="absent", created_by=w.teacher)
    body = {"lesson": old.pk, "reason": "Отметка из санатория", "changes": [
        {"op": "mark", "work": work.pk, "student": w.students[0].pk, "value": "4", "source_document": "Табель санатория «Сосны»"}]}
    filed = post(client(w.teacher), w.api("change-requests/"), body)
    assert filed.status_code == 201, filed.content
    assert filed.json()["changes"][0]["source_document"] == "Табель санатория «Сосны»"
    assert "Табель санатория «Сосны»" in filed.json()["changes_text"][0]
    approved = post(client(w.deputy), w.api(f"change-requests/{filed.json()['id']}/approve/"), {})
    assert approved.status_code == 200, approved.content
    assert (Mark.objects.get().value, Mark.objects.get().source_document) == (4, "Табель санатория «Сосны»")


# --- 4. no silent last-write-wins (R-J07, R-J10, R-J11) ------------------------------------------------

def test_lessons_post_without_version_does_not_overwrite(w: W) -> None:
    """R-J07 («last write must not silently win»): POST lessons/ for a slot that already has a record,
    without its version or with an older one, is a 409 stale_version with the record as it is now."""
    c = client(w.teacher)
    payload = {"school_class": w.cls.pk, "subject": w.maths.pk, "date": "2026-11-24", "lesson_number": 1, "topic": "Первая"}
    assert post(c, w.api("lessons/"), payload).status_code == 201
    body = error(post(c, w.api("lessons/"), {**payload, "topic": "Вторая"}), 409)
    assert body["code"] == "stale_version" and body["current"]["topic"] == "Первая" and body["current"]["version"] == 1
    assert error(post(c, w.api("lessons/"), {**payload, "topic": "Вторая", "version": 0}), 409)["code"] == "stale_version"
    assert post(c, w.api("lessons/"), {**payload, "topic": "Вторая", "version": 1}).status_code == 200
    assert error(post(c, w.api("lessons/"), {**payload, "topic": "Третья", "version": 1}), 409)["code"] == "stale_version"
    assert Lesson.objects.get().topic == "Вторая"


def test_period_mark_created_meanwhile_is_a_conflict(w: W, monkeypatch: pytest.MonkeyPatch) -> None:
    """R-J11: a user who saw no mark (version 0, or none given through the API) does not overwrite one
    set meanwhile by somebody else; the page's form carries 0 for an empty cell."""
    monkeypatch.setattr(rules, "today", lambda: D(2026, 12, 28))
    args = {"school_class": w.cls, "subject": w.maths, "student_id": w.students[0].pk, "kind": "period", "period": w.q2}
    period_marks.set_period_mark(w.class_teacher, w.school, value="4", expected_version=0, **args)
    with pytest.raises(Conflict) as exc:
        period_marks.set_period_mark(w.teacher, w.school, value="5", expected_version=0, **args)
    assert exc.value.code == "stale_version" and "уже выставил" in exc.value.message
    body = {"student": w.students[0].pk, "kind": "period", "period": w.q2.pk, "value": "5"}
    assert error(post(client(w.teacher), w.api(f"final-marks/{w.cls.pk}/{w.maths.pk}/"), body), 409)["code"] == "stale_version"
    assert post(client(w.teacher), w.api(f"final-marks/{w.cls.pk}/{w.maths.pk}/"), {**body, "expected_version": 1}).status_code == 200
    assert PeriodMark.objects.get().value == 5
    page = client(w.teacher).get(w.url(f"final/{w.cls.pk}/{w.maths.pk}/?kind=period&period={w.q2.pk}")).content.decode()
    assert f'name="v_{w.students[1].pk}" value="0"' in page


def test_notebook_transfer_refuses_an_existing_mark_and_a_second_entry(w: W) -> None:
    """R-J10: moving a notebook entry into a cell that has a mark is refused in Russian (no overwrite);
    two entries for the same student and work: the second is refused (not a 500), nothing half written."""
    today_lesson = lesson(w, TODAY, 1)
    work = work_with_marks(w, today_lesson, {1: 2})
    first = notebook.add_note(w.teacher, w.school, school_class=w.cls, subject=w.maths, student_id=w.students[0].pk, value="4")
    second = notebook.add_note(w.teacher, w.school, school_class=w.cls, subject=w.maths, student_id=w.students[0].pk, value="5")
    third = notebook.add_note(w.teacher, w.school, school_class=w.cls, subject=w.maths, student_id=w.students[1].pk, value="5")
    notebook.move_to_journal(w.teacher, w.school, first.pk, work)
    with pytest.raises(Conflict) as exc:
        notebook.move_to_journal(w.teacher, w.school, second.pk, work)
    assert exc.value.code == "mark_exists" and "уже есть отметка «4»" in exc.value.message
    with pytest.raises(Conflict):
        notebook.move_to_journal(w.teacher, w.school, third.pk, work)
    assert sorted(Mark.objects.values_list("value", flat=True)) == [2, 4]
    assert NotebookEntry.objects.filter(moved_to__isnull=True).count() == 2
    response = post(client(w.teacher), w.api(f"notebook/{second.pk}/move/"), {"work": work.pk})
    assert error(response, 409)["code"] == "mark_exists"


def test_external_mark_does_not_overwrite(w: W) -> None:
    """R-J09: a mark from elsewhere goes into an empty cell only; an existing mark is refused with a clear
    Russian error (service and API)."""
    today_lesson = lesson(w, TODAY, 1)
    work = work_with_marks(w, today_lesson, {0: 3})
    with pytest.raises(Conflict) as exc:
        services.record_external_mark(w.teacher, w.school, work, w.students[0].pk, "5", "Справка")
    assert exc.value.code == "mark_exists" and "не заменяет" in exc.value.message
    body = {"lesson": today_lesson.pk, "work": work.pk, "student": w.students[0].pk, "value": "5", "document": "Справка"}
    assert error(post(client(w.teacher), w.api("external-marks/"), body), 409)["code"] == "mark_exists"
    assert Mark.objects.get().value == 3
    created = post(client(w.teacher), w.api("external-marks/"), {**body, "student": w.students[1].pk})
    assert created.status_code == 201 and created.json()["source_document"] == "Справка"


def test_notebook_entries_audited_and_only_the_teachers_own(w: W) -> None:
    """R-J10, R-A01: writing, changing and deleting a notebook entry are in the audit log with before and
    after; another teacher cannot change or delete it (API: 404, learns nothing)."""
    entry = notebook.add_note(w.teacher, w.school, school_class=w.cls, subject=w.maths, student_id=w.students[0].pk,
                              value="3", note="черновик")
    added = AuditRecord.objects.get(action="journal.notebook.add")
    assert added.after["value"] == 3 and added.actor_id == w.teacher.pk
    changed = post(client(w.teacher), w.api(f"notebook/{entry.pk}/"), {"value": "4", "note": "после пересдачи"}, "PATCH")
    assert changed.status_code == 200 and changed.json()["value"] == 4
    audit = AuditRecord.objects.get(action="journal.notebook.change")
    assert (audit.before["value"], audit.after["value"], audit.after["note"]) == (3, 4, "после пересдачи")
    assert error(post(client(w.other), w.api(f"notebook/{entry.pk}/"), {"value": "2"}, "PATCH"), 404)["code"] == "not_found"
    assert error(post(client(w.other), w.api(f"notebook/{entry.pk}/"), {}, "DELETE"), 404)["code"] == "not_found"
    assert error(post(client(w.parent), w.api(f"notebook/{entry.pk}/"), {}, "DELETE"), 403)["code"] == "forbidden"
    assert error(post(client(w.teacher), w.api(f"notebook/{entry.pk}/"), {"value": "6"}, "PATCH"), 400)["code"] == "bad_mark"
    assert post(client(w.teacher), w.api(f"notebook/{entry.pk}/"), {}, "DELETE").status_code == 204
    deleted = AuditRecord.objects.get(action="journal.notebook.delete")
    assert deleted.before["value"] == 4 and not NotebookEntry.objects.exists()
    moved = notebook.add_note(w.teacher, w.school, school_class=w.cls, subject=w.maths, student_id=w.students[0].pk, value="5")
    notebook.move_to_journal(w.teacher, w.school, moved.pk, work_with_marks(w, lesson(w, TODAY, 2), {}))
    move = AuditRecord.objects.get(action="journal.notebook.move")
    assert move.before["moved_to"] is None and move.after["moved_to"] == Mark.objects.get().pk


# --- 5. the period-mark deadline in calendar days (R-J11) ----------------------------------------------

def test_period_mark_window_is_three_calendar_days(w: W) -> None:
    """R-J11: 001 §3.2 «не позднее 3-х дней после окончания учебного периода» — calendar days (the
    regulations say «рабочих дней» where they mean working days): the 1st quarter ended on Sunday
    25.10, so its window closes on Wednesday 28.10 whatever the weekends."""
    assert period_marks.window(w.cls, "period", w.q1) == (Q1_END, D(2026, 10, 28))
    args = {"school_class": w.cls, "subject": w.maths, "student_id": w.students[0].pk, "kind": "period", "period": w.q1,
            "value": "4"}
    period_marks.set_period_mark(w.teacher, w.school, on=D(2026, 10, 28), **args)
    with pytest.raises(period_marks.OutsideWindow):
        period_marks.set_period_mark(w.teacher, w.school, on=D(2026, 10, 29), expected_version=1, **args)


# --- the pages (R-J08, R-J09, R-J11) -------------------------------------------------------------------

def test_pages_forgotten_lesson_request_filed_and_approved(w: W) -> None:
    """R-J08: «Новая заявка» lists the teacher's timetable lessons of the date with no record; the slot's
    form files the request (topic, attendance, reason); the deputy's page approves it and the lesson exists."""
    _timetable(w, 2)
    c = client(w.teacher)
    page = c.get(w.url(f"requests/new/?date={LOCKED_DAY.isoformat()}")).content.decode()
    assert 'data-testid="slot-choices"' in page and "записать урок по заявке" in page
    url = w.url(f"requests/new/lesson/?date={LOCKED_DAY.isoformat()}&class={w.cls.pk}&subject={w.maths.pk}&number=2")
    assert c.get(url).status_code == 200
    form = {"date": LOCKED_DAY.isoformat(), "class": w.cls.pk, "subject": w.maths.pk, "number": 2, "subgroup": "",
            "topic": "Дроби", "homework": "№ 7", f"a_{w.students[2].pk}": "late", "reason": "Забыла записать"}
    response = c.post(w.url("requests/new/lesson/"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    filed = ChangeRequest.objects.get()
    assert [ch["op"] for ch in filed.changes] == ["new_lesson", "attendance"]
    detail = client(w.deputy).get(w.url(f"requests/{filed.pk}/")).content.decode()
    assert "Новый урок 2: тема «Дроби»; домашнее задание «№ 7»" in detail
    assert client(w.deputy).post(w.url(f"requests/{filed.pk}/"), {"action": "approve", "note": ""}).status_code == 302
    assert Lesson.objects.get().topic == "Дроби" and Attendance.objects.get().status == "late"
    register = client(w.deputy).get(w.url("requests/register/?start=2026-11-01&end=2026-11-30")).content.decode()
    assert "Новый урок 2" in register
    assert client(w.other).get(url).status_code == 404  # not in their timetable
    assert client(w.parent).get(url).status_code == 403
    assert client(w.teacher).get(url).status_code == 404  # recorded now: nothing to ask for


def test_pages_period_mark_request(w: W) -> None:
    """R-J11, R-J08: the closed final-marks page links to the request; the request page lists current marks,
    files the corrected ones; another teacher and a parent are refused."""
    q1_mark(w, 0, 3)
    c = client(w.teacher)
    final = c.get(w.url(f"final/{w.cls.pk}/{w.maths.pk}/?kind=period&period={w.q1.pk}")).content.decode()
    assert 'data-testid="final-request-link"' in final
    url = w.url(f"requests/new/final/{w.cls.pk}/{w.maths.pk}/?kind=period&period={w.q1.pk}")
    assert 'data-testid="request-final-form"' in c.get(url).content.decode()
    form = {"kind": "period", "period": w.q1.pk, f"mark_{w.students[0].pk}": "4", f"mark_{w.students[1].pk}": "",
            f"mark_{w.students[2].pk}": "", "reason": "Ошибка"}
    assert c.post(w.url(f"requests/new/final/{w.cls.pk}/{w.maths.pk}/"), form).status_code == 302
    filed = ChangeRequest.objects.get()
    assert filed.changes == [{"op": "period_mark", "student": w.students[0].pk, "kind": "period", "period": w.q1.pk,
                              "value": "4", "was": "3"}]
    assert "отметка за 1 четверть: 3 → 4" in client(w.deputy).get(w.url("requests/")).content.decode()
    open_page = c.get(w.url(f"requests/new/final/{w.cls.pk}/{w.maths.pk}/?kind=period&period={w.q2.pk}")).content.decode()
    assert 'data-testid="request-final-open"' in open_page
    assert client(w.other).get(url).status_code == 403
    assert client(w.parent).get(url).status_code == 403
    assert client(w.students[0]).post(w.url(f"requests/new/final/{w.cls.pk}/{w.maths.pk}/"), form).status_code == 403
    assert ChangeRequest.objects.count() == 1


def test_pages_request_with_a_hospital_document(w: W) -> None:
    """R-J09, R-J08: the lesson's request form carries the document the changed marks rest on."""
    old = lesson(w, LOCKED_DAY, 3)
    work = work_with_marks(w, old, {})
    Attendance.objects.create(lesson=old, student=w.students[0], status="absent", created_by=w.teacher)
    form = {f"a_{w.students[0].pk}": "absent", f"a_{w.students[1].pk}": "", f"a_{w.students[2].pk}": "",
            f"m_{work.pk}_{w.students[0].pk}": "5", f"m_{work.pk}_{w.students[1].pk}": "", f"m_{work.pk}_{w.students[2].pk}": "",
            "topic": "", "done": "", "homework": "", "source_document": "Справка ГБУЗ № 3", "reason": "Отметка из больницы"}
    response = client(w.teacher).post(w.url(f"requests/new/{old.pk}/"), form)
    assert response.status_code == 302, response.content.decode()[:1500]
    filed = ChangeRequest.objects.get()
    assert filed.changes[0]["source_document"] == "Справка ГБУЗ № 3"
    services.approve_change_request(w.deputy, w.school, filed.pk)
    assert Mark.objects.get().source_document == "Справка ГБУЗ № 3"


def test_anonymous_is_sent_to_sign_in_on_the_new_pages(w: W) -> None:
    """R-A01: the new request pages need a signed-in member of the school."""
    from django.test import Client

    for tail in ("requests/new/lesson/?date=2026-11-16", f"requests/new/final/{w.cls.pk}/{w.maths.pk}/"):
        response = Client().get(w.url(tail))
        assert response.status_code in (302, 403), (tail, response.status_code)
        if response.status_code == 302:
            assert "login" in response["Location"] or "signin" in response["Location"] or "account" in response["Location"]


# --- access table of the new routes (R-A01, R-P01) ------------------------------------------------------
# route name, method, page|api, path, statuses in the order of WHO. A fresh notebook entry per call. The slot page
# answers 404 to whoever has no such lesson without a record in their own timetable (the deputy, another teacher).

WHO = ("teacher", "deputy", "class_teacher", "other_teacher", "parent", "student", "teacher_b", "anonymous")
ROUTES: list[tuple[str, str, str, str, tuple[int, ...]]] = [
    ("school:journal-request-slot", "GET", "page", "requests/new/lesson/?date=2026-11-16&class={cls}&subject={subj}&number=2",
     (200, 404, 404, 404, 403, 403, 403, 302)),
    ("school:journal-request-slot", "POST", "page", "requests/new/lesson/?date=2026-11-16&class={cls}&subject={subj}&number=2",
     (200, 404, 404, 404, 403, 403, 403, 302)),
    ("school:journal-request-final", "GET", "page", "requests/new/final/{cls}/{subj}/?kind=period&period={q1}",
     (200, 200, 200, 403, 403, 403, 403, 302)),
    ("school:journal-request-final", "POST", "page", "requests/new/final/{cls}/{subj}/?kind=period&period={q1}",
     (200, 403, 200, 403, 403, 403, 403, 302)),
    # Anybody but the entry's teacher learns nothing of it (404), whoever holds no journal right is refused (403).
    ("api-journal-control-notebook-entry", "PATCH", "api", "notebook/{entry}/", (200, 404, 404, 404, 403, 403, 403, 401)),
    ("api-journal-control-notebook-entry", "DELETE", "api", "notebook/{entry}/", (204, 404, 404, 404, 403, 403, 403, 401)),
]


def exercised_urls(slug: str = "alpha") -> list[str]:
    """ "METHOD /url" of each row above, for tests/test_isolation.py's check that every route has an access table."""
    return [f"{method} " + (f"/s/{slug}/journal/" if kind == "page" else f"/api/v1/schools/{slug}/journal/")
            + path.split("?")[0].format(cls=1, subj=1, q1=1, entry=1) for _route, method, kind, path, _codes in ROUTES]


@pytest.mark.parametrize(("route", "method", "kind", "path", "codes"), [pytest.param(*row, id=f"{row[1]} {row[0]}") for row in ROUTES])
def test_new_routes_access_table(school_b: Any, w: W, make_person: Any, grant: Any, route: str, method: str, kind: str, path: str,
                                 codes: tuple[int, ...]) -> None:
    """R-A01, R-P01: each new route (journal-request-slot, journal-request-final, api-journal-control-notebook-entry)
    × who may and who may not: another teacher, a parent, a student, a teacher of another school, anonymous."""
    from django.test import Client

    from accounts.roles import Role
    from tenants.db import use_public, use_school

    _timetable(w, 2)
    use_public()
    teacher_b = make_person("Чужая", "Учительница")
    grant(teacher_b, Role.TEACHER, school_b)
    use_school(w.school)
    people = {"teacher": w.teacher, "deputy": w.deputy, "class_teacher": w.class_teacher, "other_teacher": w.other,
              "parent": w.parent, "student": w.students[0], "teacher_b": teacher_b, "anonymous": None}
    for who, code in zip(WHO, codes, strict=True):
        entry = NotebookEntry.objects.create(teacher=w.teacher, school_class=w.cls, subject=w.maths, student=w.students[0],
                                             value=3, date=TODAY)
        url = (w.url if kind == "page" else w.api)(path.format(cls=w.cls.pk, subj=w.maths.pk, q1=w.q1.pk, entry=entry.pk))
        person = people[who]
        c = client(person) if person is not None else Client()
        body = json.dumps({"note": "x"}) if kind == "api" else ""
        response = c.generic(method, url, body, content_type="application/json" if kind == "api" else "application/x-www-form-urlencoded",
                             HTTP_ACCEPT="application/json" if kind == "api" else "text/html")
        use_school(w.school)
        assert response.status_code == code, (route, method, who, response.status_code)
        assert NotebookEntry.objects.filter(pk=entry.pk).exists() != (who == "teacher" and method == "DELETE")
    assert not ChangeRequest.objects.exists()


def test_no_period_mark_request_where_no_marks_are_given(w: W) -> None:
    """R-J11, R-J15, R-J04: no period mark through a request either in an extracurricular subject."""
    from curriculum.models import Subject, TeachingAssignment

    club = Subject.objects.create(name="Шахматы", is_extracurricular=True)
    TeachingAssignment.objects.create(teacher=w.teacher, subject=club, school_class=w.cls, hours_per_week=1)
    with pytest.raises(ValidationFailed) as exc:
        services.file_change_request(w.teacher, w.school, changes=[
            {"op": "period_mark", "student": w.students[0].pk, "kind": "period", "period": w.q1.pk, "value": "5"}],
            description="x", reason="y", school_class=w.cls, subject=club)
    assert exc.value.code == "extracurricular_no_marks" and not ChangeRequest.objects.exists()
