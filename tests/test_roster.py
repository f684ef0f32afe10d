"""Classes, class teachers and subgroups of a school (R-Y02), and the roster's pages and lists at
a constant number of SQL queries. The shared scenario fixture `roster` lives here and is imported
by tests/test_movement.py and tests/test_personal_data.py."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership, Person
from accounts.roles import Role
from accounts.services import PersonData
from audit.models import AuditRecord
from core.errors import PermissionDenied, ValidationFailed
from roster import services
from roster.models import Enrolment, MovementOrder, OrderKind, SchoolClass, Subgroup, SubgroupMember
from schoolyear.guards import YearClosed
from schoolyear.models import AcademicYear
from tenants.db import use_public, use_school
from tenants.models import School
from tests.conftest import current_year_in_schema, make_class

pytestmark = pytest.mark.django_db

D = dt.date
ORDER_DATE = D(2026, 8, 28)
FIRST_DAY = D(2026, 9, 1)


@dataclass
class Roster:
    school: School
    admin: Person
    deputy: Person
    secretary: Person
    hr: Person
    teacher: Person
    ct: Person  # class teacher of 5А
    year: AcademicYear
    c5a: SchoolClass
    c5b: SchoolClass
    c6a: SchoolClass
    order: MovementOrder  # an enrolment order of 28.08.2026

    def enter(self) -> None:
        use_school(self.school)

    def admit(self, school_class: SchoolClass, surname: str, name: str = "Иван", *, birth: dt.date = D(2015, 3, 1),
              sex: str = "m", patronymic: str = "") -> Person:
        """Enrols a new student on 01.09.2026 by the roster's enrolment order (test set-up through the service)."""
        self.enter()
        enrolment = services.enrol_student(self.admin, self.school, PersonData(surname, name, patronymic, sex=sex, birth_date=birth),
                                           school_class, order=self.order, on=FIRST_DAY)
        return Person.objects.get(pk=enrolment.student_id)


def fresh(person: Person) -> Person:
    person.__dict__.pop("_zhurnal_access", None)
    return person


@pytest.fixture
def roster(school_a: School, make_person: Any, grant: Any) -> Roster:
    return make_roster(school_a, make_person, grant)


def make_roster(school_a: School, make_person: Any, grant: Any) -> Roster:
    """School A with its administration, a teacher, the class teacher of 5А, classes 5А, 5Б, 6А of 2026/2027
    and an enrolment order (the other roster test modules build their `roster` fixture with it)."""
    admin = make_person("Зайцева", "Алла")
    deputy = make_person("Лисицын", "Пётр")
    secretary = make_person("Барсукова", "Инна")
    hr = make_person("Хорькова", "Нина")
    teacher = make_person("Сорокин", "Олег", sex="m", birth_date=D(1980, 1, 1))
    ct = make_person("Ежова", "Вера", sex="f", birth_date=D(1979, 5, 5))
    for person, role in ((admin, Role.SCHOOL_ADMIN), (deputy, Role.DEPUTY), (secretary, Role.SECRETARY), (hr, Role.HR_CLERK),
                         (teacher, Role.TEACHER), (ct, Role.TEACHER)):
        grant(person, role, school_a)
    use_school(school_a)
    year = current_year_in_schema()
    c5a = make_class(5, "А", class_teacher=ct)
    grant(ct, Role.CLASS_TEACHER, school_a, class_id=c5a.pk)
    c5b, c6a = make_class(5, "Б"), make_class(6, "А")
    order = MovementOrder.objects.create(kind=OrderKind.ENROL, number="1-у", date=ORDER_DATE)
    use_public()  # other schools may be made after this fixture; tests call roster.enter()
    return Roster(school=school_a, admin=fresh(admin), deputy=deputy, secretary=secretary, hr=hr, teacher=teacher, ct=fresh(ct),
                  year=year, c5a=c5a, c5b=c5b, c6a=c6a, order=order)


def class_teacher_roles(school: School, class_id: int) -> list[tuple[int, Any]]:
    return sorted(Membership.objects.filter(school=school, role=Role.CLASS_TEACHER, class_id=class_id).values_list("person_id", "until"))


# --- classes ---------------------------------------------------------------------------------------

def test_class_is_created_with_normalised_letter_and_its_class_teacher_role(roster: Roster) -> None:
    """R-Y02: a class "7Б" of the current year with a profile and a class teacher; the letter is upper-case
    Cyrillic whatever was typed, and the class teacher gets the class_teacher role for exactly this class."""
    roster.enter()
    created = services.create_class(roster.admin, roster.school, services.ClassData(7, " б ", "физико-математический", roster.teacher.pk))
    assert (created.grade, created.letter, created.year_id) == (7, "Б", roster.year.pk)
    latin = services.create_class(roster.admin, roster.school, services.ClassData(8, "A"))  # a Latin A
    assert latin.letter == "А"
    assert class_teacher_roles(roster.school, created.pk) == [(roster.teacher.pk, None)]
    assert AuditRecord.objects.filter(action="class.create", school=roster.school).count() == 2
    assert AuditRecord.objects.filter(action="role.grant", school=roster.school, object_id=str(
        Membership.objects.get(role=Role.CLASS_TEACHER, class_id=created.pk).pk)).exists()


def test_changing_class_teacher_ends_the_old_role_and_grants_the_new(roster: Roster) -> None:
    """R-Y02: one class teacher per class; the public Membership follows the class."""
    roster.enter()
    services.update_class(roster.deputy, roster.school, roster.c5a, services.ClassData(5, "А", "", roster.teacher.pk))
    yesterday = dt.date.today() - dt.timedelta(days=1)
    rows = dict(class_teacher_roles(roster.school, roster.c5a.pk))
    assert rows[roster.teacher.pk] is None
    # The old role was granted today in the fixture, so it ends today at the earliest.
    assert rows[roster.ct.pk] is not None and rows[roster.ct.pk] >= yesterday
    roster.c5a.refresh_from_db()
    assert roster.c5a.class_teacher == roster.teacher
    services.update_class(roster.deputy, roster.school, roster.c5a, services.ClassData(5, "А", "", None))
    assert Membership.objects.current().filter(role=Role.CLASS_TEACHER, class_id=roster.c5a.pk, until__isnull=True).count() == 0


def test_class_teacher_from_another_school_is_refused_and_nothing_changes(roster: Roster, school_b: School, make_person: Any,
                                                                          grant: Any) -> None:
    """R-Y02: a class teacher must be a staff member of THIS school; a teacher of school B or a parent of
    school A is refused with a Russian error naming the field, and nothing is written."""
    stranger = make_person("Чужой", "Учитель")
    grant(stranger, Role.TEACHER, school_b)
    parent = make_person("Родитель", "Просто")
    grant(parent, Role.PARENT, roster.school)
    roster.enter()
    before = (SchoolClass.objects.count(), Membership.objects.count(), AuditRecord.objects.count())
    for who in (stranger, parent):
        with pytest.raises(ValidationFailed) as exc:
            services.create_class(roster.admin, roster.school, services.ClassData(9, "В", "", who.pk))
        assert exc.value.fields["class_teacher_id"] == ["Классным руководителем можно назначить только сотрудника этой школы."]
    with pytest.raises(ValidationFailed):
        services.update_class(roster.admin, roster.school, roster.c5a, services.ClassData(5, "А", "", stranger.pk))
    assert (SchoolClass.objects.count(), Membership.objects.count(), AuditRecord.objects.count()) == before
    roster.c5a.refresh_from_db()
    assert roster.c5a.class_teacher == roster.ct


@pytest.mark.parametrize(("data", "field"), [
    (services.ClassData(5, "А"), "letter"),       # taken this year
    (services.ClassData(12, "А"), "grade"),
    (services.ClassData(0, "А"), "grade"),
    (services.ClassData(5, "1"), "letter"),
    (services.ClassData(5, "Q"), "letter"),
    (services.ClassData(5, ""), "letter"),
])
def test_bad_class_is_refused(roster: Roster, data: services.ClassData, field: str) -> None:
    """R-Y02: parallels 1–11, Cyrillic letters, one 5А a year."""
    roster.enter()
    before = SchoolClass.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        services.create_class(roster.admin, roster.school, data)
    assert field in exc.value.fields
    assert SchoolClass.objects.count() == before


def test_class_of_a_closed_year_cannot_change(roster: Roster) -> None:
    """R-Y02, R-Y05: a closed year's classes stay as they were."""
    roster.enter()
    AcademicYear.objects.filter(pk=roster.year.pk).update(status="closed")
    for call in (
        lambda: services.update_class(roster.admin, roster.school, roster.c5a, services.ClassData(5, "А", "профиль")),
        lambda: services.delete_class(roster.admin, roster.school, roster.c6a),
        lambda: services.create_class(roster.admin, roster.school, services.ClassData(9, "А"), year=AcademicYear.objects.get()),
        lambda: services.create_subgroup(roster.admin, roster.school, roster.c5a, kind="pe", name="Мальчики"),
    ):
        with pytest.raises(YearClosed):
            call()
    roster.c5a.refresh_from_db()
    assert roster.c5a.profile == ""


def test_only_an_empty_class_is_deleted(roster: Roster) -> None:
    """R-Y02: a class where someone studies (or studied) stays; an empty one goes with its subgroups
    and its class teacher's role."""
    roster.admit(roster.c5b, "Котов")
    with pytest.raises(ValidationFailed) as exc:
        services.delete_class(roster.admin, roster.school, roster.c5b)
    assert exc.value.code == "class_not_empty"
    services.create_subgroup(roster.admin, roster.school, roster.c5a, kind="pe", name="Группа")
    services.update_class(roster.admin, roster.school, roster.c6a, services.ClassData(6, "А", "", roster.teacher.pk))
    services.delete_class(roster.admin, roster.school, roster.c6a)
    assert not SchoolClass.objects.filter(pk=roster.c6a.pk).exists()
    assert not Membership.objects.current().filter(role=Role.CLASS_TEACHER, class_id=roster.c6a.pk, until__isnull=True).exists()
    assert AuditRecord.objects.filter(action="class.delete").exists()


def test_only_class_managers_manage_classes(roster: Roster) -> None:
    """R-Y02, R-P04: the school administrator, director and deputy form classes; the secretary, HR clerk,
    a teacher and a class teacher do not."""
    roster.enter()
    for who in (roster.secretary, roster.hr, roster.teacher, roster.ct):
        with pytest.raises(PermissionDenied):
            services.create_class(who, roster.school, services.ClassData(9, "Г"))
        with pytest.raises(PermissionDenied):
            services.update_class(who, roster.school, roster.c5a, services.ClassData(5, "А", "х"))
    assert services.create_class(roster.deputy, roster.school, services.ClassData(9, "Г")).letter == "Г"


# --- subgroups --------------------------------------------------------------------------------------

def test_subgroups_only_of_the_class_students_and_one_per_kind(roster: Roster) -> None:
    """R-Y02 (001 §3.3): subgroups for a foreign language etc. hold only students enrolled in the class now,
    and a student is in one subgroup of each kind."""
    a, b = roster.admit(roster.c5a, "Алексеев"), roster.admit(roster.c5a, "Борисов")
    elsewhere = roster.admit(roster.c5b, "Вишнев")
    eng1 = services.create_subgroup(roster.admin, roster.school, roster.c5a, kind="foreign_language", name="Английский, 1 группа",
                                    student_ids=[a.pk])
    with pytest.raises(ValidationFailed) as exc:
        services.set_subgroup_members(roster.admin, roster.school, eng1, [a.pk, elsewhere.pk])
    assert "student_ids" in exc.value.fields
    eng2 = services.create_subgroup(roster.admin, roster.school, roster.c5a, kind="foreign_language", name="Английский, 2 группа")
    with pytest.raises(ValidationFailed) as exc:
        services.set_subgroup_members(roster.admin, roster.school, eng2, [a.pk, b.pk])
    assert exc.value.code == "subgroup_clash" and "Английский, 1 группа" in exc.value.message
    services.set_subgroup_members(roster.admin, roster.school, eng2, [b.pk])
    # Another kind is independent.
    services.create_subgroup(roster.admin, roster.school, roster.c5a, kind="informatics", name="Информатика 1", student_ids=[a.pk, b.pk])
    assert set(SubgroupMember.objects.filter(subgroup=eng1).values_list("student_id", flat=True)) == {a.pk}
    with pytest.raises(ValidationFailed):
        services.create_subgroup(roster.admin, roster.school, roster.c5a, kind="pe", name="английский, 1 ГРУППА")
    with pytest.raises(ValidationFailed):
        services.create_subgroup(roster.admin, roster.school, roster.c5a, kind="chess", name="Шахматы")


def test_split_class_in_one_action(roster: Roster) -> None:
    """R-Y02: a class is split into two groups in one action (alphabetical halves by default)."""
    people = [roster.admit(roster.c5a, surname) for surname in ("Андреев", "Белов", "Волков", "Гусев", "Дронов")]
    first, second = services.split_class(roster.admin, roster.school, roster.c5a, kind="technology")
    assert first.name == "Технология, 1 группа" and second.name == "Технология, 2 группа"
    members = lambda g: set(SubgroupMember.objects.filter(subgroup=g).values_list("student_id", flat=True))  # noqa: E731
    assert members(first) == {p.pk for p in people[:3]} and members(second) == {p.pk for p in people[3:]}
    with pytest.raises(ValidationFailed):  # the kind is already divided
        services.split_class(roster.admin, roster.school, roster.c5a, kind="technology", names=("Т1", "Т2"))
    pe1, pe2 = services.split_class(roster.admin, roster.school, roster.c5a, kind="pe", names=("Мальчики", "Девочки"),
                                    first_group=[people[0].pk])
    assert members(pe1) == {people[0].pk} and len(members(pe2)) == 4


def test_class_teacher_divides_own_class_only(roster: Roster, make_person: Any, grant: Any) -> None:
    """R-Y02 (001 §3.3): the class teacher checks and corrects their class's division into subgroups;
    not another class's, and not the class itself."""
    a = roster.admit(roster.c5a, "Антонов")
    roster.admit(roster.c5b, "Быков")
    group = services.create_subgroup(roster.ct, roster.school, roster.c5a, kind="pe", name="Группа 1", student_ids=[a.pk])
    services.rename_subgroup(roster.ct, roster.school, group, "Основная группа")
    with pytest.raises(PermissionDenied):
        services.create_subgroup(roster.ct, roster.school, roster.c5b, kind="pe", name="Группа 1")
    with pytest.raises(PermissionDenied):
        services.update_class(roster.ct, roster.school, roster.c5a, services.ClassData(5, "А", "профиль"))
    services.delete_subgroup(roster.ct, roster.school, group)
    assert not Subgroup.objects.filter(pk=group.pk).exists()


def test_subgroup_pages_and_api(roster: Roster, client_for: Any) -> None:
    """R-Y02: the class teacher splits the class on the page; the API lists, renames and sets members."""
    a, b = roster.admit(roster.c5a, "Аксёнов"), roster.admit(roster.c5a, "Буров")
    client = client_for(roster.ct)
    page = client.get(f"/s/{roster.school.slug}/classes/{roster.c5a.pk}/subgroups/")
    assert page.status_code == 200 and "Разделить класс" in page.content.decode()
    response = client.post(f"/s/{roster.school.slug}/classes/{roster.c5a.pk}/subgroups/",
                           {"action": "split", "kind": "foreign_language", "student": [str(a.pk)]})
    assert response.status_code == 302
    api = f"/api/v1/schools/{roster.school.slug}"
    listing = client.get(f"{api}/classes/{roster.c5a.pk}/subgroups/").json()
    assert [len(g["members"]) for g in listing] == [1, 1]
    first = listing[0]["id"]
    renamed = client.patch(f"{api}/subgroups/{first}/", {"name": "Немецкий"}, content_type="application/json")
    assert renamed.json()["name"] == "Немецкий"
    clash = client.put(f"{api}/subgroups/{first}/members/", {"student_ids": [a.pk, b.pk]}, content_type="application/json")
    assert clash.status_code == 400 and clash.json()["error"]["code"] == "subgroup_clash"
    created = client.post(f"{api}/classes/{roster.c5a.pk}/subgroups/", {"kind": "pe", "name": "Физкультура", "student_ids": [a.pk, b.pk]},
                          content_type="application/json")
    assert created.status_code == 201 and {m["id"] for m in created.json()["members"]} == {a.pk, b.pk}


# --- the API of classes -------------------------------------------------------------------------

def test_classes_api_crud(roster: Roster, client_for: Any) -> None:
    """R-Y02: classes of the current year through the API, with student counts; errors in Russian."""
    roster.admit(roster.c5a, "Сидоров")
    client = client_for(roster.deputy)
    api = f"/api/v1/schools/{roster.school.slug}/classes"
    rows = {c["name"]: c for c in client.get(f"{api}/").json()}
    assert rows["5А"]["student_count"] == 1 and rows["5А"]["class_teacher"] == "Ежова Вера"
    created = client.post(f"{api}/", {"grade": 10, "letter": "а", "profile": "химико-биологический"}, content_type="application/json")
    assert created.status_code == 201 and created.json()["name"] == "10А"
    duplicate = client.post(f"{api}/", {"grade": 10, "letter": "А"}, content_type="application/json")
    assert duplicate.status_code == 400 and duplicate.json()["error"]["message"] == "Класс 10А в этом учебном году уже есть."
    class_id = created.json()["id"]
    patched = client.patch(f"{api}/{class_id}/", {"class_teacher_id": roster.teacher.pk}, content_type="application/json")
    assert patched.json()["class_teacher_id"] == roster.teacher.pk and patched.json()["profile"] == "химико-биологический"
    assert client.delete(f"{api}/{roster.c5a.pk}/").json()["error"]["code"] == "class_not_empty"
    assert client.delete(f"{api}/{class_id}/").status_code == 204
    assert client.get(f"{api}/999999/").status_code == 404


def test_class_pages_for_the_administration(roster: Roster, client_for: Any) -> None:
    """R-Y02: new class, edit and delete on pages; a field error is shown next to the field."""
    client = client_for(roster.admin)
    base = f"/s/{roster.school.slug}/classes"
    assert client.post(f"{base}/new/", {"grade": 11, "letter": "Б"}).status_code == 302
    taken = client.post(f"{base}/new/", {"grade": 11, "letter": "б"})
    assert taken.status_code == 200 and "Класс 11Б в этом учебном году уже есть." in taken.content.decode()
    roster.enter()
    eleven = SchoolClass.objects.get(grade=11)
    assert client.post(f"{base}/{eleven.pk}/edit/", {"grade": 11, "letter": "Б", "profile": "", "class_teacher_id": roster.teacher.pk}).status_code == 302
    page = client.get(f"{base}/").content.decode()
    assert "11Б" in page and "Сорокин Олег" in page
    assert client.post(f"{base}/{eleven.pk}/edit/", {"action": "delete"}).status_code == 302
    roster.enter()
    assert not SchoolClass.objects.filter(pk=eleven.pk).exists()


# --- lists at constant cost ------------------------------------------------------------------------

def _queries(client: Any, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx.captured_queries)


def _grow(roster: Roster, start: int, n: int) -> None:
    """n more students in 5А and 6А, each with a parent, a subgroup membership and a transfer."""
    roster.enter()
    group = Subgroup.objects.get_or_create(school_class=roster.c5a, kind="pe", name="Все")[0]
    for i in range(start, start + n):
        student = roster.admit(roster.c5a if i % 2 else roster.c6a, f"Ученик{i}", birth=D(2014, 1, 1 + i % 28))
        services.add_guardian(roster.admin, roster.school, student, PersonData(f"Родитель{i}", "Анна", sex="f", birth_date=D(1985, 1, 1)),
                              kind="mother")
        if i % 2:
            SubgroupMember.objects.create(subgroup=group, student=student)
        else:
            services.transfer_student(roster.admin, roster.school, student, roster.c5b,
                                      order=services.OrderData(f"П-{i}", D(2026, 10, 1)), on=D(2026, 10, 5))


def test_lists_cost_constant_queries(roster: Roster, client_for: Any, grant: Any) -> None:
    """R-Y02, R-Y06, R-A06, R-A07: the class list with student counts, the class page, the students list,
    a student's page, the parents list, the orders list, staff cards and subgroups cost the same number of
    SQL queries with 2 students as with 14 (each with a parent, orders and subgroups)."""
    client = client_for(roster.admin)
    _grow(roster, 0, 2)
    roster.enter()
    student = Enrolment.objects.filter(school_class=roster.c5b)[0].student
    s = roster.school.slug
    urls = [f"/s/{s}/classes/", f"/s/{s}/classes/{roster.c5a.pk}/", f"/s/{s}/classes/{roster.c5a.pk}/subgroups/", f"/s/{s}/students/",
            f"/s/{s}/students/?q=Ученик", f"/s/{s}/students/{student.pk}/", f"/s/{s}/parents/", f"/s/{s}/orders/",
            f"/s/{s}/staff-cards/", f"/api/v1/schools/{s}/students/", f"/api/v1/schools/{s}/students/{student.pk}/",
            f"/api/v1/schools/{s}/orders/", f"/api/v1/schools/{s}/staff-cards/", f"/api/v1/schools/{s}/classes/{roster.c5a.pk}/subgroups/"]
    small = {url: _queries(client, url) for url in urls}
    _grow(roster, 2, 12)
    large = {url: _queries(client, url) for url in urls}
    assert large == small


def test_class_teacher_sees_only_own_class_in_lists(roster: Roster, client_for: Any) -> None:
    """R-Y02, R-A03: a class teacher's lists of classes, students and parents hold their class only."""
    mine, other = roster.admit(roster.c5a, "Моисеев"), roster.admit(roster.c5b, "Чужов")
    client = client_for(roster.ct)
    s = roster.school.slug
    assert [c["name"] for c in client.get(f"/api/v1/schools/{s}/classes/").json()] == ["5А"]
    names = [r["surname"] for r in client.get(f"/api/v1/schools/{s}/students/").json()["results"]]
    assert names == ["Моисеев"]
    assert "Чужов" not in client.get(f"/s/{s}/students/").content.decode()
    assert client.get(f"/s/{s}/students/{other.pk}/").status_code == 403
    assert client.get(f"/s/{s}/students/{mine.pk}/").status_code == 200
    assert client.get(f"/api/v1/schools/{s}/students/{other.pk}/").status_code == 403


def test_another_schools_ids_reach_nothing(roster: Roster, school_b: School, make_person: Any, grant: Any,
                                           client_for: Any) -> None:
    """R-P01, R-Y02: B's administrator naming A's student, class and subgroup ids under B's own address
    gets 404 or a validation error, and learns no surname of school A."""
    student = roster.admit(roster.c5a, "Секретов")
    group = services.create_subgroup(roster.admin, roster.school, roster.c5a, kind="pe", name="Группа", student_ids=[student.pk])
    boss_b = make_person("Бобров", "Борис")
    grant(boss_b, Role.SCHOOL_ADMIN, school_b)
    client = client_for(boss_b)
    b = f"/api/v1/schools/{school_b.slug}"
    for response in (client.get(f"{b}/students/{student.pk}/"), client.get(f"{b}/subgroups/{group.pk}/"),
                     client.get(f"/s/{school_b.slug}/students/{student.pk}/"), client.get(f"{b}/classes/{roster.c5a.pk}/"),
                     client.post(f"{b}/movement/leave/", {"student_id": student.pk, "order_number": "1", "order_date": "2026-10-01"},
                                 content_type="application/json")):
        assert response.status_code in (400, 404)
        assert "Секретов" not in response.content.decode()
    roster.enter()
    assert Enrolment.objects.get(student=student).until is None
