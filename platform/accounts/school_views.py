"""The school administrator's pages: staff and their roles, overdue accounts."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.access import access_school
from core.errors import DomainError, NotFound
from core.views import form_error, page

from . import selectors, services
from .forms import GrantForm
from .models import Membership, Person
from .roles import GRANTABLE, STAFF_ROLES, Perm, Role


def grantable_roles(actor: Person, school: Any) -> list[str]:
    roles = [r for r in Role.values if services.can_grant(actor, r, school, None)[0] and r in STAFF_ROLES]
    if any(GRANTABLE.get(own) for own in selectors.access_for(actor).roles_in(school)) or selectors.access_for(actor).is_district_admin:
        return roles
    return []


@page
@require_http_methods(["GET", "POST"])
def staff(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, _ = access_school(request, Perm.MANAGE_STAFF)
    actor: Any = request.user
    roles = grantable_roles(actor, school)
    form = GrantForm(request.POST or None, roles=roles)
    slip = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            slip = _grant_from_form(actor, school, data)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, "Роль назначена.")
            if slip is None:
                return redirect("school:staff", school_slug=school.slug)
            form = GrantForm(roles=roles)
    from roster.selectors import classes

    return render(request, "accounts/staff.html", {
        "school": school, "rows": selectors.staff_of_school(school), "form": form, "slip": slip,
        "classes": list(classes()), "can_grant": bool(roles),
    })


def _grant_from_form(actor: Person, school: Any, data: dict[str, Any]) -> services.Slip | None:
    from django.db import transaction

    with transaction.atomic():
        if data.get("existing_login"):
            person = Person.objects.filter(login=Person.normalize_login(data["existing_login"])).first()
            if person is None:
                raise NotFound("Учётная запись с таким логином не найдена.")
            created = False
        else:
            person = services.create_person(actor, services.PersonData(
                surname=data["surname"], name=data["name"], patronymic=data.get("patronymic", ""), email=data.get("email", ""),
            ), school=school)
            created = True
        services.grant_role(actor, person, data["role"], school=school, class_id=data.get("class_id"), since=data.get("since"))
        return services.issue_slip(actor, person, school=school) if created else None


@page
@require_POST
def revoke(request: HttpRequest, school_slug: str, membership_id: int) -> HttpResponse:
    school, _ = access_school(request, Perm.MANAGE_STAFF)
    membership = Membership.objects.filter(pk=membership_id, school=school).select_related("person").first()
    if membership is None:
        raise NotFound("Роль не найдена.")
    try:
        services.revoke_role(request.user, membership, reason=request.POST.get("reason", ""))  # type: ignore[arg-type]
        messages.success(request, "Роль снята.")
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("school:staff", school_slug=school.slug)


@page
def overdue(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, _ = access_school(request, Perm.VIEW_PEOPLE)
    return render(request, "accounts/overdue.html", {"school": school, "rows": selectors.overdue_accounts(school)})
