"""Reads for the notices list and the settings page."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet
from django.utils import timezone

from .immediate import ABSENCE_GRACE
from .models import ContactEmail, Notice, NoticeKind

if TYPE_CHECKING:
    from accounts.models import Person


def shown_to(person: Person, now: dt.datetime | None = None) -> QuerySet[Notice]:
    """The person's notices in the platform's list: an absence notice («Н») only once its grace
    has passed (R-D03), since a «Н» removed within it withdraws the notice unseen."""
    since = (now or timezone.now()) - ABSENCE_GRACE
    return Notice.objects.filter(recipient=person, in_app=True).exclude(Q(kind=NoticeKind.ABSENCE_MARKED, created_at__gt=since))


def notices_of(person: Person, *, unread_only: bool = False) -> QuerySet[Notice]:
    qs = shown_to(person)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    return qs.order_by("-created_at", "-id")


def unread_count(person: Person) -> int:
    return shown_to(person).filter(read_at__isnull=True).count()


def contact_of(person: Person) -> ContactEmail | None:
    return ContactEmail.objects.filter(person=person).first()
