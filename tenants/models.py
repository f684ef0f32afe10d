"""The School is the tenant: a row in the public schema and a PostgreSQL schema of its own."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

SLUG_RE = r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$"
slug_validator = RegexValidator(
    SLUG_RE,
    "Короткий адрес: латинские строчные буквы, цифры и дефис, от 1 до 40 знаков, без дефиса по краям.",
)


class SchoolStatus(models.TextChoices):
    ACTIVE = "active", "Работает"
    SUSPENDED = "suspended", "Приостановлена (только чтение)"
    ARCHIVED = "archived", "В архиве (только чтение)"


class SchoolQuerySet(models.QuerySet["School"]):
    def real(self) -> SchoolQuerySet:
        """Every school but the template schema, which is never a school to anyone."""
        from django.conf import settings

        return self.exclude(schema_name=settings.ZHURNAL_TEMPLATE_SCHEMA)

    def visible(self) -> SchoolQuerySet:
        return self.real().exclude(status=SchoolStatus.ARCHIVED)


class School(TenantMixin):
    # Provisioning (tenants/provisioning.py) creates the schema inside the same
    # transaction as this row, so the library's own schema creation is off.
    auto_create_schema = False
    auto_drop_schema = False

    slug = models.CharField("короткий адрес", max_length=40, unique=True, validators=[slug_validator])
    full_name = models.CharField("полное наименование", max_length=300, unique=True)
    short_name = models.CharField("краткое наименование", max_length=120, unique=True)
    municipal_code = models.CharField("код в муниципалитете", max_length=20, unique=True)
    address = models.CharField("адрес", max_length=300, blank=True)
    director_name = models.CharField("директор (ФИО)", max_length=200, blank=True)
    status = models.CharField("состояние", max_length=12, choices=SchoolStatus.choices, default=SchoolStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SchoolQuerySet.as_manager()

    class Meta:
        ordering = ["short_name"]
        verbose_name = "школа"
        verbose_name_plural = "школы"

    def __str__(self) -> str:
        return self.short_name

    @property
    def is_writable(self) -> bool:
        return self.status == SchoolStatus.ACTIVE

    @staticmethod
    def schema_for_slug(slug: str) -> str:
        return "s_" + slug.replace("-", "_")


class Domain(DomainMixin):
    """Required by django-tenants; Zhurnal routes by path (/s/<slug>/), not by host,
    so no request is resolved through this table (see docs/ARCHITECTURE.md)."""

    class Meta:
        verbose_name = "домен"
        verbose_name_plural = "домены"
