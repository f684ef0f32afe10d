"""The academic year, its study periods, holidays, days off and moved school days
(R-Y01; seed 004 §II, §VII). The working-day calendar in `calendar_service.py` reads them."""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import F, Q


class YearStatus(models.TextChoices):
    OPEN = "open", "Текущий"
    CLOSED = "closed", "Закрыт"


class AcademicYear(models.Model):
    name = models.CharField("название", max_length=20, unique=True)  # "2026/2027"
    starts_on = models.DateField("начало")
    ends_on = models.DateField("окончание")
    status = models.CharField(max_length=10, choices=YearStatus.choices, default=YearStatus.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by_id = models.BigIntegerField(null=True, blank=True)  # accounts.Person (public schema)
    close_order_number = models.CharField("номер приказа о переводе", max_length=40, blank=True)
    close_order_date = models.DateField("дата приказа о переводе", null=True, blank=True)
    # What the close did, so that a reopen (services.reopen_year) can undo exactly that: the year it
    # opened, the movement orders it registered, the roles it ended (with their previous end) and started.
    close_record = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = "учебный год"
        verbose_name_plural = "учебные годы"
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gt=F("starts_on")), name="schoolyear_year_dates_order"),
            # Only one year is open at a time: the "current" one.
            models.UniqueConstraint(fields=["status"], condition=Q(status="open"), name="schoolyear_one_open_year"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_closed(self) -> bool:
        return self.status == YearStatus.CLOSED


class PeriodKind(models.TextChoices):
    QUARTER = "quarter", "Четверти"
    TRIMESTER = "trimester", "Триместры"
    HALF_YEAR = "half_year", "Полугодия"


PERIOD_COUNT = {PeriodKind.QUARTER: 4, PeriodKind.TRIMESTER: 3, PeriodKind.HALF_YEAR: 2}


class PeriodScheme(models.Model):
    """How a set of parallels divides the year (e.g. quarters for 1–9, half-years for 10–11)."""

    year = models.ForeignKey(AcademicYear, on_delete=models.CASCADE, related_name="schemes")
    kind = models.CharField("тип периодов", max_length=12, choices=PeriodKind.choices)
    grades = ArrayField(models.PositiveSmallIntegerField(), verbose_name="параллели")

    class Meta:
        ordering = ["year", "id"]
        verbose_name = "схема учебных периодов"
        verbose_name_plural = "схемы учебных периодов"
        constraints = [models.CheckConstraint(condition=Q(grades__len__gt=0), name="schoolyear_scheme_has_grades")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({', '.join(map(str, self.grades))})"


class StudyPeriod(models.Model):
    scheme = models.ForeignKey(PeriodScheme, on_delete=models.CASCADE, related_name="periods")
    number = models.PositiveSmallIntegerField("номер")
    name = models.CharField("название", max_length=40)
    starts_on = models.DateField("начало")
    ends_on = models.DateField("окончание")

    class Meta:
        ordering = ["scheme", "number"]
        verbose_name = "учебный период"
        verbose_name_plural = "учебные периоды"
        constraints = [
            models.UniqueConstraint(fields=["scheme", "number"], name="schoolyear_period_number_uniq"),
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="schoolyear_period_dates_order"),
        ]

    def __str__(self) -> str:
        return self.name


class DayOffKind(models.TextChoices):
    VACATION = "vacation", "Каникулы"
    HOLIDAY = "holiday", "Праздничный / выходной день"
    QUARANTINE = "quarantine", "Карантин, актированный день"


class DayOff(models.Model):
    """School days off on top of the federal calendar: каникулы, extra days off.
    `grades` empty = the whole school (e.g. the extra February vacation is grade 1 only)."""

    year = models.ForeignKey(AcademicYear, on_delete=models.CASCADE, related_name="days_off")
    kind = models.CharField(max_length=12, choices=DayOffKind.choices, default=DayOffKind.VACATION)
    name = models.CharField("название", max_length=100)
    starts_on = models.DateField("с")
    ends_on = models.DateField("по")
    grades = ArrayField(models.PositiveSmallIntegerField(), default=list, blank=True, verbose_name="только параллели")

    class Meta:
        ordering = ["starts_on"]
        verbose_name = "каникулы / выходной"
        verbose_name_plural = "каникулы и выходные"
        constraints = [models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="schoolyear_dayoff_dates_order")]

    def __str__(self) -> str:
        return f"{self.name} {self.starts_on:%d.%m}–{self.ends_on:%d.%m}"


class MovedDay(models.Model):
    """A school day moved: lessons of `replaces` are held on `works_on` (e.g. a Saturday).
    `grades` empty = the whole school (as DayOff)."""

    year = models.ForeignKey(AcademicYear, on_delete=models.CASCADE, related_name="moved_days")
    works_on = models.DateField("учебный день")
    replaces = models.DateField("вместо дня")
    reason = models.CharField("основание", max_length=200, blank=True)
    # Empty = the whole school; else only these parallels study on `works_on` (and not on `replaces`).
    grades = ArrayField(models.PositiveSmallIntegerField(), default=list, blank=True, verbose_name="только параллели")

    class Meta:
        ordering = ["works_on"]
        verbose_name = "перенос учебного дня"
        verbose_name_plural = "переносы учебных дней"
        constraints = [
            models.UniqueConstraint(fields=["works_on"], name="schoolyear_moved_day_uniq"),
            models.CheckConstraint(condition=~Q(works_on=F("replaces")), name="schoolyear_moved_day_differs"),
        ]

    def __str__(self) -> str:
        return f"{self.works_on:%d.%m} вместо {self.replaces:%d.%m}"


class WeekLength(models.Model):
    """A 5- or 6-day school week per parallel (a parallel without a row has 5 days)."""

    year = models.ForeignKey(AcademicYear, on_delete=models.CASCADE, related_name="week_lengths")
    grade = models.PositiveSmallIntegerField("параллель")
    days = models.PositiveSmallIntegerField("дней в неделе", default=5)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["year", "grade"], name="schoolyear_week_grade_uniq"),
            models.CheckConstraint(condition=Q(days__in=[5, 6]), name="schoolyear_week_days_5_or_6"),
            models.CheckConstraint(condition=Q(grade__gte=1) & Q(grade__lte=11), name="schoolyear_week_grade_range"),
        ]

    def __str__(self) -> str:
        return f"{self.grade}: {self.days} дн."
