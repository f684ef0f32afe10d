"""Closing the academic year and opening the next (R-Y05; 000 §2.13, 002 §5.2.1, 004 §III):
students move to the next grade by the director's order, graduates leave, repeaters stay in
their grade, and the closed year stays readable and unchangeable."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from accounts.models import Membership, Person
from accounts.roles import Role
from audit.models import AuditRecord
from core.errors import PermissionDenied, ValidationFailed
from curriculum.models import CurriculumLine, Subject, TeachingAssignment
from roster.models import Enrolment, Guardianship, MovementOrder, SchoolClass, Subgroup, SubgroupMember
from schoolyear import selectors, services
from schoolyear.guards import YearClosed, ensure_year_open
from schoolyear.models import AcademicYear, DayOff, PeriodScheme, StudyPeriod, WeekLength, YearStatus
from tenants.db import use_public, use_school
from tenants.models import School
from tests.test_schoolyear import error_text

pytestmark = pytest.mark.django_db
D = dt.date
OLD_START, OLD_END = D(2025, 9, 1), D(2026, 5, 25)
CLOSE_DAY = D(2026, 6, 10)


@dataclass
class Old:
    """School A's year 2025/2026 with its classes, students, parents and staff."""

    school: School
    year: AcademicYear
    classes: dict[str, SchoolClass]
    students: dict[str, Person]
    teachers: dict[str, Person]
    parents: dict[str, Person]
    deputy: Person
    subgroup: Subgroup
    closer: Person  # the school administrator: the deputy does not close the year (004 §III, §X)

    def state(self) -> tuple[Any, ...]:
        """Everything a refused close could have changed."""
        use_school(self.school)
        return (
            AcademicYear.objects.filter(status=YearStatus.OPEN).count(), SchoolClass.objects.count(),
            sorted(Enrolment.objects.values_list("id", "until", "order_out_id")), MovementOrder.objects.count(),
            CurriculumLine.objects.count(), TeachingAssignment.objects.count(), PeriodScheme.objects.count(),
            sorted(Membership.objects.values_list("id", "until")), Membership.objects.count(),
        )


def _member(person: Person, role: str, school: School, class_id: int | None = None) -> Membership:
    return Membership.objects.create(person=person, role=role, school=school, class_id=class_id, since=OLD_START)


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Any:
    def set_today(day: dt.date) -> None:
        monkeypatch.setattr(services, "today", lambda: day)

    set_today(CLOSE_DAY)
    return set_today


@pytest.fixture
def old(school_a: School, make_person: Any, grant: Any, today: Any) -> Old:
    deputy = make_person("Завучева", "Зоя")
    grant(deputy, Role.DEPUTY, school_a)
    closer = make_person("Админова", "Анна")
    grant(closer, Role.SCHOOL_ADMIN, school_a)
    teachers = {name: make_person(f"Учитель{name}", "Иван") for name in ("4А", "5А", "5Б", "10А", "11А")}
    students = {name: make_person(f"Ученик{name}", "Пётр") for name in
                ("4А-1", "4А-2", "5А-1", "5А-2", "5А-3", "5Б-1", "10А-1", "11А-1", "11А-2")}
    parents = {name: make_person(f"Родитель{name}", "Анна") for name in ("P1", "P2")}
    use_school(school_a)
    year = AcademicYear.objects.create(name="2025/2026", starts_on=OLD_START, ends_on=OLD_END)
    quarters = PeriodScheme.objects.create(year=year, kind="quarter", grades=list(range(1, 10)))
    StudyPeriod.objects.bulk_create([
        StudyPeriod(scheme=quarters, number=1, name="1 четверть", starts_on=D(2025, 9, 1), ends_on=D(2025, 10, 26)),
        StudyPeriod(scheme=quarters, number=2, name="2 четверть", starts_on=D(2025, 11, 5), ends_on=D(2025, 12, 28)),
        StudyPeriod(scheme=quarters, number=3, name="3 четверть", starts_on=D(2026, 1, 12), ends_on=D(2026, 3, 22)),
        StudyPeriod(scheme=quarters, number=4, name="4 четверть", starts_on=D(2026, 3, 30), ends_on=D(2026, 5, 25)),
    ])
    PeriodScheme.objects.create(year=year, kind="half_year", grades=[10, 11])
    WeekLength.objects.bulk_create([WeekLength(year=year, grade=1, days=5), WeekLength(year=year, grade=10, days=6)])
    DayOff.objects.create(year=year, name="Осенние каникулы", starts_on=D(2025, 10, 27), ends_on=D(2025, 11, 4))
    classes = {}
    for name, profile in (("4А", ""), ("5А", ""), ("5Б", ""), ("10А", "физико-математический"), ("11А", "")):
        classes[name] = SchoolClass.objects.create(year=year, grade=int(name[:-1]), letter=name[-1], profile=profile,
                                                   class_teacher=teachers[name])
    for name, student in students.items():
        Enrolment.objects.create(student=student, school_class=classes[name.split("-")[0]], since=OLD_START)
    Guardianship.objects.bulk_create([Guardianship(parent=parents["P1"], student=students["11А-1"]),
                                      Guardianship(parent=parents["P2"], student=students["11А-2"]),
                                      Guardianship(parent=parents["P2"], student=students["5А-1"])])
    math = Subject.objects.create(name="Математика")
    english = Subject.objects.create(name="Английский язык")
    CurriculumLine.objects.create(school_class=classes["5А"], subject=math, hours_per_week=Decimal("5"))
    CurriculumLine.objects.create(school_class=classes["11А"], subject=math, hours_per_week=Decimal("4"))
    group = Subgroup.objects.create(school_class=classes["5А"], kind="foreign_language", name="Английский, 1 группа")
    SubgroupMember.objects.bulk_create([SubgroupMember(subgroup=group, student=students["5А-1"]),
                                        SubgroupMember(subgroup=group, student=students["5А-3"])])
    TeachingAssignment.objects.create(teacher=teachers["5А"], subject=english, school_class=classes["5А"], subgroup=group,
                                      hours_per_week=Decimal("3"))
    use_public()
    for name, student in students.items():
        _member(student, Role.STUDENT, school_a)
    for parent in parents.values():
        _member(parent, Role.PARENT, school_a)
    for name, teacher in teachers.items():
        _member(teacher, Role.TEACHER, school_a)
        _member(teacher, Role.CLASS_TEACHER, school_a, class_id=classes[name].pk)
    use_school(school_a)
    return Old(school=school_a, year=year, classes=classes, students=students, teachers=teachers, parents=parents,
               deputy=deputy, subgroup=group, closer=closer)


def _close(old: Old, actor: Person | None = None, **kwargs: Any) -> services.CloseSummary:
    use_school(old.school)
    options: dict[str, Any] = {"order_number": "77-у", "order_date": D(2026, 5, 29),
                               "repeaters": {old.students[n].pk for n in ("5А-3", "11А-2", "5Б-1")}}
    options.update(kwargs)
    return services.close_year(actor or old.closer, old.school, old.year, **options)


def _class(year: AcademicYear, name: str) -> SchoolClass:
    return SchoolClass.objects.get(year=year, grade=int(name[:-1]), letter=name[-1])


def _open_class_of(student: Person) -> str:
    enrolment = Enrolment.objects.filter(student=student, until__isnull=True).select_related("school_class").first()
    return enrolment.school_class.name if enrolment else ""


def test_close_year_promotes_graduates_and_keeps_repeaters(old: Old) -> None:
    """R-Y05: in one step the school administrator closes 2025/2026 by the director's order: 2026/2027 opens with the
    period schemes a year later and the week lengths; 4А→5А, 5А→6А, 5Б→6Б, 10А→11А keep letter, profile
    and class teacher and link back; 11А ends; the repeater of 5Б gets a new 5Б; every enrolment of the
    old year closes on its last day by the order and the next opens on the new year's first day."""
    summary = _close(old)
    new = selectors.current_year()
    assert new is not None and new.name == "2026/2027" and (new.starts_on, new.ends_on) == (D(2026, 9, 1), D(2027, 5, 25))
    old.year.refresh_from_db()
    assert old.year.status == YearStatus.CLOSED and old.year.closed_by_id == old.closer.pk and old.year.closed_at
    assert (old.year.close_order_number, old.year.close_order_date) == ("77-у", D(2026, 5, 29))
    assert (summary.promoted, summary.graduated, summary.repeating) == (5, 1, 3)
    assert summary.classes_created == ["5А", "5Б", "6А", "6Б", "11А"]
    assert summary.continued == {"4А": "5А", "5А": "6А", "5Б": "6Б", "10А": "11А"}
    six_a = _class(new, "6А")
    assert six_a.previous == old.classes["5А"] and six_a.class_teacher == old.teachers["5А"]
    assert _class(new, "11А").profile == "физико-математический" and _class(new, "11А").previous == old.classes["10А"]
    assert _class(new, "5Б").previous is None and _class(new, "5Б").class_teacher is None
    assert not SchoolClass.objects.filter(year=new, grade=12).exists()

    s = old.students
    assert {n: _open_class_of(p) for n, p in s.items()} == {
        "4А-1": "5А", "4А-2": "5А", "5А-1": "6А", "5А-2": "6А", "5А-3": "5А", "5Б-1": "5Б", "10А-1": "11А",
        "11А-1": "", "11А-2": "11А"}
    closed = Enrolment.objects.filter(school_class__year=old.year)
    assert set(closed.values_list("until", flat=True)) == {OLD_END}
    order = MovementOrder.objects.get(number="77-у")
    assert order.kind == "promote" and order.date == D(2026, 5, 29)
    assert set(closed.values_list("order_out", flat=True)) == {order.pk}
    opened = Enrolment.objects.filter(school_class__year=new)
    assert set(opened.values_list("since", flat=True)) == {D(2026, 9, 1)} and set(opened.values_list("order_in", flat=True)) == {order.pk}

    schemes = {sc.kind: sc for sc in PeriodScheme.objects.filter(year=new).prefetch_related("periods")}
    assert schemes["quarter"].grades == list(range(1, 10)) and schemes["half_year"].grades == [10, 11]
    first = schemes["quarter"].periods.order_by("number").first()
    assert (first.starts_on, first.ends_on) == (D(2026, 9, 1), D(2026, 10, 26))  # type: ignore[union-attr]
    assert dict(WeekLength.objects.filter(year=new).values_list("grade", "days")) == {1: 5, 10: 6}
    assert not DayOff.objects.filter(year=new).exists()


def test_close_copies_curriculum_load_and_subgroups(old: Old) -> None:
    """R-Y05: the curriculum lines and the teaching load of each class go to its continuation for review,
    with its subgroups and the subgroup members who move with the class; a graduating class's plan ends."""
    summary = _close(old)
    new = selectors.current_year()
    six_a = _class(new, "6А")  # type: ignore[arg-type]
    assert list(CurriculumLine.objects.filter(school_class=six_a).values_list("subject__name", "hours_per_week")) == [
        ("Математика", Decimal("5.0"))]
    group = Subgroup.objects.get(school_class=six_a)
    assert group.name == "Английский, 1 группа"
    assert set(SubgroupMember.objects.filter(subgroup=group).values_list("student", flat=True)) == {old.students["5А-1"].pk}
    assignment = TeachingAssignment.objects.get(school_class=six_a)
    assert assignment.subgroup == group and assignment.teacher == old.teachers["5А"]
    assert (summary.curriculum_lines, summary.assignments) == (1, 1)
    assert CurriculumLine.objects.filter(school_class=old.classes["5А"]).count() == 1  # the old plan stays


def test_close_ends_graduates_roles_and_moves_class_teachers(old: Old) -> None:
    """R-Y05: the graduate's student role ends on the year's last day, and so does the role of a parent
    whose only child graduated; a parent with a child still studying keeps theirs. A class teacher's role
    moves to the continued class; the 11А class teacher's ends."""
    summary = _close(old)
    new = selectors.current_year()
    use_public()
    graduate = Membership.objects.get(person=old.students["11А-1"], role=Role.STUDENT)
    assert graduate.until == OLD_END
    assert Membership.objects.get(person=old.parents["P1"], role=Role.PARENT).until == OLD_END
    assert Membership.objects.get(person=old.parents["P2"], role=Role.PARENT).until is None
    assert Membership.objects.get(person=old.students["11А-2"], role=Role.STUDENT).until is None  # repeats 11th grade
    assert summary.memberships_ended == 2
    use_school(old.school)
    six_a = _class(new, "6А")  # type: ignore[arg-type]
    use_public()
    roles = Membership.objects.filter(person=old.teachers["5А"], role=Role.CLASS_TEACHER).order_by("id")
    assert [(m.class_id, m.until) for m in roles] == [(old.classes["5А"].pk, OLD_END), (six_a.pk, None)]
    assert roles.last().since == CLOSE_DAY  # type: ignore[union-attr]
    assert not Membership.objects.filter(person=old.teachers["11А"], role=Role.CLASS_TEACHER, until__isnull=True).exists()
    assert Membership.objects.get(person=old.teachers["11А"], role=Role.TEACHER).until is None
    actions = set(AuditRecord.objects.filter(school=old.school).values_list("action", flat=True))
    assert {"year.close", "year.create", "role.revoke", "role.grant", "movement_order.create"} <= actions
    record = AuditRecord.objects.get(action="year.close", school=old.school)
    assert record.before["status"] == "open" and record.after["status"] == "closed"
    assert record.after["summary"]["graduated"] == 1 and record.reason == "Приказ № 77-у от 29.05.2026"


def test_separate_orders_on_graduation_and_repetition(old: Old) -> None:
    """R-Y05: when the director issued separate orders on graduation and on repetition, each movement
    names its own order (kinds graduate / repeat)."""
    _close(old, graduation_order=services.OrderRef("80-в", D(2026, 6, 5)), repeat_order=services.OrderRef("78-п", D(2026, 5, 29)))
    by_student = dict(Enrolment.objects.filter(school_class__year=old.year).values_list("student", "order_out__kind"))
    s = old.students
    assert by_student[s["11А-1"].pk] == "graduate"
    assert by_student[s["5А-3"].pk] == by_student[s["5Б-1"].pk] == "repeat"
    assert by_student[s["4А-1"].pk] == "promote"
    assert Enrolment.objects.get(student=s["5А-3"], until__isnull=True).order_in.number == "78-п"  # type: ignore[union-attr]


@pytest.mark.parametrize(("kwargs", "field", "message"), [
    ({"order_number": " "}, "order_number", "Укажите номер приказа"),
    ({"order_date": None}, "order_date", "Укажите дату приказа"),
    ({"order_date": D(2026, 6, 11)}, "order_date", "Дата приказа в будущем"),
    ({"order_date": D(2025, 8, 1)}, "order_date", "раньше начала закрываемого года"),
    ({"repeaters": {999999}}, "repeaters", "Не обучающиеся этого учебного года"),
    ({"new_year": services.YearDates(D(2026, 5, 1), D(2027, 5, 25))}, "starts_on", "пересекаются с учебным годом 2025/2026"),
    ({"new_year": services.YearDates(D(2026, 9, 1), D(2027, 11, 1))}, "ends_on", "длиннее 13 месяцев"),
    ({"graduation_order": services.OrderRef("77-у", D(2026, 5, 29))}, "graduation_order_number", "совпадают с другим приказом"),
])
def test_bad_close_refused_and_nothing_written(old: Old, kwargs: dict[str, Any], field: str, message: str) -> None:
    """R-Y05: without the order's number or date, with a future order, with a repeater who is no student
    of the year, or with bad dates for the new year, nothing happens and the reason is in Russian."""
    before = old.state()
    with pytest.raises(ValidationFailed) as err:
        _close(old, **kwargs)
    assert field in err.value.fields
    assert message in error_text(err.value)
    assert old.state() == before


def test_repeater_from_another_year_is_refused(old: Old) -> None:
    """R-Y05: a repeater must be a student of the year being closed (not of the school's past)."""
    stranger = old.students["4А-1"]
    Enrolment.objects.filter(student=stranger).update(until=D(2026, 1, 31))
    before = old.state()
    with pytest.raises(ValidationFailed, match=str(stranger.pk)):
        _close(old, repeaters={stranger.pk})
    assert old.state() == before


@pytest.mark.parametrize("role", [Role.TEACHER, Role.CLASS_TEACHER, Role.METHODIST, Role.SECRETARY, Role.PARENT, Role.DEPUTY])
def test_only_the_administration_closes_the_year(old: Old, make_person: Any, grant: Any, role: str) -> None:
    """R-Y05, R-A03: closing the year needs Perm.SETUP_YEAR and Perm.MOVEMENT (school administrator, director;
    not the deputy, who keeps the calendar but issues no movement orders)."""
    use_public()
    person = make_person("Посторонний", "Пётр")
    grant(person, role, old.school, class_id=old.classes["5А"].pk if role == Role.CLASS_TEACHER else None)
    before = old.state()
    with pytest.raises(PermissionDenied):
        _close(old, actor=person)
    assert old.state() == before


def test_closed_year_is_readable_and_unchangeable(old: Old, make_person: Any, grant: Any) -> None:
    """R-Y05: after the close, the old year cannot be closed again, and every write about it is refused
    (its periods, vacations, moved days, weeks, dates, and a class of another app via roster.services),
    while its data stay readable."""
    from roster import services as roster_services

    _close(old)
    year = AcademicYear.objects.get(pk=old.year.pk)
    with pytest.raises(YearClosed):
        ensure_year_open(year)
    with pytest.raises(YearClosed, match="уже закрыт"):
        _close(old, order_number="99")
    scheme = PeriodScheme.objects.filter(year=year).first()
    day_off = DayOff.objects.get(year=year)
    d, s = old.deputy, old.school
    writes = [
        lambda: services.update_year(d, s, year, starts_on=OLD_START, ends_on=D(2026, 5, 31)),
        lambda: services.save_scheme(d, s, year, kind="half_year", grades=[5], periods=[]),
        lambda: services.delete_scheme(d, s, scheme),  # type: ignore[arg-type]
        lambda: services.add_day_off(d, s, year, starts_on=D(2026, 1, 12), ends_on=D(2026, 1, 13)),
        lambda: services.delete_day_off(d, s, day_off),
        lambda: services.add_moved_day(d, s, year, works_on=D(2026, 5, 16), replaces=D(2026, 5, 18)),
        lambda: services.set_week_lengths(d, s, year, {5: 6}),
    ]
    use_public()
    admin = make_person("Админова", "Алла")
    grant(admin, Role.SCHOOL_ADMIN, s)
    before = old.state()
    for write in writes:
        with pytest.raises(YearClosed):
            write()
    with pytest.raises(YearClosed, match="только просматривать"):
        roster_services.create_class(admin, s, roster_services.ClassData(grade=7, letter="В"), year=year)
    assert old.state() == before
    assert [p.name for p in selectors.periods_for_grade(5, year)] == ["1 четверть", "2 четверть", "3 четверть", "4 четверть"]
    assert Enrolment.objects.filter(school_class__year=year).count() == 9


# --- the page and the API -------------------------------------------------------------------------------

def test_preview_page_then_confirm(old: Old, client_for: Any) -> None:
    """R-Y05: the close page previews per class how many are promoted, graduate and repeat and which
    classes will be created; a repeater ticked and recalculated changes the preview; the confirm with
    the director's order closes the year; a second submit finds it closed."""
    use_public()
    client = client_for(old.closer)
    page = client.get("/s/alpha/year/close/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "переводятся: <strong>7</strong>" in body and "выпускаются: <strong>2</strong>" in body
    assert "Будут созданы классы нового года: 5А, 6А, 6Б, 11А." in body
    repeater = old.students["5Б-1"].pk
    recalc = client.post("/s/alpha/year/close/", {"recalc": "1", "repeater": [str(repeater)], "year": old.year.pk})
    assert "Будут созданы классы нового года: 5А, 5Б, 6А, 6Б, 11А." in recalc.content.decode()
    form = {"year": old.year.pk, "order_number": "77-у", "order_date": "2026-05-29", "new_name": "2026/2027",
            "new_starts_on": "2026-09-01", "new_ends_on": "2027-05-25", "repeater": [str(repeater)]}
    missing = client.post("/s/alpha/year/close/", {**form, "order_number": ""})
    assert missing.status_code == 200 and "Обязательное поле" in missing.content.decode()
    done = client.post("/s/alpha/year/close/", form)
    assert done.status_code == 302 and done["Location"] == "/s/alpha/year/"
    again = client.post("/s/alpha/year/close/", form)
    assert "уже закрыт" in again.content.decode()
    year_page = client.get(f"/s/alpha/year/?year={old.year.pk}").content.decode()
    assert 'data-testid="year-closed"' in year_page and "приказ № 77-у от 29.05.2026" in year_page
    assert 'name="action"' not in year_page  # a closed year has no edit forms
    use_school(old.school)
    assert _open_class_of(old.students["5Б-1"]) == "5Б"


def test_preview_page_queries_do_not_grow(old: Old, client_for: Any, django_assert_max_num_queries: Any) -> None:
    """R-Y05: the preview costs the same number of queries with 9 and with 60 more students in 6 more classes."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    use_public()
    client = client_for(old.closer)
    client.get("/s/alpha/year/close/")
    with CaptureQueriesContext(connection) as small:
        client.get("/s/alpha/year/close/")
    people = Person.objects.bulk_create([Person(login=f"extra{i}", surname=f"Лишний{i}", name="Ученик") for i in range(60)])
    use_school(old.school)
    extra = [SchoolClass.objects.create(year=old.year, grade=g, letter="В") for g in range(2, 8)]
    Enrolment.objects.bulk_create([Enrolment(student=p, school_class=extra[i % 6], since=OLD_START) for i, p in enumerate(people)])
    use_public()
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get("/s/alpha/year/close/").status_code == 200


def test_api_preview_and_close(old: Old, client_for: Any, make_person: Any, grant: Any) -> None:
    """R-Y05, R-A03: the API previews and closes; a teacher is refused; a second close answers year_closed."""
    use_public()
    api = client_for(old.closer)
    url = "/api/v1/schools/alpha/year/close/"
    preview = api.get(f"{url}?repeaters={old.students['5А-3'].pk}").json()
    assert (preview["promoted"], preview["graduates"], preview["repeating"]) == (6, 2, 1)
    assert preview["new_year"] == {"name": "2026/2027", "starts_on": "2026-09-01", "ends_on": "2027-05-25"}
    assert {c["name"]: c["target"] for c in preview["classes"]}["11А"] == ""
    body = {"year": old.year.pk, "order_number": "77-у", "order_date": "2026-05-29", "repeaters": [old.students["5А-3"].pk]}
    teacher = make_person("Учителева", "Ульяна")
    grant(teacher, Role.TEACHER, old.school)
    refused = client_for(teacher).post(url, json.dumps(body), content_type="application/json")
    assert refused.status_code == 403
    done = api.post(url, json.dumps(body), content_type="application/json")
    assert done.status_code == 200, done.content
    result = done.json()
    assert (result["promoted"], result["graduated"], result["repeating"]) == (6, 2, 1)
    assert result["new_year"] == "2026/2027" and result["orders"] == [{"kind": "promote", "number": "77-у", "date": "2026-05-29"}]
    again = api.post(url, json.dumps(body), content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "year_closed"
    read = api.get(f"/api/v1/schools/alpha/year/{old.year.pk}/").json()
    assert read["status"] == "closed" and read["close_order_number"] == "77-у"
    late_write = api.post(f"/api/v1/schools/alpha/year/{old.year.pk}/days-off/", json.dumps(
        {"starts_on": "2026-01-12", "ends_on": "2026-01-13"}), content_type="application/json")
    assert late_write.status_code == 409 and late_write.json()["error"]["code"] == "year_closed"
