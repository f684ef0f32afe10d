"""Pages of the curriculum app (R-Y03): subjects and educational areas, the curriculum of a
class and of a parallel with totals, the teaching load with the "hours without a teacher"
check. Thin: they parse forms, call the services and show errors next to the fields."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Person
from accounts.roles import Perm
from core.access import access_school
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.views import form_error, page
from roster.models import SchoolClass, Subgroup
from schoolyear.models import AcademicYear
from schoolyear.selectors import current_year

from . import selectors, services
from .access import access_class, access_overview, access_staff, is_staff, may_manage, own_class_ids, reads_everything
from .forms import AreaForm, AssignmentEditForm, AssignmentForm, LineEditForm, LineForm, ParallelForm, SubjectForm
from .models import CurriculumLine, CurriculumPart, EducationalArea, Subject


def chosen_year(request: HttpRequest) -> tuple[AcademicYear | None, list[AcademicYear]]:
    """The year in ?year= (a closed one stays readable), else the current one."""
    years = list(AcademicYear.objects.order_by("-starts_on"))
    wanted = request.GET.get("year", "")
    year = next((y for y in years if str(y.pk) == wanted), None) if wanted.isdigit() else None
    return year or current_year() or (years[0] if years else None), years


# --- the curriculum of every class --------------------------------------------------------------

@page
def index(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, access = access_school(request)
    if reads_everything(access, school):
        own: set[int] | None = None
    elif is_staff(access, school):
        own = own_class_ids(request, access, school)
        if not own:
            raise PermissionDenied("Учебный план доступен учителям их классов и администрации.")
    else:
        raise PermissionDenied("Учебный план доступен сотрудникам школы.")
    year, years = chosen_year(request)
    plans = [p for p in selectors.classes_overview(year) if own is None or p.school_class.pk in own]
    grades = sorted({p.school_class.grade for p in plans})
    return render(request, "curriculum/index.html", {
        "school": school, "year": year, "years": years, "plans": plans, "grades": grades if own is None else [],
        "can_manage": may_manage(access, school), "reads_all": own is None,
    })


# --- subjects and areas ---------------------------------------------------------------------------

@page
@require_http_methods(["GET", "POST"])
def subjects(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, access = access_staff(request)
    can_manage = may_manage(access, school)
    subject_form = SubjectForm(prefix="s")
    area_form = AreaForm(prefix="a")
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("Предметы ведут заместитель директора и администрация школы.")
        actor: Any = request.user
        if request.POST.get("action") == "area":
            area_form = AreaForm(request.POST, prefix="a")
            if area_form.is_valid():
                try:
                    services.create_area(actor, school, area_form.cleaned_data["name"])
                except DomainError as exc:
                    form_error(area_form, exc)
                else:
                    messages.success(request, "Образовательная область добавлена.")
                    return redirect("school:curriculum-subjects", school_slug=school.slug)
        else:
            subject_form = SubjectForm(request.POST, prefix="s")
            if subject_form.is_valid():
                try:
                    services.create_subject(actor, school, _subject_data(subject_form.cleaned_data))
                except DomainError as exc:
                    form_error(subject_form, exc)
                else:
                    messages.success(request, "Предмет добавлен.")
                    return redirect("school:curriculum-subjects", school_slug=school.slug)
    return render(request, "curriculum/subjects.html", {
        "school": school, "areas": list(selectors.areas()), "subjects": list(selectors.subjects()), "can_manage": can_manage,
        "subject_form": subject_form, "area_form": area_form, "reads_all": reads_everything(access, school),
    })


def _subject_data(data: dict[str, Any]) -> services.SubjectData:
    return services.SubjectData(name=data["name"], short_name=data.get("short_name", ""), area=data.get("area"),
                                is_extracurricular=bool(data.get("is_extracurricular")))


@page
@require_http_methods(["GET", "POST"])
def subject(request: HttpRequest, school_slug: str, subject_id: int) -> HttpResponse:
    school, access = access_staff(request)
    if request.method == "POST" and not may_manage(access, school):
        raise PermissionDenied("Предметы ведут заместитель директора и администрация школы.")
    item = Subject.objects.select_related("area").filter(pk=subject_id).first()
    if item is None:
        raise NotFound("Предмет не найден.")
    form = SubjectForm(initial={"name": item.name, "short_name": item.short_name, "area": item.area,
                                "is_extracurricular": item.is_extracurricular})
    if request.method == "POST":
        actor: Any = request.user
        if request.POST.get("action") == "delete":
            try:
                services.delete_subject(actor, school, item)
            except DomainError as exc:
                messages.error(request, exc.message)
                return redirect("school:curriculum-subject", school_slug=school.slug, subject_id=subject_id)
            messages.success(request, "Предмет удалён.")
            return redirect("school:curriculum-subjects", school_slug=school.slug)
        form = SubjectForm(request.POST)
        if form.is_valid():
            try:
                services.update_subject(actor, school, item, _subject_data(form.cleaned_data))
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, "Предмет сохранён.")
                return redirect("school:curriculum-subjects", school_slug=school.slug)
    return render(request, "curriculum/subject.html", {"school": school, "subject": item, "form": form,
                                                       "can_manage": may_manage(access, school)})


@page
@require_POST
def area(request: HttpRequest, school_slug: str, area_id: int) -> HttpResponse:
    school, _ = access_school(request, Perm.MANAGE_CURRICULUM)
    item = EducationalArea.objects.filter(pk=area_id).first()
    if item is None:
        raise NotFound("Образовательная область не найдена.")
    actor: Any = request.user
    try:
        if request.POST.get("action") == "delete":
            services.delete_area(actor, school, item)
            messages.success(request, "Образовательная область удалена.")
        else:
            services.rename_area(actor, school, item, request.POST.get("name", ""))
            messages.success(request, "Образовательная область переименована.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("school:curriculum-subjects", school_slug=school.slug)


# --- one class ----------------------------------------------------------------------------------

@page
@require_http_methods(["GET", "POST"])
def class_plan(request: HttpRequest, school_slug: str, class_id: int) -> HttpResponse:
    school, access, school_class = access_class(request, class_id)
    can_manage = may_manage(access, school)
    form = LineForm()
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("Учебный план ведут заместитель директора и администрация школы.")
        actor: Any = request.user
        action = request.POST.get("action", "add")
        if action in ("update", "delete"):
            line_id = request.POST.get("line", "")
            line = CurriculumLine.objects.select_related("school_class", "subject").filter(
                pk=int(line_id) if line_id.isdigit() else 0, school_class=school_class).first()
            try:
                if line is None:
                    raise NotFound("Строка учебного плана не найдена.")
                if action == "delete":
                    services.delete_line(actor, school, line)
                    messages.success(request, f"«{line.subject.name}» убран из учебного плана {school_class}.")
                else:
                    edit = LineEditForm(request.POST)
                    if not edit.is_valid():
                        raise ValidationFailed("Часы: от 0,5 до 40 с шагом 0,5.")
                    services.update_line(actor, school, line, hours=edit.cleaned_data["hours"])
                    messages.success(request, "Часы изменены.")
            except DomainError as exc:
                messages.error(request, exc.message)
            return redirect("school:curriculum-class", school_slug=school.slug, class_id=class_id)
        form = LineForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.set_line(actor, school, school_class, data["subject"], hours=data["hours"], part=data["part"])
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, "Учебный план сохранён.")
                return redirect("school:curriculum-class", school_slug=school.slug, class_id=class_id)
    plan = selectors.class_plan(school_class)
    return render(request, "curriculum/class.html", {
        "school": school, "school_class": school_class, "plan": plan, "form": form, "can_manage": can_manage,
        "parts": CurriculumPart.choices,
    })


# --- one parallel (bulk entry) ---------------------------------------------------------------------

@page
@require_http_methods(["GET", "POST"])
def parallel(request: HttpRequest, school_slug: str, grade: int) -> HttpResponse:
    school, access = access_overview(request)
    year, years = chosen_year(request)
    if year is None or not 1 <= grade <= 11:
        raise NotFound("Параллель не найдена.")
    can_manage = may_manage(access, school)
    plan = selectors.parallel_plan(year, grade)
    all_subjects = list(selectors.subjects())
    initial = {(r.subject.pk, r.part): r.hours[0] for r in plan.rows if r.uniform and r.hours and r.hours[0] is not None}
    form = ParallelForm(subjects=all_subjects, initial_hours=initial)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("Учебный план ведут заместитель директора и администрация школы.")
        form = ParallelForm(request.POST, subjects=all_subjects, initial_hours=initial)
        if form.is_valid():
            by_id = {s.pk: s for s in all_subjects}
            items = [services.PlanItem(subject=by_id[sid], part=part, hours=hours) for sid, part, hours in form.plan() if sid in by_id]
            actor: Any = request.user
            try:
                classes = services.apply_to_parallel(actor, school, year, grade, items, replace=form.cleaned_data["replace"])
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, f"План применён к классам: {', '.join(str(c) for c in classes)}.")
                return redirect("school:curriculum-parallel", school_slug=school.slug, grade=grade)
    return render(request, "curriculum/parallel.html", {
        "school": school, "year": year, "years": years, "grade": grade, "plan": plan, "form": form, "can_manage": can_manage,
    })


# --- the teaching load -------------------------------------------------------------------------

def _load_form_choices(school: Any, year: AcademicYear | None) -> dict[str, Any]:
    return {
        "teachers": selectors.staff_people(school),
        "classes": list(SchoolClass.objects.filter(year=year).order_by("grade", "letter")) if year else [],
        "subgroups": list(Subgroup.objects.filter(school_class__year=year).select_related("school_class")
                          .order_by("school_class__grade", "school_class__letter", "name")) if year else [],
    }


@page
@require_http_methods(["GET", "POST"])
def load(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, access = access_overview(request)
    year, years = chosen_year(request)
    can_manage = may_manage(access, school)
    choices = _load_form_choices(school, year)
    form = AssignmentForm(**choices)
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied("Нагрузку распределяют заместитель директора и администрация школы.")
        form = AssignmentForm(request.POST, **choices)
        if form.is_valid():
            data = form.cleaned_data
            teacher = next((t for t in choices["teachers"] if t.pk == data["teacher"]), None)
            school_class = next((c for c in choices["classes"] if c.pk == data["school_class"]), None)
            subgroup = next((g for g in choices["subgroups"] if g.pk == data["subgroup"]), None)
            actor: Any = request.user
            try:
                if teacher is None or school_class is None:
                    raise NotFound("Учитель или класс не найден.")
                services.assign_teacher(actor, school, services.AssignmentData(
                    teacher=teacher, subject=data["subject"], school_class=school_class, subgroup=subgroup, hours=data["hours"]))
            except DomainError as exc:
                form_error(form, exc)
            else:
                messages.success(request, "Нагрузка сохранена.")
                return redirect("school:curriculum-load", school_slug=school.slug)
    check = selectors.load_check(year)
    return render(request, "curriculum/load.html", {
        "school": school, "year": year, "years": years, "check": check, "form": form, "can_manage": can_manage,
        "assignments": list(selectors.assignments().filter(school_class__year=year)) if year else [],
    })


@page
@require_POST
def assignment(request: HttpRequest, school_slug: str, assignment_id: int) -> HttpResponse:
    school, _ = access_school(request, Perm.MANAGE_CURRICULUM)
    item = selectors.assignments().filter(pk=assignment_id).first()
    if item is None:
        raise NotFound("Назначение не найдено.")
    actor: Any = request.user
    try:
        if request.POST.get("action") == "delete":
            services.delete_assignment(actor, school, item)
            messages.success(request, "Назначение снято.")
        else:
            teachers = selectors.staff_people(school)
            form = AssignmentEditForm(request.POST, teachers=teachers)
            if not form.is_valid():
                messages.error(request, "Проверьте учителя и часы.")
            else:
                teacher = Person.objects.filter(pk=form.cleaned_data["teacher"]).first()
                services.update_assignment(actor, school, item, hours=Decimal(form.cleaned_data["hours"]), teacher=teacher)
                messages.success(request, "Назначение изменено.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("school:curriculum-load", school_slug=school.slug)
