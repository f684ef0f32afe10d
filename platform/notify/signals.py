"""Immediate notices, hooked onto the journal's saves (the journal itself is not edited).

Each handler writes the notices into the outbox inside the journal's own transaction (the
school schema's search path reaches the public tables), so a notice exists if and only if its
cause was committed; after the commit it only nudges the sender. The teacher's notebook
(journal.NotebookEntry, R-J10) has no handler: it never produces a notice."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from tenants.db import current_schema

from . import immediate


def _school() -> Any:
    """The school whose schema the journal write runs in (None in public)."""
    tenant = getattr(connection, "tenant", None)
    return tenant if tenant is not None and getattr(tenant, "pk", None) and current_schema() != "public" else None


@receiver(post_save, sender="journal.Attendance", dispatch_uid="notify.unexcused_absence")
def attendance_saved(sender: Any, instance: Any, created: bool, update_fields: Any = None, raw: bool = False, **kwargs: Any) -> None:
    """R-D03: a parent who asked for it hears of an unexcused absence as soon as the class
    teacher records the reason."""
    if raw or instance.status != "absent" or instance.reason != "unexcused":
        return
    if update_fields is not None and "reason" not in update_fields:
        return
    school = _school()
    if school is None:
        return
    if immediate.unexcused_absence(school, instance, timezone.now()):
        transaction.on_commit(immediate.kick)


@receiver(post_save, sender="journal.Attendance", dispatch_uid="notify.absence_marked")
def attendance_marked(sender: Any, instance: Any, created: bool, update_fields: Any = None, raw: bool = False,
                      **kwargs: Any) -> None:
    """R-D03 (004 §1: parents' prompt control of attendance): a family who asked to hear of every
    absence gets a notice when the teacher marks «Н» (journal.services.set_attendance saves the
    row), once per lesson and student; a «Н» changed to «О» within the grace minute withdraws it."""
    if raw or (update_fields is not None and "status" not in update_fields):
        return
    school = _school()
    if school is None:
        return
    if instance.status == "absent":
        if immediate.absence_marked(school, instance, timezone.now()):
            transaction.on_commit(immediate.kick)
    else:
        immediate.withdraw_absence(school, instance.lesson_id, instance.student_id, timezone.now())


@receiver(post_delete, sender="journal.Attendance", dispatch_uid="notify.absence_cleared")
def attendance_cleared(sender: Any, instance: Any, **kwargs: Any) -> None:
    """The «Н» removed (a mistake corrected) within the grace minute: its notice is withdrawn
    before any channel took it."""
    school = _school()
    if school is not None and instance.status == "absent":
        immediate.withdraw_absence(school, instance.lesson_id, instance.student_id, timezone.now())


@receiver(post_save, sender="journal.IndividualHomework", dispatch_uid="notify.individual_homework")
def individual_homework_saved(sender: Any, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """R-D03: the daily summary reports a child's individual homework; the journal row keeps no
    time of its own, so its saving is noted here, in the journal's transaction."""
    school = _school()
    if raw or school is None or not (instance.text or "").strip():
        return
    immediate.note_individual_homework(school, instance.lesson_id, instance.student_id, timezone.now())


@receiver(post_save, sender="journal.PeriodMark", dispatch_uid="notify.final_mark")
def period_mark_saved(sender: Any, instance: Any, created: bool, raw: bool = False, **kwargs: Any) -> None:
    """R-D05 (003 §4.4): period, year, exam and final marks reach the family with a notice."""
    if raw:
        return
    school = _school()
    if school is None:
        return
    if immediate.final_mark(school, instance, timezone.now()):
        transaction.on_commit(immediate.kick)


def _connect_messaging() -> None:
    """The messaging app sends these after its own commit (see messaging/signals.py)."""
    try:
        from messaging import signals as messaging_signals
    except ImportError:  # messaging not installed
        return

    def message_sent(sender: Any, school: Any, message_id: int, author_id: int, recipient_ids: list[int], **kwargs: Any) -> None:
        if immediate.message(school, "message", message_id, author_id, recipient_ids, timezone.now()):
            immediate.kick()

    def announcement_published(sender: Any, school: Any, announcement_id: int, author_id: int, recipient_ids: list[int],
                               **kwargs: Any) -> None:
        if immediate.message(school, "announcement", announcement_id, author_id, recipient_ids, timezone.now()):
            immediate.kick()

    messaging_signals.message_sent.connect(message_sent, weak=False, dispatch_uid="notify.message_sent")
    messaging_signals.announcement_published.connect(announcement_published, weak=False, dispatch_uid="notify.announcement")


_connect_messaging()
