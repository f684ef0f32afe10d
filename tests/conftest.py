"""Scenario fixtures: a district with schools, people and their roles."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import Membership, Person
from accounts.roles import Role
from tenants import provisioning
from tenants.models import School
from tenants.services import SchoolData, create_school

_seq = itertools.count(1)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    """The template schema exists once per test database; schools are cloned from it."""
    with django_db_blocker.unblock():
        provisioning.ensure_template()


@pytest.fixture(autouse=True)
def _public_schema_after_test() -> Any:
    yield
    connection.set_schema_to_public()


@pytest.fixture
def make_person(db: Any) -> Callable[..., Person]:
    def make(surname: str = "Иванова", name: str = "Мария", password: str | None = None, **fields: Any) -> Person:
        n = next(_seq)
        login = fields.pop("login", f"user{n}")
        return Person.objects.create_user(login=login, password=password, surname=surname, name=name, **fields)

    return make


@pytest.fixture
def grant(db: Any) -> Callable[..., Membership]:
    """Gives a role directly (test set-up only; the services are tested on their own)."""

    def give(person: Person, role: str, school: School | None = None, class_id: int | None = None) -> Membership:
        person.__dict__.pop("_zhurnal_access", None)
        return Membership.objects.create(person=person, role=role, school=school, class_id=class_id)

    return give


@pytest.fixture
def district_admin(make_person: Callable[..., Person], grant: Callable[..., Membership]) -> Person:
    person = make_person("Районова", "Анна", login="district.admin")
    grant(person, Role.DISTRICT_ADMIN)
    return person


@pytest.fixture
def make_school(district_admin: Person) -> Callable[..., School]:
    def make(slug: str | None = None, **fields: Any) -> School:
        n = next(_seq)
        slug = slug or f"school-{n}"
        data = SchoolData(
            slug=slug, full_name=fields.get("full_name", f"МБОУ СОШ № {n}"), short_name=fields.get("short_name", f"СОШ № {n}"),
            municipal_code=fields.get("municipal_code", f"M{n:04d}"),
        )
        return create_school(district_admin, data)

    return make


@pytest.fixture
def school_a(make_school: Callable[..., School]) -> School:
    return make_school("alpha", full_name="МБОУ «Школа Альфа»", short_name="Альфа")


@pytest.fixture
def school_b(make_school: Callable[..., School]) -> School:
    return make_school("beta", full_name="МБОУ «Школа Бета»", short_name="Бета")


def verified_client(person: Person) -> Client:
    """A signed-in client; admin roles are also 2FA-verified with a real TOTP device."""
    client = Client()
    client.force_login(person)
    device = TOTPDevice.objects.filter(user=person, confirmed=True).first() or TOTPDevice.objects.create(user=person, name="test", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def client_for() -> Callable[[Person], Client]:
    return verified_client


def in_school(school: School) -> Any:
    """Work inside a school's schema (test set-up)."""
    return school


def current_year_in_schema() -> Any:
    """The open academic year of the school whose schema is selected (made if missing)."""
    import datetime as dt

    from schoolyear.models import AcademicYear

    year, _ = AcademicYear.objects.get_or_create(
        status="open", defaults={"name": "2026/2027", "starts_on": dt.date(2026, 9, 1), "ends_on": dt.date(2027, 5, 25)}
    )
    return year


def make_class(grade: int, letter: str, **fields: Any) -> Any:
    """A class of the open year in the selected school schema."""
    from roster.models import SchoolClass

    return SchoolClass.objects.create(year=current_year_in_schema(), grade=grade, letter=letter, **fields)
