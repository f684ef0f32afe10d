"""Selecting a schema on the connection, typed (django-tenants' wrapper adds the methods)."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from django.db import connection

if TYPE_CHECKING:
    from django_tenants.postgresql_backend.base import DatabaseWrapper

    from .models import School


def _tenant_connection() -> DatabaseWrapper:
    return cast("DatabaseWrapper", connection)


def use_public() -> None:
    _tenant_connection().set_schema_to_public()


def use_school(school: School) -> None:
    _tenant_connection().set_tenant(school)


def current_schema() -> str:
    return str(_tenant_connection().schema_name)
