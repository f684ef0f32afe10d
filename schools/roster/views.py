"""Classes and the printable credential slips for families (R-P03)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import services as account_services
from accounts.models import Person
from accounts.roles import Perm
from core.access import access_school
from core.errors import DomainError, NotFound, PermissionDenied
from core.views import page

from . import selectors
from .models import SchoolClass


def _access_class(request: HttpRequest, class_id: int) -> tuple[Any, Any, SchoolClass]:
    school, access = access_school(request)
    # Rights first: an outsider learns nothing, not even whether the class exists.
    if not (access.can(Perm.ISSUE_ACCOUNTS, school) or access.can(Perm.VIEW_PEOPLE, school) or access.is_class_teacher_of(school, class_id)):
        raise PermissionDenied("Это не ваш класс.")
    school_class = SchoolClass.objects.select_related("class_teacher").filter(pk=class_id).first()
    if school_class is None:
        raise NotFound("Класс не найден.")
    return school, access, school_class


@page
def class_list(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, access = access_school(request)
    rows = list(selectors.classes())
    if not (access.can(Perm.VIEW_PEOPLE, school) or access.can(Perm.ISSUE_ACCOUNTS, school)):
        own = access.schools[school.pk].class_teacher_of if school.pk in access.schools else set()
        rows = [c for c in rows if c.pk in own]
        if not rows:
            raise PermissionDenied()
    return render(request, "roster/class_list.html", {"school": school, "rows": rows})


@page
def class_detail(request: HttpRequest, school_slug: str, class_id: int) -> HttpResponse:
    school, access, school_class = _access_class(request, class_id)
    families = selectors.class_families(school_class.pk)
    can_issue = access.can(Perm.ISSUE_ACCOUNTS, school) or access.is_class_teacher_of(school, class_id)
    return render(request, "roster/class_detail.html", {"school": school, "school_class": school_class, "families": families, "can_issue": can_issue})


@page
@require_POST
def issue_slips(request: HttpRequest, school_slug: str, class_id: int) -> HttpResponse:
    school, access, school_class = _access_class(request, class_id)
    if not (access.can(Perm.ISSUE_ACCOUNTS, school) or access.is_class_teacher_of(school, class_id)):
        raise PermissionDenied()
    ids = [int(x) for x in request.POST.getlist("person") if x.isdigit()]
    allowed = selectors.family_person_ids_of_classes([school_class.pk])
    people = list(Person.objects.filter(pk__in=[i for i in ids if i in allowed]).order_by("surname", "name"))
    if not people:
        messages.error(request, "Отметьте хотя бы одного человека из списка класса.")
        return redirect("school:class_detail", school_slug=school.slug, class_id=class_id)
    try:
        with transaction.atomic():
            slips = [account_services.issue_slip(request.user, p, school=school) for p in people]  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("school:class_detail", school_slug=school.slug, class_id=class_id)
    return render(request, "roster/slips.html", {"school": school, "school_class": school_class, "slips": slips})
