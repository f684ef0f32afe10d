"""The year pages: /s/<slug>/year/ (years, periods, vacations, moved days, week lengths;
every member reads, Perm.SETUP_YEAR edits) and /s/<slug>/year/close/ (preview, then the
director's order closes the year)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from accounts.roles import Perm
from core.access import access_school
from core.errors import DomainError, NotFound, PermissionDenied
from core.views import form_error, page

from . import selectors, services
from .forms import CloseForm, DayOffForm, MovedDayForm, SchemeForm, WeekForm, YearForm
from .models import AcademicYear, DayOff, MovedDay, PeriodScheme


def close_from(actor: Any, school: Any, year: AcademicYear, data: Mapping[str, Any], repeaters: set[int],
               leavers: set[int] | None = None) -> services.CloseSummary:
    """close_year with the fields of the page's form or the API's body."""
    new_year = None
    if data.get("new_starts_on") and data.get("new_ends_on"):
        new_year = services.YearDates(data["new_starts_on"], data["new_ends_on"], data.get("new_name") or "")
    return services.close_year(
        actor, school, year, order_number=data.get("order_number") or "", order_date=data.get("order_date"),
        repeaters=repeaters, new_year=new_year,
        graduation_order=services.OrderRef(data.get("graduation_order_number") or "", data.get("graduation_order_date")),
        repeat_order=services.OrderRef(data.get("repeat_order_number") or "", data.get("repeat_order_date")),
        leavers=leavers or set(),
        leaving_order=services.OrderRef(data.get("leaving_order_number") or "", data.get("leaving_order_date")),
    )


def summary_text(summary: services.CloseSummary) -> str:
    created = ", ".join(summary.classes_created) or "нет"
    return (f"Учебный год {summary.closed_year.name} закрыт, открыт {summary.new_year.name}. Переведено: {summary.promoted}, "
            f"выпущено: {summary.graduated}, оставлено на повторное обучение: {summary.repeating}, выбыло по окончании года: {summary.left}. "
            f"Созданы классы: {created}.")


def _shown_year(request: HttpRequest, years: list[AcademicYear]) -> AcademicYear | None:
    wanted = request.GET.get("year", "")
    if wanted.isdigit():
        for y in years:
            if y.pk == int(wanted):
                return y
        raise NotFound("Учебный год не найден.")
    return next((y for y in years if not y.is_closed), years[0] if years else None)


def _scheme_initial(scheme: PeriodScheme | None) -> dict[str, Any]:
    if scheme is None:
        return {}
    initial: dict[str, Any] = {"kind": scheme.kind, "grades": list(scheme.grades)}
    for p in scheme.periods.all():
        initial[f"p{p.number}_starts_on"], initial[f"p{p.number}_ends_on"] = p.starts_on, p.ends_on
    return initial


@page
@require_http_methods(["GET", "POST"])
def year_home(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, access = access_school(request, Perm.SETUP_YEAR if request.method == "POST" else None)
    actor: Any = request.user
    years = list(selectors.years())
    shown = _shown_year(request, years)
    open_year = next((y for y in years if not y.is_closed), None)
    overview = selectors.year_overview(shown) if shown else None
    forms: dict[str, Form] = {
        "year": YearForm(initial={"name": open_year.name, "starts_on": open_year.starts_on, "ends_on": open_year.ends_on} if open_year else None),
        "scheme": SchemeForm(), "day_off": DayOffForm(), "moved_day": MovedDayForm(),
        "week": WeekForm(week=overview.week if overview else None),
    }
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            done = _act(request, actor, school, open_year, action, forms)
        except (PermissionDenied, NotFound):
            raise
        except DomainError as exc:
            form_error(forms.get(action.split("_", 1)[-1] if action.startswith("delete_") else action, forms["year"]), exc)
            done = None
        if done is not None:
            messages.success(request, done)
            return redirect(reverse("school:year-home", kwargs={"school_slug": school.slug}))
    edit_schemes = []
    if overview is not None and shown is open_year:
        failed = forms["scheme"] if forms["scheme"].prefix else None  # a rejected edit of an existing scheme
        for scheme in overview.schemes:
            if failed is not None and failed.prefix == f"s{scheme.pk}":
                edit_schemes.append((scheme, failed))
                forms["scheme"] = SchemeForm()
            else:
                edit_schemes.append((scheme, SchemeForm(initial=_scheme_initial(scheme), prefix=f"s{scheme.pk}")))
    return render(request, "schoolyear/year.html", {
        "school": school, "years": years, "shown": shown, "open_year": open_year, "overview": overview,
        "can_edit": access.can(Perm.SETUP_YEAR, school) and shown is not None and shown is open_year,
        "can_create": access.can(Perm.SETUP_YEAR, school) and open_year is None,
        "can_close": services.may_close_year(actor, school) and shown is not None and shown is open_year,
        "can_reopen": (services.may_close_year(actor, school) and shown is not None and shown.is_closed and open_year is not None
                       and (shown.close_record or {}).get("next_year") == open_year.pk),
        "forms": forms, "edit_schemes": edit_schemes,
    })


def _bound(forms: dict[str, Form], key: str, form_class: type[Form], post: Any, **kwargs: Any) -> Any:
    """The posted form, put where the page shows it; None when it does not validate."""
    form = form_class(post, **kwargs)
    forms[key] = form
    return form if form.is_valid() else None


def _act(request: HttpRequest, actor: Any, school: Any, year: AcademicYear | None, action: str,
         forms: dict[str, Form]) -> str | None:
    """Runs one form's action; returns the success message, or None when the form is invalid."""
    post = request.POST
    if action == "year":
        if (year_form := _bound(forms, "year", YearForm, post)) is None:
            return None
        data = year_form.cleaned_data
        if year is None:
            created = services.create_year(actor, school, name=data["name"], starts_on=data["starts_on"], ends_on=data["ends_on"])
            return f"Учебный год {created.name} создан."
        services.update_year(actor, school, year, name=data["name"], starts_on=data["starts_on"], ends_on=data["ends_on"])
        return "Даты учебного года сохранены."
    if year is None:
        raise NotFound("Нет открытого учебного года: сначала создайте его.")
    if action == "scheme":
        scheme_id = post.get("scheme_id", "")
        scheme = PeriodScheme.objects.filter(pk=int(scheme_id), year=year).first() if scheme_id.isdigit() else None
        if scheme_id and scheme is None:
            raise NotFound("Схема периодов не найдена.")
        if (scheme_form := _bound(forms, "scheme", SchemeForm, post, prefix=f"s{scheme.pk}" if scheme else None)) is None:
            return None
        result = services.save_scheme(actor, school, year, kind=scheme_form.cleaned_data["kind"],
                                      grades=scheme_form.cleaned_data["grades"], periods=scheme_form.periods(), scheme=scheme)
        for warning in result.warnings:
            messages.warning(request, warning)
        return f"Учебные периоды сохранены: {result.scheme}."
    if action == "day_off":
        if (day_off_form := _bound(forms, "day_off", DayOffForm, post)) is None:
            return None
        added = services.add_day_off(actor, school, year, **day_off_form.cleaned_data)
        for warning in added.warnings:
            messages.warning(request, warning)
        return f"Добавлено: {added.day_off}."
    if action == "moved_day":
        if (moved_form := _bound(forms, "moved_day", MovedDayForm, post)) is None:
            return None
        return f"Перенос добавлен: {services.add_moved_day(actor, school, year, **moved_form.cleaned_data)}."
    if action == "week":
        if (week_form := _bound(forms, "week", WeekForm, post)) is None:
            return None
        services.set_week_lengths(actor, school, year, week_form.weeks())
        return "Длительность учебной недели сохранена."
    deletions: dict[str, tuple[Any, Any, str, str]] = {
        "delete_scheme": (PeriodScheme, services.delete_scheme, "Схема периодов не найдена.", "Схема периодов удалена."),
        "delete_day_off": (DayOff, services.delete_day_off, "Запись о каникулах не найдена.", "Каникулы / выходной удалены."),
        "delete_moved_day": (MovedDay, services.delete_moved_day, "Перенос не найден.", "Перенос отменён."),
    }
    if action in deletions:
        model, delete, missing, done = deletions[action]
        delete(actor, school, _get(model, post.get("id"), year, missing))
        return done
    raise NotFound("Неизвестное действие.")


def _get(model: Any, pk: str | None, year: AcademicYear, message: str) -> Any:
    obj = model.objects.filter(pk=int(pk), year=year).first() if pk and pk.isdigit() else None
    if obj is None:
        raise NotFound(message)
    return obj


def repeater_ids(values: list[str]) -> set[int]:
    return {int(v) for v in values if v.strip().isdigit()}


@page
@require_http_methods(["GET", "POST"])
def close(request: HttpRequest, school_slug: str) -> HttpResponse:
    """R-Y05: what closing the open year will do (per class: promoted, graduating, repeating;
    the classes to be created), then the close itself with the director's order."""
    school, _ = access_school(request, Perm.SETUP_YEAR)
    actor: Any = request.user
    if not services.may_close_year(actor, school):
        raise PermissionDenied("Закрыть учебный год может администратор ЭЖ или директор: нужны права на приказы о движении обучающихся.")
    year = selectors.current_year()
    if year is None:
        return render(request, "schoolyear/close.html", {"school": school, "year": None})
    source = request.POST if request.method == "POST" else request.GET
    repeaters = repeater_ids(source.getlist("repeater"))
    leavers = repeater_ids(source.getlist("leaver"))
    defaults = services.default_next_year(year)
    form = CloseForm(initial={"year": year.pk, "new_name": defaults.name, "new_starts_on": defaults.starts_on,
                              "new_ends_on": defaults.ends_on})
    if request.method == "POST" and "recalc" in request.POST:
        form = CloseForm(initial={**request.POST.dict(), "year": year.pk})
    elif request.method == "POST":
        form = CloseForm(request.POST)
    if form.is_bound and form.is_valid():
        target = AcademicYear.objects.filter(pk=form.cleaned_data["year"]).first()
        if target is None:
            raise NotFound("Учебный год не найден.")
        try:
            summary = close_from(actor, school, target, form.cleaned_data, repeaters, leavers)
        except DomainError as exc:
            form_error(form, exc)
        else:
            messages.success(request, summary_text(summary))
            for warning in summary.warnings:
                messages.warning(request, warning)
            return redirect(reverse("school:year-home", kwargs={"school_slug": school.slug}))
    plan = selectors.close_plan(year, repeaters, today=services.today(), leavers=leavers)
    return render(request, "schoolyear/close.html", {
        "school": school, "year": year, "plan": plan, "form": form, "repeaters": repeaters, "leavers": leavers,
    })


@page
@require_http_methods(["POST"])
def reopen(request: HttpRequest, school_slug: str) -> HttpResponse:
    """R-Y05: undoes the close of the last closed year while the year it opened is untouched (no
    journal records, no movement orders of its own), by the administrator or the director, with
    the reason (the director's order cancelling the transfer order)."""
    school, _ = access_school(request, Perm.SETUP_YEAR)
    actor: Any = request.user
    year_id = request.POST.get("year", "")
    year = AcademicYear.objects.filter(pk=int(year_id)).first() if year_id.isdigit() else None
    if year is None:
        raise NotFound("Учебный год не найден.")
    target = reverse("school:year-home", kwargs={"school_slug": school.slug})
    try:
        summary = services.reopen_year(actor, school, year, reason=request.POST.get("reason", ""))
    except (PermissionDenied, NotFound):
        raise
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(f"{target}?year={year.pk}")
    messages.success(request, f"Закрытие учебного года {summary.year.name} отменено: год снова открыт, {summary.removed_year} удалён, "
                              f"восстановлено зачислений: {summary.enrolments_restored}, отменены приказы: "
                              f"{', '.join(summary.orders_cancelled) or 'нет'}.")
    return redirect(target)
