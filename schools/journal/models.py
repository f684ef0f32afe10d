"""The class journal (ЭЖ): lessons, works, marks, attendance, change requests, the
teacher's notebook, period marks and the calendar-thematic plan (R-J01..R-J15).

The rules (7-day lock, grade 1 without marks, control works, deadlines) are enforced in
services.py for every path: pages, API, import and the admin all go through it."""

from __future__ import annotations

import uuid
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Any

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from core.fields import PersonFK
from tenants.db import current_schema


class JournalSettings(models.Model):
    """The school's journal settings (one row per school)."""

    lock_days = models.PositiveSmallIntegerField(
        "срок внесения и исправления, дней", default=7, validators=[MinValueValidator(1), MaxValueValidator(30)]
    )  # 003 §2.3.2: no later than 7 days after the work
    # A period mark is proposed from the average: x.60 and above rounds up by default.
    round_up_from = models.DecimalField("округлять вверх от", max_digits=3, decimal_places=2, default=Decimal("0.60"))
    period_mark_days_after = models.PositiveSmallIntegerField("итоговые отметки: дней после периода", default=3)
    use_weighted_average = models.BooleanField("предлагать отметку по средневзвешенному", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return "Настройки журнала"

    @classmethod
    def current(cls) -> JournalSettings:
        obj, _ = cls.objects.get_or_create(pk=1)
        return obj


class WorkType(models.Model):
    """What a mark was for: answer in class, test, control work… with the school's weight."""

    name = models.CharField("вид работы", max_length=80, unique=True)
    short_name = models.CharField("кратко", max_length=12, blank=True)
    weight = models.DecimalField("вес", max_digits=3, decimal_places=1, default=Decimal("1.0"),
                                 validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal("10"))])
    # 000 §2.11: a control work needs a mark (or an absence) for every student present.
    requires_all_marks = models.BooleanField("оценивается весь класс", default=False)
    is_active = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=0)
    # R-J03: bumped by every change; an edit made from an older version is refused (stale_version)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


class Lesson(models.Model):
    """A lesson record (R-J01): date, number, class or subgroup, subject, teacher, topic,
    what was done and homework. Created when the teacher first writes it."""

    school_class = models.ForeignKey("roster.SchoolClass", on_delete=models.PROTECT, related_name="lessons")
    subgroup = models.ForeignKey("roster.Subgroup", on_delete=models.PROTECT, null=True, blank=True, related_name="lessons")
    subject = models.ForeignKey("curriculum.Subject", on_delete=models.PROTECT, related_name="+")
    teacher = PersonFK()
    # R-J06: the teacher the timetable names, when somebody else taught the lesson.
    replaced_teacher = PersonFK(null=True)
    date = models.DateField("дата")
    lesson_number = models.PositiveSmallIntegerField("номер урока")
    topic = models.CharField("тема", max_length=500, blank=True)
    ktp_topic = models.ForeignKey("journal.KtpTopic", on_delete=models.SET_NULL, null=True, blank=True, related_name="lessons")
    done = models.TextField("что сделано на уроке", blank=True)
    homework = models.TextField("домашнее задание", blank=True)
    # R-J05: entries are made on the day of the lesson; later first entries are marked late.
    entered_late = models.BooleanField(default=False)
    # R-J05: when the teacher first took the attendance of this lesson (even «все присутствуют»: presence
    # is the absence of a row, so without this a lesson whose attendance was never taken looks complete).
    attendance_taken_at = models.DateTimeField("посещаемость отмечена", null=True, blank=True)
    version = models.PositiveIntegerField(default=1)  # optimistic concurrency: stale saves are refused
    created_by = PersonFK()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date", "lesson_number"]
        constraints = [
            models.UniqueConstraint(fields=["school_class", "subgroup", "subject", "date", "lesson_number"],
                                    name="journal_lesson_slot_uniq", nulls_distinct=False),
        ]
        indexes = [
            models.Index(fields=["school_class", "subject", "date"], name="journal_lesson_class_subj_date"),
            models.Index(fields=["teacher", "date"], name="journal_lesson_teacher_date"),
        ]

    def __str__(self) -> str:
        return f"{self.school_class} {self.subject} {self.date:%d.%m} ({self.lesson_number})"


class IndividualHomework(models.Model):
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="individual_homework")
    student = PersonFK()
    text = models.TextField("задание")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lesson", "student"], name="journal_indiv_hw_uniq")]

    def __str__(self) -> str:
        return f"ДЗ {self.student_id} к {self.lesson_id}"


def lesson_file_path(instance: Any, filename: str) -> str:
    """Under the school's own folder (its schema name: two schools never share a path), with no
    part of the uploader's file name (kept in `name`)."""
    suffix = PurePosixPath(filename).suffix.lower()[:10]
    schema = getattr(instance, "schema_name", "") or current_schema()
    return f"journal/{schema}/{instance.lesson_id}/{uuid.uuid4().hex}{suffix}"


class AttachmentPurpose(models.TextChoices):
    MATERIAL = "material", "Материал урока"
    HOMEWORK = "homework", "К домашнему заданию"


class LessonAttachment(models.Model):
    """A file of the lesson record (R-J01, R-D01): material of the lesson or for its homework.
    Part of the record: written and removed under the lesson's own rules (journal.attachments)."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="attachments")
    purpose = models.CharField("назначение", max_length=8, choices=AttachmentPurpose.choices, default=AttachmentPurpose.HOMEWORK)
    file = models.FileField(upload_to=lesson_file_path, max_length=200)
    name = models.CharField("имя файла", max_length=200)
    size = models.PositiveIntegerField()
    content_type = models.CharField(max_length=100)  # from the content we recognised, not from the uploader
    uploaded_by = PersonFK()
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["lesson", "pk"]
        verbose_name = "файл урока"
        verbose_name_plural = "файлы урока"

    def __str__(self) -> str:
        return self.name


class Work(models.Model):
    """A work done in a lesson (a column of marks): its type and topic (R-J03)."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="works")
    work_type = models.ForeignKey(WorkType, on_delete=models.PROTECT, related_name="+")
    topic = models.CharField("тема работы", max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["lesson", "position"]
        constraints = [models.UniqueConstraint(fields=["lesson", "position"], name="journal_work_position_uniq")]

    def __str__(self) -> str:
        return f"{self.work_type} ({self.lesson})"


class MarkKind(models.TextChoices):
    GRADE = "grade", "Отметка"
    PASS = "pass", "Зачёт"
    FAIL = "fail", "Незачёт"
    EXEMPT = "exempt", "Освобождён"


class Mark(models.Model):
    work = models.ForeignKey(Work, on_delete=models.CASCADE, related_name="marks")
    student = PersonFK()
    kind = models.CharField(max_length=8, choices=MarkKind.choices, default=MarkKind.GRADE)
    value = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)])
    # R-J09: a mark from a hospital school or sanatorium rests on a document.
    source_document = models.CharField("документ-основание", max_length=300, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_by = PersonFK()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["work", "student"], name="journal_mark_uniq"),
            models.CheckConstraint(name="journal_mark_value_by_kind",
                                   condition=(Q(kind="grade", value__gte=1, value__lte=5) | (~Q(kind="grade") & Q(value__isnull=True)))),
        ]
        indexes = [models.Index(fields=["student", "work"], name="journal_mark_student")]

    def __str__(self) -> str:
        return self.display

    @property
    def display(self) -> str:
        return {"grade": str(self.value), "pass": "зач", "fail": "незач", "exempt": "осв"}[self.kind]


class AbsenceReason(models.TextChoices):
    ILLNESS = "illness", "По болезни"
    EXCUSED = "excused", "По уважительной причине"
    UNEXCUSED = "unexcused", "Без уважительной причины"


class Attendance(models.Model):
    """An absence or lateness at a lesson (R-J02). Presence is the absence of a row."""

    class Status(models.TextChoices):
        ABSENT = "absent", "Н"
        LATE = "late", "О"  # опоздал

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="attendance")
    student = PersonFK()
    status = models.CharField(max_length=6, choices=Status.choices, default=Status.ABSENT)
    reason = models.CharField(max_length=10, choices=AbsenceReason.choices, blank=True)
    document = models.CharField("документ", max_length=300, blank=True)
    document_date = models.DateField("дата документа", null=True, blank=True)
    reason_set_by = PersonFK(null=True)
    reason_set_at = models.DateTimeField(null=True, blank=True)
    created_by = PersonFK()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["lesson", "student"], name="journal_attendance_uniq")]
        indexes = [models.Index(fields=["student", "lesson"], name="journal_attendance_student")]

    def __str__(self) -> str:
        return f"{self.get_status_display()} {self.student_id} {self.lesson_id}"


class ChangeRequestStatus(models.TextChoices):
    PENDING = "pending", "На рассмотрении"
    APPROVED = "approved", "Одобрена, изменения внесены"
    REJECTED = "rejected", "Отклонена"


class ChangeRequest(models.Model):
    """«Замена сведений в электронном журнале» (003 §2.3.3, R-J08): past the lock, a change
    goes through the deputy director, who applies it (logged) or rejects it (logged)."""

    requested_by = PersonFK()
    requested_at = models.DateTimeField(auto_now_add=True)
    school_class = models.ForeignKey("roster.SchoolClass", on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey("curriculum.Subject", on_delete=models.PROTECT, related_name="+")
    lesson = models.ForeignKey(Lesson, on_delete=models.PROTECT, null=True, blank=True, related_name="change_requests")
    target_date = models.DateField("дата, на которую вносятся изменения")
    # A list of operations the approval applies, e.g. {"op": "mark", "work": 1, "student": 2, "value": 4}.
    changes = models.JSONField()
    description = models.TextField("перечень изменений")
    reason = models.TextField("причина")
    status = models.CharField(max_length=10, choices=ChangeRequestStatus.choices, default=ChangeRequestStatus.PENDING)
    decided_by = PersonFK(null=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.TextField("решение", blank=True)

    class Meta:
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"Заявка №{self.pk} {self.school_class} {self.subject} на {self.target_date:%d.%m.%Y}"


class NotebookEntry(models.Model):
    """The teacher's «Блокнот» (003 §2.3.4, R-J10): private marks for work in progress,
    never shown to families until moved into the journal."""

    teacher = PersonFK()
    school_class = models.ForeignKey("roster.SchoolClass", on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey("curriculum.Subject", on_delete=models.PROTECT, related_name="+")
    student = PersonFK()
    value = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(5)])
    note = models.CharField("заметка", max_length=300, blank=True)
    date = models.DateField()
    moved_to = models.OneToOneField(Mark, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"блокнот {self.teacher_id}: {self.student_id} {self.value}"


class FinalKind(models.TextChoices):
    PERIOD = "period", "За период"
    YEAR = "year", "Годовая"
    EXAM = "exam", "Экзаменационная"
    FINAL = "final", "Итоговая"


class PeriodMark(models.Model):
    """Period, year, exam and final marks (R-J11)."""

    student = PersonFK()
    school_class = models.ForeignKey("roster.SchoolClass", on_delete=models.PROTECT, related_name="+")
    subject = models.ForeignKey("curriculum.Subject", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=6, choices=FinalKind.choices)
    period = models.ForeignKey("schoolyear.StudyPeriod", on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    mark_kind = models.CharField(max_length=8, choices=MarkKind.choices, default=MarkKind.GRADE)
    value = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MinValueValidator(1), MaxValueValidator(5)])
    not_assessed = models.BooleanField("не аттестован (н/а)", default=False)
    version = models.PositiveIntegerField(default=1)
    created_by = PersonFK()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["student", "school_class", "subject", "kind", "period"],
                                    name="journal_period_mark_uniq", nulls_distinct=False),
            models.CheckConstraint(name="journal_period_mark_period_for_period_kind",
                                   condition=Q(kind="period", period__isnull=False) | (~Q(kind="period") & Q(period__isnull=True))),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.student_id} {self.subject_id}"


class KtpPlan(models.Model):
    """The calendar-thematic plan (КТП) of a class and subject (R-J13)."""

    school_class = models.ForeignKey("roster.SchoolClass", on_delete=models.CASCADE, related_name="ktp_plans")
    subgroup = models.ForeignKey("roster.Subgroup", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    subject = models.ForeignKey("curriculum.Subject", on_delete=models.PROTECT, related_name="+")
    author = PersonFK()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school_class", "subgroup", "subject"], name="journal_ktp_plan_uniq",
                                               nulls_distinct=False)]

    def __str__(self) -> str:
        return f"КТП {self.school_class} {self.subject}"


class KtpTopic(models.Model):
    plan = models.ForeignKey(KtpPlan, on_delete=models.CASCADE, related_name="topics")
    number = models.PositiveSmallIntegerField("№")
    title = models.CharField("тема", max_length=500)
    hours = models.PositiveSmallIntegerField("часов", default=1)
    planned_date = models.DateField("плановая дата", null=True, blank=True)
    work_type = models.ForeignKey(WorkType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "number"], name="journal_ktp_topic_number_uniq"),
            models.CheckConstraint(condition=Q(hours__gte=1), name="journal_ktp_topic_hours_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class ActivityGroup(models.Model):
    """Extracurricular activity (внеурочная деятельность, R-J15): own programme, topics,
    attendance, no marks."""

    year = models.ForeignKey("schoolyear.AcademicYear", on_delete=models.PROTECT, related_name="+")
    name = models.CharField("название", max_length=200)
    programme = models.TextField("программа", blank=True)
    teacher = PersonFK()
    hours_per_week = models.DecimalField(max_digits=3, decimal_places=1, default=Decimal("1.0"))

    class Meta:
        constraints = [models.UniqueConstraint(fields=["year", "name"], name="journal_activity_name_uniq")]

    def __str__(self) -> str:
        return self.name


class ActivityMember(models.Model):
    """A student's stay in an extracurricular group, from one date to another (both inclusive, as
    an Enrolment; no `since`: from the group's start). Leaving closes the row, never deletes it, so
    past sessions keep their members and absences."""

    group = models.ForeignKey(ActivityGroup, on_delete=models.CASCADE, related_name="members")
    student = PersonFK()
    since = models.DateField("в группе с", null=True, blank=True)
    until = models.DateField("в группе по", null=True, blank=True)

    class Meta:
        ordering = ["since", "id"]
        constraints = [
            models.UniqueConstraint(fields=["group", "student"], condition=Q(until__isnull=True), name="journal_activity_member_open_uniq"),
            models.CheckConstraint(condition=Q(until__isnull=True) | Q(since__isnull=True) | Q(until__gte=models.F("since")),
                                   name="journal_activity_member_dates_order"),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} в {self.group_id}"


class ActivitySession(models.Model):
    group = models.ForeignKey(ActivityGroup, on_delete=models.CASCADE, related_name="sessions")
    date = models.DateField()
    topic = models.CharField("тема", max_length=300)
    created_by = PersonFK()

    class Meta:
        ordering = ["date"]
        constraints = [models.UniqueConstraint(fields=["group", "date"], name="journal_activity_session_uniq")]

    def __str__(self) -> str:
        return f"{self.group} {self.date:%d.%m}"


class ActivityAbsence(models.Model):
    session = models.ForeignKey(ActivitySession, on_delete=models.CASCADE, related_name="absences")
    student = PersonFK()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["session", "student"], name="journal_activity_absence_uniq")]

    def __str__(self) -> str:
        return f"н {self.student_id} {self.session_id}"
