"""Templates and exports of a school's lists as XLSX (R-Y07): each kind's template has its
columns (personal-data columns only when the school collects them, R-A06), a sample row and
the meaning of each column; an export has the template's columns, so it imports back
unchanged; exports cost a constant number of queries and are audited."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from openpyxl import load_workbook

from accounts.models import Person
from accounts.roles import Role
from audit.models import AuditRecord
from roster.models import PersonalDataSettings, SchoolClass
from tenants.db import use_public, use_school
from tests.conftest import make_class
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

pytestmark = pytest.mark.django_db
R = Role


@pytest.fixture(autouse=True)
def _media(media_in_tmp: None) -> None:
    """Uploads stored under the test's tmp_path."""


def sheet_rows(content: bytes, sheet: int = 0) -> list[list[Any]]:
    book = load_workbook(io.BytesIO(content), read_only=True)
    rows = [list(r) for r in book.worksheets[sheet].iter_rows(values_only=True)]
    book.close()
    return rows


@pytest.mark.parametrize("kind", ["students", "staff", "curriculum", "load", "timetable"])
def test_template_of_each_kind(school_a: Any, admin: Person, client_for: Any, kind: str) -> None:
    """R-Y07: the template's first sheet is the header to fill in (the only sheet read), the
    second a filled-in sample, the third what each column means; it uploads as a valid empty list."""
    response = client_for(admin).get(f"/api/v1/schools/alpha/import/templates/{kind}/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment; filename*=UTF-8''" in response["Content-Disposition"]
    content = response.content
    book = load_workbook(io.BytesIO(content), read_only=True)
    assert book.sheetnames == ["Список", "Образец", "Пояснения"]
    book.close()
    header = sheet_rows(content)[0]
    sample = sheet_rows(content, 1)
    assert sample[0] == header and len(sample) == 2 and any(sample[1])
    assert [r[0] for r in sheet_rows(content, 2)[1:len(header) + 1]] == header
    job = upload(admin, school_a, kind, content, "template.xlsx")
    assert job.status == "rejected" and "нет ни одной строки с данными" in job.message  # header recognised, no rows


def test_student_template_follows_the_personal_data_setting(school_a: Any, admin: Person, client_for: Any) -> None:
    """R-A06: phone and address columns appear in the template only when the school collects them."""
    client = client_for(admin)
    header = sheet_rows(client.get("/api/v1/schools/alpha/import/templates/students/").content)[0]
    assert "Родитель 1: e-mail" in header
    assert not any("телефон" in h or "Адрес" in h for h in header)
    use_school(school_a)
    PersonalDataSettings.objects.update_or_create(pk=1, defaults={"collect_phone": True, "collect_address": True, "collect_email": False})
    use_public()
    header = sheet_rows(client.get("/api/v1/schools/alpha/import/templates/students/").content)[0]
    assert "Родитель 1: телефон" in header and "Адрес проживания" in header and "Родитель 1: e-mail" not in header


def _import_students(school: Any, actor: Person, count: int, class_name: str = "5А", start: int = 0) -> None:
    rows = [student_row(i, class_name) for i in range(start, start + count)]
    job = upload(actor, school, "students", xlsx_bytes([STUDENT_HEADER, *rows]))
    assert job.status == "ready", job.message
    assert confirm(actor, school, job).status == "done"


def test_students_export_imports_back_unchanged(school_a: Any, admin: Person, client_for: Any) -> None:
    """R-Y07: the whole school's or one class's students with their parents; the exported file,
    uploaded again, is «без изменений» in every row."""
    _import_students(school_a, admin, 3)
    use_school(school_a)
    make_class(6, "Б")
    use_public()
    job = upload(admin, school_a, "students", xlsx_bytes([STUDENT_HEADER, student_row(7, "6Б")]))
    confirm(admin, school_a, job)
    client = client_for(admin)
    whole = client.get("/api/v1/schools/alpha/import/export/students/")
    assert whole.status_code == 200
    rows = sheet_rows(whole.content)
    assert [r[:3] for r in rows[1:]] == [["5А", "Иванов", "Пётр"], ["5А", "Петрова", "Мария"], ["5А", "Сидоров", "Пётр"],
                                         ["6Б", "Лебедева", "Мария"]]
    header = rows[0]
    first = dict(zip(header, rows[1], strict=True))
    assert first["Дата рождения"] == dt.datetime(2014, 1, 1) and first["Номер приказа о зачислении"] == "12-у"
    assert (first["Родитель 1: кем приходится"], first["Родитель 1: фамилия"], first["Родитель 1: e-mail"]) == (
        "мать", "Иванова", "parent0@example.ru")
    assert (first["Родитель 2: кем приходится"], first["Родитель 2: фамилия"]) == ("отец", "Иванов")
    use_school(school_a)
    six_b = SchoolClass.objects.get(grade=6, letter="Б")
    use_public()
    one = client.get(f"/api/v1/schools/alpha/import/export/students/?class={six_b.pk}")
    assert [r[:2] for r in sheet_rows(one.content)[1:]] == [["6Б", "Лебедева"]]
    assert "6%D0%91" in one["Content-Disposition"]  # «… 6Б …» in the file name
    again = upload(admin, school_a, "students", whole.content, "export.xlsx")
    assert again.status == "ready", again.message
    assert again.counts == {"unchanged": 4}
    assert AuditRecord.objects.filter(action="import.export", school=school_a, actor=admin).count() == 2


def test_staff_curriculum_load_and_timetable_exports(school_a: Any, admin: Person, client_for: Any) -> None:
    """R-Y07: each set-up list exports in its template's columns and imports back unchanged."""
    setup_timetable_basics(school_a, admin)
    confirm(admin, school_a, upload(admin, school_a, "staff", xlsx_bytes([
        STAFF_HEADER, staff_row("Петрова", "Ольга", "Ивановна", "учитель математики", "учитель; классный руководитель 5А")])))
    confirm(admin, school_a, upload(admin, school_a, "curriculum", xlsx_bytes([
        ["Класс", "Предмет", "Часов в неделю"], ["5", "Математика", "5"], ["5А", "Музыка", "1"]])))
    confirm(admin, school_a, upload(admin, school_a, "load", xlsx_bytes([
        ["Учитель", "Предмет", "Класс", "Часов в неделю"], ["Петрова О.И.", "Математика", "5А", "5"]])))
    confirm(admin, school_a, upload(admin, school_a, "timetable", xlsx_bytes([
        ["Класс", "День недели", "Номер урока", "Предмет", "Учитель", "Кабинет"], ["5А", "вторник", 2, "Математика", "Петрова О.И.", "21"]])))
    client = client_for(admin)
    exported = {kind: client.get(f"/api/v1/schools/alpha/import/export/{kind}/").content
                for kind in ("staff", "curriculum", "load", "timetable")}
    staff = sheet_rows(exported["staff"])
    by_surname = {row[0]: dict(zip(staff[0], row, strict=True)) for row in staff[1:]}
    assert by_surname["Петрова"]["Роли"] == "учитель; классный руководитель 5А"
    assert by_surname["Петрова"]["Должность"] == "учитель математики"
    # The administrator was given a role without a staff card: the export shows the gap.
    assert by_surname["Волкова"]["Роли"] == "администратор ЭЖ" and by_surname["Волкова"]["Должность"] is None
    assert [r[:4] for r in sheet_rows(exported["curriculum"])[1:]] == [
        ["5А", "Математика", "обязательная", "5"], ["5А", "Музыка", "обязательная", "1"], ["5Б", "Математика", "обязательная", "5"]]
    assert sheet_rows(exported["load"])[1] == ["Петрова Ольга Ивановна", "Математика", "5А", None, "5"]
    assert sheet_rows(exported["timetable"])[1][:6] == ["5А", "вторник", 2, "Математика", "Петрова Ольга Ивановна", "21"]
    for kind, content in exported.items():
        job = upload(admin, school_a, kind, content, f"{kind}.xlsx")
        assert job.status == "ready", (kind, job.message)
        if kind == "staff":
            assert [r["status"] for r in job.rows] == ["error", "unchanged"]
            assert {e["column"] for e in job.rows[0]["errors"]} == {"Дата рождения", "Пол", "Должность"}
        else:
            assert set(job.counts) == {"unchanged"}, (kind, job.rows)


def test_export_costs_the_same_queries_for_few_and_many_students(school_a: Any, admin: Person, client_for: Any,
                                                                django_assert_max_num_queries: Any) -> None:
    """R-Y07: an export reads its list in a constant number of queries."""
    client = client_for(admin)
    _import_students(school_a, admin, 2)
    client.get("/api/v1/schools/alpha/import/export/students/")
    with django_assert_max_num_queries(25) as few:
        client.get("/api/v1/schools/alpha/import/export/students/")
    _import_students(school_a, admin, 30, "5Б", start=100)
    with django_assert_max_num_queries(len(few)):
        response = client.get("/api/v1/schools/alpha/import/export/students/")
    assert len(sheet_rows(response.content)) == 33


def test_import_page_and_school_tile(school_a: Any, admin: Person, client_for: Any, make_person: Any, grant: Any) -> None:
    """R-Y07: the school home shows the import tile to those who may import; the import page
    offers each kind's template and export."""
    teacher = make_person("Клестова", "Тамара")
    grant(teacher, R.TEACHER, school_a)
    assert 'data-testid="tile-import"' not in client_for(teacher).get("/s/alpha/").content.decode()
    client = client_for(admin)
    assert 'data-testid="tile-import"' in client.get("/s/alpha/").content.decode()
    page = client.get("/s/alpha/import/").content.decode()
    for kind in ("students", "staff", "curriculum", "load", "timetable"):
        assert f'href="/api/v1/schools/alpha/import/templates/{kind}/"' in page
    assert 'action="/api/v1/schools/alpha/import/export/students/"' in page


def test_exported_text_never_becomes_a_formula() -> None:
    """R-Y07: a value typed into the platform that starts with «=» is exported as text, so an
    export opened in a spreadsheet program runs nothing."""
    from bulkimport.schemas import Column
    from bulkimport.templates_xlsx import export_workbook

    content = export_workbook([Column("surname", "Фамилия")], [['=HYPERLINK("http://example.com","Иванов")']])
    book = load_workbook(io.BytesIO(content))
    cell = book.worksheets[0]["A2"]
    assert cell.data_type == "s" and cell.value == '=HYPERLINK("http://example.com","Иванов")'
