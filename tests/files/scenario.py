"""Scenario helpers shared by the import and export tests: a school administrator with the
open year and class 5А, uploading and confirming through the services, staff rows, bells."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Person
from accounts.roles import Role
from bulkimport import services
from bulkimport.models import ImportJob
from tenants.db import use_public, use_school
from tests.conftest import current_year_in_schema, make_class


@pytest.fixture(name="media_in_tmp")
def media_in_tmp_fixture(settings: Any, tmp_path: Any) -> None:
    """Stored uploads go to the test's own folder (use with pytest.mark.usefixtures or autouse)."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(name="admin")
def admin_fixture(db: Any, school_a: Any, make_person: Any, grant: Any) -> Person:
    """School A's e-journal administrator (school A gets its open year and class 5А)."""
    return make_admin(school_a, make_person, grant)


def make_admin(school: Any, make_person: Any, grant: Any) -> Person:
    """The school's e-journal administrator; the school gets its open year and class 5А."""
    person = make_person("Волкова", "Ирина", login="volkova.a")
    grant(person, Role.SCHOOL_ADMIN, school)
    use_school(school)
    current_year_in_schema()
    make_class(5, "А")
    use_public()
    return person


def upload(actor: Person, school: Any, kind: str, content: bytes, name: str = "spisok.xlsx") -> ImportJob:
    use_school(school)
    actor.__dict__.pop("_zhurnal_access", None)
    job = services.start_import(actor, school, kind, SimpleUploadedFile(name, content))
    job.refresh_from_db()
    return job


def confirm(actor: Person, school: Any, job: ImportJob, mode: str = "all") -> ImportJob:
    use_school(school)
    services.confirm_import(actor, school, job.pk, mode)
    return ImportJob.objects.get(pk=job.pk)


STAFF_HEADER = ["Фамилия", "Имя", "Отчество", "Пол", "Дата рождения", "Должность", "Категория", "Функции",
                "Специальность по диплому", "Роли", "Дата приказа о приёме", "Номер приказа о приёме"]


def staff_row(surname: str, name: str, patronymic: str, position: str, roles: str, *, born: dt.date = dt.date(1980, 5, 5),
              sex: str = "ж") -> list[Any]:
    return [surname, name, patronymic, sex, born, position, "высшая", "", "математика", roles, dt.date(2026, 8, 25), "112-к"]


def setup_timetable_basics(school: Any, admin: Person) -> None:
    """Bells of the first shift (6 lessons) in the open year."""
    from timetable.models import Bell, BellSchedule

    use_school(school)
    year = current_year_in_schema()
    schedule = BellSchedule.objects.create(year=year, name="1 смена", shift=1)
    Bell.objects.bulk_create([Bell(schedule=schedule, number=n, starts_at=dt.time(8 + n, 0), ends_at=dt.time(8 + n, 45))
                              for n in range(1, 7)])
    make_class(5, "Б")
    use_public()


