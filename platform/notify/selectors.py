"""Reads for the notices list and the settings page."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from .models import ContactEmail, Notice

if TYPE_CHECKING:
    from accounts.models import Person


def notices_of(person: Person, *, unread_only: bool = False) -> QuerySet[Notice]:
    qs = Notice.objects.filter(recipient=person, in_app=True)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def unread_count(person: Person) -> int:
    return Notice.objects.filter(recipient=person, in_app=True, read_at__isnull=True).count()


def contact_of(person: Person) -> ContactEmail | None:
    return ContactEmail.objects.filter(person=person).first()
