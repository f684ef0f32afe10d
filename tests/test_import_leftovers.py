"""Bulk import (R-Y07), the leftovers: a check run inline (a short file, in the request) that hits
an unexpected error leaves the job «failed» with a Russian message, as the Celery task does,
instead of «checking» for ever and a 500; a check or an import whose process was killed is
marked failed by a periodic sweep, so the user can upload the file again."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.db import connection
from django.utils import timezone

from accounts.models import Person
from bulkimport import services, tasks
from bulkimport.kinds import students_bulk
from bulkimport.kinds.staff import StaffKind
from bulkimport.models import ImportJob
from core.errors import Conflict
from roster.models import Enrolment
from tenants.db import current_schema, use_public, use_school
from tests.files.scenario import (  # noqa: F401 (fixtures)
    STAFF_HEADER,
    admin_fixture,
    confirm,
    media_in_tmp_fixture,
    staff_row,
    upload,
)
from tests.files.spreadsheets import STUDENT_HEADER, student_row, xlsx_bytes


@pytest.fixture(autouse=True)
def _media(media_in_tmp: None) -> None:
    """Uploads stored under the test's tmp_path."""


def students_file(*rows: list[Any]) -> bytes:
    return xlsx_bytes([STUDENT_HEADER, *rows])


def failed_in_the_log(caplog: Any, job_id: int) -> bool:
    return any(r.levelno == logging.ERROR and r.exc_info and str(job_id) in r.getMessage() for r in caplog.records)


# --- 1. the inline check's failure handler ----------------------------------------------------------

def test_a_reader_failure_of_an_inline_check_fails_the_job_and_the_page_says_so(school_a: Any, admin: Person, client_for: Any,
                                                                                monkeypatch: Any, caplog: Any) -> None:
    """R-Y07: the reader breaks on an unexpected error while a short file is checked in the
    request: the page is not a 500, the user lands on the job's page with a clear Russian
    message, the job is «failed» (not «checking») and the error is logged with its traceback."""
    def broken(path: Any) -> Any:
        raise RuntimeError("reader exploded")

    monkeypatch.setattr(services, "read_table", broken)
    client = client_for(admin)
    with caplog.at_level(logging.ERROR, logger="bulkimport.services"):
        response = client.post("/s/alpha/import/", {"kind": "students", "file": _file(students_file(student_row(0)))})
    assert response.status_code == 302, response.content.decode()[:500]
    page = client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="import-message"' in body and "Загрузка прервана из-за внутренней ошибки" in body
    use_school(school_a)
    job = ImportJob.objects.get()
    assert job.status == "failed" and job.message == services.FAILED
    assert failed_in_the_log(caplog, job.pk)


def test_a_database_error_in_the_planner_fails_the_job_with_a_json_answer_and_the_next_upload_works(
        school_a: Any, admin: Person, client_for: Any, monkeypatch: Any, caplog: Any) -> None:
    """R-Y07: the students planner's reads fail in the database (a statement refused mid-check):
    the API answers with the job «failed» and its Russian message (as for an inline import's
    failure), never a 500; the check ran in a savepoint, so the connection is usable, the job is
    marked and the same file uploaded again is checked."""
    original = students_bulk.FamilyPlan.load

    def broken(self: Any, rows: Any) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")

    monkeypatch.setattr(students_bulk.FamilyPlan, "load", broken)
    client = client_for(admin)
    content = students_file(student_row(0), student_row(1))
    with caplog.at_level(logging.ERROR, logger="bulkimport.services"):
        response = client.post("/api/v1/schools/alpha/import/jobs/", {"kind": "students", "file": _file(content)})
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "failed" and data["status_label"] == "Прерван из-за ошибки"
    assert data["message"] == services.FAILED and data["rows"] == []
    assert failed_in_the_log(caplog, data["id"])
    detail = client.get(f"/api/v1/schools/alpha/import/jobs/{data['id']}/").json()
    assert detail["status"] == "failed" and detail["message"] == services.FAILED

    monkeypatch.setattr(students_bulk.FamilyPlan, "load", original)
    again = client.post("/api/v1/schools/alpha/import/jobs/", {"kind": "students", "file": _file(content)})
    assert again.status_code == 201 and again.json()["status"] == "ready"
    assert [r["status"] for r in again.json()["rows"]] == ["new", "new"]


def test_a_failure_of_the_row_by_row_dry_run_fails_the_job(school_a: Any, admin: Person, monkeypatch: Any, caplog: Any) -> None:
    """R-Y07: the staff list is checked row by row through the services (a rolled-back dry run);
    an unexpected error there leaves the job «failed» with the message, and nothing written."""
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise KeyError("unexpected")

    monkeypatch.setattr(StaffKind, "apply", broken)
    with caplog.at_level(logging.ERROR, logger="bulkimport.services"):
        job = upload(admin, school_a, "staff", xlsx_bytes([STAFF_HEADER, staff_row("Петрова", "Ольга", "Ивановна", "учитель", "учитель")]))
    assert job.status == "failed" and job.message == services.FAILED
    assert failed_in_the_log(caplog, job.pk)
    assert not Person.objects.filter(surname="Петрова").exists()


def test_a_long_file_the_broker_refuses_fails_the_job_not_the_request(school_a: Any, admin: Person, settings: Any,
                                                                      monkeypatch: Any) -> None:
    """R-Y07: a long file's check goes to a Celery task; when the broker refuses the task, the
    job is «failed» (nothing would ever check it) instead of «checking» for ever."""
    settings.BULKIMPORT_ASYNC_ROWS = 1

    def down(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("broker is down")

    monkeypatch.setattr(tasks.check_import, "delay", down)
    job = upload(admin, school_a, "students", students_file(student_row(0), student_row(1)))
    assert job.status == "failed" and job.message == services.FAILED


def test_a_failing_task_marks_its_job_failed(school_a: Any, admin: Person, monkeypatch: Any) -> None:
    """R-Y07: the Celery check task's own handler, which the inline one copies: «failed», the
    message; the error is raised for Celery to log."""
    job = _job(school_a, admin, "checking", minutes_ago=0)
    monkeypatch.setattr(services, "check_job", lambda job_id: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        tasks.check_import.run(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.message == services.FAILED


def test_an_inline_import_still_fails_cleanly_and_a_confirm_stamps_the_job_alive(school_a: Any, admin: Person,
                                                                                 monkeypatch: Any) -> None:
    """R-Y07: the import's inline handler (kept): an unexpected error marks the job «failed»;
    confirming stamps the job's sign of life, from which the sweep counts."""
    job = upload(admin, school_a, "students", students_file(student_row(0)))
    ImportJob.objects.filter(pk=job.pk).update(alive_at=timezone.now() - dt.timedelta(days=1))

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("write exploded")

    seen: list[dt.datetime] = []
    original = services.apply_job

    def spy(job_id: int) -> None:
        seen.append(ImportJob.objects.get(pk=job_id).alive_at)
        original(job_id)

    monkeypatch.setattr(services, "apply_job", spy)
    monkeypatch.setattr(Enrolment.objects, "bulk_create", broken)
    failed = confirm(admin, school_a, job)
    assert failed.status == "failed" and failed.message == services.FAILED
    assert seen and timezone.now() - seen[0] < dt.timedelta(minutes=1)
    assert not Enrolment.objects.exists()


# --- 2. the sweep of abandoned jobs -----------------------------------------------------------------

def _job(school: Any, actor: Person, status: str, *, minutes_ago: int, kind: str = "students") -> ImportJob:
    """A job left in `status` by a process that went silent `minutes_ago` minutes ago, with its file."""
    use_school(school)
    job = ImportJob.objects.create(kind=kind, file_name="spisok.xlsx", status=status, created_by=actor)
    job.file.save("spisok.xlsx", ContentFile(students_file(student_row(0))), save=True)
    ImportJob.objects.filter(pk=job.pk).update(alive_at=timezone.now() - dt.timedelta(minutes=minutes_ago))
    return job


def test_the_sweep_fails_checks_and_imports_silent_for_half_an_hour_in_every_school(
        school_a: Any, school_b: Any, admin: Person, caplog: Any) -> None:
    """R-Y07: a check or an import whose worker was killed stays «checking»/«applying» with no
    handler to run; the sweep marks those silent for 30 minutes «failed» with a Russian message
    (nothing was written: the import's transaction died with it), in every school; fresh ones and finished ones are left as they are. The user uploads again."""
    checking = _job(school_a, admin, "checking", minutes_ago=45)
    applying = _job(school_a, admin, "applying", minutes_ago=31)
    fresh = _job(school_a, admin, "applying", minutes_ago=5)
    ready = _job(school_a, admin, "ready", minutes_ago=600)
    elsewhere = _job(school_b, admin, "checking", minutes_ago=120)
    use_public()

    with caplog.at_level(logging.WARNING, logger="bulkimport.services"):
        result = tasks.fail_abandoned_imports.run()
    assert result == {"failed": 3}
    assert current_schema() == "public"
    assert any("silent" in r.getMessage() and "alpha" in r.getMessage() for r in caplog.records)

    use_school(school_a)
    states = {j.pk: (j.status, j.message) for j in ImportJob.objects.all()}
    assert states[checking.pk] == ("failed", "Проверка файла прервана: она не подавала признаков работы 30 мин. "
                                             "(вероятно, сбой на сервере). Загрузите файл снова.")
    assert states[applying.pk][0] == "failed" and "ничего не записано. Загрузите файл снова." in states[applying.pk][1]
    assert states[fresh.pk] == ("applying", "")
    assert states[ready.pk] == ("ready", "")
    use_school(school_b)
    assert ImportJob.objects.get(pk=elsewhere.pk).status == "failed"

    use_school(school_a)
    again = upload(admin, school_a, "students", students_file(student_row(0)))
    assert again.status == "ready"
    use_public()
    assert tasks.fail_abandoned_imports.run() == {"failed": 0}


def test_the_page_of_an_abandoned_job_stops_waiting(school_a: Any, admin: Person, client_for: Any) -> None:
    """R-Y07: the job page polls while a job runs; once swept, the poll reloads the page, which
    shows the message and no progress bar."""
    job = _job(school_a, admin, "checking", minutes_ago=40)
    client = client_for(admin)
    assert 'hx-get' in client.get(f"/s/alpha/import/jobs/{job.pk}/").content.decode()
    use_school(school_a)
    assert services.fail_abandoned() == [job.pk]
    assert client.get(f"/s/alpha/import/jobs/{job.pk}/", HTTP_HX_REQUEST="true")["HX-Refresh"] == "true"
    body = client.get(f"/s/alpha/import/jobs/{job.pk}/").content.decode()
    assert "Проверка файла прервана" in body and 'hx-get' not in body


@contextmanager
def other_connection() -> Iterator[psycopg.Connection[Any]]:
    """A second session to the test database: a worker importing concurrently."""
    s = connection.settings_dict
    conn = psycopg.connect(dbname=s["NAME"], user=s["USER"] or None, password=s["PASSWORD"] or None,
                           host=s["HOST"] or None, port=s["PORT"] or None, autocommit=True)
    try:
        yield conn
    finally:
        conn.close()


def test_an_import_holding_the_school_lock_is_alive_however_silent(school_a: Any, admin: Person, settings: Any) -> None:
    """R-Y07: an import writing its rows (phase 4 reports no progress) holds the school's import
    lock; while it is held the sweep leaves «applying» jobs alone (a silent check is still
    failed); once the lock is free, the silent import is failed. The threshold is a setting."""
    checking = _job(school_a, admin, "checking", minutes_ago=20)
    applying = _job(school_a, admin, "applying", minutes_ago=20)
    settings.BULKIMPORT_STUCK_MINUTES = 15
    with other_connection() as other:
        other.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", [services.IMPORT_LOCK, school_a.schema_name])
        use_school(school_a)
        assert services.fail_abandoned() == [checking.pk]
        assert ImportJob.objects.get(pk=applying.pk).status == "applying"
    use_school(school_a)
    assert services.fail_abandoned() == [applying.pk]
    assert "15 мин." in ImportJob.objects.get(pk=applying.pk).message


def test_the_sweep_is_on_the_beat_schedule() -> None:
    """R-Y07: beat runs the sweep every 10 minutes (a registered task)."""
    from config.celery import app

    entry = django_settings.CELERY_BEAT_SCHEDULE["bulkimport-fail-abandoned"]
    assert entry["task"] == tasks.fail_abandoned_imports.name == "bulkimport.tasks.fail_abandoned_imports"
    assert entry["schedule"] == 600.0
    assert entry["task"] in app.tasks


def _file(content: bytes, name: str = "spisok.xlsx") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


# --- 3. staff: a new person's roles are not looked up -----------------------------------------------

def test_a_new_staff_member_s_roles_are_not_looked_up(school_a: Any, admin: Person) -> None:
    """R-Y07: the staff list goes row by row through the services; a person the row has just
    created holds no role anywhere, so the row does not ask the database for their roles (one
    query less a row; a 300-row file: check ~2.5 s, import ~3.1 s); a person already on the
    staff is still looked up and comes out unchanged."""
    from django.test.utils import CaptureQueriesContext

    rows = [staff_row("Петрова", "Ольга", "Ивановна", "учитель", "учитель"),
            staff_row("Морозов", "Андрей", "Павлович", "учитель", "учитель, методист", sex="м", born=dt.date(1975, 1, 2))]
    with CaptureQueriesContext(connection) as captured:
        job = upload(admin, school_a, "staff", xlsx_bytes([STAFF_HEADER, *rows]))
    assert [r["status"] for r in job.rows] == ["new", "new"]
    assert not [q for q in captured.captured_queries if q["sql"].startswith('SELECT "accounts_membership"."role"')]
    confirm(admin, school_a, job)
    with CaptureQueriesContext(connection) as captured:
        again = upload(admin, school_a, "staff", xlsx_bytes([STAFF_HEADER, *rows]))
    assert [r["status"] for r in again.rows] == ["unchanged", "unchanged"]
    assert len([q for q in captured.captured_queries if q["sql"].startswith('SELECT "accounts_membership"."role"')]) == 2


def test_files_of_unconfirmed_or_failed_jobs_are_deleted_after_a_week(school_a: Any, admin: Person, settings: Any) -> None:
    """R-Y07, R-A06 (152-ФЗ: personal data kept no longer than needed): an uploaded list that was
    checked but never confirmed, or whose import failed, keeps its file for BULKIMPORT_FILE_DAYS
    (7) after its last activity, then the sweep deletes the file; the unconfirmed job becomes
    «failed» with a message and can no longer be confirmed; fresher jobs keep their files."""
    week = 7 * 24 * 60
    old_ready = _job(school_a, admin, "ready", minutes_ago=week + 5)
    old_failed = _job(school_a, admin, "failed", minutes_ago=week + 5)
    young_ready = _job(school_a, admin, "ready", minutes_ago=week - 60)
    paths = {j.pk: j.file.path for j in (old_ready, old_failed, young_ready)}
    use_public()
    assert tasks.fail_abandoned_imports.run() == {"failed": 0}

    use_school(school_a)
    jobs = {j.pk: j for j in ImportJob.objects.all()}
    assert jobs[old_ready.pk].status == "failed" and "не подтвердили за 7 дн." in jobs[old_ready.pk].message
    assert not jobs[old_ready.pk].file and not jobs[old_failed.pk].file
    assert not os.path.exists(paths[old_ready.pk]) and not os.path.exists(paths[old_failed.pk])
    assert jobs[young_ready.pk].status == "ready" and os.path.exists(paths[young_ready.pk])
    with pytest.raises(Conflict):
        services.confirm_import(admin, school_a, old_ready.pk, "all")
    use_public()
    assert tasks.fail_abandoned_imports.run() == {"failed": 0}  # again: nothing left to do
