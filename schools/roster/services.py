"""Writes inside one school: classes and their class teachers, subgroups, the cards of
students, parents and staff, and student movement by orders (R-Y02, R-Y06, R-A05, R-A06, R-A07).

Each function takes the acting person first, checks their right, validates, writes and
appends an audit record in one transaction; on bad input it raises core.errors.ValidationFailed
(a Russian message and `fields`) and writes nothing. The school's schema must be selected:
requests under /s/<slug>/ and /api/v1/schools/<slug>/ are; a command calls
tenants.db.use_school(school) first.

Dates of movement: an Enrolment's `since` and `until` are both inclusive. A transfer or a
leave dated D closes the open row on D − 1, so nobody is in two classes on one day.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.deletion import Collector, ProtectedError, RestrictedError
from django.utils import timezone

from accounts.models import Membership, Person
from accounts.roles import STAFF_ROLES, Perm, Role
from accounts.selectors import Access, access_for, forget_access
from accounts.services import (
    MEMBERSHIP_AUDITED,
    PersonData,
    can_grant,
    clean_person_data,
    ensure_writable,
    find_or_create_person,
    grant_role,
    just_created,
)
from audit.services import record, snapshot
from core.errors import PermissionDenied, ValidationFailed
from schoolyear.guards import ensure_year_open
from schoolyear.models import AcademicYear
from schoolyear.selectors import current_year

from . import selectors
from .models import (
    Enrolment,
    GuardianKind,
    Guardianship,
    MovementOrder,
    OrderKind,
    PersonalDataSettings,
    PersonCard,
    SchoolClass,
    StaffCard,
    Subgroup,
    SubgroupKind,
    SubgroupMember,
)
from .selectors import CARD_FIELDS

if TYPE_CHECKING:
    from tenants.models import School

CLASS_AUDITED = ["year", "grade", "letter", "profile", "class_teacher", "previous"]
SUBGROUP_AUDITED = ["school_class", "kind", "name"]
ORDER_AUDITED = ["kind", "number", "date", "note"]
ENROLMENT_AUDITED = ["student", "school_class", "since", "until", "order_in", "order_out"]
GUARDIAN_AUDITED = ["parent", "student", "kind"]
STAFF_CARD_AUDITED = ["person", "position", "category", "rank", "functions", "diploma_speciality", "hired_on", "hire_order_number"]
SETTINGS_AUDITED = ["collect_phone", "collect_address", "collect_email", "collect_snils"]
PERSON_MINIMUM = ["surname", "name", "patronymic", "sex", "birth_date"]
CARD_LABELS = {"phone": "телефоны", "address": "домашние адреса", "email": "адреса электронной почты", "snils": "СНИЛС"}
# Latin letters typed for their Cyrillic twins ("5A" with a Latin A is the same class as "5А").
_LATIN_TWINS = str.maketrans("ABEKMHOPCTXY", "АВЕКМНОРСТХУ")
_LETTER = re.compile(r"^[А-ЯЁ]{1,4}$")
_PHONE = re.compile(r"^\+?[\d\s()\-]{5,30}$")
ONE_DAY = dt.timedelta(days=1)


def _require(actor: Person, school: School, perm: str, message: str) -> Access:
    access = access_for(actor)
    if not access.can(perm, school):
        raise PermissionDenied(message)
    ensure_writable(school)
    return access


def _fail(field: str, message: str, *, code: str | None = None) -> ValidationFailed:
    return ValidationFailed(message, fields={field: [message]}, code=code)


def _raise_first(errors: dict[str, list[str]], code: str | None = None) -> None:
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors, code=code)


# --- people: the minimum (surname, name, patronymic, sex, date of birth) ------------------------

def _require_minimum(data: PersonData) -> None:
    """004 §V: the system holds surname, name, patronymic, sex and date of birth of every student,
    parent and staff member; the patronymic may be absent (not everybody has one)."""
    errors: dict[str, list[str]] = {}
    for name in ("surname", "name"):
        if not getattr(data, name).strip():
            errors[name] = ["Обязательное поле."]
    if not data.sex:
        errors["sex"] = ["Укажите пол."]
    if data.birth_date is None:
        errors["birth_date"] = ["Укажите дату рождения."]
    _raise_first(errors)


def _person_for(actor: Person, school: School, who: Person | PersonData) -> tuple[Person, bool]:
    """(person, created): a person made just now has no enrolment, link or role to look for."""
    if isinstance(who, Person):
        return who, just_created(who)
    # An existing account named by its login is taken as it is; anybody else needs the minimum.
    if not (who.login and Person.objects.filter(login=Person.normalize_login(who.login)).exists()):
        _require_minimum(who)
    return find_or_create_person(actor, replace(who, email=""), school)


def _update_minimum(actor: Person, school: School, person: Person, data: PersonData) -> None:
    _require_minimum(data)
    clean = clean_person_data(replace(data, login="", email=""))
    before = snapshot(person, PERSON_MINIMUM)
    for name in PERSON_MINIMUM:
        setattr(person, name, getattr(clean, name))
    after = snapshot(person, PERSON_MINIMUM)
    if after != before:
        person.save(update_fields=PERSON_MINIMUM)
        record(actor=actor, action="person.update", school=school, obj=person, before=before, after=after)


# --- personal cards (R-A06) ------------------------------------------------------------------

@dataclass(frozen=True)
class CardData:
    """Personal data beyond the minimum, as far as the school collects it (R-A06).
    None: leave the field as it is; "": clear it."""

    phone: str | None = None
    address: str | None = None
    email: str | None = None
    snils: str | None = None


def _snils_ok(digits: str) -> bool:
    number, check = digits[:9], int(digits[9:])
    if int(number) <= 1001998:  # numbers up to 001-001-998 carry no checksum
        return True
    total = sum(int(d) * w for d, w in zip(number, range(9, 0, -1), strict=True))
    while total > 101:
        total %= 101
    return check == (0 if total in (100, 101) else total)


def _clean_card(card: CardData, settings: PersonalDataSettings) -> dict[str, str]:
    """Values to store; refuses a value for a field the school does not collect (001 §3.3:
    a school may forbid addresses and phones)."""
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = {}
    refused = False
    for name, flag in CARD_FIELDS.items():
        raw = getattr(card, name)
        if raw is None:
            continue
        value = raw.strip()
        if not getattr(settings, flag):
            if value:
                refused = True
                errors[name] = [f"Школа не собирает {CARD_LABELS[name]}: поле отключено в настройке персональных данных."]
            continue
        if value and name == "phone" and not (_PHONE.match(value) and 10 <= sum(c.isdigit() for c in value) <= 15):
            errors[name] = ["Телефон: от 10 до 15 цифр, например +7 912 345-67-89."]
        elif value and name == "email":
            try:
                validate_email(value)
            except ValidationError:
                errors[name] = ["Неверный адрес электронной почты."]
            value = value.lower()
        elif value and name == "snils":
            digits = re.sub(r"[\s\-]", "", value)
            if not (digits.isdigit() and len(digits) == 11 and _snils_ok(digits)):
                errors[name] = ["СНИЛС: 11 цифр с верной контрольной суммой, например 112-233-445 95."]
            else:
                value = f"{digits[:3]}-{digits[3:6]}-{digits[6:9]} {digits[9:]}"
        elif len(value) > 300:
            errors[name] = ["Не длиннее 300 знаков."]
        values[name] = value
    _raise_first(errors, "field_not_collected" if refused else None)
    return values


def _save_card(actor: Person, school: School, person: Person, card: CardData, *, new_person: bool = False) -> None:
    values = _clean_card(card, PersonalDataSettings.current())
    if not values:
        return
    existing = None if new_person else PersonCard.objects.select_for_update().filter(person=person).first()
    obj = existing or PersonCard(person=person)
    changed = card_changes({name: getattr(obj, name) for name in values}, values)
    if not changed:
        return
    for name in changed:
        setattr(obj, name, values[name])
    obj.save()
    record_card_saved(actor, school, obj, person, changed)


def clean_card(card: CardData, settings: PersonalDataSettings) -> dict[str, str]:
    """The values of `card` to store (raises ValidationFailed as `save_family_card` would)."""
    return _clean_card(card, settings)


def card_changes(current: dict[str, str], values: dict[str, str]) -> list[str]:
    """The names of the card fields `values` changes (`current`: the card's values; a missing card is all "")."""
    return sorted(name for name, value in values.items() if current.get(name, "") != value)


def record_card_saved(actor: Person, school: School, card: PersonCard, person: Person, changed: list[str]) -> None:
    # Only the names of the changed fields: the audit log is append-only, and a value kept there
    # could never be erased when the school stops collecting it.
    record(actor=actor, action="person_card.update", school=school, obj=card, object_repr=f"карточка: {person.short_name}",
           after={"person": person.pk, "changed": changed})


def _may_edit_family(access: Access, school: School, person_id: int) -> bool:
    """004 §V: cards of students and parents are kept by the administration and by the class
    teachers of their classes (001 §3.3)."""
    if access.can(Perm.MANAGE_PEOPLE, school):
        return True
    own = selectors.own_class_ids(access, school)
    return bool(own) and person_id in selectors.family_person_ids_of_classes(own)


def save_family_card(actor: Person, school: School, person: Person, *, data: PersonData | None = None,
                     card: CardData | None = None) -> Person:
    """Edits a student's or a parent's minimum (`data`) and personal card (`card`)."""
    access = access_for(actor)
    if not _may_edit_family(access, school, person.pk):
        raise PermissionDenied("Карточки обучающихся и родителей ведут администрация и классный руководитель класса.")
    ensure_writable(school)
    check_family_member(selectors.is_student_here(person.pk) or selectors.is_parent_here(person.pk))
    with transaction.atomic():
        if data is not None:
            _update_minimum(actor, school, person, data)
        if card is not None:
            _save_card(actor, school, person, card)
    return person


def check_family_member(is_here: bool) -> None:
    """A family card is kept for somebody who studies (studied) here or is a parent of such a student."""
    if not is_here:
        raise ValidationFailed("Это не обучающийся и не родитель обучающегося этой школы.")


# --- memberships that follow the roster ---------------------------------------------------------
# Building blocks for movement services here and in schoolyear (closing a year). They check no
# rights: the calling service has, inside its own transaction.

def ensure_membership(actor: Person, school: School, person: Person, role: str, since: dt.date, reason: str,
                       class_id: int | None = None, *, new_person: bool = False) -> None:
    """R-A05: the role starts on the order's date, so the overdue-accounts list counts from it."""
    today = timezone.localdate()
    live = Membership.objects.filter(person=person, school=school, role=role, class_id=class_id).filter(
        Q(until__isnull=True) | Q(until__gte=today))
    if not new_person and live.exists():
        return
    membership = Membership.objects.create(person=person, school=school, role=role, class_id=class_id, since=since,
                                           granted_by=actor)
    record_role_granted(actor, school, membership, reason)
    forget_access(person)


def record_role_granted(actor: Person, school: School, membership: Membership, reason: str) -> None:
    record(actor=actor, action="role.grant", school=school, obj=membership, after=snapshot(membership, MEMBERSHIP_AUDITED),
           reason=reason)


def end_memberships(actor: Person, school: School, rows: Iterable[Membership], last_day: dt.date, reason: str) -> None:
    """Ends each role on `last_day` (never before it began), each audited."""
    for membership in rows:
        before = snapshot(membership, MEMBERSHIP_AUDITED)
        membership.until = max(last_day, membership.since)
        membership.save(update_fields=["until"])
        record(actor=actor, action="role.revoke", school=school, obj=membership, before=before,
               after=snapshot(membership, MEMBERSHIP_AUDITED), reason=reason)


def live_for_update(qs: Any, last_day: dt.date) -> Any:
    """The memberships of `qs` still running after `last_day`, locked."""
    return qs.select_for_update(of=("self",)).filter(Q(until__isnull=True) | Q(until__gt=last_day))


def end_parent_roles_without_children(actor: Person, school: School, parent_ids: Iterable[int], last_day: dt.date,
                                       reason: str) -> None:
    """A parent keeps their role while one of their children studies here."""
    parent_ids = set(parent_ids)
    studying = set(Enrolment.objects.filter(until__isnull=True).values_list("student_id", flat=True))
    still = set(Guardianship.objects.filter(parent_id__in=parent_ids, student_id__in=studying).values_list("parent_id", flat=True))
    gone = parent_ids - still
    if gone:
        rows = live_for_update(Membership.objects.filter(school=school, role=Role.PARENT, person_id__in=gone), last_day)
        end_memberships(actor, school, rows, last_day, reason)


# --- classes (R-Y02) ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ClassData:
    grade: int
    letter: str
    profile: str = ""
    class_teacher_id: int | None = None


def normalize_letter(letter: str) -> str:
    return letter.strip().upper().translate(_LATIN_TWINS)


def _clean_class(school: School, data: ClassData) -> tuple[int, str, str, Person | None]:
    errors: dict[str, list[str]] = {}
    if not isinstance(data.grade, int) or not 1 <= data.grade <= 11:
        errors["grade"] = ["Параллель — число от 1 до 11."]
    letter = normalize_letter(data.letter or "")
    if not _LETTER.match(letter):
        errors["letter"] = ["Литера — от 1 до 4 русских букв, например «А»."]
    profile = (data.profile or "").strip()
    if len(profile) > 100:
        errors["profile"] = ["Не длиннее 100 знаков."]
    teacher = None
    if data.class_teacher_id is not None:
        # A staff member of THIS school, now: the same answer whether the person is unknown or
        # works elsewhere, so that nothing is learnt about other schools.
        staff = Membership.objects.current().filter(school=school, person_id=data.class_teacher_id,
                                                    role__in=[r.value for r in STAFF_ROLES])
        teacher = Person.objects.filter(pk=data.class_teacher_id, is_active=True).first() if staff.exists() else None
        if teacher is None:
            errors["class_teacher_id"] = ["Классным руководителем можно назначить только сотрудника этой школы."]
    _raise_first(errors)
    return data.grade, letter, profile, teacher


def _check_class_free(year_id: int, grade: int, letter: str, exclude: int | None = None) -> None:
    taken = SchoolClass.objects.filter(year_id=year_id, grade=grade, letter=letter).exclude(pk=exclude or 0)
    if taken.exists():
        raise _fail("letter", f"Класс {grade}{letter} в этом учебном году уже есть.", code="duplicate_class")


def _appoint_class_teacher(actor: Person, school: School, school_class: SchoolClass, teacher: Person | None) -> None:
    """Keeps the public Membership(role=class_teacher, class_id=…) in step with the class:
    the old class teacher's role ends yesterday, the new one's starts today."""
    today = timezone.localdate()
    reason = f"Классный руководитель {school_class}"
    old = live_for_update(Membership.objects.filter(school=school, role=Role.CLASS_TEACHER, class_id=school_class.pk), today - ONE_DAY)
    if teacher is not None:
        old = old.exclude(person=teacher)
    end_memberships(actor, school, list(old), today - ONE_DAY, reason)
    if teacher is not None:
        ensure_membership(actor, school, teacher, Role.CLASS_TEACHER, today, reason, class_id=school_class.pk)


def create_class(actor: Person, school: School, data: ClassData, *, year: AcademicYear | None = None) -> SchoolClass:
    """A class of `year` (the school's open year when not given)."""
    year = class_year(actor, school, year)
    grade, letter, profile, teacher = _clean_class(school, data)
    _check_class_free(year.pk, grade, letter)
    try:
        with transaction.atomic():
            school_class = SchoolClass.objects.create(year=year, grade=grade, letter=letter, profile=profile, class_teacher=teacher)
            record(actor=actor, action="class.create", school=school, obj=school_class,
                   after=snapshot(school_class, CLASS_AUDITED))
            _appoint_class_teacher(actor, school, school_class, teacher)
    except IntegrityError as exc:
        raise _fail("letter", f"Класс {grade}{letter} в этом учебном году уже есть.", code="duplicate_class") from exc
    return school_class


def class_year(actor: Person, school: School, year: AcademicYear | None = None) -> AcademicYear:
    """The year a new class goes to (the open one when not given), if `actor` may create classes."""
    _require(actor, school, Perm.MANAGE_CLASSES, "Классы формирует администрация школы.")
    year = year or current_year()
    if year is None:
        raise ValidationFailed("Сначала откройте учебный год.", code="no_year")
    ensure_year_open(year)
    return year


def update_class(actor: Person, school: School, school_class: SchoolClass, data: ClassData) -> SchoolClass:
    """Grade, letter, profile and class teacher (None: no class teacher)."""
    _require(actor, school, Perm.MANAGE_CLASSES, "Классы формирует администрация школы.")
    ensure_year_open(school_class.year_id)
    grade, letter, profile, teacher = _clean_class(school, data)
    _check_class_free(school_class.year_id, grade, letter, exclude=school_class.pk)
    with transaction.atomic():
        locked = SchoolClass.objects.select_for_update().get(pk=school_class.pk)
        before = snapshot(locked, CLASS_AUDITED)
        teacher_changed = locked.class_teacher_id != (teacher.pk if teacher else None)
        locked.grade, locked.letter, locked.profile, locked.class_teacher = grade, letter, profile, teacher
        locked.save(update_fields=["grade", "letter", "profile", "class_teacher"])
        after = snapshot(locked, CLASS_AUDITED)
        if after != before:
            record(actor=actor, action="class.update", school=school, obj=locked, before=before, after=after)
        if teacher_changed:
            _appoint_class_teacher(actor, school, locked, teacher)
    return locked


def delete_class(actor: Person, school: School, school_class: SchoolClass) -> None:
    """Only an empty class: nobody has ever studied in it and no other part of the school
    (curriculum, timetable, journal) refers to it. Its subgroups go with it."""
    _require(actor, school, Perm.MANAGE_CLASSES, "Классы формирует администрация школы.")
    ensure_year_open(school_class.year_id)
    if Enrolment.objects.filter(school_class=school_class).exists():
        raise ValidationFailed(f"В классе {school_class} есть или были обучающиеся: удалить его нельзя.", code="class_not_empty")
    collector = Collector(using="default")
    try:
        collector.collect([school_class])
    except (ProtectedError, RestrictedError) as exc:
        raise ValidationFailed(f"Класс {school_class} уже используется (журнал, приказы): удалить его нельзя.",
                               code="class_in_use") from exc
    users = {model._meta.verbose_name_plural for model, objs in collector.data.items() if objs and model._meta.app_label != "roster"}
    users |= {qs.model._meta.verbose_name_plural for qs in collector.fast_deletes
              if qs.model._meta.app_label != "roster" and qs.exists()}
    if users:
        raise ValidationFailed(f"Класс {school_class} используется ({', '.join(sorted(map(str, users)))}): удалить его нельзя.",
                               code="class_in_use")
    with transaction.atomic():
        before = snapshot(school_class, CLASS_AUDITED)
        _appoint_class_teacher(actor, school, school_class, None)
        record(actor=actor, action="class.delete", school=school, obj=school_class, before=before)
        school_class.delete()


# --- subgroups (R-Y02; 001 §3.3) ------------------------------------------------------------------

def _require_subgroups(actor: Person, school: School, school_class: SchoolClass) -> None:
    """001 §3.3: the class teacher checks and corrects the class's division into subgroups."""
    access = access_for(actor)
    if not (access.can(Perm.MANAGE_CLASSES, school) or access.is_class_teacher_of(school, school_class.pk)):
        raise PermissionDenied("Подгруппы класса формируют администрация и классный руководитель.")
    ensure_writable(school)
    ensure_year_open(school_class.year_id)


def _clean_subgroup(school_class: SchoolClass, kind: str, name: str, exclude: int | None = None) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    if kind not in SubgroupKind.values:
        errors["kind"] = ["Вид подгруппы: иностранный язык, информатика, технология, физкультура или другое."]
    name = (name or "").strip()
    if not name or len(name) > 60:
        errors["name"] = ["Название подгруппы — от 1 до 60 знаков."]
    elif Subgroup.objects.filter(school_class=school_class, name__iexact=name).exclude(pk=exclude or 0).exists():
        errors["name"] = [f"В классе {school_class} уже есть подгруппа «{name}»."]
    _raise_first(errors)
    return kind, name


def _assign(actor: Person, school: School, subgroup: Subgroup, student_ids: Iterable[int]) -> None:
    """Sets who of the class's current students is in `subgroup`. Students who have left the
    class keep their row: past lessons of the subgroup still name them."""
    wanted = set(student_ids)
    school_class = subgroup.school_class
    current = selectors.student_ids_of_classes([school_class.pk])
    outside = wanted - current
    if outside:
        raise ValidationFailed(f"Не все отмеченные обучаются в классе {school_class} сейчас.",
                               fields={"student_ids": [f"Не в классе {school_class}: {', '.join(map(str, sorted(outside)))}."]})
    clash = list(SubgroupMember.objects.filter(subgroup__school_class=school_class, subgroup__kind=subgroup.kind,
                                               student_id__in=wanted).exclude(subgroup=subgroup)
                 .select_related("subgroup").order_by("student_id"))
    if clash:
        people = Person.objects.in_bulk({m.student_id for m in clash})
        names = "; ".join(f"{people[m.student_id].short_name} — «{m.subgroup.name}»" for m in clash if m.student_id in people)
        raise ValidationFailed(f"Обучающийся может быть только в одной подгруппе вида «{subgroup.get_kind_display()}»: {names}.",
                               fields={"student_ids": [names]}, code="subgroup_clash")
    existing = set(SubgroupMember.objects.filter(subgroup=subgroup, student_id__in=current).values_list("student_id", flat=True))
    if existing == wanted:
        return
    SubgroupMember.objects.filter(subgroup=subgroup, student_id__in=existing - wanted).delete()
    SubgroupMember.objects.bulk_create([SubgroupMember(subgroup=subgroup, student_id=s) for s in sorted(wanted - existing)])
    record(actor=actor, action="subgroup.members", school=school, obj=subgroup,
           before={"students": sorted(existing)}, after={"students": sorted(wanted)})


def create_subgroup(actor: Person, school: School, school_class: SchoolClass, *, kind: str, name: str,
                    student_ids: Iterable[int] = ()) -> Subgroup:
    _require_subgroups(actor, school, school_class)
    kind, name = _clean_subgroup(school_class, kind, name)
    with transaction.atomic():
        SchoolClass.objects.select_for_update().filter(pk=school_class.pk).first()  # serialises membership checks
        subgroup = Subgroup.objects.create(school_class=school_class, kind=kind, name=name)
        record(actor=actor, action="subgroup.create", school=school, obj=subgroup, after=snapshot(subgroup, SUBGROUP_AUDITED))
        _assign(actor, school, subgroup, student_ids)
    return subgroup


def rename_subgroup(actor: Person, school: School, subgroup: Subgroup, name: str) -> Subgroup:
    _require_subgroups(actor, school, subgroup.school_class)
    _, name = _clean_subgroup(subgroup.school_class, subgroup.kind, name, exclude=subgroup.pk)
    with transaction.atomic():
        before = snapshot(subgroup, SUBGROUP_AUDITED)
        subgroup.name = name
        subgroup.save(update_fields=["name"])
        record(actor=actor, action="subgroup.update", school=school, obj=subgroup, before=before,
               after=snapshot(subgroup, SUBGROUP_AUDITED))
    return subgroup


def set_subgroup_members(actor: Person, school: School, subgroup: Subgroup, student_ids: Iterable[int]) -> Subgroup:
    """Only students enrolled in the class now; one subgroup of each kind per student."""
    _require_subgroups(actor, school, subgroup.school_class)
    with transaction.atomic():
        SchoolClass.objects.select_for_update().filter(pk=subgroup.school_class_id).first()
        _assign(actor, school, subgroup, student_ids)
    return subgroup


def delete_subgroup(actor: Person, school: School, subgroup: Subgroup) -> None:
    _require_subgroups(actor, school, subgroup.school_class)
    try:
        with transaction.atomic():
            before = {**snapshot(subgroup, SUBGROUP_AUDITED),
                      "students": sorted(subgroup.members.values_list("student_id", flat=True))}
            record(actor=actor, action="subgroup.delete", school=school, obj=subgroup, before=before)
            subgroup.delete()
    except (ProtectedError, RestrictedError) as exc:
        raise ValidationFailed(f"По подгруппе «{subgroup.name}» уже есть записи в журнале: удалить её нельзя.",
                               code="subgroup_in_use") from exc


def split_class(actor: Person, school: School, school_class: SchoolClass, *, kind: str,
                names: tuple[str, str] | None = None, first_group: Iterable[int] | None = None) -> tuple[Subgroup, Subgroup]:
    """Divides the class's current students into two new subgroups of `kind` in one action:
    those in `first_group` into the first, everybody else into the second (by default the
    first half of the alphabetical list, then the rest)."""
    _require_subgroups(actor, school, school_class)
    label = SubgroupKind(kind).label if kind in SubgroupKind.values else ""
    first_name, second_name = names or (f"{label}, 1 группа", f"{label}, 2 группа")
    kind, first_name = _clean_subgroup(school_class, kind, first_name)
    _, second_name = _clean_subgroup(school_class, kind, second_name)
    if first_name.casefold() == second_name.casefold():
        raise _fail("name", "У двух подгрупп должны быть разные названия.")
    students = selectors.current_students(school_class.pk)
    if len(students) < 2:
        raise ValidationFailed(f"В классе {school_class} меньше двух обучающихся: делить некого.")
    ids = [p.pk for p in students]
    first = set(first_group) if first_group is not None else set(ids[: (len(ids) + 1) // 2])
    with transaction.atomic():
        SchoolClass.objects.select_for_update().filter(pk=school_class.pk).first()
        if Subgroup.objects.filter(school_class=school_class, kind=kind).exists():
            raise _fail("kind", f"В классе {school_class} уже есть подгруппы вида «{label}»: измените их состав или удалите их.",
                        code="subgroup_clash")
        groups = (Subgroup.objects.create(school_class=school_class, kind=kind, name=first_name),
                  Subgroup.objects.create(school_class=school_class, kind=kind, name=second_name))
        for group in groups:
            record(actor=actor, action="subgroup.create", school=school, obj=group, after=snapshot(group, SUBGROUP_AUDITED))
        _assign(actor, school, groups[0], first)
        _assign(actor, school, groups[1], set(ids) - first)
    return groups


# --- orders and movement (R-Y06; 004 §X) ----------------------------------------------------------

@dataclass(frozen=True)
class OrderData:
    """A new order: its number and date (unique together) and, optionally, its grounds."""

    number: str
    date: dt.date
    note: str = ""


def _new_order(actor: Person, school: School, kind: str, data: OrderData) -> MovementOrder:
    number, note = check_new_order(kind, data)
    duplicate = duplicate_order(number, data.date)
    if MovementOrder.objects.filter(number=number, date=data.date).exists():
        raise duplicate
    try:
        with transaction.atomic():
            order = MovementOrder.objects.create(kind=kind, number=number, date=data.date, note=note, created_by_id=actor.pk)
    except IntegrityError as exc:
        raise duplicate from exc
    record_order_created(actor, school, order)
    return order


def check_new_order(kind: str, data: OrderData) -> tuple[str, str]:
    """(number, note) of a new order, checked; raises ValidationFailed."""
    errors: dict[str, list[str]] = {}
    number, note = (data.number or "").strip(), (data.note or "").strip()
    if kind not in OrderKind.values:
        errors["kind"] = ["Неизвестный вид приказа."]
    if not number or len(number) > 40:
        errors["order_number"] = ["Укажите номер приказа (до 40 знаков)."]
    if data.date is None:
        errors["order_date"] = ["Укажите дату приказа."]
    elif data.date > timezone.localdate():
        errors["order_date"] = ["Дата приказа ещё не наступила."]
    if len(note) > 300:
        errors["note"] = ["Не длиннее 300 знаков."]
    _raise_first(errors)
    return number, note


def duplicate_order(number: str, date: dt.date) -> ValidationFailed:
    return _fail("order_number", f"Приказ № {number} от {date:%d.%m.%Y} уже зарегистрирован: выберите его, а не вводите заново.",
                 code="duplicate_order")


def record_order_created(actor: Person, school: School, order: MovementOrder) -> None:
    record(actor=actor, action="movement_order.create", school=school, obj=order, after=snapshot(order, ORDER_AUDITED))


def create_order(actor: Person, school: School, kind: str, data: OrderData) -> MovementOrder:
    """Registers an order (number + date unique), e.g. to enrol many students under it."""
    _require(actor, school, Perm.MOVEMENT, "Приказы о движении обучающихся регистрирует секретарь или администрация.")
    with transaction.atomic():
        return _new_order(actor, school, kind, data)


def _order_for(actor: Person, school: School, order: MovementOrder | OrderData, kinds: tuple[str, ...]) -> MovementOrder:
    if isinstance(order, MovementOrder):
        check_order_kind(order, kinds)
        return order
    return _new_order(actor, school, kinds[0], order)


def check_order_kind(order: MovementOrder, kinds: tuple[str, ...]) -> None:
    if order.kind not in kinds:
        wanted = " или ".join(f"«{OrderKind(k).label}»" for k in kinds)
        raise _fail("order_id", f"{order} — не приказ вида {wanted}.")


def check_in_year(day: dt.date, school_class: SchoolClass) -> None:
    """The day lies within the class's academic year (`school_class.year` loaded)."""
    _check_in_year(day, school_class)


def _check_in_year(day: dt.date, school_class: SchoolClass) -> None:
    year = school_class.year
    if not year.starts_on <= day <= year.ends_on:
        raise _fail("on", f"Дата {day:%d.%m.%Y} вне учебного года {year} ({year.starts_on:%d.%m.%Y}–{year.ends_on:%d.%m.%Y}).",
                    code="date_outside_year")


def _open_enrolment(student: Person) -> Enrolment | None:
    return (Enrolment.objects.select_for_update(of=("self",)).filter(student=student, until__isnull=True)
            .select_related("school_class__year").first())


def _class_of(school_class: SchoolClass) -> SchoolClass:
    return SchoolClass.objects.select_related("year").get(pk=school_class.pk)


def enrol_student(actor: Person, school: School, student: Person | PersonData, school_class: SchoolClass, *,
                  order: MovementOrder | OrderData, on: dt.date | None = None, card: CardData | None = None) -> Enrolment:
    """Enrols a student (an existing person, or a new one matched or created from `student`) into
    `school_class` from `on` (the order's date by default) by an enrolment order, and gives them the
    student role in the school from the order's date (R-A05)."""
    _require(actor, school, Perm.MOVEMENT, "Зачислять обучающихся может секретарь или администрация школы.")
    school_class = _class_of(school_class)
    ensure_year_open(school_class.year)
    with transaction.atomic():
        the_order = _order_for(actor, school, order, (OrderKind.ENROL,))
        day = on or the_order.date
        _check_in_year(day, school_class)
        person, new = _person_for(actor, school, student)
        current = None if new else _open_enrolment(person)
        check_not_enrolled(person, current.school_class if current is not None else None, school_class)
        last = None if new else (Enrolment.objects.filter(student=person, until__gte=day).select_related("school_class")
                                 .order_by("-until").first())
        if last is not None:
            check_enrolled_after(person, last.until, last.school_class)
        try:
            with transaction.atomic():
                enrolment = Enrolment.objects.create(student=person, school_class=school_class, since=day, order_in=the_order)
        except IntegrityError as exc:  # enrolled elsewhere a moment ago (one open enrolment per student)
            raise _fail("school_class", f"{person.short_name} уже обучается в школе: обучающийся не может быть в двух "
                                        "классах сразу.", code="already_enrolled") from exc
        record_enrolment(actor, school, enrolment, person, school_class)
        ensure_membership(actor, school, person, Role.STUDENT, the_order.date, student_role_reason(the_order), new_person=new)
        if card is not None:
            _save_card(actor, school, person, card, new_person=new)
    return enrolment


def check_not_enrolled(person: Person, where: SchoolClass | None, school_class: SchoolClass) -> None:
    """Enrolment refuses a student who studies in a class already (`where`): a transfer or a leave is due."""
    if where is None:
        return
    if where.grade == school_class.grade:
        raise _fail("school_class", f"{person.short_name} уже обучается в {where} — классе этой же параллели: "
                                    "оформите перевод, а не зачисление.", code="already_enrolled")
    raise _fail("school_class", f"{person.short_name} уже обучается в {where}: обучающийся не может быть в двух "
                                "классах сразу — оформите перевод или выбытие.", code="already_enrolled")


def check_enrolled_after(person: Person, until: dt.date | None, school_class: SchoolClass) -> None:
    """Refuses an enrolment that starts before an earlier stay in the school (until `until`,
    on or after the enrolment's day) ended."""
    raise _fail("on", f"До {until:%d.%m.%Y} {person.short_name} числится в {school_class}: "
                      "зачисление должно быть позже.", code="overlapping_dates")


def student_role_reason(order: MovementOrder) -> str:
    return f"Зачисление: {order}"


def record_enrolment(actor: Person, school: School, enrolment: Enrolment, person: Person, school_class: SchoolClass) -> None:
    record(actor=actor, action="student.enrol", school=school, obj=enrolment, object_repr=f"{person.short_name} → {school_class}",
           after=snapshot(enrolment, ENROLMENT_AUDITED))


def transfer_student(actor: Person, school: School, student: Person, to_class: SchoolClass, *,
                     order: MovementOrder | OrderData, on: dt.date | None = None) -> Enrolment:
    """Moves a student to another class from `on` (the order's date by default): the open row
    is closed on the day before, a new one opens, both name the order. A transfer order moves
    within one academic year; promotion and repetition orders (R-Y05) may cross years."""
    _require(actor, school, Perm.MOVEMENT, "Переводить обучающихся может секретарь или администрация школы.")
    to_class = _class_of(to_class)
    with transaction.atomic():
        current = _open_enrolment(student)
        if current is None:
            raise _fail("student_id", f"{student.short_name} сейчас не обучается в школе: сначала зачислите.", code="not_enrolled")
        if current.school_class_id == to_class.pk:
            raise _fail("to_class", f"{student.short_name} уже обучается в {to_class}.")
        ensure_year_open(current.school_class.year)
        ensure_year_open(to_class.year)
        the_order = _order_for(actor, school, order, (OrderKind.TRANSFER, OrderKind.PROMOTE, OrderKind.REPEAT))
        if the_order.kind == OrderKind.TRANSFER and to_class.year_id != current.school_class.year_id:
            raise _fail("to_class", "Перевод в течение года — только между классами одного учебного года.")
        day = on or the_order.date
        _check_in_year(day, to_class)
        if day <= current.since:
            raise _fail("on", f"Дата перевода должна быть позже зачисления в {current.school_class} "
                              f"({current.since:%d.%m.%Y}).", code="overlapping_dates")
        before = snapshot(current, ENROLMENT_AUDITED)
        current.until, current.order_out = day - ONE_DAY, the_order
        current.save(update_fields=["until", "order_out"])
        new = Enrolment.objects.create(student=student, school_class=to_class, since=day, order_in=the_order)
        record(actor=actor, action="student.transfer", school=school, obj=new,
               object_repr=f"{student.short_name}: {current.school_class} → {to_class}",
               before=before, after={"closed": snapshot(current, ENROLMENT_AUDITED), "opened": snapshot(new, ENROLMENT_AUDITED)})
    return new


def leave_school(actor: Person, school: School, student: Person, *, order: MovementOrder | OrderData,
                 on: dt.date | None = None) -> Enrolment:
    """The student leaves the school from `on` (the order's date by default): the open row is
    closed on the day before, the student role ends then, and so does the parent role of a
    parent with no other child studying here.

    An enrolment that has not begun yet (a pupil promoted into the next year's class who leaves
    in the summer, before 1 September) is cancelled by the leaving order when the leaving day is
    on or before its first day: the row is kept with `until` = `since` − 1 (not one day in the
    class) and the order, so the history and the order's list still show the move. The leaving
    day must then come after the previous enrolment's last day (the closed year's 30 June): an
    order dated 15 June needs its leaving day `on` stated from 1 July."""
    _require(actor, school, Perm.MOVEMENT, "Оформлять выбытие может секретарь или администрация школы.")
    with transaction.atomic():
        current = _open_enrolment(student)
        if current is None:
            raise _fail("student_id", f"{student.short_name} сейчас не обучается в школе.", code="not_enrolled")
        ensure_year_open(current.school_class.year)
        the_order = _order_for(actor, school, order, (OrderKind.LEAVE, OrderKind.GRADUATE))
        day = on or the_order.date
        last_day = day - ONE_DAY  # the student's (and lonely parents') last day in the school
        cancelled = current.since > timezone.localdate() and day <= current.since
        if cancelled:
            # Cancelled before its first day: no day in the class. The leaving day must still come
            # after the previous enrolment (the closed year's, to 30 June): a day inside it would end
            # the roles before the pupil's last day there, and that year's rows are unchangeable.
            # Refused rather than clamped: the leaving day is the order's, stated once (R-Y06).
            previous = (Enrolment.objects.filter(student=student, until__isnull=False, until__lt=current.since)
                        .exclude(pk=current.pk).select_related("school_class").order_by("-until").first())
            if previous is not None and previous.until is not None and day <= previous.until:
                raise _fail("on", f"Дата выбытия ({day:%d.%m.%Y}) приходится на обучение в {previous.school_class} "
                                  f"(по {previous.until:%d.%m.%Y}): выбыть можно не раньше "
                                  f"{previous.until + ONE_DAY:%d.%m.%Y}. Укажите дату выбытия отдельно от даты приказа.",
                            code="overlapping_dates")
            what = f"{student.short_name}: выбыл до начала обучения в {current.school_class} (зачисление с {current.since:%d.%m.%Y} отменено)"
        else:
            _check_in_year(day, current.school_class)
            if day <= current.since:
                raise _fail("on", f"Дата выбытия должна быть позже зачисления в {current.school_class} "
                                  f"({current.since:%d.%m.%Y}).", code="overlapping_dates")
            what = f"{student.short_name}: выбыл из {current.school_class}"
        before = snapshot(current, ENROLMENT_AUDITED)
        current.until, current.order_out = (current.since - ONE_DAY if cancelled else last_day), the_order
        current.save(update_fields=["until", "order_out"])
        record(actor=actor, action="student.leave", school=school, obj=current, object_repr=what, before=before,
               after=snapshot(current, ENROLMENT_AUDITED))
        reason = f"Выбытие: {the_order}"
        end_memberships(actor, school, live_for_update(Membership.objects.filter(school=school, role=Role.STUDENT, person=student),
                                              last_day), last_day, reason)
        parents = Guardianship.objects.filter(student=student).values_list("parent_id", flat=True)
        end_parent_roles_without_children(actor, school, parents, last_day, reason)
    return current


# --- parents and legal representatives (R-A02, R-A06) -----------------------------------------------

def add_guardian(actor: Person, school: School, student: Person, parent: Person | PersonData, *,
                 kind: str = GuardianKind.OTHER, card: CardData | None = None) -> Guardianship:
    """Links a parent (an existing person, or one matched or created from `parent`: a parent with
    children in two schools is one person) to a student studying here, and gives them the parent
    role in the school."""
    access = access_for(actor)
    if not _may_edit_family(access, school, student.pk):
        raise PermissionDenied("Сведения о родителях ведут администрация и классный руководитель класса.")
    ensure_writable(school)
    check_guardian_kind(kind)
    check_studies_here(student, selectors.current_enrolment(student.pk) is not None)
    with transaction.atomic():
        person, new = _person_for(actor, school, parent)
        check_guardian(person, student, linked=not new and Guardianship.objects.filter(parent=person, student=student).exists())
        link = Guardianship.objects.create(parent=person, student=student, kind=kind)
        record_guardian_added(actor, school, link, person, student)
        ensure_membership(actor, school, person, Role.PARENT, timezone.localdate(), parent_role_reason(student),
                           new_person=new)
        if card is not None:
            _save_card(actor, school, person, card, new_person=new)
    return link


def check_guardian_kind(kind: str) -> None:
    if kind not in GuardianKind.values:
        raise _fail("kind", "Кем приходится: мать, отец, опекун (попечитель) или иной законный представитель.")


def check_studies_here(student: Person, enrolled: bool) -> None:
    if not enrolled:
        raise _fail("student_id", f"{student.short_name} сейчас не обучается в школе.", code="not_enrolled")


def check_guardian(person: Person, student: Person, *, linked: bool) -> None:
    """Nobody represents themself, and a parent is linked to a student once."""
    if person is student or (person.pk is not None and person.pk == student.pk):
        raise _fail("parent", "Обучающийся не может быть своим законным представителем.")
    if linked:
        raise _fail("parent", f"{person.short_name} уже указан(а) среди законных представителей.", code="duplicate")


def parent_role_reason(student: Person) -> str:
    return f"Законный представитель: {student.short_name}"


def record_guardian_added(actor: Person, school: School, link: Guardianship, person: Person, student: Person) -> None:
    record(actor=actor, action="guardian.add", school=school, obj=link,
           object_repr=f"{person.short_name} — {link.get_kind_display()} {student.short_name}",
           after=snapshot(link, GUARDIAN_AUDITED))


def remove_guardian(actor: Person, school: School, link: Guardianship) -> None:
    access = access_for(actor)
    if not _may_edit_family(access, school, link.student_id):
        raise PermissionDenied("Сведения о родителях ведут администрация и классный руководитель класса.")
    ensure_writable(school)
    with transaction.atomic():
        record(actor=actor, action="guardian.remove", school=school, obj=link, before=snapshot(link, GUARDIAN_AUDITED))
        parent_id = link.parent_id
        link.delete()
        end_parent_roles_without_children(actor, school, [parent_id], timezone.localdate() - ONE_DAY,
                                           "Связь с обучающимся удалена")


# --- staff cards (R-A07; 004 §V) ----------------------------------------------------------------------

@dataclass(frozen=True)
class StaffCardData:
    position: str
    category: str = ""
    rank: str = ""
    functions: str = ""
    diploma_speciality: str = ""
    hired_on: dt.date | None = None
    hire_order_number: str = ""


_STAFF_LIMITS = {"position": 100, "category": 60, "rank": 30, "functions": 300, "diploma_speciality": 200, "hire_order_number": 40}


def _clean_staff_card(data: StaffCardData) -> dict[str, Any]:
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {name: (getattr(data, name) or "").strip() for name in _STAFF_LIMITS}
    if not values["position"]:
        errors["position"] = ["Укажите основную должность."]
    for name, limit in _STAFF_LIMITS.items():
        if len(values[name]) > limit:
            errors[name] = [f"Не длиннее {limit} знаков."]
    if data.hired_on is not None and data.hired_on > timezone.localdate() + dt.timedelta(days=366):
        errors["hired_on"] = ["Дата приказа о приёме слишком далеко в будущем."]
    _raise_first(errors)
    values["hired_on"] = data.hired_on
    return values


HIRE_ROLES = [r.value for r in Role if r in STAFF_ROLES and r != Role.CLASS_TEACHER]


def hire_staff(actor: Person, school: School, person: Person | PersonData, card: StaffCardData, *,
               role: str = Role.TEACHER) -> StaffCard:
    """A new staff member: their card and their role in the school from the hiring order's date
    (R-A05, R-A07). The role goes through accounts' delegation rules (nobody grants a role wider
    than their own); a class teacher is appointed on the class's page instead."""
    _require(actor, school, Perm.MANAGE_PEOPLE, "Личные карты сотрудников ведёт администрация или специалист по кадрам.")
    if role not in HIRE_ROLES:
        raise _fail("role", "Выберите роль сотрудника (классного руководителя назначают в карточке класса).")
    ok, why = can_grant(actor, role, school)
    if not ok:
        raise PermissionDenied(why)
    values = _clean_staff_card(card)
    if values["hired_on"] is None:
        raise _fail("hired_on", "Укажите дату приказа о приёме на работу.")
    with transaction.atomic():
        staff, _ = _person_for(actor, school, person)
        if Membership.objects.current().filter(school=school, person=staff, role__in=[r.value for r in STAFF_ROLES]).exists():
            raise ValidationFailed(f"{staff.short_name} уже работает в школе: откройте его карточку.", code="already_staff")
        grant_role(actor, staff, role, school=school, since=values["hired_on"],
                   reason=f"Приказ о приёме № {values['hire_order_number'] or 'б/н'} от {values['hired_on']:%d.%m.%Y}")
        staff_card = _write_staff_card(actor, school, staff, values)
    return staff_card


def save_staff_card(actor: Person, school: School, person: Person, card: StaffCardData, *,
                    data: PersonData | None = None) -> StaffCard:
    """Creates or edits the card of somebody who works (or worked) in the school, and their minimum."""
    _require(actor, school, Perm.MANAGE_PEOPLE, "Личные карты сотрудников ведёт администрация или специалист по кадрам.")
    if not selectors.is_staff_here(school, person.pk):
        raise ValidationFailed("Этот человек не сотрудник школы.", code="not_staff")
    values = _clean_staff_card(card)
    with transaction.atomic():
        if data is not None:
            _update_minimum(actor, school, person, data)
        return _write_staff_card(actor, school, person, values)


def _write_staff_card(actor: Person, school: School, person: Person, values: dict[str, Any]) -> StaffCard:
    existing = StaffCard.objects.select_for_update().filter(person=person).first()
    staff_card = existing or StaffCard(person=person)
    before = snapshot(staff_card, STAFF_CARD_AUDITED) if existing else None
    for name, value in values.items():
        setattr(staff_card, name, value)
    after = snapshot(staff_card, STAFF_CARD_AUDITED)
    if after != before:
        staff_card.save()
        record(actor=actor, action="staff_card.update" if existing else "staff_card.create", school=school, obj=staff_card,
               object_repr=f"карточка сотрудника: {person.short_name}", before=before, after=after)
    return staff_card


# --- what personal data the school collects (R-A06; 004 §V, 001 §3.3) ---------------------------------

def update_personal_data_settings(actor: Person, school: School, *, collect_phone: bool, collect_address: bool,
                                  collect_email: bool, collect_snils: bool) -> PersonalDataSettings:
    """Switching a field off stops showing and accepting it; what is stored stays until
    `erase_personal_data_field` (offered on the settings page)."""
    _require(actor, school, Perm.MANAGE_PEOPLE, "Состав персональных данных меняет администрация школы.")
    with transaction.atomic():
        PersonalDataSettings.current()
        settings = PersonalDataSettings.objects.select_for_update().get(pk=1)
        before = snapshot(settings, SETTINGS_AUDITED)
        settings.collect_phone, settings.collect_address = bool(collect_phone), bool(collect_address)
        settings.collect_email, settings.collect_snils = bool(collect_email), bool(collect_snils)
        after = snapshot(settings, SETTINGS_AUDITED)
        if after != before:
            settings.save()
            record(actor=actor, action="personal_data.settings", school=school, obj=settings, before=before, after=after)
    return settings


def erase_personal_data_field(actor: Person, school: School, field: str) -> int:
    """Blanks `field` in every personal card of the school; only for a field the school no longer
    collects. Returns how many cards held a value."""
    _require(actor, school, Perm.MANAGE_PEOPLE, "Удалять персональные данные может администрация школы.")
    if field not in CARD_FIELDS:
        raise _fail("field", "Неизвестное поле личной карточки.")
    settings = PersonalDataSettings.current()
    if getattr(settings, CARD_FIELDS[field]):
        raise _fail("field", f"Школа собирает {CARD_LABELS[field]}: сначала отключите это поле.")
    with transaction.atomic():
        erased = PersonCard.objects.exclude(**{field: ""}).update(**{field: "", "updated_at": timezone.now()})
        record(actor=actor, action="personal_data.erase", school=school, obj=settings, object_repr=f"удалены {CARD_LABELS[field]}",
               after={"field": field, "cards": erased})
    return erased
