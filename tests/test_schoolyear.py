"""The academic year of a school (R-Y01; 004 §II, §VII): years, study periods per set of
parallels, vacations and days off, moved school days, 5/6-day weeks, through the services,
the year page and the API. Bad input is refused in Russian and writes nothing."""

from __future__ import annotations

import datetime as dt
import json
from itertools import chain
from typing import Any

import pytest

from accounts.models import Person
from accounts.roles import Role
from audit.models import AuditRecord
from core.errors import PermissionDenied, ValidationFailed
from schoolyear import selectors, services
from schoolyear.models import AcademicYear, DayOff, MovedDay, PeriodScheme, StudyPeriod, WeekLength, YearStatus
from schoolyear.services import PeriodDates
from tenants.db import use_public, use_school
from tenants.models import School

pytestmark = pytest.mark.django_db
D = dt.date
QUARTERS = [(D(2026, 9, 1), D(2026, 10, 25)), (D(2026, 11, 4), D(2026, 12, 27)), (D(2027, 1, 11), D(2027, 3, 21)),
            (D(2027, 3, 30), D(2027, 5, 25))]
HALVES = [(D(2026, 9, 1), D(2026, 12, 27)), (D(2027, 1, 11), D(2027, 5, 25))]
VACATIONS = [(D(2026, 10, 26), D(2026, 11, 3)), (D(2026, 12, 28), D(2027, 1, 10)), (D(2027, 3, 22), D(2027, 3, 29))]


def error_text(exc: ValidationFailed) -> str:
    """The message and every field message of a refusal."""
    return " ".join([exc.message, *chain.from_iterable(exc.fields.values())])


def periods(pairs: list[tuple[dt.date, dt.date]]) -> list[PeriodDates]:
    return [PeriodDates(s, e) for s, e in pairs]


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Moves the services' today (default: 20 August 2026, before the year)."""
    def set_today(day: dt.date) -> None:
        monkeypatch.setattr(services, "today", lambda: day)

    set_today(D(2026, 8, 20))
    return set_today


@pytest.fixture
def member(school_a: School, make_person: Any, grant: Any) -> Any:
    """A person holding `role` in school A."""
    def make(role: str, surname: str) -> Person:
        person = make_person(surname, "Алла")
        grant(person, role, school_a)
        return person

    return make


@pytest.fixture
def admin(member: Any) -> Person:
    return member(Role.SCHOOL_ADMIN, "Админова")


@pytest.fixture
def deputy(member: Any) -> Person:
    return member(Role.DEPUTY, "Завучева")


@pytest.fixture
def teacher(member: Any) -> Person:
    return member(Role.TEACHER, "Учителева")


@pytest.fixture
def parent(member: Any) -> Person:
    return member(Role.PARENT, "Родителева")


@pytest.fixture
def in_a(school_a: School) -> Any:
    use_school(school_a)
    yield school_a
    use_public()


@pytest.fixture
def year(in_a: School, admin: Person, today: Any) -> AcademicYear:
    return services.create_year(admin, in_a, name="2026/2027", starts_on=D(2026, 9, 1), ends_on=D(2027, 5, 25))


def counts() -> tuple[int, ...]:
    return (AcademicYear.objects.count(), PeriodScheme.objects.count(), StudyPeriod.objects.count(), DayOff.objects.count(),
            MovedDay.objects.count(), WeekLength.objects.count())


# --- years ---------------------------------------------------------------------------------------------

def test_create_year_and_only_one_open(in_a: School, admin: Person, today: Any) -> None:
    """R-Y01: the school administrator creates the year with its name and dates; it is the open year;
    a second open year is refused in Russian."""
    year = services.create_year(admin, in_a, starts_on=D(2026, 9, 1), ends_on=D(2027, 5, 25))
    assert year.name == "2026/2027" and year.status == YearStatus.OPEN
    assert selectors.current_year() == year
    assert AuditRecord.objects.filter(action="year.create", school=in_a, object_id=str(year.pk)).exists()
    with pytest.raises(ValidationFailed, match="Уже открыт учебный год 2026/2027"):
        services.create_year(admin, in_a, name="2027/2028", starts_on=D(2027, 9, 1), ends_on=D(2028, 5, 25))
    assert AcademicYear.objects.count() == 1


@pytest.mark.parametrize(("name", "starts", "ends", "field", "message"), [
    ("2026/2027", D(2026, 9, 1), D(2026, 8, 1), "ends_on", "заканчивается раньше"),
    ("2026/2027", D(2026, 9, 1), D(2026, 9, 1), "ends_on", "заканчивается раньше"),
    ("2026/2028", D(2026, 9, 1), D(2027, 10, 2), "ends_on", "длиннее 13 месяцев"),
    ("2025/2026+", D(2026, 5, 1), D(2027, 5, 25), "starts_on", "пересекаются с учебным годом 2025/2026"),
    ("2025/2026", D(2026, 9, 1), D(2027, 5, 25), "name", "«2025/2026» уже есть"),
])
def test_bad_year_refused_and_nothing_written(in_a: School, admin: Person, today: Any, name: str, starts: dt.date,
                                             ends: dt.date, field: str, message: str) -> None:
    """R-Y01: end before start, a year longer than 13 months, overlap with another year, a name
    taken: refused in Russian next to the field, nothing written."""
    AcademicYear.objects.create(name="2025/2026", starts_on=D(2025, 9, 1), ends_on=D(2026, 5, 25), status=YearStatus.CLOSED)
    before = counts()
    with pytest.raises(ValidationFailed) as err:
        services.create_year(admin, in_a, name=name, starts_on=starts, ends_on=ends)
    assert message in err.value.message or any(message in m for m in err.value.fields.get(field, []))
    assert field in err.value.fields
    assert counts() == before


def test_teacher_and_parent_may_not_set_up_the_year(in_a: School, teacher: Person, parent: Person, today: Any) -> None:
    """R-Y01, R-A03: the year is set up by the administration (school admin, director, deputy); a teacher
    or a parent is refused and nothing is written."""
    for person in (teacher, parent):
        with pytest.raises(PermissionDenied):
            services.create_year(person, in_a, starts_on=D(2026, 9, 1), ends_on=D(2027, 5, 25))
    assert AcademicYear.objects.count() == 0


def test_update_year_keeps_its_content_inside(year: AcademicYear, admin: Person, in_a: School) -> None:
    """R-Y01: the dates of the open year change, but never so that its periods fall outside."""
    services.save_scheme(admin, in_a, year, kind="half_year", grades=[10, 11], periods=periods(HALVES))
    updated = services.update_year(admin, in_a, year, name="", starts_on=D(2026, 9, 1), ends_on=D(2027, 5, 31))
    assert updated.ends_on == D(2027, 5, 31) and updated.name == "2026/2027"
    with pytest.raises(ValidationFailed, match="2 полугодие"):
        services.update_year(admin, in_a, year, starts_on=D(2026, 9, 1), ends_on=D(2027, 5, 20))
    year.refresh_from_db()
    assert year.ends_on == D(2027, 5, 31)


# --- study periods ---------------------------------------------------------------------------------------

def test_quarters_for_1_to_9_and_half_years_for_10_11(year: AcademicYear, deputy: Person, in_a: School) -> None:
    """R-Y01: different kinds of periods per set of parallels; other apps find the period of a date
    and the periods of a grade (period_for, periods_for_grade)."""
    for start, end in VACATIONS:
        services.add_day_off(deputy, in_a, year, name="Каникулы", starts_on=start, ends_on=end)
    q = services.save_scheme(deputy, in_a, year, kind="quarter", grades=range(1, 10), periods=periods(QUARTERS))
    h = services.save_scheme(deputy, in_a, year, kind="half_year", grades=[11, 10], periods=periods(HALVES))
    assert q.warnings == [] and h.warnings == []
    assert [p.name for p in q.periods] == ["1 четверть", "2 четверть", "3 четверть", "4 четверть"]
    assert h.scheme.grades == [10, 11]
    assert selectors.period_for(D(2026, 11, 10), 5).name == "2 четверть"  # type: ignore[union-attr]
    assert selectors.period_for(D(2026, 11, 10), 10).name == "1 полугодие"  # type: ignore[union-attr]
    assert selectors.period_for(D(2026, 10, 28), 5) is None  # autumn vacation
    assert [p.number for p in selectors.periods_for_grade(7)] == [1, 2, 3, 4]
    assert [p.name for p in selectors.periods_for_grade(11, year)] == ["1 полугодие", "2 полугодие"]
    assert AuditRecord.objects.filter(action="year.scheme.save", school=in_a).count() == 2


BAD_SCHEMES = [
    ("quarter", [5], QUARTERS[:3], "нужно 4 периода"),
    ("trimester", [5], QUARTERS, "нужно 3 периода"),
    ("half_year", [10], [(D(2026, 8, 25), D(2026, 12, 27)), HALVES[1]], "вне учебного года"),
    ("half_year", [10], [HALVES[0], (D(2027, 1, 11), D(2027, 6, 30))], "вне учебного года"),
    ("half_year", [10], [(D(2026, 9, 1), D(2027, 1, 20)), HALVES[1]], "до окончания периода"),  # overlapping
    ("half_year", [10], [HALVES[1], HALVES[0]], "до окончания периода"),  # out of order
    ("half_year", [10], [(D(2026, 12, 27), D(2026, 9, 1)), HALVES[1]], "окончание (01.09.2026) раньше начала"),
    ("half_year", [12], HALVES, "Параллели — числа от 1 до 11"),
    ("half_year", [], HALVES, "хотя бы одну параллель"),
    ("month", [5], HALVES, "Выберите тип периодов"),
]


@pytest.mark.parametrize(("kind", "grades", "pairs", "message"), BAD_SCHEMES)
def test_bad_periods_refused_and_nothing_written(year: AcademicYear, admin: Person, in_a: School, kind: str,
                                                 grades: list[int], pairs: list[tuple[dt.date, dt.date]], message: str) -> None:
    """R-Y01: periods must fit the year, go in order without overlapping and number 4/3/2 for
    quarters/trimesters/half-years; refused in Russian, nothing written."""
    before = counts()
    with pytest.raises(ValidationFailed) as err:
        services.save_scheme(admin, in_a, year, kind=kind, grades=grades, periods=periods(pairs))
    assert message in error_text(err.value)
    assert counts() == before


def test_a_grade_belongs_to_one_scheme(year: AcademicYear, admin: Person, in_a: School) -> None:
    """R-Y01: every parallel is in at most one scheme of the year."""
    services.save_scheme(admin, in_a, year, kind="quarter", grades=range(1, 10), periods=periods(QUARTERS))
    before = counts()
    with pytest.raises(ValidationFailed, match="Параллели 9 уже входят"):
        services.save_scheme(admin, in_a, year, kind="half_year", grades=[9, 10, 11], periods=periods(HALVES))
    assert counts() == before


def test_days_between_periods_outside_vacations_only_warn(year: AcademicYear, admin: Person, in_a: School) -> None:
    """R-Y01: a gap between periods that is no vacation is allowed, with a warning naming it."""
    result = services.save_scheme(admin, in_a, year, kind="quarter", grades=[5], periods=periods(QUARTERS))
    assert any("Между 1 четверть и 2 четверть" in w and "26.10.2026" in w for w in result.warnings)
    assert StudyPeriod.objects.filter(scheme=result.scheme).count() == 4


def test_editing_a_scheme_keeps_its_period_rows(year: AcademicYear, admin: Person, in_a: School) -> None:
    """R-Y01: new dates or a new kind keep periods 1..n as the same rows (period marks point at them)."""
    first = services.save_scheme(admin, in_a, year, kind="quarter", grades=[5, 6], periods=periods(QUARTERS))
    ids = [p.pk for p in first.periods]
    again = services.save_scheme(admin, in_a, year, kind="half_year", grades=[5, 6], periods=periods(HALVES), scheme=first.scheme)
    assert [p.pk for p in again.periods] == ids[:2]
    assert StudyPeriod.objects.filter(scheme=first.scheme).count() == 2
    assert [p.name for p in again.periods] == ["1 полугодие", "2 полугодие"]


# --- days off, moved days, weeks -----------------------------------------------------------------------------

def test_vacations_for_the_school_and_for_first_grade(year: AcademicYear, admin: Person, in_a: School, today: Any) -> None:
    """R-Y01: vacations for the whole school and extra days off for some parallels, inside the year;
    entered less than 2 weeks ahead they are kept with a warning (004 §VII)."""
    services.add_day_off(admin, in_a, year, name="Осенние каникулы", starts_on=D(2026, 10, 26), ends_on=D(2026, 11, 3))
    extra = services.add_day_off(admin, in_a, year, name="Доп. каникулы", starts_on=D(2027, 2, 15), ends_on=D(2027, 2, 21), grades=[1])
    assert extra.day_off.grades == [1] and extra.warnings == []
    today(D(2027, 2, 10))
    late = services.add_day_off(admin, in_a, year, kind="holiday", name="", starts_on=D(2027, 2, 22), ends_on=D(2027, 2, 22))
    assert late.day_off.name == "Праздничный / выходной день"
    assert "за 2 недели" in late.warnings[0]
    assert AuditRecord.objects.filter(action="year.day_off.add", school=in_a).count() == 3


@pytest.mark.parametrize(("start", "end", "grades", "message"), [
    (D(2026, 8, 25), D(2026, 9, 2), [], "вне учебного года"),
    (D(2027, 5, 20), D(2027, 6, 5), [], "вне учебного года"),
    (D(2026, 11, 10), D(2026, 11, 5), [], "Последний день раньше первого"),
    (D(2026, 11, 1), D(2026, 11, 5), [], "Пересекается с «Осенние каникулы»"),
    (D(2026, 11, 1), D(2026, 11, 5), [3], "Пересекается с «Осенние каникулы»"),
    (D(2026, 11, 10), D(2026, 11, 12), [0], "Параллели — числа от 1 до 11"),
])
def test_bad_days_off_refused_and_nothing_written(year: AcademicYear, admin: Person, in_a: School, start: dt.date,
                                                  end: dt.date, grades: list[int], message: str) -> None:
    """R-Y01: dates outside the year, in the wrong order, or overlapping another vacation: refused, nothing written."""
    services.add_day_off(admin, in_a, year, name="Осенние каникулы", starts_on=D(2026, 10, 26), ends_on=D(2026, 11, 3))
    before = counts()
    with pytest.raises(ValidationFailed) as err:
        services.add_day_off(admin, in_a, year, name="Ещё", starts_on=start, ends_on=end, grades=grades)
    assert message in error_text(err.value)
    assert counts() == before


def test_moved_day_at_least_3_working_days_ahead(year: AcademicYear, deputy: Person, in_a: School, today: Any) -> None:
    """R-Y01, 004 §VII: a moved school day is entered no later than 3 working days before it; later
    it is refused with the deadline in Russian, and so is its cancellation."""
    today(D(2026, 11, 24))  # Tuesday: Saturday 28.11 is exactly 3 working days ahead
    moved = services.add_moved_day(deputy, in_a, year, works_on=D(2026, 11, 28), replaces=D(2026, 11, 30), reason="Приказ № 12")
    assert str(moved) == "28.11 вместо 30.11"
    today(D(2026, 11, 25))
    before = counts()
    with pytest.raises(ValidationFailed) as err:
        services.add_moved_day(deputy, in_a, year, works_on=D(2026, 11, 28), replaces=D(2026, 12, 1))
    assert err.value.code == "too_late"
    assert "не позднее 24.11.2026" in err.value.message and "3 рабочих дня" in err.value.message
    with pytest.raises(ValidationFailed, match="отменяется не позднее чем за 3 рабочих дня"):
        services.delete_moved_day(deputy, in_a, moved)
    assert counts() == before


@pytest.mark.parametrize(("works_on", "replaces", "message"), [
    (D(2027, 6, 5), D(2027, 5, 24), "вне учебного года"),
    (D(2026, 10, 10), D(2026, 10, 10), "сам на себя"),
    (D(2026, 10, 10), D(2026, 10, 11), "В воскресенье нет расписания"),
    (D(2026, 10, 17), D(2026, 10, 19), "уже участвуют в переносе"),
])
def test_bad_moved_days_refused_and_nothing_written(year: AcademicYear, admin: Person, in_a: School, works_on: dt.date,
                                                    replaces: dt.date, message: str) -> None:
    """R-Y01: a moved day outside the year, onto itself, from a Sunday, or clashing with another move: refused."""
    services.add_moved_day(admin, in_a, year, works_on=D(2026, 10, 24), replaces=D(2026, 10, 17))
    before = counts()
    with pytest.raises(ValidationFailed) as err:
        services.add_moved_day(admin, in_a, year, works_on=works_on, replaces=replaces)
    assert message in error_text(err.value)
    assert counts() == before


def test_week_lengths_per_parallel(year: AcademicYear, admin: Person, in_a: School) -> None:
    """R-Y01: a 5- or 6-day week per parallel; first grade studies five days (СанПиН); 7 days is no week."""
    weeks = services.set_week_lengths(admin, in_a, year, {g: 6 for g in range(5, 12)})
    assert weeks[1] == 5 and weeks[5] == 6 and weeks[11] == 6
    assert services.set_week_lengths(admin, in_a, year, {5: 5})[5] == 5
    before = counts()
    with pytest.raises(ValidationFailed, match="1 классы учатся только по пятидневной"):
        services.set_week_lengths(admin, in_a, year, {1: 6, 2: 6})
    with pytest.raises(ValidationFailed, match="5 или 6 дней"):
        services.set_week_lengths(admin, in_a, year, {3: 7})
    assert counts() == before
    assert selectors.week_lengths_of(year)[2] == 5


# --- the year page -----------------------------------------------------------------------------------------------

def _fill(year: AcademicYear, n_days_off: int) -> None:
    scheme = PeriodScheme.objects.create(year=year, kind="quarter", grades=list(range(1, 10)))
    StudyPeriod.objects.bulk_create([StudyPeriod(scheme=scheme, number=i, name=f"{i} четверть", starts_on=s, ends_on=e)
                                     for i, (s, e) in enumerate(QUARTERS, 1)])
    halves = PeriodScheme.objects.create(year=year, kind="half_year", grades=[10, 11])
    StudyPeriod.objects.bulk_create([StudyPeriod(scheme=halves, number=i, name=f"{i} полугодие", starts_on=s, ends_on=e)
                                     for i, (s, e) in enumerate(HALVES, 1)])
    DayOff.objects.bulk_create([DayOff(year=year, name=f"Выходной {i}", starts_on=D(2026, 9, 1) + dt.timedelta(days=2 * i),
                                       ends_on=D(2026, 9, 1) + dt.timedelta(days=2 * i)) for i in range(n_days_off)])
    MovedDay.objects.bulk_create([MovedDay(year=year, works_on=D(2027, 4, 3) + dt.timedelta(days=7 * i),
                                           replaces=D(2027, 4, 5) + dt.timedelta(days=7 * i)) for i in range(n_days_off // 10)])


def test_every_member_reads_the_year_page(year: AcademicYear, parent: Person, client_for: Any, in_a: School) -> None:
    """R-Y01: periods, vacations and moved days are visible to every member (a parent too), with no
    edit forms; the school home shows the year tile only to those who set it up."""
    _fill(year, 3)
    use_public()
    page = client_for(parent).get("/s/alpha/year/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "2 четверть" in body and "1 полугодие" in body and "Выходной 1" in body and "Альфа" in body
    assert 'name="action"' not in body
    assert 'data-testid="tile-year"' not in client_for(parent).get("/s/alpha/").content.decode()


def test_admin_edits_through_the_page(year: AcademicYear, admin: Person, client_for: Any, in_a: School) -> None:
    """R-Y01: the administrator adds a vacation on the page; a bad one is shown in Russian next to the
    field and nothing is written."""
    use_public()
    client = client_for(admin)
    assert 'data-testid="tile-year"' in client.get("/s/alpha/").content.decode()
    ok = client.post("/s/alpha/year/", {"action": "day_off", "kind": "vacation", "name": "Осенние каникулы",
                                        "starts_on": "2026-10-26", "ends_on": "2026-11-03"})
    assert ok.status_code == 302
    bad = client.post("/s/alpha/year/", {"action": "day_off", "kind": "vacation", "name": "Летом",
                                         "starts_on": "2027-06-01", "ends_on": "2027-06-10"})
    assert bad.status_code == 200
    assert "вне учебного года 2026/2027" in bad.content.decode()
    scheme = client.post("/s/alpha/year/", {"action": "scheme", "kind": "half_year", "grades": ["10", "11"],
                                            "p1_starts_on": "2026-09-01", "p1_ends_on": "2026-12-27",
                                            "p2_starts_on": "2026-12-20", "p2_ends_on": "2027-05-25"})
    assert "до окончания периода" in scheme.content.decode()
    use_school(in_a)
    assert list(DayOff.objects.values_list("name", flat=True)) == ["Осенние каникулы"]
    assert not PeriodScheme.objects.exists()


def test_year_page_queries_do_not_grow(year: AcademicYear, admin: Person, client_for: Any, in_a: School,
                                       django_assert_max_num_queries: Any) -> None:
    """R-Y01: the year page costs the same number of queries with 3 and with 60 vacations and moved days."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _fill(year, 3)
    use_public()
    client = client_for(admin)
    client.get("/s/alpha/year/")
    with CaptureQueriesContext(connection) as small:
        assert client.get("/s/alpha/year/").status_code == 200
    use_school(in_a)
    DayOff.objects.all().delete()
    MovedDay.objects.all().delete()
    _fill(AcademicYear.objects.get(pk=year.pk), 60)
    use_public()
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get("/s/alpha/year/").status_code == 200


# --- the API ------------------------------------------------------------------------------------------------------

def _json(client: Any, method: str, url: str, body: dict[str, Any] | None = None) -> Any:
    return client.generic(method, url, json.dumps(body or {}), content_type="application/json", HTTP_ACCEPT="application/json")


def test_api_sets_up_the_year(in_a: School, admin: Person, teacher: Person, client_for: Any, today: Any) -> None:
    """R-Y01: the API creates the year, its periods per scheme, vacations and week lengths; a member
    reads the calendar of school days for a parallel."""
    use_public()
    api = client_for(admin)
    base = "/api/v1/schools/alpha/year/"
    created = _json(api, "POST", base, {"starts_on": "2026-09-01", "ends_on": "2027-05-25"})
    assert created.status_code == 201, created.content
    year_id = created.json()["id"]
    scheme = _json(api, "POST", f"{base}{year_id}/periods/", {"kind": "half_year", "grades": [10, 11], "periods": [
        {"starts_on": "2026-09-01", "ends_on": "2026-12-27"}, {"starts_on": "2027-01-11", "ends_on": "2027-05-25"}]})
    assert scheme.status_code == 201 and [p["name"] for p in scheme.json()["periods"]] == ["1 полугодие", "2 полугодие"]
    assert scheme.json()["warnings"]  # no vacations yet: school days between the halves
    vacation = _json(api, "POST", f"{base}{year_id}/days-off/", {"name": "Зимние каникулы", "starts_on": "2026-12-28",
                                                                 "ends_on": "2027-01-10"})
    assert vacation.status_code == 201
    assert _json(api, "PUT", f"{base}{year_id}/week/", {"weeks": [{"grade": 10, "days": 6}]}).json()[9] == {"grade": 10, "days": 6}
    detail = client_for(teacher).get(f"{base}{year_id}/").json()
    assert detail["days_off"][0]["name"] == "Зимние каникулы" and detail["schemes"][0]["grades"] == [10, 11]
    calendar = client_for(teacher).get(f"{base}calendar/?from=2026-09-01&to=2026-09-07&grade=10").json()
    assert [d["date"] for d in calendar["school_days"]] == ["2026-09-01", "2026-09-02", "2026-09-03", "2026-09-04", "2026-09-05",
                                                            "2026-09-07"]
    assert client_for(teacher).get(f"{base}calendar/?from=2026-09-01&to=2026-09-07&grade=3").json()["count"] == 5
    year_calendar = client_for(teacher).get(f"{base}calendar/").json()
    assert year_calendar["year"] == year_id and "2026-12-29" not in [d["date"] for d in year_calendar["school_days"]]


def test_api_bad_input_is_a_russian_error_and_writes_nothing(year: AcademicYear, admin: Person, teacher: Person,
                                                             client_for: Any, in_a: School, today: Any) -> None:
    """R-Y01, R-A03: overlapping periods, a late moved day and a teacher's write answer the JSON error
    shape in Russian; nothing is written."""
    today(D(2026, 9, 3))  # Thursday: Saturday 5 September is less than 3 working days ahead
    before = counts()
    use_public()
    api = client_for(admin)
    base = f"/api/v1/schools/alpha/year/{year.pk}/"
    overlap = _json(api, "POST", f"{base}periods/", {"kind": "half_year", "grades": [10, 11], "periods": [
        {"starts_on": "2026-09-01", "ends_on": "2027-01-20"}, {"starts_on": "2027-01-11", "ends_on": "2027-05-25"}]})
    assert overlap.status_code == 400
    assert "до окончания периода" in overlap.json()["error"]["message"] and "periods" in overlap.json()["error"]["fields"]
    late = _json(api, "POST", f"{base}moved-days/", {"works_on": "2026-09-05", "replaces": "2026-09-07"})
    assert late.status_code == 400 and late.json()["error"]["code"] == "too_late"
    refused = _json(client_for(teacher), "POST", f"{base}days-off/", {"starts_on": "2026-10-26", "ends_on": "2026-11-03"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    calendar = client_for(teacher).get("/api/v1/schools/alpha/year/calendar/?from=2026-09-10&to=2026-09-01")
    assert calendar.status_code == 400
    use_school(in_a)
    assert counts() == before


def test_another_schools_admin_cannot_touch_a_rows(school_b: School, year: AcademicYear, admin: Person, in_a: School,
                                                   make_person: Any, grant: Any, client_for: Any) -> None:
    """R-Y01, R-A03: B's administrator naming A's year and vacation ids under B's address reaches B's
    rows or nothing: A's vacation stays."""
    day_off = services.add_day_off(admin, in_a, year, name="Осенние каникулы", starts_on=D(2026, 10, 26),
                                   ends_on=D(2026, 11, 3)).day_off
    use_public()
    boss_b = make_person("Бобров", "Борис")
    grant(boss_b, Role.SCHOOL_ADMIN, school_b)
    response = _json(client_for(boss_b), "DELETE", f"/api/v1/schools/beta/year/{year.pk}/days-off/{day_off.pk}/")
    assert response.status_code == 404
    assert "Осенние" not in response.content.decode()
    use_school(in_a)
    assert DayOff.objects.filter(pk=day_off.pk).exists()
