"""Inside a school's schema: its classes and subgroups, who studies in them (with the
history of orders), the children's legal representatives, personal cards, and what
personal data the school collects. People themselves are district-wide (accounts.Person)."""

from __future__ import annotations

import datetime as dt

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import ExpressionWrapper, F, Q
from django.utils import timezone

from core.fields import PersonFK, PersonOneToOne


class SchoolClass(models.Model):
    year = models.ForeignKey("schoolyear.AcademicYear", on_delete=models.PROTECT, related_name="classes", verbose_name="учебный год")
    grade = models.PositiveSmallIntegerField("параллель", validators=[MinValueValidator(1), MaxValueValidator(11)])
    letter = models.CharField("литера", max_length=4)
    profile = models.CharField("профиль", max_length=100, blank=True)
    class_teacher = PersonFK(null=True, verbose_name="классный руководитель")
    # The class of the previous year this one continues (5А of 2025/26 → 6А of 2026/27).
    previous = models.OneToOneField("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="next")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["grade", "letter"]
        verbose_name = "класс"
        verbose_name_plural = "классы"
        constraints = [
            models.UniqueConstraint(fields=["year", "grade", "letter"], name="roster_class_year_grade_letter_uniq"),
            models.CheckConstraint(condition=Q(grade__gte=1) & Q(grade__lte=11), name="roster_class_grade_range"),
        ]

    def __str__(self) -> str:
        return f"{self.grade}{self.letter}"

    @property
    def name(self) -> str:
        return str(self)


class SubgroupKind(models.TextChoices):
    FOREIGN_LANGUAGE = "foreign_language", "Иностранный язык"
    INFORMATICS = "informatics", "Информатика"
    TECHNOLOGY = "technology", "Технология"
    PE = "pe", "Физическая культура"
    OTHER = "other", "Другое"


class Subgroup(models.Model):
    """A part of a class taught separately (001 §3.3: languages, informatics, technology, PE)."""

    school_class = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="subgroups")
    kind = models.CharField(max_length=20, choices=SubgroupKind.choices)
    name = models.CharField("название", max_length=60)  # "Английский, 1 группа"

    class Meta:
        ordering = ["school_class", "kind", "name"]
        constraints = [models.UniqueConstraint(fields=["school_class", "name"], name="roster_subgroup_name_uniq")]

    def __str__(self) -> str:
        return f"{self.school_class} — {self.name}"


class SubgroupMember(models.Model):
    subgroup = models.ForeignKey(Subgroup, on_delete=models.CASCADE, related_name="members")
    student = PersonFK()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["subgroup", "student"], name="roster_subgroup_member_uniq")]

    def __str__(self) -> str:
        return f"{self.student_id} в {self.subgroup_id}"


class OrderKind(models.TextChoices):
    ENROL = "enrol", "Зачисление"
    TRANSFER = "transfer", "Перевод в другой класс"
    LEAVE = "leave", "Выбытие"
    PROMOTE = "promote", "Перевод в следующий класс"
    GRADUATE = "graduate", "Выпуск"
    REPEAT = "repeat", "Оставление на повторное обучение"


class MovementOrder(models.Model):
    """A director's order on student movement (R-Y06; seed 004 §X), with number and date."""

    kind = models.CharField("вид приказа", max_length=10, choices=OrderKind.choices)
    number = models.CharField("номер", max_length=40)
    date = models.DateField("дата")
    note = models.CharField("основание", max_length=300, blank=True)
    created_by_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = "приказ о движении"
        verbose_name_plural = "приказы о движении"
        constraints = [models.UniqueConstraint(fields=["number", "date"], name="roster_order_number_date_uniq")]

    def __str__(self) -> str:
        return f"Приказ № {self.number} от {self.date:%d.%m.%Y} ({self.get_kind_display()})"


class Enrolment(models.Model):
    """A student's place in a class, from one date to another: the history is never rewritten,
    a transfer closes one row and opens another, each with its order. Both dates are inclusive
    (`until` = `since` − 1: cancelled before its first day, see roster.services.leave_school):
    `until` is the last day in the class, so a transfer dated D closes the old row on D − 1 and
    opens the new one on D (a student is never in two classes on one day)."""

    student = PersonFK()
    school_class = models.ForeignKey(SchoolClass, on_delete=models.PROTECT, related_name="enrolments")
    since = models.DateField(default=timezone.localdate)
    until = models.DateField(null=True, blank=True)
    order_in = models.ForeignKey(MovementOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="enrolments_opened")
    order_out = models.ForeignKey(MovementOrder, on_delete=models.PROTECT, null=True, blank=True, related_name="enrolments_closed")

    class Meta:
        ordering = ["since", "id"]
        constraints = [
            models.UniqueConstraint(fields=["student"], condition=Q(until__isnull=True), name="roster_one_open_enrolment"),
            # `until` = `since` − 1 day is an enrolment cancelled before it began (a pupil leaving in the summer
            # after the year's close): no day in the class, the row and its orders kept as history.
            models.CheckConstraint(
                condition=Q(until__isnull=True)
                | Q(until__gte=ExpressionWrapper(F("since") - dt.timedelta(days=1), output_field=models.DateField())),
                name="roster_enrolment_dates_order"),
        ]
        indexes = [models.Index(fields=["school_class", "until"], name="roster_enrol_class_until")]

    def __str__(self) -> str:
        return f"{self.student_id} в {self.school_class_id} с {self.since}"


class GuardianKind(models.TextChoices):
    MOTHER = "mother", "мать"
    FATHER = "father", "отец"
    GUARDIAN = "guardian", "опекун (попечитель)"
    OTHER = "other", "иной законный представитель"


class Guardianship(models.Model):
    """A parent or other legal representative of a student (R-A02)."""

    parent = PersonFK()
    student = PersonFK()
    kind = models.CharField(max_length=10, choices=GuardianKind.choices, default=GuardianKind.OTHER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["parent", "student"], name="roster_guardian_uniq")]

    def __str__(self) -> str:
        return f"{self.parent_id} — {self.get_kind_display()} {self.student_id}"


class PersonalDataSettings(models.Model):
    """What the school collects beyond the minimum (R-A06; 004 §V). One row per school.
    001 §3.3 forbids addresses and phones: a school switches them off here, and then
    the platform neither shows nor stores them."""

    collect_phone = models.BooleanField("телефон", default=False)
    collect_address = models.BooleanField("домашний адрес", default=False)
    collect_email = models.BooleanField("e-mail", default=True)
    collect_snils = models.BooleanField("СНИЛС", default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "настройка персональных данных"
        constraints = [models.CheckConstraint(condition=Q(id=1), name="roster_pds_singleton")]

    def __str__(self) -> str:
        return "Состав персональных данных"

    @classmethod
    def current(cls) -> PersonalDataSettings:
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class PersonCard(models.Model):
    """What this school knows of a student or parent beyond Person's minimum
    (surname, name, patronymic, sex, date of birth), as its setting allows."""

    person = PersonOneToOne()
    phone = models.CharField("телефон", max_length=30, blank=True)
    address = models.CharField("адрес", max_length=300, blank=True)
    email = models.EmailField("e-mail", blank=True)
    snils = models.CharField("СНИЛС", max_length=14, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"карточка {self.person_id}"


class StaffCard(models.Model):
    """Staff card (R-A07; 004 §V)."""

    person = PersonOneToOne()
    position = models.CharField("основная должность", max_length=100)
    category = models.CharField("категория", max_length=60, blank=True)
    rank = models.CharField("разряд", max_length=30, blank=True)
    functions = models.CharField("функции", max_length=300, blank=True)
    diploma_speciality = models.CharField("специальность по диплому", max_length=200, blank=True)
    hired_on = models.DateField("дата приказа о приёме", null=True, blank=True)
    hire_order_number = models.CharField("номер приказа о приёме", max_length=40, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.person_id}: {self.position}"
