"""Fixes after the journal review of 25.11: a forgotten lesson approved with everyone present has its
attendance taken (R-J05, R-J08); change-request lists without a query per period mark (R-J08); bad
digits refused with 400, not 500 (R-J08); work types changed field by field with a version (R-J03);
a work type deleted while a work takes it (R-J03); an approved period mark changed since the request
was filed (R-J11, R-J08). "Today" is Wednesday 2026-11-25; the 1st quarter ended on Sunday 25.10."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditRecord
from core.errors import ValidationFailed
from journal import selectors, services, settings_service
from journal.models import ChangeRequest, ChangeRequestStatus, Lesson, PeriodMark, Work, WorkType
from tests.test_journal_control import LOCKED_DAY, W, client, lesson
from tests.test_journal_requests_more import _timetable, error, post, q1_mark, w

pytestmark = pytest.mark.django_db
__all__ = ["w"]
D_TODAY = dt.date(2026, 11, 24)  # yesterday: inside the 7-day lock


# --- 1. R-J05, R-J08: a forgotten lesson approved with everyone present -------------------------------

def test_forgotten_lesson_with_everyone_present_has_attendance_taken(w: W) -> None:
    """R-J05, R-J08: the slot request lists only the absent and the late; with everyone present it has no
    attendance change at all. The approval creates the record with its attendance taken (late by nature,
    as the request is past the lock), audited with the request's number; the deputy's list does not keep
    it as «посещаемость не отмечена»."""
    _timetable(w)
    from journal.views_control import file_request

    filed = file_request(w.teacher, w.school, None, [{"op": "new_lesson", "subgroup": None, "lesson_number": 2, "topic": "Дроби"}],
                         reason="Забыла записать урок", school_class=w.cls, subject=w.maths, date=LOCKED_DAY)
    services.approve_change_request(w.deputy, w.school, filed.pk)
    created = Lesson.objects.get()
    assert created.attendance_taken_at is not None and created.attendance_taken_at.date() > created.date
    audit = AuditRecord.objects.get(action="journal.attendance.taken", actor=w.deputy)
    assert audit.reason == f"Заявка №{filed.pk}" and (audit.after or {})["late"] is True and audit.before == {"attendance_taken_at": None}
    rows = [r for r in selectors.lessons_to_check(LOCKED_DAY, LOCKED_DAY) if r.lesson is not None and r.lesson.pk == created.pk]
    assert rows and all(r.attendance_taken for r in rows)


# --- 2. R-J08: the change-request lists without a query per period mark ------------------------------

def _period_requests(w: W, count: int) -> None:
    ChangeRequest.objects.all().delete()
    from journal.views_control import file_request

    filed = file_request(w.teacher, w.school, None, [
        {"op": "period_mark", "student": w.students[0].pk, "kind": "period", "period": w.q1.pk, "value": "4"}],
        reason="Пересчёт", school_class=w.cls, subject=w.maths)
    for _ in range(count - 1):
        filed.pk = None
        filed.save()


def _queries(w: W, count: int) -> tuple[int, int]:
    _period_requests(w, count)
    lists = [r.changes for r in ChangeRequest.objects.all()]
    with CaptureQueriesContext(connection) as described:
        texts = selectors.describe_changes(lists)
    assert len(texts) == count and all("1 четверть" in t[0] for t in texts)
    deputy = client(w.deputy)
    with CaptureQueriesContext(connection) as api:
        response = deputy.get(w.api("change-requests/"), HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    return len(described), len(api)


def test_change_request_lists_load_study_periods_once(w: W, django_assert_max_num_queries: Any) -> None:
    """R-J08: `describe_changes` (the requests page and the API list) loads the study periods of every
    `period_mark` change in one query: the same number of queries for 1 request as for 20."""
    one = _queries(w, 1)
    twenty = _queries(w, 20)
    assert one == twenty, (one, twenty)
    lists = [r.changes for r in ChangeRequest.objects.all()]
    with django_assert_max_num_queries(2):  # students and study periods
        selectors.describe_changes(lists)


# --- 3. R-J08: digits that are not decimal digits: 400, not 500 --------------------------------------

def test_superscript_digits_refused_with_400(w: W) -> None:
    """R-J08: "²".isdigit() is true but int("²") fails; the change-request API refuses such a student key
    of a forgotten lesson's marks and such a lesson id with a 400 naming the field; the grid ignores such a
    subgroup instead of failing."""
    _timetable(w)
    teacher = client(w.teacher)
    body = {"school_class": w.cls.pk, "subject": w.maths.pk, "date": LOCKED_DAY.isoformat(), "reason": "Забыла",
            "changes": [{"op": "new_lesson", "subgroup": None, "lesson_number": 2, "topic": "Дроби",
                         "works": [{"work_type": w.answer.pk, "topic": "", "marks": {"²": "5"}}]}]}
    refused = error(post(teacher, w.api("change-requests/"), body), 400)
    assert refused["fields"]["changes"][0].endswith("student"), refused
    refused = error(post(teacher, w.api("change-requests/"), {"lesson": "²", "reason": "x", "changes": []}), 400)
    assert "lesson" in refused["fields"]
    grid = teacher.get(w.api(f"grid/{w.cls.pk}/{w.maths.pk}/?subgroup=²"), HTTP_ACCEPT="application/json")
    assert grid.status_code == 200
    assert "Ученик00" in selectors.describe_changes([[{"op": "new_lesson", "lesson_number": 2, "works": [
        {"work_type": w.answer.pk, "marks": {"²": "5", str(w.students[0].pk): "4"}}]}]])[0][0]


# --- 4. R-J03: work types changed field by field, with a version -------------------------------------

def send(c: Any, method: str, url: str, body: dict[str, Any]) -> Any:
    return post(c, url, body, method)


def test_work_type_patch_and_put_change_only_the_fields_sent(w: W) -> None:
    """R-J03: PATCH and PUT alike change only the fields sent: a new weight does not switch a control work
    back to an ordinary one nor a switched-off type back on; the version grows with each change."""
    director = client(w.director)
    spare = WorkType.objects.create(name="Зачёт", weight=2, requires_all_marks=True, is_active=False, order=50)
    url = w.api(f"settings/work-types/{spare.pk}/")
    for method, weight in (("PATCH", "3"), ("PUT", "4")):
        response = send(director, method, url, {"weight": weight})
        assert response.status_code == 200, response.content
        data = response.json()
        assert (data["weight"], data["requires_all_marks"], data["is_active"], data["name"], data["order"]) == (
            f"{weight}.0", True, False, "Зачёт", 50)
    spare.refresh_from_db()
    assert spare.version == 3 and not spare.is_active and spare.requires_all_marks
    schema = director.get("/api/schema/?format=json").content.decode()
    assert "stale_version" in schema and "PATCH" in schema


def test_work_type_stale_version_is_a_conflict_api_and_page(w: W) -> None:
    """R-J03: two administrators edit the same type: the one who saved second, from the older version, gets
    409 stale_version (API) or a message on the page (its form carries the version), and nothing changes."""
    director = client(w.director)
    url = w.api(f"settings/work-types/{w.answer.pk}/")
    version = director.get(w.api("settings/work-types/"), HTTP_ACCEPT="application/json").json()
    version = next(t["version"] for t in version if t["id"] == w.answer.pk)
    assert send(director, "PATCH", url, {"weight": "2", "version": version}).status_code == 200
    stale = error(send(director, "PATCH", url, {"weight": "5", "version": version}), 409)
    assert stale["code"] == "stale_version"
    w.answer.refresh_from_db()
    assert str(w.answer.weight) == "2.0" and w.answer.version == version + 1
    page = director.get(w.url("settings/"))
    assert page.status_code == 200
    assert f'name="wt{w.answer.pk}-version" value="{version + 1}"' in page.content.decode()
    form = {f"wt{w.answer.pk}-name": w.answer.name, f"wt{w.answer.pk}-weight": "7", f"wt{w.answer.pk}-is_active": "on",
            f"wt{w.answer.pk}-version": str(version)}
    response = director.post(w.url(f"settings/work-types/{w.answer.pk}/"), form, follow=True)
    assert "изменил другой пользователь" in response.content.decode()
    w.answer.refresh_from_db()
    assert str(w.answer.weight) == "2.0"
    form[f"wt{w.answer.pk}-version"] = str(version + 1)
    director.post(w.url(f"settings/work-types/{w.answer.pk}/"), form)
    w.answer.refresh_from_db()
    assert str(w.answer.weight) == "7.0"


# --- 5. R-J03: a work type deleted while a work takes it ---------------------------------------------

def test_add_work_rereads_the_type_under_lock(w: W) -> None:
    """R-J03: add_work checks the type as it is in the database inside its transaction: a type the teacher's
    page still shows as active but switched off (or deleted) meanwhile is refused, no work is created."""
    les = lesson(w, D_TODAY, 2)
    spare = WorkType.objects.create(name="Зачёт", weight=1, order=50)
    shown = WorkType.objects.get(pk=spare.pk)
    WorkType.objects.filter(pk=spare.pk).update(is_active=False)
    with pytest.raises(ValidationFailed) as off:
        services.add_work(w.teacher, w.school, les, shown)
    assert off.value.code == "work_type_inactive"
    WorkType.objects.filter(pk=spare.pk).delete()
    with pytest.raises(ValidationFailed) as gone:
        services.add_work(w.teacher, w.school, les, shown)
    assert gone.value.code == "work_type_inactive" and "удалён" in gone.value.message
    assert not Work.objects.exists()


def test_remove_work_type_taken_meanwhile_is_switched_off(w: W, monkeypatch: pytest.MonkeyPatch) -> None:
    """R-J03: if a work took the type between the «unused?» check and the delete, the type is switched off
    (audited) instead of a 500; the work keeps it."""
    spare = WorkType.objects.create(name="Зачёт", weight=1, order=50)
    work = Work.objects.create(lesson=lesson(w, D_TODAY, 2), work_type=spare, position=1)

    class Unseen:
        class objects:  # stands in for the manager
            @staticmethod
            def filter(**kwargs: Any) -> Any:
                return Work.objects.none()

    monkeypatch.setattr(settings_service, "Work", Unseen)
    assert settings_service.remove_work_type(w.director, w.school, spare) is False
    spare.refresh_from_db()
    assert not spare.is_active and Work.objects.get(pk=work.pk).work_type_id == spare.pk
    assert not AuditRecord.objects.filter(action="journal.work_type.delete").exists()
    assert AuditRecord.objects.filter(action="journal.work_type.update", object_id=str(spare.pk)).exists()


# --- 6. R-J11, R-J08: two pending requests for the same period mark ----------------------------------

def test_second_request_for_the_same_period_mark_is_stale(w: W) -> None:
    """R-J11, R-J08: two requests filed for the same quarter mark (both «3 → …»); the first approved sets
    4; the second, approved after, would silently overwrite it: refused with stale_version and a Russian
    message, nothing changed, the request still pending (the deputy rejects it or the teacher files anew)."""
    q1_mark(w, 0, 3)
    from journal.views_control import file_request

    def file(value: str) -> ChangeRequest:
        return file_request(w.teacher, w.school, None, [
            {"op": "period_mark", "student": w.students[0].pk, "kind": "period", "period": w.q1.pk, "value": value}],
            reason="Пересчёт", school_class=w.cls, subject=w.maths)

    first, second = file("4"), file("5")
    assert first.changes[0]["was"] == second.changes[0]["was"] == "3"
    services.approve_change_request(w.deputy, w.school, first.pk)
    refused = error(post(client(w.deputy), w.api(f"change-requests/{second.pk}/approve/"), {}), 400)
    assert refused["code"] == "stale_version" and "изменили после подачи заявки" in refused["message"]
    assert PeriodMark.objects.get().value == 4
    assert ChangeRequest.objects.get(pk=second.pk).status == ChangeRequestStatus.PENDING
    third = file("5")
    services.approve_change_request(w.deputy, w.school, third.pk)
    assert PeriodMark.objects.get().value == 5



# --- access table of the new method (PATCH api-journal-settings-work-type) ----------------------------

def exercised_urls(slug: str = "alpha") -> list[str]:
    """ "METHOD /url" of the method added here, for tests/test_isolation.py's check of access tables."""
    return [f"PATCH /api/v1/schools/{slug}/journal/settings/work-types/1/"]


def test_work_type_patch_access_table(school_b: Any, w: W, make_person: Any, grant: Any) -> None:
    """R-A01, R-J03: PATCH settings/work-types/<id>/ (api-journal-settings-work-type): the director changes the
    type; the deputy, a teacher, a parent, a student, a director of another school get 403, anonymous 401;
    nothing changes for them."""
    from django.test import Client

    from accounts.roles import Role
    from tenants.db import use_public, use_school

    use_public()
    director_b = make_person("Чужой", "Директор")
    grant(director_b, Role.DIRECTOR, school_b)
    use_school(w.school)
    url = w.api(f"settings/work-types/{w.answer.pk}/")
    for person, code in ((w.deputy, 403), (w.teacher, 403), (w.parent, 403), (w.students[0], 403), (director_b, 403),
                         (None, 401), (w.director, 200)):
        c = client(person) if person is not None else Client()
        response = send(c, "PATCH", url, {"weight": "3"})
        use_school(w.school)
        assert response.status_code == code, (person, response.status_code, response.content[:300])
        w.answer.refresh_from_db()
        assert (str(w.answer.weight) == "3.0") == (code == 200)
