"""Model fields shared by the school (tenant) apps.

A school's tables point at `accounts.Person`, which lives in the public schema. Those
references carry no database foreign-key constraint (`db_constraint=False`): a constraint
from every school schema into one public table puts an RI trigger per school on that table
(tens of thousands at 1,000 schools), which makes creating a school cost seconds and every
write of a person row slower. People are never deleted (accounts are deactivated), and
the services write only ids they have just read, so the constraint guarded nothing.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


def PersonFK(*, null: bool = False, **kwargs: Any) -> Any:
    """A reference from a school table to a person (no database constraint, see above)."""
    kwargs.setdefault("on_delete", models.PROTECT)
    kwargs.setdefault("related_name", "+")
    if null:
        kwargs.setdefault("blank", True)
    return models.ForeignKey(settings.AUTH_USER_MODEL, null=null, db_constraint=False, **kwargs)


def PersonOneToOne(**kwargs: Any) -> Any:
    """A one-to-one reference from a school table to a person (no database constraint)."""
    kwargs.setdefault("on_delete", models.PROTECT)
    kwargs.setdefault("related_name", "+")
    return models.OneToOneField(settings.AUTH_USER_MODEL, db_constraint=False, **kwargs)
