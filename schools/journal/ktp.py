"""The calendar-thematic plan (КТП, R-J13; 000 §1.4.2, 004 §VI, 002 §3.6): entered by the
teacher or a methodist by 15 October, corrected during the year; lessons are matched to
planned topics, and delivery of the programme and of the curriculum hours is shown."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q, QuerySet

from accounts.roles import Perm
from accounts.selectors import access_for
from accounts.services import ensure_writable
from audit.services import record
from core.errors import PermissionDenied, ValidationFailed
from curriculum.models import CurriculumLine, Subject
from roster.models import SchoolClass, Subgroup
from schoolyear.guards import ensure_year_open

from . import rules
from .models import KtpPlan, KtpTopic, Lesson, WorkType
from .services import teaches

if TYPE_CHECKING:
    from accounts.models import Person
    from tenants.models import School

DUE_MONTH_DAY = (10, 15)  # 004 §VI: КТП for every subject by 15 October


@dataclass(frozen=True)
class TopicData:
    number: int
    title: str
    hours: int = 1
    planned_date: dt.date | None = None
    work_type_id: int | None = None


def _may_edit(actor: Person, school: School, school_class: SchoolClass, subject: Subject, subgroup: Subgroup | None = None) -> None:
    access = access_for(actor)
    if access.can(Perm.MANAGE_KTP, school):
        return
    if access.can(Perm.JOURNAL_WRITE, school) and teaches(actor.pk, school_class.pk, subject.pk, subgroup.pk if subgroup else None):
        return
    raise PermissionDenied("КТП вносит учитель своего предмета или методист.")


def _validate(school_class: SchoolClass, topics: list[TopicData]) -> None:
    errors: list[str] = []
    seen: set[int] = set()
    year = school_class.year
    work_types = set(WorkType.objects.values_list("pk", flat=True))
    for t in topics:
        if t.number < 1 or t.number in seen:
            errors.append(f"Тема {t.number}: номер должен быть положительным и не повторяться.")
        seen.add(t.number)
        if not t.title.strip():
            errors.append(f"Тема {t.number}: пустое название.")
        if len(t.title) > 500:
            errors.append(f"Тема {t.number}: название длиннее 500 знаков.")
        if t.hours < 1 or t.hours > 40:
            errors.append(f"Тема {t.number}: часов от 1 до 40.")
        if t.planned_date and not (year.starts_on <= t.planned_date <= year.ends_on):
            errors.append(f"Тема {t.number}: плановая дата вне учебного года.")
        if t.work_type_id is not None and t.work_type_id not in work_types:
            errors.append(f"Тема {t.number}: неизвестный вид работы.")
    if not topics:
        errors.append("В плане нет ни одной темы.")
    if errors:
        raise ValidationFailed(errors[0], fields={"topics": errors})


def save_plan(actor: Person, school: School, *, school_class: SchoolClass, subject: Subject, topics: list[TopicData],
              subgroup: Subgroup | None = None) -> KtpPlan:
    """Creates the plan (of the class, or of one subgroup when the subject is taught in groups) or
    replaces its topics. Topics already matched to lessons keep their link when a topic with the
    same number remains. Audited with the topics before and after, and which numbers changed."""
    _may_edit(actor, school, school_class, subject, subgroup)
    ensure_writable(school)
    ensure_year_open(school_class.year_id)
    if subgroup is not None and subgroup.school_class_id != school_class.pk:
        raise ValidationFailed("Подгруппа из другого класса.", fields={"subgroup": ["Не из этого класса."]})
    _validate(school_class, topics)
    with transaction.atomic():
        plan, created = KtpPlan.objects.get_or_create(school_class=school_class, subject=subject, subgroup=subgroup,
                                                      defaults={"author": actor})
        existing = {t.number: t for t in plan.topics.select_for_update()}
        before = {n: _topic_state(t.title, t.hours, t.planned_date, t.work_type_id) for n, t in existing.items()}
        keep = {t.number for t in topics}
        removed = [t for n, t in existing.items() if n not in keep]
        if removed and Lesson.objects.filter(ktp_topic__in=removed).exists():
            raise ValidationFailed("Нельзя удалить темы, по которым уже проведены уроки.", code="topic_in_use")
        KtpTopic.objects.filter(pk__in=[t.pk for t in removed]).delete()
        after: dict[int, dict[str, Any]] = {}
        for t in topics:
            title = t.title.strip()
            after[t.number] = _topic_state(title, t.hours, t.planned_date, t.work_type_id)
            row = existing.get(t.number)
            if row is not None and before[t.number] == after[t.number]:
                continue  # unchanged: no write
            row = row or KtpTopic(plan=plan, number=t.number)
            row.title, row.hours, row.planned_date, row.work_type_id = title, t.hours, t.planned_date, t.work_type_id
            row.save()
        plan.save()
        changed = sorted(n for n in before.keys() & after.keys() if before[n] != after[n])
        added, dropped = sorted(after.keys() - before.keys()), sorted(before.keys() - after.keys())
        if created or changed or added or dropped:
            record(actor=actor, action="journal.ktp.save", school=school, obj=plan,
                   before={"topics": {str(n): before[n] for n in sorted(before)}} if not created else None,
                   after={"topics": {str(n): after[n] for n in sorted(after)}, "count": len(topics),
                          "hours": sum(t.hours for t in topics), "created": created, "subgroup": subgroup.pk if subgroup else None,
                          "changed": changed, "added": added, "removed": dropped})
    return plan


def _topic_state(title: str, hours: int, planned_date: dt.date | None, work_type_id: int | None) -> dict[str, Any]:
    return {"title": title, "hours": hours, "planned_date": planned_date.isoformat() if planned_date else None,
            "work_type": work_type_id}


@dataclass
class KtpProgress:
    plan: KtpPlan | None
    topics_total: int
    topics_delivered: int
    planned_hours: int
    lessons_given: int
    curriculum_hours_to_date: Decimal
    missed_topics: list[KtpTopic]

    @property
    def programme_share(self) -> int:
        return round(100 * self.topics_delivered / self.topics_total) if self.topics_total else 0

    @property
    def hours_share(self) -> int:
        if not self.curriculum_hours_to_date:
            return 0
        return round(100 * Decimal(self.lessons_given) / self.curriculum_hours_to_date)


def plan_for(school_class: SchoolClass, subject: Subject, subgroup: Subgroup | None = None) -> KtpPlan | None:
    """The plan a class (or a subgroup) follows: the subgroup's own, else the class's."""
    plans = {p.subgroup_id: p for p in KtpPlan.objects.filter(school_class=school_class, subject=subject)
             .filter(Q(subgroup__isnull=True) | Q(subgroup=subgroup) if subgroup else Q(subgroup__isnull=True))}
    return plans.get(subgroup.pk if subgroup else None) or plans.get(None)


def lessons_in_scope(school_class: SchoolClass, subject: Subject, subgroup: Subgroup | None) -> QuerySet[Lesson]:
    """The lessons a subgroup's students attend: their subgroup's and the whole class's."""
    qs = Lesson.objects.filter(school_class=school_class, subject=subject)
    return qs.filter(Q(subgroup=subgroup) | Q(subgroup__isnull=True)) if subgroup else qs


def progress(school_class: SchoolClass, subject: Subject, *, subgroup: Subgroup | None = None, on: dt.date | None = None) -> KtpProgress:
    """How much of the plan and of the curriculum hours has been delivered by `on`. For a subgroup
    (a language taught in two groups): its own plan (else the class's), and only the lessons its
    students attend (its own and the whole class's), so two groups are not counted twice. For the
    class as a whole, lessons held at the same time in several groups count once."""
    from schoolyear.calendar_service import SchoolCalendar

    today = on or rules.today()
    plan = plan_for(school_class, subject, subgroup)
    topics = list(plan.topics.all()) if plan else []
    scope = lessons_in_scope(school_class, subject, subgroup)
    delivered_ids = set(scope.filter(ktp_topic__in=topics).values_list("ktp_topic_id", flat=True)) if topics else set()
    given = scope.filter(date__lte=today)
    lessons_given = given.count() if subgroup else given.values("date", "lesson_number").distinct().count()
    hours = CurriculumLine.objects.filter(school_class=school_class, subject=subject).values_list("hours_per_week", flat=True).first()
    school_days = sum(1 for _ in SchoolCalendar.for_year(school_class.year).school_days(school_class.year.starts_on, today, school_class.grade))
    weeks = Decimal(school_days) / 5
    missed = [t for t in topics if t.planned_date and t.planned_date < today and t.pk not in delivered_ids]
    return KtpProgress(plan=plan, topics_total=len(topics), topics_delivered=len(delivered_ids),
                       planned_hours=sum(t.hours for t in topics), lessons_given=lessons_given,
                       curriculum_hours_to_date=(hours or Decimal(0)) * weeks, missed_topics=missed)


def missing_plans(school_class_ids: list[int] | None = None, *, on: dt.date | None = None) -> list[tuple[SchoolClass, Subject, bool]]:
    """Curriculum subjects of classes that have no plan yet, and whether the 15 October deadline passed."""
    today = on or rules.today()
    lines = CurriculumLine.objects.select_related("school_class__year", "subject")
    if school_class_ids is not None:
        lines = lines.filter(school_class_id__in=school_class_ids)
    planned = set(KtpPlan.objects.values_list("school_class_id", "subject_id"))
    result = []
    for line in lines.order_by("school_class__grade", "school_class__letter", "subject__name"):
        if (line.school_class_id, line.subject_id) in planned:
            continue
        due = dt.date(line.school_class.year.starts_on.year, *DUE_MONTH_DAY)
        result.append((line.school_class, line.subject, today > due))
    return result


def check_topic_matches(lesson_class_id: int, lesson_subject_id: int, topic_id: int) -> None:
    if not KtpTopic.objects.filter(pk=topic_id, plan__school_class_id=lesson_class_id, plan__subject_id=lesson_subject_id).exists():
        raise ValidationFailed("Тема не из КТП этого класса и предмета.", fields={"ktp_topic": ["Не из этого плана."]})
