"""Password rules per OWASP ASVS 4.0.3 level 2 (V2.1): length, not composition.

Staff need at least 12 characters. Families (parents, students, young children among
them) need at least 8; ASVS's 12 applies to the accounts that see other people's data.
Common and guessable passwords are refused whatever their length.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError

STAFF_MIN = 12
FAMILY_MIN = 8
MAX_LENGTH = 128

_SEQUENCES = (
    "abcdefghijklmnopqrstuvwxyz",
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "01234567890",
    "qwertyuiop", "asdfghjkl", "zxcvbnm",
    "йцукенгшщзхъ", "фывапролджэ", "ячсмитьбю",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
)
_WORDS = ("password", "пароль", "qwerty", "zhurnal", "журнал", "школа", "school", "dnevnik", "дневник", "admin", "parol", "gfhjkm")


def _is_staff(user: Any) -> bool:
    if user is None or getattr(user, "pk", None) is None:
        return True  # when unknown, the stricter rule
    from .selectors import is_staff_person

    return is_staff_person(user)


class RoleAwareLengthValidator:
    def validate(self, password: str, user: Any = None) -> None:
        minimum = STAFF_MIN if _is_staff(user) else FAMILY_MIN
        if len(password) < minimum:
            raise ValidationError(f"Пароль слишком короткий: нужно не меньше {minimum} символов.", code="password_too_short")
        if len(password) > MAX_LENGTH:
            raise ValidationError(f"Пароль слишком длинный: не больше {MAX_LENGTH} символов.", code="password_too_long")

    def get_help_text(self) -> str:
        return f"Не меньше {STAFF_MIN} символов для сотрудников и {FAMILY_MIN} для семей; можно фразу из нескольких слов."


class GuessablePasswordValidator:
    """Refuses what a breach list would contain: keyboard runs, repeats, a common word
    with a few digits around it."""

    def validate(self, password: str, user: Any = None) -> None:
        lowered = password.lower()
        core = lowered.strip("0123456789!@#$%^&*()_-+=.,? ")
        if len(set(lowered)) <= 3:
            raise ValidationError("Пароль из повторяющихся символов легко подобрать.", code="password_repetitive")
        for seq in _SEQUENCES:
            if len(lowered) >= 6 and (lowered in seq or lowered in seq[::-1] or lowered in seq * 2):
                raise ValidationError("Пароль — ряд клавиш или букв подряд; его легко подобрать.", code="password_sequence")
        for word in _WORDS:
            if core == word or (word in lowered and len(lowered) - len(word) <= 4):
                raise ValidationError("Пароль слишком распространён.", code="password_common")

    def get_help_text(self) -> str:
        return "Не используйте ряды клавиш, повторы и распространённые слова."
