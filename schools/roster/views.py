"""Pages of the roster: classes and subgroups (R-Y02), students, parents and their cards
(R-A06), staff cards (R-A07), movement orders (R-Y06), the personal-data setting, and the
printable credential slips for families (R-P03). Thin: every write is a service call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts import services as account_services
from accounts.models import Person
from accounts.roles import Perm, Role
from core.access import access_school
from core.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from core.views import form_error, page
from schoolyear.models import AcademicYear
from schoolyear.selectors import current_year

from . import forms, selectors, services
from .access import access_class, access_parent, access_staff, access_student, require_class_readers
from .models import Guardianship, MovementOrder, OrderKind, PersonCard, SchoolClass, StaffCard, Subgroup

GET_POST = require_http_methods(["GET", "POST"])


def _access_class(request: HttpRequest, class_id: int) -> tuple[Any, Any, SchoolClass]:
    return access_class(request, class_id)


def _actor(request: HttpRequest) -> Any:
    return request.user


def _attempt(form: Any, action: Callable[[], Any]) -> Any:
    """Runs a service call for a page's form: a validation error goes onto the form next to its field
    (None is returned); a refusal goes on to the error page."""
    try:
        return action()
    except PermissionDenied:
        raise
    except DomainError as exc:
        form_error(form, exc)
        return None


def _year_classes(year_id: int | None = None) -> list[SchoolClass]:
    year = current_year()
    return selectors.classes_of_year(year_id or (year.pk if year else None))


def _recent_orders(kinds: tuple[str, ...]) -> list[MovementOrder]:
    return list(MovementOrder.objects.filter(kind__in=kinds).order_by("-date", "-id")[:30])


# --- classes ----------------------------------------------------------------------------------

@page
def class_list(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, access, own = require_class_readers(request)
    years = list(AcademicYear.objects.order_by("-starts_on"))
    wanted = request.GET.get("year", "")
    year = next((y for y in years if str(y.pk) == wanted), None) or current_year()
    rows = selectors.classes_of_year(year.pk if year else None)
    if own is not None:
        rows = [c for c in rows if c.pk in own]
    return render(request, "roster/class_list.html", {
        "school": school, "rows": rows, "years": years, "year": year,
        "can_manage": access.can(Perm.MANAGE_CLASSES, school) and not (year and year.is_closed),
        "can_people": access.can(Perm.VIEW_PEOPLE, school),
    })


@page
def class_detail(request: HttpRequest, school_slug: str, class_id: int) -> HttpResponse:
    school, access, school_class = _access_class(request, class_id)
    families = selectors.class_families(school_class.pk)
    can_issue = access.can(Perm.ISSUE_ACCOUNTS, school) or access.is_class_teacher_of(school, class_id)
    return render(request, "roster/class_detail.html", {
        "school": school, "school_class": school_class, "families": families, "can_issue": can_issue,
        "can_manage": access.can(Perm.MANAGE_CLASSES, school),
        "subgroups": selectors.subgroup_rows(school_class.pk),
    })


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


def _staff_people(school: Any) -> list[Person]:
    return [row.person for row in selectors.staff_rows(school)]


@page
@GET_POST
def class_new(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, _ = access_school(request, Perm.MANAGE_CLASSES)
    form = forms.ClassForm(request.POST or None, staff=_staff_people(school))
    if request.method == "POST" and form.is_valid():
        created = _attempt(form, lambda: services.create_class(_actor(request), school, form.data_object()))
        if created is not None:
            messages.success(request, f"Класс {created} создан.")
            return redirect("school:class_detail", school_slug=school.slug, class_id=created.pk)
    return render(request, "roster/class_form.html", {"school": school, "form": form, "school_class": None})


@page
@GET_POST
def class_edit(request: HttpRequest, school_slug: str, class_id: int) -> HttpResponse:
    school, _, school_class = access_class(request, class_id, "manage")
    if request.method == "POST" and request.POST.get("action") == "delete":
        try:
            services.delete_class(_actor(request), school, school_class)
        except DomainError as exc:
            messages.error(request, exc.message)
            return redirect("school:roster-class-edit", school_slug=school.slug, class_id=class_id)
        messages.success(request, f"Класс {school_class} удалён.")
        return redirect("school:classes", school_slug=school.slug)
    initial = {"grade": school_class.grade, "letter": school_class.letter, "profile": school_class.profile,
               "class_teacher_id": school_class.class_teacher_id}
    form = forms.ClassForm(request.POST or None, initial=initial, staff=_staff_people(school))
    if request.method == "POST" and form.is_valid():
        if _attempt(form, lambda: services.update_class(_actor(request), school, school_class, form.data_object())):
            messages.success(request, "Изменения сохранены.")
            return redirect("school:class_detail", school_slug=school.slug, class_id=class_id)
    return render(request, "roster/class_form.html", {"school": school, "form": form, "school_class": school_class})


# --- subgroups ----------------------------------------------------------------------------------

@page
@GET_POST
def subgroups(request: HttpRequest, school_slug: str, class_id: int) -> HttpResponse:
    if request.method == "POST":
        school, access, school_class = access_class(request, class_id, "subgroups")
    else:
        school, access, school_class = access_class(request, class_id)
    create_form = forms.SubgroupForm(request.POST if request.POST.get("action") == "create" else None)
    split_form = forms.SplitForm(request.POST if request.POST.get("action") == "split" else None)
    if request.method == "POST":
        done = _subgroup_action(request, school, school_class, create_form, split_form)
        if done:
            return redirect("school:roster-subgroups", school_slug=school.slug, class_id=class_id)
    return render(request, "roster/subgroups.html", {
        "school": school, "school_class": school_class, "rows": selectors.subgroup_rows(school_class.pk),
        "students": selectors.current_students(school_class.pk), "create_form": create_form, "split_form": split_form,
        "can_edit": access.can(Perm.MANAGE_CLASSES, school) or access.is_class_teacher_of(school, class_id),
    })


def _subgroup_action(request: HttpRequest, school: Any, school_class: SchoolClass, create_form: forms.SubgroupForm,
                     split_form: forms.SplitForm) -> bool:
    action, actor = request.POST.get("action"), _actor(request)
    ids = [int(x) for x in request.POST.getlist("student") if x.isdigit()]
    try:
        if action == "create":
            if not create_form.is_valid():
                return False
            services.create_subgroup(actor, school, school_class, kind=create_form.cleaned_data["kind"],
                                     name=create_form.cleaned_data["name"], student_ids=ids)
            messages.success(request, "Подгруппа создана.")
        elif action == "split":
            if not split_form.is_valid():
                return False
            d = split_form.cleaned_data
            names = (d["first_name"], d["second_name"]) if d.get("first_name") and d.get("second_name") else None
            services.split_class(actor, school, school_class, kind=d["kind"], names=names,
                                 first_group=ids if ids else None)
            messages.success(request, "Класс разделён на две подгруппы.")
        elif action in ("members", "rename", "delete"):
            subgroup = Subgroup.objects.filter(pk=request.POST.get("subgroup") or 0, school_class=school_class).first()
            if subgroup is None:
                raise NotFound("Подгруппа не найдена.")
            if action == "members":
                services.set_subgroup_members(actor, school, subgroup, ids)
                messages.success(request, f"Состав подгруппы «{subgroup.name}» сохранён.")
            elif action == "rename":
                services.rename_subgroup(actor, school, subgroup, request.POST.get("name", ""))
                messages.success(request, "Подгруппа переименована.")
            else:
                services.delete_subgroup(actor, school, subgroup)
                messages.success(request, "Подгруппа удалена.")
        else:
            raise ValidationFailed("Неизвестное действие.")
    except PermissionDenied:
        raise
    except DomainError as exc:
        target = create_form if action == "create" else split_form if action == "split" else None
        if target is not None:
            form_error(target, exc)
        else:
            messages.error(request, exc.message)
        return target is None
    return True


# --- students -----------------------------------------------------------------------------------

@page
def students(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, access, own = require_class_readers(request)
    q = request.GET.get("q", "").strip()[:100]
    class_id = int(request.GET["class"]) if request.GET.get("class", "").isdigit() else None
    left = request.GET.get("left") == "1" and own is None
    rows = selectors.student_rows(q=q, class_id=class_id, class_ids=own, left=left)
    page_obj = Paginator(rows, 50).get_page(request.GET.get("page"))
    classes = [c for c in _year_classes() if own is None or c.pk in own]
    return render(request, "roster/students.html", {
        "school": school, "page": page_obj, "q": q, "class_id": class_id, "left": left, "classes": classes,
        "total": len(rows), "can_enrol": access.can(Perm.MOVEMENT, school),
    })


def _collected() -> list[str]:
    return selectors.collected_fields()


@page
@GET_POST
def student_new(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, _ = access_school(request, Perm.MOVEMENT)
    classes = _year_classes()
    orders = _recent_orders((OrderKind.ENROL,))
    initial = {"school_class": request.GET.get("class")}
    form = forms.NewStudentForm(request.POST or None, initial=initial, classes=classes, orders=orders, collected=_collected())
    if request.method == "POST" and form.is_valid():
        by_id = {c.pk: c for c in classes}
        enrolment = _attempt(form, lambda: services.enrol_student(
            _actor(request), school, form.person_data(), by_id[form.cleaned_data["school_class"]],
            order=form.order({o.pk: o for o in orders}), on=form.cleaned_data.get("on"), card=form.card_data(),
        ))
        if enrolment is not None:
            messages.success(request, "Обучающийся зачислен. Добавьте его родителей (законных представителей).")
            return redirect("school:roster-student", school_slug=school.slug, student_id=enrolment.student_id)
    return render(request, "roster/student_new.html", {"school": school, "form": form})


@page
def student_detail(request: HttpRequest, school_slug: str, student_id: int) -> HttpResponse:
    school, access, student = access_student(request, student_id)
    settings = selectors.personal_data_settings()
    collected = selectors.collected_fields(settings)
    card = selectors.card_of(student.pk)
    guardians = selectors.guardians_of(student.pk)
    parent_cards = {c.person_id: c for c in PersonCard.objects.filter(person_id__in=[p.pk for _, p in guardians])}
    history = selectors.student_history(student.pk)
    current = next((e for e in history if e.until is None), None)
    can_edit = access.can(Perm.MANAGE_PEOPLE, school) or (
        current is not None and access.is_class_teacher_of(school, current.school_class_id))
    return render(request, "roster/student_detail.html", {
        "school": school, "student": student, "card_rows": _card_rows(card, collected), "history": history, "current": current,
        "guardians": [(g, p, _card_rows(parent_cards.get(p.pk), collected)) for g, p in guardians],
        "can_edit": can_edit, "can_move": access.can(Perm.MOVEMENT, school),
        "guardian_form": forms.GuardianForm(collected=collected) if can_edit and current else None,
    })


def _card_rows(card: Any, collected: list[str]) -> list[tuple[str, str]]:
    return [(forms.CARD_LABELS[name], getattr(card, name, "") if card else "") for name in collected]


@page
@GET_POST
def student_edit(request: HttpRequest, school_slug: str, student_id: int) -> HttpResponse:
    school, _, student = access_student(request, student_id, "edit")
    return _family_card_page(request, school, student, "school:roster-student", {"student_id": student.pk})


def _family_card_page(request: HttpRequest, school: Any, person: Person, back: str, back_kwargs: dict[str, int],
                      extra: dict[str, Any] | None = None) -> HttpResponse:
    collected = _collected()
    card = selectors.card_of(person.pk)
    initial = {**forms.PersonForm.initial_of(person), **{name: getattr(card, name, "") for name in collected}}
    form = forms.FamilyCardForm(request.POST or None, initial=initial, collected=collected)
    if request.method == "POST" and form.is_valid():
        if _attempt(form, lambda: services.save_family_card(_actor(request), school, person, data=form.person_data(),
                                                            card=form.card_data())):
            messages.success(request, "Карточка сохранена.")
            return redirect(back, school.slug, *back_kwargs.values())
    context = {"school": school, "person": person, "form": form, "can_edit": True, **(extra or {})}
    return render(request, "roster/family_card.html", context)


@page
@require_POST
def student_guardians(request: HttpRequest, school_slug: str, student_id: int) -> HttpResponse:
    school, _, student = access_student(request, student_id, "edit")
    actor = _actor(request)
    back = redirect("school:roster-student", school_slug=school.slug, student_id=student.pk)
    if request.POST.get("action") == "remove":
        parent_id = request.POST.get("parent", "")
        link = Guardianship.objects.filter(student=student, parent_id=int(parent_id) if parent_id.isdigit() else 0).first()
        if link is None:
            raise NotFound("Такой связи нет.")
        try:
            services.remove_guardian(actor, school, link)
            messages.success(request, "Связь с родителем удалена.")
        except ValidationFailed as exc:
            messages.error(request, exc.message)
        return back
    form = forms.GuardianForm(request.POST, collected=_collected())
    if form.is_valid():
        def add() -> Any:
            login = form.cleaned_data.get("existing_login")
            parent = _person_by_login(login) if login else form.person_data()
            return services.add_guardian(actor, school, student, parent, kind=form.cleaned_data["kind"], card=form.card_data())

        if _attempt(form, add):
            messages.success(request, "Родитель (законный представитель) добавлен.")
            return back
    for field, errors in form.errors.items():
        for error in errors:
            messages.error(request, f"{form.fields[field].label}: {error}" if field in form.fields else str(error))
    return back


def _person_by_login(login: str) -> Person:
    person = Person.objects.filter(login=Person.normalize_login(login), is_active=True).first()
    if person is None:
        raise ValidationFailed("Учётная запись с таким логином не найдена.", fields={"existing_login": ["Не найдена."]})
    return person


def _movement_page(request: HttpRequest, school: Any, student: Person, kind: str) -> HttpResponse:
    current = selectors.current_enrolment(student.pk)
    kinds: tuple[str, ...]
    if kind == "transfer":
        kinds = forms.TRANSFER_KINDS
        classes = [c for c in _year_classes() if current is None or c.pk != current.school_class_id]
    else:
        kinds, classes = forms.LEAVE_KINDS, []
    orders = _recent_orders(kinds)
    form: forms.TransferForm | forms.LeaveForm = (
        forms.TransferForm(request.POST or None, classes=classes, orders=orders) if kind == "transfer"
        else forms.LeaveForm(request.POST or None, orders=orders))
    if request.method == "POST" and form.is_valid():
        order, on = form.order({o.pk: o for o in orders}), form.cleaned_data.get("on")
        if isinstance(form, forms.TransferForm):
            target = {c.pk: c for c in classes}[form.cleaned_data["to_class"]]
            done = _attempt(form, lambda: services.transfer_student(_actor(request), school, student, target, order=order, on=on))
            message = f"{student.short_name} переведён(а) в {target}."
        else:
            done = _attempt(form, lambda: services.leave_school(_actor(request), school, student, order=order, on=on))
            message = f"{student.short_name} выбыл(а) из школы."
        if done is not None:
            messages.success(request, message)
            return redirect("school:roster-student", school_slug=school.slug, student_id=student.pk)
    return render(request, "roster/movement_form.html", {
        "school": school, "student": student, "current": current, "form": form, "kind": kind,
    })


@page
@GET_POST
def student_transfer(request: HttpRequest, school_slug: str, student_id: int) -> HttpResponse:
    school, _, student = access_student(request, student_id, "move")
    return _movement_page(request, school, student, "transfer")


@page
@GET_POST
def student_leave(request: HttpRequest, school_slug: str, student_id: int) -> HttpResponse:
    school, _, student = access_student(request, student_id, "move")
    return _movement_page(request, school, student, "leave")


# --- orders, parents ------------------------------------------------------------------------------

@page
def orders(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, _ = access_school(request, Perm.VIEW_PEOPLE)
    kind = request.GET.get("kind", "")
    kind = kind if kind in OrderKind.values else ""
    return render(request, "roster/orders.html", {
        "school": school, "rows": selectors.order_rows(kind=kind), "kind": kind, "kinds": OrderKind.choices,
    })


@page
def parents(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, _, own = require_class_readers(request)
    q = request.GET.get("q", "").strip()[:100]
    rows = selectors.parent_rows(q=q, class_ids=own)
    return render(request, "roster/parents.html", {"school": school, "page": Paginator(rows, 50).get_page(request.GET.get("page")),
                                                   "q": q, "total": len(rows)})


@page
@GET_POST
def parent_detail(request: HttpRequest, school_slug: str, parent_id: int) -> HttpResponse:
    school, access, parent = access_parent(request, parent_id, "edit" if request.method == "POST" else "view")
    children = selectors.children_rows(parent.pk)
    can_edit = access.can(Perm.MANAGE_PEOPLE, school) or bool(
        selectors.own_class_ids(access, school) & {e.school_class_id for _, _, e in children if e})
    return _family_card_page(request, school, parent, "school:roster-parent", {"parent_id": parent.pk},
                             {"children": children, "can_edit": can_edit, "is_parent": True})


# --- staff cards (R-A07) --------------------------------------------------------------------------

@page
def staff_cards(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, access = access_school(request, Perm.VIEW_PEOPLE)
    return render(request, "roster/staff_cards.html", {
        "school": school, "rows": selectors.staff_rows(school), "can_edit": access.can(Perm.MANAGE_PEOPLE, school),
        "can_hire": bool(_hire_roles(request.user, school)) and access.can(Perm.MANAGE_PEOPLE, school),
    })


def _hire_roles(actor: Any, school: Any) -> list[tuple[str, str]]:
    return [(r, str(Role(r).label)) for r in services.HIRE_ROLES if account_services.can_grant(actor, r, school)[0]]


@page
@GET_POST
def staff_new(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, _ = access_school(request, Perm.MANAGE_PEOPLE)
    roles = _hire_roles(request.user, school)
    if not roles:
        raise PermissionDenied("Назначать роли сотрудникам может администратор школы или директор.")
    form = forms.HireForm(request.POST or None, roles=roles, initial={"role": Role.TEACHER})
    if request.method == "POST" and form.is_valid():
        card = _attempt(form, lambda: services.hire_staff(_actor(request), school, form.person_data(), form.card_object(),
                                                          role=form.cleaned_data["role"]))
        if card is not None:
            messages.success(request, "Сотрудник принят. Выдайте ему бланк доступа на странице «Сотрудники и роли».")
            return redirect("school:roster-staff-card", school_slug=school.slug, person_id=card.person_id)
    return render(request, "roster/staff_card.html", {"school": school, "form": form, "person": None})


@page
@GET_POST
def staff_card(request: HttpRequest, school_slug: str, person_id: int) -> HttpResponse:
    school, access, person = access_staff(request, person_id, "edit" if request.method == "POST" else "view")
    card = StaffCard.objects.filter(person=person).first()
    initial = {**forms.PersonForm.initial_of(person), **forms.StaffCardForm.initial_of_card(card)}
    form = forms.StaffCardForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        if _attempt(form, lambda: services.save_staff_card(_actor(request), school, person, form.card_object(), data=form.person_data())):
            messages.success(request, "Карточка сотрудника сохранена.")
            return redirect("school:roster-staff-cards", school_slug=school.slug)
    return render(request, "roster/staff_card.html", {
        "school": school, "form": form, "person": person, "card": card, "can_edit": access.can(Perm.MANAGE_PEOPLE, school),
    })


# --- the personal-data setting (R-A06) ------------------------------------------------------------

@page
@GET_POST
def personal_data(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, _ = access_school(request, Perm.MANAGE_PEOPLE)
    settings = selectors.personal_data_settings()
    form = forms.PersonalDataForm(request.POST if request.POST.get("action") == "save" else None,
                                  initial={name: getattr(settings, name) for name in services.SETTINGS_AUDITED})
    if request.method == "POST":
        try:
            if request.POST.get("action") == "erase":
                erased = services.erase_personal_data_field(_actor(request), school, request.POST.get("field", ""))
                messages.success(request, f"Удалено из карточек: {erased}.")
                return redirect("school:roster-personal-data", school_slug=school.slug)
            if form.is_valid():
                services.update_personal_data_settings(_actor(request), school, **form.cleaned_data)
                messages.success(request, "Состав персональных данных сохранён.")
                return redirect("school:roster-personal-data", school_slug=school.slug)
        except PermissionDenied:
            raise
        except DomainError as exc:
            messages.error(request, exc.message)
    stored = selectors.stored_but_not_collected(settings)
    return render(request, "roster/personal_data.html", {
        "school": school, "form": form,
        "stored": [(name, services.CARD_LABELS[name], count) for name, count in stored.items()],
    })
