"""Inside a school's schema: its classes, who studies in them, and who the children's
legal representatives are. People themselves are district-wide (accounts.Person)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


class SchoolClass(models.Model):
    grade = models.PositiveSmallIntegerField("параллель", validators=[MinValueValidator(1), MaxValueValidator(11)])
    letter = models.CharField("литера", max_length=4)
    class_teacher = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name="классный руководитель",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["grade", "letter"]
        verbose_name = "класс"
        verbose_name_plural = "классы"
        constraints = [
            models.UniqueConstraint(fields=["grade", "letter"], name="roster_class_grade_letter_uniq"),
            models.CheckConstraint(condition=Q(grade__gte=1) & Q(grade__lte=11), name="roster_class_grade_range"),
        ]

    def __str__(self) -> str:
        return f"{self.grade}{self.letter}"

    @property
    def name(self) -> str:
        return str(self)


class Enrolment(models.Model):
    """A student's place in a class, from one date to another (history is kept)."""

    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="enrolments")
    since = models.DateField(default=timezone.localdate)
    until = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["student"], condition=Q(until__isnull=True), name="roster_one_open_enrolment"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} в {self.school_class_id} с {self.since}"


class GuardianKind(models.TextChoices):
    MOTHER = "mother", "мать"
    FATHER = "father", "отец"
    GUARDIAN = "guardian", "опекун (попечитель)"
    OTHER = "other", "иной законный представитель"


class Guardianship(models.Model):
    """A parent or other legal representative of a student (R-A02)."""

    parent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    student = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=GuardianKind.choices, default=GuardianKind.OTHER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["parent", "student"], name="roster_guardian_uniq")]

    def __str__(self) -> str:
        return f"{self.parent_id} — {self.get_kind_display()} {self.student_id}"
