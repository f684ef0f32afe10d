"""Writes about schools: create, rename, suspend, archive, reactivate (district administrator)."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import Person
from accounts.roles import Perm
from accounts.selectors import access_for
from audit.services import record, snapshot
from core.errors import PermissionDenied, ValidationFailed

from . import provisioning
from .db import use_public
from .models import School, SchoolStatus

AUDITED = ["slug", "full_name", "short_name", "municipal_code", "address", "director_name", "status"]
RESERVED_SLUGS = frozenset({"template", "school-template", "public", "api", "admin", "static", "new"})


@dataclass(frozen=True)
class SchoolData:
    slug: str
    full_name: str
    short_name: str
    municipal_code: str
    address: str = ""
    director_name: str = ""


def _require_district_admin(actor: Person) -> None:
    if not access_for(actor).can(Perm.MANAGE_SCHOOLS):
        raise PermissionDenied("Только администратор района управляет школами.")


def _validate(school: School, *, exclude_pk: int | None = None) -> None:
    errors: dict[str, list[str]] = {}
    for name in ("full_name", "short_name", "municipal_code"):
        setattr(school, name, (getattr(school, name) or "").strip())
        if not getattr(school, name):
            errors.setdefault(name, []).append("Обязательное поле.")
    school.slug = (school.slug or "").strip().lower()
    if school.slug in RESERVED_SLUGS:
        errors.setdefault("slug", []).append("Этот короткий адрес зарезервирован.")
    try:
        school.full_clean(exclude=["schema_name"], validate_unique=False)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors.setdefault(field, []).extend(messages)
    taken = {
        "slug": "Короткий адрес уже занят.",
        "full_name": "Школа с таким полным наименованием уже есть.",
        "short_name": "Школа с таким кратким наименованием уже есть.",
        "municipal_code": "Школа с таким кодом уже есть.",
    }
    for field, message in taken.items():
        value = getattr(school, field)
        if value and School.objects.filter(**{f"{field}__iexact": value}).exclude(pk=exclude_pk).exists():
            errors.setdefault(field, []).append(message)
    if errors:
        first = next(iter(errors.values()))[0]
        raise ValidationFailed(first, fields=errors)


def create_school(actor: Person, data: SchoolData) -> School:
    """Creates the School row and its schema in one transaction: a failure half-way
    leaves neither an orphan schema nor a School row."""
    _require_district_admin(actor)
    school = School(
        slug=data.slug, full_name=data.full_name, short_name=data.short_name, municipal_code=data.municipal_code,
        address=data.address.strip(), director_name=data.director_name.strip(),
    )
    _validate(school)
    school.schema_name = School.schema_for_slug(school.slug)
    try:
        with transaction.atomic():
            school.save()
            provisioning.provision_schema(school.schema_name)
            record(actor=actor, action="school.create", school=school, obj=school, after=snapshot(school, AUDITED))
    except IntegrityError as exc:
        raise ValidationFailed("Школа с такими данными уже есть.", code="conflict") from exc
    finally:
        use_public()
    return school


def rename_school(actor: Person, school: School, *, full_name: str, short_name: str, address: str | None = None, director_name: str | None = None) -> School:
    _require_district_admin(actor)
    with transaction.atomic():
        school = School.objects.select_for_update().get(pk=school.pk)
        before = snapshot(school, AUDITED)
        school.full_name, school.short_name = full_name, short_name
        if address is not None:
            school.address = address.strip()
        if director_name is not None:
            school.director_name = director_name.strip()
        _validate(school, exclude_pk=school.pk)
        school.save()
        record(actor=actor, action="school.rename", school=school, obj=school, before=before, after=snapshot(school, AUDITED))
    return school


_TRANSITIONS = {
    SchoolStatus.ACTIVE: {SchoolStatus.SUSPENDED, SchoolStatus.ARCHIVED},
    SchoolStatus.SUSPENDED: {SchoolStatus.ACTIVE, SchoolStatus.ARCHIVED},
    SchoolStatus.ARCHIVED: {SchoolStatus.ACTIVE},
}


def set_school_status(actor: Person, school: School, status: str, *, reason: str = "") -> School:
    """Suspend (read-only for everyone), archive (read-only, hidden from lists) or reactivate."""
    _require_district_admin(actor)
    if status not in SchoolStatus.values:
        raise ValidationFailed("Неизвестное состояние школы.", fields={"status": ["Неизвестное значение."]})
    with transaction.atomic():
        school = School.objects.select_for_update().get(pk=school.pk)
        if status == school.status:
            raise ValidationFailed(f"Школа уже в состоянии «{school.get_status_display()}».", code="no_change")
        if status not in _TRANSITIONS[SchoolStatus(school.status)]:
            raise ValidationFailed("Такой переход состояния школы невозможен.", code="bad_transition")
        if status != SchoolStatus.ACTIVE and not reason.strip():
            raise ValidationFailed("Укажите причину.", fields={"reason": ["Обязательное поле."]})
        before = snapshot(school, AUDITED)
        school.status = status
        school.save(update_fields=["status", "updated_at"])
        record(actor=actor, action=f"school.status.{status}", school=school, obj=school, before=before, after=snapshot(school, AUDITED), reason=reason)
    return school
