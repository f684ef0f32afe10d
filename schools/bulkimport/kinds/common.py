"""Spellings and lookups several kinds share: sex, class names, people by name."""

from __future__ import annotations

import re
from typing import Any

from ..schemas import Column, Row, norm, option_map

SEX = option_map([
    ("m", ["м", "м.", "муж", "мужской", "m", "male", "мальчик"]),
    ("f", ["ж", "ж.", "жен", "женский", "f", "female", "девочка"]),
])
SEX_LABEL = "м или ж"
SEX_TEXT = {"m": "м", "f": "ж"}

_CLASS_RE = re.compile(r"^\s*(\d{1,2})\s*[-–«\"' ]*\s*([А-ЯЁа-яё]{1,4})\s*[»\"']?\s*(?:кл(?:асс)?\.?)?\s*$")
_GRADE_RE = re.compile(r"^\s*(\d{1,2})\s*(?:-?[ыйя]+)?\s*(?:кл(?:асс)?\.?|параллель)?\s*$")


def parse_class_name(text: str) -> tuple[int, str] | None:
    """«5А», «5 А», «5-а», «11 «Б»» → (5, "А"); None when it is not a class name."""
    m = _CLASS_RE.match(text)
    if not m:
        return None
    grade = int(m.group(1))
    if not 1 <= grade <= 11:
        return None
    return grade, m.group(2).upper()


def parse_grade(text: str) -> int | None:
    """«5», «5 класс», «5-е классы» → 5 (a whole parallel)."""
    m = _GRADE_RE.match(text)
    if not m:
        return None
    grade = int(m.group(1))
    return grade if 1 <= grade <= 11 else None


def class_key(grade: int, letter: str) -> str:
    return f"{grade}{letter.upper()}"


def name_columns(prefix: str, title: str, *, required: bool, example: tuple[str, str, str], synonyms_of: str = "") -> list[Column]:
    """Surname, name and patronymic columns («Фамилия», or «Родитель 1: фамилия»…)."""
    def t(word: str) -> str:
        return f"{title}: {word}" if title else word.capitalize()

    extra = (lambda word: (f"{word} {synonyms_of}",)) if synonyms_of else (lambda word: ())
    return [
        Column(f"{prefix}surname", t("фамилия"), required=required, example=example[0], synonyms=extra("фамилия")),
        Column(f"{prefix}name", t("имя"), required=required, example=example[1], synonyms=extra("имя")),
        Column(f"{prefix}patronymic", t("отчество"), example=example[2], synonyms=extra("отчество"),
               hint="Если отчества нет — оставьте пустым."),
    ]


class PeopleIndex:
    """The school's staff found by full name, short name («Иванова М.П.») or login.
    Built once per import from one query."""

    def __init__(self, people: list[Any]) -> None:
        self._by: dict[str, list[Any]] = {}
        for person in people:
            keys = {norm(person.full_name), norm(person.short_name), norm(person.login)}
            for key in keys:
                bucket = self._by.setdefault(key, [])
                if person not in bucket:
                    bucket.append(person)

    def find(self, row: Row, key: str) -> Any | None:
        text = row.text(key, required=True)
        if not text:
            return None
        found = self._by.get(norm(text), [])
        if not found:
            row.error(key, "Нет такого сотрудника школы (ФИО полностью, «Фамилия И.О.» или логин).")
            return None
        if len(found) > 1:
            row.error(key, "Несколько сотрудников с таким именем: укажите логин.")
            return None
        return found[0]


def staff_index(school: Any) -> PeopleIndex:
    from accounts.selectors import staff_of_school

    people = {m.person_id: m.person for m in staff_of_school(school)}
    return PeopleIndex(list(people.values()))


def personal_columns(columns: list[Column]) -> tuple[list[Column], list[Column]]:
    """(accepted, refused): a personal-data column only when the school collects that
    field (roster's personal-data setting, R-A06; 001 §3.3 may forbid phones and addresses)."""
    from roster.selectors import collected_fields

    collected = set(collected_fields())
    return ([c for c in columns if not c.personal or c.personal in collected],
            [c for c in columns if c.personal and c.personal not in collected])


def person_fields(prefix: str) -> dict[str, str]:
    """accounts/roster service fields of a person -> the columns they come from."""
    return {name: f"{prefix}{name}" for name in ("surname", "name", "patronymic", "sex", "birth_date", "login")}


class ClassCache:
    """The open year's classes by name; a class the file names and the school lacks is
    created through roster.services.create_class (a new school imports its lists before
    typing its classes). A class made by a row is kept for later rows only if that row
    succeeds (its savepoint may be rolled back)."""

    def __init__(self) -> None:
        from roster.models import SchoolClass

        self.classes = {class_key(c.grade, c.letter): c for c in SchoolClass.objects.filter(year__status="open").select_related("year")}
        self._staged: dict[str, Any] = {}

    def get_or_create(self, actor: Any, school: Any, row: Row, grade: int, letter: str) -> Any:
        from roster.services import ClassData, create_class

        from .base import reported

        key = class_key(grade, letter)
        found = self.classes.get(key)
        if found is None:
            with reported(row, {"grade": "class", "letter": "class", "year": "class"}):
                found = create_class(actor, school, ClassData(grade=grade, letter=letter))
            row.notes.append(f"Класса {key} не было: он будет создан.")
            self._staged[key] = found
        return found

    def row_finished(self, ok: bool) -> None:
        if ok:
            self.classes.update(self._staged)
        self._staged = {}
