"""Real-looking spreadsheets for the import tests, generated on the fly (openpyxl and csv):
nothing large is kept in the repository."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook

STUDENT_HEADER = [
    "Класс", "Фамилия", "Имя", "Отчество", "Пол", "Дата рождения", "Номер приказа о зачислении",
    "Дата приказа о зачислении", "Родитель 1: кем приходится", "Родитель 1: фамилия", "Родитель 1: имя",
    "Родитель 1: отчество", "Родитель 1: дата рождения", "Родитель 1: e-mail",
    "Родитель 2: кем приходится", "Родитель 2: фамилия", "Родитель 2: имя", "Родитель 2: отчество",
    "Родитель 2: дата рождения",
]


FAMILIES = ["Иванов", "Петров", "Сидоров", "Смирнов", "Волков", "Соколов", "Морозов", "Лебедев", "Козлов", "Новиков",
            "Орлов", "Зайцев", "Белов", "Комаров", "Фёдоров", "Михайлов"]


def family_of(i: int) -> str:
    """A real-looking family name, distinct for each i (letters, not digits, past the list)."""
    base = FAMILIES[i % len(FAMILIES)]
    return base if i < len(FAMILIES) else base[:-2] + _suffix(i // len(FAMILIES)) + "ов"


def student_row(i: int, class_name: str = "5А", *, two_parents: bool = True) -> list[Any]:
    """A plausible student (distinct per i) with a mother and, usually, a father."""
    family = family_of(i)
    female = i % 2 == 1
    row: list[Any] = [
        class_name, family + ("а" if female else ""), "Мария" if female else "Пётр", "Ивановна" if female else "Иванович",
        "ж" if female else "м", dt.date(2014, 1, 1) + dt.timedelta(days=i % 700), "12-у", dt.date(2026, 8, 28),
        "мать", f"{family}а", "Анна", "Сергеевна", dt.date(1985, 1, 1) + dt.timedelta(days=i % 3000), f"parent{i}@example.ru",
    ]
    row += ["отец", family, "Иван", "Петрович", dt.date(1983, 1, 1) + dt.timedelta(days=i % 3000)] if two_parents else ["", "", "", "", ""]
    return row


def _suffix(i: int) -> str:
    letters = "абвгдежзиклмнопрстуфхцчшэюя"
    out = ""
    while i:
        i, r = divmod(i - 1, len(letters))
        out = letters[r] + out
    return out


def xlsx_bytes(rows: Iterable[Sequence[Any]], *, merged: Sequence[str] = (), empty_tail: int = 0,
               title_rows: Sequence[str] = ()) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Список"
    for title in title_rows:
        sheet.append([title])
    for values in rows:
        sheet.append(list(values))
    last = sheet.max_row
    for n in range(empty_tail):
        # Formatted but empty rows, as a spreadsheet program leaves them.
        sheet.cell(row=last + 1 + n, column=1).number_format = "@"
    for ref in merged:
        sheet.merge_cells(ref)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: Iterable[Sequence[Any]], *, encoding: str = "utf-8", delimiter: str = ";", bom: bool = False) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    for values in rows:
        writer.writerow([f"{v:%d.%m.%Y}" if isinstance(v, dt.date) else ("" if v is None else v) for v in values])
    data = buffer.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data
