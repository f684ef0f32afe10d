"""Extracurricular activities (внеурочная деятельность, R-J15; 002 §3.1): their own
groups, programmes, topics and attendance, without marks."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from accounts.models import Membership
from accounts.roles import STAFF_ROLES, Perm
from accounts.selectors import access_for
from accounts.services import ensure_writable
from audit.services import record
from core.errors import PermissionDenied, ValidationFailed
from roster.models import Enrolment
from schoolyear.guards import ensure_year_open
from schoolyear.models import AcademicYear

from . import rules
from .models import ActivityAbsence, ActivityGroup, ActivityMember, ActivitySession

if TYPE_CHECKING:
    from accounts.models import Person
    from tenants.models import School


def create_group(actor: Person, school: School, *, year: AcademicYear, name: str, teacher: Person, programme: str = "",
                 hours_per_week: Decimal = Decimal(1), student_ids: list[int] | None = None) -> ActivityGroup:
    if not access_for(actor).can(Perm.MANAGE_CURRICULUM, school):
        raise PermissionDenied("Группы внеурочной деятельности создаёт заместитель директора.")
    ensure_writable(school)
    ensure_year_open(year)
    if not name.strip():
        raise ValidationFailed("Укажите название.", fields={"name": ["Обязательное поле."]})
    if not Membership.objects.current().filter(person=teacher, school=school, role__in=[r.value for r in STAFF_ROLES]).exists():
        raise ValidationFailed("Руководитель группы — не сотрудник этой школы.", fields={"teacher": ["Не сотрудник школы."]})
    students = set(student_ids or [])
    enrolled = set(Enrolment.objects.filter(student_id__in=students, school_class__year=year, until__isnull=True)
                   .values_list("student_id", flat=True))
    if students - enrolled:
        raise ValidationFailed("Не все отмеченные — обучающиеся школы в этом году.", fields={"students": ["Не обучающиеся."]})
    try:
        with transaction.atomic():
            group = ActivityGroup.objects.create(year=year, name=name.strip(), teacher=teacher, programme=programme.strip(),
                                                 hours_per_week=hours_per_week)
            ActivityMember.objects.bulk_create([ActivityMember(group=group, student_id=s) for s in sorted(students)])
            record(actor=actor, action="journal.activity.create", school=school, obj=group,
                   after={"name": group.name, "teacher": teacher.pk, "members": len(students)})
    except IntegrityError as exc:
        raise ValidationFailed("Группа с таким названием уже есть.", fields={"name": ["Уже есть."]}) from exc
    return group


def record_session(actor: Person, school: School, group: ActivityGroup, *, date: dt.date, topic: str,
                   absent_ids: list[int]) -> ActivitySession:
    """A session's topic and who was absent; no marks. The journal's 7-day lock applies."""
    if group.teacher_id != actor.pk:
        raise PermissionDenied("Занятие записывает руководитель группы.")
    ensure_writable(school)
    ensure_year_open(group.year_id)
    rules.ensure_not_locked(date)
    if not topic.strip():
        raise ValidationFailed("Укажите тему занятия.", fields={"topic": ["Обязательное поле."]})
    members = set(group.members.values_list("student_id", flat=True))
    if set(absent_ids) - members:
        raise ValidationFailed("Отмечены не участники группы.", fields={"absent": ["Не из группы."]})
    with transaction.atomic():
        session, _ = ActivitySession.objects.update_or_create(group=group, date=date, defaults={"topic": topic.strip(), "created_by": actor})
        session.absences.all().delete()
        ActivityAbsence.objects.bulk_create([ActivityAbsence(session=session, student_id=s) for s in sorted(set(absent_ids))])
        record(actor=actor, action="journal.activity.session", school=school, obj=session,
               after={"topic": session.topic, "absent": sorted(set(absent_ids))})
    return session
