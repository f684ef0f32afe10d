"""XLSX files made by the platform: the empty template of a kind (with a filled-in sample
and the meaning of each column) and the export of a list. Both are written in openpyxl's
write-only mode, so memory stays flat whatever the number of rows, and an export has the
template's columns: it can be edited and imported back."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font, PatternFill
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from .kinds.base import Kind
from .schemas import Column

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_BOLD = Font(bold=True)
_REQUIRED = PatternFill("solid", fgColor="FFF2CC")


def _header(sheet: WriteOnlyWorksheet, columns: list[Column]) -> None:
    cells = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.title)
        cell.font = _BOLD
        if column.required:
            cell.fill = _REQUIRED
        cells.append(cell)
    sheet.append(cells)


def _widths(sheet: WriteOnlyWorksheet, columns: list[Column]) -> None:
    from openpyxl.utils import get_column_letter

    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, min(40, len(column.title) + 4))
    sheet.freeze_panes = "A2"


def _cell(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    if isinstance(value, dt.date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "DD.MM.YYYY"
        return cell
    if isinstance(value, str) and value.startswith("="):
        # Text typed into the platform stays text: never a formula in someone's spreadsheet.
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def _save(book: Workbook) -> bytes:
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def template_workbook(kind: Kind, columns: list[Column]) -> bytes:
    """Sheet 1 «Список»: the header only, to be filled in (the only sheet that is read).
    Sheet 2 «Образец»: the same header and an example row. Sheet 3 «Пояснения»."""
    book = Workbook(write_only=True)
    data = book.create_sheet("Список")
    _widths(data, columns)
    _header(data, columns)
    sample = book.create_sheet("Образец")
    _widths(sample, columns)
    _header(sample, columns)
    sample.append([column.example for column in columns])
    notes = book.create_sheet("Пояснения")
    notes.column_dimensions["A"].width = 36
    notes.column_dimensions["C"].width = 90
    notes.append([WriteOnlyCell(notes, value=t) for t in ("Столбец", "Обязательный", "Что писать")])
    for column in columns:
        notes.append([column.title, "да" if column.required else "", column.hint])
    notes.append([])
    for line in [
        "Загружается только первый лист («Список»); строка заголовков — первая.",
        "Порядок столбцов любой; лишние столбцы не загружаются (об этом будет предупреждение).",
        "Не объединяйте ячейки: у каждой строки должно быть своё значение.",
        "Даты — в формате ДД.ММ.ГГГГ или ячейкой-датой. Можно загрузить и CSV (UTF-8 или Windows-1251, «;» или «,»).",
        *kind.help_lines,
    ]:
        notes.append([line])
    return _save(book)


def export_workbook(columns: list[Column], rows: Iterable[list[Any]], title: str = "Список") -> bytes:
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    _widths(sheet, columns)
    _header(sheet, columns)
    for values in rows:
        sheet.append([_cell(sheet, v) for v in values])
    return _save(book)
