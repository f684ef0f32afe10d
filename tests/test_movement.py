"""Student movement by orders: enrolment, transfer, leaving, with the history kept (R-Y06), and the
roles that follow from it with the order's date, so that overdue accounts show up (R-A05)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from accounts.models import Membership, Person
from accounts.roles import Role
from accounts.selectors import overdue_accounts
from accounts.services import PersonData
from audit.models import AuditRecord
from core.errors import PermissionDenied, ValidationFailed
from roster import services
from roster.models import Enrolment, Guardianship, MovementOrder, OrderKind
from schoolyear.guards import YearClosed
from schoolyear.models import AcademicYear
from tenants.db import use_public, use_school
from tests.test_roster import FIRST_DAY, Roster, make_roster

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture
def roster(school_a: Any, make_person: Any, grant: Any) -> Roster:
    return make_roster(school_a, make_person, grant)


def _world(roster: Roster) -> tuple[Any, ...]:
    """What a refused movement could have changed."""
    roster.enter()
    return (sorted(Enrolment.objects.values_list("pk", "student_id", "school_class_id", "since", "until", "order_out_id")),
            MovementOrder.objects.count(), Person.objects.count(), Membership.objects.count(), Guardianship.objects.count())


def test_enrolment_by_order_gives_the_student_role_from_the_order_date(roster: Roster) -> None:
    """R-Y06, R-A05: a new student is enrolled into 5А by order № 15 of 02.09.2026; the enrolment names the
    order, and the student's role in the school starts on the order's date."""
    roster.enter()
    order = services.OrderData("15", D(2026, 9, 2), "заявление родителей")
    enrolment = services.enrol_student(roster.secretary, roster.school, PersonData("Петров", "Пётр", "Петрович", sex="m",
                                                                                     birth_date=D(2015, 4, 1)), roster.c5a, order=order)
    assert (enrolment.school_class, enrolment.since, enrolment.until) == (roster.c5a, D(2026, 9, 2), None)
    order_in = MovementOrder.objects.get(enrolments_opened=enrolment)
    assert (order_in.number, order_in.kind, order_in.note) == ("15", OrderKind.ENROL, "заявление родителей")
    role = Membership.objects.get(person_id=enrolment.student_id, school=roster.school, role=Role.STUDENT)
    assert role.since == D(2026, 9, 2) and role.granted_by == roster.secretary
    assert {"student.enrol", "movement_order.create", "role.grant", "person.create"} <= set(
        AuditRecord.objects.filter(school=roster.school).values_list("action", flat=True))


def test_transfer_closes_one_row_and_opens_another_history_unchanged(roster: Roster) -> None:
    """R-Y06: a transfer from 5А to 5Б by order of 05.10.2026: the 5А row ends on 04.10 with the order, a new
    5Б row starts on 05.10 with the same order; no row's class is ever rewritten."""
    student = roster.admit(roster.c5a, "Смирнов")
    first = Enrolment.objects.get(student=student)
    new = services.transfer_student(roster.admin, roster.school, student, roster.c5b, order=services.OrderData("40-п", D(2026, 10, 5)))
    first.refresh_from_db()
    assert (first.school_class_id, first.until, first.order_out_id) == (roster.c5a.pk, D(2026, 10, 4), new.order_in_id)
    assert (new.school_class_id, new.since, new.until, MovementOrder.objects.get(enrolments_opened=new).kind) == (roster.c5b.pk, D(2026, 10, 5), None, OrderKind.TRANSFER)
    history = list(Enrolment.objects.filter(student=student).order_by("since").values_list("school_class_id", "since", "until"))
    assert history == [(roster.c5a.pk, FIRST_DAY, D(2026, 10, 4)), (roster.c5b.pk, D(2026, 10, 5), None)]


def test_leaving_ends_enrolment_student_role_and_lonely_parent_role(roster: Roster) -> None:
    """R-Y06, R-A02: leaving by order closes the enrolment on the day before, ends the student's role, and the
    parent's role ends too unless another child of theirs still studies here."""
    leaver, sibling, other = roster.admit(roster.c5a, "Уходов"), roster.admit(roster.c6a, "Уходова", "Анна", sex="f"), roster.admit(roster.c5b, "Один")
    mother = PersonData("Уходова", "Мария", sex="f", birth_date=D(1985, 2, 2))
    services.add_guardian(roster.admin, roster.school, leaver, mother, kind="mother")
    services.add_guardian(roster.admin, roster.school, sibling, mother, kind="mother")
    father = services.add_guardian(roster.admin, roster.school, leaver, PersonData("Уходов", "Олег", sex="m", birth_date=D(1984, 1, 1)),
                                   kind="father").parent
    services.add_guardian(roster.admin, roster.school, other, PersonData("Другой", "Родитель", sex="m", birth_date=D(1980, 1, 1)))
    services.leave_school(roster.secretary, roster.school, leaver, order=services.OrderData("77-в", D(2026, 11, 10)))
    row = Enrolment.objects.get(student=leaver)
    assert (row.until, MovementOrder.objects.get(enrolments_closed=row).kind) == (D(2026, 11, 9), OrderKind.LEAVE)
    assert Membership.objects.get(person=leaver, role=Role.STUDENT).until == D(2026, 11, 9)
    # The father's role was granted today, so it ends today: no longer current tomorrow.
    assert Membership.objects.get(person=father, role=Role.PARENT).until == max(D(2026, 11, 9), dt.date.today())
    mother_person = Person.objects.get(surname="Уходова", name="Мария")
    assert Membership.objects.get(person=mother_person, role=Role.PARENT).until is None  # her daughter still studies here
    with pytest.raises(ValidationFailed):
        services.leave_school(roster.secretary, roster.school, leaver, order=services.OrderData("78-в", D(2026, 11, 11)))


def test_one_order_serves_many_students_and_lists_them(roster: Roster, client_for: Any) -> None:
    """R-Y06: an order registered once enrols several students; the orders list shows who moved where."""
    roster.enter()
    order = services.create_order(roster.secretary, roster.school, OrderKind.ENROL, services.OrderData("3", D(2026, 9, 3)))
    for surname in ("Первов", "Вторых"):
        services.enrol_student(roster.secretary, roster.school, PersonData(surname, "Илья", sex="m", birth_date=D(2015, 1, 1)),
                               roster.c5a, order=order)
    mover = Person.objects.get(surname="Первов")
    services.transfer_student(roster.secretary, roster.school, mover, roster.c5b, order=services.OrderData("9", D(2026, 10, 1)))
    rows = client_for(roster.secretary).get(f"/api/v1/schools/{roster.school.slug}/orders/").json()
    by_number = {r["number"]: r for r in rows}
    assert sorted(s["full_name"] for s in by_number["3"]["students"]) == ["Вторых Илья", "Первов Илья"]
    assert by_number["9"]["students"] == [{"student_id": mover.pk, "full_name": "Первов Илья", "move": "5А → 5Б"}]
    page = client_for(roster.secretary).get(f"/s/{roster.school.slug}/orders/").content.decode()
    assert "№ 9 от 01.10.2026" in page and "5А → 5Б" in page


# --- bad input: a clear Russian error and nothing written ------------------------------------------

def test_student_cannot_be_in_two_classes_of_one_parallel(roster: Roster) -> None:
    """R-Y06: a student already in 5А is not enrolled into 5Б (same parallel) nor into 6А: the error says
    what to do, and nothing is written (not even the order)."""
    student = roster.admit(roster.c5a, "Двойников")
    before = _world(roster)
    with pytest.raises(ValidationFailed) as exc:
        services.enrol_student(roster.admin, roster.school, student, roster.c5b, order=services.OrderData("50", D(2026, 10, 1)))
    assert exc.value.message == "Двойников И. уже обучается в 5А — классе этой же параллели: оформите перевод, а не зачисление."
    with pytest.raises(ValidationFailed) as exc:
        services.enrol_student(roster.admin, roster.school, student, roster.c6a, order=services.OrderData("51", D(2026, 10, 1)))
    assert "не может быть в двух классах сразу" in exc.value.message
    assert _world(roster) == before


@pytest.mark.parametrize(("on", "field"), [(D(2026, 8, 31), "on"), (D(2027, 5, 26), "on"), (D(2025, 12, 1), "on")])
def test_dates_outside_the_year_are_refused(roster: Roster, on: dt.date, field: str) -> None:
    """R-Y06: the date of a movement lies inside the class's academic year (01.09.2026–25.05.2027)."""
    student = roster.admit(roster.c5a, "Датов")
    before = _world(roster)
    calls = [
        lambda: services.enrol_student(roster.admin, roster.school, PersonData("Новый", "Ученик", sex="m", birth_date=D(2015, 1, 1)),
                                       roster.c5b, order=services.OrderData("60", D(2026, 8, 30)), on=on),
        lambda: services.transfer_student(roster.admin, roster.school, student, roster.c5b, order=services.OrderData("61", D(2026, 8, 30)), on=on),
        lambda: services.leave_school(roster.admin, roster.school, student, order=services.OrderData("62", D(2026, 8, 30)), on=on),
    ]
    for call in calls:
        with pytest.raises(ValidationFailed) as exc:
            call()
        assert field in exc.value.fields and "вне учебного года 2026/2027" in exc.value.message
    assert _world(roster) == before


def test_duplicate_order_and_other_bad_orders(roster: Roster) -> None:
    """R-Y06: an order's number and date are unique; a future date, an empty number or an order of the wrong
    kind are refused; nothing is written."""
    student = roster.admit(roster.c5a, "Приказов")
    before = _world(roster)
    with pytest.raises(ValidationFailed) as exc:
        services.transfer_student(roster.admin, roster.school, student, roster.c5b, order=services.OrderData("1-у", D(2026, 8, 28)))
    assert exc.value.code == "duplicate_order"
    assert exc.value.message == "Приказ № 1-у от 28.08.2026 уже зарегистрирован: выберите его, а не вводите заново."
    for data, field in ((services.OrderData("", D(2026, 10, 1)), "order_number"),
                        (services.OrderData("99", dt.date.today() + dt.timedelta(days=3)), "order_date")):
        with pytest.raises(ValidationFailed) as exc:
            services.transfer_student(roster.admin, roster.school, student, roster.c5b, order=data)
        assert field in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        services.transfer_student(roster.admin, roster.school, student, roster.c5b, order=roster.order)  # an enrolment order
    assert "order_id" in exc.value.fields
    with pytest.raises(ValidationFailed) as exc:
        services.transfer_student(roster.admin, roster.school, student, roster.c5a, order=services.OrderData("100", D(2026, 10, 1)))
    assert exc.value.message == "Приказов И. уже обучается в 5А."
    with pytest.raises(ValidationFailed) as exc:  # a transfer dated before the enrolment
        services.transfer_student(roster.admin, roster.school, student, roster.c5b, order=services.OrderData("101", D(2026, 9, 1)))
    assert exc.value.code == "overlapping_dates"
    assert _world(roster) == before


def test_api_bad_input_gets_russian_errors_and_changes_nothing(roster: Roster, client_for: Any) -> None:
    """R-Y06: through the API, an unknown class id, a duplicate order and a second class of one parallel
    each answer 400 with {"error": {"code", "message", "fields"}} in Russian."""
    student = roster.admit(roster.c5a, "Апишин")
    before = _world(roster)
    client = client_for(roster.secretary)
    api = f"/api/v1/schools/{roster.school.slug}"
    new = {"surname": "Новиков", "name": "Ян", "sex": "m", "birth_date": "2015-02-02", "order_number": "70", "order_date": "2026-10-01"}
    cases = [
        (f"{api}/students/", {**new, "class_id": 999999}, "class_id", "Такого класса в школе нет."),
        (f"{api}/students/", {**new, "class_id": roster.c5a.pk, "order_number": "1-у", "order_date": "2026-08-28"}, "order_number",
         "Приказ № 1-у от 28.08.2026 уже зарегистрирован: выберите его, а не вводите заново."),
        (f"{api}/movement/enrol/", {"student_id": student.pk, "class_id": roster.c5b.pk, "order_number": "71", "order_date": "2026-10-01"},
         "school_class", "Апишин И. уже обучается в 5А — классе этой же параллели: оформите перевод, а не зачисление."),
        (f"{api}/movement/transfer/", {"student_id": student.pk, "to_class_id": 424242, "order_number": "72", "order_date": "2026-10-01"},
         "to_class_id", "Такого класса в школе нет."),
        (f"{api}/movement/leave/", {"student_id": student.pk, "order_number": "73", "order_date": "2026-10-01", "on": "2027-06-01"},
         "on", "Дата 01.06.2027 вне учебного года 2026/2027 (01.09.2026–25.05.2027)."),
        (f"{api}/movement/leave/", {"student_id": 555555, "order_number": "74", "order_date": "2026-10-01"},
         "student_id", "Такого обучающегося в школе нет."),
    ]
    for url, body, field, message in cases:
        response = client.post(url, body, content_type="application/json")
        assert response.status_code == 400, (url, response.content)
        error = response.json()["error"]
        assert error["message"] == message and field in error["fields"]
    assert _world(roster) == before


def test_movement_api_and_history_in_student_detail(roster: Roster, client_for: Any) -> None:
    """R-Y06: enrol, transfer and leave through the API; the student's history of classes with orders is in
    the API and on the student's page."""
    client = client_for(roster.secretary)
    api = f"/api/v1/schools/{roster.school.slug}"
    created = client.post(f"{api}/students/", {"surname": "Историков", "name": "Лев", "sex": "m", "birth_date": "2015-06-06",
                                               "class_id": roster.c5a.pk, "order_number": "80", "order_date": "2026-09-01"},
                          content_type="application/json")
    assert created.status_code == 201, created.content
    student_id = created.json()["id"]
    moved = client.post(f"{api}/movement/transfer/", {"student_id": student_id, "to_class_id": roster.c5b.pk, "order_number": "81",
                                                      "order_date": "2026-10-01", "on": "2026-10-02"}, content_type="application/json")
    assert moved.json()["class_name"] == "5Б" and moved.json()["since"] == "2026-10-02"
    left = client.post(f"{api}/movement/leave/", {"student_id": student_id, "order_number": "82", "order_date": "2026-11-02"},
                       content_type="application/json")
    assert left.json()["until"] == "2026-11-01"
    detail = client.get(f"{api}/students/{student_id}/").json()
    assert detail["class_id"] is None
    assert [(h["class_name"], h["since"], h["until"], h["order_in"]["number"], (h["order_out"] or {}).get("number"))
            for h in detail["history"]] == [("5А", "2026-09-01", "2026-10-01", "80", "81"), ("5Б", "2026-10-02", "2026-11-01", "81", "82")]
    # Re-enrolment of a former student of this school, by id.
    back = client.post(f"{api}/movement/enrol/", {"student_id": student_id, "class_id": roster.c6a.pk, "order_number": "83",
                                                  "order_date": "2026-11-20"}, content_type="application/json")
    assert back.status_code == 201 and back.json()["class_name"] == "6А"
    page = client.get(f"/s/{roster.school.slug}/students/{student_id}/").content.decode()
    assert "№ 81 от 01.10.2026" in page and "№ 82 от 02.11.2026" in page and "Обучается в" in page


def test_movement_pages(roster: Roster, client_for: Any) -> None:
    """R-Y06: the secretary enrols a new student, transfers and then releases them on the pages."""
    client = client_for(roster.secretary)
    s = roster.school.slug
    response = client.post(f"/s/{s}/students/new/", {"surname": "Страничкин", "name": "Антон", "sex": "m", "birth_date": "2015-07-07",
                                                      "school_class": roster.c5a.pk, "order_id": roster.order.pk, "on": "2026-09-01"})
    assert response.status_code == 302, response.content.decode()[-2000:]
    roster.enter()
    student = Person.objects.get(surname="Страничкин")
    duplicate = client.post(f"/s/{s}/students/{student.pk}/transfer/", {"to_class": roster.c5b.pk, "order_number": "1-у", "order_date": "2026-08-28"})
    assert "уже зарегистрирован" in duplicate.content.decode()
    assert client.post(f"/s/{s}/students/{student.pk}/transfer/", {"to_class": roster.c5b.pk, "order_number": "90",
                                                                   "order_date": "2026-10-10"}).status_code == 302
    assert client.post(f"/s/{s}/students/{student.pk}/leave/", {"order_number": "91", "order_date": "2026-11-11"}).status_code == 302
    roster.enter()
    assert list(Enrolment.objects.filter(student=student).order_by("since").values_list("school_class_id", "until")) == [
        (roster.c5a.pk, D(2026, 10, 9)), (roster.c5b.pk, D(2026, 11, 10))]


def test_only_the_movement_right_moves_students(roster: Roster) -> None:
    """R-Y06 (004 §X: the secretary controls movement orders): the HR clerk, the deputy, a teacher and a
    class teacher cannot enrol, transfer or release."""
    student = roster.admit(roster.c5a, "Правов")
    for who in (roster.hr, roster.deputy, roster.teacher, roster.ct):
        with pytest.raises(PermissionDenied):
            services.transfer_student(who, roster.school, student, roster.c5b, order=services.OrderData("1", D(2026, 10, 1)))
        with pytest.raises(PermissionDenied):
            services.leave_school(who, roster.school, student, order=services.OrderData("1", D(2026, 10, 1)))
        with pytest.raises(PermissionDenied):
            services.create_order(who, roster.school, OrderKind.ENROL, services.OrderData("1", D(2026, 10, 1)))


def test_closed_year_refuses_movement(roster: Roster) -> None:
    """R-Y06, R-Y05: nobody moves in or out of a closed year's class."""
    student = roster.admit(roster.c5a, "Закрытов")
    AcademicYear.objects.filter(pk=roster.year.pk).update(status="closed")
    with pytest.raises(YearClosed):
        services.leave_school(roster.admin, roster.school, student, order=services.OrderData("5", D(2026, 10, 1)))
    with pytest.raises(YearClosed):
        services.enrol_student(roster.admin, roster.school, PersonData("Х", "Х", sex="m", birth_date=D(2015, 1, 1)), roster.c5b,
                               order=services.OrderData("6", D(2026, 10, 1)))


def test_same_child_in_another_school_is_one_person(roster: Roster, school_b: Any, make_person: Any, grant: Any) -> None:
    """R-Y06, R-P02: a child leaving school A and enrolled in school B keeps one district account (matched by
    surname, name, patronymic and date of birth); each school keeps its own history."""
    child = roster.admit(roster.c5a, "Переездов", "Глеб", patronymic="Ильич", birth=D(2015, 8, 8))
    services.leave_school(roster.admin, roster.school, child, order=services.OrderData("12-в", D(2026, 10, 15)))
    admin_b = make_person("Бобров", "Борис")
    grant(admin_b, Role.SCHOOL_ADMIN, school_b)
    use_public()
    from tests.conftest import make_class

    use_school(school_b)
    b6 = make_class(5, "В")
    enrolment = services.enrol_student(admin_b, school_b, PersonData("переездов", "глеб", "ильич", sex="m", birth_date=D(2015, 8, 8)),
                                       b6, order=services.OrderData("3-з", D(2026, 10, 15)))
    assert enrolment.student_id == child.pk
    assert Person.objects.filter(surname="Переездов").count() == 1
    assert Membership.objects.get(person=child, school=school_b, role=Role.STUDENT).since == D(2026, 10, 15)


# --- R-A05: accounts handed over within 3 working days of the order ----------------------------------

def test_overdue_list_counts_from_the_enrolment_and_hiring_orders(roster: Roster, client_for: Any) -> None:
    """R-A05: a student enrolled by an order dated 10 days ago and a teacher hired by an order of 10 days ago
    whose accounts were not handed over appear in the overdue list; one enrolled by today's order does not."""
    roster.enter()
    today = dt.date.today()
    ten_days_ago = today - dt.timedelta(days=10)
    # The school joined the platform before these orders (its start is its creation date).
    type(roster.school).objects.filter(pk=roster.school.pk).update(created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    roster.school.refresh_from_db()
    late = services.enrol_student(roster.secretary, roster.school, PersonData("Опоздалов", "Юрий", sex="m", birth_date=D(2015, 1, 1)),
                                  roster.c5a, order=services.OrderData("20", ten_days_ago), on=max(ten_days_ago, FIRST_DAY))
    fresh = services.enrol_student(roster.secretary, roster.school, PersonData("Свежев", "Юрий", sex="m", birth_date=D(2015, 1, 1)),
                                   roster.c5b, order=services.OrderData("21", today))
    hired = services.hire_staff(roster.admin, roster.school, PersonData("Новенькая", "Ольга", sex="f", birth_date=D(1990, 1, 1)),
                                services.StaffCardData(position="Учитель математики", hired_on=ten_days_ago, hire_order_number="5-к"))
    overdue = {m.person_id: m for m in overdue_accounts(roster.school)}
    assert late.student_id in overdue and hired.person_id in overdue and fresh.student_id not in overdue
    assert overdue[late.student_id].since == ten_days_ago
    page = client_for(roster.admin).get(f"/s/{roster.school.slug}/people/overdue/").content.decode()
    assert "Опоздалов" in page and "Новенькая" in page and "Свежев" not in page
