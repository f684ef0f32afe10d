"""The regulations' rules for the journal, in one place, so every write path applies them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from core.errors import DomainError, ValidationFailed

from .models import JournalSettings, MarkKind


class JournalLocked(DomainError):
    status = 409
    code = "journal_locked"


def today() -> dt.date:
    return timezone.localdate()


def lock_boundary(on: dt.date | None = None) -> dt.date:
    """The oldest date that may still be written: `lock_days` days back (7 by default)."""
    return (on or today()) - dt.timedelta(days=JournalSettings.current().lock_days)


def ensure_not_locked(work_date: dt.date, *, on: dt.date | None = None) -> None:
    """003 §2.3.2 (R-J07): no mark or record may be entered or changed later than 7 days
    after the work. Past that, a change request goes to the deputy director (R-J08)."""
    current = on or today()
    if work_date > current:
        raise ValidationFailed("Нельзя заполнять журнал на будущую дату.", code="future_date", fields={"date": ["Дата в будущем."]})
    days = JournalSettings.current().lock_days
    if work_date < current - dt.timedelta(days=days):
        raise JournalLocked(
            f"Запись старше {days} дней: изменять её можно только через заявку «Замена сведений в электронном журнале».",
        )


MARK_WORDS = {"зач": MarkKind.PASS, "зачёт": MarkKind.PASS, "зачет": MarkKind.PASS, "незач": MarkKind.FAIL,
              "незачёт": MarkKind.FAIL, "незачет": MarkKind.FAIL, "осв": MarkKind.EXEMPT, "освобождён": MarkKind.EXEMPT,
              "освобожден": MarkKind.EXEMPT}


def parse_mark(raw: object) -> tuple[str, int | None]:
    """A mark as typed: 1–5, or зач / незач / осв (R-J03). Anything else ("6", "5+") is refused."""
    text = str(raw if raw is not None else "").strip().lower()
    if text in {"1", "2", "3", "4", "5"}:
        return MarkKind.GRADE, int(text)
    if text in MARK_WORDS:
        return MARK_WORDS[text], None
    raise ValidationFailed(
        f"«{raw}» — не отметка. Допустимо: 1–5, «зач», «незач», «осв».", code="bad_mark", fields={"value": ["Недопустимое значение."]},
    )


def no_marks_reason(grade: int, subject: Any = None) -> str:
    """Why no marks may be given in this journal, or "" when they may: the first grade (001 §3.2,
    R-J04) and extracurricular subjects (внеурочная деятельность, 002 §3.1, R-J15) have none."""
    if grade == 1:
        return "В 1 классе отметки не ставятся: ведётся только учёт посещаемости и тем уроков."
    if subject is not None and getattr(subject, "is_extracurricular", False):
        return (f"«{subject.name}» — внеурочная деятельность: отметки не ставятся, "
                "ведётся только учёт посещаемости и тем занятий.")
    return ""


def ensure_marks_allowed(grade: int, subject: Any = None) -> None:
    """001 §3.2 (R-J04): in the first grade no marks are given at all; nor in an extracurricular
    subject (R-J15), whatever the grade: no mark and no column of marked work."""
    reason = no_marks_reason(grade, subject)
    if reason:
        raise ValidationFailed(reason, code="grade_one_no_marks" if grade == 1 else "extracurricular_no_marks")


def min_marks_required(hours_per_week: float) -> int:
    """003 §2.3.1 (R-J12): at least 3 current marks with 1 hour a week, 5 with 2 or more."""
    return 5 if hours_per_week >= 2 else 3
