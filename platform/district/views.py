"""The district administrator's pages: schools and their first administrators."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from accounts import services as account_services
from accounts.models import Membership
from accounts.roles import Perm, Role
from core.access import access_district
from core.errors import DomainError, NotFound
from core.views import form_error, page
from tenants import services as school_services
from tenants.models import School

from .forms import AdminForm, RenameForm, SchoolForm, StatusForm


@page
@require_http_methods(["GET", "POST"])
def schools(request: HttpRequest) -> HttpResponse:
    access_district(request, Perm.MANAGE_SCHOOLS)
    form = SchoolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            school = school_services.create_school(request.user, school_services.SchoolData(**form.cleaned_data))  # type: ignore[arg-type]
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, f"Школа «{school.short_name}» создана. Назначьте ей администратора.")
            return redirect("district:school", slug=school.slug)
    qs = School.objects.real().annotate(
        staff_count=Count("memberships", filter=Q(memberships__until__isnull=True) & ~Q(memberships__role__in=[Role.PARENT, Role.STUDENT]))
    ).order_by("short_name")
    status = request.GET.get("status", "")
    if status:
        qs = qs.filter(status=status)
    query = request.GET.get("q", "").strip()
    if query:
        qs = qs.filter(Q(short_name__icontains=query) | Q(full_name__icontains=query) | Q(municipal_code__icontains=query))
    page_obj = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "district/schools.html", {"form": form, "page_obj": page_obj, "status": status, "q": query})


def _school(slug: str) -> School:
    school = School.objects.real().filter(slug=slug).first()
    if school is None:
        raise NotFound("Школа не найдена.")
    return school


@page
@require_http_methods(["GET", "POST"])
def school(request: HttpRequest, slug: str) -> HttpResponse:
    access_district(request, Perm.MANAGE_SCHOOLS)
    obj = _school(slug)
    actor: Any = request.user
    rename_form = RenameForm(initial={"full_name": obj.full_name, "short_name": obj.short_name, "address": obj.address, "director_name": obj.director_name})
    status_form = StatusForm(initial={"status": obj.status})
    admin_form = AdminForm()
    slip = None
    action = request.POST.get("action")
    if request.method == "POST":
        try:
            if action == "rename":
                rename_form = RenameForm(request.POST)
                if rename_form.is_valid():
                    school_services.rename_school(actor, obj, **rename_form.cleaned_data)
                    messages.success(request, "Сведения о школе сохранены.")
                    return redirect("district:school", slug=obj.slug)
            elif action == "status":
                status_form = StatusForm(request.POST)
                if status_form.is_valid():
                    school_services.set_school_status(actor, obj, status_form.cleaned_data["status"], reason=status_form.cleaned_data["reason"])
                    messages.success(request, "Состояние школы изменено.")
                    return redirect("district:school", slug=obj.slug)
            elif action == "admin":
                admin_form = AdminForm(request.POST)
                if admin_form.is_valid():
                    slip = _appoint(actor, obj, admin_form.cleaned_data)
                    admin_form = AdminForm()
        except DomainError as exc:
            target = {"rename": rename_form, "status": status_form, "admin": admin_form}.get(action or "", rename_form)
            form_error(target, exc)
    admins = Membership.objects.current().filter(school=obj, role__in=[Role.SCHOOL_ADMIN, Role.DIRECTOR]).select_related("person")
    return render(request, "district/school.html", {
        "school": obj, "rename_form": rename_form, "status_form": status_form, "admin_form": admin_form, "admins": admins, "slip": slip,
    })


def _appoint(actor: Any, school: School, data: dict[str, Any]) -> account_services.Slip:
    with transaction.atomic():
        person = account_services.create_person(actor, account_services.PersonData(
            surname=data["surname"], name=data["name"], patronymic=data.get("patronymic", ""), email=data.get("email", ""),
        ), school=school)
        account_services.grant_role(actor, person, data["role"], school=school)
        return account_services.issue_slip(actor, person, school=school)
