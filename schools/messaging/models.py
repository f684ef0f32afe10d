"""Messages between staff, parents and students of one school, announcements, read marks and
abuse reports (R-D06; 000 §1.4.7, 001 §2.1, 002 §4.4–4.5).

Everything lives in the school's schema: a conversation belongs to one school, and a person
with roles in two schools has an inbox in each (see docs/ARCHITECTURE.md, "Messages")."""

from __future__ import annotations

import uuid
from pathlib import PurePosixPath
from typing import Any

from django.db import models
from django.utils import timezone

from core.fields import PersonFK
from tenants.db import current_schema


class MessagingSettings(models.Model):
    """The school's own rules for its messages (one row per school)."""

    # R-D06: a parent writes to other parents only when the school allows it.
    parents_may_write_parents = models.BooleanField("родители могут писать другим родителям класса", default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "настройки сообщений"

    def __str__(self) -> str:
        return "Настройки сообщений"

    @classmethod
    def current(cls) -> MessagingSettings:
        row = cls.objects.order_by("pk").first()
        return row if row is not None else cls.objects.create()


class Conversation(models.Model):
    subject = models.CharField("тема", max_length=200, blank=True)
    created_by = PersonFK()
    created_at = models.DateTimeField(default=timezone.now)
    # The time of its newest message: the inbox is ordered by it without a join.
    last_message_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "переписка"
        verbose_name_plural = "переписки"

    def __str__(self) -> str:
        return self.subject or f"Переписка {self.pk}"


class Participant(models.Model):
    """A person in a conversation. `last_read_at` is their read mark: every message created
    up to it counts as read by them."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="participants")
    person = PersonFK()
    joined_at = models.DateTimeField(default=timezone.now)
    last_read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conversation", "person"], name="messaging_participant_uniq")]
        indexes = [models.Index(fields=["person", "conversation"])]

    def __str__(self) -> str:
        return f"{self.person_id} в {self.conversation_id}"


class Message(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    author = PersonFK()
    body = models.TextField("текст")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["conversation", "created_at"])]

    def __str__(self) -> str:
        return f"Сообщение {self.pk}"


def attachment_path(instance: Any, filename: str) -> str:
    """A school-specific path that carries no part of the person's file name (kept in `name`)."""
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    now = timezone.now()
    return f"messaging/{current_schema()}/{now:%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Attachment(models.Model):
    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=200)
    name = models.CharField("имя файла", max_length=200)
    content_type = models.CharField(max_length=100)  # from the content we recognised, not from the sender
    size = models.PositiveIntegerField()

    def __str__(self) -> str:
        return self.name


class Audience(models.TextChoices):
    SCHOOL = "school", "Вся школа"
    CLASS = "class", "Класс"


class Announcement(models.Model):
    """From the administration to the whole school or a class, or from a class teacher to their
    class (its students and their parents). Who sees it is computed when it is read, so a family
    that joins the class later sees what the class was told (see selectors.announcements_for)."""

    author = PersonFK()
    audience = models.CharField("кому", max_length=10, choices=Audience.choices)
    school_class = models.ForeignKey("roster.SchoolClass", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    title = models.CharField("заголовок", max_length=200)
    body = models.TextField("текст")
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="messaging_announcement_audience",
                condition=(models.Q(audience="school", school_class__isnull=True) | models.Q(audience="class", school_class__isnull=False)),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class AnnouncementRead(models.Model):
    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="reads")
    person = PersonFK()
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["announcement", "person"], name="messaging_announcement_read_uniq")]

    def __str__(self) -> str:
        return f"{self.person_id} прочитал {self.announcement_id}"


class AbuseReport(models.Model):
    """A participant's complaint about a message; the school administration reads and closes it."""

    message = models.ForeignKey(Message, on_delete=models.PROTECT, related_name="reports")
    reporter = PersonFK()
    reason = models.CharField("что не так", max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = PersonFK(null=True)
    resolution = models.CharField("решение", max_length=500, blank=True)

    class Meta:
        ordering = ["resolved_at", "-created_at"]
        constraints = [models.UniqueConstraint(fields=["message", "reporter"], name="messaging_report_uniq")]

    def __str__(self) -> str:
        return f"Жалоба {self.pk} на сообщение {self.message_id}"
