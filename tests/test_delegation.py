"""Delegation is a chain and nobody grants a role wider than their own (R-P03, R-P04, R-P05, R-A05)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from accounts import services
from accounts.models import ActivationCode, Membership
from accounts.roles import Role
from accounts.selectors import overdue_accounts
from audit.models import AuditRecord
from core.errors import PermissionDenied, ValidationFailed

pytestmark = pytest.mark.django_db


def _fresh(person):
    person.__dict__.pop("_zhurnal_access", None)
    return person


def test_district_admin_creates_first_school_admin(district_admin, school_a, make_person):
    """R-P03: the district office creates a school and its first school administrator."""
    admin = make_person("Волкова", "Ирина")
    m = services.grant_role(district_admin, admin, Role.SCHOOL_ADMIN, school=school_a)
    assert m.granted_by == district_admin
    assert AuditRecord.objects.filter(action="role.grant", school=school_a).exists()


@pytest.mark.parametrize("role", ["teacher", "deputy", "methodist", "class_teacher", "hr_clerk", "secretary", "school_admin"])
def test_school_admin_grants_staff_roles(school_a, make_person, grant, role):
    """R-P03, R-P04: the school administrator gives staff their roles."""
    admin = make_person()
    grant(admin, Role.SCHOOL_ADMIN, school_a)
    staff = make_person()
    m = services.grant_role(_fresh(admin), staff, role, school=school_a, class_id=1 if role == "class_teacher" else None)
    assert m.role == role


@pytest.mark.parametrize(
    ("granter_role", "role", "district_scope"),
    [
        ("school_admin", "director", False),        # director's rights are wider (orders)
        ("school_admin", "district_admin", True),   # district roles
        ("school_admin", "district_analyst", True),
        ("deputy", "teacher", False),               # a deputy appoints nobody
        ("teacher", "teacher", False),
        ("teacher", "parent", False),
        ("class_teacher", "teacher", False),        # a class teacher issues families only
        ("parent", "parent", False),
        ("student", "student", False),
        ("director", "district_admin", True),
        ("district_analyst", "district_analyst", True),
        ("methodist", "methodist", False),
        ("hr_clerk", "teacher", False),
    ],
)
def test_grant_above_own_rights_is_refused(school_a, make_person, grant, granter_role, role, district_scope):
    """R-P03: each grant above one's own rights is refused, and nothing is written."""
    granter = make_person()
    grant(granter, granter_role, None if granter_role.startswith("district") else school_a, class_id=5 if granter_role == "class_teacher" else None)
    target = make_person()
    before = Membership.objects.count()
    with pytest.raises(PermissionDenied):
        services.grant_role(_fresh(granter), target, role, school=None if district_scope else school_a)
    assert Membership.objects.count() == before


def test_roles_in_another_school_give_no_right_here(school_a, school_b, make_person, grant):
    """R-P01: being an administrator of school B gives nothing in school A."""
    admin_b = make_person()
    grant(admin_b, Role.SCHOOL_ADMIN, school_b)
    grant(admin_b, Role.DIRECTOR, school_b)
    with pytest.raises(PermissionDenied):
        services.grant_role(_fresh(admin_b), make_person(), Role.TEACHER, school=school_a)


def test_class_teacher_issues_only_own_class_families(school_a, make_person, grant):
    """R-P03: a class teacher issues credentials to the parents and students of their class."""
    from roster.models import Enrolment, Guardianship
    from tests.conftest import make_class

    teacher = make_person("Козлов", "Дмитрий")
    other_student = make_person("Чужой", "Ученик")
    own_student = make_person("Свой", "Ученик")
    parent = make_person("Своя", "Мама")
    connection.set_tenant(school_a)
    mine, other = make_class(5, "А"), make_class(5, "Б")
    Enrolment.objects.create(student=own_student, school_class=mine)
    Enrolment.objects.create(student=other_student, school_class=other)
    Guardianship.objects.create(parent=parent, student=own_student, kind="mother")
    connection.set_schema_to_public()
    grant(teacher, Role.CLASS_TEACHER, school_a, class_id=mine.pk)
    for p in (own_student, other_student):
        grant(p, Role.STUDENT, school_a)
    grant(parent, Role.PARENT, school_a)
    connection.set_tenant(school_a)
    slip = services.issue_slip(_fresh(teacher), own_student, school=school_a)
    assert slip.login == own_student.login and len(slip.code) == 14
    services.issue_slip(teacher, parent, school=school_a)
    with pytest.raises(PermissionDenied):
        services.issue_slip(teacher, other_student, school=school_a)
    # and may grant family roles only for their own class
    services.grant_role(teacher, make_person(), Role.PARENT, school=school_a, class_id=mine.pk)
    with pytest.raises(PermissionDenied):
        services.grant_role(teacher, make_person(), Role.PARENT, school=school_a, class_id=other.pk)
    with pytest.raises(PermissionDenied):
        services.grant_role(teacher, make_person(), Role.STUDENT, school=school_a)


def test_staff_admin_cannot_issue_credentials_to_director(school_a, make_person, grant):
    admin, director = make_person(), make_person()
    grant(admin, Role.SCHOOL_ADMIN, school_a)
    grant(director, Role.DIRECTOR, school_a)
    with pytest.raises(PermissionDenied):
        services.issue_slip(_fresh(admin), director, school=school_a)


def test_activation_code_is_single_use_and_expires(school_a, make_person, grant, district_admin):
    """R-A04: a person's own credentials; the code works once, within 7 days."""
    person = make_person()
    grant(person, Role.SCHOOL_ADMIN, school_a)
    slip = services.issue_slip(district_admin, person, school=school_a)
    assert slip.expires_at - ActivationCode.objects.get(person=person).created_at >= dt.timedelta(days=6, hours=23)
    with pytest.raises(ValidationFailed):
        services.activate_account(person.login, slip.code, "short")
    services.activate_account(person.login, slip.code.lower().replace("-", ""), "длинная фраза для пароля")
    person.refresh_from_db()
    assert person.check_password("длинная фраза для пароля") and person.credentials_set_at
    with pytest.raises(ValidationFailed):
        services.activate_account(person.login, slip.code, "другая длинная фраза")
    second = services.issue_slip(district_admin, person, school=school_a)
    ActivationCode.objects.filter(person=person, used_at__isnull=True).update(expires_at=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(ValidationFailed):
        services.activate_account(person.login, second.code, "ещё одна длинная фраза")


def test_new_slip_revokes_previous_code(school_a, make_person, grant, district_admin):
    person = make_person()
    grant(person, Role.TEACHER, school_a)
    first = services.issue_slip(district_admin, person, school=school_a)
    services.issue_slip(district_admin, person, school=school_a)
    with pytest.raises(ValidationFailed):
        services.activate_account(person.login, first.code, "длинная фраза для пароля")


def test_overdue_accounts_after_three_working_days(school_a, make_person, district_admin):
    """R-A05: accounts are handed over within 3 working days of the order; overdue ones show."""
    # The school joined the platform before the order (its start is its creation date).
    type(school_a).objects.filter(pk=school_a.pk).update(created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
    school_a.refresh_from_db()
    hired = make_person("Новая", "Учительница")
    Membership.objects.create(person=hired, school=school_a, role=Role.TEACHER, since=dt.date(2026, 11, 2))
    # 2026-11-02 (Mon) + 3 working days = 2026-11-05 (Thu; 2026-11-04 is a holiday) -> due 2026-11-06
    assert overdue_accounts(school_a, today=dt.date(2026, 11, 6)) == []
    rows = overdue_accounts(school_a, today=dt.date(2026, 11, 9))
    assert [m.person for m in rows] == [hired]
    services.issue_slip(district_admin, hired, school=school_a)
    assert overdue_accounts(school_a, today=dt.date(2026, 11, 9)) == []


def test_revoke_role_ends_it_and_is_audited(school_a, make_person, grant):
    admin, teacher = make_person(), make_person()
    grant(admin, Role.SCHOOL_ADMIN, school_a)
    m = grant(teacher, Role.TEACHER, school_a)
    services.revoke_role(_fresh(admin), m, reason="увольнение")
    m.refresh_from_db()
    assert m.until is not None
    entry = AuditRecord.objects.get(action="role.revoke")
    assert entry.reason == "увольнение" and entry.before["until"] is None
    with pytest.raises(ValidationFailed):
        services.revoke_role(admin, grant(admin, Role.SCHOOL_ADMIN, school_a) if False else Membership.objects.get(person=admin))


def test_grant_through_api_refused_for_teacher_and_creates_nothing(school_a, make_person, grant, client_for):
    teacher = make_person()
    grant(teacher, Role.TEACHER, school_a)
    before = (Membership.objects.count(), type(teacher).objects.count())
    r = client_for(teacher).post("/api/v1/schools/alpha/memberships/", {"surname": "Новый", "name": "Директор", "role": "director"}, content_type="application/json")
    assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
    assert (Membership.objects.count(), type(teacher).objects.count()) == before


def test_grant_through_api_by_school_admin_returns_slip(school_a, make_person, grant, client_for):
    admin = make_person()
    grant(admin, Role.SCHOOL_ADMIN, school_a)
    r = client_for(admin).post("/api/v1/schools/alpha/memberships/", {"surname": "Петров", "name": "Пётр", "patronymic": "Петрович", "role": "teacher"}, content_type="application/json")
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["membership"]["role"] == "teacher" and body["slip"]["login"].startswith("petrov.pp")
