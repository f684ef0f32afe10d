"""Schools as tenants: created, renamed, suspended and archived by the district
administrator through the page, the API and the command (R-P01)."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django_tenants.utils import schema_exists

from audit.models import AuditRecord
from core.errors import PermissionDenied, ValidationFailed
from tenants.models import School, SchoolStatus
from tenants.services import SchoolData, create_school, rename_school, set_school_status

pytestmark = pytest.mark.django_db


def test_create_school_makes_row_schema_and_audit_record(district_admin):
    """R-P01: each school gets its own PostgreSQL schema."""
    school = create_school(district_admin, SchoolData(slug="sosh-7", full_name="МБОУ СОШ № 7", short_name="СОШ № 7", municipal_code="M-7"))
    assert school.schema_name == "s_sosh_7"
    assert schema_exists("s_sosh_7")
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('s_sosh_7.roster_schoolclass')")
        assert cursor.fetchone()[0] is not None
    entry = AuditRecord.objects.get(action="school.create")
    assert entry.actor == district_admin and entry.after["slug"] == "sosh-7"


@pytest.mark.parametrize(
    ("slug", "field"),
    [("Bad Slug", "slug"), ("-edge", "slug"), ("x" * 41, "slug"), ("public", "slug"), ("", "slug")],
)
def test_bad_slug_is_refused_and_nothing_created(district_admin, slug, field):
    before = School.objects.count()
    with pytest.raises(ValidationFailed) as exc:
        create_school(district_admin, SchoolData(slug=slug, full_name="Школа", short_name="Ш", municipal_code="C1"))
    assert field in exc.value.fields
    assert School.objects.count() == before


def test_taken_name_is_refused_and_nothing_created(district_admin, school_a):
    schemas_before = _schemas()
    with pytest.raises(ValidationFailed) as exc:
        create_school(district_admin, SchoolData(slug="alpha-2", full_name=school_a.full_name, short_name="Другая", municipal_code="ZZ"))
    assert "full_name" in exc.value.fields
    assert "Школа с таким полным наименованием уже есть." in exc.value.fields["full_name"]
    assert _schemas() == schemas_before


def test_only_district_admin_creates_schools(make_person, grant, school_a):
    school_admin = make_person()
    grant(school_admin, "school_admin", school_a)
    with pytest.raises(PermissionDenied):
        create_school(school_admin, SchoolData(slug="x1", full_name="X", short_name="X", municipal_code="X"))


def test_rename_and_status_transitions_are_audited(district_admin, school_a):
    rename_school(district_admin, school_a, full_name="МБОУ «Школа Альфа-Плюс»", short_name="Альфа+")
    school = set_school_status(district_admin, school_a, SchoolStatus.SUSPENDED, reason="Проверка")
    assert school.status == SchoolStatus.SUSPENDED
    with pytest.raises(ValidationFailed):
        set_school_status(district_admin, school, SchoolStatus.SUSPENDED, reason="ещё раз")
    with pytest.raises(ValidationFailed):
        set_school_status(district_admin, school, SchoolStatus.ARCHIVED)  # no reason
    set_school_status(district_admin, school, SchoolStatus.ARCHIVED, reason="Реорганизация")
    actions = list(AuditRecord.objects.filter(school=school_a).values_list("action", flat=True))
    assert {"school.rename", "school.status.suspended", "school.status.archived"} <= set(actions)
    rename = AuditRecord.objects.get(action="school.rename")
    assert rename.before["short_name"] == "Альфа" and rename.after["short_name"] == "Альфа+"


def test_suspended_school_is_read_only_for_everyone(school_a, make_person, grant, client_for, district_admin):
    admin = make_person()
    grant(admin, "school_admin", school_a)
    set_school_status(district_admin, school_a, SchoolStatus.SUSPENDED, reason="Проверка")
    client = client_for(admin)
    assert client.get("/s/alpha/").status_code == 200  # still readable
    r = client.post("/api/v1/schools/alpha/memberships/", {"surname": "Новый", "name": "Учитель", "role": "teacher"}, content_type="application/json")
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "school_read_only"
    r = client.post("/s/alpha/staff/", {"surname": "Новый", "name": "Учитель", "role": "teacher"})
    assert r.status_code == 403
    # the service refuses too, whatever path calls it
    from accounts.services import PersonData, create_person

    with pytest.raises(Exception) as exc:
        create_person(district_admin, PersonData(surname="А", name="Б"), school=School.objects.get(pk=school_a.pk))
    assert "приостановлена" in str(exc.value)


def test_archived_school_hidden_from_switcher(school_a, school_b, make_person, grant, client_for, district_admin):
    teacher = make_person()
    grant(teacher, "teacher", school_a)
    grant(teacher, "teacher", school_b)
    set_school_status(district_admin, school_b, SchoolStatus.ARCHIVED, reason="Закрыта")
    page = client_for(teacher).get("/home/?all=1").content.decode()
    assert "Альфа" in page and "Бета" not in page


def test_school_api_create_rename_status(district_admin, client_for):
    client = client_for(district_admin)
    r = client.post("/api/v1/district/schools/", {"slug": "api-1", "full_name": "Школа API", "short_name": "API", "municipal_code": "A1"}, content_type="application/json")
    assert r.status_code == 201, r.content
    r = client.post("/api/v1/district/schools/", {"slug": "api-1", "full_name": "Школа API", "short_name": "API", "municipal_code": "A1"}, content_type="application/json")
    assert r.status_code == 400
    body = r.json()["error"]
    assert body["code"] == "invalid" and "slug" in body["fields"]
    r = client.patch("/api/v1/district/schools/api-1/", {"short_name": "API-2"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["short_name"] == "API-2"
    r = client.post("/api/v1/district/schools/api-1/status/", {"status": "suspended", "reason": "тест"}, content_type="application/json")
    assert r.json()["status"] == "suspended"
    r = client.post("/api/v1/district/schools/api-1/status/", {"status": "nonsense"}, content_type="application/json")
    assert r.status_code == 400 and "status" in r.json()["error"]["fields"]


def test_school_page_create_shows_russian_errors(district_admin, client_for):
    client = client_for(district_admin)
    r = client.post("/district/", {"slug": "Плохой адрес", "full_name": "Школа", "short_name": "Ш", "municipal_code": "1"})
    assert r.status_code == 200
    assert "латинские строчные буквы" in r.content.decode()
    r = client.post("/district/", {"slug": "page-1", "full_name": "Школа со страницы", "short_name": "Страница", "municipal_code": "P1"})
    assert r.status_code == 302 and r["Location"] == "/district/schools/page-1/"


def test_management_command(district_admin):
    call_command("school", "create", actor="district.admin", slug="cmd-1", full_name="Школа из командной строки", short_name="Командная", code="C-1")
    call_command("school", "suspend", actor="district.admin", slug="cmd-1", reason="проверка")
    assert School.objects.get(slug="cmd-1").status == SchoolStatus.SUSPENDED
    with pytest.raises(CommandError, match="Короткий адрес"):
        call_command("school", "create", actor="district.admin", slug="cmd-1", full_name="Другая", short_name="Другая", code="C-2")


def _schemas() -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace")
        return {row[0] for row in cursor.fetchall()}
