"""Subjects, the curriculum and the teaching load (R-Y03; seed 004 §VI): the deputy forms the
curriculum of each class (hours per week by part, a whole parallel at once) and gives each
teacher their subjects in classes or subgroups; the platform shows the hours left without a
teacher. Scenarios through the services, the pages and the API."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Person
from accounts.roles import Role
from audit.models import AuditRecord
from core.errors import Conflict, PermissionDenied, ValidationFailed
from curriculum import selectors, services
from curriculum.models import CurriculumLine, CurriculumPart, EducationalArea, Subject, TeachingAssignment
from roster.models import SchoolClass, Subgroup, SubgroupKind
from schoolyear.guards import YearClosed
from schoolyear.models import AcademicYear
from tenants.db import use_school
from tests.conftest import current_year_in_schema, make_class

pytestmark = pytest.mark.django_db
M, E, X = CurriculumPart.MANDATORY, CurriculumPart.ELECTIVE, CurriculumPart.EXTRACURRICULAR


@dataclass
class W:
    school: Any
    deputy: Person
    teacher: Person
    english: Person
    methodist: Person
    parent: Person
    year: AcademicYear
    c5a: SchoolClass
    c5b: SchoolClass
    maths: Subject
    russian: Subject
    eng: Subject
    talks: Subject


@pytest.fixture
def w(school_a: Any, make_person: Any, grant: Any) -> W:
    deputy, teacher = make_person("Морозов", "Андрей"), make_person("Лебедева", "Ольга")
    english, methodist, parent = make_person("Английская", "Елена"), make_person("Методистова", "Вера"), make_person("Родитель", "Иван")
    grant(deputy, Role.DEPUTY, school_a)
    grant(teacher, Role.TEACHER, school_a)
    grant(english, Role.TEACHER, school_a)
    grant(methodist, Role.METHODIST, school_a)
    grant(parent, Role.PARENT, school_a)
    use_school(school_a)
    year = current_year_in_schema()
    area = EducationalArea.objects.create(name="Математика и информатика")
    return W(
        school=school_a, deputy=deputy, teacher=teacher, english=english, methodist=methodist, parent=parent, year=year,
        c5a=make_class(5, "А"), c5b=make_class(5, "Б"),
        maths=Subject.objects.create(name="Математика", short_name="Матем.", area=area),
        russian=Subject.objects.create(name="Русский язык", short_name="Рус. яз."),
        eng=Subject.objects.create(name="Иностранный язык (английский)", short_name="Англ. яз."),
        talks=Subject.objects.create(name="Разговоры о важном", is_extracurricular=True),
    )


# --- subjects ----------------------------------------------------------------------------------

def test_subjects_and_areas_are_created_unique_and_audited(w: W) -> None:
    """R-Y03: subjects and educational areas, names unique whatever the case, in Russian."""
    area = services.create_area(w.deputy, w.school, "  Естественно-научные   предметы ")
    assert area.name == "Естественно-научные предметы"
    physics = services.create_subject(w.deputy, w.school, services.SubjectData(name="Физика", short_name="Физ.", area=area))
    with pytest.raises(ValidationFailed) as exc:
        services.create_subject(w.deputy, w.school, services.SubjectData(name="физика"))
    assert exc.value.fields["name"] == ["Предмет «физика» уже есть."]
    with pytest.raises(ValidationFailed) as exc:
        services.create_area(w.deputy, w.school, "естественно-научные предметы")
    assert "name" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        services.create_subject(w.deputy, w.school, services.SubjectData(name="Астрономия", short_name="матем."))
    assert "short_name" in exc.value.fields
    services.update_subject(w.deputy, w.school, physics, services.SubjectData(name="Физика", short_name="Ф", area=None))
    physics.refresh_from_db()
    assert physics.short_name == "Ф" and physics.area is None
    actions = set(AuditRecord.objects.filter(school=w.school).values_list("action", flat=True))
    assert {"curriculum.area.create", "curriculum.subject.create", "curriculum.subject.update"} <= actions


def test_used_subject_and_nonempty_area_cannot_be_deleted(w: W) -> None:
    """R-Y03: a subject in the curriculum stays; an area with subjects stays; unused ones go."""
    services.set_line(w.deputy, w.school, w.c5a, w.maths, hours=5)
    with pytest.raises(Conflict, match="уже есть в учебном плане"):
        services.delete_subject(w.deputy, w.school, w.maths)
    with pytest.raises(Conflict):
        services.delete_area(w.deputy, w.school, w.maths.area)  # type: ignore[arg-type]
    services.delete_subject(w.deputy, w.school, w.russian)
    assert not Subject.objects.filter(name="Русский язык").exists()
    assert AuditRecord.objects.filter(action="curriculum.subject.delete", school=w.school).count() == 1


def test_only_the_deputy_and_administration_write(w: W) -> None:
    """R-Y03 (004 §VI: the deputy forms the curriculum): a teacher or a methodist may not."""
    for person in (w.teacher, w.methodist, w.parent):
        with pytest.raises(PermissionDenied):
            services.create_subject(person, w.school, services.SubjectData(name="Астрономия"))
        with pytest.raises(PermissionDenied):
            services.set_line(person, w.school, w.c5a, w.maths, hours=5)
    assert not CurriculumLine.objects.exists()


# --- the curriculum ----------------------------------------------------------------------------

def test_class_curriculum_by_part_with_totals(w: W) -> None:
    """R-Y03: hours per week per subject per class, with the part, and totals per part."""
    services.set_line(w.deputy, w.school, w.c5a, w.maths, hours=5)
    services.set_line(w.deputy, w.school, w.c5a, w.maths, hours="1", part=E)
    services.set_line(w.deputy, w.school, w.c5a, w.russian, hours=Decimal("4.5"))
    services.set_line(w.deputy, w.school, w.c5a, w.talks, hours=1, part=X)
    line = services.set_line(w.deputy, w.school, w.c5a, w.russian, hours=5)  # the same line: its hours change
    assert CurriculumLine.objects.filter(school_class=w.c5a).count() == 4
    assert line.hours_per_week == 5
    plan = selectors.class_plan(w.c5a)
    assert (plan.totals.mandatory, plan.totals.elective, plan.totals.extracurricular) == (10, 1, 1)
    assert (plan.totals.classroom, plan.totals.total, plan.totals.max_allowed) == (11, 12, 29)
    assert selectors.planned_hours(w.c5a.pk, w.maths.pk) == 6
    with pytest.raises(ValidationFailed) as exc:
        services.set_line(w.deputy, w.school, w.c5a, w.maths, hours="1,3")
    assert exc.value.fields["hours_per_week"] == ["Часы указываются с шагом 0,5."]
    with pytest.raises(ValidationFailed) as exc:
        services.set_line(w.deputy, w.school, w.c5a, w.talks, hours=1, part=M)
    assert "внеурочной деятельности" in exc.value.fields["part"][0]
    with pytest.raises(ValidationFailed):
        services.set_line(w.deputy, w.school, w.c5a, w.maths, hours=0)


def test_bulk_entry_for_a_whole_parallel(w: W) -> None:
    """R-Y03: one plan applied to every class of a parallel at once; `replace` drops the rest;
    a bad line leaves nothing written."""
    services.set_line(w.deputy, w.school, w.c5b, w.eng, hours=2)
    plan = [services.PlanItem(w.maths, 5), services.PlanItem(w.russian, 5), services.PlanItem(w.maths, 1, E),
            services.PlanItem(w.talks, 1, X)]
    classes = services.apply_to_parallel(w.deputy, w.school, w.year, 5, plan)
    assert [str(c) for c in classes] == ["5А", "5Б"]
    parallel = selectors.parallel_plan(w.year, 5)
    assert [p.totals.total for p in parallel.plans] == [12, 14]
    rows = {(r.subject.name, r.part): r.hours for r in parallel.rows}
    assert rows[("Математика", M)] == [5, 5] and rows[("Иностранный язык (английский)", M)] == [None, 2]
    services.apply_to_parallel(w.deputy, w.school, w.year, 5, plan, replace=True)
    assert not CurriculumLine.objects.filter(subject=w.eng).exists()
    before = list(CurriculumLine.objects.order_by("pk").values_list("pk", "hours_per_week"))
    with pytest.raises(ValidationFailed) as exc:
        services.apply_to_parallel(w.deputy, w.school, w.year, 5, [services.PlanItem(w.maths, 7), services.PlanItem(w.russian, "0,7")])
    assert "Строка 2 (Русский язык)" in exc.value.fields["lines"][0]
    assert list(CurriculumLine.objects.order_by("pk").values_list("pk", "hours_per_week")) == before
    with pytest.raises(ValidationFailed) as exc:
        services.apply_to_parallel(w.deputy, w.school, w.year, 9, plan)
    assert "grade" in exc.value.fields
    record = AuditRecord.objects.filter(action="curriculum.parallel.apply").last()
    assert record is not None and record.after["classes"] == ["5А", "5Б"]


def test_closed_year_refuses_curriculum_and_load_changes(w: W) -> None:
    """R-Y03, R-Y05: a closed year's curriculum and load are read-only."""
    line = services.set_line(w.deputy, w.school, w.c5a, w.maths, hours=5)
    assignment = services.assign_teacher(w.deputy, w.school, services.AssignmentData(w.teacher, w.maths, w.c5a, 5))
    AcademicYear.objects.filter(pk=w.year.pk).update(status="closed")
    w.c5a.refresh_from_db()
    line.refresh_from_db()
    assignment.refresh_from_db()
    with pytest.raises(YearClosed):
        services.set_line(w.deputy, w.school, w.c5a, w.russian, hours=5)
    with pytest.raises(YearClosed):
        services.update_line(w.deputy, w.school, line, hours=4)
    with pytest.raises(YearClosed):
        services.delete_line(w.deputy, w.school, line)
    with pytest.raises(YearClosed):
        services.apply_to_parallel(w.deputy, w.school, AcademicYear.objects.get(pk=w.year.pk), 5, [services.PlanItem(w.maths, 4)])
    with pytest.raises(YearClosed):
        services.assign_teacher(w.deputy, w.school, services.AssignmentData(w.english, w.maths, w.c5a, 1))
    with pytest.raises(YearClosed):
        services.delete_assignment(w.deputy, w.school, assignment)
    assert CurriculumLine.objects.get(pk=line.pk).hours_per_week == 5


# --- the teaching load ---------------------------------------------------------------------------

def test_assignment_rules(school_b: Any, w: W, make_person: Any, grant: Any) -> None:
    """R-Y03: the teacher is staff of this school, the subgroup is of that class, the subject is
    in the class's curriculum and the load never exceeds it; assigning again changes the hours."""
    use_school(w.school)
    services.set_line(w.deputy, w.school, w.c5a, w.maths, hours=5)
    stranger = make_person("Чужая", "Учительница")
    grant(stranger, Role.TEACHER, school_b)
    family = w.parent
    for person in (stranger, family):
        with pytest.raises(ValidationFailed) as exc:
            services.assign_teacher(w.deputy, w.school, services.AssignmentData(person, w.maths, w.c5a, 5))
        assert "не работает в этой школе" in exc.value.fields["teacher"][0]
    other_group = Subgroup.objects.create(school_class=w.c5b, kind=SubgroupKind.OTHER, name="Группа 1")
    with pytest.raises(ValidationFailed) as exc:
        services.assign_teacher(w.deputy, w.school, services.AssignmentData(w.teacher, w.maths, w.c5a, 5, subgroup=other_group))
    assert "subgroup" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        services.assign_teacher(w.deputy, w.school, services.AssignmentData(w.teacher, w.russian, w.c5a, 5))
    assert "нет в учебном плане 5А" in exc.value.fields["subject"][0]
    a = services.assign_teacher(w.deputy, w.school, services.AssignmentData(w.teacher, w.maths, w.c5a, 3))
    again = services.assign_teacher(w.deputy, w.school, services.AssignmentData(w.teacher, w.maths, w.c5a, 4))
    assert again.pk == a.pk and again.hours_per_week == 4
    with pytest.raises(ValidationFailed) as exc:
        services.assign_teacher(w.deputy, w.school, services.AssignmentData(w.english, w.maths, w.c5a, 2))
    assert exc.value.fields["hours_per_week"] == ["Нагрузка по «Математика» классу 5А превысит учебный план: 6 ч при 5 ч по плану."]
    moved = services.update_assignment(w.deputy, w.school, a, teacher=w.english, hours=5)
    assert moved.teacher_id == w.english.pk and moved.hours_per_week == 5
    assert AuditRecord.objects.filter(action="curriculum.assignment.update", school=w.school).count() == 1


def test_unassigned_hours_check_counts_each_subgroup(w: W) -> None:
    """R-Y03: the check lists curriculum hours without a teacher per class and subject; a subject
    split into subgroups needs each subgroup covered; teachers' total loads are summed."""
    g1 = Subgroup.objects.create(school_class=w.c5a, kind=SubgroupKind.FOREIGN_LANGUAGE, name="Англ., 1 группа")
    g2 = Subgroup.objects.create(school_class=w.c5a, kind=SubgroupKind.FOREIGN_LANGUAGE, name="Англ., 2 группа")
    Subgroup.objects.create(school_class=w.c5a, kind=SubgroupKind.INFORMATICS, name="Информатика, 1 группа")
    for c in (w.c5a, w.c5b):
        services.set_line(w.deputy, w.school, c, w.maths, hours=5)
        services.set_line(w.deputy, w.school, c, w.eng, hours=3)
    services.assign_teacher(w.deputy, w.school, services.AssignmentData(w.teacher, w.maths, w.c5a, 5))
    services.assign_teacher(w.deputy, w.school, services.AssignmentData(w.teacher, w.maths, w.c5b, 3))
    services.assign_teacher(w.deputy, w.school, services.AssignmentData(w.english, w.eng, w.c5a, 3, subgroup=g1))
    services.assign_teacher(w.deputy, w.school, services.AssignmentData(w.english, w.eng, w.c5b, 3))
    check = selectors.load_check(w.year)
    gaps = {(str(r.school_class), r.subject.name, r.subgroup.name if r.subgroup else None): r.missing for r in check.unassigned}
    assert gaps == {("5А", "Иностранный язык (английский)", "Англ., 2 группа"): 3, ("5Б", "Математика", None): 2}
    assert check.unassigned_hours == 5 and check.surplus == []
    loads = {t.teacher.surname: t.total for t in check.teachers}
    assert loads == {"Лебедева": 8, "Английская": 6}
    services.assign_teacher(w.deputy, w.school, services.AssignmentData(w.english, w.eng, w.c5a, 3, subgroup=g2))
    assert ("5А", "Иностранный язык (английский)", "Англ., 2 группа") not in {
        (str(r.school_class), r.subject.name, r.subgroup.name if r.subgroup else None) for r in selectors.load_check(w.year).unassigned}


# --- pages and API ---------------------------------------------------------------------------------

def test_pages_show_class_plan_parallel_and_load(w: W, client_for: Any) -> None:
    """R-Y03: the deputy enters a class's hours on its page, a parallel's plan at once, assigns a
    teacher and sees what is left without a teacher; errors show next to the field in Russian."""
    client = client_for(w.deputy)
    url = f"/s/alpha/curriculum/classes/{w.c5a.pk}/"
    response = client.post(url, {"action": "add", "subject": w.maths.pk, "part": M, "hours": "5"})
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert 'data-testid="total-mandatory">5<' in page and 'data-testid="total-all">5<' in page
    bad = client.post(url, {"action": "add", "subject": w.talks.pk, "part": M, "hours": "1"})
    assert bad.status_code == 200 and "курс внеурочной деятельности" in bad.content.decode()
    response = client.post("/s/alpha/curriculum/parallels/5/", {f"h_{w.russian.pk}_mandatory": "5", f"h_{w.maths.pk}_mandatory": "5"})
    assert response.status_code == 302
    use_school(w.school)
    assert CurriculumLine.objects.filter(subject=w.russian).count() == 2
    response = client.post("/s/alpha/curriculum/load/", {"teacher": w.teacher.pk, "subject": w.maths.pk, "school_class": w.c5a.pk,
                                                          "subgroup": "", "hours": "5"})
    assert response.status_code == 302
    load = client.get("/s/alpha/curriculum/load/").content.decode()
    assert 'data-testid="unassigned"' in load and "Не распределено: 15 ч в неделю." in load
    assert "Лебедева Ольга" in load
    bad = client.post("/s/alpha/curriculum/load/", {"teacher": w.parent.pk, "subject": w.maths.pk, "school_class": w.c5a.pk,
                                                     "subgroup": "", "hours": "5"})
    assert bad.status_code == 200  # a parent is no choice at all
    overview = client.get("/s/alpha/curriculum/").content.decode()
    assert f'data-testid="class-row-{w.c5a.pk}"' in overview and "Параллели" in overview


def test_teacher_reads_only_own_classes_curriculum(w: W, client_for: Any) -> None:
    """R-Y03: teachers read the curriculum of the classes they teach; not the others', not the load."""
    use_school(w.school)
    services.set_line(w.deputy, w.school, w.c5a, w.maths, hours=5)
    services.assign_teacher(w.deputy, w.school, services.AssignmentData(w.teacher, w.maths, w.c5a, 5))
    client = client_for(w.teacher)
    assert client.get(f"/s/alpha/curriculum/classes/{w.c5a.pk}/").status_code == 200
    assert client.get(f"/s/alpha/curriculum/classes/{w.c5b.pk}/").status_code == 403
    index = client.get("/s/alpha/curriculum/").content.decode()
    assert "5А" in index and "5Б" not in index
    assert client.get("/s/alpha/curriculum/load/").status_code == 403
    mine = client.get("/api/v1/schools/alpha/curriculum/assignments/").json()
    assert [a["teacher_id"] for a in mine] == [w.teacher.pk]
    assert client.post(f"/s/alpha/curriculum/classes/{w.c5a.pk}/", {"action": "add", "subject": w.russian.pk, "part": M,
                                                                    "hours": "5"}).status_code == 403


def test_api_round_trip_and_error_shape(w: W, client_for: Any) -> None:
    """R-Y03: the API creates subjects, lines (one class and a parallel), assignments, and answers
    the check; errors come as {"error": {"code", "message", "fields"}} in Russian."""
    client = client_for(w.deputy)
    base = "/api/v1/schools/alpha/curriculum"
    r = client.post(f"{base}/subjects/", {"name": "История", "short_name": "Ист."}, content_type="application/json")
    assert r.status_code == 201, r.content
    history = r.json()["id"]
    r = client.post(f"{base}/subjects/", {"name": "история"}, content_type="application/json")
    assert r.status_code == 400 and r.json()["error"]["fields"]["name"] == ["Предмет «история» уже есть."]
    r = client.post(f"{base}/lines/", {"class_id": w.c5a.pk, "subject_id": history, "hours_per_week": "2"}, content_type="application/json")
    assert r.status_code == 201 and r.json()["part"] == M
    r = client.post(f"{base}/parallels/5/", {"lines": [{"subject_id": w.maths.pk, "hours_per_week": "5"},
                                                       {"subject_id": w.talks.pk, "part": X, "hours_per_week": "1"}]},
                    content_type="application/json")
    assert r.status_code == 200, r.content
    assert [t["total"] for t in r.json()["totals"]] == ["8.0", "6.0"]
    plan = client.get(f"{base}/classes/{w.c5a.pk}/").json()
    assert plan["totals"]["classroom"] == "7.0" and plan["totals"]["extracurricular"] == "1.0"
    r = client.post(f"{base}/assignments/", {"teacher_id": w.teacher.pk, "subject_id": w.maths.pk, "class_id": w.c5a.pk,
                                             "hours_per_week": "5"}, content_type="application/json")
    assert r.status_code == 201 and r.json()["teacher"] == "Лебедева Ольга"
    check = client.get(f"{base}/check/").json()
    assert check["unassigned_hours"] == "9.0"
    assert {(g["class_name"], g["subject"]) for g in check["unassigned"]} == {
        ("5А", "История"), ("5А", "Разговоры о важном"), ("5Б", "Математика"), ("5Б", "Разговоры о важном")}
    r = client.patch(f"{base}/lines/{plan['lines'][0]['id']}/", {"hours_per_week": "0.3"}, content_type="application/json")
    assert r.status_code == 400 and r.json()["error"]["code"] == "invalid"
    teacher_client = client_for(w.teacher)
    r = teacher_client.post(f"{base}/subjects/", {"name": "Астрономия"}, content_type="application/json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"


def _many_classes(w: W, n: int, start: int = 0) -> None:
    use_school(w.school)
    for i in range(start, start + n):
        c = SchoolClass.objects.create(year=w.year, grade=6 + i % 5, letter="ВГДЕЖЗИКЛМН"[i // 5])
        for subject in (w.maths, w.russian, w.eng):
            CurriculumLine.objects.create(school_class=c, subject=subject, hours_per_week=3)
            TeachingAssignment.objects.create(teacher=w.teacher, subject=subject, school_class=c, hours_per_week=2)


def test_overview_and_load_pages_cost_constant_queries(w: W, client_for: Any, django_assert_max_num_queries: Any) -> None:
    """R-Y03: the curriculum overview, a parallel and the load page cost the same number of SQL
    queries with 2 classes as with 30 classes, 90 lines and 90 assignments."""
    client = client_for(w.deputy)
    urls = ["/s/alpha/curriculum/", "/s/alpha/curriculum/load/", "/s/alpha/curriculum/parallels/6/",
            "/api/v1/schools/alpha/curriculum/check/", "/api/v1/schools/alpha/curriculum/assignments/"]
    _many_classes(w, 2)
    small = {}
    for url in urls:
        client.get(url)
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        small[url] = len(ctx.captured_queries)
    _many_classes(w, 28, start=2)
    for url in urls:
        with django_assert_max_num_queries(small[url]):
            assert client.get(url).status_code == 200


def test_demo_curriculum_is_realistic(w: W, make_person: Any, grant: Any, district_admin: Person) -> None:
    """R-Y03: the demo curriculum follows the federal programmes and the load covers it fully."""
    import random

    from curriculum import demo

    use_school(w.school)
    Subject.objects.all().delete()
    EducationalArea.objects.all().delete()
    SchoolClass.objects.all().delete()
    teachers = [make_person(f"Учитель{i}", "Тест") for i in range(16)]
    for t in teachers:
        grant(t, Role.TEACHER, w.school)
    use_school(w.school)
    # As seed_demo makes them: 14 classes, the class teachers klruk and then the others.
    names = [(g, letter) for g in range(1, 12) for letter in "АБ"[: 2 if g in (1, 5, 10) else 1]]
    classes = [make_class(g, letter, class_teacher=teachers[1 + i % 15]) for i, (g, letter) in enumerate(names)]
    ctx = {"school": w.school, "actor": district_admin, "year": w.year, "classes": classes, "teachers": teachers,
           "named": {"uchitel": teachers[0], "klruk": teachers[1]}, "rng": random.Random(1), "index": 1}
    demo.seed_school(ctx)
    totals = {p.school_class.grade: p.totals for p in selectors.classes_overview(w.year)}
    assert totals[1].classroom == 21 and totals[5].classroom == 29 and totals[9].classroom == 33
    assert all(not t.over_limit for t in totals.values())
    check = selectors.load_check(w.year)
    assert check.unassigned == [] and check.surplus == []
    loads = {t.teacher.pk: t.total for t in check.teachers}
    assert 18 <= loads[teachers[0].pk] <= 30 and 18 <= loads[teachers[1].pk] <= 30
    assert max(loads.values()) <= 30
