"""Pages of the deputy director's control and of the end-of-period work in the class journal
(R-J02, R-J05, R-J08, R-J09, R-J10, R-J11, R-J12, R-J13, R-J15; 000 §2.13, 001 §6.6, 003 §2.3,
004 §VI, §VIII): change requests and their register, period/year/exam/final marks, the control
lists, marks from elsewhere, the teacher's notebook, the КТП, extracurricular groups and the
journal settings.

Thin: every page authorises first with the fetch-and-authorise helpers below (the API uses the
same helpers), reads through journal.selectors and writes through the journal's services."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from accounts.models import Person
from accounts.roles import Perm, Role
from core.access import access_school
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.views import form_error, page
from curriculum.models import Subject, TeachingAssignment
from roster.models import Enrolment, SchoolClass, Subgroup
from schoolyear.models import StudyPeriod
from schoolyear.selectors import current_year, periods_for_grade

from . import (
    activities,
    ktp,
    ktp_import,
    notebook,
    period_marks,
    printouts,
    rules,
    selectors,
    services,
    settings_service,
)
from .forms_control import (
    NEW_LESSON_WORKS,
    ChangeRequestForm,
    DecisionForm,
    ExternalMarkForm,
    FinalChangeForm,
    FinalMarksForm,
    GroupForm,
    KtpImportForm,
    MoveForm,
    NoteForm,
    RangeForm,
    SessionForm,
    SettingsForm,
    TopicFormSet,
    add_new_work_fields,
    mark_text,
    new_work_changes,
)
from .models import (
    ActivityAbsence,
    ActivityGroup,
    ActivitySession,
    ChangeRequest,
    ChangeRequestStatus,
    FinalKind,
    JournalSettings,
    Lesson,
    PeriodMark,
    Work,
    WorkType,
)

if TYPE_CHECKING:
    from accounts.selectors import Access
    from tenants.models import School

GET_POST = require_http_methods(["GET", "POST"])
MAX_RANGE_DAYS = 400


def actor_of(request: HttpRequest) -> Any:
    return request.user


# --- fetch-and-authorise (pages and API alike) ------------------------------------------------------

def reads_all(access: Access, school: School) -> bool:
    """The deputy, the director, the school administrator and the methodist read every journal."""
    return access.can(Perm.JOURNAL_READ_ALL, school) or access.can(Perm.JOURNAL_CONTROL, school)


def require_control(request: HttpRequest) -> tuple[School, Access]:
    """The deputy director's control lists (Perm.JOURNAL_CONTROL: deputy, director, school admin)."""
    return access_school(request, Perm.JOURNAL_CONTROL)


def access_class_subject(request: HttpRequest, class_id: int, subject_id: int, *, for_ktp: bool = False,
                         ) -> tuple[School, Access, SchoolClass, Subject]:
    """Readers of every journal, the class teacher of the class, the teacher of the subject in the
    class (and, for the КТП, the methodist's right)."""
    school, access = access_school(request)
    allowed = (reads_all(access, school) or access.is_class_teacher_of(school, class_id)
               or (for_ktp and access.can(Perm.MANAGE_KTP, school)) or services.teaches(actor_of(request).pk, class_id, subject_id))
    if not allowed:
        raise PermissionDenied("Это не ваш класс и предмет.")
    school_class = SchoolClass.objects.select_related("year").filter(pk=class_id).first()
    subject = Subject.objects.filter(pk=subject_id).first()
    if school_class is None or subject is None:
        raise NotFound("Класс или предмет не найден.")
    return school, access, school_class, subject


def access_class(request: HttpRequest, class_id: int) -> tuple[School, Access, SchoolClass]:
    """A class as a whole: readers of every journal and its class teacher."""
    school, access = access_school(request)
    if not (reads_all(access, school) or access.is_class_teacher_of(school, class_id)):
        raise PermissionDenied("Это не ваш класс.")
    school_class = SchoolClass.objects.select_related("year", "class_teacher").filter(pk=class_id).first()
    if school_class is None:
        raise NotFound("Класс не найден.")
    return school, access, school_class


def access_lesson(request: HttpRequest, lesson_id: int, *, write: bool) -> tuple[School, Access, Lesson]:
    """The lesson's teacher (or a teacher of its class and subject); readers of every journal may
    look (`write=False`). Anybody else learns nothing, not even whether the lesson exists."""
    school, access = access_school(request)
    actor = actor_of(request)
    lesson = (Lesson.objects.select_related("school_class__year", "subject", "subgroup", "teacher")
              .filter(pk=lesson_id).first())
    mine = lesson is not None and (lesson.teacher_id == actor.pk or services.teaches(
        actor.pk, lesson.school_class_id, lesson.subject_id, lesson.subgroup_id))
    if not (mine or (not write and reads_all(access, school))):
        raise PermissionDenied("Это урок не вашего класса.")
    if lesson is None:
        raise NotFound("Урок не найден.")
    return school, access, lesson


def access_change_request(request: HttpRequest, request_id: int) -> tuple[School, Access, ChangeRequest]:
    """The deputy sees every request; a teacher their own."""
    school, access = access_school(request)
    control = access.can(Perm.JOURNAL_CONTROL, school)
    if not (control or access.can(Perm.JOURNAL_WRITE, school)):
        raise PermissionDenied()
    found = (ChangeRequest.objects.select_related("school_class", "subject", "requested_by", "decided_by", "lesson")
             .filter(pk=request_id).first())
    if not control and (found is None or found.requested_by_id != actor_of(request).pk):
        raise PermissionDenied("Это не ваша заявка.")
    if found is None:
        raise NotFound("Заявка не найдена.")
    return school, access, found


def access_group(request: HttpRequest, group_id: int, *, lead: bool) -> tuple[School, Access, ActivityGroup]:
    """An extracurricular group: its leader; the deputy and readers may look (`lead=False`)."""
    school, access = access_school(request)
    group = ActivityGroup.objects.select_related("teacher", "year").filter(pk=group_id).first()
    leads = group is not None and group.teacher_id == actor_of(request).pk
    broad = reads_all(access, school) or access.can(Perm.MANAGE_CURRICULUM, school)
    if not (leads or (not lead and broad)):
        raise PermissionDenied("Это не ваша группа.")
    if group is None:
        raise NotFound("Группа не найдена.")
    return school, access, group


def may_set_final(request: HttpRequest, access: Access, school: School, school_class: SchoolClass, subject: Subject) -> bool:
    """004 §VIII (R-J11): the subject's teacher in the class, or the class teacher for every subject."""
    return access.can(Perm.JOURNAL_WRITE, school) and (
        services.teaches(actor_of(request).pk, school_class.pk, subject.pk) or access.is_class_teacher_of(school, school_class.pk))


def attempt(form: Any, action: Callable[[], Any]) -> tuple[bool, Any]:
    """Runs a service call for a form: a refusal propagates (the page answers 403 and the refusal is
    audited once); any other domain error goes onto the form in Russian. Returns (done, result)."""
    try:
        return True, action()
    except PermissionDenied:
        raise
    except DomainError as exc:
        form_error(form, exc)
        return False, None


# --- shared reads -------------------------------------------------------------------------------------

def _int(value: Any) -> int | None:
    text = str(value or "")
    return int(text) if text.isdecimal() else None


def parse_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def date_range(start: dt.date | None, end: dt.date | None, *, default_days: int = 30) -> tuple[dt.date, dt.date]:
    today = rules.today()
    end = end or today
    start = start or end - dt.timedelta(days=default_days)
    if start > end:
        raise ValidationFailed("Начало позже окончания.", fields={"start": ["Начало позже окончания."]})
    if (end - start).days > MAX_RANGE_DAYS:
        raise ValidationFailed("Не больше 400 дней за раз.", fields={"start": ["Слишком длинный период."]})
    return start, end


def year_periods() -> list[StudyPeriod]:
    """The study periods of the open year (all schemes), in order. One query."""
    return list(StudyPeriod.objects.select_related("scheme__year").filter(scheme__year__status="open")
                .order_by("starts_on", "scheme_id", "number"))


def pick_period(periods: list[StudyPeriod], wanted: Any, today: dt.date) -> StudyPeriod | None:
    """The asked one; else the one whose period-mark window is open or that runs today; else the
    last one that ended; else the first."""
    wanted_id = _int(wanted)
    if wanted_id is not None:
        for p in periods:
            if p.pk == wanted_id:
                return p
        raise NotFound("Учебный период не найден.")
    after = dt.timedelta(days=JournalSettings.current().period_mark_days_after)
    for p in periods:
        if p.starts_on <= today <= p.ends_on + after:
            return p
    ended = [p for p in periods if p.ends_on < today]
    return ended[-1] if ended else (periods[0] if periods else None)


def staff_choices(school: School, roles: set[str] | None = None) -> list[tuple[int, str]]:
    from accounts.selectors import staff_of_school

    seen: dict[int, str] = {}
    for m in staff_of_school(school):
        if roles is None or m.role in roles:
            seen.setdefault(m.person_id, m.person.full_name)
    return list(seen.items())


def class_choices() -> list[tuple[int, str]]:
    year = current_year()
    return [(c.pk, c.name) for c in SchoolClass.objects.filter(year=year).order_by("grade", "letter")] if year else []


# --- change requests (R-J08) ------------------------------------------------------------------------

def _order(changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The order an approval applies them in: a forgotten lesson's record, marks removed, then
    attendance, then marks set (a student marked absent loses the mark first; one marked present
    gets it after), then the lesson's texts, then period marks."""
    def rank(c: dict[str, Any]) -> int:
        op = c.get("op")
        if op == "new_lesson":
            return -1
        if op == "mark":
            return 0 if str(c.get("value") or "") == "" else 2
        return {"attendance": 1, "lesson": 3}.get(str(op), 4)
    return sorted(changes, key=rank)


def _period_marks_now(school_class: SchoolClass, subject: Subject, changes: list[Any]) -> dict[tuple[Any, ...], str]:
    """The period marks the changes name, as they are now: (student, kind, period) → text. One query."""
    wanted = [c for c in changes if isinstance(c, dict) and c.get("op") == "period_mark"]
    if not wanted:
        return {}
    rows = PeriodMark.objects.filter(school_class=school_class, subject=subject,
                                     student_id__in=[c.get("student") for c in wanted if isinstance(c.get("student"), int)])
    return {(r.student_id, r.kind, r.period_id): final_text(r) for r in rows}


def prepare_changes(lesson: Lesson | None, sheet: selectors.LessonSheet | None, changes: list[Any], *,
                    school_class: SchoolClass | None = None, subject: Subject | None = None) -> list[Any]:
    """Adds the current value ("was") to each change, for the register's «было → стало», and puts
    them in the order an approval applies them. Malformed items pass through for the service to refuse."""
    rows = {r.student.pk: r for r in sheet.rows} if sheet is not None else {}
    school_class = lesson.school_class if lesson is not None else school_class
    subject = lesson.subject if lesson is not None else subject
    finals = _period_marks_now(school_class, subject, changes) if school_class and subject else {}
    result: list[Any] = []
    for change in changes:
        if not isinstance(change, dict):
            result.append(change)
            continue
        change = dict(change)
        student, work = change.get("student"), change.get("work")
        row = rows.get(student) if isinstance(student, int) else None
        if change.get("op") == "mark" and row is not None:
            mark = row.marks.get(work) if isinstance(work, int) else None
            change["was"] = mark_text(mark.kind, mark.value) if mark else ""
        elif change.get("op") == "attendance" and row is not None:
            change["was"] = row.status
            change["status"] = change.get("status") or ""
        elif change.get("op") == "lesson" and lesson is not None:
            change["was"] = {name: getattr(lesson, name) for name in ("topic", "done", "homework") if change.get(name) is not None}
        elif change.get("op") == "period_mark":
            change["was"] = finals.get((student, change.get("kind"), change.get("period") or None), "")
        result.append(change)
    dicts = [c for c in result if isinstance(c, dict)]
    return _order(dicts) + [c for c in result if not isinstance(c, dict)]


def file_request(actor: Any, school: School, lesson: Lesson | None, changes: list[Any], *, reason: str, comment: str = "",
                 description: str = "", school_class: SchoolClass | None = None, subject: Subject | None = None,
                 date: dt.date | None = None) -> ChangeRequest:
    """Files «Замена сведений в электронном журнале» with the changes listed in words (the page's
    and the API's way in): for a lesson record, or (without one) for a forgotten lesson of the
    timetable on `date` or period marks of the class and subject."""
    sheet = None
    if lesson is not None:
        sheet = selectors.lesson_sheet(lesson.school_class_id, lesson.date, lesson.subgroup_id, lesson)
    elif school_class is not None and date is not None and any(isinstance(c, dict) and c.get("op") == "new_lesson" for c in changes):
        subgroup = next((c.get("subgroup") for c in changes if isinstance(c, dict) and c.get("op") == "new_lesson"), None)
        sheet = selectors.lesson_sheet(school_class.pk, date, subgroup if isinstance(subgroup, int) else None)
    prepared = prepare_changes(lesson, sheet, changes, school_class=school_class, subject=subject)
    if not description.strip():
        lines = selectors.describe_changes([[c for c in prepared if isinstance(c, dict)]])[0]
        description = "\n".join(lines + ([comment.strip()] if comment.strip() else []))
    return services.file_change_request(actor, school, lesson, changes=prepared, description=description, reason=reason,
                                        school_class=school_class, subject=subject, date=date)


def _form_changes(form: ChangeRequestForm, lesson: Lesson, sheet: selectors.LessonSheet) -> list[dict[str, Any]]:
    data = form.cleaned_data
    changes: list[dict[str, Any]] = []
    for row in sheet.rows:
        sid = row.student.pk
        if (data.get(f"a_{sid}") or "") != row.status:
            changes.append({"op": "attendance", "student": sid, "status": data.get(f"a_{sid}") or ""})
        for work in sheet.works:
            mark = row.marks.get(work.pk)
            new = (data.get(f"m_{work.pk}_{sid}") or "").strip().lower()
            if new != (mark_text(mark.kind, mark.value) if mark else ""):
                change: dict[str, Any] = {"op": "mark", "work": work.pk, "student": sid, "value": new}
                if new and (data.get("source_document") or "").strip():
                    change["source_document"] = data["source_document"].strip()  # R-J09
                changes.append(change)
    lesson_change = {name: (data.get(name) or "").strip() for name in ("topic", "done", "homework")
                     if (data.get(name) or "").strip() != getattr(lesson, name)}
    if lesson_change:
        changes.append({"op": "lesson", **lesson_change})
    return changes


@page
@GET_POST
def request_file(request: HttpRequest, school_slug: str, lesson_id: int) -> HttpResponse:
    """R-J08: the teacher lists the new values of a locked lesson and the reason."""
    school, _access, lesson = access_lesson(request, lesson_id, write=False)
    sheet = selectors.lesson_sheet(lesson.school_class_id, lesson.date, lesson.subgroup_id, lesson)
    initial: dict[str, Any] = {name: getattr(lesson, name) for name in ("topic", "done", "homework")}
    for row in sheet.rows:
        initial[f"a_{row.student.pk}"] = row.status
        for work in sheet.works:
            mark = row.marks.get(work.pk)
            initial[f"m_{work.pk}_{row.student.pk}"] = mark_text(mark.kind, mark.value) if mark else ""
    student_ids = [r.student.pk for r in sheet.rows]
    work_ids = [w.pk for w in sheet.works]
    form = ChangeRequestForm(request.POST or None, initial=initial, student_ids=student_ids, work_ids=work_ids)
    locked = lesson.date < rules.lock_boundary()
    if request.method == "POST":
        access_lesson(request, lesson_id, write=True)
        if form.is_valid():
            changes = _form_changes(form, lesson, sheet)
            if not changes:
                form.add_error(None, "Вы ничего не изменили: впишите новые значения.")
            else:
                done, filed = attempt(form, lambda: file_request(actor_of(request), school, lesson, changes,
                                                                 reason=form.cleaned_data["reason"], comment=form.cleaned_data["comment"]))
                if done:
                    messages.success(request, f"Заявка №{filed.pk} подана заместителю директора.")
                    return redirect("school:journal-request", school_slug=school.slug, request_id=filed.pk)
    rows = [{"student": r.student, "attendance": form[f"a_{r.student.pk}"],
             "marks": [form[f"m_{w.pk}_{r.student.pk}"] for w in sheet.works]} for r in sheet.rows]
    return render(request, "journal/control/request_form.html", {
        "school": school, "lesson": lesson, "works": sheet.works, "rows": rows, "form": form, "locked": locked,
        "can_file": lesson.teacher_id == actor_of(request).pk or services.teaches(
            actor_of(request).pk, lesson.school_class_id, lesson.subject_id, lesson.subgroup_id),
    })


def forgotten_slots(actor: Any, day: dt.date) -> list[Any]:
    """The actor's lessons of the timetable on `day` (substitutions included, R-J06) that have no
    journal record: past the lock they are entered only through a request (R-J08). A few queries."""
    from timetable.selectors import lessons_on

    slots = lessons_on(day, teacher=actor)
    if not slots:
        return []
    recorded = set(Lesson.objects.filter(date=day, school_class_id__in={s.school_class.pk for s in slots})
                   .values_list("school_class_id", "subgroup_id", "subject_id", "lesson_number"))
    return [s for s in slots if (s.school_class.pk, s.subgroup.pk if s.subgroup else None, s.subject.pk, s.lesson_number)
            not in recorded]


@page
@require_GET
def request_new(request: HttpRequest, school_slug: str) -> HttpResponse:
    """Choosing what to correct: the teacher's locked lessons of a date, the lessons of their
    timetable that date that were never recorded, and the period marks of their classes."""
    school, _access = access_school(request, Perm.JOURNAL_WRITE)
    actor = actor_of(request)
    assignments = list(TeachingAssignment.objects.filter(teacher_id=actor.pk, school_class__year__status="open")
                       .select_related("school_class", "subject").order_by("school_class__grade", "school_class__letter",
                                                                            "subject__name"))
    day = parse_date(request.GET.get("date"))
    lessons: list[Lesson] = []
    slots: list[Any] = []
    if day is not None:
        pairs = Q(pk__in=[])
        for a in assignments:
            pairs |= Q(school_class_id=a.school_class_id, subject_id=a.subject_id)
        lessons = list(Lesson.objects.filter(date=day).filter(pairs | Q(teacher_id=actor.pk))
                       .select_related("school_class", "subject", "subgroup").order_by("lesson_number"))
        slots = forgotten_slots(actor, day)
    return render(request, "journal/control/request_new.html", {
        "school": school, "day": day, "lessons": lessons, "slots": slots, "boundary": rules.lock_boundary(),
        "assignments": assignments,
    })


@page
@GET_POST
def request_slot(request: HttpRequest, school_slug: str) -> HttpResponse:
    """R-J08: a request for a lesson of the teacher's timetable that was never recorded and is past
    the lock: its topic, what was done, homework and attendance; the approval creates the record."""
    school, _access = access_school(request, Perm.JOURNAL_WRITE)
    params = request.POST if request.method == "POST" and request.POST.get("date") else request.GET  # the slot: form or address
    day, number = parse_date(params.get("date")), _int(params.get("number"))
    class_id, subject_id, subgroup_id = _int(params.get("class")), _int(params.get("subject")), _int(params.get("subgroup"))
    slot = next((s for s in (forgotten_slots(actor_of(request), day) if day else [])
                 if (s.school_class.pk, s.subject.pk, s.lesson_number, s.subgroup.pk if s.subgroup else None)
                 == (class_id, subject_id, number, subgroup_id)), None)
    if slot is None:
        raise NotFound("В вашем расписании нет такого урока без записи.")
    assert day is not None and number is not None
    sheet = selectors.lesson_sheet(slot.school_class.pk, day, subgroup_id)
    student_ids = [r.student.pk for r in sheet.rows]
    form = ChangeRequestForm(request.POST or None, initial={f"a_{r.student.pk}": "" for r in sheet.rows}, student_ids=student_ids)
    # R-J08, R-J03: the forgotten lesson's works and marks (none in grade 1 or an extracurricular subject, R-J04).
    with_works = not rules.no_marks_reason(slot.school_class.grade, slot.subject)
    if with_works:
        add_new_work_fields(form, list(WorkType.objects.filter(is_active=True).values_list("pk", "name")), student_ids)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        new: dict[str, Any] = {"op": "new_lesson", "subgroup": subgroup_id, "lesson_number": number,
                               **{name: (data.get(name) or "").strip() for name in ("topic", "done", "homework")}}
        works = new_work_changes(data, student_ids) if with_works else []
        if works:
            new["works"] = works
        changes: list[dict[str, Any]] = [new]
        changes += [{"op": "attendance", "student": r.student.pk, "status": data[f"a_{r.student.pk}"]}
                    for r in sheet.rows if data.get(f"a_{r.student.pk}")]
        done, filed = attempt(form, lambda: file_request(actor_of(request), school, None, changes, reason=data["reason"],
                                                         comment=data["comment"], school_class=slot.school_class,
                                                         subject=slot.subject, date=day))
        if done:
            messages.success(request, f"Заявка №{filed.pk} подана заместителю директора.")
            return redirect("school:journal-request", school_slug=school.slug, request_id=filed.pk)
    works_range = range(1, NEW_LESSON_WORKS + 1) if with_works else range(0)
    rows = [{"student": r.student, "attendance": form[f"a_{r.student.pk}"],
             "marks": [form[f"m_{i}_{r.student.pk}"] for i in works_range]} for r in sheet.rows]
    return render(request, "journal/control/request_slot.html", {
        "school": school, "slot": slot, "day": day, "rows": rows, "form": form, "locked": day < rules.lock_boundary(),
        "works": [(form[f"w{i}_type"], form[f"w{i}_topic"]) for i in works_range],
        "params": {"date": day.isoformat(), "class": class_id, "subject": subject_id, "number": number,
                   "subgroup": subgroup_id or ""},
    })


@page
@GET_POST
def request_final(request: HttpRequest, school_slug: str, class_id: int, subject_id: int) -> HttpResponse:
    """R-J11, R-J08: a request to correct period (year, exam, final) marks after their window: the
    corrected values next to the current ones, and the reason; the approval sets them."""
    school, access, school_class, subject = access_class_subject(request, class_id, subject_id)
    params = request.POST if request.method == "POST" else request.GET
    try:
        sheet = final_sheet(school_class, subject, params.get("kind") or FinalKind.PERIOD, params.get("period"))
    except ValidationFailed as exc:
        return render(request, "journal/control/request_final.html", {"school": school, "problem": exc.message,
                                                                       "school_class": school_class, "subject": subject}, status=400)
    may_set = may_set_final(request, access, school, school_class, subject)
    form = FinalChangeForm(request.POST or None, initial={f"mark_{r.student.pk}": r.text for r in sheet.rows},
                           student_ids=[r.student.pk for r in sheet.rows])
    if request.method == "POST":
        if not may_set:
            raise PermissionDenied("Итоговые отметки выставляет учитель предмета в своём классе или классный руководитель.")
        if form.is_valid():
            changes = [{"op": "period_mark", "student": r.student.pk, "kind": sheet.kind,
                        "period": sheet.period.pk if sheet.period else None,
                        "value": (form.cleaned_data.get(f"mark_{r.student.pk}") or "").strip().lower()}
                       for r in sheet.rows if (form.cleaned_data.get(f"mark_{r.student.pk}") or "").strip().lower() != r.text]
            if not changes:
                form.add_error(None, "Вы ничего не изменили: впишите исправленные отметки.")
            else:
                done, filed = attempt(form, lambda: file_request(
                    actor_of(request), school, None, changes, reason=form.cleaned_data["reason"],
                    comment=form.cleaned_data["comment"], school_class=school_class, subject=subject))
                if done:
                    messages.success(request, f"Заявка №{filed.pk} подана заместителю директора.")
                    return redirect("school:journal-request", school_slug=school.slug, request_id=filed.pk)
    rows = [(row, form[f"mark_{row.student.pk}"]) for row in sheet.rows]
    return render(request, "journal/control/request_final.html", {
        "school": school, "sheet": sheet, "rows": rows, "form": form, "may_set": may_set, "kinds": FinalKind.choices,
        "school_class": school_class, "subject": subject, "closed": rules.today() > sheet.window_closes,
    })


@page
@require_GET
def request_list(request: HttpRequest, school_slug: str) -> HttpResponse:
    """The deputy's queue (pending first) or the teacher's own requests with their outcome."""
    school, access = access_school(request)
    control = access.can(Perm.JOURNAL_CONTROL, school)
    if not (control or access.can(Perm.JOURNAL_WRITE, school)):
        raise PermissionDenied()
    status = request.GET.get("status", ChangeRequestStatus.PENDING if control else "")
    if status not in ChangeRequestStatus.values:
        status = ""
    mine = not control or request.GET.get("mine") == "1"
    rows = selectors.change_requests(requested_by_id=actor_of(request).pk if mine else None, status=status or None)
    return render(request, "journal/control/requests.html", {
        "school": school, "rows": list(zip(rows, selectors.describe_changes([r.changes for r in rows]), strict=True)),
        "control": control, "mine": mine, "status": status, "statuses": ChangeRequestStatus.choices,
    })


@page
@GET_POST
def request_detail(request: HttpRequest, school_slug: str, request_id: int) -> HttpResponse:
    """A request with its changes; the deputy approves (applied and logged) or rejects with a reason."""
    school, access, found = access_change_request(request, request_id)
    form = DecisionForm(request.POST or None)
    if request.method == "POST":
        if not access.can(Perm.JOURNAL_CONTROL, school):
            raise PermissionDenied("Заявки рассматривает заместитель директора.")
        if form.is_valid():
            approve = form.cleaned_data["action"] == "approve"
            decide = services.approve_change_request if approve else services.reject_change_request
            done, _ = attempt(form, lambda: decide(actor_of(request), school, found.pk, form.cleaned_data["note"]))
            if done:
                messages.success(request, f"Заявка №{found.pk} " + ("одобрена, изменения внесены в журнал." if approve else "отклонена."))
                return redirect("school:journal-requests", school_slug=school.slug)
    return render(request, "journal/control/request_detail.html", {
        "school": school, "req": found, "lines": selectors.describe_changes([found.changes])[0], "form": form,
        "can_decide": access.can(Perm.JOURNAL_CONTROL, school) and found.status == ChangeRequestStatus.PENDING,
    })


@dataclass
class Register:
    start: dt.date
    end: dt.date
    title: str
    rows: list[tuple[ChangeRequest, list[str]]]


def register_for(periods: list[StudyPeriod], params: Any) -> tuple[Register, StudyPeriod | None]:
    """The requests filed in a study period (or between two dates), oldest first, as the paper
    register «Замена сведений в электронном журнале» lists them."""
    start, end = parse_date(params.get("start")), parse_date(params.get("end"))
    period = None
    if not (start or end):
        period = pick_period(periods, params.get("period"), rules.today())
    if period is not None:
        start, end, title = period.starts_on, period.ends_on, f"{period.name} ({period.starts_on:%d.%m.%Y}–{period.ends_on:%d.%m.%Y})"
    else:
        start, end = date_range(start, end, default_days=90)
        title = f"с {start:%d.%m.%Y} по {end:%d.%m.%Y}"
    rows = list(reversed(selectors.change_requests(start=start, end=end)))
    return Register(start, end, title, list(zip(rows, selectors.describe_changes([r.changes for r in rows]), strict=True))), period


@page
@require_GET
def request_register(request: HttpRequest, school_slug: str) -> HttpResponse:
    """The printable register per period: HTML styled for print, or PDF (`?format=pdf`)."""
    school, _ = require_control(request)
    periods = year_periods()
    try:
        register, period = register_for(periods, request.GET)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
        return redirect("school:journal-request-register", school_slug=school.slug)
    context = {"school": school, "register": register, "periods": periods, "period": period,
               "pdf_available": printouts.pdf_available(), "printed_at": rules.today()}
    if request.GET.get("format") == "pdf":
        pdf = printouts.render_pdf(request, "journal/control/register_print.html", context,
                                   f"zamena-svedeniy-{register.start:%Y%m%d}-{register.end:%Y%m%d}.pdf")
        if pdf is not None:
            return pdf
        messages.error(request, "PDF на этом сервере не формируется: распечатайте страницу из браузера.")
    return render(request, "journal/control/register_print.html", context)


# --- period, year, exam and final marks (R-J11, R-J12) ----------------------------------------------

@dataclass
class FinalRow:
    student: Person
    count: int
    plain: Decimal | None
    weighted: Decimal | None
    proposed: int | None
    short: bool
    mark: PeriodMark | None
    period_marks: list[PeriodMark | None] = field(default_factory=list)  # year marks: the periods' marks

    @property
    def text(self) -> str:
        return final_text(self.mark)


def final_text(mark: PeriodMark | None) -> str:
    if mark is None:
        return ""
    return "н/а" if mark.not_assessed else mark_text(mark.mark_kind, mark.value)


@dataclass
class FinalSheet:
    school_class: SchoolClass
    subject: Subject
    kind: str
    period: StudyPeriod | None
    periods: list[StudyPeriod]
    rows: list[FinalRow]
    window: tuple[dt.date, dt.date]
    is_open: bool
    min_marks: int
    hours_per_week: Decimal

    @property
    def window_opens(self) -> dt.date:
        return self.window[0]

    @property
    def window_closes(self) -> dt.date:
        return self.window[1]


def final_sheet(school_class: SchoolClass, subject: Subject, kind: str, period_id: Any) -> FinalSheet:
    """The students with their current marks, averages, the proposed mark (the school's rounding
    rule), the shortage warning and the mark already set. About twelve queries whatever the size."""
    if kind not in FinalKind.values:
        raise ValidationFailed("Вид отметки: period, year, exam или final.", fields={"kind": ["Недопустимое значение."]})
    today = rules.today()
    periods = periods_for_grade(school_class.grade, school_class.year)
    period = pick_period(periods, period_id, today) if kind == FinalKind.PERIOD else None
    if kind == FinalKind.PERIOD and period is None:
        raise ValidationFailed("Для параллели не заданы учебные периоды.", code="no_periods")
    year = school_class.year
    start, end = (period.starts_on, period.ends_on) if period else (year.starts_on, year.ends_on)
    grid = selectors.journal_grid(school_class, subject.pk, start, end, period_id=period.pk if period else None)
    marks: dict[int, PeriodMark] = {}
    by_period: dict[int, dict[int, PeriodMark]] = {}
    if kind != FinalKind.PERIOD:
        for pm in PeriodMark.objects.filter(school_class=school_class, subject=subject, kind=kind, period__isnull=True):
            marks[pm.student_id] = pm
    if kind == FinalKind.YEAR:
        for pm in PeriodMark.objects.filter(school_class=school_class, subject=subject, kind=FinalKind.PERIOD):
            by_period.setdefault(pm.student_id, {})[pm.period_id or 0] = pm
    settings_row = JournalSettings.current()
    rows = []
    for r in grid.rows:
        mark = r.period_mark if kind == FinalKind.PERIOD else marks.get(r.student.pk)
        own = [by_period.get(r.student.pk, {}).get(p.pk) for p in periods] if kind == FinalKind.YEAR else []
        proposed = r.proposed
        graded = [pm.value for pm in own if pm is not None and pm.value and not pm.not_assessed]
        if graded:  # a year mark is proposed from the period marks
            proposed = selectors.propose_mark(Decimal(sum(graded)) / len(graded), settings_row.round_up_from)
        rows.append(FinalRow(r.student, r.count, r.plain, r.weighted, proposed, r.short, mark, own))
    window = period_marks.window(school_class, kind, period)
    return FinalSheet(school_class, subject, kind, period, periods, rows, window, window[0] <= today <= window[1],
                      grid.min_marks, grid.hours_per_week)


class _Rollback(Exception):
    pass


def save_final_marks(request: HttpRequest, school: School, sheet: FinalSheet, form: FinalMarksForm) -> tuple[int, list[str]]:
    """Every changed mark, all or nothing: a row refused rolls the whole form back. Returns the
    number saved and the shortage warnings (R-J12); errors go onto the form per student."""
    saved, warnings, errors = 0, [], {}
    try:
        with transaction.atomic():
            for row in sheet.rows:
                sid = row.student.pk
                new = (form.cleaned_data.get(f"mark_{sid}") or "").strip().lower()
                if new == row.text:
                    continue
                if not new:
                    errors[sid] = "Итоговую отметку нельзя стереть: впишите исправленное значение."
                    continue
                try:
                    with transaction.atomic():
                        result = period_marks.set_period_mark(
                            actor_of(request), school, school_class=sheet.school_class, subject=sheet.subject, student_id=sid,
                            kind=sheet.kind, value=new, period=sheet.period, expected_version=form.cleaned_data.get(f"v_{sid}"))
                except PermissionDenied:
                    raise
                except DomainError as exc:
                    errors[sid] = exc.message
                    continue
                saved += 1
                warnings += [f"{row.student.short_name}: {w}" for w in result.warnings]
            if errors:
                raise _Rollback
    except _Rollback:
        for sid, message in errors.items():
            form.add_error(f"mark_{sid}", message)
        return 0, []
    return saved, warnings


@page
@GET_POST
def final_marks(request: HttpRequest, school_slug: str, class_id: int, subject_id: int) -> HttpResponse:
    """R-J11, R-J12: a class × subject × period (or year, exam, final) page."""
    school, access, school_class, subject = access_class_subject(request, class_id, subject_id)
    params = request.POST if request.method == "POST" else request.GET
    kind = params.get("kind") or FinalKind.PERIOD
    try:
        sheet = final_sheet(school_class, subject, kind, params.get("period"))
    except ValidationFailed as exc:
        return render(request, "journal/control/final_marks.html", {"school": school, "problem": exc.message,
                                                                     "school_class": school_class, "subject": subject}, status=400)
    may_set = may_set_final(request, access, school, school_class, subject)
    initial: dict[str, Any] = {}
    for row in sheet.rows:
        initial[f"mark_{row.student.pk}"] = row.text
        initial[f"v_{row.student.pk}"] = row.mark.version if row.mark else 0  # 0: "no mark seen", one set meanwhile is a conflict
    form = FinalMarksForm(request.POST or None, initial=initial, student_ids=[r.student.pk for r in sheet.rows])
    if request.method == "POST":
        if not may_set:
            raise PermissionDenied("Итоговые отметки выставляет учитель предмета в своём классе или классный руководитель.")
        if form.is_valid():
            saved, warnings = save_final_marks(request, school, sheet, form)
            if not form.errors:
                messages.success(request, f"Сохранено отметок: {saved}." if saved else "Изменений нет.")
                for warning in warnings:
                    messages.warning(request, warning)
                url = reverse("school:journal-final-marks", kwargs={"school_slug": school.slug, "class_id": class_id,
                                                                     "subject_id": subject_id})
                return redirect(f"{url}?kind={sheet.kind}" + (f"&period={sheet.period.pk}" if sheet.period else ""))
    rows = [(row, form[f"mark_{row.student.pk}"], form[f"v_{row.student.pk}"]) for row in sheet.rows]
    return render(request, "journal/control/final_marks.html", {
        "school": school, "sheet": sheet, "rows": rows, "form": form, "may_set": may_set, "kinds": FinalKind.choices,
        "school_class": school_class, "subject": subject, "today": rules.today(),
    })


@page
@require_GET
def final_class(request: HttpRequest, school_slug: str, class_id: int) -> HttpResponse:
    """The class teacher's page: every subject of the class in a period — marks set, who is short."""
    school, _access, school_class = access_class(request, class_id)
    periods = periods_for_grade(school_class.grade, school_class.year)
    period = pick_period(periods, request.GET.get("period"), rules.today())
    rows = selectors.period_overview(period, class_ids={school_class.pk}) if period else []
    return render(request, "journal/control/final_class.html", {
        "school": school, "school_class": school_class, "periods": periods, "period": period, "rows": rows,
        "grade_one": school_class.grade == 1,
    })


# --- the deputy's control (R-J05, R-J02, R-J12, R-J13; R-C01 basics) ---------------------------------

@page
@require_GET
def control_home(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, _ = require_control(request)
    return render(request, "journal/control/home.html", {
        "school": school,
        "pending": ChangeRequest.objects.filter(status=ChangeRequestStatus.PENDING).count(),
    })


@page
@require_GET
def control_lessons(request: HttpRequest, school_slug: str) -> HttpResponse:
    """R-J05: lessons of the timetable never recorded, records without topic, homework or attendance,
    control works without marks, and entries made after the lesson's day."""
    school, _ = require_control(request)
    form = RangeForm(request.GET or None, teachers=staff_choices(school, {Role.TEACHER, Role.CLASS_TEACHER}),
                     classes=class_choices())
    rows: list[selectors.CheckRow] = []
    problem = ""
    if form.is_bound and not form.is_valid():
        problem = "Проверьте фильтры."
    else:
        data = form.cleaned_data if form.is_bound else {}
        try:
            start, end = date_range(data.get("start"), data.get("end"))
            rows = lessons_to_check(start, end, teacher_id=data.get("teacher"), class_id=data.get("school_class"))
        except ValidationFailed as exc:
            problem = exc.message
    return render(request, "journal/control/lessons.html", {
        "school": school, "form": form, "rows": rows, "problem": problem,
        "not_recorded": sum(1 for r in rows if r.lesson is None),
        "no_attendance": sum(1 for r in rows if r.lesson is not None and not r.attendance_taken),
        "unmarked": sum(1 for r in rows if r.control_without_marks),
        "late": sum(1 for r in rows if r.entered_late or r.late_attendance or r.late_marks),
    })


def lessons_to_check(start: dt.date, end: dt.date, *, teacher_id: int | None, class_id: int | None) -> list[selectors.CheckRow]:
    return selectors.lessons_to_check(start, end, teacher_id=teacher_id, class_id=class_id)


def absence_scope(request: HttpRequest) -> tuple[School, set[int] | None, bool]:
    """R-J02: the deputy sees the whole school (None), a class teacher their own classes."""
    school, access = access_school(request)
    control = access.can(Perm.JOURNAL_CONTROL, school)
    entry = access.schools.get(school.pk)
    own = set(entry.class_teacher_of) if entry else set()
    if not (control or own):
        raise PermissionDenied("Список видят заместитель директора и классные руководители.")
    return school, None if control else own, control


def absence_rows(request: HttpRequest) -> tuple[School, list[Any], bool]:
    """R-J02: absences still without a reason past their 2 working days."""
    school, class_ids, control = absence_scope(request)
    return school, selectors.absences_without_reason(rules.today(), class_ids=class_ids), control


def late_reason_rows(request: HttpRequest) -> tuple[School, list[selectors.LateReason], bool]:
    """R-J02: reasons entered more than 2 working days after their document."""
    school, class_ids, control = absence_scope(request)
    return school, selectors.reasons_entered_late(class_ids=class_ids), control


def reason_due(lesson_date: dt.date) -> dt.date:
    from core.workdays import add_working_days

    return add_working_days(lesson_date, selectors.REASON_WORKING_DAYS)


@page
@require_GET
def control_absences(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, class_ids, control = absence_scope(request)
    rows = selectors.absences_without_reason(rules.today(), class_ids=class_ids)
    return render(request, "journal/control/absences.html", {
        "school": school, "rows": [(a, reason_due(a.lesson.date)) for a in rows], "control": control,
        "late_reasons": selectors.reasons_entered_late(class_ids=class_ids),
    })


@page
@require_GET
def control_ktp(request: HttpRequest, school_slug: str) -> HttpResponse:
    """R-J13: plans missing after 15 October, and the share of the programme and hours delivered."""
    school, access = access_school(request)
    if not (access.can(Perm.JOURNAL_CONTROL, school) or access.can(Perm.MANAGE_KTP, school)):
        raise PermissionDenied()
    year = current_year()
    rows = selectors.ktp_overview(year, on=rules.today()) if year else []
    only_missing = request.GET.get("missing") == "1"
    if only_missing:
        rows = [r for r in rows if not r.has_plan]
    return render(request, "journal/control/ktp_status.html", {"school": school, "rows": rows, "only_missing": only_missing,
                                                                "year": year})


@page
@require_GET
def control_short(request: HttpRequest, school_slug: str) -> HttpResponse:
    """R-J12: who is short of current marks, per class, subject and period."""
    school, _ = require_control(request)
    periods = year_periods()
    period = pick_period(periods, request.GET.get("period"), rules.today())
    rows = [r for r in selectors.period_overview(period) if r.short] if period else []
    return render(request, "journal/control/short.html", {"school": school, "periods": periods, "period": period, "rows": rows})


# --- marks from elsewhere (R-J09) -------------------------------------------------------------------

@page
@GET_POST
def external_mark(request: HttpRequest, school_slug: str, lesson_id: int) -> HttpResponse:
    school, _, lesson = access_lesson(request, lesson_id, write=True)
    sheet = selectors.lesson_sheet(lesson.school_class_id, lesson.date, lesson.subgroup_id, lesson)
    works = [(w.pk, f"{w.work_type.name}{' — ' + w.topic if w.topic else ''}") for w in sheet.works]
    form = ExternalMarkForm(request.POST or None, works=works, students=[(r.student.pk, r.student.full_name) for r in sheet.rows])
    if request.method == "POST" and form.is_valid():
        work = next(w for w in sheet.works if w.pk == form.cleaned_data["work"])
        done, _ = attempt(form, lambda: services.record_external_mark(
            actor_of(request), school, work, form.cleaned_data["student"], form.cleaned_data["value"], form.cleaned_data["document"]))
        if done:
            messages.success(request, "Отметка внесена с указанием документа-основания.")
            return redirect("school:journal-external-mark", school_slug=school.slug, lesson_id=lesson.pk)
    external = [(r.student, w, r.marks[w.pk]) for r in sheet.rows for w in sheet.works
                if w.pk in r.marks and r.marks[w.pk].source_document]
    return render(request, "journal/control/external_mark.html", {
        "school": school, "lesson": lesson, "form": form, "external": external, "has_works": bool(works),
    })


# --- the notebook (R-J10): the teacher's own, nobody else's -----------------------------------------

@dataclass
class NotebookView:
    assignments: list[TeachingAssignment]
    school_class: SchoolClass | None = None
    subject: Subject | None = None
    students: list[Person] = field(default_factory=list)
    entries: list[Any] = field(default_factory=list)  # (NotebookEntry, student)
    works: list[Work] = field(default_factory=list)


def notebook_of(actor: Any, class_id: Any, subject_id: Any) -> NotebookView:
    """The actor's OWN notebook: their assignments, and for one class and subject they teach,
    their private entries not yet moved and the works of the open (not locked) lessons."""
    assignments = list(TeachingAssignment.objects.filter(teacher_id=actor.pk, school_class__year__status="open")
                       .select_related("school_class", "subject").order_by("school_class__grade", "school_class__letter",
                                                                            "subject__name"))
    view = NotebookView(assignments)
    cid, sid = _int(class_id), _int(subject_id)
    if cid is None or sid is None:
        return view
    pair = next((a for a in assignments if a.school_class_id == cid and a.subject_id == sid), None)
    if pair is None:
        raise PermissionDenied("Блокнот ведётся только по своим классам и предметам.")
    today = rules.today()
    view.school_class, view.subject = pair.school_class, pair.subject
    view.students = selectors.class_students(cid, today, today)
    names = {s.pk: s for s in view.students}
    view.entries = [(e, names.get(e.student_id)) for e in notebook.private_entries(actor.pk, cid, sid)]
    view.works = list(Work.objects.filter(lesson__school_class_id=cid, lesson__subject_id=sid, lesson__date__gte=rules.lock_boundary(),
                                          lesson__date__lte=today).select_related("lesson", "work_type")
                      .order_by("-lesson__date", "-lesson__lesson_number", "position"))
    return view


def work_label(work: Work) -> str:
    return f"{work.lesson.date:%d.%m}, {work.lesson.lesson_number} урок: {work.work_type.name}{' — ' + work.topic if work.topic else ''}"


@page
@GET_POST
def notebook_page(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, _ = access_school(request, Perm.JOURNAL_WRITE)
    actor = actor_of(request)
    params = request.POST if request.method == "POST" else request.GET
    class_id, subject_id = params.get("class"), params.get("subject")
    if ":" in params.get("pair", ""):
        class_id, subject_id = params["pair"].split(":", 1)
    view = notebook_of(actor, class_id, subject_id)
    students = [(s.pk, s.full_name) for s in view.students]
    works = [(w.pk, work_label(w)) for w in view.works]
    action = request.POST.get("action") if request.method == "POST" else None
    note_form = NoteForm(request.POST if action == "add" else None, students=students)
    move_form = MoveForm(request.POST if action == "move" else None, works=works)
    school_class, subject = view.school_class, view.subject
    if school_class is not None and subject is not None and action:
        form = note_form if action == "add" else move_form
        if form.is_valid():
            data = form.cleaned_data
            if action == "add":
                done, _ = attempt(form, lambda: notebook.add_note(actor, school, school_class=school_class, subject=subject,
                                                                  student_id=data["student"], value=data["value"], note=data["note"]))
            else:
                work = next(w for w in view.works if w.pk == data["work"])
                done, _ = attempt(form, lambda: notebook.move_to_journal(actor, school, data["entry"], work))
            if done:
                messages.success(request, "Записано в блокнот." if action == "add" else "Отметка перенесена в журнал.")
                url = reverse("school:journal-notebook", kwargs={"school_slug": school.slug})
                return redirect(f"{url}?class={school_class.pk}&subject={subject.pk}")
    return render(request, "journal/control/notebook.html", {
        "school": school, "view": view, "note_form": note_form, "move_form": move_form, "works": works,
    })


# --- the calendar-thematic plan (КТП, R-J13) --------------------------------------------------------

@page
@require_GET
def ktp_list(request: HttpRequest, school_slug: str) -> HttpResponse:
    """The plans the person may see: all for the deputy and the methodist, one's own load otherwise."""
    school, access = access_school(request)
    everything = reads_all(access, school) or access.can(Perm.MANAGE_KTP, school)
    if not (everything or access.can(Perm.JOURNAL_WRITE, school)):
        raise PermissionDenied()
    year = current_year()
    rows: list[selectors.KtpStatusRow] = []
    if year is not None:
        if everything:
            rows = selectors.ktp_overview(year, on=rules.today())
        else:
            pairs = set(TeachingAssignment.objects.filter(teacher_id=actor_of(request).pk, school_class__year=year)
                        .values_list("school_class_id", "subject_id"))
            rows = [r for r in selectors.ktp_overview(year, on=rules.today(), class_ids={c for c, _ in pairs})
                    if (r.school_class.pk, r.subject.pk) in pairs]
    return render(request, "journal/control/ktp_list.html", {"school": school, "rows": rows, "year": year})


def may_edit_ktp(request: HttpRequest, access: Access, school: School, school_class: SchoolClass, subject: Subject,
                 subgroup: Subgroup | None = None) -> bool:
    try:
        ktp._may_edit(actor_of(request), school, school_class, subject, subgroup)
    except PermissionDenied:
        return False
    return True


def ktp_subgroup(school_class: SchoolClass, raw: Any) -> Subgroup | None:
    """?subgroup=<id> of the class (404 for another class's), else None: the class as a whole."""
    subgroup_id = _int(raw)
    if subgroup_id is None:
        return None
    subgroup = Subgroup.objects.filter(pk=subgroup_id, school_class=school_class).first()
    if subgroup is None:
        raise NotFound("Подгруппа не найдена.")
    return subgroup


def ktp_groups(school_class: SchoolClass, subject: Subject) -> list[Subgroup]:
    """The subgroups the subject is taught in (teaching load, plans, lessons), for the page's links."""
    from django.db.models import Exists, OuterRef

    from .models import KtpPlan

    used = (Exists(TeachingAssignment.objects.filter(subgroup=OuterRef("pk"), subject=subject))
            | Exists(KtpPlan.objects.filter(subgroup=OuterRef("pk"), subject=subject))
            | Exists(Lesson.objects.filter(subgroup=OuterRef("pk"), subject=subject)))
    return list(Subgroup.objects.filter(used, school_class=school_class).order_by("name"))


@page
@GET_POST
def ktp_plan(request: HttpRequest, school_slug: str, class_id: int, subject_id: int) -> HttpResponse:
    """View and edit the topics, import them from XLSX, see the delivery (R-J13); ?subgroup= for the
    plan of one group of a subject taught in groups (its own plan, else the class's is shown)."""
    school, access, school_class, subject = access_class_subject(request, class_id, subject_id, for_ktp=True)
    subgroup = ktp_subgroup(school_class, request.GET.get("subgroup"))
    work_types = [(w.pk, w.name) for w in WorkType.objects.filter(is_active=True)]
    topics, _ = selectors.ktp_topics(class_id, subject_id, subgroup.pk if subgroup else None)
    initial = [{"number": t.number, "title": t.title, "hours": t.hours, "planned_date": t.planned_date,
                "work_type": t.work_type_id} for t in topics]
    action = request.POST.get("action") if request.method == "POST" else None
    formset = TopicFormSet(request.POST if action == "save" else None, initial=initial, prefix="t",
                           form_kwargs={"work_types": work_types})
    import_form = KtpImportForm(request.POST if action == "import" else None, request.FILES if action == "import" else None)
    problems: list[str] = []
    if action:
        ktp._may_edit(actor_of(request), school, school_class, subject, subgroup)
        form: Any = formset if action == "save" else import_form
        if form.is_valid():
            try:
                if action == "save":
                    ktp.save_plan(actor_of(request), school, school_class=school_class, subject=subject,
                                  topics=formset.topics(), subgroup=subgroup)  # type: ignore[attr-defined]
                else:
                    ktp_import.import_plan(actor_of(request), school, school_class=school_class, subject=subject,
                                           source=import_form.cleaned_data["file"], subgroup=subgroup)
            except PermissionDenied:
                raise
            except DomainError as exc:
                problems = [exc.message] + [m for messages_ in exc.fields.values() for m in messages_ if m != exc.message]
            else:
                messages.success(request, "План сохранён." if action == "save" else "План загружен из файла.")
                url = reverse("school:journal-ktp-plan", kwargs={"school_slug": school.slug, "class_id": class_id, "subject_id": subject_id})
                return redirect(url + (f"?subgroup={subgroup.pk}" if subgroup else ""))
    progress = ktp.progress(school_class, subject, subgroup=subgroup)
    return render(request, "journal/control/ktp_plan.html", {
        "school": school, "school_class": school_class, "subject": subject, "subgroup": subgroup, "groups": ktp_groups(school_class, subject),
        "shared": subgroup is not None and progress.plan is not None and progress.plan.subgroup_id is None,
        "topics": topics, "formset": formset, "import_form": import_form, "problems": problems, "progress": progress,
        "may_edit": may_edit_ktp(request, access, school, school_class, subject, subgroup), "columns": ktp_import.COLUMNS,
    })


# --- extracurricular activities (R-J15) -------------------------------------------------------------

def groups_of(request: HttpRequest, access: Access, school: School) -> list[ActivityGroup]:
    """The open year's groups: all for the deputy and readers, one's own otherwise. One query."""
    qs = (ActivityGroup.objects.filter(year__status="open").select_related("teacher")
          .annotate(member_count=Count("members", distinct=True), session_count=Count("sessions", distinct=True))
          .order_by("name"))
    if not (reads_all(access, school) or access.can(Perm.MANAGE_CURRICULUM, school)):
        qs = qs.filter(teacher_id=actor_of(request).pk)
    return list(qs)


def student_choices() -> list[tuple[str, list[tuple[int, str]]]]:
    """The open year's students grouped by class, for choosing a group's members. One query."""
    groups: dict[str, list[tuple[int, str]]] = {}
    for e in (Enrolment.objects.filter(school_class__year__status="open", until__isnull=True)
              .select_related("school_class", "student").order_by("school_class__grade", "school_class__letter",
                                                                   "student__surname", "student__name")):
        groups.setdefault(e.school_class.name, []).append((e.student_id, e.student.full_name))
    return list(groups.items())


def create_group(request: HttpRequest, school: School, year: Any, data: dict[str, Any]) -> ActivityGroup:
    """activities.create_group with the page's or the API's fields."""
    teacher = Person.objects.filter(pk=data["teacher"]).first()
    if year is None:
        raise ValidationFailed("В школе нет открытого учебного года.")
    if teacher is None:
        raise ValidationFailed("Руководитель не найден.", fields={"teacher": ["Не найден."]})
    return activities.create_group(actor_of(request), school, year=year, name=data["name"], teacher=teacher,
                                   programme=data.get("programme") or "", hours_per_week=data["hours_per_week"],
                                   student_ids=data.get("students") or [])


@page
@GET_POST
def activity_list(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, access = access_school(request)
    if not (reads_all(access, school) or access.can(Perm.MANAGE_CURRICULUM, school) or access.can(Perm.JOURNAL_WRITE, school)):
        raise PermissionDenied()
    can_create = access.can(Perm.MANAGE_CURRICULUM, school)
    form = None
    if can_create:
        form = GroupForm(request.POST or None, teachers=staff_choices(school), students=student_choices())
    if request.method == "POST":
        if form is None:
            raise PermissionDenied("Группы внеурочной деятельности создаёт заместитель директора.")
        year = current_year()
        if form.is_valid():
            done, group = attempt(form, lambda: create_group(request, school, year, form.cleaned_data))
            if done:
                messages.success(request, f"Группа «{group.name}» создана.")
                return redirect("school:journal-activity", school_slug=school.slug, group_id=group.pk)
    return render(request, "journal/control/activities.html", {"school": school, "groups": groups_of(request, access, school),
                                                                "form": form})


@page
@GET_POST
def activity_detail(request: HttpRequest, school_slug: str, group_id: int) -> HttpResponse:
    """The group's programme, members and sessions (topic and absences; no marks, R-J15)."""
    from .views_settings import current_members, members_context  # its section of members (dated, R-J15)

    school, _, group = access_group(request, group_id, lead=request.method == "POST")
    members = current_members(group)
    form = SessionForm(request.POST or None, initial={"date": rules.today()}, members=[(s.pk, s.full_name) for s in members])
    if request.method == "POST" and form.is_valid():
        done, _ = attempt(form, lambda: activities.record_session(actor_of(request), school, group, date=form.cleaned_data["date"],
                                                                  topic=form.cleaned_data["topic"], absent_ids=form.cleaned_data["absent"]))
        if done:
            messages.success(request, "Занятие записано.")
            return redirect("school:journal-activity", school_slug=school.slug, group_id=group.pk)
    return render(request, "journal/control/activity.html", {
        "school": school, "group": group, "members": members, "sessions": sessions_of(group), "form": form,
        "leads": group.teacher_id == actor_of(request).pk, **members_context(request, school, group),
    })


def sessions_of(group: ActivityGroup) -> list[ActivitySession]:
    return list(group.sessions.prefetch_related(Prefetch("absences", queryset=ActivityAbsence.objects.select_related("student")))
                .order_by("-date"))


# --- journal settings -------------------------------------------------------------------------------

def settings_history(school: School) -> list[Any]:
    from audit.models import AuditRecord

    return list(AuditRecord.objects.filter(school=school, action="journal.settings.update").order_by("-at")[:20])


def save_settings(request: HttpRequest, school: School, data: dict[str, Any]) -> JournalSettings:
    return settings_service.update_settings(actor_of(request), school, settings_service.SettingsData(
        lock_days=data["lock_days"], round_up_from=data["round_up_from"], period_mark_days_after=data["period_mark_days_after"],
        use_weighted_average=data["use_weighted_average"]), reason=data.get("reason") or "")


@page
@GET_POST
def settings_page(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, _ = access_school(request, Perm.MANAGE_SETTINGS)
    current = JournalSettings.current()
    form = SettingsForm(request.POST or None, initial={
        "lock_days": current.lock_days, "round_up_from": current.round_up_from,
        "period_mark_days_after": current.period_mark_days_after, "use_weighted_average": current.use_weighted_average})
    if request.method == "POST" and form.is_valid():
        done, _ = attempt(form, lambda: save_settings(request, school, form.cleaned_data))
        if done:
            messages.success(request, "Настройки журнала сохранены.")
            return redirect("school:journal-settings", school_slug=school.slug)
    from .views_settings import settings_context  # the work types section (R-J03)

    return render(request, "journal/control/settings.html", {"school": school, "form": form, "history": settings_history(school),
                                                             **settings_context(school)})
