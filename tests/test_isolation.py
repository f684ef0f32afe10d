"""Tenant isolation, endpoint by endpoint (pretix's test_permissions.py style).

ONE table below names every school page, every school API endpoint, every district
page and every district API endpoint with the roles that may use it. The tests walk
the table:

* anonymous visitors are sent to /login/ (pages) or get a JSON 401/403 (API);
* the strongest person of ANOTHER school (school_admin + director there) gets 403/404
  and learns nothing of the target school (its name, its people's surnames);
* inside the school, each role gets exactly what its duties need (a matrix of
  endpoint × role), families are refused on every staff endpoint;
* every refusal of a signed-in person leaves an "access.refused" audit record;
* a school slug that does not exist, and the template schema, are never reachable;
* the school home and sign-in pages cost the same number of SQL queries whatever
  the number of schools and people.

Requirements: R-P01, R-P02, R-P04, R-P05, R-A02, R-A03, R-A04.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver

from accounts.models import ActivationCode, Membership, Person
from accounts.roles import Role
from audit.models import AuditRecord
from roster.models import Enrolment, Guardianship
from tenants.models import School
from tests.conftest import make_class

pytestmark = pytest.mark.django_db

# --- who may do what (spelled out from the requirements, not computed from roles.py) ---

R = Role
ALL_SCHOOL_ROLES = (
    R.SCHOOL_ADMIN, R.DIRECTOR, R.DEPUTY, R.METHODIST, R.TEACHER, R.CLASS_TEACHER, R.HR_CLERK, R.SECRETARY,
    R.PARENT, R.STUDENT,
)
# Everybody who holds a role in the school (R-P04) and the district administrator.
MEMBERS = frozenset(ALL_SCHOOL_ROLES)
# The school e-journal administrator and the director run staff, roles and the audit log (R-P03).
ADMINS = frozenset({R.SCHOOL_ADMIN, R.DIRECTOR})
# Lists of the school's people: staff whose duties need them (R-A03).
PEOPLE = ADMINS | {R.DEPUTY, R.METHODIST, R.HR_CLERK, R.SECRETARY}
# Classes and families: the above, and a class teacher for their own class (R-P03).
CLASSES = PEOPLE | {R.CLASS_TEACHER}
# Credentials for families: administrators, and a class teacher for their own class (R-P03).
ISSUE = ADMINS | {R.CLASS_TEACHER}
FAMILY = frozenset({R.PARENT, R.STUDENT})

# The people of school A: one per role, with surnames that appear nowhere else, so a
# response that shows one of them has leaked school A's data.
A_PEOPLE: dict[str, tuple[str, str]] = {
    R.SCHOOL_ADMIN: ("Зябликова", "Алла"),
    R.DIRECTOR: ("Щеглов", "Дмитрий"),
    R.DEPUTY: ("Снегирёва", "Зоя"),
    R.METHODIST: ("Чижов", "Марк"),
    R.TEACHER: ("Клестова", "Тамара"),
    R.CLASS_TEACHER: ("Дроздов", "Кирилл"),
    R.HR_CLERK: ("Соловьёва", "Клара"),
    R.SECRETARY: ("Иволгин", "Семён"),
    R.PARENT: ("Овсянкина", "Раиса"),
    R.STUDENT: ("Пеночкин", "Саша"),
}
VICTIM = ("Малиновкина", "Вера")  # a second school administrator of A, whose role gets revoked
A_SURNAMES = [surname for surname, _ in A_PEOPLE.values()] + [VICTIM[0]]
A_FULL_NAME, A_SHORT_NAME = "МБОУ «Школа Альфа»", "Альфа"


@dataclass
class World:
    a: School
    b: School
    people: dict[str, Person]  # role -> the person holding it in A (and "district_admin")
    boss_b: Person  # school_admin + director of B, nothing in A
    victim: Membership  # a school_admin role in A (the revoke endpoints' target)
    class_id: int  # 5А of school A
    b_class_id: int
    b_student: Person

    @property
    def student(self) -> Person:
        return self.people[R.STUDENT]


def _in_school(school: School, make: Callable[[], Any]) -> Any:
    connection.set_tenant(school)
    try:
        return make()
    finally:
        connection.set_schema_to_public()


@pytest.fixture
def world(school_a: School, school_b: School, make_person: Any, grant: Any, district_admin: Person) -> World:
    people = {role: make_person(surname, name) for role, (surname, name) in A_PEOPLE.items()}

    def a_class() -> int:
        cls = make_class(5, "А", class_teacher=people[R.CLASS_TEACHER])
        Enrolment.objects.create(student=people[R.STUDENT], school_class=cls)
        Guardianship.objects.create(parent=people[R.PARENT], student=people[R.STUDENT], kind="mother")
        return cls.pk

    class_id = _in_school(school_a, a_class)
    for role, person in people.items():
        grant(person, role, school_a, class_id=class_id if role in (R.CLASS_TEACHER, R.PARENT, R.STUDENT) else None)
    victim = grant(make_person(*VICTIM), R.SCHOOL_ADMIN, school_a)

    boss_b = make_person("Бобров", "Борис")
    grant(boss_b, R.SCHOOL_ADMIN, school_b)
    grant(boss_b, R.DIRECTOR, school_b)
    b_student = make_person("Барсуков", "Богдан")

    def b_class() -> int:
        cls = make_class(5, "А")
        Enrolment.objects.create(student=b_student, school_class=cls)
        return cls.pk

    b_class_id = _in_school(school_b, b_class)
    grant(b_student, R.STUDENT, school_b, class_id=b_class_id)
    people["district_admin"] = district_admin
    return World(a=school_a, b=school_b, people=people, boss_b=boss_b, victim=victim, class_id=class_id,
                 b_class_id=b_class_id, b_student=b_student)


# --- the table -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """One (method, URL) pair. `allowed`: the school roles that may use it (the district
    administrator always may); `route`: its URL name, so that the table can be checked
    against the URLconf; `ok`: the status of a successful call."""

    name: str
    method: str
    url: str
    route: str
    allowed: frozenset[str] = field(default_factory=frozenset)
    ok: int = 200
    data: Callable[[World], dict[str, Any]] | None = None

    @property
    def is_api(self) -> bool:
        return self.url.startswith("/api/")

    @property
    def staff_only(self) -> bool:
        return not (self.allowed & FAMILY)

    def __str__(self) -> str:
        return self.name


def _grant_form(w: World) -> dict[str, Any]:
    return {"surname": "Новикова", "name": "Ольга", "role": R.SCHOOL_ADMIN}


def _school_form(w: World) -> dict[str, Any]:
    return {"slug": "gamma", "full_name": "МБОУ «Школа Гамма»", "short_name": "Гамма", "municipal_code": "G-001"}


SCHOOL_ENDPOINTS = [
    # pages: /s/<slug>/…
    Endpoint("page-home", "GET", "/s/{slug}/", "school:home", MEMBERS),
    Endpoint("page-staff", "GET", "/s/{slug}/staff/", "school:staff", ADMINS),
    Endpoint("page-staff-grant", "POST", "/s/{slug}/staff/", "school:staff", ADMINS, data=_grant_form),
    Endpoint("page-revoke", "POST", "/s/{slug}/staff/{membership}/revoke/", "school:revoke", ADMINS, ok=302,
             data=lambda w: {"reason": "перевод"}),
    Endpoint("page-overdue", "GET", "/s/{slug}/people/overdue/", "school:overdue", PEOPLE),
    Endpoint("page-classes", "GET", "/s/{slug}/classes/", "school:classes", CLASSES),
    Endpoint("page-class", "GET", "/s/{slug}/classes/{cls}/", "school:class_detail", CLASSES),
    Endpoint("page-slips", "POST", "/s/{slug}/classes/{cls}/slips/", "school:issue_slips", ISSUE,
             data=lambda w: {"person": [str(w.student.pk)]}),
    Endpoint("page-audit", "GET", "/s/{slug}/audit/", "school:audit", ADMINS),
    # API: /api/v1/schools/<slug>/…
    Endpoint("api-school", "GET", "/api/v1/schools/{slug}/", "api-school", MEMBERS),
    Endpoint("api-memberships", "GET", "/api/v1/schools/{slug}/memberships/", "api-memberships", PEOPLE),
    Endpoint("api-grant", "POST", "/api/v1/schools/{slug}/memberships/", "api-memberships", ADMINS, ok=201,
             data=_grant_form),
    Endpoint("api-revoke", "DELETE", "/api/v1/schools/{slug}/memberships/{membership}/", "api-membership", ADMINS,
             data=lambda w: {"reason": "перевод"}),
    Endpoint("api-overdue", "GET", "/api/v1/schools/{slug}/people/overdue/", "api-overdue", PEOPLE),
    Endpoint("api-classes", "GET", "/api/v1/schools/{slug}/classes/", "api-classes", CLASSES),
    Endpoint("api-slips", "POST", "/api/v1/schools/{slug}/classes/{cls}/slips/", "api-slips", ISSUE, ok=201,
             data=lambda w: {"person_ids": [w.student.pk]}),
    Endpoint("api-audit", "GET", "/api/v1/schools/{slug}/audit/", "api-school-audit", ADMINS),
]

# District endpoints: only the district administrator (R-P05); `allowed` stays empty.
DISTRICT_ENDPOINTS = [
    Endpoint("district-schools", "GET", "/district/", "district:schools"),
    Endpoint("district-create", "POST", "/district/", "district:schools", ok=302, data=_school_form),
    Endpoint("district-school", "GET", "/district/schools/{slug}/", "district:school"),
    Endpoint("district-rename", "POST", "/district/schools/{slug}/", "district:school", ok=302,
             data=lambda w: {"action": "rename", "full_name": A_FULL_NAME, "short_name": A_SHORT_NAME, "address": "ул. Мира, 1"}),
    Endpoint("district-audit", "GET", "/district/audit/", "district:audit"),
    Endpoint("api-district-schools", "GET", "/api/v1/district/schools/", "api-district-schools"),
    Endpoint("api-district-create", "POST", "/api/v1/district/schools/", "api-district-schools", ok=201, data=_school_form),
    Endpoint("api-district-school", "GET", "/api/v1/district/schools/{slug}/", "api-district-school"),
    Endpoint("api-district-rename", "PATCH", "/api/v1/district/schools/{slug}/", "api-district-school",
             data=lambda w: {"address": "ул. Мира, 1"}),
    Endpoint("api-district-status", "POST", "/api/v1/district/schools/{slug}/status/", "api-district-school-status",
             data=lambda w: {"status": "suspended", "reason": "ремонт"}),
    Endpoint("api-district-admins", "POST", "/api/v1/district/schools/{slug}/admins/", "api-district-school-admins",
             ok=201, data=lambda w: {"surname": "Новикова", "name": "Ольга", "role": R.SCHOOL_ADMIN}),
    Endpoint("api-district-audit", "GET", "/api/v1/district/audit/", "api-district-audit"),
]
STAFF_ENDPOINTS = [ep for ep in SCHOOL_ENDPOINTS if ep.staff_only]
MUTATING = frozenset({"POST", "PATCH", "PUT", "DELETE"})

# --- helpers ---------------------------------------------------------------------------------


def url_of(ep: Endpoint, w: World, school: School | None = None, membership_id: int | None = None,
           class_id: int | None = None) -> str:
    school = school or w.a
    return ep.url.format(slug=school.slug, membership=membership_id or w.victim.pk, cls=class_id or w.class_id)


def call(client: Client, ep: Endpoint, w: World, **where: Any) -> Any:
    url = url_of(ep, w, **where)
    data = ep.data(w) if ep.data else {}
    if ep.is_api:
        if ep.method == "GET":
            return client.get(url, HTTP_ACCEPT="application/json")
        return client.generic(ep.method, url, json.dumps(data), content_type="application/json",
                              HTTP_ACCEPT="application/json")
    if ep.method == "GET":
        return client.get(url)
    return client.post(url, data)


def text_of(response: Any) -> str:
    body = response.content.decode()
    if response.get("Content-Type", "").startswith("application/json") and body:
        body += json.dumps(response.json(), ensure_ascii=False)
    return body


def assert_error_json(response: Any, statuses: tuple[int, ...]) -> None:
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    error = response.json()["error"]
    assert error["code"] and isinstance(error["code"], str)
    assert error["message"] and isinstance(error["message"], str)


def assert_refused(response: Any, ep: Endpoint, statuses: tuple[int, ...] = (403,)) -> None:
    if ep.is_api:
        assert_error_json(response, statuses)
    else:
        assert response.status_code in statuses, (response.status_code, response.get("Location"))


def state(w: World) -> tuple[Any, ...]:
    """What a mutating endpoint could have changed: a refused call changes none of it."""
    return (
        Membership.objects.current().count(),
        Person.objects.count(),
        ActivationCode.objects.count(),
        sorted(School.objects.values_list("slug", "full_name", "address", "status")),
        Membership.objects.get(pk=w.victim.pk).until,
    )


def refusals_of(person: Person, school: School | None) -> int:
    return AuditRecord.objects.filter(action="access.refused", actor=person, school=school).count()


def _params(endpoints: list[Endpoint]) -> list[Any]:
    return [pytest.param(ep, id=ep.name) for ep in endpoints]


# --- the table covers the URLconf ----------------------------------------------------------------


def _names(patterns: list[Any]) -> set[str]:
    names: set[str] = set()
    for p in patterns:
        if isinstance(p, URLPattern) and p.name:
            names.add(p.name)
        elif isinstance(p, URLResolver):
            names |= _names(p.url_patterns)
    return names


def _api_methods(patterns: list[Any]) -> set[tuple[str, str]]:
    found = set()
    for p in patterns:
        view_class = getattr(p.callback, "view_class", None) or getattr(p.callback, "cls", None)
        for method in ("get", "post", "put", "patch", "delete"):
            if view_class is not None and hasattr(view_class, method):
                found.add((p.name, method.upper()))
    return found


def test_table_names_every_school_and_district_endpoint() -> None:
    """R-P01: every URL of school_urls.py, of schools/<slug>/ in api_urls.py, of district/urls.py and
    of /api/v1/district/ is in the table (a new endpoint without an isolation row fails here)."""
    from config import api_urls, school_urls
    from district import urls as district_urls

    school_routes = {f"school:{n}" for n in _names(school_urls.urlpatterns)} | _names(api_urls.school_patterns)
    district_routes = {f"district:{n}" for n in _names(district_urls.urlpatterns)} | {
        n for n in _names(api_urls.urlpatterns) if n.startswith("api-district")
    }
    assert school_routes == {ep.route for ep in SCHOOL_ENDPOINTS}
    assert district_routes == {ep.route for ep in DISTRICT_ENDPOINTS}
    api_patterns = list(api_urls.school_patterns) + [
        p for p in api_urls.urlpatterns if isinstance(p, URLPattern) and (p.name or "").startswith("api-district")
    ]
    in_table = {(ep.route, ep.method) for ep in SCHOOL_ENDPOINTS + DISTRICT_ENDPOINTS if ep.is_api}
    assert _api_methods(api_patterns) == in_table


# --- anonymous ------------------------------------------------------------------------------------


@pytest.mark.parametrize("ep", _params(SCHOOL_ENDPOINTS + DISTRICT_ENDPOINTS))
def test_anonymous_is_sent_to_login_or_gets_json_error(ep: Endpoint, world: World) -> None:
    """R-A04: nothing of a school or of the district without signing in. Pages redirect to
    /login/, the API answers 401/403 with {"error": {"code", "message"}}."""
    before = state(world)
    response = call(Client(), ep, world)
    if ep.is_api:
        assert_error_json(response, (401, 403))
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
    for surname in A_SURNAMES:
        assert surname not in text_of(response)
    assert state(world) == before


# --- another school's strongest roles -----------------------------------------------------------------


@pytest.mark.parametrize("ep", _params(SCHOOL_ENDPOINTS))
def test_other_schools_admin_and_director_learn_nothing(ep: Endpoint, world: World, client_for: Any) -> None:
    """R-P01, R-P02: the school_admin + director of school B is a stranger in school A: 403/404, the body
    names neither school A nor any of its people, nothing changes, and the refusal is audited (R-A04)."""
    before = state(world)
    response = call(client_for(world.boss_b), ep, world)
    assert_refused(response, ep, (403, 404))
    body = text_of(response)
    for secret in [A_FULL_NAME, A_SHORT_NAME, *A_SURNAMES]:
        assert secret not in body, f"{secret!r} leaked by {ep.method} {url_of(ep, world)}"
    assert state(world) == before


@pytest.mark.parametrize("ep", _params(SCHOOL_ENDPOINTS))
def test_other_schools_refusal_is_audited(ep: Endpoint, world: World, client_for: Any) -> None:
    """R-A04: every refused attempt on another school is attributable to its account."""
    client = client_for(world.boss_b)
    assert refusals_of(world.boss_b, world.a) == 0
    assert_refused(call(client, ep, world), ep, (403, 404))
    record = AuditRecord.objects.get(action="access.refused", actor=world.boss_b, school=world.a)
    assert url_of(ep, world) in record.object_repr
    assert record.actor_label  # readable whatever happens to the account


@pytest.mark.parametrize("ep", _params([ep for ep in SCHOOL_ENDPOINTS if "{membership}" in ep.url or "{cls}" in ep.url]))
def test_school_a_objects_unreachable_through_school_b_urls(ep: Endpoint, world: World, client_for: Any) -> None:
    """R-P01: B's administrator naming A's ids under B's own address reaches B's rows or nothing:
    A's membership is not revoked, A's student gets no credentials, no A surname shows."""
    before = state(world)
    codes = ActivationCode.objects.filter(person=world.student).count()
    response = call(client_for(world.boss_b), ep, world, school=world.b)
    assert response.status_code in (200, 201, 302, 400, 403, 404)
    body = text_of(response)
    for secret in [A_FULL_NAME, A_SHORT_NAME, *A_SURNAMES]:
        assert secret not in body
    assert Membership.objects.get(pk=world.victim.pk).until is None
    assert ActivationCode.objects.filter(person=world.student).count() == codes
    if ep.method == "GET":
        assert state(world) == before


# --- inside the school: the role matrix ----------------------------------------------------------

MATRIX_ROLES = [*ALL_SCHOOL_ROLES, "district_admin"]


def _allowed(ep: Endpoint, role: str) -> bool:
    return role == "district_admin" or role in ep.allowed


def _matrix(refused_only: bool = False, endpoints: list[Endpoint] = SCHOOL_ENDPOINTS,
            roles: list[str] = MATRIX_ROLES) -> list[Any]:
    params = []
    for ep in endpoints:
        for role in roles:
            allowed = _allowed(ep, role)
            if refused_only and allowed:
                continue
            params.append(pytest.param(ep, role, allowed, id=f"{ep.name}-{role}"))
    return params


@pytest.mark.parametrize(("ep", "role", "allowed"), _matrix())
def test_role_matrix_inside_the_school(ep: Endpoint, role: str, allowed: bool, world: World, client_for: Any) -> None:
    """R-P04, R-A03: inside school A each role gets exactly the endpoints its duties need: members see
    the school home; people lists only for administration, HR and the secretary; classes and family
    credentials also for the class teacher of the class; staff roles and the audit log only for the
    school administrator and the director. The district administrator may everything (R-P05)."""
    person = world.people[role]
    before = state(world)
    response = call(client_for(person), ep, world)
    if allowed:
        assert response.status_code == ep.ok, (response.status_code, response.content[:500])
        if ep.method == "GET" and not ep.is_api:
            assert A_SHORT_NAME in response.content.decode()
    else:
        assert_refused(response, ep)
        assert state(world) == before


@pytest.mark.parametrize(("ep", "role", "allowed"), _matrix(refused_only=True))
def test_refusal_inside_the_school_is_audited(ep: Endpoint, role: str, allowed: bool, world: World, client_for: Any) -> None:
    """R-A04: a member refused on an endpoint beyond their role leaves an access.refused record
    naming them, the school and the address."""
    person = world.people[role]
    call(client_for(person), ep, world)
    records = AuditRecord.objects.filter(action="access.refused", actor=person, school=world.a)
    assert records.count() == 1
    assert url_of(ep, world) in records.get().object_repr


@pytest.mark.parametrize(("ep", "role", "allowed"), _matrix(refused_only=True, endpoints=STAFF_ENDPOINTS, roles=[R.PARENT, R.STUDENT]))
def test_families_refused_on_every_staff_endpoint(ep: Endpoint, role: str, allowed: bool, world: World, client_for: Any) -> None:
    """R-A02, R-A01: a parent or a student of school A is refused on every staff endpoint of school A,
    and sees no other family's or staff member's surname there."""
    person = world.people[role]
    response = call(client_for(person), ep, world)
    assert_refused(response, ep)
    body = text_of(response)
    for other_role, (surname, _) in A_PEOPLE.items():
        if other_role != role:
            assert surname not in body


def test_class_teacher_of_another_class_is_refused(world: World, make_person: Any, grant: Any, client_for: Any) -> None:
    """R-A02, R-A03: a class teacher sees and serves only their own class's families."""
    other = make_person("Воронова", "Галина")
    other_class = _in_school(world.a, lambda: make_class(6, "Б", class_teacher=other).pk)
    grant(other, R.CLASS_TEACHER, world.a, class_id=other_class)
    client = client_for(other)
    page = client.get(f"/s/{world.a.slug}/classes/{world.class_id}/")
    assert page.status_code == 403
    assert A_PEOPLE[R.STUDENT][0] not in page.content.decode()
    slips = client.post(f"/api/v1/schools/{world.a.slug}/classes/{world.class_id}/slips/",
                        {"person_ids": [world.student.pk]}, content_type="application/json")
    assert_error_json(slips, (403,))
    assert not ActivationCode.objects.filter(person=world.student).exists()
    listing = client.get(f"/api/v1/schools/{world.a.slug}/classes/")
    assert [row["id"] for row in listing.json()] == [other_class]


# --- district endpoints ---------------------------------------------------------------------------

DISTRICT_REFUSED = ["school_admin_and_director", R.DISTRICT_ANALYST, R.TEACHER]


@pytest.fixture
def district_people(world: World, make_person: Any, grant: Any) -> dict[str, Person]:
    boss_a = make_person("Кречетова", "Нина")
    grant(boss_a, R.SCHOOL_ADMIN, world.a)
    grant(boss_a, R.DIRECTOR, world.a)
    analyst = make_person("Сычёва", "Лидия")
    grant(analyst, R.DISTRICT_ANALYST)
    return {"school_admin_and_director": boss_a, R.DISTRICT_ANALYST: analyst, R.TEACHER: world.people[R.TEACHER],
            R.DISTRICT_ADMIN: world.people["district_admin"]}


@pytest.mark.parametrize("ep", _params(DISTRICT_ENDPOINTS))
@pytest.mark.parametrize("who", DISTRICT_REFUSED)
def test_district_endpoints_refuse_school_staff_and_the_analyst(ep: Endpoint, who: str, world: World,
                                                                  district_people: dict[str, Person], client_for: Any) -> None:
    """R-P05, R-A03: the district pages and API are the district administrator's: a school's
    administrator and director, a teacher and the district analyst (statistics only) are refused,
    change nothing, and the refusal is audited (R-A04)."""
    person = district_people[who]
    before = state(world)
    response = call(client_for(person), ep, world)
    assert_refused(response, ep)
    assert state(world) == before
    assert refusals_of(person, None) == 1
    if ep.url.startswith("/district/") and ep.method == "GET":
        assert "Школа Бета" not in response.content.decode()


@pytest.mark.parametrize("ep", _params(DISTRICT_ENDPOINTS))
def test_district_admin_may_use_district_endpoints(ep: Endpoint, world: World, district_people: dict[str, Person],
                                                   client_for: Any) -> None:
    """R-P05: the district administrator creates and runs schools."""
    response = call(client_for(district_people[R.DISTRICT_ADMIN]), ep, world)
    assert response.status_code == ep.ok, (response.status_code, response.content[:500])


# --- addresses that name no school ---------------------------------------------------------------

MISSING = ["/s/{slug}/", "/s/{slug}/staff/", "/s/{slug}/classes/1/", "/api/v1/schools/{slug}/",
           "/api/v1/schools/{slug}/memberships/", "/api/v1/schools/{slug}/audit/"]


@pytest.mark.parametrize("url", MISSING)
@pytest.mark.parametrize("slug", list(dict.fromkeys(
    ["nope", "school-template", "school_template", settings.ZHURNAL_TEMPLATE_SCHEMA, "public"])))
def test_unknown_school_is_404(url: str, slug: str, world: World, client_for: Any) -> None:
    """R-P01: an address naming no school is 404 for everybody, the district administrator included;
    the API answers in its JSON error shape."""
    for client in (Client(), client_for(world.people["district_admin"])):
        response = client.get(url.format(slug=slug), HTTP_ACCEPT="application/json" if url.startswith("/api/") else "text/html")
        assert response.status_code == 404
        if url.startswith("/api/"):
            assert_error_json(response, (404,))


@pytest.fixture
def template_row(world: World, grant: Any) -> School:
    """A School row pointing at the template schema: never made by the platform, made here to prove
    that even then the template is no school to anyone."""
    row = School.objects.create(schema_name=settings.ZHURNAL_TEMPLATE_SCHEMA, slug="school-template",
                                full_name="Шаблон школы (служебная схема)", short_name="Шаблон", municipal_code="TEMPLATE")
    grant(world.people[R.TEACHER], R.SCHOOL_ADMIN, row)
    return row


def test_template_schema_is_never_reachable(world: World, template_row: School, client_for: Any) -> None:
    """R-P01: the template schema (settings.ZHURNAL_TEMPLATE_SCHEMA) is never a school: not by address,
    not in anybody's school list, not in the district's lists."""
    assert template_row not in School.objects.real()
    teacher = client_for(world.people[R.TEACHER])
    district = client_for(world.people["district_admin"])
    for client in (Client(), teacher, district):
        for ep in SCHOOL_ENDPOINTS:
            response = call(client, ep, world, school=template_row)
            assert response.status_code == 404, (ep.name, response.status_code)
    home = teacher.get("/home/?all=1")
    assert home.status_code == 200
    assert "Шаблон" not in home.content.decode()
    me = teacher.get("/api/v1/me/")
    assert "school-template" not in me.content.decode()
    assert "Шаблон" not in district.get("/district/").content.decode()
    listing = district.get("/api/v1/district/schools/").json()
    assert "school-template" not in [row["slug"] for row in listing["results"]]
    assert district.get("/district/schools/school-template/").status_code == 404
    assert_error_json(district.get("/api/v1/district/schools/school-template/"), (404,))


def test_no_school_schema_is_touched_by_district_pages(world: World, client_for: Any) -> None:
    """R-P01: a request that names no school stays in the public schema."""
    seen: list[str] = []
    from django.db import connection as conn

    client = client_for(world.people["district_admin"])

    def spy(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(conn.schema_name)
        return execute(sql, params, many, context)

    with conn.execute_wrapper(spy):
        assert client.get("/district/").status_code == 200
        assert client.get("/api/v1/district/schools/").status_code == 200
    assert seen and set(seen) == {"public"}


# --- constant cost ----------------------------------------------------------------------------------


def _measure(client: Client, anon: Client, teacher_client: Client) -> dict[str, int]:
    counts = {}
    for name, c, url in (("login", anon, "/login/"), ("school_home", teacher_client, "/s/alpha/"),
                         ("switcher", teacher_client, "/home/"), ("school_api", teacher_client, "/api/v1/schools/alpha/")):
        c.get(url)  # warm: session stamps, caches
        with CaptureQueriesContext(connection) as ctx:
            response = c.get(url)
        assert response.status_code == 200, (url, response.status_code)
        counts[name] = len(ctx.captured_queries)
    return counts


def test_home_and_sign_in_cost_constant_queries(school_a: School, school_b: School, make_school: Any, make_person: Any,
                                                grant: Any, client_for: Any, django_assert_num_queries: Any) -> None:
    """R-P01, R-P02: the sign-in page, the switcher and a school's home cost the same number of SQL
    queries with 2 schools as with 8 schools and 50 more people (no query per school or per person)."""
    teacher = make_person("Кулик", "Олег")
    for school in (school_a, school_b):
        grant(teacher, R.TEACHER, school)
    client = client_for(teacher)
    small = _measure(client, Client(), client)

    for _ in range(6):
        grant(teacher, R.TEACHER, make_school())
    schools = list(School.objects.real())
    assert len(schools) == 8
    for i in range(50):
        grant(make_person(f"Лишний{i}", "Человек"), [R.TEACHER, R.PARENT, R.STUDENT][i % 3], schools[i % len(schools)])
    client = client_for(teacher)
    large = _measure(client, Client(), client)
    assert small["school_home"] > 0
    assert large == small, f"queries with 2 schools {small}, with 8 schools and 50 more people {large}"
    with django_assert_num_queries(small["school_home"]):
        client.get("/s/alpha/")
    home = client.get("/home/").content.decode()
    assert all(f'data-testid="school-{s.slug}"' in home for s in schools)
