"""Pages for the work types of the journal settings page (R-J03: weights the school sets) and the
members of an extracurricular group (R-J15: dated, history kept).

Thin: each view authorises first (core.access / views_control's fetch-and-authorise helpers),
writes through settings_service or activities (which check the right again) and goes back to the
page the form sits on, with the outcome in a message. The pages themselves are
views_control.settings_page and activity_detail; `settings_context` and `members_context` give
them what these sections show."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from accounts.models import Person
from accounts.roles import Perm
from core.access import access_school
from core.errors import DomainError, NotFound, PermissionDenied
from core.views import page

from . import activities, rules, settings_service
from .forms_settings import MemberAddForm, MemberLeaveForm, ReasonForm, WorkTypeForm
from .models import ActivityGroup, ActivityMember, WorkType
from .views_control import access_group, student_choices

if TYPE_CHECKING:
    from audit.models import AuditRecord

WORK_TYPE_ACTIONS = ("journal.work_type.create", "journal.work_type.update", "journal.work_type.delete")


# --- the work types section of the settings page ---------------------------------------------------

def settings_context(school: Any) -> dict[str, Any]:
    """What the settings page shows of the work types: each with its form, a blank form to add one,
    and the last changes. Two queries."""
    from audit.models import AuditRecord

    types = settings_service.work_types()
    history: list[AuditRecord] = list(AuditRecord.objects.filter(school=school, action__in=WORK_TYPE_ACTIONS).order_by("-at")[:20])
    return {
        "work_types": [(wt, WorkTypeForm(prefix=f"wt{wt.pk}", initial={
            "name": wt.name, "short_name": wt.short_name, "weight": wt.weight, "requires_all_marks": wt.requires_all_marks,
            "is_active": wt.is_active, "order": wt.order, "version": wt.version})) for wt in types],
        "work_type_form": WorkTypeForm(prefix="new"),
        "work_type_history": history,
    }


def _data(form: WorkTypeForm) -> settings_service.WorkTypeData:
    d = form.cleaned_data
    return settings_service.WorkTypeData(name=d["name"], short_name=d.get("short_name") or "", weight=d["weight"],
                                         requires_all_marks=bool(d.get("requires_all_marks")), is_active=bool(d.get("is_active")),
                                         order=d.get("order"))


def _run(request: HttpRequest, action: Callable[[], Any], done: str | Callable[[Any], str]) -> bool:
    """A service call from a form: a refusal propagates (403 page, audited); other domain errors
    become a Russian message on the page the form is on. `done` is the success message, or makes
    it from what the call returned."""
    try:
        result = action()
    except PermissionDenied:
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        return False
    messages.success(request, done(result) if callable(done) else done)
    return True


def _form_errors(request: HttpRequest, form: Any) -> None:
    messages.error(request, "; ".join(f"{form.fields[k].label if k in form.fields else ''}: {e}".lstrip(": ")
                                      for k, errs in form.errors.items() for e in errs))


@page
@require_POST
def work_type_add(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, _ = access_school(request, Perm.MANAGE_SETTINGS)
    form = WorkTypeForm(request.POST, prefix="new")
    if form.is_valid():
        _run(request, lambda: settings_service.add_work_type(request.user, school, _data(form),  # type: ignore[arg-type]
                                                             reason=form.cleaned_data.get("reason") or ""),
             f"Вид работы «{form.cleaned_data['name']}» добавлен.")
    else:
        _form_errors(request, form)
    return redirect("school:journal-settings", school_slug=school.slug)


@page
@require_POST
def work_type_edit(request: HttpRequest, school_slug: str, work_type_id: int) -> HttpResponse:
    """Save the row's form, or (button «remove») delete an unused type / switch off a used one."""
    school, _ = access_school(request, Perm.MANAGE_SETTINGS)
    work_type = WorkType.objects.filter(pk=work_type_id).first()
    if work_type is None:
        raise NotFound("Вид работы не найден.")
    actor: Any = request.user
    if request.POST.get("remove"):
        reason_form = ReasonForm({"reason": request.POST.get(f"wt{work_type.pk}-reason", "")})
        reason = reason_form.cleaned_data["reason"] if reason_form.is_valid() else ""
        _run(request, lambda: settings_service.remove_work_type(actor, school, work_type, reason=reason),
             lambda deleted: f"Вид работы «{work_type.name}» " + (
                 "удалён." if deleted else "уже использован в журнале: он выключен (отметки по нему сохраняются)."))
        return redirect("school:journal-settings", school_slug=school.slug)
    form = WorkTypeForm(request.POST, prefix=f"wt{work_type.pk}")
    if form.is_valid():
        _run(request, lambda: settings_service.update_work_type(actor, school, work_type, _data(form),
                                                                reason=form.cleaned_data.get("reason") or "",
                                                                expected_version=form.cleaned_data.get("version")),
             f"Вид работы «{form.cleaned_data['name']}» сохранён.")
    else:
        _form_errors(request, form)
    return redirect("school:journal-settings", school_slug=school.slug)


# --- members of an extracurricular group (R-J15) ----------------------------------------------------

@dataclass
class MemberRow:
    member: ActivityMember
    student: Person
    current: bool


def memberships(group: ActivityGroup, today: dt.date) -> list[MemberRow]:
    """Every stay in the group, current ones first, then by name. Two queries."""
    rows = list(group.members.all())
    people = {p.pk: p for p in Person.objects.filter(pk__in={m.student_id for m in rows})}
    result = [MemberRow(m, people[m.student_id], (m.since is None or m.since <= today) and (m.until is None or m.until >= today))
              for m in rows if m.student_id in people]
    return sorted(result, key=lambda r: (not r.current, r.student.surname, r.student.name, r.member.since or dt.date.min))


def current_members(group: ActivityGroup) -> list[Person]:
    """The group's members today, for the session form's «absent» choices."""
    return [r.student for r in memberships(group, rules.today()) if r.current]


def members_context(request: HttpRequest, school: Any, group: ActivityGroup) -> dict[str, Any]:
    """The members section of the group's page: history and, for those who may change it, the forms."""
    from accounts.selectors import access_for

    access = access_for(request.user)  # type: ignore[arg-type]
    may = ((group.teacher_id == request.user.pk or access.can(Perm.MANAGE_CURRICULUM, school))
           and school.is_writable and not group.year.is_closed)
    today = rules.today()
    return {
        "memberships": memberships(group, today),
        "may_manage_members": may,
        "member_add_form": MemberAddForm(initial={"on": today}, students=student_choices()) if may else None,
        "member_leave_form": MemberLeaveForm(initial={"on": today}) if may else None,
    }


@page
@require_POST
def member_add(request: HttpRequest, school_slug: str, group_id: int) -> HttpResponse:
    school, _, group = access_group(request, group_id, lead=False)
    form = MemberAddForm(request.POST, students=student_choices())
    if form.is_valid():
        d = form.cleaned_data
        name = Person.objects.filter(pk=d["student"]).values_list("surname", flat=True).first() or ""
        _run(request, lambda: activities.add_member(request.user, school, group, student_id=d["student"], on=d["on"],  # type: ignore[arg-type]
                                                    reason=d.get("reason") or ""),
             f"{name} в группе с {d['on']:%d.%m.%Y}.")
    else:
        _form_errors(request, form)
    return redirect("school:journal-activity", school_slug=school.slug, group_id=group.pk)


@page
@require_POST
def member_leave(request: HttpRequest, school_slug: str, group_id: int, student_id: int) -> HttpResponse:
    school, _, group = access_group(request, group_id, lead=False)
    form = MemberLeaveForm(request.POST)
    if form.is_valid():
        d = form.cleaned_data
        _run(request, lambda: activities.remove_member(request.user, school, group, student_id=student_id, on=d["on"],  # type: ignore[arg-type]
                                                       reason=d.get("reason") or ""),
             f"Выход из группы с {d['on']:%d.%m.%Y} записан; прежние занятия сохранены.")
    else:
        _form_errors(request, form)
    return redirect("school:journal-activity", school_slug=school.slug, group_id=group.pk)
