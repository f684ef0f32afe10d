"""Writes about people, roles and credentials. Each checks the actor's right, validates,
writes and appends an audit record in one transaction."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable, Container, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from audit.services import record, snapshot
from core.errors import NotFound, PermissionDenied, SchoolReadOnly, ValidationFailed

from .models import ActivationCode, ApiToken, Membership, Person, PersonSession, Sex
from .roles import DISTRICT_ROLES, FAMILY_ROLES, GRANTABLE, ROLE_PERMS, Perm, Role
from .selectors import access_for, forget_access
from .translit import translit

if TYPE_CHECKING:
    from tenants.models import School

PERSON_AUDITED = ["login", "surname", "name", "patronymic", "email", "sex", "birth_date", "is_active"]
MEMBERSHIP_AUDITED = ["person", "school", "role", "class_id", "since", "until"]
# Unambiguous characters for codes printed on paper (no 0/O, 1/l/I).
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def ensure_writable(school: School | None) -> None:
    if school is not None and not school.is_writable:
        raise SchoolReadOnly()


# --- People ---------------------------------------------------------------------------

@dataclass(frozen=True)
class PersonData:
    surname: str
    name: str
    patronymic: str = ""
    email: str = ""
    sex: str = ""
    birth_date: dt.date | None = None
    login: str = ""


def login_candidate(surname: str, name: str, patronymic: str) -> str:
    """The login a new person is given when it is free: transliterated surname + initials."""
    base = translit(surname)[:20] or "user"
    initials = translit(name[:1]) + translit(patronymic[:1])
    return f"{base}.{initials}" if initials else base


def free_login(candidate: str, taken: Container[str]) -> str:
    """`candidate`, or `candidate2`, `candidate3`… — the first not in `taken` (the logins
    starting with `candidate`)."""
    if candidate not in taken:
        return candidate
    n = 2
    while f"{candidate}{n}" in taken:
        n += 1
    return f"{candidate}{n}"


def _unique_login(surname: str, name: str, patronymic: str) -> str:
    candidate = login_candidate(surname, name, patronymic)
    return free_login(candidate, set(Person.objects.filter(login__startswith=candidate).values_list("login", flat=True)))


def _login_taken(login: str) -> bool:
    return Person.objects.filter(login=login).exists()


def _clean_person(data: PersonData, login_taken: Callable[[str], bool] = _login_taken) -> PersonData:
    """`data` stripped and checked; `login_taken` answers whether a login is in use (the
    database by default; the bulk import passes what it has read and staged)."""
    errors: dict[str, list[str]] = {}
    surname, name, patronymic = data.surname.strip(), data.name.strip(), data.patronymic.strip()
    if not surname:
        errors["surname"] = ["Обязательное поле."]
    if not name:
        errors["name"] = ["Обязательное поле."]
    if data.sex and data.sex not in Sex.values:
        errors["sex"] = ["Допустимо: m или f."]
    if data.birth_date and data.birth_date > timezone.localdate():
        errors["birth_date"] = ["Дата рождения в будущем."]
    login = Person.normalize_login(data.login) if data.login else ""
    if login:
        if not all(c.isascii() and (c.isalnum() or c in "._-") for c in login) or len(login) < 3:
            errors["login"] = ["Логин: от 3 латинских букв, цифр, точек, дефисов."]
        elif login_taken(login):
            errors["login"] = ["Такой логин уже занят."]
    if errors:
        raise ValidationFailed(next(iter(errors.values()))[0], fields=errors)
    return PersonData(surname, name, patronymic, data.email.strip().lower(), data.sex, data.birth_date, login)


def create_person(actor: Person, data: PersonData, *, school: School | None) -> Person:
    """A new district account (no password yet: the person activates it with a code)."""
    access = access_for(actor)
    allowed = access.can(Perm.MANAGE_SCHOOLS) or (
        school is not None and (access.can(Perm.MANAGE_STAFF, school) or access.can(Perm.ISSUE_ACCOUNTS, school)
                                or bool(access.schools.get(school.pk) and access.schools[school.pk].class_teacher_of))
    )
    if not allowed:
        raise PermissionDenied("Недостаточно прав, чтобы заводить учётные записи.")
    ensure_writable(school)
    return _insert_person(actor, _clean_person(data), school)


def _insert_person(actor: Person, clean: PersonData, school: School | None) -> Person:
    # No savepoint of its own: nothing inside raises an error a caller would catch and go on
    # after (a DomainError is raised before; a database error is not caught by anybody).
    with transaction.atomic(savepoint=False):
        person = Person.objects.create_user(
            login=clean.login or _unique_login(clean.surname, clean.name, clean.patronymic),
            surname=clean.surname, name=clean.name, patronymic=clean.patronymic, email=clean.email,
            sex=clean.sex, birth_date=clean.birth_date,
        )
        record_person_created(actor, school, person)
    person._just_created = True  # type: ignore[attr-defined]  # see just_created()
    return person


def new_person(clean: PersonData, login: str) -> Person:
    """An unsaved account from checked data (`_clean_person`), as `create_user` makes it."""
    person = Person(login=Person.normalize_login(login), surname=clean.surname, name=clean.name, patronymic=clean.patronymic,
                    email=clean.email, sex=clean.sex, birth_date=clean.birth_date)
    person.set_unusable_password()
    return person


def insert_people(people: Sequence[Person]) -> None:
    """Saves new accounts made by `new_person` in one INSERT (the bulk import); the caller
    records each with `record_person_created` in the same transaction."""
    Person.objects.bulk_create(people, batch_size=2000)


def record_person_created(actor: Person, school: School | None, person: Person) -> None:
    record(actor=actor, action="person.create", school=school, obj=person, after=snapshot(person, PERSON_AUDITED))


def just_created(person: Person) -> bool:
    """True for the instance `find_or_create_person`/`create_person` returned from an insert:
    such a person has no enrolment, link or role anywhere yet, so services skip looking."""
    return bool(getattr(person, "_just_created", False))


def clean_person_data(data: PersonData, login_taken: Callable[[str], bool] = _login_taken) -> PersonData:
    """`data` stripped and checked (names present, sex m/f, birth date not in the future, a
    free login); raises ValidationFailed. For services that edit a person's minimum, and for
    the bulk import (which answers `login_taken` from what it has read and staged)."""
    return _clean_person(data, login_taken)


def ensure_may_keep_people(actor: Person, school: School | None) -> None:
    """Who may find or create people: those who keep a school's people (cards, movement, roles)."""
    access = access_for(actor)
    allowed = access.can(Perm.MANAGE_SCHOOLS) or (school is not None and (
        any(access.can(p, school) for p in (Perm.MANAGE_STAFF, Perm.ISSUE_ACCOUNTS, Perm.MANAGE_PEOPLE, Perm.MOVEMENT))
        or bool(access.schools.get(school.pk) and access.schools[school.pk].class_teacher_of)))
    if not allowed:
        raise PermissionDenied("Недостаточно прав, чтобы заводить учётные записи.")
    ensure_writable(school)


def check_login_owner(person: Person, data: PersonData) -> None:
    """A login given with a person's data must belong to that person (the same surname)."""
    if person.surname.strip().casefold() != data.surname.strip().casefold():
        raise ValidationFailed("Учётная запись с этим логином принадлежит другому человеку.",
                               fields={"login": ["Фамилия не совпадает с владельцем логина."]})


def pick_match(matches: Sequence[Person]) -> Person | None:
    """The one active person with the same full name and date of birth; refuses two or more."""
    if len(matches) > 1:
        raise ValidationFailed("В районе несколько людей с такими ФИО и датой рождения: укажите логин.",
                               fields={"login": ["Укажите логин, чтобы выбрать человека."]}, code="ambiguous_person")
    return matches[0] if matches else None


def find_or_create_person(actor: Person, data: PersonData, school: School | None) -> tuple[Person, bool]:
    """The district's one account for this person, made if there is none (R-P02: a parent with
    children in two schools is one person). Matched by login when given, otherwise by surname,
    name, patronymic and date of birth (no match without a date of birth). Returns (person, created).
    Those who keep a school's people (cards, movement, roles) may call it. The bulk import
    (bulkimport.kinds.students_bulk) follows the same steps for a whole file."""
    ensure_may_keep_people(actor, school)
    login = Person.normalize_login(data.login) if data.login else ""
    if login:
        person = Person.objects.filter(login=login).first()
        if person is not None:
            check_login_owner(person, data)
            return person, False
    elif data.birth_date is not None:
        found = pick_match(list(Person.objects.filter(
            surname__iexact=data.surname.strip(), name__iexact=data.name.strip(),
            patronymic__iexact=data.patronymic.strip(), birth_date=data.birth_date, is_active=True,
        )[:2]))
        if found is not None:
            return found, False
    clean = _clean_person(data)
    return _insert_person(actor, clean, school), True


# --- Roles ----------------------------------------------------------------------------

def can_grant(actor: Person, role: str, school: School | None, class_id: int | None = None) -> tuple[bool, str]:
    """Whether `actor` may grant `role` in `school` (None: the district). Nobody grants
    a role wider than their own (R-P03)."""
    access = access_for(actor)
    if role not in Role.values:
        return False, "Неизвестная роль."
    if (role in DISTRICT_ROLES) != (school is None):
        return False, "Роль района назначается без школы, роль школы — в школе."
    granter_roles = access.district_roles if school is None else access.roles_in(school)
    if school is not None and access.is_district_admin:
        granter_roles = granter_roles | {Role.DISTRICT_ADMIN}
    grantable: set[str] = set()
    for own in granter_roles:
        grantable |= GRANTABLE.get(own, frozenset())
    if role not in grantable:
        return False, f"Вы не можете назначать роль «{Role(role).label}»."
    own_perms = access.perms_in(school)
    if not ROLE_PERMS[role] <= own_perms:
        return False, f"Роль «{Role(role).label}» шире ваших собственных прав."
    # A class teacher acts only for the parents and students of their own class.
    only_class_teacher = school is not None and not (
        access.is_district_admin or access.can(Perm.MANAGE_STAFF, school) or access.can(Perm.ISSUE_ACCOUNTS, school)
    )
    if only_class_teacher:
        if role not in FAMILY_ROLES:
            return False, "Классный руководитель выдаёт доступ только родителям и обучающимся своего класса."
        if class_id is None or school is None or not access.is_class_teacher_of(school, class_id):
            return False, "Это не ваш класс."
    return True, ""


def grant_role(
    actor: Person, person: Person, role: str, *, school: School | None, class_id: int | None = None,
    since: dt.date | None = None, until: dt.date | None = None, reason: str = "",
) -> Membership:
    ok, why = can_grant(actor, role, school, class_id)
    if not ok:
        raise PermissionDenied(why)
    ensure_writable(school)
    since = since or timezone.localdate()
    if until is not None and until < since:
        raise ValidationFailed("Дата окончания раньше даты начала.", fields={"until": ["Раньше даты начала."]})
    if role == Role.CLASS_TEACHER and class_id is None:
        raise ValidationFailed("Укажите класс классного руководителя.", fields={"class_id": ["Обязательное поле."]})
    with transaction.atomic():
        duplicate = Membership.objects.current().filter(person=person, school=school, role=role, class_id=class_id)
        if duplicate.exists():
            raise ValidationFailed(f"У этого человека уже есть роль «{Role(role).label}».", code="duplicate")
        membership = Membership.objects.create(
            person=person, school=school, role=role, class_id=class_id, since=since, until=until, granted_by=actor,
        )
        record(actor=actor, action="role.grant", school=school, obj=membership,
               after=snapshot(membership, MEMBERSHIP_AUDITED), reason=reason)
    forget_access(person)
    return membership


def revoke_role(actor: Person, membership: Membership, *, reason: str = "", on: dt.date | None = None) -> Membership:
    school = membership.school
    ok, why = can_grant(actor, membership.role, school, membership.class_id)
    if not ok:
        raise PermissionDenied(why)
    ensure_writable(school)
    if membership.person_id == actor.pk and membership.role in {Role.DISTRICT_ADMIN, Role.SCHOOL_ADMIN, Role.DIRECTOR}:
        raise ValidationFailed("Нельзя снять с себя административную роль: попросите другого администратора.")
    end = on or timezone.localdate()
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if locked.until is not None and locked.until < end:
            raise ValidationFailed("Роль уже снята.", code="no_change")
        before = snapshot(locked, MEMBERSHIP_AUDITED)
        # A role granted today and revoked today ends today: until >= since holds.
        locked.until = max(end, locked.since)
        locked.save(update_fields=["until"])
        record(actor=actor, action="role.revoke", school=school, obj=locked, before=before,
               after=snapshot(locked, MEMBERSHIP_AUDITED), reason=reason)
    return locked


# --- Credentials: slips with activation codes -------------------------------------------

@dataclass(frozen=True)
class Slip:
    person: Person
    login: str
    code: str
    expires_at: dt.datetime


def _hash_code(code: str) -> str:
    # Codes are random and short-lived, so a keyed fast hash is enough (no dictionary to attack).
    return hashlib.sha256(f"{settings.SECRET_KEY}:{code}".encode()).hexdigest()


def _new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def issue_slip(actor: Person, person: Person, *, school: School | None) -> Slip:
    """A one-time activation code for `person`, valid 7 days; earlier unused codes are revoked.
    Whether `actor` may issue it for this person is checked by the caller's selector
    (`issuable_people`), then once more here through the person's roles."""
    ensure_writable(school)
    _check_may_issue(actor, person, school)
    now = timezone.now()
    code = _new_code()
    expires = now + dt.timedelta(days=settings.ACTIVATION_CODE_DAYS)
    with transaction.atomic():
        ActivationCode.objects.filter(person=person, used_at__isnull=True, revoked_at__isnull=True).update(revoked_at=now)
        entry = ActivationCode.objects.create(person=person, code_hash=_hash_code(code), issued_by=actor, school=school, expires_at=expires)
        record(actor=actor, action="credentials.issue", school=school, obj=person, object_repr=person.login,
               after={"activation_code_id": entry.pk, "expires_at": expires})
    return Slip(person=person, login=person.login, code=code, expires_at=expires)


def _check_may_issue(actor: Person, person: Person, school: School | None) -> None:
    access = access_for(actor)
    if school is None:
        if access.can(Perm.MANAGE_SCHOOLS) and not person.memberships.exclude(school__isnull=True).exists():
            return
        # A district admin hands credentials to the first school administrator too.
        if access.can(Perm.MANAGE_SCHOOLS):
            return
        raise PermissionDenied("Недостаточно прав, чтобы выдавать доступ.")
    memberships = list(Membership.objects.current().filter(person=person, school=school))
    if not memberships and not Membership.objects.filter(person=person, school=school, since__gt=timezone.localdate()).exists():
        raise NotFound("Человек не относится к этой школе.")
    roles = {m.role for m in memberships}
    if access.is_district_admin or access.can(Perm.MANAGE_STAFF, school):
        # Not for someone who outranks the issuer (a director's credentials come from the district).
        for role in roles:
            if not ROLE_PERMS[role] <= access.perms_in(school):
                raise PermissionDenied("Нельзя выдавать доступ человеку с правами шире ваших.")
        return
    if access.can(Perm.ISSUE_ACCOUNTS, school) and roles <= FAMILY_ROLES:
        return
    from roster.selectors import family_person_ids_of_classes

    own_classes = access.schools[school.pk].class_teacher_of if school.pk in access.schools else set()
    if roles <= FAMILY_ROLES and person.pk in family_person_ids_of_classes(own_classes):
        return
    raise PermissionDenied("Выдавать доступ можно только родителям и обучающимся своего класса.")


def activate_account(login: str, code: str, new_password: str) -> Person:
    """The person sets their own password with the code from their slip."""
    normalized = (code or "").strip().upper().replace(" ", "")
    if len(normalized) == 12:
        normalized = f"{normalized[:4]}-{normalized[4:8]}-{normalized[8:]}"
    with transaction.atomic():
        person = Person.objects.select_for_update().filter(login=Person.normalize_login(login or ""), is_active=True).first()
        entry = None
        if person is not None:
            entry = (ActivationCode.objects.select_for_update()
                     .filter(person=person, code_hash=_hash_code(normalized), used_at__isnull=True, revoked_at__isnull=True,
                             expires_at__gt=timezone.now()).first())
        if person is None or entry is None:
            raise ValidationFailed("Неверный логин или код, или срок кода истёк. Попросите новый бланк.", code="bad_code")
        try:
            validate_password(new_password, person)
        except ValidationError as exc:
            raise ValidationFailed(" ".join(exc.messages), fields={"password": list(exc.messages)}) from exc
        person.set_password(new_password)
        person.credentials_set_at = timezone.now()
        person.save(update_fields=["password", "credentials_set_at"])
        entry.used_at = timezone.now()
        entry.save(update_fields=["used_at"])
        record(actor=person, action="credentials.activate", obj=person, object_repr=person.login)
    return person


def change_password(person: Person, old_password: str, new_password: str) -> None:
    if not person.check_password(old_password):
        raise ValidationFailed("Текущий пароль введён неверно.", fields={"old_password": ["Неверный пароль."]})
    try:
        validate_password(new_password, person)
    except ValidationError as exc:
        raise ValidationFailed(" ".join(exc.messages), fields={"password": list(exc.messages)}) from exc
    with transaction.atomic():
        person.set_password(new_password)
        person.credentials_set_at = timezone.now()
        person.save(update_fields=["password", "credentials_set_at"])
        record(actor=person, action="credentials.change_password", obj=person, object_repr=person.login)


# --- Sessions and tokens ---------------------------------------------------------------

def end_session(actor: Person, session_key: str) -> None:
    with transaction.atomic():
        deleted, _ = PersonSession.objects.filter(person=actor, session_key=session_key).delete()
        if not deleted:
            raise NotFound("Сеанс не найден.")
        record(actor=actor, action="session.end", obj=actor, object_repr=f"сеанс {session_key[:6]}…")


def end_other_sessions(actor: Person, current_key: str | None) -> int:
    with transaction.atomic():
        deleted, _ = PersonSession.objects.filter(person=actor).exclude(session_key=current_key or "").delete()
        record(actor=actor, action="session.end_others", obj=actor, after={"ended": deleted})
    return deleted


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_token(actor: Person, name: str, *, otp_verified: bool) -> tuple[ApiToken, str]:
    name = name.strip()
    if not name:
        raise ValidationFailed("Назовите токен (например, «телефон»).", fields={"name": ["Обязательное поле."]})
    if access_for(actor).needs_two_factor and not otp_verified:
        raise PermissionDenied("Для этой роли токен выдаётся только после входа с кодом подтверждения.", code="otp_required")
    key = "zh_" + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(person=actor, name=name[:100], key_prefix=key[3:11], key_hash=hash_token(key), otp_verified=otp_verified)
        record(actor=actor, action="token.create", obj=token, after={"name": token.name, "prefix": token.key_prefix})
    return token, key


def revoke_api_token(actor: Person, token_id: int) -> None:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id, person=actor, revoked_at__isnull=True).first()
        if token is None:
            raise NotFound("Токен не найден.")
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        record(actor=actor, action="token.revoke", obj=token, after={"prefix": token.key_prefix})


# --- Two-factor ------------------------------------------------------------------------

def start_totp_setup(person: Person) -> TOTPDevice:
    """An unconfirmed device; it counts only after the person proves it with a code."""
    TOTPDevice.objects.filter(user=person, confirmed=False).delete()
    return TOTPDevice.objects.create(user=person, name="Приложение-аутентификатор", confirmed=False)


def confirm_totp_setup(person: Person, device_id: int, token: str) -> list[str]:
    """Confirms the device with a code from the app and issues 10 single-use backup codes."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().filter(pk=device_id, user=person, confirmed=False).first()
        if device is None:
            raise ValidationFailed("Настройка устарела, начните заново.", code="stale_setup")
        if not device.verify_token((token or "").strip().replace(" ", "")):
            raise ValidationFailed("Код не подошёл. Проверьте время на телефоне и введите новый код.", code="bad_otp")
        TOTPDevice.objects.filter(user=person, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
        codes = replace_backup_codes(person)
        record(actor=person, action="2fa.enable", obj=person, object_repr=person.login)
    return codes


def replace_backup_codes(person: Person) -> list[str]:
    static, _ = StaticDevice.objects.get_or_create(user=person, name="Резервные коды", defaults={"confirmed": True})
    static.token_set.all().delete()
    codes = ["".join(secrets.choice(CODE_ALPHABET) for _ in range(10)) for _ in range(10)]
    StaticToken.objects.bulk_create([StaticToken(device=static, token=c) for c in codes])
    return codes
