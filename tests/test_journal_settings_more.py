"""The school's work types and weights (R-J03), the members of extracurricular groups with their
history (R-J15), and the 2-working-day rule of absence reasons on holiday and weekend boundaries
(R-J02). Through the services, the pages and the API. "Today" is Wednesday 2026-11-25."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

import pytest

from accounts.models import Person
from accounts.roles import Role
from audit.models import AuditRecord
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from journal import activities, rules, selectors, services, settings_service
from journal.models import (
    ActivityAbsence,
    ActivityGroup,
    ActivityMember,
    ActivitySession,
    Attendance,
    KtpPlan,
    KtpTopic,
    Mark,
    Work,
    WorkType,
)
from journal.rules import JournalLocked
from journal.settings_service import WorkTypeData
from roster.models import SchoolClass
from tenants.db import use_public, use_school
from tests.test_diary import world  # noqa: F401  (the diary's fixture: a family reading marks)
from tests.test_journal_control import TODAY, W, build, client, lesson, text, work_with_marks

pytestmark = pytest.mark.django_db
D = dt.date


@pytest.fixture
def w(school_a: Any, make_person: Any, grant: Any, monkeypatch: pytest.MonkeyPatch) -> W:
    monkeypatch.setattr(rules, "today", lambda: TODAY)
    return build(school_a, make_person, grant)


def send(c: Any, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    return c.generic(method, url, json.dumps(body or {}), content_type="application/json", HTTP_ACCEPT="application/json")


def error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.json()["error"]
    assert body["code"] and body["message"]
    return dict(body)


def wt_data(name: str, weight: str, **more: Any) -> WorkTypeData:
    return WorkTypeData(name=name, weight=Decimal(weight), **more)


# --- work types and their weights (R-J03) -------------------------------------------------------------

def test_work_type_service_adds_renames_reweighs_with_audit(w: W) -> None:
    """R-J03: the school sets its work types and weights. The director adds a type (a control work),
    renames it and changes its weight; each change is audited with before and after and the reason."""
    added = settings_service.add_work_type(w.director, w.school, wt_data("  Зачётная   работа ", "2.5", short_name="зач.р",
                                                                           requires_all_marks=True), reason="Приказ № 5")
    assert (added.name, added.short_name, added.weight, added.requires_all_marks, added.is_active) == (
        "Зачётная работа", "зач.р", Decimal("2.5"), True, True)
    assert added.order > WorkType.objects.exclude(pk=added.pk).order_by("-order").values_list("order", flat=True)[0] - 1
    created = AuditRecord.objects.get(action="journal.work_type.create")
    assert created.after["weight"] == "2.5" and created.reason == "Приказ № 5" and created.actor == w.director
    settings_service.update_work_type(w.director, w.school, added, wt_data("Зачёт по теме", "3", short_name="зт",
                                                                           requires_all_marks=False), reason="Педсовет № 2")
    added.refresh_from_db()
    assert (added.name, added.weight, added.requires_all_marks) == ("Зачёт по теме", Decimal("3.0"), False)
    audit = AuditRecord.objects.get(action="journal.work_type.update")
    assert audit.before["name"] == "Зачётная работа" and audit.after["name"] == "Зачёт по теме"
    assert (audit.before["weight"], audit.after["weight"]) == ("2.5", "3.0")
    assert (audit.before["requires_all_marks"], audit.after["requires_all_marks"]) == (True, False)
    assert audit.reason == "Педсовет № 2"
    # saving the same values again writes nothing
    settings_service.update_work_type(w.director, w.school, added, wt_data("Зачёт по теме", "3.0", short_name="зт", order=added.order))
    assert AuditRecord.objects.filter(action="journal.work_type.update").count() == 1


@pytest.mark.parametrize(("weight", "field"), [("0", "weight"), ("0.05", "weight"), ("10.5", "weight"), ("1.25", "weight"),
                                               ("-1", "weight"), ("NaN", "weight")])
def test_work_type_weight_range_and_one_decimal(w: W, weight: str, field: str) -> None:
    """R-J03: a weight is 0.1–10 with one decimal; anything else is refused in Russian, nothing saved."""
    before = WorkType.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        settings_service.add_work_type(w.director, w.school, wt_data("Новая", weight))
    assert field in exc.value.fields and "0,1" in exc.value.message
    with pytest.raises(ValidationFailed):
        settings_service.update_work_type(w.director, w.school, w.answer, wt_data(w.answer.name, weight))
    assert WorkType.objects.count() == before and WorkType.objects.get(pk=w.answer.pk).weight == Decimal("1.0")
    assert not AuditRecord.objects.filter(action__startswith="journal.work_type").exists()


def test_work_type_edges_accepted_and_bad_names_refused(w: W) -> None:
    """R-J03: 0.1 and 10 are accepted; an empty name, a name another type has (in any case) and an
    over-long short name are refused."""
    assert settings_service.add_work_type(w.director, w.school, wt_data("Лёгкая", "0.1")).weight == Decimal("0.1")
    assert settings_service.add_work_type(w.director, w.school, wt_data("Тяжёлая", "10")).weight == Decimal("10.0")
    for data, field in ((wt_data("  ", "1"), "name"), (wt_data("контрольная РАБОТА", "1"), "name"),
                        (wt_data("Ещё", "1", short_name="очень-длинное-сокращение"), "short_name")):
        with pytest.raises(ValidationFailed) as exc:
            settings_service.add_work_type(w.director, w.school, data)
        assert field in exc.value.fields
    with pytest.raises(ValidationFailed):
        settings_service.update_work_type(w.director, w.school, w.answer, wt_data("Контрольная работа", "1"))


def test_only_school_admin_and_director_manage_work_types(w: W, make_person: Any, grant: Any) -> None:
    """R-J03, R-A01: the journal settings' right (Perm.MANAGE_SETTINGS: the school's e-journal administrator
    and the director); the deputy, teachers, the methodist and families are refused."""
    admin = make_person("Админова", "Ада")
    use_public()
    grant(admin, Role.SCHOOL_ADMIN, w.school)
    use_school(w.school)
    assert settings_service.add_work_type(admin, w.school, wt_data("Проект", "1.5")).name == "Проект"
    for person in (w.deputy, w.teacher, w.methodist, w.class_teacher, w.parent, w.students[0]):
        with pytest.raises(PermissionDenied):
            settings_service.add_work_type(person, w.school, wt_data("Чужое", "1"))
        with pytest.raises(PermissionDenied):
            settings_service.update_work_type(person, w.school, w.answer, wt_data("Ответ", "5"))
        with pytest.raises(PermissionDenied):
            settings_service.remove_work_type(person, w.school, w.answer)
    assert WorkType.objects.get(pk=w.answer.pk).weight == Decimal("1.0") and not WorkType.objects.filter(name="Чужое").exists()


def test_used_type_is_switched_off_not_deleted_and_its_marks_still_count(w: W) -> None:
    """R-J03: a type with works is switched off (new works cannot take it, its marks and weight stay in the
    averages); an unused one is deleted (a КТП topic that named it keeps its topic); the last active type
    cannot go."""
    used = settings_service.add_work_type(w.director, w.school, wt_data("Устный опрос", "2"))
    les = lesson(w, D(2026, 11, 24), 1)
    work_with_marks(w, les, {0: 5}, work_type=w.answer)
    work_with_marks(w, les, {0: 2}, work_type=used)
    assert settings_service.remove_work_type(w.director, w.school, used) is False
    used.refresh_from_db()
    assert not used.is_active and Work.objects.filter(work_type=used).count() == 1 and Mark.objects.count() == 2
    assert AuditRecord.objects.get(action="journal.work_type.update", object_id=str(used.pk)).after["is_active"] is False
    grid = selectors.journal_grid(w.cls, w.maths.pk, D(2026, 11, 1), D(2026, 11, 30))
    row = next(r for r in grid.rows if r.student.pk == w.students[0].pk)
    assert row.weighted == Decimal("3.00") and row.plain == Decimal("3.50")  # (5·1 + 2·2) / 3
    teacher = client(w.teacher)
    listed = [t["name"] for t in teacher.get(w.api("work-types/"), HTTP_ACCEPT="application/json").json()]
    assert "Устный опрос" not in listed
    assert error(send(teacher, "POST", w.api(f"lessons/{les.pk}/works/"), {"work_type": used.pk}), 400)
    with pytest.raises(ValidationFailed) as refused:  # the service itself, whatever path calls it
        services.add_work(w.teacher, w.school, les, used)
    assert refused.value.code == "work_type_inactive" and Work.objects.filter(work_type=used).count() == 1
    unused = settings_service.add_work_type(w.director, w.school, wt_data("Эссе", "1.5"))
    plan = KtpPlan.objects.create(school_class=w.cls, subject=w.maths, author=w.teacher)
    topic = KtpTopic.objects.create(plan=plan, number=1, title="Эссе о дробях", work_type=unused)
    assert settings_service.remove_work_type(w.director, w.school, unused) is True
    assert not WorkType.objects.filter(pk=unused.pk).exists()
    topic.refresh_from_db()
    assert topic.work_type is None and topic.title == "Эссе о дробях"
    assert AuditRecord.objects.get(action="journal.work_type.delete").before["name"] == "Эссе"
    WorkType.objects.exclude(pk=w.answer.pk).update(is_active=False)
    with pytest.raises(ValidationFailed) as exc:
        settings_service.remove_work_type(w.director, w.school, w.answer)
    assert exc.value.code == "last_work_type"
    with pytest.raises(ValidationFailed):
        settings_service.update_work_type(w.director, w.school, w.answer, wt_data(w.answer.name, "1", is_active=False))
    settings_service.update_work_type(w.director, w.school, used, wt_data(used.name, "2", is_active=True))
    assert WorkType.objects.get(pk=used.pk).is_active


def test_control_work_flag_drives_the_completeness_check(w: W) -> None:
    """R-J03 (000 §2.11): marking a type as a control work makes the lesson ask a mark of every student
    present for its works (2 of 3 here have none); unmarking it stops that."""
    les = lesson(w, D(2026, 11, 24), 1)
    work_with_marks(w, les, {0: 4}, work_type=w.answer)

    def incomplete() -> int:  # students present without a mark at the lesson's works that need one for everyone
        return sum(selectors.lesson_sheet(w.cls.pk, les.date, lesson=les).unmarked.values())

    assert incomplete() == 0
    settings_service.update_work_type(w.director, w.school, w.answer, wt_data(w.answer.name, "1", requires_all_marks=True))
    assert WorkType.objects.get(pk=w.answer.pk).requires_all_marks
    assert incomplete() == 2
    settings_service.update_work_type(w.director, w.school, w.answer, wt_data(w.answer.name, "1", requires_all_marks=False))
    assert incomplete() == 0


def test_weight_change_changes_weighted_averages_from_then_on(w: W) -> None:
    """R-J03: the grid (service and API) computes weighted averages with the current weight: a new weight
    of the control work changes them at once; plain averages do not move."""
    les = lesson(w, D(2026, 11, 23), 1)
    les2 = lesson(w, D(2026, 11, 24), 1)
    work_with_marks(w, les, {0: 5}, work_type=w.answer)  # weight 1.0
    work_with_marks(w, les2, {0: 3}, work_type=w.control)  # weight 2.0

    def averages() -> tuple[Decimal | None, Decimal | None]:
        grid = selectors.journal_grid(SchoolClass.objects.get(pk=w.cls.pk), w.maths.pk, D(2026, 11, 1), D(2026, 11, 30))
        row = next(r for r in grid.rows if r.student.pk == w.students[0].pk)
        return row.plain, row.weighted

    assert averages() == (Decimal("4.00"), Decimal("3.67"))  # (5 + 3·2) / 3
    settings_service.update_work_type(w.director, w.school, w.control, wt_data(w.control.name, "1", requires_all_marks=True))
    assert averages() == (Decimal("4.00"), Decimal("4.00"))
    settings_service.update_work_type(w.director, w.school, w.control, wt_data(w.control.name, "4", requires_all_marks=True))
    assert averages() == (Decimal("4.00"), Decimal("3.40"))  # (5 + 3·4) / 5
    grid = client(w.teacher).get(w.api(f"grid/{w.cls.pk}/{w.maths.pk}/?date_from=2026-11-01&date_to=2026-11-30"),
                                 HTTP_ACCEPT="application/json").json()
    row = next(r for r in grid["rows"] if r["student"]["id"] == w.students[0].pk)
    assert Decimal(str(row["weighted"])) == Decimal("3.40")


def test_weight_change_reaches_the_diary_and_forecast(world: Any, school_a: Any, make_person: Any, grant: Any,  # noqa: F811
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """R-J03 with R-D04: a parent's diary shows the weighted average and the forecast with the weight the
    school sets; the director changes the control work's weight through the API and the diary follows."""
    from tests.conftest import verified_client
    from tests.test_diary import family_client

    monkeypatch.setattr(rules, "today", lambda: TODAY)
    director = make_person("Директорова", "Ирина")
    grant(director, Role.DIRECTOR, school_a)
    parent = family_client(world.parent)

    def maths() -> dict[str, Any]:
        data = parent.get(world.api(world.artyom, "marks/")).json()
        return dict(next(s for s in data["subjects"] if s["subject"] == "Математика"))

    before = maths()
    # 5 (weight 1), 3 (control, weight 2), 4 (weight 1): weighted (5 + 6 + 4) / 4 = 3.75
    assert Decimal(before["forecast"]["weighted"]) == Decimal("3.75") and Decimal(before["forecast"]["plain"]) == Decimal("4.00")
    body = {"name": world.control.name, "short_name": world.control.short_name, "weight": "1.0", "requires_all_marks": True}
    response = send(verified_client(director), "PUT", f"/api/v1/schools/{school_a.slug}/journal/settings/work-types/{world.control.pk}/", body)
    assert response.status_code == 200, response.content[:300]
    after = maths()
    assert Decimal(after["forecast"]["weighted"]) == Decimal("4.00") and Decimal(after["forecast"]["plain"]) == Decimal("4.00")
    assert after["forecast"]["expected"] == 4


def test_work_types_api(w: W) -> None:
    """R-J03 through the API: list (switched-off ones too), add, change, remove-or-switch-off; errors in one
    JSON shape with the field; refused for the deputy and the teacher; documented in the OpenAPI schema."""
    director = client(w.director)
    url = w.api("settings/work-types/")
    listed = director.get(url, HTTP_ACCEPT="application/json").json()
    assert {t["name"] for t in listed} >= {"Ответ на уроке", "Контрольная работа"}
    created = send(director, "POST", url, {"name": "Проект", "weight": "1.5", "requires_all_marks": False, "reason": "Приказ № 9"})
    assert created.status_code == 201 and created.json()["weight"] == "1.5"
    pk = created.json()["id"]
    bad = error(send(director, "POST", url, {"name": "Проект 2", "weight": "12"}), 400)
    assert bad["code"] == "invalid" and "weight" in bad["fields"]
    assert "name" in error(send(director, "POST", url, {"name": "проект", "weight": "1"}), 400)["fields"]
    changed = send(director, "PUT", w.api(f"settings/work-types/{pk}/"), {"name": "Проектная работа", "weight": "2.5",
                                                                         "requires_all_marks": True})
    assert changed.status_code == 200 and (changed.json()["name"], changed.json()["weight"], changed.json()["requires_all_marks"]) == (
        "Проектная работа", "2.5", True)
    assert error(send(director, "PUT", w.api("settings/work-types/999999/"), {"name": "x", "weight": "1"}), 404)["code"] == "not_found"
    les = lesson(w, D(2026, 11, 24), 1)
    Work.objects.create(lesson=les, work_type_id=pk, position=1)
    removed = send(director, "DELETE", w.api(f"settings/work-types/{pk}/"), {"reason": "не нужен"})
    assert removed.status_code == 200 and removed.json()["deleted"] is False and removed.json()["work_type"]["is_active"] is False
    spare = send(director, "POST", url, {"name": "Черновик", "weight": "1"}).json()["id"]
    gone = send(director, "DELETE", w.api(f"settings/work-types/{spare}/"))
    assert gone.json() == {"deleted": True, "work_type": None} and not WorkType.objects.filter(pk=spare).exists()
    for person in (w.deputy, w.teacher):
        assert error(send(client(person), "PUT", w.api(f"settings/work-types/{w.answer.pk}/"), {"name": "x", "weight": "9"}),
                     403)["code"] == "forbidden"
    assert WorkType.objects.get(pk=w.answer.pk).weight == Decimal("1.0")
    schema = json.loads(director.get("/api/schema/", HTTP_ACCEPT="application/json").content)
    paths = schema["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/schools/{school_slug}/journal/settings/work-types/"])
    assert {"put", "delete"} <= set(paths["/api/v1/schools/{school_slug}/journal/settings/work-types/{work_type_id}/"])


def test_work_types_section_of_the_settings_page(w: W) -> None:
    """R-J03 on the journal settings page: the section lists the types with their weights, adds, changes
    (a bad weight gives a Russian message and changes nothing), removes; the history shows before → after."""
    c = client(w.director)
    page = text(c.get(w.url("settings/")))
    assert 'data-testid="work-types"' in page and f'data-testid="work-type-{w.control.pk}"' in page and "Виды работ и их веса" in page
    added = c.post(w.url("settings/work-types/"), {"new-name": "Проект", "new-weight": "1,5", "new-is_active": "on",
                                                    "new-reason": "Приказ № 9"})
    assert added.status_code == 302 and added["Location"].endswith("/journal/settings/")
    assert WorkType.objects.get(name="Проект").weight == Decimal("1.5")
    prefix = f"wt{w.control.pk}"
    form = {f"{prefix}-name": w.control.name, f"{prefix}-short_name": w.control.short_name, f"{prefix}-weight": "3",
            f"{prefix}-requires_all_marks": "on", f"{prefix}-is_active": "on", f"{prefix}-order": "5",
            f"{prefix}-reason": "Педсовет № 4"}
    assert c.post(w.url(f"settings/work-types/{w.control.pk}/"), form).status_code == 302
    assert WorkType.objects.get(pk=w.control.pk).weight == Decimal("3.0")
    refused = c.post(w.url(f"settings/work-types/{w.control.pk}/"), {**form, f"{prefix}-weight": "0,05"}, follow=True)
    assert "от 0,1 до 10" in text(refused) and WorkType.objects.get(pk=w.control.pk).weight == Decimal("3.0")
    page = text(c.get(w.url("settings/")))
    assert "weight: 2.0 → 3.0" in page and "Педсовет № 4" in page and "Проект" in page
    spare = WorkType.objects.get(name="Проект")
    assert c.post(w.url(f"settings/work-types/{spare.pk}/"), {"remove": "1"}).status_code == 302
    assert not WorkType.objects.filter(pk=spare.pk).exists()
    for person in (w.deputy, w.teacher):
        assert client(person).post(w.url(f"settings/work-types/{w.control.pk}/"), form).status_code == 403
        assert client(person).post(w.url("settings/work-types/"), {"new-name": "x", "new-weight": "1"}).status_code == 403


# --- extracurricular groups: members with dates (R-J15) ---------------------------------------------

def make_group(w: W, members: list[Person], leader: Person | None = None) -> ActivityGroup:
    return activities.create_group(w.deputy, w.school, year=w.cls.year, name=f"Кружок {ActivityGroup.objects.count() + 1}",
                                   teacher=leader or w.other, student_ids=[s.pk for s in members])


def test_members_join_and_leave_with_history_kept(w: W) -> None:
    """R-J15: a student joins on a date and leaves from a date; who leaves keeps their past sessions and
    absences; a session's absentees must be members on its date; every change is audited."""
    group = make_group(w, [w.students[0], w.students[1]])
    s0, s1, s2 = (s.pk for s in w.students)
    activities.record_session(w.other, w.school, group, date=D(2026, 11, 19), topic="Дебют", absent_ids=[s1])
    joined = activities.add_member(w.deputy, w.school, group, student_id=s2, on=D(2026, 11, 20), reason="Заявление матери")
    assert (joined.since, joined.until) == (D(2026, 11, 20), None)
    with pytest.raises(ValidationFailed):  # not yet a member on 19.11
        activities.record_session(w.other, w.school, group, date=D(2026, 11, 19), topic="Дебют", absent_ids=[s1, s2])
    activities.record_session(w.other, w.school, group, date=D(2026, 11, 23), topic="Миттельшпиль", absent_ids=[s2])
    left = activities.remove_member(w.other, w.school, group, student_id=s1, on=D(2026, 11, 24), reason="Перешёл в секцию")
    assert left is not None and left.until == D(2026, 11, 23)
    with pytest.raises(ValidationFailed):  # no longer a member on 24.11
        activities.record_session(w.other, w.school, group, date=D(2026, 11, 24), topic="Эндшпиль", absent_ids=[s1])
    activities.record_session(w.other, w.school, group, date=D(2026, 11, 24), topic="Эндшпиль", absent_ids=[])
    assert ActivityAbsence.objects.filter(student_id=s1, session__date=D(2026, 11, 19)).exists()  # past attendance kept
    assert set(activities.members_on(group, D(2026, 11, 19)).values_list("student_id", flat=True)) == {s0, s1}
    assert set(activities.members_on(group, D(2026, 11, 24)).values_list("student_id", flat=True)) == {s0, s2}
    assert ActivityMember.objects.filter(group=group).count() == 3
    with pytest.raises(Conflict):
        activities.add_member(w.deputy, w.school, group, student_id=s0, on=TODAY)
    with pytest.raises(ValidationFailed):  # back on a day they were still in
        activities.add_member(w.deputy, w.school, group, student_id=s1, on=D(2026, 11, 23))
    back = activities.add_member(w.other, w.school, group, student_id=s1, on=TODAY)
    assert back.since == TODAY and ActivityMember.objects.filter(group=group, student_id=s1).count() == 2
    actions = list(AuditRecord.objects.filter(action__startswith="journal.activity.member").order_by("at", "id")
                   .values_list("action", "reason"))
    assert actions == [("journal.activity.member_add", "Заявление матери"), ("journal.activity.member_remove", "Перешёл в секцию"),
                       ("journal.activity.member_add", "")]
    removal = AuditRecord.objects.get(action="journal.activity.member_remove")
    assert removal.before["until"] is None and removal.after["until"] == "2026-11-23"


def test_member_changes_refused(w: W) -> None:
    """R-J15, R-J07: past the journal's lock, outside the year, a non-student, a member marked absent after the
    leaving date, and anybody but the leader or the deputy: refused in Russian, nothing changed."""
    group = make_group(w, [w.students[0]])
    s0, s1 = w.students[0].pk, w.students[1].pk
    with pytest.raises(JournalLocked):
        activities.add_member(w.deputy, w.school, group, student_id=s1, on=D(2026, 11, 10))
    with pytest.raises(ValidationFailed):
        activities.add_member(w.deputy, w.school, group, student_id=s1, on=D(2027, 8, 1))
    with pytest.raises(ValidationFailed):
        activities.add_member(w.deputy, w.school, group, student_id=w.teacher.pk, on=TODAY)
    for person in (w.teacher, w.class_teacher, w.methodist, w.parent, w.students[0]):
        with pytest.raises(PermissionDenied):
            activities.add_member(person, w.school, group, student_id=s1, on=TODAY)
        with pytest.raises(PermissionDenied):
            activities.remove_member(person, w.school, group, student_id=s0, on=TODAY)
    activities.record_session(w.other, w.school, group, date=D(2026, 11, 24), topic="Тема", absent_ids=[s0])
    with pytest.raises(ValidationFailed) as exc:
        activities.remove_member(w.deputy, w.school, group, student_id=s0, on=D(2026, 11, 23))
    assert exc.value.code == "has_sessions" and "24.11.2026" in exc.value.message
    with pytest.raises(NotFound):
        activities.remove_member(w.deputy, w.school, group, student_id=s1, on=TODAY)
    assert ActivityMember.objects.filter(group=group).values_list("student_id", "until").get() == (s0, None)
    assert not AuditRecord.objects.filter(action__startswith="journal.activity.member").exists()


def test_member_added_by_mistake_is_removed_outright(w: W) -> None:
    """R-J15: a member who leaves on the day they joined, with no session since, had no history: the row
    goes (audited); with a session since, the leaving date must be later."""
    group = make_group(w, [])
    s1 = w.students[1].pk
    activities.add_member(w.deputy, w.school, group, student_id=s1, on=TODAY)
    assert activities.remove_member(w.deputy, w.school, group, student_id=s1, on=TODAY) is None
    assert not ActivityMember.objects.filter(group=group).exists()
    assert AuditRecord.objects.get(action="journal.activity.member_remove").reason == "добавлен по ошибке"
    activities.add_member(w.deputy, w.school, group, student_id=s1, on=D(2026, 11, 24))
    activities.record_session(w.other, w.school, group, date=D(2026, 11, 24), topic="Тема", absent_ids=[])
    with pytest.raises(ValidationFailed):
        activities.remove_member(w.deputy, w.school, group, student_id=s1, on=D(2026, 11, 24))


def test_session_resave_audits_before_and_after(w: W) -> None:
    """R-J15, R-A01 (every change with before and after): saving a session's date again replaces its topic and
    absentees, and the audit record holds both; the same values again write no record."""
    group = make_group(w, [w.students[0], w.students[1]])
    s0, s1 = w.students[0].pk, w.students[1].pk
    activities.record_session(w.other, w.school, group, date=D(2026, 11, 24), topic="Дебют", absent_ids=[s0])
    first = AuditRecord.objects.get(action="journal.activity.session")
    assert first.before is None and first.after == {"topic": "Дебют", "absent": [s0]}
    activities.record_session(w.other, w.school, group, date=D(2026, 11, 24), topic="Дебют: гамбиты", absent_ids=[s1])
    second = AuditRecord.objects.filter(action="journal.activity.session").order_by("-id").first()
    assert second is not None
    assert second.before == {"topic": "Дебют", "absent": [s0]} and second.after == {"topic": "Дебют: гамбиты", "absent": [s1]}
    assert ActivitySession.objects.get().topic == "Дебют: гамбиты"
    assert list(ActivityAbsence.objects.values_list("student_id", flat=True)) == [s1]
    activities.record_session(w.other, w.school, group, date=D(2026, 11, 24), topic="Дебют: гамбиты", absent_ids=[s1])
    assert AuditRecord.objects.filter(action="journal.activity.session").count() == 2


def test_members_page_and_api(w: W) -> None:
    """R-J15 through the page and the API: the group's page shows the members by dates and the forms to the
    leader and the deputy; a student is added and leaves; the API lists the history; errors are JSON."""
    group = make_group(w, [w.students[0]])
    s0, s1 = w.students[0].pk, w.students[1].pk
    leader, deputy = client(w.other), client(w.deputy)
    page = text(leader.get(w.url(f"activities/{group.pk}/")))
    assert 'data-testid="members-table"' in page and 'data-testid="member-add-form"' in page
    assert 'data-testid="member-add-form"' not in text(client(w.methodist).get(w.url(f"activities/{group.pk}/")))
    added = deputy.post(w.url(f"activities/{group.pk}/members/"), {"student": s1, "on": "2026-11-24", "reason": "Заявление"})
    assert added.status_code == 302 and ActivityMember.objects.get(student_id=s1).since == D(2026, 11, 24)
    late = deputy.post(w.url(f"activities/{group.pk}/members/"), {"student": w.students[2].pk, "on": "2026-11-01"}, follow=True)
    assert "Запись старше 7 дней" in text(late) and not ActivityMember.objects.filter(student_id=w.students[2].pk).exists()
    left = leader.post(w.url(f"activities/{group.pk}/members/{s0}/leave/"), {"on": "2026-11-25"})
    assert left.status_code == 302 and ActivityMember.objects.get(student_id=s0).until == D(2026, 11, 24)
    page = text(leader.get(w.url(f"activities/{group.pk}/")))
    assert f'data-testid="member-{s0}"' in page and "24.11.2026" in page
    assert f'name="absent" value="{s1}"' in page and f'name="absent" value="{s0}"' not in page  # the session form: today's members
    api = w.api(f"activities/{group.pk}/members/")
    rows = deputy.get(api, HTTP_ACCEPT="application/json").json()
    assert [(r["student"], r["since"], r["until"], r["current"]) for r in rows] == [
        (s1, "2026-11-24", None, True), (s0, None, "2026-11-24", False)]
    assert [m["id"] for m in deputy.get(w.api(f"activities/{group.pk}/"), HTTP_ACCEPT="application/json").json()["members"]] == [s1]
    joined = send(leader, "POST", api, {"student": s0, "on": "2026-11-26"})
    assert joined.status_code == 201 and (joined.json()["since"], joined.json()["current"]) == ("2026-11-26", False)
    assert error(send(leader, "POST", api, {"student": s0, "on": "2026-11-27"}), 409)["code"] == "already_member"
    gone = send(deputy, "POST", w.api(f"activities/{group.pk}/members/{s1}/leave/"), {"on": "2026-11-25", "reason": "Переезд"})
    assert gone.status_code == 200 and gone.json()["until"] == "2026-11-24"
    assert error(send(deputy, "POST", w.api(f"activities/{group.pk}/members/{s1}/leave/"), {"on": "2026-11-25"}), 404)
    assert error(send(client(w.teacher), "POST", api, {"student": s1, "on": "2026-11-26"}), 403)["code"] == "forbidden"
    schema = json.loads(deputy.get("/api/schema/", HTTP_ACCEPT="application/json").content)["paths"]
    assert "post" in schema["/api/v1/schools/{school_slug}/journal/activities/{group_id}/members/"]
    assert "post" in schema["/api/v1/schools/{school_slug}/journal/activities/{group_id}/members/{student_id}/leave/"]


# --- absence reasons: 2 working days from the absence (R-J02) ----------------------------------------

@pytest.mark.parametrize(("absent_on", "last_day_in_time", "note"), [
    (D(2026, 11, 20), D(2026, 11, 24), "Friday: the weekend does not count"),
    (D(2026, 12, 30), D(2027, 1, 12), "before the New Year holidays (31.12 to 10.01 are days off)"),
    (D(2027, 2, 19), D(2027, 2, 24), "Friday before 23 February: Saturday 20.02.2027 is a working day, 22–23.02 are not"),
])
def test_missing_reason_overdue_after_two_working_days(w: W, monkeypatch: pytest.MonkeyPatch, absent_on: dt.date,
                                                       last_day_in_time: dt.date, note: str) -> None:
    """R-J02 (004 §VIII, 003 §3.3.4): an absence without a reason is overdue once 2 working days of the
    federal production calendar have passed after the absence: listed for the deputy and marked on the class
    teacher's page from the next day, not on the last day in time."""
    les = lesson(w, absent_on, 1)
    absence = Attendance.objects.create(lesson=les, student=w.students[0], created_by=w.teacher)
    for today, overdue in ((last_day_in_time, False), (last_day_in_time + dt.timedelta(days=1), True)):
        monkeypatch.setattr(rules, "today", lambda today=today: today)
        assert (absence in selectors.absences_without_reason(today)) is overdue, (note, today)
        control = text(client(w.deputy).get(w.url("control/absences/")))
        assert ("Ученик00" in control) is overdue, (note, today)
        if overdue:
            assert last_day_in_time.strftime("%d.%m.%Y") in control  # «срок был до»
        own = text(client(w.class_teacher).get(w.url(f"absences/{w.cls.pk}/?date_from={absent_on}&date_to={today}")))
        assert ("прошло больше 2 рабочих дней" in own) is overdue, (note, today)


def test_reason_with_the_class_teachers_document_fields(w: W) -> None:
    """R-J02 (003 §3.3.4): the class teacher sets the reason with the document and its date; illness and
    «excused» need the document, a document dated in the future is refused, a teacher of the subject may
    not; the audit holds all three fields before and after; the API gives them back."""
    les = lesson(w, D(2026, 11, 23), 1)
    absence = Attendance.objects.create(lesson=les, student=w.students[0], created_by=w.teacher)
    with pytest.raises(ValidationFailed) as exc:
        services.set_absence_reason(w.class_teacher, w.school, absence, "illness")
    assert "document" in exc.value.fields
    with pytest.raises(ValidationFailed):
        services.set_absence_reason(w.class_teacher, w.school, absence, "excused", document="Заявление", document_date=D(2026, 11, 26))
    with pytest.raises(PermissionDenied):
        services.set_absence_reason(w.teacher, w.school, absence, "unexcused")
    services.set_absence_reason(w.class_teacher, w.school, absence, "illness", document="Справка № 7", document_date=D(2026, 11, 24))
    absence.refresh_from_db()
    assert (absence.reason, absence.document, absence.document_date, absence.reason_set_by) == (
        "illness", "Справка № 7", D(2026, 11, 24), w.class_teacher)
    services.set_absence_reason(w.class_teacher, w.school, absence, "excused", document="Заявление родителя",
                                document_date=D(2026, 11, 25))
    audit = AuditRecord.objects.filter(action="journal.absence_reason").order_by("-id").first()
    assert audit is not None
    assert audit.before == {"reason": "illness", "document": "Справка № 7", "document_date": "2026-11-24"}
    assert audit.after == {"reason": "excused", "document": "Заявление родителя", "document_date": "2026-11-25"}
    rows = client(w.class_teacher).get(w.api(f"absences/{w.cls.pk}/?date_from=2026-11-20&date_to=2026-11-25"),
                                       HTTP_ACCEPT="application/json").json()
    row = next(r for r in rows if r["id"] == absence.pk)
    assert (row["reason"], row["document"], row["document_date"]) == ("excused", "Заявление родителя", "2026-11-25")


# --- access table of the new routes (R-A01, R-A02, R-P01) -------------------------------------------

WHO = ("director", "deputy", "leader", "teacher", "parent", "student", "teacher_b", "anonymous")
ROUTES: list[tuple[str, str, str, str, dict[str, Any], tuple[int, ...]]] = [
    # route name, method, page|api, path, body, statuses in the order of WHO
    ("api-journal-settings-work-types", "GET", "api", "settings/work-types/", {}, (200, 403, 403, 403, 403, 403, 403, 401)),
    ("api-journal-settings-work-types", "POST", "api", "settings/work-types/", {"name": "Новый {n}", "weight": "1.5"},
     (201, 403, 403, 403, 403, 403, 403, 401)),
    ("api-journal-settings-work-type", "PUT", "api", "settings/work-types/{wt}/", {"name": "Изменён {n}", "weight": "2"},
     (200, 403, 403, 403, 403, 403, 403, 401)),
    ("api-journal-settings-work-type", "DELETE", "api", "settings/work-types/{wt}/", {}, (200, 403, 403, 403, 403, 403, 403, 401)),
    ("school:journal-work-type-add", "POST", "page", "settings/work-types/", {"new-name": "Новый {n}", "new-weight": "1"},
     (302, 403, 403, 403, 403, 403, 403, 302)),
    ("school:journal-work-type", "POST", "page", "settings/work-types/{wt}/", {"wt{wt}-name": "Изменён {n}", "wt{wt}-weight": "2"},
     (302, 403, 403, 403, 403, 403, 403, 302)),
    ("api-journal-activity-members", "GET", "api", "activities/{group}/members/", {}, (200, 200, 200, 403, 403, 403, 403, 401)),
    ("api-journal-activity-members", "POST", "api", "activities/{group}/members/", {"student": "{s1}", "on": "2026-11-25"},
     (201, 201, 201, 403, 403, 403, 403, 401)),
    ("api-journal-activity-member-leave", "POST", "api", "activities/{group}/members/{s0}/leave/", {"on": "2026-11-25"},
     (200, 200, 200, 403, 403, 403, 403, 401)),
    ("school:journal-activity-member-add", "POST", "page", "activities/{group}/members/", {"student": "{s1}", "on": "2026-11-25"},
     (302, 302, 302, 403, 403, 403, 403, 302)),
    ("school:journal-activity-member-leave", "POST", "page", "activities/{group}/members/{s0}/leave/", {"on": "2026-11-25"},
     (302, 302, 302, 403, 403, 403, 403, 302)),
]


def exercised_urls(slug: str = "alpha") -> list[str]:
    """ "METHOD /url" of each row above, for tests/test_isolation.py's check that every route has an access table."""
    return [f"{method} " + (f"/s/{slug}/journal/" if kind == "page" else f"/api/v1/schools/{slug}/journal/")
            + path.format(wt=1, group=1, s0=1) for _route, method, kind, path, _body, _codes in ROUTES]


@pytest.mark.parametrize(("route", "method", "kind", "path", "body", "codes"),
                         [pytest.param(*row, id=f"{row[1]} {row[0]}") for row in ROUTES])
def test_route_access_table(school_b: Any, w: W, make_person: Any, grant: Any, route: str, method: str, kind: str, path: str,
                            body: dict[str, Any], codes: tuple[int, ...]) -> None:
    """R-A01, R-A02, R-P01: each new route × who may and who may not (another school's teacher, families,
    a teacher who does not lead the group, anonymous); a refusal changes nothing."""
    from django.test import Client

    teacher_b = make_person("Чужая", "Учительница")
    use_public()
    grant(teacher_b, Role.TEACHER, school_b)
    use_school(w.school)
    people: dict[str, Person | None] = {"director": w.director, "deputy": w.deputy, "leader": w.other, "teacher": w.teacher,
                                        "parent": w.parent, "student": w.students[0], "teacher_b": teacher_b, "anonymous": None}
    for n, (who, code) in enumerate(zip(WHO, codes, strict=True)):
        wt = WorkType.objects.create(name=f"Тип {n}", weight=Decimal(1))
        group = make_group(w, [w.students[0]])
        fields = {"wt": wt.pk, "group": group.pk, "s0": w.students[0].pk, "s1": w.students[1].pk, "n": n}
        url = (w.url if kind == "page" else w.api)(path.format(**fields))
        data = {k.format(**fields): (v.format(**fields) if isinstance(v, str) else v) for k, v in body.items()}
        person = people[who]
        c = client(person) if person is not None else Client()
        audit_before = AuditRecord.objects.exclude(action="access.refused").count()
        if kind == "api":
            response = send(c, method, url, data)
        else:
            response = c.generic(method, url, "&".join(f"{k}={v}" for k, v in data.items()),
                                 content_type="application/x-www-form-urlencoded")
        use_school(w.school)
        assert response.status_code == code, (route, method, who, response.status_code, response.content[:300])
        if code in (401, 403) or (code == 302 and who == "anonymous"):
            assert AuditRecord.objects.exclude(action="access.refused").count() == audit_before, (route, who)
            assert WorkType.objects.filter(pk=wt.pk, name=f"Тип {n}").exists()
            assert ActivityMember.objects.filter(group=group).count() == 1
