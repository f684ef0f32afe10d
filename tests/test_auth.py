"""One login for the district, passwords, lockout, 2FA for admin roles, sessions (R-P02, R-A04)."""

from __future__ import annotations

import time

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import PersonSession
from accounts.roles import Role
from audit.models import AuditRecord

pytestmark = pytest.mark.django_db
PASSWORD = "верный-конь-батарейка-9"


def _login(client: Client, login: str, password: str = PASSWORD, **extra):
    return client.post("/login/", {"login": login, "password": password}, **extra)


def test_one_login_sees_both_schools(school_a, school_b, make_person, grant):
    """R-P02: a teacher in two schools signs in once and switches school."""
    teacher = make_person("Николаев", "Игорь", password=PASSWORD, login="nikolaev")
    grant(teacher, Role.TEACHER, school_a)
    grant(teacher, Role.TEACHER, school_b)
    client = Client()
    r = _login(client, "NIKOLAEV ")
    assert r.status_code == 302 and r["Location"] == "/home/"
    home = client.get("/home/").content.decode()
    assert "Альфа" in home and "Бета" in home
    assert "Школа Альфа" in client.get("/s/alpha/").content.decode()
    assert "Школа Бета" in client.get("/s/beta/").content.decode()
    assert AuditRecord.objects.filter(action="auth.login", actor=teacher).count() == 1


def test_parent_with_children_in_two_schools_signs_in_once(school_a, school_b, make_person, grant):
    """R-P02: a parent with children in two schools."""
    parent = make_person(password=PASSWORD, login="mama")
    grant(parent, Role.PARENT, school_a)
    grant(parent, Role.PARENT, school_b)
    client = Client()
    _login(client, "mama")
    r = client.get("/api/v1/me/")
    assert sorted(s["school"] for s in r.json()["schools"]) == ["alpha", "beta"]


def test_failed_login_is_recorded_and_message_is_russian(make_person):
    make_person(password=PASSWORD, login="someone")
    r = _login(Client(), "someone", "wrong-password-123")
    assert r.status_code == 200 and "Неверный логин или пароль." in r.content.decode()
    assert AuditRecord.objects.filter(action="auth.login_failed", object_repr="someone").exists()


def test_lockout_after_failures_and_cool_off(make_person, settings):
    """Lockout by account and address, with a cool-off (django-axes)."""
    from axes.models import AccessAttempt

    make_person(password=PASSWORD, login="target")
    client = Client(REMOTE_ADDR="10.1.1.1")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, "target", "wrong-password-123")
    r = _login(client, "target", PASSWORD)  # even the right password is refused now
    assert r.status_code == 429 and "заблокирован" in r.content.decode()
    # from another address the account is locked too (by account)
    assert _login(Client(REMOTE_ADDR="10.2.2.2"), "target", PASSWORD).status_code == 429
    # after the cool-off the lock expires
    from django.utils import timezone

    AccessAttempt.objects.update(attempt_time=timezone.now() - timezone.timedelta(hours=1))
    r = _login(Client(REMOTE_ADDR="10.1.1.1"), "target", PASSWORD)
    assert r.status_code == 302


def test_api_token_lockout_returns_json(make_person, settings):
    make_person(password=PASSWORD, login="apiuser")
    client = Client(REMOTE_ADDR="10.3.3.3")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/api/v1/auth/token/", {"login": "apiuser", "password": "wrong-password-1"}, content_type="application/json")
    r = client.post("/api/v1/auth/token/", {"login": "apiuser", "password": PASSWORD}, content_type="application/json")
    assert r.status_code == 429 and r.json()["error"]["code"] == "locked_out"


@pytest.mark.parametrize("role", [Role.SCHOOL_ADMIN, Role.DIRECTOR, Role.DEPUTY])
def test_two_factor_enforced_for_admin_roles(school_a, make_person, grant, role):
    """Admin roles must use TOTP: until verified, pages send them to 2FA and the API refuses."""
    person = make_person(password=PASSWORD, login=f"adm-{role}")
    grant(person, role, school_a)
    client = Client()
    r = _login(client, person.login)
    assert r["Location"].startswith("/account/2fa/")
    r = client.get("/s/alpha/")
    assert r.status_code == 302 and r["Location"].startswith("/account/2fa/")
    r = client.get("/api/v1/schools/alpha/")
    assert r.status_code == 403 and r.json()["error"]["code"] == "otp_required"
    # no device yet: set one up, confirm with a real code, get backup codes
    r = client.get("/account/2fa/")
    assert r["Location"].startswith("/account/2fa/setup/")
    client.get("/account/2fa/setup/")
    device = TOTPDevice.objects.get(user=person, confirmed=False)
    r = client.post("/account/2fa/setup/", {"token": "000000" if totp(device.bin_key) != 0 else "111111"})
    assert "Код не подошёл" in r.content.decode()
    r = client.post("/account/2fa/setup/", {"token": f"{totp(device.bin_key):06d}"})
    assert "Резервные коды" in r.content.decode()
    assert client.get("/s/alpha/").status_code == 200
    assert client.get("/api/v1/schools/alpha/").status_code == 200


def test_two_factor_district_admin_verifies_with_backup_code_once(district_admin):
    from accounts.services import replace_backup_codes

    district_admin.set_password(PASSWORD)
    district_admin.save()
    TOTPDevice.objects.create(user=district_admin, name="t", confirmed=True)
    codes = replace_backup_codes(district_admin)
    client = Client()
    _login(client, district_admin.login)
    assert client.get("/district/").status_code == 302
    r = client.post("/account/2fa/", {"token": codes[0]})
    assert r.status_code == 302
    assert client.get("/district/").status_code == 200
    other = Client()
    _login(other, district_admin.login)
    r = other.post("/account/2fa/", {"token": codes[0]})
    assert "Код не подошёл" in r.content.decode()
    assert AuditRecord.objects.filter(action="2fa.failed").exists()


def test_teacher_needs_no_second_factor(school_a, make_person, grant):
    teacher = make_person(password=PASSWORD, login="plain-teacher")
    grant(teacher, Role.TEACHER, school_a)
    client = Client()
    _login(client, "plain-teacher")
    assert client.get("/s/alpha/").status_code == 200


def test_api_token_for_admin_requires_otp(school_a, make_person, grant):
    admin = make_person(password=PASSWORD, login="token-admin")
    grant(admin, Role.SCHOOL_ADMIN, school_a)
    device = TOTPDevice.objects.create(user=admin, name="t", confirmed=True)
    client = Client()
    r = client.post("/api/v1/auth/token/", {"login": "token-admin", "password": PASSWORD}, content_type="application/json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "otp_required"
    r = client.post("/api/v1/auth/token/", {"login": "token-admin", "password": PASSWORD, "otp": f"{totp(device.bin_key):06d}", "name": "телефон"}, content_type="application/json")
    assert r.status_code == 201
    token = r.json()["token"]
    api = Client(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get("/api/v1/schools/alpha/").status_code == 200
    # revoked token stops working
    token_id = r.json()["id"]
    assert api.delete(f"/api/v1/auth/tokens/{token_id}/").status_code == 204
    r = api.get("/api/v1/schools/alpha/")
    assert r.status_code in (401, 403) and r.json()["error"]["code"] in ("authentication_failed", "not_authenticated")


def test_staff_session_ends_after_idle_and_absolute_limits(school_a, make_person, grant, settings):
    teacher = make_person(password=PASSWORD, login="idle-teacher")
    grant(teacher, Role.TEACHER, school_a)
    client = Client()
    _login(client, "idle-teacher")
    session = client.session
    session["_last_seen"] = int(time.time()) - settings.ZHURNAL_STAFF_IDLE_SECONDS - 5
    session.save()
    r = client.get("/s/alpha/")
    assert r.status_code == 302 and r["Location"].startswith("/login/")
    _login(client, "idle-teacher")
    session = client.session
    session["_started_at"] = int(time.time()) - settings.ZHURNAL_STAFF_ABSOLUTE_SECONDS - 5
    session.save()
    assert client.get("/s/alpha/")["Location"].startswith("/login/")
    r = client.get("/api/v1/me/")
    assert r.status_code in (401, 403)


def test_family_session_is_not_cut_after_30_minutes(school_a, make_person, grant, settings):
    parent = make_person(password="родительский-пароль", login="parent-idle")
    grant(parent, Role.PARENT, school_a)
    client = Client()
    _login(client, "parent-idle", "родительский-пароль")
    session = client.session
    session["_last_seen"] = int(time.time()) - settings.ZHURNAL_STAFF_IDLE_SECONDS - 5
    session.save()
    assert client.get("/home/").status_code in (200, 302)
    assert client.get("/api/v1/me/").status_code == 200


def test_user_sees_and_ends_other_sessions(school_a, make_person, grant):
    teacher = make_person(password=PASSWORD, login="multi")
    grant(teacher, Role.TEACHER, school_a)
    laptop, phone = Client(HTTP_USER_AGENT="Laptop"), Client(HTTP_USER_AGENT="Phone")
    _login(laptop, "multi")
    _login(phone, "multi")
    assert PersonSession.objects.filter(person=teacher).count() == 2
    page = laptop.get("/account/sessions/").content.decode()
    assert "Laptop" in page and "Phone" in page
    phone_key = phone.session.session_key
    r = laptop.get("/api/v1/sessions/")
    assert {row["user_agent"] for row in r.json()} == {"Laptop", "Phone"}
    laptop.post("/account/sessions/", {"end": phone_key})
    assert phone.get("/home/").status_code == 302  # signed out
    assert laptop.get("/home/").status_code in (200, 302)
    # someone else's session cannot be ended
    other = make_person(password=PASSWORD, login="other")
    grant(other, Role.TEACHER, school_a)
    oc = Client()
    _login(oc, "other")
    r = laptop.delete(f"/api/v1/sessions/{oc.session.session_key}/")
    assert r.status_code == 404
    assert oc.get("/api/v1/me/").status_code == 200


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("short", False),
        ("password1234", False),
        ("qwertyuiop12", False),
        ("111111111111", False),
        ("йцукенгшщзхъ", False),
        ("абвгдеёжзийк", False),
        ("правильная лошадь батарейка", True),
        ("Tr0ub4dor&3xyz", True),
    ],
)
def test_password_rules_for_staff(school_a, make_person, grant, password, ok):
    """OWASP ASVS L2: at least 12 characters for staff, common/guessable refused, no composition rules."""
    staff = make_person(surname="Семенова", name="Анна")
    grant(staff, Role.TEACHER, school_a)
    if ok:
        validate_password(password, staff)
    else:
        with pytest.raises(ValidationError):
            validate_password(password, staff)


def test_family_minimum_is_eight(school_a, make_person, grant):
    parent = make_person()
    grant(parent, Role.PARENT, school_a)
    validate_password("кот-мурзик", parent)
    staff = make_person()
    grant(staff, Role.TEACHER, school_a)
    with pytest.raises(ValidationError):
        validate_password("кот-мурзик", staff)


def test_audit_log_refuses_update_and_delete_at_database(district_admin):
    """The audit table refuses UPDATE and DELETE in the database itself."""
    from audit.services import record

    entry = record(actor=district_admin, action="test.event")
    for sql in ("UPDATE audit_auditrecord SET action = 'forged' WHERE id = %s", "DELETE FROM audit_auditrecord WHERE id = %s"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    assert AuditRecord.objects.get(pk=entry.pk).action == "test.event"
    with pytest.raises(RuntimeError):
        AuditRecord.objects.get(pk=entry.pk).save()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditRecord.objects.filter(pk=entry.pk).update(action="forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditRecord.objects.filter(pk=entry.pk).delete()


def test_audit_records_actor_ip_and_before_after(school_a, make_person, grant, client_for):
    admin = make_person()
    grant(admin, Role.SCHOOL_ADMIN, school_a)
    client = client_for(admin)
    client.post("/api/v1/schools/alpha/memberships/", {"surname": "Орлов", "name": "Олег", "role": "teacher"}, content_type="application/json", REMOTE_ADDR="192.0.2.10")
    entry = AuditRecord.objects.filter(action="role.grant").latest("at")
    assert entry.actor == admin and entry.school == school_a and entry.ip == "192.0.2.10" and entry.channel == "api"
    assert entry.after["role"] == "teacher"


def test_audit_log_pages_and_filters(school_a, school_b, make_person, grant, client_for, district_admin):
    admin_a = make_person()
    grant(admin_a, Role.SCHOOL_ADMIN, school_a)
    from audit.services import record

    record(actor=admin_a, action="probe.alpha", school=school_a)
    record(actor=admin_a, action="probe.beta", school=school_b)
    page = client_for(admin_a).get("/s/alpha/audit/?action=probe").content.decode()
    assert "probe.alpha" in page and "probe.beta" not in page
    r = client_for(admin_a).get("/api/v1/schools/alpha/audit/?action=probe")
    assert [row["action"] for row in r.json()["results"]] == ["probe.alpha"]
    r = client_for(district_admin).get("/api/v1/district/audit/?action=probe")
    assert {row["action"] for row in r.json()["results"]} == {"probe.alpha", "probe.beta"}
    r = client_for(district_admin).get("/api/v1/district/audit/?action=probe&school=beta")
    assert [row["action"] for row in r.json()["results"]] == ["probe.beta"]
    r = client_for(district_admin).get("/api/v1/district/audit/?date_from=not-a-date")
    assert r.status_code == 400 and "date_from" in r.json()["error"]["fields"]


def test_batched_audit_records_commit_with_their_writes_and_vanish_with_a_failure(district_admin, django_assert_num_queries):
    """R-A: a bulk operation's audit records go in one INSERT (audit.services.batched), inside the
    savepoint of what they record: kept when it succeeds, dropped when it fails; a refused
    access is never held back by a batch."""
    from audit.services import batched, record, record_refusal

    before = AuditRecord.objects.count()
    with transaction.atomic():
        with django_assert_num_queries(1), batched():
            for n in range(5):
                record(actor=district_admin, action=f"test.batch{n}")
        with pytest.raises(ValueError), batched():
            record(actor=district_admin, action="test.lost")
            raise ValueError
        with batched():
            record(actor=district_admin, action="test.outer")
            with pytest.raises(ValueError), batched():
                record(actor=district_admin, action="test.inner_lost")
                raise ValueError
            with batched(keep=False):
                record(actor=district_admin, action="test.dry_run")
            record_refusal(actor=None, school=None, what="/s/x/", reason="test")
            assert AuditRecord.objects.filter(action="access.refused").count() == 1  # written at once
    actions = set(AuditRecord.objects.values_list("action", flat=True)[before:])
    assert actions == {*(f"test.batch{n}" for n in range(5)), "test.outer", "access.refused"}
