"""An import of one spreadsheet into the school (R-Y07): the stored file, what the check
found in every row, and what the import did with it."""

from __future__ import annotations

import os
import uuid
from typing import Any

from django.db import models
from django.utils import timezone

from core.fields import PersonFK


class ImportKind(models.TextChoices):
    STUDENTS = "students", "Обучающиеся и родители"
    STAFF = "staff", "Сотрудники"
    CURRICULUM = "curriculum", "Учебный план"
    LOAD = "load", "Педагогическая нагрузка"
    TIMETABLE = "timetable", "Расписание уроков"
    SUBGROUPS = "subgroups", "Подгруппы"


class JobStatus(models.TextChoices):
    CHECKING = "checking", "Проверяется"
    READY = "ready", "Проверен, ждёт подтверждения"
    REJECTED = "rejected", "Файл не принят"
    APPLYING = "applying", "Загружается"
    DONE = "done", "Загружен"
    FAILED = "failed", "Прерван из-за ошибки"


class ApplyMode(models.TextChoices):
    ALL = "all", "Весь файл"
    VALID = "valid", "Только строки без ошибок"


def upload_path(instance: Any, filename: str) -> str:
    """Each school's files under its own folder (MEDIA_ROOT/imports/<schema>/…): nothing
    of one school sits among another's. The stored name is random; the user's is kept in
    `file_name`."""
    from tenants.db import current_schema

    ext = os.path.splitext(filename)[1].lower()[:6]
    return f"imports/{current_schema()}/{timezone.localdate():%Y/%m}/{uuid.uuid4().hex}{ext}"


class ImportJob(models.Model):
    kind = models.CharField("что загружается", max_length=12, choices=ImportKind.choices)
    status = models.CharField("состояние", max_length=10, choices=JobStatus.choices, default=JobStatus.CHECKING)
    # Deleted once the import is done (it holds personal data); the results stay.
    file = models.FileField(upload_to=upload_path, max_length=200, blank=True)
    file_name = models.CharField("имя файла", max_length=200)
    file_size = models.PositiveIntegerField("размер, байт", default=0)
    file_format = models.CharField(max_length=4, blank=True)  # xlsx | csv
    encoding = models.CharField(max_length=20, blank=True)
    delimiter = models.CharField(max_length=2, blank=True)
    # Why the whole file was refused (wrong columns, encoding, size…), in Russian.
    message = models.TextField(blank=True)
    # Warnings about the file as a whole (unknown columns are ignored…).
    warnings = models.JSONField(default=list, blank=True)
    # One entry per data row: {"row", "label", "status", "errors": [{"column", "value", "message"}],
    # "notes", and after the import "result" (created/updated/unchanged/skipped) and "why"}.
    rows = models.JSONField(default=list, blank=True)
    # {"new", "update", "unchanged", "error"} after the check; {"created", "updated",
    # "unchanged", "skipped"} after the import (key "result").
    counts = models.JSONField(default=dict, blank=True)
    mode = models.CharField("режим", max_length=5, choices=ApplyMode.choices, blank=True)
    total_rows = models.PositiveIntegerField(default=0)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(default=0)
    created_by = PersonFK()
    created_at = models.DateTimeField(auto_now_add=True)
    checked_at = models.DateTimeField(null=True, blank=True)
    applied_by = PersonFK(null=True)
    applied_at = models.DateTimeField(null=True, blank=True)
    # The last sign of life of a running check or import: set when it starts (upload, confirm)
    # and by every progress write. A job «checking» or «applying» silent for long had its
    # process killed; the sweep (services.fail_abandoned) marks it failed.
    alive_at = models.DateTimeField("последний признак работы", default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "загрузка списка"
        verbose_name_plural = "загрузки списков"
        indexes = [models.Index(fields=["-created_at"], name="bulkimport_job_created_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.file_name}"

    @property
    def is_running(self) -> bool:
        return self.status in (JobStatus.CHECKING, JobStatus.APPLYING)

    @property
    def error_rows(self) -> int:
        return int(self.counts.get("error", 0))

    @property
    def valid_rows(self) -> int:
        return sum(int(self.counts.get(k, 0)) for k in ("new", "update", "unchanged"))

    @property
    def progress_percent(self) -> int:
        if not self.progress_total:
            return 0 if self.is_running else 100
        return min(100, self.progress_done * 100 // self.progress_total)
