"""Pages of the teacher's daily work in the journal (R-J01..R-J07, R-A01):

* /s/<slug>/journal/                       the journals one may open;
* /s/<slug>/journal/today/?date=            «Мой день»: the timetable's lessons (substitutions
                                            included) with what is still missing;
* /s/<slug>/journal/lessons/new/<class>/<subject>/<date>/<number>/
                                            a timetable slot not yet recorded;
* /s/<slug>/journal/lessons/<id>/           the lesson: topic, homework, attendance, marks;
* /s/<slug>/journal/<class>/<subject>/      the grid with keyboard entry (static/js/journal-grid.js
                                            saves each cell through the API);
* /s/<slug>/journal/absences/<class>/       the class teacher's reasons for absences.

Thin: the fetch-and-authorise helpers below are used by the API too; every write is a call to
journal.services, which checks the right and the regulations' rules again."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_http_methods

from accounts.roles import Perm
from core.access import access_school
from core.errors import DomainError, NotFound, PermissionDenied
from core.views import form_error, page
from curriculum.models import Subject
from roster.models import SchoolClass, Subgroup
from schoolyear.selectors import current_year, periods_for_grade

from . import rules, selectors, services, timeliness
from .attachments import FILES_HINT, MAX_FILES_PER_LESSON, lesson_attachments
from .forms import AbsenceReasonForm, LessonForm, WorkForm
from .models import AbsenceReason, AttachmentPurpose, Attendance, JournalSettings, Lesson

if TYPE_CHECKING:
    from accounts.selectors import Access
    from schoolyear.models import StudyPeriod
    from tenants.models import School

GET_POST = require_http_methods(["GET", "POST"])
_NOT_YOURS = "Это не ваш журнал: его ведут учителя этого класса и предмета."


# --- fetch and authorise (pages and API) -------------------------------------------------------

@dataclass
class JournalAccess:
    school: School
    access: Access
    school_class: SchoolClass
    subject: Subject
    subgroup: Subgroup | None
    teaches: bool  # the right to write it (R-A01: never a family, only its teacher or substitute)
    head: selectors.JournalHead | None = None  # the grid's (settings, weekly hours)

    @property
    def can_write(self) -> bool:
        """The right, and a school and a year that accept changes (else the page is read-only)."""
        return self.teaches and self.school.is_writable and not self.school_class.year.is_closed


def _reads_all(access: Access, school: School, class_id: int) -> bool:
    """The deputy, the methodist and the administration read every journal; the class teacher
    reads every subject of their class."""
    return access.can(Perm.JOURNAL_READ_ALL, school) or access.is_class_teacher_of(school, class_id)


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdecimal() else None


def access_journal(request: HttpRequest, class_id: int, subject_id: int, subgroup_id: int | None = None) -> JournalAccess:
    """A class × subject journal: its teachers write, readers read, everybody else (families,
    other classes' teachers) is refused with the same answer whether it exists or not."""
    school, access = access_school(request)
    actor: Any = request.user
    head = selectors.journal_head(class_id, subject_id, actor.pk, subgroup_id)
    teacher = bool(head and head.subject and head.teaches and access.can(Perm.JOURNAL_WRITE, school))
    if not (teacher or _reads_all(access, school, class_id)):
        raise PermissionDenied(_NOT_YOURS)
    if head is None or head.subject is None:
        raise NotFound("Журнал не найден.")
    if subgroup_id and head.subgroup is None:
        raise NotFound("Подгруппа не найдена.")
    return JournalAccess(school, access, head.school_class, head.subject, head.subgroup, teacher, head)


def may_write_lesson(actor_id: int, lesson: Lesson) -> bool:
    """The service's own rule (R-J06): the class and subject's teacher, or the substitute of this lesson."""
    return services.teaches(actor_id, lesson.school_class_id, lesson.subject_id, lesson.subgroup_id) or services.substitution_for(
        actor_id, lesson.school_class_id, lesson.subject_id, lesson.date, lesson.lesson_number) is not None


def access_lesson(request: HttpRequest, lesson_id: int) -> tuple[JournalAccess, Lesson]:
    school, access = access_school(request)
    actor: Any = request.user
    entry = access.schools.get(school.pk)
    if not (access.can(Perm.JOURNAL_WRITE, school) or access.can(Perm.JOURNAL_READ_ALL, school)
            or (entry and entry.class_teacher_of)):
        raise PermissionDenied(_NOT_YOURS)
    lesson = (Lesson.objects.select_related("school_class__year", "subject", "subgroup", "teacher", "replaced_teacher", "ktp_topic")
              .filter(pk=lesson_id).first())
    if lesson is None:
        if access.can(Perm.JOURNAL_READ_ALL, school):
            raise NotFound("Урок не найден.")
        raise PermissionDenied(_NOT_YOURS)  # outsiders do not learn whether it exists
    writer = access.can(Perm.JOURNAL_WRITE, school) and may_write_lesson(actor.pk, lesson)
    if not (writer or _reads_all(access, school, lesson.school_class_id)):
        raise PermissionDenied(_NOT_YOURS)
    return JournalAccess(school, access, lesson.school_class, lesson.subject, lesson.subgroup, writer), lesson


def parse_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _attempt(call: Any, *args: Any, **kwargs: Any) -> tuple[Any, DomainError | None]:
    """A service call whose rule refusals (the lock, a bad mark, a stale version…) the page shows
    in Russian; a refusal of the right itself stays a 403 (core.views.page)."""
    try:
        return call(*args, **kwargs), None
    except (PermissionDenied, NotFound):
        raise
    except DomainError as exc:
        return None, exc


# --- the journals one may open ------------------------------------------------------------------

@page
def journal_home(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, access = access_school(request)
    entry = access.schools.get(school.pk)
    everything = access.can(Perm.JOURNAL_READ_ALL, school)
    if not (everything or access.can(Perm.JOURNAL_WRITE, school)):
        raise PermissionDenied("Журнал ведут учителя; читают его администрация и методисты.")
    year = current_year()
    actor: Any = request.user
    rows = selectors.journal_index(year.pk if year else None, teacher_id=actor.pk,
                                   class_ids=entry.class_teacher_of if entry else set(), everything=everything)
    return render(request, "journal/home.html", {
        "school": school, "year": year, "rows": rows, "can_day": access.can(Perm.JOURNAL_WRITE, school),
        "class_teacher_of": entry.class_teacher_of if entry else set(),
    })


# --- the teacher's day --------------------------------------------------------------------------

@page
def today(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, _ = access_school(request, Perm.JOURNAL_WRITE)
    day = parse_date(request.GET.get("date")) or rules.today()
    actor: Any = request.user
    items = selectors.teacher_day(actor, day)
    return render(request, "journal/today.html", {
        "school": school, "day": day, "items": items, "is_today": day == rules.today(),
        "previous": day - dt.timedelta(days=1), "next": day + dt.timedelta(days=1),
        "lock_from": rules.lock_boundary(),
    })


# --- the lesson -----------------------------------------------------------------------------------

@dataclass
class CellView:
    name: str  # the form field
    value: str
    version: int
    error: str = ""

    @property
    def version_name(self) -> str:
        return "mv" + self.name[1:]


@dataclass
class RowView:
    student: Any
    status: str
    status_error: str
    cells: list[CellView]
    homework: str
    homework_error: str


def _rows_view(sheet: selectors.LessonSheet, posted: Any = None, errors: dict[str, str] | None = None) -> list[RowView]:
    errors = errors or {}
    rows = []
    for r in sheet.rows:
        sid = r.student.pk
        cells = []
        for work in sheet.works:
            mark = r.marks.get(work.pk)
            name = f"m_{work.pk}_{sid}"
            value = posted.get(name, "") if posted is not None else (mark.display if mark else "")
            version = _int(posted.get(f"mv_{work.pk}_{sid}")) if posted is not None else (mark.version if mark else 0)
            cells.append(CellView(name, value, version or 0, errors.get(name, "")))
        rows.append(RowView(
            r.student, posted.get(f"a_{sid}", "") if posted is not None else r.status, errors.get(f"a_{sid}", ""), cells,
            posted.get(f"h_{sid}", "") if posted is not None else r.homework, errors.get(f"h_{sid}", ""),
        ))
    return rows


def _apply_sheet(actor: Any, school: School, lesson: Lesson, sheet: selectors.LessonSheet, posted: Any) -> dict[str, str]:
    """Attendance, marks and individual homework as posted, in an order the rules accept
    (a student marked present before getting a mark; a mark removed before an absence).
    Returns the errors by field; the caller rolls everything back when there is one."""
    errors: dict[str, str] = {}

    def attempt(field: str, call: Any, *args: Any, **kwargs: Any) -> None:
        _, exc = _attempt(call, *args, **kwargs)
        if exc is not None:
            errors[field] = exc.message

    absent_later: list[int] = []
    for r in sheet.rows:
        sid = r.student.pk
        status = posted.get(f"a_{sid}", "")
        if status == r.status or f"a_{sid}" not in posted:
            continue
        if status == Attendance.Status.ABSENT:
            absent_later.append(sid)
        else:
            attempt(f"a_{sid}", services.set_attendance, actor, school, lesson, sid, status or None)
    sets = []
    for r in sheet.rows:
        sid = r.student.pk
        for work in sheet.works:
            name = f"m_{work.pk}_{sid}"
            if name not in posted:
                continue
            value, mark = posted.get(name, "").strip(), r.marks.get(work.pk)
            if value == (mark.display if mark else ""):
                continue
            version = _int(posted.get(f"mv_{work.pk}_{sid}")) or 0
            if not value:
                attempt(name, services.record_mark, actor, school, work, sid, "", expected_version=version)
            else:
                sets.append((name, work, sid, value, version))
    for name, work, sid, value, version in sets:
        attempt(name, services.record_mark, actor, school, work, sid, value, expected_version=version)
    for sid in absent_later:
        attempt(f"a_{sid}", services.set_attendance, actor, school, lesson, sid, Attendance.Status.ABSENT)
    for r in sheet.rows:
        name = f"h_{r.student.pk}"
        if name in posted and posted.get(name, "").strip() != r.homework:
            attempt(name, services.set_individual_homework, actor, school, lesson, r.student.pk, posted.get(name, ""))
    return errors


def _tell(request: HttpRequest, exc: DomainError | None, success: str) -> None:
    if exc is not None:
        messages.error(request, exc.message)
    else:
        messages.success(request, success)


def _lesson_context(j: JournalAccess, lesson: Lesson, form: LessonForm, sheet: selectors.LessonSheet,
                    rows: list[RowView], suggested: Any, **extra: Any) -> dict[str, Any]:
    lock_from = rules.lock_boundary()
    return {
        "school": j.school, "j": j, "lesson": lesson, "form": form, "sheet": sheet, "rows": rows, "suggested": suggested,
        "locked": lesson.date < lock_from, "lock_from": lock_from, "can_write": j.can_write and lesson.date >= lock_from,
        "marks_allowed": not rules.no_marks_reason(j.school_class.grade, j.subject),
        "no_marks_reason": rules.no_marks_reason(j.school_class.grade, j.subject),
        "work_form": extra.pop("work_form", None) or WorkForm(),
        "statuses": [("", "присутствовал"), (Attendance.Status.ABSENT, "отсутствовал (н)"), (Attendance.Status.LATE, "опоздал (о)")],
        "attachments": lesson_attachments(lesson), "attachment_purposes": AttachmentPurpose.choices,
        "max_files": MAX_FILES_PER_LESSON, "files_hint": FILES_HINT,
        **extra,
    }


def _lesson_form(lesson: Lesson, topics: list[Any], suggested: Any, data: Any = None) -> LessonForm:
    initial = {"topic": lesson.topic, "done": lesson.done, "homework": lesson.homework, "version": lesson.version if lesson.pk else None,
               "ktp_topic": lesson.ktp_topic_id or 0}
    if not lesson.topic and not lesson.ktp_topic_id and suggested is not None:
        initial.update(topic=suggested.title, ktp_topic=suggested.pk)  # R-J13: the plan's next topic
    return LessonForm(data, initial=initial, topics=topics)


def _save_lesson(request: HttpRequest, j: JournalAccess, lesson: Lesson, form: LessonForm,
                 sheet: selectors.LessonSheet) -> tuple[Lesson | None, dict[str, str]]:
    """One transaction: the lesson record, then the sheet; any error rolls all of it back."""
    actor: Any = request.user
    d = form.cleaned_data
    data = services.LessonData(school_class=lesson.school_class, subject=lesson.subject, subgroup=lesson.subgroup, date=lesson.date,
                               lesson_number=lesson.lesson_number, topic=d.get("topic") or "", done=d.get("done") or "",
                               homework=d.get("homework") or "", ktp_topic_id=d.get("ktp_topic") or 0)
    with transaction.atomic():
        saved, exc = _attempt(services.record_lesson, actor, j.school, data, expected_version=d.get("version") if lesson.pk else 0)
        if exc is not None:
            form_error(form, exc)
            return None, {"lesson": exc.message}
        errors = _apply_sheet(actor, j.school, saved, sheet, request.POST)
        if errors:
            transaction.set_rollback(True)
            return None, errors
        if any(name.startswith("a_") for name in request.POST):
            timeliness.note_taken(saved)  # R-J05: the sheet lists every student, «присутствовал» included
    return saved, {}


def _lesson_page(request: HttpRequest, j: JournalAccess, lesson: Lesson) -> HttpResponse:
    topics, suggested = selectors.ktp_topics(j.school_class.pk, j.subject.pk, j.subgroup.pk if j.subgroup else None)
    sheet = selectors.lesson_sheet(j.school_class.pk, lesson.date, j.subgroup.pk if j.subgroup else None, lesson)
    if request.method == "POST":
        if not j.teaches:
            raise PermissionDenied("Этот урок ведёт другой учитель.")
        if request.POST.get("action") == "work":
            return _add_work(request, j, lesson)
        form = _lesson_form(lesson, topics, suggested, request.POST)
        errors: dict[str, str] = {}
        if form.is_valid():
            saved, errors = _save_lesson(request, j, lesson, form, sheet)
            if saved is not None:
                messages.success(request, "Урок сохранён.")
                return redirect("school:journal-lesson", school_slug=j.school.slug, lesson_id=saved.pk)
        rows = _rows_view(sheet, request.POST, errors)
        problems = [m for k, m in errors.items() if k != "lesson"]
        return render(request, "journal/lesson.html", _lesson_context(j, lesson, form, sheet, rows, suggested, problems=problems),
                      status=400 if errors or form.errors else 200)
    form = _lesson_form(lesson, topics, suggested)
    return render(request, "journal/lesson.html", _lesson_context(j, lesson, form, sheet, _rows_view(sheet), suggested))


def _add_work(request: HttpRequest, j: JournalAccess, lesson: Lesson) -> HttpResponse:
    form = WorkForm(request.POST)
    if form.is_valid():
        _, exc = _attempt(services.add_work, request.user, j.school, lesson, form.cleaned_data["work_type"], form.cleaned_data["topic"])
        _tell(request, exc, f"Добавлена работа «{form.cleaned_data['work_type']}».")
    else:
        messages.error(request, "Выберите вид работы.")
    return redirect(reverse("school:journal-lesson", kwargs={"school_slug": j.school.slug, "lesson_id": lesson.pk}) + "#works")


@page
@GET_POST
def lesson_page(request: HttpRequest, school_slug: str, lesson_id: int) -> HttpResponse:
    j, lesson = access_lesson(request, lesson_id)
    return _lesson_page(request, j, lesson)


@page
@GET_POST
def lesson_new(request: HttpRequest, school_slug: str, class_id: int, subject_id: int, day: str, number: int) -> HttpResponse:
    """A timetable slot not yet recorded (?subgroup= for a subgroup's): the lesson page; the first
    save creates the record. Only the class and subject's teacher or the lesson's substitute."""
    school, access = access_school(request, Perm.JOURNAL_WRITE)
    actor: Any = request.user
    date, subgroup_id = parse_date(day), _int(request.GET.get("subgroup"))
    if date is None:
        raise NotFound("Урок не найден: неверная дата.")
    if not (services.teaches(actor.pk, class_id, subject_id, subgroup_id)
            or services.substitution_for(actor.pk, class_id, subject_id, date, number) is not None):
        raise PermissionDenied(_NOT_YOURS)
    school_class = SchoolClass.objects.select_related("year").filter(pk=class_id).first()
    subject = Subject.objects.filter(pk=subject_id).first()
    subgroup = Subgroup.objects.filter(pk=subgroup_id, school_class_id=class_id).first() if subgroup_id else None
    if school_class is None or subject is None or (subgroup_id and subgroup is None):
        raise NotFound("Урок не найден.")
    existing = Lesson.objects.filter(school_class=school_class, subgroup=subgroup, subject=subject, date=date, lesson_number=number).first()
    if existing is not None:
        if request.method == "POST":  # somebody recorded it meanwhile: say so, never overwrite it
            messages.error(request, "Этот урок уже записан другим пользователем: ваши данные не сохранены. "
                                    "Проверьте запись и внесите изменения в неё.")
        return redirect("school:journal-lesson", school_slug=school.slug, lesson_id=existing.pk)
    lesson = Lesson(school_class=school_class, subject=subject, subgroup=subgroup, date=date, lesson_number=number, teacher=actor)
    return _lesson_page(request, JournalAccess(school, access, school_class, subject, subgroup, True), lesson)


# --- the grid -----------------------------------------------------------------------------------

def period_range(request: HttpRequest, periods: list[StudyPeriod], year: Any) -> tuple[StudyPeriod | None, dt.date, dt.date]:
    """?period=<id>, else ?date_from/?date_to, else the period of today (or the nearest), else the year."""
    wanted = _int(request.GET.get("period"))
    chosen = next((p for p in periods if p.pk == wanted), None)
    if chosen is not None:
        return chosen, chosen.starts_on, chosen.ends_on
    start, end = parse_date(request.GET.get("date_from")), parse_date(request.GET.get("date_to"))
    if start or end:
        return None, start or year.starts_on, end or year.ends_on
    day = rules.today()
    if periods:
        chosen = next((p for p in periods if p.starts_on <= day <= p.ends_on), None) or next(
            (p for p in periods if p.starts_on > day), periods[-1])
        return chosen, chosen.starts_on, chosen.ends_on
    return None, year.starts_on, year.ends_on


def _avg(value: Decimal | None) -> str:
    return f"{value:.2f}".replace(".", ",") if value is not None else ""


_SHOWN = {"pass": "зач", "fail": "незач", "exempt": "осв"}  # as Mark.display, without a dict per mark


def _grid_rows(grid: selectors.Grid, columns: list[selectors.GridColumn]) -> list[SafeString]:
    """The body's rows as HTML, built here once: 35 × 100+ cells through template tags would
    cost more than the queries. Per cell only what differs: text, the mark's version, classes;
    the column's work, lesson, weight and lock sit once in the header (the script reads them).
    Every cell value is a mark, «н»/«о», a number or a fixed class name: only names are escaped."""
    out = []
    cols = [(c.work.pk if c.work is not None else None, c.lesson.pk, " d" if c.first else "", c.lesson.subgroup_id) for c in columns]
    members = grid.members
    for n, row in enumerate(grid.rows, start=1):
        parts = [f'<tr data-s="{row.student.pk}"><th scope="row">{n}. {escape(row.student.surname)} {escape(row.student.name)}</th>']
        cells, attendance, student_id = row.cells, row.attendance, row.student.pk
        for work_id, lesson_id, first, subgroup_id in cols:
            if subgroup_id is not None and student_id not in members.get(subgroup_id, ()):
                # Another subgroup's lesson: not this student's, nothing to enter.
                parts.append(f'<td class="na{first}" title="Урок другой подгруппы"></td>')
                continue
            marks: list[selectors.GridMark] | None = cells.get(work_id) if work_id is not None else None
            att = attendance.get(lesson_id)
            css = first
            if marks:
                mark = marks[0]
                text = str(mark.value) if mark.kind == "grade" else _SHOWN[mark.kind]
                version = f' data-v="{mark.version}"'
            else:
                text, version = "", ""
            if att is not None:
                absent = att.status == Attendance.Status.ABSENT
                css = (" abs" if absent else " late") + css
                text = text or ("н" if absent else "о")
            parts.append(f'<td{version} class="{css[1:]}">{text}</td>' if css else f"<td{version}>{text}</td>")
        pm = row.period_mark
        pm_text = ("н/а" if pm.not_assessed else (str(pm.value) if pm.value else pm.get_mark_kind_display())) if pm else ""
        short = ' data-short="short"' if row.short else ""
        parts.append(f'<td class="avg">{_avg(row.plain)}</td><td class="avg">{_avg(row.weighted)}</td>'
                     f'<td class="prop"{short}>{row.proposed or ""}</td><td class="pm">{pm_text}</td></tr>')
        out.append(mark_safe("".join(parts)))  # noqa: S308 — names are escaped, the rest is fixed text and numbers
    return out


def _grid_head(columns: list[selectors.GridColumn], slug: str, whole_class: bool) -> dict[str, SafeString]:
    """The header's columns (as the body, built here once: 100+ columns through template tags and
    a `{% url %}` each cost some 30 ms). Names and topics are escaped; the rest is fixed text."""
    from django.urls import reverse
    from django.utils.formats import localize

    link = reverse("school:journal-lesson", args=[slug, 0]).replace("/0/", "/{}/")
    cols, dates, works = [], [], []
    for c in columns:
        lesson, work, lk = c.lesson, c.work, " lk" if c.locked else ""
        cols.append('<col class="lk">' if c.locked else "<col>")
        if c.first:
            group = lesson.subgroup if lesson.subgroup_id else None
            title = escape((f"{group.name}: " if group else "") + (lesson.topic or "тема не указана"))
            mark = "<sup>гр</sup>" if group is not None and whole_class else ""
            dates.append(f'<th colspan="{c.span}" class="d{lk}" title="{title}"><a href="{link.format(lesson.pk)}">'
                         f'{lesson.date:%d.%m}</a>{mark}</th>')
        css = f'w{" d" if c.first else ""}{lk}'
        locked = ' data-lk="1"' if c.locked else ""
        if work is not None:
            kind = work.work_type
            title = escape(kind.name + (f": {work.topic}" if work.topic else ""))
            short = escape((kind.short_name or kind.name)[:3])
            works.append(f'<th class="{css}" data-l="{lesson.pk}" data-w="{work.pk}" data-wt="{localize(kind.weight)}" '
                         f'title="{title}"{locked}>{short}</th>')
        else:
            works.append(f'<th class="{css}" data-l="{lesson.pk}" title="Работ нет: только посещаемость"{locked}>·</th>')
    return {"cols": mark_safe("".join(cols)), "dates": mark_safe("".join(dates)),  # noqa: S308 — escaped above
            "works": mark_safe("".join(works))}  # noqa: S308


@page
def grid(request: HttpRequest, school_slug: str, class_id: int, subject_id: int) -> HttpResponse:
    """The class × subject journal: students in rows, a column per work under its lesson's date,
    averages (plain and weighted), the proposed mark and the period mark at the end (R-J03).
    Read-only for readers; its teacher types marks with the keyboard (R-J07 refusals shown)."""
    j = access_journal(request, class_id, subject_id, _int(request.GET.get("subgroup")))
    year = j.school_class.year
    periods = periods_for_grade(j.school_class.grade, year)
    period, start, end = period_range(request, periods, year)
    data, settings_row = grid_of(j, start, end, period)
    lock_from = rules.today() - dt.timedelta(days=settings_row.lock_days)
    columns = selectors.grid_columns(data, lock_from)
    return render(request, "journal/grid.html", {
        "school": j.school, "j": j, "grid": data, "columns": columns, "rows": _grid_rows(data, columns),
        "head": _grid_head(columns, j.school.slug, j.subgroup is None),
        "periods": periods, "period": period, "start": start, "end": end, "lock_from": lock_from, "settings": settings_row,
        "can_write": j.can_write, "marks_allowed": not rules.no_marks_reason(j.school_class.grade, j.subject),
    })


def grid_of(j: JournalAccess, start: dt.date, end: dt.date, period: StudyPeriod | None) -> tuple[selectors.Grid, JournalSettings]:
    """The grid with the settings and weekly hours the access check already loaded."""
    assert j.head is not None
    settings_row = j.head.settings or JournalSettings.current()
    data = selectors.journal_grid(j.school_class, j.subject.pk, start, end, subgroup_id=j.subgroup.pk if j.subgroup else None,
                                  period_id=period.pk if period else None, settings_row=settings_row, hours=j.head.hours,
                                  no_marks=bool(rules.no_marks_reason(j.school_class.grade, j.subject)))
    return data, settings_row


# --- absences and their reasons (the class teacher) --------------------------------------------------

@page
@GET_POST
def absences(request: HttpRequest, school_slug: str, class_id: int) -> HttpResponse:
    """The absences of a class and their reasons with documents (R-J02): the class teacher sets
    them (004 §VIII: within 2 working days of the document); readers see them."""
    from core.workdays import add_working_days

    school, access = access_school(request)
    own = access.is_class_teacher_of(school, class_id)
    setter = own or access.can(Perm.MANAGE_PEOPLE, school)
    if not (setter or access.can(Perm.JOURNAL_READ_ALL, school)):
        raise PermissionDenied("Причины пропусков указывает классный руководитель этого класса.")
    school_class = SchoolClass.objects.select_related("year").filter(pk=class_id).first()
    if school_class is None:
        raise NotFound("Класс не найден.")
    if request.method == "POST":
        _set_reason(request, school, class_id)
        return redirect(request.get_full_path())
    end = parse_date(request.GET.get("date_to")) or rules.today()
    start = parse_date(request.GET.get("date_from")) or end - dt.timedelta(days=30)
    rows = selectors.class_absences(class_id, start, end)
    today_ = rules.today()
    overdue = {a.pk for a in rows if not a.reason and add_working_days(a.lesson.date, 2) < today_}
    return render(request, "journal/absences.html", {
        "school": school, "school_class": school_class, "rows": rows, "start": start, "end": end, "overdue": overdue,
        "can_set": setter and school.is_writable and not school_class.year.is_closed, "form": AbsenceReasonForm(),
    })


def _set_reason(request: HttpRequest, school: School, class_id: int) -> None:
    attendance = (Attendance.objects.select_related("lesson__school_class").filter(pk=_int(request.POST.get("attendance")) or 0,
                                                                                   lesson__school_class_id=class_id).first())
    if attendance is None:
        raise NotFound("Пропуск не найден.")
    form = AbsenceReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
        return
    d = form.cleaned_data
    _, exc = _attempt(services.set_absence_reason, request.user, school, attendance, d["reason"], document=d.get("document") or "",
                      document_date=d.get("document_date"))
    _tell(request, exc, f"Причина пропуска сохранена ({AbsenceReason(d['reason']).label}).")
