"""People and their roles: one account per person across the district (R-P02, R-A04)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils import timezone

from .roles import DISTRICT_ROLES, Role


class Sex(models.TextChoices):
    MALE = "m", "мужской"
    FEMALE = "f", "женский"


class PersonManager(BaseUserManager["Person"]):
    use_in_migrations = True

    def create_user(self, login: str, password: str | None = None, **fields: Any) -> Person:
        person = self.model(login=Person.normalize_login(login), **fields)
        if password:
            person.set_password(password)
        else:
            person.set_unusable_password()
        person.save(using=self._db)
        return person

    def create_superuser(self, login: str, password: str | None = None, **fields: Any) -> Person:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        fields.setdefault("surname", "Администратор")
        fields.setdefault("name", "Системный")
        return self.create_user(login, password, **fields)


class Person(AbstractBaseUser, PermissionsMixin):
    """A person: staff, parent, student or district official. Lives in the public schema."""

    login = models.CharField("логин", max_length=64, unique=True)
    surname = models.CharField("фамилия", max_length=100)
    name = models.CharField("имя", max_length=100)
    patronymic = models.CharField("отчество", max_length=100, blank=True)
    email = models.EmailField("e-mail", blank=True)
    sex = models.CharField("пол", max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField("дата рождения", null=True, blank=True)
    is_active = models.BooleanField("активен", default=True)
    is_staff = models.BooleanField("доступ к админке Django", default=False)
    date_joined = models.DateTimeField(default=timezone.now)
    # Set when the person first chooses their own password (activation) or is given one.
    credentials_set_at = models.DateTimeField(null=True, blank=True)

    objects = PersonManager()

    USERNAME_FIELD = "login"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["surname", "name"]

    class Meta:
        verbose_name = "человек"
        verbose_name_plural = "люди"
        indexes = [
            models.Index(fields=["surname", "name"]),
            # Matching a person by name and date of birth (find_or_create_person, imports): the
            # lookups are case-insensitive (UPPER(...) = UPPER(...)), so the index is on UPPER too.
            models.Index(Upper("surname"), Upper("name"), "birth_date", name="person_match_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @staticmethod
    def normalize_login(login: str) -> str:
        return login.strip().lower()

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.surname, self.name, self.patronymic) if part)

    @property
    def short_name(self) -> str:
        initials = "".join(f"{part[0]}." for part in (self.name, self.patronymic) if part)
        return f"{self.surname} {initials}".strip()

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.short_name


class MembershipQuerySet(models.QuerySet["Membership"]):
    def current(self, on: dt.date | None = None) -> MembershipQuerySet:
        day = on or timezone.localdate()
        return self.filter(since__lte=day).filter(Q(until__isnull=True) | Q(until__gte=day))


class Membership(models.Model):
    """A role held by a person in one school, or in the district (school is null)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    school = models.ForeignKey("tenants.School", on_delete=models.PROTECT, null=True, blank=True, related_name="memberships")
    role = models.CharField("роль", max_length=20, choices=Role.choices)
    # For a class teacher, parent or student: the class it concerns (roster.SchoolClass id
    # inside the school's schema; no cross-schema foreign key is possible).
    class_id = models.BigIntegerField(null=True, blank=True)
    since = models.DateField("с", default=timezone.localdate)
    until = models.DateField("по", null=True, blank=True)
    granted_by = models.ForeignKey(Person, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = "роль"
        verbose_name_plural = "роли"
        constraints = [
            models.CheckConstraint(
                name="membership_scope_matches_role",
                condition=(Q(role__in=sorted(r.value for r in DISTRICT_ROLES), school__isnull=True)
                           | (~Q(role__in=sorted(r.value for r in DISTRICT_ROLES)) & Q(school__isnull=False))),
            ),
            models.CheckConstraint(name="membership_until_after_since", condition=Q(until__isnull=True) | Q(until__gte=models.F("since"))),
        ]
        indexes = [models.Index(fields=["school", "role"]), models.Index(fields=["person", "school"])]

    def __str__(self) -> str:
        where = self.school.short_name if self.school_id and self.school else "район"
        return f"{self.person} — {self.get_role_display()} ({where})"

    def is_current(self, on: dt.date | None = None) -> bool:
        day = on or timezone.localdate()
        return self.since <= day and (self.until is None or self.until >= day)


class ActivationCode(models.Model):
    """A one-time code printed on a slip with the login; valid 7 days (R-P03)."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="activation_codes")
    code_hash = models.CharField(max_length=128)
    issued_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    school = models.ForeignKey("tenants.School", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["person", "used_at"])]

    def __str__(self) -> str:
        return f"код для {self.person_id} до {self.expires_at:%d.%m.%Y}"

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > timezone.now()


class PersonSession(AbstractBaseSession):
    """Django's session row, plus who it belongs to, so a person can see and end
    their other sessions. Lives in the public schema: the account is district-wide."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, null=True, blank=True, related_name="sessions")
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_activity = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "сеанс"
        verbose_name_plural = "сеансы"

    def __str__(self) -> str:
        return f"сеанс {self.session_key[:6]}…"

    @classmethod
    def get_session_store_class(cls) -> type:
        from .sessions import SessionStore

        return SessionStore


class ApiToken(models.Model):
    """An API token. Only its hash is stored; the token is shown once when created."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key_prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=128, unique=True)
    # Created from a session that passed 2FA; a token of an admin role is valid only so.
    otp_verified = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"


def staff_session_policy() -> tuple[int, int]:
    return settings.ZHURNAL_STAFF_IDLE_SECONDS, settings.ZHURNAL_STAFF_ABSOLUTE_SECONDS
