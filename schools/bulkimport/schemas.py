"""What a kind of list looks like in a spreadsheet: its columns (Russian titles, a few
accepted synonyms), how the header row is found and matched, and the per-row value
accessors that collect errors with the row number, the column and the value."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from core.errors import DomainError

from .readers import ReadError, Table, cell_date, cell_text

HEADER_SEARCH_ROWS = 10  # a title or two above the header is common in school files


def norm(title: Any) -> str:
    """A column title compared case-, space- and punctuation-insensitively (ё = е)."""
    return re.sub(r"[^0-9a-zа-я]", "", cell_text(title).casefold().replace("ё", "е"))


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    required: bool = False
    synonyms: tuple[str, ...] = ()
    example: str = ""
    hint: str = ""
    # "phone" | "address" | "email" | "snils": offered only when the school collects it (R-A06).
    personal: str = ""

    def names(self) -> set[str]:
        return {norm(self.title), *(norm(s) for s in self.synonyms)}


@dataclass
class Header:
    row_number: int
    positions: dict[str, int]  # column key -> index in the row
    titles: dict[str, str]  # column key -> the title as written in the file
    unknown: list[str] = field(default_factory=list)


def match_header(table: Table, columns: list[Column], refused: list[Column]) -> tuple[Header, list[tuple[int, list[Any]]]]:
    """Finds the header row, maps it onto the kind's columns and returns it with the data
    rows below it. Raises ReadError with one message naming every problem of the header."""
    known: dict[str, Column] = {}
    for column in [*columns, *refused]:
        for name in column.names():
            known.setdefault(name, column)
    header_at = None
    for index, (_, values) in enumerate(table.rows[:HEADER_SEARCH_ROWS]):
        hits = {known[norm(v)].key for v in values if norm(v) in known}
        if len(hits) >= min(2, len(columns)):
            header_at = index
            break
    required = [c for c in columns if c.required]
    if header_at is None:
        raise ReadError(
            "Не найдена строка с названиями столбцов. В первой строке таблицы должны быть столбцы: "
            + ", ".join(f"«{c.title}»" for c in required) + ". Скачайте шаблон и сравните."
        )
    row_number, values = table.rows[header_at]
    positions: dict[str, int] = {}
    titles: dict[str, str] = {}
    unknown: list[str] = []
    duplicates: list[str] = []
    refused_found: list[str] = []
    refused_keys = {c.key for c in refused}
    for index, value in enumerate(values):
        title = cell_text(value)
        if not title:
            continue
        found = known.get(norm(title))
        if found is None:
            unknown.append(title)
        elif found.key in refused_keys:
            refused_found.append(title)
        elif found.key in positions:
            duplicates.append(title)
        else:
            positions[found.key] = index
            titles[found.key] = title
    problems: list[str] = []
    if refused_found:
        problems.append(
            "Школа не собирает эти персональные данные (настройка состава персональных данных), "
            "удалите столбцы из файла: " + ", ".join(f"«{t}»" for t in refused_found) + "."
        )
    missing = [c for c in required if c.key not in positions]
    if missing:
        problems.append("Нет обязательных столбцов: " + ", ".join(f"«{c.title}»" for c in missing) + ".")
    if duplicates:
        problems.append("Столбцы повторяются: " + ", ".join(f"«{t}»" for t in duplicates) + ".")
    merged = [ref for ref, _first, last in table.merged if last >= row_number]
    if merged:
        shown = ", ".join(merged[:10]) + (f" и ещё {len(merged) - 10}" if len(merged) > 10 else "")
        problems.append(
            f"В таблице есть объединённые ячейки: {shown}. Разъедините их, чтобы у каждой строки "
            "было своё значение, и загрузите файл снова."
        )
    if problems:
        raise ReadError(" ".join(problems))
    return Header(row_number, positions, titles, unknown), table.rows[header_at + 1:]


class Row:
    """One data row. Accessors return typed values and record an error per bad cell, so
    that every problem of the row is reported at once, not only the first."""

    def __init__(self, number: int, values: list[Any], header: Header, columns: dict[str, Column]) -> None:
        self.number = number
        self._values = values
        self._header = header
        self._columns = columns
        self.errors: list[dict[str, str]] = []
        self.notes: list[str] = []

    def title(self, key: str) -> str:
        return self._header.titles.get(key) or self._columns[key].title

    def has(self, key: str) -> bool:
        return key in self._header.positions

    def raw(self, key: str) -> Any:
        index = self._header.positions.get(key)
        if index is None or index >= len(self._values):
            return None
        return self._values[index]

    def error(self, key: str | None, message: str, value: Any = None) -> None:
        column = self.title(key) if key else ""
        shown = cell_text(self.raw(key) if value is None and key else value)
        self.errors.append({"column": column, "value": shown, "message": message})

    def text(self, key: str, *, required: bool = False, max_length: int = 0) -> str:
        value = cell_text(self.raw(key))
        if required and not value:
            self.error(key, "Обязательное поле не заполнено.")
        elif max_length and len(value) > max_length:
            self.error(key, f"Слишком длинно: не больше {max_length} знаков.")
            value = value[:max_length]
        return value

    def date(self, key: str, *, required: bool = False, past: bool = False) -> dt.date | None:
        try:
            value = cell_date(self.raw(key))
        except ValueError:
            self.error(key, "Не дата: ожидается ДД.ММ.ГГГГ, например 01.09.2026.")
            return None
        if value is None and required:
            self.error(key, "Обязательное поле не заполнено.")
        if value is not None and past and value > dt.date.today():
            self.error(key, "Дата ещё не наступила.")
        return value

    def choice(self, key: str, options: dict[str, str], *, required: bool = False, label: str = "") -> str:
        """A value from a closed list, given in any of its spellings (`options`: spelling -> value)."""
        text = cell_text(self.raw(key))
        if not text:
            if required:
                self.error(key, "Обязательное поле не заполнено.")
            return ""
        value = options.get(norm(text))
        if value is None:
            self.error(key, f"Допустимо: {label or ', '.join(sorted(set(options)))}.")
            return ""
        return value

    def integer(self, key: str, *, required: bool = False, low: int | None = None, high: int | None = None) -> int | None:
        text = cell_text(self.raw(key))
        if not text:
            if required:
                self.error(key, "Обязательное поле не заполнено.")
            return None
        try:
            value = int(text)
        except ValueError:
            self.error(key, "Ожидается целое число.")
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            self.error(key, f"Ожидается число от {low} до {high}.")
            return None
        return value

    def decimal(self, key: str, *, required: bool = False) -> Decimal | None:
        text = cell_text(self.raw(key)).replace(",", ".")
        if not text:
            if required:
                self.error(key, "Обязательное поле не заполнено.")
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:
            self.error(key, "Ожидается число, например 2 или 1,5.")
            return None
        if not value.is_finite():
            self.error(key, "Ожидается число, например 2 или 1,5.")
            return None
        return value

    def service_error(self, exc: DomainError, fields: dict[str, str] | None = None, default: str | None = None) -> None:
        """A service's refusal, put on the columns its fields came from (`fields`:
        service field -> column key); what maps to no column goes on `default`, or on the row."""
        fields = fields or {}
        placed = False
        for name, messages in (exc.fields or {}).items():
            key = fields.get(name)
            if key and key in self._columns:
                for message in messages:
                    self.error(key, message)
                placed = True
        if not placed:
            self.error(default if default in self._columns else None, exc.message)


def option_map(pairs: Iterable[tuple[str, Iterable[str]]]) -> dict[str, str]:
    """{normalised spelling: value} for Row.choice."""
    result: dict[str, str] = {}
    for value, spellings in pairs:
        for spelling in spellings:
            result[norm(spelling)] = value
    return result
