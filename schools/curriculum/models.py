"""Subjects, the curriculum (учебный план) and the teaching load (R-Y03; 004 §VI)."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from core.fields import PersonFK


class EducationalArea(models.Model):
    name = models.CharField("образовательная область", max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Subject(models.Model):
    name = models.CharField("предмет", max_length=120, unique=True)
    short_name = models.CharField("кратко", max_length=30, blank=True)
    area = models.ForeignKey(EducationalArea, on_delete=models.PROTECT, null=True, blank=True, related_name="subjects")
    is_extracurricular = models.BooleanField("внеурочная деятельность", default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CurriculumPart(models.TextChoices):
    MANDATORY = "mandatory", "Обязательная часть"
    ELECTIVE = "elective", "Часть, формируемая участниками"
    EXTRACURRICULAR = "extracurricular", "Внеурочная деятельность"


class CurriculumLine(models.Model):
    """Hours per week of a subject in a class (учебный план)."""

    school_class = models.ForeignKey("roster.SchoolClass", on_delete=models.CASCADE, related_name="curriculum")
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    part = models.CharField("компонент", max_length=16, choices=CurriculumPart.choices, default=CurriculumPart.MANDATORY)
    hours_per_week = models.DecimalField("часов в неделю", max_digits=4, decimal_places=1, validators=[MinValueValidator(Decimal("0.5"))])

    class Meta:
        ordering = ["school_class", "subject__name"]
        constraints = [
            models.UniqueConstraint(fields=["school_class", "subject", "part"], name="curriculum_line_uniq"),
            models.CheckConstraint(condition=Q(hours_per_week__gt=0) & Q(hours_per_week__lte=40), name="curriculum_line_hours_range"),
        ]

    def __str__(self) -> str:
        return f"{self.school_class}: {self.subject} {self.hours_per_week} ч"


class TeachingAssignment(models.Model):
    """The teacher load: who teaches which subject to which class or subgroup."""

    teacher = PersonFK()
    subject = models.ForeignKey(Subject, on_delete=models.PROTECT, related_name="+")
    school_class = models.ForeignKey("roster.SchoolClass", on_delete=models.CASCADE, related_name="assignments")
    subgroup = models.ForeignKey("roster.Subgroup", on_delete=models.CASCADE, null=True, blank=True, related_name="assignments")
    hours_per_week = models.DecimalField("часов в неделю", max_digits=4, decimal_places=1, validators=[MinValueValidator(Decimal("0.5"))])

    class Meta:
        ordering = ["school_class", "subject__name"]
        constraints = [
            models.UniqueConstraint(fields=["teacher", "subject", "school_class", "subgroup"], name="curriculum_assignment_uniq",
                                    nulls_distinct=False),
        ]

    def __str__(self) -> str:
        return f"{self.teacher_id}: {self.subject} в {self.school_class}"
