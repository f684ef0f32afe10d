"""The journal's control and end-of-period work through the API (R-J08, R-J09, R-J10, R-J11, R-J12,
R-J13, R-J15, R-J02, R-J05): the same services as the pages, one JSON error shape, documented in
the OpenAPI schema. "Today" is Wednesday 2026-11-25."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from audit.models import AuditRecord
from journal import rules
from journal.models import (
    ActivityGroup,
    ActivitySession,
    ChangeRequest,
    JournalSettings,
    KtpPlan,
    Mark,
    NotebookEntry,
    PeriodMark,
)
from tests.test_journal_control import LOCKED_DAY, TODAY, W, build, client, lesson, work_with_marks, xlsx

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def w(school_a: Any, make_person: Any, grant: Any, monkeypatch: pytest.MonkeyPatch) -> W:
    monkeypatch.setattr(rules, "today", lambda: TODAY)
    return build(school_a, make_person, grant)


def post(c: Any, url: str, body: dict[str, Any], method: str = "POST") -> Any:
    return c.generic(method, url, json.dumps(body), content_type="application/json", HTTP_ACCEPT="application/json")


def error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()["error"]
    assert body["code"] and body["message"]
    return dict(body)


def test_change_request_through_the_api_approve_then_refused_twice(w: W) -> None:
    """R-J08: file (with the changes in words and their old values), list, approve (applied and logged);
    a decided request cannot be changed: JSON error with a code."""
    old = lesson(w, LOCKED_DAY, 3)
    work = work_with_marks(w, old, {0: 2})
    teacher, deputy = client(w.teacher), client(w.deputy)
    body = {"lesson": old.pk, "reason": "Ошибка ввода", "changes": [
        {"op": "mark", "work": work.pk, "student": w.students[0].pk, "value": "3"},
        {"op": "lesson", "homework": "№ 12"}]}
    bad = post(teacher, w.api("change-requests/"), {**body, "changes": [{"op": "mark", "work": work.pk, "student": w.students[0].pk,
                                                                        "value": "6"}]})
    assert error(bad, 400)["code"] == "bad_mark" and not ChangeRequest.objects.exists()
    assert error(post(client(w.other), w.api("change-requests/"), body), 403)["code"] == "forbidden"
    assert error(post(client(w.parent), w.api("change-requests/"), body), 403)["code"] == "forbidden"
    filed = post(teacher, w.api("change-requests/"), body)
    assert filed.status_code == 201, filed.content
    data = filed.json()
    assert (data["class_name"], data["subject_name"], data["target_date"], data["teacher"]["full_name"], data["status"]) == (
        "5А", "Математика", "2026-11-16", "Лебедева Ольга", "pending")
    assert data["changes_text"][0] == "Ученик00 Т.И.: отметка за «Ответ на уроке»: 2 → 3"
    assert [r["id"] for r in teacher.get(w.api("change-requests/")).json()["results"]] == [data["id"]]
    assert client(w.other).get(w.api("change-requests/")).json()["results"] == []
    assert error(post(teacher, w.api(f"change-requests/{data['id']}/approve/"), {}), 403)["code"] == "forbidden"
    approved = post(deputy, w.api(f"change-requests/{data['id']}/approve/"), {"note": "Обосновано"})
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert Mark.objects.get().value == 3
    old.refresh_from_db()
    assert old.homework == "№ 12"
    assert AuditRecord.objects.filter(action="journal.lesson.save", actor=w.deputy).exists()
    again = error(post(deputy, w.api(f"change-requests/{data['id']}/reject/"), {"note": "нет"}), 400)
    assert again["code"] == "already_decided" and "уже рассмотрена" in again["message"]
    assert teacher.get(w.api(f"change-requests/{data['id']}/")).json()["decision_note"] == "Обосновано"


def test_reject_needs_a_reason_in_the_api(w: W) -> None:
    """R-J08: a rejection without its reason is refused with the field named."""
    old = lesson(w, LOCKED_DAY, 3)
    filed = ChangeRequest.objects.create(requested_by=w.teacher, school_class=w.cls, subject=w.maths, lesson=old, target_date=old.date,
                                         changes=[{"op": "lesson", "topic": "x"}], description="x", reason="x")
    body = error(post(client(w.deputy), w.api(f"change-requests/{filed.pk}/reject/"), {"note": ""}), 400)
    assert "note" in body["fields"]
    assert post(client(w.deputy), w.api(f"change-requests/{filed.pk}/reject/"), {"note": "Нет оснований"}).json()["status"] == "rejected"


def test_final_marks_api_window_and_warnings(w: W, monkeypatch: pytest.MonkeyPatch) -> None:
    """R-J11, R-J12: the sheet with counts, averages, proposals and the window; outside the window a 409
    with a code; inside it the mark is saved with the shortage warning; a stale version is a conflict."""
    for day, value in ((9, 5), (10, 4)):
        work_with_marks(w, lesson(w, D(2026, 11, day), 1), {0: value})
    c = client(w.teacher)
    sheet = c.get(w.api(f"final-marks/{w.cls.pk}/{w.maths.pk}/?period={w.q2.pk}")).json()
    assert (sheet["window_opens"], sheet["window_closes"], sheet["is_open"], sheet["min_marks"]) == ("2026-12-27", "2026-12-30", False, 5)
    first = sheet["rows"][0]
    assert (first["count"], first["plain"], first["proposed"], first["short"], first["mark"]) == (2, "4.50", 4, True, None)
    body = {"student": w.students[0].pk, "kind": "period", "period": w.q2.pk, "value": "4"}
    assert error(post(c, w.api(f"final-marks/{w.cls.pk}/{w.maths.pk}/"), body), 409)["code"] == "period_mark_window"
    monkeypatch.setattr(rules, "today", lambda: D(2026, 12, 29))
    saved = post(c, w.api(f"final-marks/{w.cls.pk}/{w.maths.pk}/"), body)
    assert saved.status_code == 200 and saved.json()["mark"]["value"] == "4"
    assert "нужно не меньше 5" in saved.json()["warnings"][0]
    stale = post(c, w.api(f"final-marks/{w.cls.pk}/{w.maths.pk}/"), {**body, "value": "5", "expected_version": 0})
    assert error(stale, 409)["code"] == "stale_version" and PeriodMark.objects.get().value == 4
    assert error(post(client(w.deputy), w.api(f"final-marks/{w.cls.pk}/{w.maths.pk}/"), body), 403)["code"] == "forbidden"
    assert error(client(w.other).get(w.api(f"final-marks/{w.cls.pk}/{w.maths.pk}/")), 403)["code"] == "forbidden"
    year = c.get(w.api(f"final-marks/{w.cls.pk}/{w.maths.pk}/?kind=year")).json()
    assert year["kind"] == "year" and year["period"] is None


def test_control_lists_api(w: W) -> None:
    """R-J05, R-J02, R-J12, R-J13: the deputy's lists as JSON; teachers are refused."""
    late = lesson(w, D(2026, 11, 20), 1, entered_late=True, topic="Тема", homework="ДЗ")
    from journal.models import Attendance

    Attendance.objects.create(lesson=late, student=w.students[0], created_by=w.teacher)
    deputy = client(w.deputy)
    lessons = deputy.get(w.api("control/lessons/?start=2026-11-01&end=2026-11-25")).json()
    # The absence was entered now, days after the lesson: late too (R-J05, from its own timestamp).
    assert [(r["lesson_id"], r["problems"]) for r in lessons] == [(late.pk, ["внесён не в день урока", "посещаемость внесена не в день урока"])]
    assert error(deputy.get(w.api("control/lessons/?start=2026-11-25&end=2026-11-01")), 400)["fields"]["start"]
    absences = deputy.get(w.api("control/absences/")).json()
    assert [(a["student"]["id"], a["due"]) for a in absences] == [(w.students[0].pk, "2026-11-24")]
    assert client(w.class_teacher).get(w.api("control/absences/")).json()[0]["class_name"] == "5А"
    short = deputy.get(w.api(f"control/short/?period={w.q2.pk}")).json()
    assert {r["subject_name"] for r in short} == {"Математика", "Музыка"} and len(short[0]["short"]) == 3
    ktp_rows = deputy.get(w.api("control/ktp/")).json()
    assert {(r["subject_name"], r["has_plan"], r["overdue"]) for r in ktp_rows} == {("Математика", False, True), ("Музыка", False, True)}
    for url in ("control/lessons/", "control/short/", "control/ktp/"):
        assert error(client(w.teacher).get(w.api(url)), 403)["code"] == "forbidden"


def test_external_mark_api(w: W) -> None:
    """R-J09: the API needs the document; the mark keeps it."""
    les = lesson(w, D(2026, 11, 24), 2)
    work = work_with_marks(w, les, {})
    c = client(w.teacher)
    body = {"lesson": les.pk, "work": work.pk, "student": w.students[0].pk, "value": "5", "document": ""}
    assert "document" in error(post(c, w.api("external-marks/"), body), 400)["fields"]
    created = post(c, w.api("external-marks/"), {**body, "document": "Табель санатория «Сосны»"})
    assert created.status_code == 201 and created.json()["source_document"] == "Табель санатория «Сосны»"
    assert error(post(client(w.other), w.api("external-marks/"), body), 403)["code"] == "forbidden"


def test_notebook_api_own_entries_only_and_move(w: W) -> None:
    """R-J10: the teacher's own notebook; moving an entry into the journal; another teacher cannot touch it."""
    les = lesson(w, D(2026, 11, 24), 1)
    work = work_with_marks(w, les, {})
    c = client(w.teacher)
    created = post(c, w.api("notebook/"), {"class_id": w.cls.pk, "subject_id": w.maths.pk, "student": w.students[1].pk, "value": "3",
                                           "note": "устно"})
    assert created.status_code == 201
    entry_id = created.json()["id"]
    got = c.get(w.api(f"notebook/?class_id={w.cls.pk}&subject_id={w.maths.pk}")).json()
    assert [e["id"] for e in got["entries"]] == [entry_id] and got["assignments"]
    assert client(w.deputy).get(w.api("notebook/")).json()["entries"] == []
    assert error(post(client(w.other), w.api(f"notebook/{entry_id}/move/"), {"work": work.pk}), 403)["code"] == "forbidden"
    assert error(post(c, w.api("notebook/999999/move/"), {"work": work.pk}), 404)["code"] == "not_found"
    moved = post(c, w.api(f"notebook/{entry_id}/move/"), {"work": work.pk})
    assert moved.status_code == 200 and moved.json()["display"] == "3"
    assert NotebookEntry.objects.get().moved_to_id == moved.json()["id"]


def test_ktp_api_put_and_import(w: W) -> None:
    """R-J13: the plan through the API (PUT) and from XLSX (multipart); bad rows are listed, nothing written."""
    c = client(w.teacher)
    url = w.api(f"ktp/{w.cls.pk}/{w.maths.pk}/")
    assert c.get(url).json()["exists"] is False
    put = post(c, url, {"topics": [{"number": 1, "title": "Числа", "hours": 2, "planned_date": "2026-09-02"}]}, method="PUT")
    assert put.status_code == 200 and put.json()["topics"][0]["title"] == "Числа" and put.json()["progress"]["topics_total"] == 1
    bad = c.post(url + "import/", {"file": xlsx([["№", "Тема"], [1, ""], ["x", "Тема"]])}, HTTP_ACCEPT="application/json")
    body = error(bad, 400)
    assert body["fields"]["file"] == ["Строка 2: пустая тема.", "Строка 3: номер «x» — не целое положительное число."]
    assert list(KtpPlan.objects.get().topics.values_list("title", flat=True)) == ["Числа"]
    good = c.post(url + "import/", {"file": xlsx([["Тема", "Часы"], ["Дроби", 3], ["Проценты", 2]])}, HTTP_ACCEPT="application/json")
    assert good.status_code == 200 and [t["title"] for t in good.json()["topics"]] == ["Дроби", "Проценты"]
    assert error(post(c, url + "import/", {}), 400)["fields"]["file"]
    assert error(post(client(w.other), url, {"topics": []}, method="PUT"), 403)["code"] == "forbidden"


def test_activities_api_no_marks(w: W) -> None:
    """R-J15: groups, members, sessions with topics and absences; no mark field anywhere."""
    deputy = client(w.deputy)
    created = post(deputy, w.api("activities/"), {"name": "Робототехника", "teacher": w.teacher.pk,
                                                  "students": [w.students[0].pk, w.students[2].pk]})
    assert created.status_code == 201
    group_id = created.json()["id"]
    assert error(post(client(w.teacher), w.api("activities/"), {"name": "x", "teacher": w.teacher.pk}), 403)["code"] == "forbidden"
    session = post(client(w.teacher), w.api(f"activities/{group_id}/sessions/"), {"date": "2026-11-24", "topic": "Датчики",
                                                                                   "absent": [w.students[2].pk]})
    assert session.status_code == 201 and session.json()["absent"] == [w.students[2].pk]
    assert error(post(deputy, w.api(f"activities/{group_id}/sessions/"), {"date": "2026-11-24", "topic": "x"}), 403)
    outsider = post(client(w.teacher), w.api(f"activities/{group_id}/sessions/"), {"date": "2026-11-24", "topic": "x",
                                                                                    "absent": [w.students[1].pk]})
    assert error(outsider, 400)["fields"]["absent"]
    detail = deputy.get(w.api(f"activities/{group_id}/")).json()
    assert [s["topic"] for s in detail["sessions"]] == ["Датчики"] and len(detail["members"]) == 2
    assert "mark" not in json.dumps(detail)
    assert ActivitySession.objects.count() == 1 and ActivityGroup.objects.count() == 1 and not Mark.objects.exists()


def test_settings_api(w: W) -> None:
    """R-J07, R-J11: read and change the school's journal settings, audited; bad values refused in Russian."""
    c = client(w.director)
    assert c.get(w.api("settings/")).json()["lock_days"] == 7
    body = {"lock_days": 5, "round_up_from": "0.70", "period_mark_days_after": 3, "use_weighted_average": False}
    assert post(c, w.api("settings/"), body, method="PUT").json()["round_up_from"] == "0.70"
    assert JournalSettings.current().round_up_from == Decimal("0.70")
    assert AuditRecord.objects.get(action="journal.settings.update").after["lock_days"] == 5
    assert "lock_days" in error(post(c, w.api("settings/"), {**body, "lock_days": 0}, method="PUT"), 400)["fields"]
    assert error(post(client(w.deputy), w.api("settings/"), body, method="PUT"), 403)["code"] == "forbidden"


def test_openapi_schema_documents_the_control_api(w: W, client_for: Any) -> None:
    """The API is documented: every control endpoint is in the OpenAPI schema with its summary."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    paths = schema["paths"]
    for tail in ("change-requests/", "change-requests/{request_id}/approve/", "final-marks/{class_id}/{subject_id}/",
                 "control/short/", "control/absences/", "notebook/", "notebook/{entry_id}/move/", "ktp/{class_id}/{subject_id}/import/",
                 "activities/{group_id}/sessions/", "settings/", "external-marks/"):
        path = "/api/v1/schools/{school_slug}/journal/" + tail
        assert path in paths, path
        for operation in paths[path].values():
            assert operation.get("summary"), (path, operation)
