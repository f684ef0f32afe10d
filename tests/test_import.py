"""Bulk import of a school's lists from spreadsheets (R-Y07): reading XLSX and CSV within
limits, checking every row before anything is written, importing all or only the valid
rows through the services, matching people instead of duplicating them; the personal-data
setting refuses the columns a school does not collect (R-A06)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Membership, Person
from accounts.roles import Role
from audit.models import AuditRecord
from bulkimport import services
from bulkimport.models import ImportJob
from bulkimport.readers import ReadError, cell_date, decode_text, read_table, sniff_delimiter
from bulkimport.schemas import Column, match_header, norm
from core.errors import PermissionDenied, ValidationFailed
from roster.models import Enrolment, Guardianship, PersonalDataSettings, PersonCard, SchoolClass, StaffCard
from tenants.db import use_public, use_school
from tests.conftest import current_year_in_schema, make_class
from tests.files.scenario import (  # noqa: F401 (fixtures)
    STAFF_HEADER,
    admin_fixture,
    confirm,
    media_in_tmp_fixture,
    setup_timetable_basics,
    staff_row,
    upload,
)
from tests.files.spreadsheets import STUDENT_HEADER, csv_bytes, student_row, xlsx_bytes


def _write(tmp_path: Path, name: str, content: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content)
    return path


# --- reading files -----------------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-bom", "cp1251"])
@pytest.mark.parametrize("delimiter", [";", ","])
def test_csv_in_both_encodings_and_both_delimiters_reads_the_same(tmp_path: Path, encoding: str, delimiter: str) -> None:
    """R-Y07: a CSV saved by Excel in UTF-8 (with or without BOM) or Windows-1251, with ";" or ",",
    reads to the same rows; quoted cells containing the delimiter stay whole."""
    rows = [STUDENT_HEADER, student_row(1), student_row(2, "5Б")]
    rows[1][1] = "Иванова-Петрова"
    content = csv_bytes(rows, encoding="utf-8" if encoding == "utf-8-bom" else encoding, delimiter=delimiter, bom=encoding == "utf-8-bom")
    table = read_table(_write(tmp_path, "list.csv", content))
    assert table.delimiter == delimiter
    assert table.encoding == ("windows-1251" if encoding == "cp1251" else "utf-8")
    assert [r[1][:3] for r in table.rows] == [["Класс", "Фамилия", "Имя"], ["5А", "Иванова-Петрова", "Мария"], ["5Б", "Сидоров", "Пётр"]]
    assert table.rows[1][1][5] == "02.01.2014"


def test_csv_with_a_comma_inside_quoted_cell_and_semicolon_delimiter(tmp_path: Path) -> None:
    """R-Y07: the delimiter is sniffed from the header line, outside quotes."""
    text = 'Класс;Фамилия;Функции\r\n5А;Иванова;"классный руководитель, МО; профсоюз"\r\n'
    table = read_table(_write(tmp_path, "x.csv", text.encode("cp1251")))
    assert table.rows[1] == (2, ["5А", "Иванова", "классный руководитель, МО; профсоюз"])


def test_broken_utf8_is_refused_with_the_line(tmp_path: Path) -> None:
    """R-Y07: a UTF-8 file damaged in the middle is not silently read as Windows-1251 mojibake."""
    good = csv_bytes([STUDENT_HEADER, student_row(1), student_row(2)], encoding="utf-8")
    broken = good.replace("Пётр".encode(), "Пётр".encode()[:-1] + b"\xff", 1)
    with pytest.raises(ReadError) as exc:
        read_table(_write(tmp_path, "broken.csv", broken))
    assert "UTF-8 повреждён" in exc.value.message
    assert "строке 3" in exc.value.message


def test_utf16_and_old_xls_are_refused_in_russian(tmp_path: Path) -> None:
    """R-Y07: UTF-16 text and the binary .xls format get a clear Russian message."""
    with pytest.raises(ReadError, match="UTF-16"):
        read_table(_write(tmp_path, "u16.csv", "Класс;Фамилия\n".encode("utf-16")))
    with pytest.raises(ReadError, match=r"\.xls"):
        read_table(_write(tmp_path, "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100))
    with pytest.raises(ReadError, match="повреждён"):
        read_table(_write(tmp_path, "bad.xlsx", b"PK\x03\x04garbage"))


def test_decode_prefers_utf8_then_windows_1251() -> None:
    """R-Y07: no charset library: UTF-8 (BOM stripped) first, then Windows-1251."""
    assert decode_text("\ufeffФамилия".encode()) == ("Фамилия", "utf-8")
    assert decode_text("Фамилия".encode("cp1251")) == ("Фамилия", "windows-1251")
    assert sniff_delimiter("a,b;c;d\n1,2;3;4") == ";"
    assert sniff_delimiter('"a;b",c,d') == ","


def test_xlsx_ten_thousand_empty_trailing_rows_cost_nothing(tmp_path: Path) -> None:
    """R-Y07: 10,000 formatted empty rows at the end are skipped: no error, no memory."""
    import tracemalloc

    path = _write(tmp_path, "tail.xlsx", xlsx_bytes([STUDENT_HEADER, student_row(1), student_row(2)], empty_tail=10_000))
    tracemalloc.start()
    try:
        table = read_table(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [n for n, _ in table.rows] == [1, 2, 3]
    assert peak < 20 * 1024 * 1024


def test_csv_ten_thousand_empty_trailing_lines(tmp_path: Path) -> None:
    """R-Y07: the same for a CSV full of ";;;;" lines."""
    content = csv_bytes([STUDENT_HEADER, student_row(1)]) + b";;;;;;\r\n" * 10_000
    assert len(read_table(_write(tmp_path, "tail.csv", content)).rows) == 2


def test_oversized_file_is_refused_from_its_size_alone(tmp_path: Path) -> None:
    """R-Y07: a 50 MB file is refused with a Russian message before it is read (a sparse
    file here: nothing is written to disk)."""
    path = tmp_path / "huge.xlsx"
    with open(path, "wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    with pytest.raises(ReadError) as exc:
        read_table(path)
    assert "Файл слишком большой: 50 МБ" in exc.value.message
    assert "не больше 10 МБ" in exc.value.message


def test_row_limit(tmp_path: Path, settings: Any) -> None:
    """R-Y07: more data rows than the limit are refused, naming the limit."""
    settings.BULKIMPORT_MAX_ROWS = 5
    rows = [STUDENT_HEADER] + [student_row(i) for i in range(6)]
    with pytest.raises(ReadError, match="больше 5 строк"):
        read_table(_write(tmp_path, "many.xlsx", xlsx_bytes(rows)))
    assert len(read_table(_write(tmp_path, "ok.xlsx", xlsx_bytes(rows[:6]))).rows) == 6


def test_cell_dates() -> None:
    """R-Y07: a date cell, an Excel serial number and the usual Russian spellings are dates."""
    assert cell_date(dt.datetime(2015, 3, 1, 0, 0)) == dt.date(2015, 3, 1)
    assert cell_date("01.03.2015") == dt.date(2015, 3, 1)
    assert cell_date("1.3.15") == dt.date(2015, 3, 1)
    assert cell_date("2015-03-01") == dt.date(2015, 3, 1)
    assert cell_date(42064) == dt.date(2015, 3, 1)
    assert cell_date("") is None
    with pytest.raises(ValueError):
        cell_date("31.02.2015")


# --- the header -------------------------------------------------------------------------------

COLS = [
    Column("class", "Класс", required=True),
    Column("surname", "Фамилия", required=True, synonyms=("фамилия обучающегося",)),
    Column("name", "Имя", required=True),
    Column("birth_date", "Дата рождения", required=True, synonyms=("дата рожд",)),
]
PHONE = Column("phone", "Телефон", personal="phone")


def _table(tmp_path: Path, rows: list[list[Any]], **kw: Any) -> Any:
    return read_table(_write(tmp_path, "h.xlsx", xlsx_bytes(rows, **kw)))


def test_header_matched_case_space_and_synonym_insensitively(tmp_path: Path) -> None:
    """R-Y07: «  ФАМИЛИЯ обучающегося », «Дата рожд.» and «класс» match their columns; a title row
    above the header is skipped; unknown columns are reported as a warning, not an error."""
    table = _table(tmp_path, [["  ФАМИЛИЯ обучающегося ", "Имя", "класс", "Дата рожд.", "Любимый цвет"], ["Иванов", "Пётр", "5А", "01.03.2015", "синий"]],
                   title_rows=["Список обучающихся МБОУ СОШ № 1"], merged=["A1:E1"])
    header, data = match_header(table, COLS, [])
    assert header.positions == {"surname": 0, "name": 1, "class": 2, "birth_date": 3}
    assert header.unknown == ["Любимый цвет"]
    assert header.row_number == 2
    assert data == [(3, ["Иванов", "Пётр", "5А", "01.03.2015", "синий"])]
    assert norm("Дата  рождения*") == norm("дата рождения")


def test_missing_required_columns_are_listed_in_one_error(tmp_path: Path) -> None:
    """R-Y07: one clear error lists every missing required column."""
    table = _table(tmp_path, [["Фамилия", "Имя"], ["Иванов", "Пётр"]])
    with pytest.raises(ReadError) as exc:
        match_header(table, COLS, [])
    assert exc.value.message == "Нет обязательных столбцов: «Класс», «Дата рождения»."


def test_wrong_columns_altogether(tmp_path: Path) -> None:
    """R-Y07: a file of some other list gets an error naming the expected columns."""
    table = _table(tmp_path, [["Товар", "Цена"], ["Мел", "10"]])
    with pytest.raises(ReadError, match=r"Не найдена строка с названиями столбцов.*«Класс», «Фамилия»"):
        match_header(table, COLS, [])


def test_merged_cells_in_the_data_are_refused_naming_them(tmp_path: Path) -> None:
    """R-Y07: merged cells below the header are an error naming the ranges (one value for
    several rows cannot be imported without guessing)."""
    rows = [["Класс", "Фамилия", "Имя", "Дата рождения"], ["5А", "Иванов", "Пётр", "01.03.2015"], ["", "Петров", "Иван", "02.03.2015"]]
    table = _table(tmp_path, rows, merged=["A2:A3"])
    with pytest.raises(ReadError) as exc:
        match_header(table, COLS, [])
    assert "объединённые ячейки: A2:A3" in exc.value.message


def test_refused_personal_column_is_named(tmp_path: Path) -> None:
    """R-A06: a column of personal data the school does not collect refuses the file."""
    table = _table(tmp_path, [["Класс", "Фамилия", "Имя", "Дата рождения", "Телефон"], ["5А", "Иванов", "Пётр", "01.03.2015", "+7900"]])
    with pytest.raises(ReadError, match=r"не собирает.*«Телефон»"):
        match_header(table, COLS, [PHONE])


def test_duplicate_columns_are_refused(tmp_path: Path) -> None:
    table = _table(tmp_path, [["Класс", "Фамилия", "Имя", "Дата рождения", "фамилия"], ["5А", "Иванов", "Пётр", "01.03.2015", "И"]])
    with pytest.raises(ReadError, match="повторяются: «фамилия»"):
        match_header(table, COLS, [])



# --- scenarios: the whole path through the services ---------------------------------------------

R = Role


@pytest.fixture(autouse=True)
def _media(media_in_tmp: None) -> None:
    """Uploads stored under the test's tmp_path."""


def family_state() -> tuple[int, ...]:
    return (Person.objects.count(), Enrolment.objects.count(), Guardianship.objects.count(), Membership.objects.count(),
            PersonCard.objects.count(), SchoolClass.objects.count())


def students_file(*rows: list[Any]) -> bytes:
    return xlsx_bytes([STUDENT_HEADER, *rows])


def test_students_preview_writes_nothing_then_the_import_writes_through_the_services(school_a: Any, admin: Person) -> None:
    """R-Y07: the check lists every row as new and writes nothing (no person, no class, no audit
    record beyond the upload); confirming imports students, parents, enrolments by the order,
    roles and cards through the roster and accounts services, each audited; the job is audited."""
    content = students_file(student_row(0), student_row(1), student_row(2, "5Б", two_parents=False))
    use_school(school_a)
    before, audit_before = family_state(), AuditRecord.objects.count()
    job = upload(admin, school_a, "students", content, "5 классы.xlsx")
    assert job.status == "ready", job.message
    assert [(r["row"], r["status"]) for r in job.rows] == [(2, "new"), (3, "new"), (4, "new")]
    assert job.rows[0]["label"] == "Иванов Пётр Иванович, 5А"
    assert "Класса 5Б не было: он будет создан." in job.rows[2]["notes"]
    assert family_state() == before
    assert list(AuditRecord.objects.filter(pk__gt=0).order_by("-id").values_list("action", flat=True)[:1]) == ["import.upload"]
    assert AuditRecord.objects.count() == audit_before + 1

    job = confirm(admin, school_a, job)
    assert job.status == "done"
    assert job.counts["result"] == {"created": 3}
    assert all(r["result"] == "created" for r in job.rows)
    people, enrolments, links, _, _, classes = family_state()
    assert (people, enrolments, links, classes) == (before[0] + 3 + 5, 3, 5, before[5] + 1)
    petrova = Person.objects.get(surname="Петрова", name="Мария")
    enrolment = Enrolment.objects.select_related("school_class", "order_in").get(student=petrova)
    assert enrolment.order_in is not None
    assert (str(enrolment.school_class), enrolment.order_in.number, enrolment.since) == ("5А", "12-у", dt.date(2026, 9, 1))
    mother = Person.objects.get(surname="Петрова", name="Анна")
    assert Guardianship.objects.get(parent=mother, student=petrova).kind == "mother"
    assert PersonCard.objects.get(person=mother).email == "parent1@example.ru"
    assert Membership.objects.filter(person=mother, school=school_a, role=R.PARENT).exists()
    assert Membership.objects.filter(person=petrova, school=school_a, role=R.STUDENT).exists()
    actions = list(AuditRecord.objects.filter(school=school_a).values_list("action", flat=True))
    assert actions.count("student.enrol") == 3 and actions.count("guardian.add") == 5
    applied = AuditRecord.objects.get(action="import.apply", school=school_a)
    after: dict[str, Any] = applied.after or {}
    assert applied.actor == admin and after["file_name"] == "5 классы.xlsx"
    assert after["result"] == {"created": 3}
    assert not job.file  # the file (personal data) is gone once imported


def test_reimporting_the_same_file_changes_nothing(school_a: Any, admin: Person) -> None:
    """R-Y07, R-P02: people are matched by surname, name, patronymic and date of birth: the same
    file again is «без изменений» in every row and writes nothing but the job's own record."""
    content = students_file(student_row(0), student_row(1))
    confirm(admin, school_a, upload(admin, school_a, "students", content))
    state, audit = family_state(), AuditRecord.objects.count()
    again = upload(admin, school_a, "students", content)
    assert [r["status"] for r in again.rows] == ["unchanged", "unchanged"]
    done = confirm(admin, school_a, again)
    assert done.counts["result"] == {"unchanged": 2}
    assert family_state() == state
    assert AuditRecord.objects.count() == audit + 2  # import.upload and import.apply


def test_a_parent_with_children_in_two_schools_is_one_person(school_a: Any, school_b: Any, admin: Person,
                                                           make_person: Any, grant: Any) -> None:
    """R-P02, R-Y07: the same mother in the lists of two schools is one account, a parent in both."""
    boss_b = make_person("Бобров", "Борис")
    grant(boss_b, R.SCHOOL_ADMIN, school_b)
    use_school(school_b)
    current_year_in_schema()
    use_public()
    first = student_row(0)
    second = student_row(1, "3А")
    second[9:13] = first[9:13]  # the same mother
    confirm(admin, school_a, upload(admin, school_a, "students", students_file(first)))
    job = upload(boss_b, school_b, "students", students_file(second))
    assert job.status == "ready", job.message
    confirm(boss_b, school_b, job)
    mother = Person.objects.get(surname="Иванова", name="Анна")
    assert set(Membership.objects.filter(person=mother, role=R.PARENT).values_list("school__slug", flat=True)) == {"alpha", "beta"}


def test_every_problem_of_every_row_is_reported_with_row_column_and_value(school_a: Any, admin: Person) -> None:
    """R-Y07: per-row errors in Russian name the row, the column and the value; a row repeating
    an earlier one is refused; the whole file cannot be imported while errors remain."""
    bad_date = student_row(1)
    bad_date[5] = "31.02.2015"
    bad_sex = student_row(2)
    bad_sex[4] = "x"
    no_name = student_row(3)
    no_name[2] = ""
    bad_parent = student_row(4)
    bad_parent[8] = "бабушка"
    bad_class = student_row(5, "12Я")
    rows = [student_row(0), bad_date, bad_sex, no_name, bad_parent, bad_class, student_row(0)]
    job = upload(admin, school_a, "students", students_file(*rows))
    by_row = {r["row"]: r for r in job.rows}
    assert by_row[2]["status"] == "new"
    assert by_row[3]["errors"] == [{"column": "Дата рождения", "value": "31.02.2015",
                                    "message": "Не дата: ожидается ДД.ММ.ГГГГ, например 01.09.2026."}]
    assert by_row[4]["errors"][0]["column"] == "Пол" and by_row[4]["errors"][0]["value"] == "x"
    assert by_row[5]["errors"] == [{"column": "Имя", "value": "", "message": "Обязательное поле не заполнено."}]
    assert by_row[6]["errors"][0]["column"] == "Родитель 1: кем приходится"
    assert by_row[7]["errors"][0]["column"] == "Класс" and by_row[7]["errors"][0]["value"] == "12Я"
    assert by_row[8]["errors"] == [{"column": "", "value": "", "message": "Повторяет строку 2 файла."}]
    assert job.counts == {"new": 1, "error": 6}
    with pytest.raises(ValidationFailed) as exc:
        services.confirm_import(admin, school_a, job.pk, "all")
    assert exc.value.code == "has_errors"
    assert Enrolment.objects.count() == 0


def test_valid_only_import_lists_every_skipped_row_with_why(school_a: Any, admin: Person) -> None:
    """R-Y07: importing only the valid rows is an explicit choice, and the result lists the
    skipped rows with their reasons: nothing is dropped silently."""
    bad = student_row(1)
    bad[5] = "завтра"
    job = upload(admin, school_a, "students", students_file(student_row(0), bad, student_row(2)))
    done = confirm(admin, school_a, job, "valid")
    assert done.status == "done" and done.mode == "valid"
    assert [(r["row"], r["result"]) for r in done.rows] == [(2, "created"), (3, "skipped"), (4, "created")]
    assert done.rows[1]["why"] == "«Дата рождения» = «завтра»: Не дата: ожидается ДД.ММ.ГГГГ, например 01.09.2026."
    assert done.counts["result"] == {"created": 2, "skipped": 1}
    assert Enrolment.objects.count() == 2


def test_service_refusals_become_row_errors(school_a: Any, admin: Person) -> None:
    """R-Y07, R-Y06: the roster service's own rules (a student already in another class needs a
    transfer order, an order dated in the future) are reported on the row and its column."""
    confirm(admin, school_a, upload(admin, school_a, "students", students_file(student_row(0))))
    moved = student_row(0, "6А")
    future = student_row(1)
    future[7] = dt.date(2099, 1, 1)
    use_school(school_a)
    make_class(6, "А")
    job = upload(admin, school_a, "students", students_file(moved, future))
    assert job.rows[0]["status"] == "error"
    assert "уже обучается в 5А" in job.rows[0]["errors"][0]["message"]
    assert job.rows[1]["errors"][0]["column"] == "Дата приказа о зачислении"
    assert "ещё не наступила" in job.rows[1]["errors"][0]["message"]


def test_columns_of_personal_data_the_school_does_not_collect_are_refused(school_a: Any, admin: Person) -> None:
    """R-A06: with phones switched off (001 §3.3 forbids them), a file with a phone column is
    refused naming it; once the school collects phones, the same file stores them in the card."""
    header = [*STUDENT_HEADER, "Родитель 1: телефон"]
    row = [*student_row(0), "+7 912 345-67-89"]
    job = upload(admin, school_a, "students", xlsx_bytes([header, row]))
    assert job.status == "rejected"
    assert "не собирает" in job.message and "«Родитель 1: телефон»" in job.message
    use_school(school_a)
    PersonalDataSettings.objects.update_or_create(pk=1, defaults={"collect_phone": True})
    job = upload(admin, school_a, "students", xlsx_bytes([header, row]))
    assert job.status == "ready", job.message
    confirm(admin, school_a, job)
    assert PersonCard.objects.get(person__surname="Иванова", person__name="Анна").phone == "+7 912 345-67-89"


@pytest.mark.parametrize(("content", "message"), [
    (xlsx_bytes([["Фамилия", "Имя"], ["Иванов", "Пётр"]]), "Нет обязательных столбцов: «Класс», «Пол»"),
    (xlsx_bytes([STUDENT_HEADER, student_row(0), student_row(1)], merged=["A2:A3"]), "объединённые ячейки: A2:A3"),
    ("Класс;Фамилия\n".encode("utf-16"), "UTF-16"),
    (xlsx_bytes([STUDENT_HEADER]), "нет ни одной строки с данными"),
], ids=["wrong-columns", "merged-cells", "broken-encoding", "header-only"])
def test_a_file_refused_as_a_whole_says_why(school_a: Any, admin: Person, content: bytes, message: str) -> None:
    """R-Y07: wrong columns, merged cells, a broken encoding, an empty list: the job is refused
    with one Russian message and its stored file is deleted."""
    job = upload(admin, school_a, "students", content, "spisok.csv" if message == "UTF-16" else "spisok.xlsx")
    assert job.status == "rejected"
    assert message in job.message
    assert not job.file


def test_unknown_columns_are_a_warning(school_a: Any, admin: Person) -> None:
    """R-Y07: a column the kind does not know is ignored with a warning, not an error."""
    job = upload(admin, school_a, "students", xlsx_bytes([[*STUDENT_HEADER, "Любимый предмет"], [*student_row(0), "физика"]]))
    assert job.status == "ready"
    assert job.warnings == ["Столбцы не распознаны и не загружаются: «Любимый предмет»."]


@pytest.mark.parametrize("encoding", ["utf-8", "cp1251"])
@pytest.mark.parametrize("delimiter", [";", ","])
def test_csv_through_the_pages(school_a: Any, admin: Person, client_for: Any, encoding: str, delimiter: str) -> None:
    """R-Y07: the administrator uploads a CSV (UTF-8 or Windows-1251, «;» or «,») on the page, sees
    every row with its status, imports it and sees the result."""
    client = client_for(admin)
    content = csv_bytes([STUDENT_HEADER, student_row(0), student_row(1)], encoding=encoding, delimiter=delimiter)
    response = client.post("/s/alpha/import/", {"kind": "students", "file": SimpleUploadedFile("5А.csv", content)})
    assert response.status_code == 302, response.content.decode()[:500]
    page = client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200
    assert "Иванов Пётр Иванович, 5А" in body and "Петрова Мария Ивановна, 5А" in body
    assert body.count('data-status="new"') == 2
    assert 'data-testid="confirm-all"' in body
    done = client.post(response["Location"] + "confirm/", {"mode": "all"}, follow=True)
    assert "Загружено: создано 2" in done.content.decode()
    use_school(school_a)
    assert Enrolment.objects.count() == 2


def test_api_upload_preview_and_confirm(school_a: Any, admin: Person, client_for: Any) -> None:
    """R-Y07: the API takes a multipart upload, returns the checked rows, and imports on confirm."""
    client = client_for(admin)
    content = students_file(student_row(0), student_row(1))
    created = client.post("/api/v1/schools/alpha/import/jobs/", {"kind": "students", "file": SimpleUploadedFile("a.xlsx", content)})
    assert created.status_code == 201, created.content
    job = created.json()
    assert job["status"] == "ready" and [r["status"] for r in job["rows"]] == ["new", "new"]
    assert client.get(f"/api/v1/schools/alpha/import/jobs/{job['id']}/").json()["counts"] == {"new": 2}
    done = client.post(f"/api/v1/schools/alpha/import/jobs/{job['id']}/confirm/", {"mode": "all"}, content_type="application/json")
    assert done.status_code == 200, done.content
    assert done.json()["status"] == "done" and done.json()["counts"]["result"] == {"created": 2}
    again = client.post(f"/api/v1/schools/alpha/import/jobs/{job['id']}/confirm/", {"mode": "all"}, content_type="application/json")
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    listing = client.get("/api/v1/schools/alpha/import/jobs/").json()
    assert [j["id"] for j in listing] == [job["id"]]


def test_an_oversized_upload_is_refused_before_it_is_read(school_a: Any, admin: Person, client_for: Any, settings: Any) -> None:
    """R-Y07: a file over the size limit is refused from the request's length, in Russian, on the
    page and in the API, and no job is created (the limit is lowered here instead of sending 50 MB)."""
    settings.BULKIMPORT_MAX_BYTES = 100 * 1024
    client = client_for(admin)
    big = SimpleUploadedFile("big.csv", b"x" * (300 * 1024))
    page = client.post("/s/alpha/import/", {"kind": "students", "file": big})
    assert page.status_code == 200
    assert "Файл слишком большой" in page.content.decode()
    big.seek(0)
    api = client.post("/api/v1/schools/alpha/import/jobs/", {"kind": "students", "file": big})
    assert api.status_code == 400
    assert api.json()["error"]["code"] == "too_large"
    assert "не больше 0,1 МБ" in api.json()["error"]["message"]
    use_school(school_a)
    assert ImportJob.objects.count() == 0


def test_a_long_file_is_checked_and_imported_by_celery_tasks_with_progress(school_a: Any, admin: Person, settings: Any,
                                                                      monkeypatch: Any, client_for: Any) -> None:
    """R-Y07: over BULKIMPORT_ASYNC_ROWS rows the check and the import run as Celery tasks (eager
    here) carrying the school's schema; progress is written on the job as rows go; the page polls
    it with HTMX and reloads when the task ends."""
    from bulkimport import progress, tasks

    settings.BULKIMPORT_ASYNC_ROWS = 3
    monkeypatch.setattr(progress, "INTERVAL_SECONDS", 0)
    written: list[tuple[int, int]] = []
    monkeypatch.setattr(progress.Progress, "_write", lambda self, done: written.append((done, self.total)))
    sent: list[str] = []

    def spy(task: Any) -> Any:
        original = task.apply_async

        def apply_async(*args: Any, **kwargs: Any) -> Any:
            sent.append(task.name)
            return original(*args, **kwargs)
        return apply_async

    for task in (tasks.check_import, tasks.apply_import):
        monkeypatch.setattr(task, "apply_async", spy(task))
    job = upload(admin, school_a, "students", students_file(*(student_row(i) for i in range(5))))
    assert job.status == "ready" and job.counts == {"new": 5}
    assert written == [(n, 5) for n in range(1, 6)]
    done = confirm(admin, school_a, job)
    assert done.status == "done" and done.progress_done == done.progress_total == 5
    assert sent == ["bulkimport.tasks.check_import", "bulkimport.tasks.apply_import"]
    client = client_for(admin)
    polled = client.get(f"/s/alpha/import/jobs/{job.pk}/", HTTP_HX_REQUEST="true")
    assert polled.status_code == 200 and polled["HX-Refresh"] == "true"
    use_school(school_a)
    ImportJob.objects.filter(pk=job.pk).update(status="applying", progress_done=2, progress_total=5)
    running = client.get(f"/s/alpha/import/jobs/{job.pk}/").content.decode()
    assert 'hx-trigger="every 1s"' in running and "2 из 5 строк" in running and 'value="40"' in running


def test_changed_data_between_check_and_import_writes_nothing(school_a: Any, admin: Person) -> None:
    """R-Y07: "all" is all or nothing: when a row fails at import time (the data changed since the
    check), nothing is written and the job shows the new errors for a new decision."""
    job = upload(admin, school_a, "students", students_file(student_row(0), student_row(1)))
    assert job.counts == {"new": 2}
    use_school(school_a)
    make_class(6, "А")
    other = upload(admin, school_a, "students", students_file(student_row(1, "6А")))
    confirm(admin, school_a, other)
    state = family_state()
    after = confirm(admin, school_a, job)
    assert after.status == "ready"
    assert "данные в школе изменились" in after.message
    assert [r["status"] for r in after.rows] == ["new", "error"]
    assert family_state() == state
    done = confirm(admin, school_a, after, "valid")
    assert [r["result"] for r in done.rows] == ["created", "skipped"]


def test_only_importers_may_import(school_a: Any, admin: Person, make_person: Any, grant: Any) -> None:
    """R-Y07, R-P04: lists of people need Perm.IMPORT_DATA (school administrator, director) plus
    their own permissions; the set-up lists only their own, so the deputy (004 §VI–§VII) imports
    the subgroups, the curriculum, the load and the timetable but not the people."""
    deputy = make_person("Морозов", "Андрей")
    grant(deputy, R.DEPUTY, school_a)
    use_school(school_a)
    for kind in ("students", "staff"):
        with pytest.raises(PermissionDenied):
            services.start_import(deputy, school_a, kind, SimpleUploadedFile("a.csv", b"x"))
    assert [k.code for k in services.kinds_for(deputy, school_a)] == ["subgroups", "curriculum", "load", "timetable"]
    assert [k.code for k in services.kinds_for(admin, school_a)] == ["students", "staff", "subgroups", "curriculum", "load",
                                                                     "timetable"]
    assert ImportJob.objects.count() == 0


def test_preview_page_costs_the_same_queries_for_ten_and_two_hundred_rows(school_a: Any, admin: Person, client_for: Any,
                                                                         django_assert_max_num_queries: Any) -> None:
    """R-Y07: the preview page reads the job once, whatever its number of rows."""
    use_school(school_a)
    small = ImportJob.objects.create(kind="students", status="ready", file_name="a.xlsx", created_by=admin, total_rows=10,
                                     counts={"new": 10}, rows=[{"row": i, "label": f"строка {i}", "status": "new"} for i in range(10)])
    large = ImportJob.objects.create(kind="students", status="ready", file_name="b.xlsx", created_by=admin, total_rows=200,
                                     counts={"error": 200}, rows=[{"row": i, "label": f"строка {i}", "status": "error",
                                                                  "errors": [{"column": "Пол", "value": "x", "message": "плохо"}]}
                                                                 for i in range(200)])
    use_public()
    client = client_for(admin)
    client.get(f"/s/alpha/import/jobs/{small.pk}/")
    with django_assert_max_num_queries(12) as small_queries:
        assert client.get(f"/s/alpha/import/jobs/{small.pk}/").status_code == 200
    with django_assert_max_num_queries(len(small_queries)):
        body = client.get(f"/s/alpha/import/jobs/{large.pk}/").content.decode()
    assert body.count('data-status="error"') == 200


# --- staff and the set-up lists ------------------------------------------------------------------

def test_staff_are_hired_with_cards_and_roles_and_matched_again(school_a: Any, admin: Person) -> None:
    """R-Y07, R-A07, R-P03: each row hires a person with their staff card and roles (a class
    teacher through the class); a role wider than the importer's own is refused on its row;
    the same file again changes nothing."""
    rows = [
        staff_row("Петрова", "Ольга", "Ивановна", "учитель математики", "учитель; классный руководитель 5А"),
        staff_row("Морозов", "Андрей", "Павлович", "заместитель директора по УВР", "заместитель директора, учитель", sex="м",
                  born=dt.date(1975, 1, 2)),
        staff_row("Щеглова", "Нина", "Петровна", "директор", "директор", born=dt.date(1970, 3, 3)),
        staff_row("Дроздова", "Вера", "Ильинична", "учитель", "повар", born=dt.date(1990, 3, 3)),
    ]
    job = upload(admin, school_a, "staff", xlsx_bytes([STAFF_HEADER, *rows]))
    assert [r["status"] for r in job.rows] == ["new", "new", "error", "error"]
    assert "Директор" in job.rows[2]["errors"][0]["message"] and job.rows[2]["errors"][0]["column"] == "Роли"
    assert job.rows[3]["errors"][0]["message"].startswith("Неизвестная роль «повар»")
    done = confirm(admin, school_a, job, "valid")
    assert done.counts["result"] == {"created": 2, "skipped": 2}
    petrova = Person.objects.get(surname="Петрова")
    assert StaffCard.objects.get(person=petrova).position == "учитель математики"
    assert set(Membership.objects.filter(person=petrova, school=school_a).values_list("role", flat=True)) == {R.TEACHER, R.CLASS_TEACHER}
    use_school(school_a)
    assert SchoolClass.objects.get(grade=5, letter="А").class_teacher == petrova
    morozov = Person.objects.get(surname="Морозов")
    assert set(Membership.objects.filter(person=morozov, school=school_a).values_list("role", flat=True)) == {R.DEPUTY, R.TEACHER}
    again = upload(admin, school_a, "staff", xlsx_bytes([STAFF_HEADER, *rows[:2]]))
    assert [r["status"] for r in again.rows] == ["unchanged", "unchanged"]
    rows[0][6] = "первая"
    changed = upload(admin, school_a, "staff", xlsx_bytes([STAFF_HEADER, rows[0]]))
    assert changed.rows[0]["status"] == "update"


def test_curriculum_load_and_timetable_through_their_services(school_a: Any, admin: Person) -> None:
    """R-Y07, R-Y03, R-Y04: the curriculum (a whole parallel in one row, a new subject added to the
    school's list), the teaching load of staff, then the timetable, where the timetable service's
    clash check refuses the second lesson of a teacher in the same slot — within the same file."""
    setup_timetable_basics(school_a, admin)
    staff = [staff_row("Петрова", "Ольга", "Ивановна", "учитель математики", "учитель"),
             staff_row("Лебедева", "Ольга", "Николаевна", "учитель", "учитель", born=dt.date(1985, 1, 1))]
    confirm(admin, school_a, upload(admin, school_a, "staff", xlsx_bytes([STAFF_HEADER, *staff])))

    curriculum = [["Класс", "Предмет", "Часть учебного плана", "Часов в неделю"],
                  ["5", "Математика", "обязательная", "5"], ["5А", "Краеведение", "формируемая", "0,5"],
                  ["5Б", "Краеведение", "формируемая", "0,3"], ["7В", "Физика", "", "2"]]
    job = upload(admin, school_a, "curriculum", xlsx_bytes(curriculum))
    assert [r["status"] for r in job.rows] == ["new", "new", "error", "error"]
    assert "Предмета «Математика» ещё нет" in job.rows[0]["notes"][0]
    assert job.rows[2]["errors"][0] == {"column": "Часов в неделю", "value": "0,3", "message": "Часы указываются с шагом 0,5."}
    assert job.rows[3]["errors"][0]["message"] == "Такого класса нет в текущем учебном году."
    confirm(admin, school_a, job, "valid")
    from curriculum.models import CurriculumLine, Subject, TeachingAssignment
    from timetable.models import TimetableEntry

    use_school(school_a)
    assert sorted(Subject.objects.values_list("name", flat=True)) == ["Краеведение", "Математика"]
    assert CurriculumLine.objects.filter(subject__name="Математика").count() == 2

    load = [["Учитель", "Предмет", "Класс", "Подгруппа", "Часов в неделю"],
            ["Петрова Ольга Ивановна", "Математика", "5А", "", "5"], ["Петрова О.И.", "Математика", "5Б", "", "5"],
            ["Лебедева Ольга Николаевна", "Математика", "5А", "", "1"], ["Сидорова", "Математика", "5А", "", "1"]]
    job = upload(admin, school_a, "load", xlsx_bytes(load))
    assert [r["status"] for r in job.rows] == ["new", "new", "error", "error"]
    assert "превысит учебный план" in job.rows[2]["errors"][0]["message"]
    assert job.rows[3]["errors"][0]["column"] == "Учитель"
    confirm(admin, school_a, job, "valid")
    use_school(school_a)
    assert TeachingAssignment.objects.count() == 2

    timetable: list[list[Any]] = [["Класс", "День недели", "Номер урока", "Предмет", "Учитель", "Кабинет"],
                 ["5А", "понедельник", 1, "Математика", "Петрова О.И.", "21"],
                 ["5Б", "пн", 1, "Математика", "Петрова О.И.", "22"],
                 ["5Б", "вторник", 2, "Математика", "Петрова О.И.", "22"],
                 ["5А", "суббота", 2, "Математика", "Петрова О.И.", "21"]]
    job = upload(admin, school_a, "timetable", xlsx_bytes(timetable))
    assert [r["status"] for r in job.rows] == ["new", "error", "new", "error"]
    assert job.rows[1]["errors"][0]["column"] == "Учитель" and "ведёт «Математика» в 5А" in job.rows[1]["errors"][0]["message"]
    assert job.rows[3]["errors"][0]["column"] == "День недели"
    done = confirm(admin, school_a, job, "valid")
    assert done.counts["result"] == {"created": 2, "skipped": 2}
    use_school(school_a)
    assert TimetableEntry.objects.count() == 2
    again = upload(admin, school_a, "timetable", xlsx_bytes(timetable[:2]))
    assert again.rows[0]["status"] == "unchanged"
    moved = upload(admin, school_a, "timetable", xlsx_bytes([timetable[0], ["5А", "понедельник", 1, "Математика", "Петрова О.И.", "23"]]))
    assert moved.rows[0]["status"] == "update" and "каб. 21" in moved.rows[0]["notes"][0]


def test_namesakes_born_the_same_day_are_told_apart_by_login(school_a: Any, admin: Person, make_person: Any) -> None:
    """R-Y07, R-P02: two people of the district with the same full name and date of birth cannot be
    matched by them: the row asks for the login, and with the «Логин» column it finds the right one."""
    born = dt.date(2014, 1, 1)
    make_person("Иванов", "Пётр", patronymic="Иванович", birth_date=born, sex="m", login="ivanov.pi")
    make_person("Иванов", "Пётр", patronymic="Иванович", birth_date=born, sex="m", login="ivanov.pi2")
    job = upload(admin, school_a, "students", students_file(student_row(0)))
    assert job.rows[0]["errors"] == [{"column": "Логин", "value": "", "message": "Укажите логин, чтобы выбрать человека."}]
    job = upload(admin, school_a, "students", xlsx_bytes([[*STUDENT_HEADER, "Логин"], [*student_row(0), "ivanov.pi2"]]))
    assert job.rows[0]["status"] == "new" and "уже есть в районе" in job.rows[0]["notes"][0]
    confirm(admin, school_a, job)
    assert Enrolment.objects.get().student.login == "ivanov.pi2"


def test_another_schools_job_is_out_of_reach(school_a: Any, school_b: Any, admin: Person, make_person: Any, grant: Any,
                                             client_for: Any) -> None:
    """R-P01: a job lives in its school's schema: school B's administrator naming school A's job id
    under B's address finds nothing there, and under A's address is refused."""
    job = upload(admin, school_a, "students", students_file(student_row(0)), "список_альфа.xlsx")
    boss_b = make_person("Бобров", "Борис")
    grant(boss_b, R.SCHOOL_ADMIN, school_b)
    use_public()
    client = client_for(boss_b)
    for url in (f"/s/beta/import/jobs/{job.pk}/", f"/api/v1/schools/beta/import/jobs/{job.pk}/"):
        response = client.get(url)
        assert response.status_code == 404 and "список_альфа" not in response.content.decode()
    assert client.get(f"/s/alpha/import/jobs/{job.pk}/").status_code == 403
    confirmed = client.post(f"/api/v1/schools/beta/import/jobs/{job.pk}/confirm/", {"mode": "all"}, content_type="application/json")
    assert confirmed.status_code == 404
    use_school(school_a)
    assert ImportJob.objects.get(pk=job.pk).status == "ready"
