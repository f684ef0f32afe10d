"""Reading a spreadsheet (XLSX or CSV) into rows of cell values, within limits.

What is refused, and where:
* a file larger than BULKIMPORT_MAX_BYTES (10 MB) is refused from its size alone, before
  a byte of it is read (the upload views also check Content-Length before parsing);
* an old binary .xls, an OpenDocument or anything that is neither a ZIP (XLSX) nor text;
* an XLSX whose unpacked size is absurd (a "zip bomb"), more than BULKIMPORT_MAX_ROWS
  non-empty rows, merged cells touching the header or the data (the error names the
  ranges: a merged range has one value for several rows, and guessing which row it
  belongs to would import wrong data silently; title rows above the header may be merged);
* a CSV that is neither UTF-8 (with or without BOM) nor Windows-1251.
Empty rows anywhere (e.g. 10,000 formatted but empty rows at the end) are skipped without
being stored. Only the first worksheet of a workbook is read.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
DEFAULT_MAX_ROWS = 20_000
# An XLSX unpacks to ~5–20 times its size; beyond this it is a zip bomb, not a class list.
UNPACKED_RATIO = 40
XLSX_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls (and .doc)
DELIMITERS = (";", ",", "\t")


class ReadError(Exception):
    """The file as a whole cannot be read; `message` is shown to the user (Russian)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def max_bytes() -> int:
    return int(getattr(settings, "BULKIMPORT_MAX_BYTES", DEFAULT_MAX_BYTES))


def max_rows() -> int:
    return int(getattr(settings, "BULKIMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".replace(".", ",").replace(",0", "")


def check_size(size: int) -> None:
    """Refuses a file by its declared size (nothing is read)."""
    limit = max_bytes()
    if size > limit:
        raise ReadError(
            f"Файл слишком большой: {_megabytes(size)} МБ, допускается не больше {_megabytes(limit)} МБ. "
            "Разбейте список на несколько файлов (например, по параллелям)."
        )


@dataclass
class Table:
    """The non-empty rows of a sheet: (spreadsheet row number, cell values)."""

    rows: list[tuple[int, list[Any]]]
    file_format: str  # "xlsx" | "csv"
    encoding: str = ""
    delimiter: str = ""
    merged: list[tuple[str, int, int]] = field(default_factory=list)  # (range, first row, last row)


def read_table(path: str | os.PathLike[str]) -> Table:
    """Reads a stored file. Size first (from the file system), then the format from the
    first bytes, not from the name the user gave it."""
    check_size(os.stat(path).st_size)
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(XLSX_MAGIC):
        return _read_xlsx(path)
    if head.startswith(OLE_MAGIC):
        raise ReadError("Формат .xls (Excel 97–2003) не поддерживается: сохраните файл как .xlsx или .csv.")
    with open(path, "rb") as fh:
        raw = fh.read()
    return _read_csv(raw)


def _is_empty(values: list[Any] | tuple[Any, ...]) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in values)


def _too_many_rows() -> ReadError:
    limit = f"{max_rows():,}".replace(",", " ")
    return ReadError(f"В файле больше {limit} строк с данными; разбейте его на несколько файлов.")


# --- XLSX --------------------------------------------------------------------------------

def _read_xlsx(path: str | os.PathLike[str]) -> Table:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile as exc:
        raise ReadError("Файл повреждён или это не книга Excel (.xlsx).") from exc
    if unpacked > UNPACKED_RATIO * max_bytes():
        raise ReadError("Файл распаковывается в слишком большой объём: это не похоже на список. Сохраните его заново.")
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged or foreign file
        raise ReadError("Не удалось открыть книгу Excel: файл повреждён или это не .xlsx.") from exc
    try:
        if not workbook.worksheets:
            raise ReadError("В книге нет листов.")
        sheet: Any = workbook.worksheets[0]
        # Trust the rows in the file, not its declared dimension: a sheet may claim a million
        # rows, and padding up to them would cost time for nothing.
        sheet.reset_dimensions()
        rows: list[tuple[int, list[Any]]] = []
        limit = max_rows()
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            if _is_empty(values):
                continue
            if len(rows) > limit:  # the header row is one of them
                raise _too_many_rows()
            rows.append((number, list(values)))
        merged = _merged_ranges(path, sheet)
    finally:
        workbook.close()
    return Table(rows=rows, file_format="xlsx", merged=merged)


_MERGE_RE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?"')


def _merged_ranges(path: str | os.PathLike[str], sheet: Any) -> list[tuple[str, int, int]]:
    """Merged ranges of the sheet. openpyxl's read-only mode does not report them, and
    they sit at the end of the sheet's XML, so the XML is scanned for them as bytes, in
    chunks (no tree, no memory growth)."""
    member = getattr(sheet, "_worksheet_path", None)  # openpyxl keeps no public name for it
    if not member:
        return []
    found: list[tuple[str, int, int]] = []
    tail = b""
    with zipfile.ZipFile(path) as archive, archive.open(member) as xml:
        while chunk := xml.read(1 << 20):
            data = tail + chunk
            last_end = 0
            for m in _MERGE_RE.finditer(data):
                first_col, first_row, last_col, last_row = (g.decode() if g else "" for g in m.groups())
                ref = f"{first_col}{first_row}:{last_col}{last_row}" if last_col else f"{first_col}{first_row}"
                found.append((ref, int(first_row), int(last_row or first_row)))
                last_end = m.end()
            # Keep the unfinished end of this chunk: a tag may be split between two reads.
            tail = data[max(last_end, len(data) - 512):]
    return found


# --- CSV ----------------------------------------------------------------------------------

_UTF8_CYRILLIC = re.compile(rb"[\xd0\xd1][\x80-\xbf]")


def decode_text(raw: bytes) -> tuple[str, str]:
    """UTF-8 (with or without BOM) first, then Windows-1251. Returns (text, encoding)."""
    if b"\x00" in raw[:4096]:
        raise ReadError("Файл не похож на текст CSV (возможно, UTF-16): сохраните его как CSV в UTF-8 или Windows-1251.")
    try:
        return raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        failed_at = exc.start
    # Valid UTF-8 Cyrillic before the failure: a damaged UTF-8 file, not a Windows-1251 one
    # (where a Cyrillic letter breaks UTF-8 at the very first one).
    if len(_UTF8_CYRILLIC.findall(raw[:failed_at])) >= 3:
        line = raw[:failed_at].count(b"\n") + 1
        raise ReadError(
            f"Файл в кодировке UTF-8 повреждён: в строке {line} неверная последовательность байтов. "
            "Сохраните файл заново (CSV UTF-8 или Windows-1251)."
        )
    try:
        return raw.decode("cp1251"), "windows-1251"
    except UnicodeDecodeError as exc:
        raise ReadError("Не удалось определить кодировку файла: сохраните его как CSV в UTF-8 или Windows-1251.") from exc


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first non-empty line into the most cells (outside quotes)."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    best, best_count = ";", -1
    for delimiter in DELIMITERS:
        count = len(next(csv.reader([first], delimiter=delimiter), []))
        if count > best_count:
            best, best_count = delimiter, count
    return best


def _read_csv(raw: bytes) -> Table:
    text, encoding = decode_text(raw)
    del raw
    delimiter = sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, list[Any]]] = []
    limit = max_rows()
    try:
        for number, values in enumerate(reader, start=1):
            if _is_empty(values):
                continue
            if len(rows) > limit:
                raise _too_many_rows()
            rows.append((number, values))
    except csv.Error as exc:
        raise ReadError(f"Файл CSV повреждён: {exc}.") from exc
    return Table(rows=rows, file_format="csv", encoding=encoding, delimiter=delimiter)


# --- cell values ------------------------------------------------------------------------------

def cell_text(value: Any) -> str:
    """A cell as text: numbers without a useless ".0", dates as dd.mm.yyyy, spaces trimmed."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "да" if value else "нет"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, dt.date):
        return f"{value:%d.%m.%Y}"
    return " ".join(str(value).replace("\u00a0", " ").split())


_DATE_FORMATS = ("%d.%m.%Y", "%d.%m.%y", "%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y")


def cell_date(value: Any) -> dt.date | None:
    """A date from a date cell, an Excel serial number or text (dd.mm.yyyy, yyyy-mm-dd…).
    Raises ValueError when the value is there but is not a date."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 1 <= value < 2958466:
        from openpyxl.utils.datetime import from_excel

        return from_excel(value).date()  # type: ignore[no-any-return]
    text = cell_text(value).split(" ")[0]
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(value)
