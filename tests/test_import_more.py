"""Bulk import and export (R-Y07), the second review: locks and failures of the bulk path, the
audit flush, the deputy's set-up lists, the subgroups list, the staff hiring date, the personal
data columns of the students list (R-A06), and the demo school's spreadsheets imported into an
empty school (the issue's "Done when")."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import OperationalError, connection, transaction
from django.db.models.sql import InsertQuery
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from accounts.models import Person
from accounts.roles import Role
from audit.models import AuditRecord
from audit.services import batched, record
from bulkimport import services
from bulkimport.kinds import students_bulk
from bulkimport.kinds.students import StudentsKind
from bulkimport.models import ImportJob
from core.errors import PermissionDenied
from roster.models import Enrolment, PersonalDataSettings, PersonCard, Subgroup, SubgroupMember
from tenants.db import use_public, use_school
from tests.files.scenario import (  # noqa: F401 (fixtures)
    STAFF_HEADER,
    admin_fixture,
    confirm,
    media_in_tmp_fixture,
    setup_timetable_basics,
    staff_row,
    upload,
)
from tests.files.spreadsheets import STUDENT_HEADER, student_row, xlsx_bytes


@pytest.fixture(autouse=True)
def _media(media_in_tmp: None) -> None:
    """Uploads stored under the test's tmp_path."""


def students_file(*rows: list[Any], header: list[str] = STUDENT_HEADER) -> bytes:
    return xlsx_bytes([header, *rows])


def sheet_rows(content: bytes, sheet: int = 0) -> list[list[Any]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    rows = [list(r) for r in book.worksheets[sheet].iter_rows(values_only=True)]
    book.close()
    return rows


@contextmanager
def other_connection() -> Iterator[psycopg.Connection[Any]]:
    """A second session to the test database (autocommit): what another request or worker does
    concurrently, outside the test's transaction."""
    s = connection.settings_dict
    conn = psycopg.connect(dbname=s["NAME"], user=s["USER"] or None, password=s["PASSWORD"] or None,
                           host=s["HOST"] or None, port=s["PORT"] or None, autocommit=True)
    try:
        yield conn
    finally:
        conn.close()


def collect(**flags: bool) -> None:
    """The selected school's personal-data setting (R-A06)."""
    PersonalDataSettings.current()
    PersonalDataSettings.objects.filter(pk=1).update(**{f"collect_{k}": v for k, v in flags.items()})


# --- A1, A3: locks and failures at the import ------------------------------------------------------

def test_an_import_holds_the_school_lock_and_another_session_waits(school_a: Any, admin: Person, monkeypatch: Any) -> None:
    """R-Y07: at the import the school's advisory lock is held from before the file is read
    against the database until the import commits: another session cannot take it (a second
    import of the same school waits); another school's lock is free."""
    job = upload(admin, school_a, "students", students_file(student_row(0)))
    seen: dict[str, bool] = {}
    original = students_bulk.FamilyPlan.load

    def load(self: Any, rows: Any) -> None:
        with other_connection() as other:
            for schema in (school_a.schema_name, "another_school"):
                got = other.execute("SELECT pg_try_advisory_lock(%s, hashtext(%s))", [services.IMPORT_LOCK, schema]).fetchone()
                seen[schema] = bool(got and got[0])
                if seen[schema]:
                    other.execute("SELECT pg_advisory_unlock(%s, hashtext(%s))", [services.IMPORT_LOCK, schema])
        original(self, rows)

    monkeypatch.setattr(students_bulk.FamilyPlan, "load", load)
    assert confirm(admin, school_a, job).status == "done"
    assert seen == {school_a.schema_name: False, "another_school": True}


def test_a_setting_switched_meanwhile_writes_nothing(school_a: Any, admin: Person, monkeypatch: Any) -> None:
    """R-Y07, R-A06: the rows were decided with the school collecting e-mails; the setting is
    switched off before the writes: the import locks the setting, sees the change, writes
    nothing and returns the job to «ready» saying why."""
    job = upload(admin, school_a, "students", students_file(student_row(0)))
    use_school(school_a)
    people = Person.objects.count()
    original = students_bulk.FamilyPlan.write

    def write(self: Any) -> None:
        collect(email=False)  # committed by another session after the rows were decided
        original(self)

    monkeypatch.setattr(students_bulk.FamilyPlan, "write", write)
    after = confirm(admin, school_a, job)
    assert after.status == "ready" and "состав собираемых персональных данных" in after.message
    assert Person.objects.count() == people and not PersonCard.objects.exists()
    collect(email=True)
    monkeypatch.setattr(students_bulk.FamilyPlan, "write", original)
    with CaptureQueriesContext(connection) as captured:
        assert confirm(admin, school_a, after).status == "done"
    sql = [q["sql"] for q in captured.captured_queries]
    assert any("roster_personaldatasettings" in q and "FOR UPDATE" in q for q in sql)


def test_a_login_taken_by_a_concurrent_insert_returns_the_job(school_a: Any, admin: Person, monkeypatch: Any) -> None:
    """R-Y07: another session creates an account with the login a new student was given, after
    the rows were decided and before the import inserts them: the database refuses the insert,
    nothing is written, the job is «ready» again; confirmed again, the student steps over it."""
    job = upload(admin, school_a, "students", students_file(student_row(0)))
    use_school(school_a)
    people = Person.objects.count()
    rival = Person(login="ivanov.pi", surname="Иванов", name="Павел", patronymic="Игоревич")
    rival.set_unusable_password()
    query = InsertQuery(Person)
    query.insert_values([f for f in Person._meta.local_concrete_fields if not f.primary_key], [rival])
    insert_sql, params = query.get_compiler(using="default").as_sql()[0]
    original = students_bulk.FamilyPlan.write

    def write(self: Any) -> None:
        assert any(p.login == "ivanov.pi" for p in (op[1] for op in self.ops if op[0] == "person"))
        with other_connection() as other:
            other.execute(insert_sql, params)
        original(self)

    monkeypatch.setattr(students_bulk.FamilyPlan, "write", write)
    try:
        after = confirm(admin, school_a, job)
        assert after.status == "ready" and "данные в школе изменились" in after.message and after.mode == ""
        assert Person.objects.exclude(login="ivanov.pi").count() == people and not Enrolment.objects.exists()
        monkeypatch.setattr(students_bulk.FamilyPlan, "write", original)
        assert confirm(admin, school_a, after).status == "done"
        assert Enrolment.objects.get().student.login == "ivanov.pi2"
    finally:
        with other_connection() as other:
            other.execute("DELETE FROM accounts_person WHERE login = %s AND name = %s", ["ivanov.pi", "Павел"])


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
def test_a_deadlock_returns_the_job_for_a_new_decision(school_a: Any, admin: Person, monkeypatch: Any, sqlstate: str) -> None:
    """R-Y07: the database stops the import to break a deadlock (or a serialization failure):
    nothing is written and the job is «ready» with a Russian message, as for a refused insert."""
    job = upload(admin, school_a, "students", students_file(student_row(0)))

    class Cause(Exception):
        pass

    def broken(*args: Any, **kwargs: Any) -> Any:
        cause = Cause("deadlock detected")
        cause.sqlstate = sqlstate  # type: ignore[attr-defined]
        raise OperationalError("deadlock detected") from cause

    monkeypatch.setattr(Enrolment.objects, "bulk_create", broken)
    after = confirm(admin, school_a, job)
    assert after.status == "ready" and "Подтвердите загрузку ещё раз" in after.message
    use_school(school_a)
    assert not Enrolment.objects.exists()


def test_an_unexpected_error_of_a_short_import_fails_the_job_not_the_request(school_a: Any, admin: Person, client_for: Any,
                                                                             monkeypatch: Any) -> None:
    """R-Y07: an import run inline (≤500 rows) that hits an unexpected error leaves the job
    «failed» with a Russian message (the Celery task's handler), never «applying»; the API
    answers with the job, not a 500; nothing is written."""
    job = upload(admin, school_a, "students", students_file(student_row(0)))

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(Enrolment.objects, "bulk_create", broken)
    response = client_for(admin).post(f"/api/v1/schools/alpha/import/jobs/{job.pk}/confirm/", {"mode": "all"},
                                      content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "failed" and "внутренней ошибки" in response.json()["message"]
    use_school(school_a)
    assert ImportJob.objects.get(pk=job.pk).status == "failed" and not Enrolment.objects.exists()


# --- A2: cards -------------------------------------------------------------------------------------

def test_cards_are_locked_and_only_changed_fields_are_written(school_a: Any, admin: Person) -> None:
    """R-Y07, R-A06: a re-import that changes one parent's e-mail and another's phone reads the
    stored cards FOR UPDATE and writes each card only in its changed field (one UPDATE per set
    of fields): a value changed or erased meanwhile in another field is never written back."""
    use_school(school_a)
    collect(phone=True, email=True)
    header = [*STUDENT_HEADER, "Родитель 1: телефон"]
    rows = [[*student_row(0), "+7 900 000-00-01"], [*student_row(1), "+7 900 000-00-02"]]
    confirm(admin, school_a, upload(admin, school_a, "students", students_file(*rows, header=header)))
    rows[0][13] = "new0@example.ru"
    rows[1][19] = "+7 900 111-11-11"
    job = upload(admin, school_a, "students", students_file(*rows, header=header))
    assert [r["status"] for r in job.rows] == ["update", "update"]
    with CaptureQueriesContext(connection) as captured:
        done = confirm(admin, school_a, job)
    assert done.counts["result"] == {"updated": 2}
    sql = [q["sql"] for q in captured.captured_queries]
    assert any(q.startswith("SELECT") and "roster_personcard" in q and "FOR UPDATE" in q for q in sql)
    updates = [q for q in sql if q.startswith('UPDATE "roster_personcard"')]
    assert len(updates) == 2, updates
    assert sum('SET "email" = ' in q and '"phone"' not in q for q in updates) == 1
    assert sum('SET "phone" = ' in q and '"email"' not in q for q in updates) == 1
    use_school(school_a)
    assert set(PersonCard.objects.values_list("phone", flat=True)) == {"+7 900 000-00-01", "+7 900 111-11-11"}


# --- A4: the audit flush ---------------------------------------------------------------------------

def test_batched_flushes_every_n_records_in_the_same_transaction(school_a: Any, admin: Person) -> None:
    """R-Y07, R-A04: an outermost batched block with flush_every inserts the records as they
    accumulate (memory stays flat), in the caller's transaction: an error rolls them all back."""
    start = AuditRecord.objects.count()
    with transaction.atomic(), batched(flush_every=3):
        for n in range(7):
            record(actor=admin, action="test.flush", object_repr=str(n))
            if n == 2:
                assert AuditRecord.objects.count() == start + 3
        assert AuditRecord.objects.count() == start + 6
    assert AuditRecord.objects.count() == start + 7
    with pytest.raises(RuntimeError), transaction.atomic(), batched(flush_every=2):
        for n in range(5):
            record(actor=admin, action="test.flush", object_repr=str(n))
        raise RuntimeError
    assert AuditRecord.objects.count() == start + 7


def test_the_import_flushes_its_audit_records_as_it_goes(school_a: Any, admin: Person, monkeypatch: Any) -> None:
    """R-Y07: the bulk import's audit records go in several INSERTs when there are more than the
    flush size (here 10), all of them and in the same order as one INSERT would."""
    monkeypatch.setattr(students_bulk, "AUDIT_FLUSH", 10)
    mark = AuditRecord.objects.order_by("-id").values_list("id", flat=True).first() or 0
    job = upload(admin, school_a, "students", students_file(*(student_row(i) for i in range(5))))
    with CaptureQueriesContext(connection) as captured:
        assert confirm(admin, school_a, job).status == "done"
    inserts = [q for q in captured.captured_queries if q["sql"].startswith('INSERT INTO "audit_auditrecord"')]
    assert len(inserts) >= 3
    actions = list(AuditRecord.objects.filter(pk__gt=mark).exclude(action__startswith="import.").values_list("action", flat=True))
    assert actions.count("person.create") == 15 and actions.count("student.enrol") == 5


# --- B7: the deputy's lists ------------------------------------------------------------------------

def test_the_deputy_imports_and_exports_the_set_up_lists_not_the_people(school_a: Any, admin: Person, make_person: Any,
                                                                        grant: Any, client_for: Any) -> None:
    """R-Y07, R-P04 (004 §VI–§VII): the deputy director opens the import page and the API, gets
    the templates and exports of the subgroups, curriculum, load and timetable and imports them;
    students and staff lists are refused; a teacher is refused everything."""
    deputy = make_person("Морозов", "Андрей", login="morozov.ap")
    grant(deputy, Role.DEPUTY, school_a)
    teacher = make_person("Клестова", "Тамара", login="klestova.t")
    grant(teacher, Role.TEACHER, school_a)
    client = client_for(deputy)
    page = client.get("/s/alpha/import/")
    assert page.status_code == 200
    body = page.content.decode()
    for kind in ("subgroups", "curriculum", "load", "timetable"):
        assert f'href="/api/v1/schools/alpha/import/templates/{kind}/"' in body
        assert client.get(f"/api/v1/schools/alpha/import/templates/{kind}/").status_code == 200
        assert client.get(f"/api/v1/schools/alpha/import/export/{kind}/").status_code == 200
    for kind in ("students", "staff"):
        assert f"/import/templates/{kind}/" not in body
        assert client.get(f"/api/v1/schools/alpha/import/templates/{kind}/").status_code == 403
        assert client.get(f"/api/v1/schools/alpha/import/export/{kind}/").status_code == 403
        refused = client.post("/api/v1/schools/alpha/import/jobs/", {"kind": kind, "file": SimpleUploadedFile(
            "a.xlsx", students_file(student_row(0)))})
        assert refused.status_code == 403
        page_upload = client.post("/s/alpha/import/", {"kind": kind, "file": SimpleUploadedFile("a.xlsx", students_file(student_row(0)))})
        assert page_upload.status_code == 403
    assert 'data-testid="tile-import"' in client.get("/s/alpha/").content.decode()
    curriculum = xlsx_bytes([["Класс", "Предмет", "Часов в неделю"], ["5А", "Математика", "5"]])
    created = client.post("/api/v1/schools/alpha/import/jobs/", {"kind": "curriculum", "file": SimpleUploadedFile("p.xlsx", curriculum)})
    assert created.status_code == 201 and created.json()["counts"] == {"new": 1}
    job_id = created.json()["id"]
    assert client.get(f"/s/alpha/import/jobs/{job_id}/").status_code == 200
    done = client.post(f"/api/v1/schools/alpha/import/jobs/{job_id}/confirm/", {"mode": "all"}, content_type="application/json")
    assert done.status_code == 200 and done.json()["status"] == "done"
    listed = client.get("/api/v1/schools/alpha/import/jobs/").json()
    assert [j["kind"] for j in listed] == ["curriculum"]
    # The deputy's session sees no people's job of the administrator.
    upload(admin, school_a, "students", students_file(student_row(0)))
    assert [j["kind"] for j in client.get("/api/v1/schools/alpha/import/jobs/").json()] == ["curriculum"]
    use_public()
    other = client_for(teacher)
    assert other.get("/s/alpha/import/").status_code == 403
    assert other.get("/api/v1/schools/alpha/import/jobs/").status_code == 403
    assert other.get("/api/v1/schools/alpha/import/templates/curriculum/").status_code == 403
    assert other.get(f"/api/v1/schools/alpha/import/jobs/{job_id}/").status_code == 403
    use_school(school_a)
    with pytest.raises(PermissionDenied):
        services.start_import(deputy, school_a, "students", SimpleUploadedFile("a.csv", b"x"))


# --- B8: subgroups ---------------------------------------------------------------------------------

SUBGROUP_HEADER = ["Класс", "Подгруппа", "Вид подгруппы", "Фамилия", "Имя", "Отчество", "Дата рождения", "Логин"]


def _class_of_four(school: Any, admin: Person) -> list[Person]:
    confirm(admin, school, upload(admin, school, "students", students_file(*(student_row(i) for i in range(4)))))
    use_school(school)
    return sorted((e.student for e in Enrolment.objects.select_related("student")), key=lambda p: p.surname)


def test_subgroups_are_imported_with_members_through_the_roster_services(school_a: Any, admin: Person) -> None:
    """R-Y07, R-Y02: a «Подгруппы» list creates a class's subgroups with their students (known by
    full name and date of birth, or by login) through the roster services; every problem is on
    its row and column — a student not in the class, a new subgroup without its kind, a student
    in two subgroups of one kind (the roster's rule), a kind that differs from the stored one."""
    students = _class_of_four(school_a, admin)
    a, b, c, d = students

    def by_name(p: Person, group: str, kind: str = "иностранный язык", class_name: str = "5А") -> list[Any]:
        return [class_name, group, kind, p.surname, p.name, p.patronymic, p.birth_date, ""]

    rows = [
        by_name(a, "Английский, 1 группа"),
        ["5А", "Английский, 1 группа", "", "", "", "", "", b.login],  # by login; the kind is known from row 2
        by_name(c, "Английский, 2 группа"),
        by_name(d, "Немецкий", kind=""),  # a new subgroup without its kind
        by_name(a, "Английский, 2 группа"),  # a second subgroup of one kind
        ["5А", "Английский, 1 группа", "", "Чужой", "Олег", "", dt.date(2014, 1, 1), ""],
        ["5А", "Информатика", "информатика", "", "", "", "", ""],  # a subgroup without members yet
    ]
    job = upload(admin, school_a, "subgroups", xlsx_bytes([SUBGROUP_HEADER, *rows]))
    assert job.status == "ready", job.message
    assert [r["status"] for r in job.rows] == ["new", "new", "new", "error", "error", "error", "new"]
    assert job.rows[3]["errors"][0]["column"] == "Вид подгруппы" and "укажите её вид" in job.rows[3]["errors"][0]["message"]
    assert job.rows[4]["errors"][0]["column"] == "Фамилия"
    assert "только в одной подгруппе вида «Иностранный язык»" in job.rows[4]["errors"][0]["message"]
    assert job.rows[5]["errors"] == [{"column": "Фамилия", "value": "Чужой",
                                      "message": "В классе 5А сейчас нет обучающегося с такими ФИО и датой рождения."}]
    use_school(school_a)
    assert not Subgroup.objects.exists()  # the preview writes nothing
    done = confirm(admin, school_a, job, "valid")
    assert done.counts["result"] == {"created": 4, "skipped": 3}
    use_school(school_a)
    members = {(m.subgroup.name, m.student_id) for m in SubgroupMember.objects.select_related("subgroup")}
    assert members == {("Английский, 1 группа", a.pk), ("Английский, 1 группа", b.pk), ("Английский, 2 группа", c.pk)}
    assert Subgroup.objects.get(name="Информатика").kind == "informatics"
    actions = list(AuditRecord.objects.filter(action__startswith="subgroup.").values_list("action", flat=True))
    assert actions.count("subgroup.create") == 3 and actions.count("subgroup.members") == 3
    # A kind that differs from the stored subgroup's is refused, not changed.
    again = upload(admin, school_a, "subgroups", xlsx_bytes([SUBGROUP_HEADER, by_name(d, "Информатика", kind="технология")]))
    assert again.rows[0]["status"] == "error" and "вид существующей подгруппы загрузка не меняет" in again.rows[0]["errors"][0]["message"]


def test_subgroups_export_template_and_reimport_unchanged_then_the_load_names_them(school_a: Any, admin: Person,
                                                                                client_for: Any) -> None:
    """R-Y07: the subgroups export (one row per member, a subgroup without members on a row of
    its own) in the template's columns imports back «без изменений»; the teaching load then
    names the subgroup."""
    a, b, *_ = _class_of_four(school_a, admin)
    rows = [["5А", "Английский, 1 группа", "иностранный язык", p.surname, p.name, p.patronymic, p.birth_date, ""] for p in (a, b)]
    rows.append(["5А", "Технология, мальчики", "технология", "", "", "", "", ""])
    assert confirm(admin, school_a, upload(admin, school_a, "subgroups", xlsx_bytes([SUBGROUP_HEADER, *rows]))).status == "done"
    client = client_for(admin)
    template = client.get("/api/v1/schools/alpha/import/templates/subgroups/")
    assert template.status_code == 200 and sheet_rows(template.content)[0] == SUBGROUP_HEADER
    exported = client.get("/api/v1/schools/alpha/import/export/subgroups/").content
    lines = sheet_rows(exported)
    assert lines[0] == SUBGROUP_HEADER
    assert [(r[1], r[3]) for r in lines[1:]] == [("Английский, 1 группа", a.surname), ("Английский, 1 группа", b.surname),
                                                 ("Технология, мальчики", None)]
    assert lines[1][7] == a.login
    again = upload(admin, school_a, "subgroups", exported, "export.xlsx")
    assert again.counts == {"unchanged": 3}, again.rows
    setup_timetable_basics(school_a, admin)
    confirm(admin, school_a, upload(admin, school_a, "staff", xlsx_bytes([
        STAFF_HEADER, staff_row("Петрова", "Ольга", "Ивановна", "учитель английского языка", "учитель")])))
    confirm(admin, school_a, upload(admin, school_a, "curriculum", xlsx_bytes([
        ["Класс", "Предмет", "Часов в неделю"], ["5А", "Иностранный язык", "3"]])))
    load = upload(admin, school_a, "load", xlsx_bytes([["Учитель", "Предмет", "Класс", "Подгруппа", "Часов в неделю"],
                                                       ["Петрова О.И.", "Иностранный язык", "5А", "Английский, 1 группа", "3"]]))
    assert load.counts == {"new": 1}, load.rows


# --- B9: the staff hiring date ---------------------------------------------------------------------

def test_the_hiring_order_date_is_required_for_a_new_staff_member(school_a: Any, admin: Person, client_for: Any) -> None:
    """R-Y07, R-A07, R-A05: the hiring order's date is a required column of the staff list (the
    role starts on it, and the 3 working days to hand the account over count from it — 004 §XII;
    the import does not make one up); a new staff member without it is refused on that column
    with a clear message; somebody already on the staff may leave it empty."""
    template = client_for(admin).get("/api/v1/schools/alpha/import/templates/staff/").content
    notes = {r[0]: r[1] for r in sheet_rows(template, 2)[1:] if len(r) > 1 and r[0]}
    assert notes["Дата приказа о приёме"] == "да"
    without_column = upload(admin, school_a, "staff", xlsx_bytes([STAFF_HEADER[:10], staff_row("Петрова", "Ольга", "Ивановна",
                                                                                                "учитель", "учитель")[:10]]))
    assert without_column.status == "rejected" and "«Дата приказа о приёме»" in without_column.message
    new = staff_row("Петрова", "Ольга", "Ивановна", "учитель", "учитель")
    new[10] = ""
    admin_row = staff_row("Волкова", "Ирина", "", "администратор ЭЖ", "администратор ЭЖ")
    admin_row[10] = ""
    job = upload(admin, school_a, "staff", xlsx_bytes([[*STAFF_HEADER, "Логин"], [*new, ""], [*admin_row, "volkova.a"]]))
    assert [r["status"] for r in job.rows] == ["error", "update"], job.rows
    assert job.rows[0]["errors"] == [{"column": "Дата приказа о приёме", "value": "", "message":
                                      "Укажите дату приказа о приёме: без неё сотрудника не принять на работу "
                                      "(от неё считается срок выдачи учётной записи)."}]


# --- B10: the students list's personal data columns -----------------------------------------------

EXTRA = ["Телефон", "E-mail", "СНИЛС", "Родитель 1: СНИЛС", "Родитель 1: телефон"]


def _with_extra(i: int) -> list[Any]:
    return [*student_row(i), f"+7 900 100-00-0{i}", f"pupil{i}@example.ru", "112-233-445 95", "11223344595",
            f"+7 900 200-00-0{i}"]


def _cards() -> dict[str, tuple[str, str, str]]:
    return {c.person.login: (c.phone, c.email, c.snils) for c in PersonCard.objects.select_related("person")}


def test_students_phone_email_snils_and_parents_snils_in_both_paths(school_a: Any, admin: Person, client_for: Any,
                                                                   monkeypatch: Any) -> None:
    """R-Y07, R-A06: where the school collects them, the students list carries the student's
    phone, e-mail and SNILS and the parents' SNILS (template, import in bulk and row by row with
    the same result, export, re-import unchanged); a bad SNILS is refused on its column."""
    use_school(school_a)
    collect(phone=True, email=True, snils=True)
    client = client_for(admin)
    header = sheet_rows(client.get("/api/v1/schools/alpha/import/templates/students/").content)[0]
    assert {"Телефон", "E-mail", "СНИЛС", "Родитель 1: СНИЛС", "Родитель 2: СНИЛС"} <= set(header)
    content = students_file(_with_extra(0), _with_extra(1), header=[*STUDENT_HEADER, *EXTRA])
    with transaction.atomic():
        monkeypatch.setattr(StudentsKind, "planner", lambda self, actor, school: None)
        assert confirm(admin, school_a, upload(admin, school_a, "students", content)).status == "done"
        use_school(school_a)
        by_services = _cards()
        transaction.set_rollback(True)
    monkeypatch.undo()
    done = confirm(admin, school_a, upload(admin, school_a, "students", content))
    assert done.counts["result"] == {"created": 2}
    use_school(school_a)
    in_bulk = _cards()
    assert in_bulk == by_services
    assert in_bulk["ivanov.pi"] == ("+7 900 100-00-00", "pupil0@example.ru", "112-233-445 95")
    assert in_bulk["ivanova.as"] == ("+7 900 200-00-00", "parent0@example.ru", "112-233-445 95")
    exported = client.get("/api/v1/schools/alpha/import/export/students/").content
    table = sheet_rows(exported)
    first = dict(zip(table[0], table[1], strict=True))
    assert (first["Телефон"], first["E-mail"], first["СНИЛС"], first["Родитель 1: СНИЛС"]) == (
        "+7 900 100-00-00", "pupil0@example.ru", "112-233-445 95", "112-233-445 95")
    assert upload(admin, school_a, "students", exported, "export.xlsx").counts == {"unchanged": 2}
    bad = _with_extra(2)
    bad[21] = "123"
    job = upload(admin, school_a, "students", students_file(bad, header=[*STUDENT_HEADER, *EXTRA]))
    assert job.rows[0]["errors"][0]["column"] == "СНИЛС" and "контрольной суммой" in job.rows[0]["errors"][0]["message"]


def test_a_column_the_school_does_not_collect_is_refused_by_name(school_a: Any, admin: Person, client_for: Any) -> None:
    """R-A06 (001 §3.3): with SNILS and phones switched off, the template has no such columns and
    a file with them is refused, naming them; nothing is read from it."""
    use_school(school_a)
    collect(phone=False, snils=False, email=True)
    header = sheet_rows(client_for(admin).get("/api/v1/schools/alpha/import/templates/students/").content)[0]
    assert "E-mail" in header and not {"Телефон", "СНИЛС", "Родитель 1: СНИЛС"} & set(header)
    job = upload(admin, school_a, "students", students_file(_with_extra(0), header=[*STUDENT_HEADER, *EXTRA]))
    assert job.status == "rejected"
    assert "«Телефон», «СНИЛС», «Родитель 1: СНИЛС», «Родитель 1: телефон»" in job.message


# --- B11: the demo school's spreadsheets into an empty school ------------------------------------

@pytest.mark.slow
def test_a_demo_schools_spreadsheets_set_up_an_empty_school(district_admin: Person, make_school: Any, grant: Any, tmp_path: Any, monkeypatch: Any, settings: Any) -> None:
    """R-Y07 (issue 4, "Done when"): the spreadsheets of a demo school (seed_demo's, written by
    bulkimport.demo) are imported by its director into a new school that has only its year and bells — the
    students (their classes are created), the staff, the subgroups, the curriculum, the load
    and the timetable, in that order — each without an error; then the new school's exports
    import back unchanged."""
    import random
    from io import StringIO

    from faker import Faker

    from bulkimport.demo import write_school_spreadsheets
    from district.management.commands.seed_demo import Command
    from journal import demo as journal_demo
    from messaging import demo as messaging_demo
    from schoolyear import demo as year_demo
    from timetable import demo as timetable_demo
    from timetable.models import Bell, BellSchedule

    settings.VAR_DIR = str(tmp_path / "var")
    monkeypatch.setattr(journal_demo, "seed_school", lambda ctx: None)  # the journal and messages are not in the lists
    monkeypatch.setattr(messaging_demo, "seed_school", lambda ctx: None)
    command = Command(stdout=StringIO())
    command.password_hash, command.fake, command.rng = "!", Faker("ru_RU"), random.Random(2026)
    command.fake.seed_instance(2026)
    command._seed_school(district_admin, 1, "demo-1", "МБОУ «Демо»", "Демо", "DEMO-T1", "ул. Ленина, 1", 3)
    from tenants.models import School

    demo = School.objects.get(slug="demo-1")
    use_school(demo)
    # The demo has no subgroups (its timetable has none): 5А's languages are split here, so that
    # the subgroups list has rows too.
    from roster.models import SchoolClass
    from roster.services import split_class

    split_class(district_admin, demo, SchoolClass.objects.get(grade=5, letter="А"), kind="foreign_language",
                names=("Английский, 1 группа", "Английский, 2 группа"))
    files = {p.stem: p for p in write_school_spreadsheets(district_admin, demo, tmp_path / "sheets")}
    use_public()

    school = make_school("novaya")
    # The district appoints the new school's director (the demo's, here), who imports the lists.
    admin = Person.objects.get(login="director.1")
    grant(admin, Role.DIRECTOR, school)
    use_school(school)
    ctx: dict[str, Any] = {"school": school}
    year_demo.seed_school(ctx)
    schedule = BellSchedule.objects.create(year=ctx["year"], shift=1, name="1 смена")
    Bell.objects.bulk_create([Bell(schedule=schedule, number=i, starts_at=timetable_demo._time(s), ends_at=timetable_demo._time(e))
                              for i, (s, e) in enumerate(timetable_demo.BELLS, 1)])
    use_public()
    for kind in ("students", "staff", "subgroups", "curriculum", "load", "timetable"):
        content = files[kind].read_bytes()
        job = upload(admin, school, kind, content, f"{kind}.xlsx")
        assert job.status == "ready", (kind, job.message)
        errors = [r for r in job.rows if r["status"] == "error"]
        assert not errors, (kind, errors[:3])
        done = confirm(admin, school, job)
        assert done.status == "done", (kind, done.message)
        assert set(done.counts["result"]) <= {"created", "updated", "unchanged"}, (kind, done.counts)
    use_school(school)
    from curriculum.models import CurriculumLine, TeachingAssignment
    from timetable.models import TimetableEntry

    assert Enrolment.objects.count() > 14 * 3 - 1 and CurriculumLine.objects.exists() and TeachingAssignment.objects.exists()
    assert TimetableEntry.objects.count() > 100
    use_public()
    for kind in ("students", "staff", "subgroups", "curriculum", "load", "timetable"):
        use_school(school)
        exported, _ = services.export_file(admin, school, kind)
        again = upload(admin, school, kind, exported, f"{kind}-again.xlsx")
        assert again.status == "ready" and set(again.counts) <= {"unchanged"}, (kind, again.message, again.counts)
