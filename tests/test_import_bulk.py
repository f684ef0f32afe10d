"""The bulk path of the students-with-parents import (R-Y07): the whole file is decided against
what the database holds, read in a fixed number of queries, with the services' own rules; the
preview writes nothing, the import writes in a few statements with the services' audit records.
Each test below is a behaviour of the per-row path through the services, kept."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership, Person
from audit.models import AuditRecord
from bulkimport.kinds.students import StudentsKind
from bulkimport.models import ImportJob
from roster.models import Enrolment, Guardianship, PersonCard, SchoolClass
from tenants.db import use_school
from tests.conftest import make_class
from tests.files.scenario import admin_fixture, confirm, media_in_tmp_fixture, upload  # noqa: F401 (fixtures)
from tests.files.spreadsheets import STUDENT_HEADER, student_row, xlsx_bytes


@pytest.fixture(autouse=True)
def _media(media_in_tmp: None) -> None:
    """Uploads stored under the test's tmp_path."""


def students_file(*rows: list[Any], header: list[str] = STUDENT_HEADER) -> bytes:
    return xlsx_bytes([header, *rows])


def family_state() -> tuple[int, ...]:
    return (Person.objects.count(), Enrolment.objects.count(), Guardianship.objects.count(), Membership.objects.count(),
            PersonCard.objects.count(), SchoolClass.objects.count())


def _queries_of_import(admin: Person, school: Any, rows: int, start: int) -> tuple[int, int]:
    content = students_file(*(student_row(start + i) for i in range(rows)))
    with CaptureQueriesContext(connection) as check:
        job = upload(admin, school, "students", content)
    assert job.counts == {"new": rows}
    with CaptureQueriesContext(connection) as imported:
        done = confirm(admin, school, job)
    assert done.counts["result"] == {"created": rows}
    return len(check.captured_queries), len(imported.captured_queries)


def test_the_queries_of_the_check_and_the_import_do_not_grow_with_the_rows(school_a: Any, admin: Person) -> None:
    """R-Y07: 10 rows and 100 rows (each a student with two parents) cost the same number of
    queries to check and to import: no query per row or per person."""
    small_check, small_import = _queries_of_import(admin, school_a, 10, 0)
    large_check, large_import = _queries_of_import(admin, school_a, 100, 100)
    assert large_check <= small_check, (small_check, large_check)
    assert large_import <= small_import, (small_import, large_import)
    assert small_check + small_import < 60


def test_the_preview_writes_nothing(school_a: Any, admin: Person) -> None:
    """R-Y07: the check reads only (no rolled-back dry run): no person, class, order or audit
    record beyond the upload; the only statements that write are about the job itself."""
    use_school(school_a)
    before, audit = family_state(), AuditRecord.objects.count()
    with CaptureQueriesContext(connection) as captured:
        job = upload(admin, school_a, "students", students_file(student_row(0), student_row(1, "5Б")))
    assert job.counts == {"new": 2}
    assert family_state() == before and AuditRecord.objects.count() == audit + 1
    written = [q["sql"] for q in captured.captured_queries
               if q["sql"].split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}]
    assert all("bulkimport_importjob" in sql or "audit_auditrecord" in sql or "roster_personaldatasettings" in sql
               for sql in written), written


def test_a_conflict_between_two_rows_of_the_file(school_a: Any, admin: Person) -> None:
    """R-Y07, R-Y06: the second row names the student the first row creates and enrols (by the
    login that student gets) into another class of the same parallel: refused as the enrolment
    service refuses it, although nothing is in the database yet; a parent named in two rows is
    one person."""
    first = [*student_row(0), ""]
    again = [*student_row(0, "5Б"), "ivanov.pi"]  # the login the first row's new student gets: not a repeated row
    sibling = [*student_row(2), ""]
    sibling[9:13] = first[9:13]  # the same mother as in the first row
    job = upload(admin, school_a, "students", students_file(first, again, sibling, header=[*STUDENT_HEADER, "Логин"]))
    assert [r["status"] for r in job.rows] == ["new", "error", "new"]
    assert job.rows[1]["errors"] == [{"column": "Класс", "value": "5Б", "message":
                                      "Иванов П.И. уже обучается в 5А — классе этой же параллели: "
                                      "оформите перевод, а не зачисление."}]
    assert "Класса 5Б не было: он будет создан." in job.rows[1]["notes"]
    done = confirm(admin, school_a, job, "valid")
    assert [r["result"] for r in done.rows] == ["created", "skipped", "created"]
    assert Person.objects.filter(surname="Иванова", name="Анна").count() == 1
    use_school(school_a)
    assert not SchoolClass.objects.filter(grade=5, letter="Б").exists()  # only the refused row needed it
    mother = Person.objects.get(surname="Иванова", name="Анна")
    assert Guardianship.objects.filter(parent_id=mother.pk).count() == 2
    assert Membership.objects.filter(person=mother, school=school_a, role="parent").count() == 1


def test_a_person_already_in_the_district_is_matched_not_duplicated(school_a: Any, admin: Person, make_person: Any) -> None:
    """R-P02, R-Y07: a student and a parent known in the district (another school's) by the same
    full name and date of birth, in any case, are the same accounts: enrolled and linked, not created."""
    student = make_person("ИВАНОВ", "пётр", patronymic="Иванович", birth_date=dt.date(2014, 1, 1), sex="m", login="ivanov.old")
    father = make_person("Иванов", "Иван", patronymic="Петрович", birth_date=dt.date(1983, 1, 1), sex="m", login="ivanov.father")
    people = Person.objects.count()
    job = upload(admin, school_a, "students", students_file(student_row(0)))
    assert job.rows[0]["status"] == "new"
    assert "уже есть в районе" in job.rows[0]["notes"][0]
    confirm(admin, school_a, job)
    assert Person.objects.count() == people + 1  # only the mother is new
    assert Enrolment.objects.get().student_id == student.pk
    assert Guardianship.objects.filter(parent_id=father.pk, student_id=student.pk).exists()


def test_logins_of_new_people_step_over_taken_ones_and_each_other(school_a: Any, admin: Person, make_person: Any) -> None:
    """R-Y07: new people get logins as the accounts service gives them — transliterated surname
    and initials, then 2, 3… past every login taken in the district and by earlier rows."""
    make_person("Иванов", "Павел", patronymic="Игоревич", login="ivanov.pi")
    make_person("Иванов", "Пимен", patronymic="Ильич", login="ivanov.pi2")
    twin = student_row(16)  # another family's row, renamed: a second new «Иванов Пётр Иванович», born on another day
    twin[1:4] = ["Иванов", "Пётр", "Иванович"]
    confirm(admin, school_a, upload(admin, school_a, "students", students_file(student_row(0), twin)))
    logins = sorted(Person.objects.filter(surname="Иванов", name="Пётр").values_list("login", flat=True))
    assert logins == ["ivanov.pi3", "ivanov.pi4"]
    assert Person.objects.filter(login="ivanova.as").exists() and Person.objects.filter(login="ivanov.ip").exists()


def _trail(since: int) -> list[tuple[Any, ...]]:
    """The audit records after `since`, ids replaced by their order of appearance (the two paths
    make the same rows with other ids)."""
    names: dict[tuple[str, str], str] = {}
    kinds = {"person": "accounts.person", "student": "accounts.person", "parent": "accounts.person",
             "school_class": "roster.schoolclass", "year": "schoolyear.academicyear", "order_in": "roster.movementorder"}

    def label(kind: str, value: Any) -> Any:
        """The n-th id of its kind (people numbered among people, classes among classes…)."""
        if value is None:
            return None
        if kind == "roster.schoolclass":
            return str(SchoolClass.objects.get(pk=value))  # by name: the bulk import creates a missing class first
        seen = sum(1 for k, _ in names if k == kind)
        return names.setdefault((kind, str(value)), f"{kind}#{seen}")

    trail = []
    for r in AuditRecord.objects.filter(pk__gt=since).exclude(action__startswith="import.").order_by("id"):
        after = {k: label(kinds[k], v) if k in kinds else v for k, v in (r.after or {}).items()}
        trail.append((r.action, r.actor_id, r.actor_label, r.school_id, r.object_type, label(r.object_type, r.object_id),
                      r.object_repr, r.reason, r.before, after, r.channel))
    return trail


def test_audit_records_are_those_the_services_write(school_a: Any, admin: Person, make_person: Any, monkeypatch: Any) -> None:
    """R-Y07, R-A04: every write is audited with the importer as actor — the same records, with
    the same content and in the same order, as the per-row path through the services writes
    (which is run first and rolled back): people, the order, enrolments, roles, cards, links."""
    make_person("Иванов", "Иван", patronymic="Петрович", birth_date=dt.date(1983, 1, 1), sex="m")  # a father known already
    shared = student_row(3)
    shared[9:13] = student_row(1)[9:13]
    content = students_file(student_row(0), student_row(1, "5Б"), shared, student_row(4, two_parents=False))
    mark = AuditRecord.objects.order_by("-id").values_list("id", flat=True).first() or 0

    with transaction.atomic():
        monkeypatch.setattr(StudentsKind, "planner", lambda self, actor, school: None)
        done = confirm(admin, school_a, upload(admin, school_a, "students", content))
        assert done.status == "done"
        by_services = _trail(mark)
        transaction.set_rollback(True)
    monkeypatch.undo()
    mark = AuditRecord.objects.order_by("-id").values_list("id", flat=True).first() or 0
    done = confirm(admin, school_a, upload(admin, school_a, "students", content))
    assert done.status == "done"
    in_bulk = _trail(mark)
    # The services create a missing class when the first row needs it; the bulk import first of all.
    assert [t for t in in_bulk if t[0] != "class.create"] == [t for t in by_services if t[0] != "class.create"]
    assert [t for t in in_bulk if t[0] == "class.create"] == [t for t in by_services if t[0] == "class.create"]
    actions = [t[0] for t in in_bulk]
    # 4 students and 7 parents named, one mother twice, one father known already.
    assert actions.count("person.create") == 4 + 7 - 1 - 1 and actions.count("student.enrol") == 4
    assert {t[1] for t in in_bulk} == {admin.pk}


def test_only_valid_rows_are_imported_and_a_refused_row_leaves_nothing(school_a: Any, admin: Person) -> None:
    """R-Y07: «only rows without errors» imports the others; a row refused after its parents
    were matched or created (here: its card) writes none of them; skipped rows say why."""
    header = [*STUDENT_HEADER, "Родитель 2: e-mail"]
    good = [*student_row(0), ""]
    bad_email = [*student_row(1), "не почта"]
    bad_date = [*student_row(2), ""]
    bad_date[7] = "32.13.2026"
    job = upload(admin, school_a, "students", students_file(good, bad_email, bad_date, header=header))
    assert [r["status"] for r in job.rows] == ["new", "error", "error"]
    assert job.rows[1]["errors"] == [{"column": "Родитель 2: e-mail", "value": "не почта", "message": "Неверный адрес электронной почты."}]
    done = confirm(admin, school_a, job, "valid")
    assert [r["result"] for r in done.rows] == ["created", "skipped", "skipped"]
    assert done.rows[1]["why"] == "«Родитель 2: e-mail» = «не почта»: Неверный адрес электронной почты."
    assert not Person.objects.filter(surname__startswith="Петров").exists()  # row 3's family: nobody written
    assert Enrolment.objects.count() == 1 and Guardianship.objects.count() == 2


def test_reimport_changes_nothing_and_a_changed_card_is_an_update(school_a: Any, admin: Person) -> None:
    """R-Y07: the same file again is «без изменений» in every row and writes nothing but the
    job's records; a changed e-mail of a parent is an update of their card, audited."""
    rows = [student_row(i) for i in range(5)]
    confirm(admin, school_a, upload(admin, school_a, "students", students_file(*rows)))
    state, audit = family_state(), AuditRecord.objects.count()
    again = confirm(admin, school_a, upload(admin, school_a, "students", students_file(*rows)))
    assert again.counts["result"] == {"unchanged": 5}
    assert family_state() == state and AuditRecord.objects.count() == audit + 2
    rows[2][13] = "new@example.ru"
    changed = confirm(admin, school_a, upload(admin, school_a, "students", students_file(*rows)))
    assert [r["result"] for r in changed.rows] == ["unchanged", "unchanged", "updated", "unchanged", "unchanged"]
    card = AuditRecord.objects.filter(action="person_card.update").latest("id")
    assert card.actor == admin and card.after == {"person": PersonCard.objects.get(email="new@example.ru").person_id,
                                                  "changed": ["email"]}
    assert family_state() == state


def test_a_failure_in_the_middle_of_the_import_leaves_nothing_half_written(school_a: Any, admin: Person,
                                                                           monkeypatch: Any) -> None:
    """R-Y07: the import's writes are one transaction: when a statement fails after the people and
    enrolments went in, none of them (nor their audit records) stay; the job can be confirmed again."""
    job = upload(admin, school_a, "students", students_file(student_row(0), student_row(1)))
    use_school(school_a)
    state, audit = family_state(), AuditRecord.objects.count()

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Guardianship.objects, "bulk_create", broken)
    failed = confirm(admin, school_a, job)  # the task's failure handler, inline: «failed», not a 500
    assert failed.status == "failed" and "внутренней ошибки" in failed.message
    assert family_state() == state and AuditRecord.objects.count() == audit
    monkeypatch.undo()
    ImportJob.objects.filter(pk=job.pk).update(status="ready")
    assert confirm(admin, school_a, job).counts["result"] == {"created": 2}


def test_a_student_in_another_class_of_the_school_is_refused_from_the_database(school_a: Any, admin: Person) -> None:
    """R-Y06: a student studying in 5А (in the database) listed for 6А needs a transfer order:
    the row says so; the other rows are imported."""
    confirm(admin, school_a, upload(admin, school_a, "students", students_file(student_row(0))))
    use_school(school_a)
    make_class(6, "А")
    job = upload(admin, school_a, "students", students_file(student_row(0, "6А"), student_row(1, "6А")))
    assert [r["status"] for r in job.rows] == ["error", "new"]
    assert "уже обучается в 5А: обучающийся не может быть в двух классах сразу" in job.rows[0]["errors"][0]["message"]


def test_a_write_refused_by_the_database_returns_the_job_for_a_new_decision(school_a: Any, admin: Person,
                                                                           monkeypatch: Any) -> None:
    """R-Y07: when the database refuses a bulk write (somebody enrolled the student or took the
    login meanwhile), nothing is written and the job is ready to be confirmed again, saying why."""
    from django.db import IntegrityError

    job = upload(admin, school_a, "students", students_file(student_row(0)))
    use_school(school_a)
    state = family_state()

    def taken(*args: Any, **kwargs: Any) -> Any:
        raise IntegrityError("duplicate key value violates unique constraint")

    monkeypatch.setattr(Enrolment.objects, "bulk_create", taken)
    after = confirm(admin, school_a, job)
    assert after.status == "ready" and "данные в школе изменились" in after.message
    assert family_state() == state
    monkeypatch.undo()
    assert confirm(admin, school_a, after).status == "done"


def _through_the_services(admin: Person, school: Any, content: bytes, monkeypatch: Any) -> tuple[list[Any], list[Any], list[Any]]:
    """The preview rows, the import's rows and the audit trail of the per-row path through the
    services (`planner` switched off), rolled back afterwards."""
    mark = AuditRecord.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with transaction.atomic():
        monkeypatch.setattr(StudentsKind, "planner", lambda self, actor, school: None)
        checked = upload(admin, school, "students", content)
        done = confirm(admin, school, checked, "valid")
        outcome = (checked.rows, done.rows, _trail(mark))
        transaction.set_rollback(True)
    monkeypatch.undo()
    return outcome


def test_a_tricky_file_comes_out_as_through_the_services(school_a: Any, admin: Person, make_person: Any,
                                                         monkeypatch: Any) -> None:
    """R-Y07: one file with most of what can go wrong or be matched — namesakes in the district,
    a login of somebody else, an order of another kind, a future order, the same parent twice in
    a row, a parent who is the student, a parent shared by two rows, a new login named by a later
    row, a new class, a student already here with a changed e-mail — gets the same preview
    (statuses, errors, notes), the same result and the same audit trail in bulk as row by row."""
    from roster.models import MovementOrder

    born = dt.date(2013, 5, 5)
    make_person("Котов", "Лев", patronymic="Ильич", birth_date=born, sex="m", login="kotov.li")
    make_person("Котов", "Лев", patronymic="Ильич", birth_date=born, sex="m", login="kotov.li2")
    make_person("Чужой", "Олег", login="chuzhoi")
    confirm(admin, school_a, upload(admin, school_a, "students", students_file(student_row(0))))
    use_school(school_a)
    MovementOrder.objects.create(kind="transfer", number="99-у", date=dt.date(2026, 8, 28))

    def row(i: int, class_name: str = "5А", login: str = "", parent_login: str = "") -> list[Any]:
        return [*student_row(i, class_name), login, parent_login]

    here = row(0)
    here[13] = "changed@example.ru"
    namesake = row(1)
    namesake[1:6] = ["Котов", "Лев", "Ильич", "м", born]
    foreign_login = row(2, login="chuzhoi")
    other_kind = row(3)
    other_kind[6] = "99-у"
    future = row(4)
    future[7] = dt.date(2099, 1, 1)
    twice = row(5)
    twice[14:19] = ["мать", *twice[9:13]]
    oneself = row(6)
    oneself[9:13] = [*oneself[1:4], oneself[5]]
    shared = row(7, "7Б")
    shared[9:13] = row(8)[9:13]
    new_login = row(8, "7Б", login="novyi.login")
    names_it = row(9, parent_login="novyi.login")
    names_it[9] = new_login[1]
    header = [*STUDENT_HEADER, "Логин", "Родитель 1: логин"]
    content = students_file(here, namesake, foreign_login, other_kind, future, twice, oneself, shared, new_login, names_it,
                            header=header)

    checked, imported, trail = _through_the_services(admin, school_a, content, monkeypatch)
    mark = AuditRecord.objects.order_by("-id").values_list("id", flat=True).first() or 0
    job = upload(admin, school_a, "students", content)
    assert job.rows == checked
    assert [r["status"] for r in job.rows] == ["update", "error", "error", "error", "error", "error", "error", "new", "new",
                                               "new"]
    done = confirm(admin, school_a, job, "valid")
    assert done.rows == imported
    in_bulk = _trail(mark)
    assert [t for t in in_bulk if t[0] != "class.create"] == [t for t in trail if t[0] != "class.create"]
    assert sorted(t for t in in_bulk if t[0] == "class.create") == sorted(t for t in trail if t[0] == "class.create")
