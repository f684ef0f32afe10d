"""Period, year, exam and final marks (R-J11, R-J12; 004 §VIII, 001 §3.2, 003 §2.3.1)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from accounts.roles import Perm
from accounts.selectors import access_for
from accounts.services import ensure_writable
from audit.services import record, snapshot
from core.errors import Conflict, PermissionDenied, ValidationFailed
from curriculum.models import Subject
from roster.models import SchoolClass
from schoolyear.guards import ensure_year_open
from schoolyear.models import StudyPeriod

from . import rules, selectors
from .models import FinalKind, MarkKind, PeriodMark
from .services import teaches

if TYPE_CHECKING:
    from accounts.models import Person
    from tenants.models import School

AUDITED = ["student", "school_class", "subject", "kind", "period", "mark_kind", "value", "not_assessed"]


class OutsideWindow(rules.JournalLocked):
    code = "period_mark_window"


def window(school_class: SchoolClass, kind: str, period: StudyPeriod | None) -> tuple[dt.date, dt.date]:
    """When the mark may be entered: from the day the period (or the year) ends to 3 days after
    (the school's setting), 004 §VIII and 001 §3.2.

    The 3 days are calendar days, not working days (decided 2026-11-25, R-J11): 001 §3.2 says
    «не позднее 3-х дней после окончания учебного периода», 004 §VIII «в день окончания
    соответствующего периода», and seed 003 §2–§3 sets no deadline for these marks at all. Where
    the regulations mean working days they say so («не позднее 3 рабочих дней», «2 рабочих дней»
    in 004; those use core.workdays), so the production calendar is deliberately not applied here:
    a quarter ending on Friday closes its window on Monday. Past the window the mark is corrected
    only through a change request (services.file_change_request, a `period_mark` change)."""
    from .models import JournalSettings

    after = dt.timedelta(days=JournalSettings.current().period_mark_days_after)
    if kind == FinalKind.PERIOD:
        assert period is not None
        return period.ends_on, period.ends_on + after
    year_end = school_class.year.ends_on
    last_period = (StudyPeriod.objects.filter(scheme__year=school_class.year, scheme__grades__contains=[school_class.grade])
                   .order_by("-number").first())
    if kind == FinalKind.YEAR:
        end = last_period.ends_on if last_period else year_end
        return end, end + after
    # Exam and final marks: during the last period (exams) up to 3 days after the year.
    start = last_period.starts_on if last_period else year_end
    return start, year_end + after


@dataclass(frozen=True)
class PeriodMarkResult:
    mark: PeriodMark
    warnings: list[str]


def set_period_mark(actor: Person, school: School, *, school_class: SchoolClass, subject: Subject, student_id: int,
                    kind: str, value: object, period: StudyPeriod | None = None,
                    expected_version: int | None = None, on: dt.date | None = None,
                    by_request: int | None = None, expected_text: str | None = None) -> PeriodMarkResult:
    """The subject teacher for their class, the class teacher for every subject of theirs (R-J11).
    Warns when the student has fewer current marks than the rule asks (R-J12). `expected_version`
    is the version the user saw, 0 when they saw no mark: a mark saved meanwhile is a conflict.
    `by_request` is the approved change request (R-J08) that applies it past its window: only
    services.approve_change_request passes it, after checking the deputy's right, with `expected_text`:
    the mark as the request recorded it («было»); a mark changed since is a conflict (R-J08, R-J11)."""
    access = access_for(actor)
    if by_request is None and (not access.can(Perm.JOURNAL_WRITE, school) or not (
        teaches(actor.pk, school_class.pk, subject.pk) or access.is_class_teacher_of(school, school_class.pk)
    )):
        raise PermissionDenied("Итоговые отметки выставляет учитель предмета в своём классе или классный руководитель.")
    ensure_writable(school)
    ensure_year_open(school_class.year_id)
    rules.ensure_marks_allowed(school_class.grade, subject)
    if kind not in FinalKind.values:
        raise ValidationFailed("Вид отметки: period, year, exam или final.", fields={"kind": ["Недопустимое значение."]})
    if (kind == FinalKind.PERIOD) != (period is not None):
        raise ValidationFailed("Отметка за период требует период; годовая, экзаменационная и итоговая — нет.",
                               fields={"period": ["Несоответствие вида и периода."]})
    if period is not None and (period.scheme.year_id != school_class.year_id or school_class.grade not in period.scheme.grades):
        raise ValidationFailed("Этот период не относится к классу.", fields={"period": ["Не для этого класса."]})
    if student_id not in {s.pk for s in selectors.class_students(school_class.pk, school_class.year.starts_on, school_class.year.ends_on)}:
        raise ValidationFailed("Обучающийся не из этого класса.", fields={"student": ["Не из класса."]})
    today = on or rules.today()
    start, end = window(school_class, kind, period)
    if by_request is None and not (start <= today <= end):
        raise OutsideWindow(f"Эту отметку выставляют с {start:%d.%m.%Y} по {end:%d.%m.%Y}; позже — только через заявку на замену сведений.")
    text = str(value).strip().lower()
    not_assessed = text in {"н/а", "на", "н\\а"}
    mark_kind, number = (MarkKind.GRADE, None) if not_assessed else rules.parse_mark(value)
    warnings = _shortage_warnings(school_class, subject, student_id, period)
    with transaction.atomic():
        row = (PeriodMark.objects.select_for_update()
               .filter(student_id=student_id, school_class=school_class, subject=subject, kind=kind, period=period).first())
        if row is not None and expected_version == 0:  # the user saw no mark, and one was set meanwhile
            raise Conflict("Эту отметку тем временем уже выставил другой пользователь. Обновите страницу.", code="stale_version")
        if row is not None and expected_version is not None and expected_version != row.version:
            raise Conflict("Отметку уже изменил другой пользователь. Обновите страницу.", code="stale_version")
        if expected_text is not None and expected_text != _text(row):
            raise Conflict(f"Отметку изменили после подачи заявки (было «{expected_text or '—'}», сейчас «{_text(row) or '—'}»): "
                           "заявка устарела, подайте новую.", code="stale_version")
        before = snapshot(row, AUDITED) if row else None
        if row is None:
            row = PeriodMark(student_id=student_id, school_class=school_class, subject=subject, kind=kind, period=period, created_by=actor)
        else:
            row.version += 1
        row.mark_kind, row.value, row.not_assessed = mark_kind, number, not_assessed
        try:
            with transaction.atomic():  # a first save may race another one on the unique row
                row.save()
        except IntegrityError as exc:
            raise Conflict("Эту отметку одновременно выставил другой пользователь. Обновите страницу.", code="stale_version") from exc
        record(actor=actor, action="journal.period_mark.save", school=school, obj=row, before=before,
               after=snapshot(row, AUDITED), reason="; ".join(([f"Заявка №{by_request}"] if by_request else []) + warnings))
    return PeriodMarkResult(mark=row, warnings=warnings)


def _text(mark: PeriodMark | None) -> str:
    """The mark as the register writes it (as views_control.final_text): "" for none, «н/а», «5»."""
    from .forms_control import mark_text

    if mark is None:
        return ""
    return "н/а" if mark.not_assessed else mark_text(mark.mark_kind, mark.value)


def _shortage_warnings(school_class: SchoolClass, subject: Subject, student_id: int, period: StudyPeriod | None) -> list[str]:
    start, end = (period.starts_on, period.ends_on) if period else (school_class.year.starts_on, school_class.year.ends_on)
    grid = selectors.journal_grid(school_class, subject.pk, start, end)
    row = next((r for r in grid.rows if r.student.pk == student_id), None)
    if row is not None and row.count < grid.min_marks:
        return [f"Текущих отметок {row.count}, а нужно не меньше {grid.min_marks} (при {grid.hours_per_week} ч в неделю)."]
    return []


def students_short_of_marks(school_class: SchoolClass, subject: Subject, period: StudyPeriod) -> list[selectors.GridRow]:
    """R-J12: the deputy sees who is short of the minimum number of marks."""
    grid = selectors.journal_grid(school_class, subject.pk, period.starts_on, period.ends_on)
    return [row for row in grid.rows if row.short]
