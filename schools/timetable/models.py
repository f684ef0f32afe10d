"""Bells, the weekly timetable, events and substitutions (R-Y04; 004 §VII, 003 §2.1)."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from core.fields import PersonFK


class BellSchedule(models.Model):
    year = models.ForeignKey("schoolyear.AcademicYear", on_delete=models.CASCADE, related_name="bell_schedules")
    name = models.CharField("название", max_length=60)  # "1 смена"
    shift = models.PositiveSmallIntegerField("смена", default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["year", "shift"], name="timetable_bells_shift_uniq"),
            models.CheckConstraint(condition=Q(shift__in=[1, 2]), name="timetable_bells_shift_1_or_2"),
        ]

    def __str__(self) -> str:
        return self.name


class Bell(models.Model):
    schedule = models.ForeignKey(BellSchedule, on_delete=models.CASCADE, related_name="bells")
    number = models.PositiveSmallIntegerField("номер урока")
    starts_at = models.TimeField("начало")
    ends_at = models.TimeField("окончание")

    class Meta:
        ordering = ["schedule", "number"]
        constraints = [
            models.UniqueConstraint(fields=["schedule", "number"], name="timetable_bell_number_uniq"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="timetable_bell_times_order"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


class TimetableEntry(models.Model):
    """One weekly lesson slot of a class (or subgroup), valid for a range of dates."""

    school_class = models.ForeignKey("roster.SchoolClass", on_delete=models.CASCADE, related_name="timetable")
    subgroup = models.ForeignKey("roster.Subgroup", on_delete=models.CASCADE, null=True, blank=True, related_name="timetable")
    weekday = models.PositiveSmallIntegerField("день недели")  # 1 = понедельник … 6 = суббота
    lesson_number = models.PositiveSmallIntegerField("номер урока")
    shift = models.PositiveSmallIntegerField("смена", default=1)
    subject = models.ForeignKey("curriculum.Subject", on_delete=models.PROTECT, related_name="+")
    teacher = PersonFK()
    room = models.CharField("кабинет", max_length=20, blank=True)
    valid_from = models.DateField("действует с")
    valid_to = models.DateField("действует по", null=True, blank=True)

    class Meta:
        ordering = ["school_class", "weekday", "lesson_number"]
        indexes = [
            models.Index(fields=["teacher", "weekday", "lesson_number"]),
            models.Index(fields=["school_class", "weekday"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(weekday__gte=1) & Q(weekday__lte=6), name="timetable_entry_weekday_range"),
            models.CheckConstraint(condition=Q(lesson_number__gte=0) & Q(lesson_number__lte=12), name="timetable_entry_lesson_range"),
            models.CheckConstraint(condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")), name="timetable_entry_dates_order"),
        ]

    def __str__(self) -> str:
        return f"{self.school_class} д{self.weekday} у{self.lesson_number}: {self.subject}"


class EventKind(models.TextChoices):
    SCHOOL = "school", "Школьное мероприятие"
    CLASS = "class", "Классное мероприятие"


class Event(models.Model):
    kind = models.CharField(max_length=10, choices=EventKind.choices, default=EventKind.SCHOOL)
    school_class = models.ForeignKey("roster.SchoolClass", on_delete=models.CASCADE, null=True, blank=True, related_name="events")
    title = models.CharField("название", max_length=200)
    date = models.DateField("дата")
    starts_at = models.TimeField("начало", null=True, blank=True)
    place = models.CharField("место", max_length=100, blank=True)
    # When it was entered: 004 §VII wants school events 2 weeks and class events 1 week ahead.
    created_at = models.DateTimeField(default=timezone.now)
    created_by_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["date", "starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(kind="school", school_class__isnull=True) | Q(kind="class", school_class__isnull=False),
                                   name="timetable_event_kind_scope"),
        ]

    def __str__(self) -> str:
        return f"{self.date:%d.%m} {self.title}"


class Substitution(models.Model):
    """Who replaces whom for one lesson, and why (R-Y04, R-J06)."""

    date = models.DateField("дата")
    entry = models.ForeignKey(TimetableEntry, on_delete=models.PROTECT, related_name="substitutions")
    absent_teacher = PersonFK()
    substitute = PersonFK()
    subject = models.ForeignKey("curriculum.Subject", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    reason = models.CharField("причина", max_length=200)
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date"]
        indexes = [models.Index(fields=["substitute", "date"], name="timetable_subst_who_date")]
        constraints = [models.UniqueConstraint(fields=["date", "entry"], name="timetable_substitution_uniq")]

    def __str__(self) -> str:
        return f"{self.date:%d.%m} {self.entry}: {self.substitute_id} вместо {self.absent_teacher_id}"
