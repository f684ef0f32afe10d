"""Pages of the timetable app (R-Y04): the week of a class and of a teacher (grids with the
calendar and substitutions applied, a constant number of queries), the cell editor of a
class's timetable with its check against the curriculum, bells, events, substitutions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Person
from accounts.roles import Perm
from core.access import access_school
from core.errors import DomainError, NotFound, PermissionDenied
from core.views import form_error, page
from curriculum.selectors import staff_people
from roster.models import SchoolClass, Subgroup
from schoolyear.models import AcademicYear
from schoolyear.selectors import current_year

from . import selectors, services
from .access import access_class, access_manage, access_report, access_staff, access_teacher, is_staff, may_manage
from .forms import BellsForm, EntryForm, EventForm, SubstitutionForm, bells_text
from .models import BellSchedule, Event, Substitution, TimetableEntry

MANAGERS_ONLY = "Расписание, мероприятия и замены ведут заместитель директора и администрация школы."


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _year() -> AcademicYear | None:
    return current_year() or AcademicYear.objects.order_by("-starts_on").first()


# --- reading ---------------------------------------------------------------------------------------

@page
def index(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, access = access_school(request)
    year = _year()
    classes = list(SchoolClass.objects.filter(year=year).order_by("grade", "letter")) if year else []
    staff = is_staff(access, school)
    teacher_ids = selectors.teacher_ids_with_lessons(year) if staff else set()
    teachers = [p for p in staff_people(school) if p.pk in teacher_ids] if staff else []
    return render(request, "timetable/index.html", {
        "school": school, "year": year, "classes": classes, "teachers": teachers, "staff": staff,
        "can_manage": may_manage(access, school), "me": request.user,
    })


def _monday(request: HttpRequest, year: AcademicYear | None) -> dt.date:
    return selectors.monday_of(_date(request.GET.get("week")) or selectors.reference_day(year))


@page
def class_week(request: HttpRequest, school_slug: str, class_id: int) -> HttpResponse:
    school, access, school_class = access_class(request, class_id)
    week = selectors.week_of(school_class, _monday(request, school_class.year))
    return render(request, "timetable/week.html", {
        "school": school, "week": week, "title": f"Расписание {school_class}", "school_class": school_class,
        "can_manage": may_manage(access, school), "show": "teacher",
    })


@page
def teacher_week(request: HttpRequest, school_slug: str, person_id: int) -> HttpResponse:
    school, access, person = access_teacher(request, person_id)
    week = selectors.week_of(person, _monday(request, _year()))
    return render(request, "timetable/week.html", {
        "school": school, "week": week, "title": f"Расписание учителя: {person.full_name}", "teacher": person,
        "can_manage": may_manage(access, school), "show": "class",
    })


@page
def check(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, _ = access_report(request)
    report = selectors.timetable_report(_year(), on=_date(request.GET.get("on")))
    return render(request, "timetable/check.html", {"school": school, "report": report, "year": _year()})


# --- the cell editor -------------------------------------------------------------------------------

def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() else None


@page
@require_http_methods(["GET", "POST"])
def edit(request: HttpRequest, school_slug: str, class_id: int) -> HttpResponse:
    school, _, school_class = access_class(request, class_id, perm=Perm.MANAGE_TIMETABLE)
    on = _date(request.GET.get("on"))
    teachers = staff_people(school)
    subgroups = list(Subgroup.objects.filter(school_class=school_class).order_by("kind", "name"))
    params = request.POST if request.method == "POST" else request.GET
    entry_id = _int(params.get("entry"))
    entry = TimetableEntry.objects.select_related("school_class__year", "subject", "teacher", "subgroup").filter(
        pk=entry_id, school_class=school_class).first() if entry_id else None
    if entry_id and entry is None:
        raise NotFound("Урок не найден в расписании этого класса.")
    initial: dict[str, Any] = {"weekday": _int(params.get("weekday")) or 1, "lesson_number": _int(params.get("lesson")) or 1,
                               "shift": _int(params.get("shift")) or 1}
    if entry is not None:
        initial = {"entry": entry.pk, "weekday": entry.weekday, "lesson_number": entry.lesson_number, "shift": entry.shift,
                   "subject": entry.subject, "teacher": entry.teacher_id, "subgroup": entry.subgroup_id, "room": entry.room,
                   "valid_from": entry.valid_from, "valid_to": entry.valid_to}
    form = EntryForm(initial=initial, teachers=teachers, subgroups=subgroups)
    if request.method == "POST":
        actor: Any = request.user
        if request.POST.get("action") == "delete":
            try:
                if entry is None:
                    raise NotFound("Урок не найден.")
                services.delete_entry(actor, school, entry)
                messages.success(request, "Урок убран из расписания.")
            except DomainError as exc:
                messages.error(request, exc.message)
            return redirect(_edit_url(school.slug, class_id, on))
        form = EntryForm(request.POST, teachers=teachers, subgroups=subgroups)
        if form.is_valid():
            data = form.cleaned_data
            try:
                teacher = next((t for t in teachers if t.pk == data["teacher"]), None) or Person.objects.get(pk=data["teacher"])
                entry_data = services.EntryData(
                    school_class=school_class, weekday=data["weekday"], lesson_number=data["lesson_number"], subject=data["subject"],
                    teacher=teacher, subgroup=next((g for g in subgroups if g.pk == data["subgroup"]), None), room=data["room"],
                    shift=data["shift"], valid_from=data["valid_from"], valid_to=data["valid_to"])
                if entry is not None:
                    services.update_entry(actor, school, entry, entry_data, from_date=data["from_date"])
                else:
                    services.create_entry(actor, school, entry_data)
            except Person.DoesNotExist:
                form.add_error("teacher", "Учитель не найден.")
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, "Расписание сохранено.")
                return redirect(_edit_url(school.slug, class_id, on))
    template = selectors.template_of(school_class, on)
    report = selectors.timetable_report(school_class.year, on=template.on, school_class=school_class)
    return render(request, "timetable/edit.html", {
        "school": school, "school_class": school_class, "template": template, "form": form, "entry": entry, "report": report,
        "selected": (form["weekday"].value(), form["lesson_number"].value()),
    })


def _edit_url(slug: str, class_id: int, on: dt.date | None) -> str:
    url = reverse("school:timetable-edit", kwargs={"school_slug": slug, "class_id": class_id})
    return f"{url}?on={on.isoformat()}" if on else url


# --- bells -----------------------------------------------------------------------------------------

@page
@require_http_methods(["GET", "POST"])
def bells(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, access = access_school(request)
    year = _year()
    can_manage = may_manage(access, school)
    schedules = selectors.bell_schedules(year)
    shift = _int(request.GET.get("shift")) or 1
    existing = next((s for s in schedules if s.shift == shift), None)
    form = BellsForm(initial={"shift": shift, "name": existing.name if existing else "", "bells": bells_text(existing) if existing else ""})
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(MANAGERS_ONLY)
        actor: Any = request.user
        if request.POST.get("action") == "delete":
            schedule = BellSchedule.objects.filter(pk=_int(request.POST.get("schedule")) or 0).first()
            try:
                if schedule is None:
                    raise NotFound("Расписание звонков не найдено.")
                services.delete_bell_schedule(actor, school, schedule)
                messages.success(request, "Расписание звонков удалено.")
            except DomainError as exc:
                messages.error(request, exc.message)
            return redirect("school:timetable-bells", school_slug=school.slug)
        form = BellsForm(request.POST)
        if form.is_valid():
            try:
                if year is None:
                    raise NotFound("Учебный год не открыт.")
                services.save_bell_schedule(actor, school, year=year, shift=form.cleaned_data["shift"], bells=form.cleaned_data["bells"],
                                            name=form.cleaned_data["name"])
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, "Расписание звонков сохранено.")
                return redirect("school:timetable-bells", school_slug=school.slug)
    return render(request, "timetable/bells.html", {"school": school, "year": year, "schedules": schedules, "form": form,
                                                    "can_manage": can_manage})


# --- events ----------------------------------------------------------------------------------------

def _event_data(data: dict[str, Any], classes: list[SchoolClass]) -> services.EventData:
    return services.EventData(title=data["title"], date=data["date"], kind=data["kind"],
                              school_class=next((c for c in classes if c.pk == data["school_class"]), None),
                              starts_at=data.get("starts_at"), place=data.get("place", ""))


@page
@require_http_methods(["GET", "POST"])
def events(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, access = access_school(request)
    year = _year()
    classes = list(SchoolClass.objects.filter(year=year).order_by("grade", "letter")) if year else []
    can_manage = may_manage(access, school)
    form = EventForm(classes=classes)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(MANAGERS_ONLY)
        form = EventForm(request.POST, classes=classes)
        if form.is_valid():
            try:
                services.create_event(request.user, school, _event_data(form.cleaned_data, classes))  # type: ignore[arg-type]
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, "Мероприятие добавлено.")
                return redirect("school:timetable-events", school_slug=school.slug)
    start = _date(request.GET.get("from")) or (year.starts_on if year else timezone.localdate())
    rows = list(selectors.events(start=start, end=year.ends_on if year else None))
    return render(request, "timetable/events.html", {
        "school": school, "year": year, "rows": [(e, selectors.event_is_late(e)) for e in rows], "form": form,
        "can_manage": can_manage, "classes": classes,
    })


@page
@require_POST
def event(request: HttpRequest, school_slug: str, event_id: int) -> HttpResponse:
    school, _ = access_manage(request)
    item = Event.objects.select_related("school_class__year").filter(pk=event_id).first()
    if item is None:
        raise NotFound("Мероприятие не найдено.")
    actor: Any = request.user
    try:
        if request.POST.get("action") == "delete":
            services.delete_event(actor, school, item)
            messages.success(request, "Мероприятие удалено.")
        else:
            classes = list(SchoolClass.objects.filter(year=_year()).order_by("grade", "letter"))
            form = EventForm(request.POST, classes=classes)
            if not form.is_valid():
                messages.error(request, "Проверьте название и дату мероприятия.")
            else:
                services.update_event(actor, school, item, _event_data(form.cleaned_data, classes))
                messages.success(request, "Мероприятие изменено.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("school:timetable-events", school_slug=school.slug)


# --- substitutions -------------------------------------------------------------------------------------

@page
@require_http_methods(["GET", "POST"])
def substitutions(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, access = access_staff(request)
    can_manage = may_manage(access, school)
    day = _date(request.POST.get("date") or request.GET.get("date")) or selectors.reference_day(_year())
    lessons = selectors.lessons_on(day) if can_manage else []
    teachers = staff_people(school) if can_manage else []
    form = SubstitutionForm(lessons=lessons, teachers=teachers)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(MANAGERS_ONLY)
        form = SubstitutionForm(request.POST, lessons=lessons, teachers=teachers)
        if form.is_valid():
            data = form.cleaned_data
            lesson = next((ls for ls in lessons if ls.entry.pk == data["entry"]), None)
            substitute = next((t for t in teachers if t.pk == data["substitute"]), None)
            try:
                if lesson is None or substitute is None:
                    raise NotFound("Урок или учитель не найден.")
                services.create_substitution(request.user, school, entry=lesson.entry, date=day, substitute=substitute,  # type: ignore[arg-type]
                                             reason=data["reason"], subject=data["subject"])
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, "Замена назначена.")
                return redirect(f"{reverse('school:timetable-substitutions', kwargs={'school_slug': school.slug})}?date={day.isoformat()}")
    return render(request, "timetable/substitutions.html", {
        "school": school, "day": day, "rows": list(selectors.substitutions(day=day)), "form": form, "can_manage": can_manage,
        "previous": day - dt.timedelta(days=1), "next": day + dt.timedelta(days=1),
    })


@page
@require_POST
def substitution(request: HttpRequest, school_slug: str, substitution_id: int) -> HttpResponse:
    school, _ = access_manage(request)
    item = Substitution.objects.select_related("entry__school_class").filter(pk=substitution_id).first()
    if item is None:
        raise NotFound("Замена не найдена.")
    try:
        services.delete_substitution(request.user, school, item)  # type: ignore[arg-type]
        messages.success(request, "Замена отменена.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(f"{reverse('school:timetable-substitutions', kwargs={'school_slug': school.slug})}?date={item.date.isoformat()}")
