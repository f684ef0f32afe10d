"""The КТП (calendar-thematic plan) from a spreadsheet (R-J13): one sheet with the columns
№, Тема, Часы, Дата, Вид работы. Every row is checked first and every error is reported with
its row number in Russian; nothing is written unless the whole file is right (pretix's
modelimport). `ktp.save_plan` does the writing, with its own rights and checks."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from core.errors import ValidationFailed

from .ktp import TopicData, save_plan
from .models import WorkType

if TYPE_CHECKING:
    from accounts.models import Person
    from curriculum.models import Subject
    from roster.models import SchoolClass, Subgroup
    from tenants.models import School

    from .models import KtpPlan

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 400
MAX_HOURS = 40
COLUMNS = ("№", "Тема", "Часы", "Дата", "Вид работы")
# Header spellings teachers use, lower-cased, for each column.
_HEADERS = {
    "number": {"№", "n", "no", "номер", "№ п/п", "n п/п", "#"},
    "title": {"тема", "тема урока", "название темы"},
    "hours": {"часы", "часов", "кол-во часов", "количество часов", "ч"},
    "date": {"дата", "плановая дата", "дата проведения"},
    "work_type": {"вид работы", "вид", "тип работы", "форма контроля"},
}


@dataclass(frozen=True)
class ParsedPlan:
    topics: list[TopicData]
    rows: int


def _fail(errors: list[str]) -> ValidationFailed:
    return ValidationFailed(errors[0] if len(errors) == 1 else f"В файле ошибок: {len(errors)}. Ничего не загружено.",
                            code="ktp_import", fields={"file": errors})


def _read_rows(source: bytes | IO[bytes]) -> list[tuple[Any, ...]]:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    data = source if isinstance(source, bytes) else source.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _fail(["Файл больше 2 МБ."])
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, OSError, ValueError, KeyError) as exc:
        raise _fail(["Файл не читается как таблица XLSX (Excel, LibreOffice: «Сохранить как… .xlsx»)."]) from exc
    try:
        sheet = book.worksheets[0]
        return [tuple(row) for row in sheet.iter_rows(values_only=True, max_row=MAX_ROWS + 2)]
    finally:
        book.close()


def _columns(header: tuple[Any, ...]) -> dict[str, int]:
    found: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = " ".join(str(cell or "").split()).lower()
        for key, spellings in _HEADERS.items():
            if name in spellings and key not in found:
                found[key] = index
    return found


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    return int(text) if text.isdecimal() else None


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in ("%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def parse_plan(source: bytes | IO[bytes], school_class: SchoolClass) -> ParsedPlan:
    """The topics of the file, or ValidationFailed listing every bad row («Строка 7: …»)."""
    rows = _read_rows(source)
    if not rows:
        raise _fail(["Файл пуст: нужна строка заголовков «№, Тема, Часы, Дата, Вид работы» и строки тем."])
    cols = _columns(rows[0])
    if "title" not in cols:
        raise _fail(["В первой строке нет столбца «Тема». Ожидаются столбцы: " + ", ".join(COLUMNS) + "."])
    if len(rows) > MAX_ROWS + 1:
        raise _fail([f"Больше {MAX_ROWS} строк: разделите план."])
    work_types = {}
    for wt in WorkType.objects.filter(is_active=True):
        work_types[wt.name.lower()] = wt.pk
        if wt.short_name:
            work_types.setdefault(wt.short_name.lower(), wt.pk)
    year = school_class.year
    errors: list[str] = []
    topics: list[TopicData] = []
    seen: dict[int, int] = {}
    next_number = 1

    def cell(row: tuple[Any, ...], key: str) -> Any:
        index = cols.get(key)
        return row[index] if index is not None and index < len(row) else None

    for line, row in enumerate(rows[1:], start=2):
        if all(v is None or str(v).strip() == "" for v in row):
            continue
        row_errors: list[str] = []
        raw_number = cell(row, "number")
        number = next_number if raw_number in (None, "") else _int(raw_number)
        if number is None or number < 1:
            row_errors.append(f"номер «{raw_number}» — не целое положительное число")
        elif number in seen:
            row_errors.append(f"номер {number} уже был в строке {seen[number]}")
        title = " ".join(str(cell(row, "title") or "").split())
        if not title:
            row_errors.append("пустая тема")
        elif len(title) > 500:
            row_errors.append("тема длиннее 500 знаков")
        raw_hours = cell(row, "hours")
        hours = 1 if raw_hours in (None, "") else _int(raw_hours)
        if hours is None or not 1 <= hours <= MAX_HOURS:
            row_errors.append(f"часы «{raw_hours}» — целое число от 1 до {MAX_HOURS}")
        raw_date = cell(row, "date")
        planned = None if raw_date in (None, "") else _date(raw_date)
        if raw_date not in (None, "") and planned is None:
            row_errors.append(f"дата «{raw_date}» не распознана (ДД.ММ.ГГГГ)")
        elif planned is not None and not year.starts_on <= planned <= year.ends_on:
            row_errors.append(f"дата {planned:%d.%m.%Y} вне учебного года {year.name}")
        raw_type = " ".join(str(cell(row, "work_type") or "").split())
        work_type_id = work_types.get(raw_type.lower()) if raw_type else None
        if raw_type and work_type_id is None:
            row_errors.append(f"вид работы «{raw_type}» не найден в справочнике школы")
        if row_errors:
            errors.append(f"Строка {line}: " + "; ".join(row_errors) + ".")
            continue
        assert number is not None and hours is not None
        seen[number] = line
        next_number = number + 1
        topics.append(TopicData(number=number, title=title, hours=hours, planned_date=planned, work_type_id=work_type_id))
    if not topics and not errors:
        errors.append("В файле нет ни одной темы.")
    if errors:
        raise _fail(errors)
    return ParsedPlan(topics=topics, rows=len(topics))


def import_plan(actor: Person, school: School, *, school_class: SchoolClass, subject: Subject,
                source: bytes | IO[bytes], subgroup: Subgroup | None = None) -> KtpPlan:
    """Parses the whole file, then replaces the plan's topics (of the class, or of one subgroup) in
    one transaction (ktp.save_plan)."""
    from .ktp import _may_edit

    _may_edit(actor, school, school_class, subject, subgroup)  # outsiders learn nothing from parsing
    parsed = parse_plan(source, school_class)
    return save_plan(actor, school, school_class=school_class, subject=subject, topics=parsed.topics, subgroup=subgroup)


def template_workbook() -> bytes:
    """An empty plan with the expected header and one example row."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "КТП"
    sheet.append(list(COLUMNS))
    sheet.append([1, "Вводный урок", 1, None, "Ответ на уроке"])
    for column, width in zip("ABCDE", (6, 60, 8, 12, 24), strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
