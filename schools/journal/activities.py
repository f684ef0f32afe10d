"""Extracurricular activities (внеурочная деятельность, R-J15; 002 §3.1): their own
groups, programmes, topics and attendance, without marks.

Members are dated like enrolments (`since` and `until` both inclusive): a student who leaves keeps
their row, so the sessions they attended or missed stay theirs; a session's absentees must be
members on its date."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet

from accounts.models import Membership
from accounts.roles import STAFF_ROLES, Perm
from accounts.selectors import access_for
from accounts.services import ensure_writable
from audit.services import record, snapshot
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
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
            # The first members belong to the group from its start (no `since`).
            ActivityMember.objects.bulk_create([ActivityMember(group=group, student_id=s) for s in sorted(students)])
            record(actor=actor, action="journal.activity.create", school=school, obj=group,
                   after={"name": group.name, "teacher": teacher.pk, "members": len(students)})
    except IntegrityError as exc:
        raise ValidationFailed("Группа с таким названием уже есть.", fields={"name": ["Уже есть."]}) from exc
    return group


def record_session(actor: Person, school: School, group: ActivityGroup, *, date: dt.date, topic: str,
                   absent_ids: list[int]) -> ActivitySession:
    """A session's topic and who was absent; no marks. The journal's 7-day lock applies. Saving a
    date again replaces its topic and absentees, audited with both (before and after)."""
    if group.teacher_id != actor.pk:
        raise PermissionDenied("Занятие записывает руководитель группы.")
    ensure_writable(school)
    ensure_year_open(group.year_id)
    rules.ensure_not_locked(date)
    if not topic.strip():
        raise ValidationFailed("Укажите тему занятия.", fields={"topic": ["Обязательное поле."]})
    members = set(members_on(group, date).values_list("student_id", flat=True))
    if set(absent_ids) - members:
        raise ValidationFailed("Отмечены не участники группы на дату занятия.", fields={"absent": ["Не из группы."]})
    with transaction.atomic():
        old = ActivitySession.objects.select_for_update().filter(group=group, date=date).first()
        before = ({"topic": old.topic, "absent": sorted(old.absences.values_list("student_id", flat=True))}
                  if old is not None else None)
        session, _ = ActivitySession.objects.update_or_create(group=group, date=date, defaults={"topic": topic.strip(), "created_by": actor})
        session.absences.all().delete()
        ActivityAbsence.objects.bulk_create([ActivityAbsence(session=session, student_id=s) for s in sorted(set(absent_ids))])
        after = {"topic": session.topic, "absent": sorted(set(absent_ids))}
        if after != before:
            record(actor=actor, action="journal.activity.session", school=school, obj=session, before=before, after=after)
    return session


# --- members (dated; history kept) -------------------------------------------------------------------

MEMBER_AUDITED = ["group", "student", "since", "until"]


def members_on(group: ActivityGroup | int, day: dt.date) -> QuerySet[ActivityMember]:
    """The group's members on a day."""
    return ActivityMember.objects.filter(Q(until__isnull=True) | Q(until__gte=day), Q(since__isnull=True) | Q(since__lte=day), group=group)


def _ensure_may_manage_members(actor: Person, school: School, group: ActivityGroup) -> None:
    """The deputy (who forms the groups) or the group's leader."""
    if not (group.teacher_id == actor.pk or access_for(actor).can(Perm.MANAGE_CURRICULUM, school)):
        raise PermissionDenied("Состав группы меняет руководитель группы или заместитель директора.")
    ensure_writable(school)
    ensure_year_open(group.year_id)


def _ensure_change_date(group: ActivityGroup, on: dt.date) -> None:
    """Within the group's year, and not before the journal's lock (R-J07): a date past the lock
    would change who was at sessions that can no longer be corrected."""
    year = group.year
    if not year.starts_on <= on <= year.ends_on:
        raise ValidationFailed(f"Дата вне учебного года {year.name}.", fields={"on": ["Вне учебного года."]})
    if on <= rules.today():
        rules.ensure_not_locked(on)


def add_member(actor: Person, school: School, group: ActivityGroup, *, student_id: int, on: dt.date, reason: str = "") -> ActivityMember:
    """The student joins the group on `on` (a first day; may be a coming date)."""
    _ensure_may_manage_members(actor, school, group)
    _ensure_change_date(group, on)
    enrolled = Enrolment.objects.filter(Q(until__isnull=True) | Q(until__gte=on), student_id=student_id, school_class__year_id=group.year_id,
                                        since__lte=on).exists()
    if not enrolled:
        raise ValidationFailed("Это не обучающийся школы в этом учебном году.", fields={"student": ["Не обучающийся."]})
    try:
        with transaction.atomic():
            rows = list(ActivityMember.objects.select_for_update().filter(group=group, student_id=student_id))
            if any(r.until is None for r in rows):
                raise Conflict("Обучающийся уже в группе.", code="already_member", fields={"student": ["Уже в группе."]})
            last = max((r.until for r in rows if r.until is not None), default=None)
            if last is not None and on <= last:
                raise ValidationFailed(f"Обучающийся был в группе по {last:%d.%m.%Y}: вернуться можно со следующего дня.",
                                       fields={"on": ["Пересекается с прежним участием."]})
            member = ActivityMember.objects.create(group=group, student_id=student_id, since=on)
            record(actor=actor, action="journal.activity.member_add", school=school, obj=member, before=None,
                   after=snapshot(member, MEMBER_AUDITED), reason=reason)
    except IntegrityError as exc:  # added at the same moment by somebody else
        raise Conflict("Обучающийся уже в группе.", code="already_member") from exc
    return member


def remove_member(actor: Person, school: School, group: ActivityGroup, *, student_id: int, on: dt.date,
                  reason: str = "") -> ActivityMember | None:
    """The student leaves the group from `on` (their last day is the day before). Their row stays,
    so their past sessions and absences stay theirs. A member added by mistake (leaving on the day
    they joined, no session of the group since) is removed outright. Returns the closed row."""
    _ensure_may_manage_members(actor, school, group)
    _ensure_change_date(group, on)
    with transaction.atomic():
        member = ActivityMember.objects.select_for_update().filter(group=group, student_id=student_id, until__isnull=True).first()
        if member is None:
            raise NotFound("Обучающийся не состоит в группе.")
        if member.since is not None and on < member.since:
            raise ValidationFailed(f"Обучающийся в группе с {member.since:%d.%m.%Y}: дата выхода не раньше.",
                                   fields={"on": ["Раньше начала участия."]})
        missed = (ActivityAbsence.objects.filter(session__group=group, session__date__gte=on, student_id=student_id)
                  .values_list("session__date", flat=True).order_by("session__date").first())
        if missed is not None:
            raise ValidationFailed(f"Обучающийся отмечен на занятии {missed:%d.%m.%Y}: сначала исправьте это занятие или "
                                   "укажите дату выхода позже.", code="has_sessions", fields={"on": ["Есть отметки после даты."]})
        before = snapshot(member, MEMBER_AUDITED)
        if on == member.since or (member.since is None and on == group.year.starts_on):
            if group.sessions.filter(date__gte=on).exists():
                raise ValidationFailed("С даты начала участия уже были занятия: укажите дату выхода позже.",
                                       fields={"on": ["Были занятия."]})
            record(actor=actor, action="journal.activity.member_remove", school=school, obj=member, before=before, after=None,
                   reason=reason or "добавлен по ошибке")
            member.delete()
            return None
        member.until = on - dt.timedelta(days=1)
        member.save(update_fields=["until"])
        record(actor=actor, action="journal.activity.member_remove", school=school, obj=member, before=before,
               after=snapshot(member, MEMBER_AUDITED), reason=reason)
    return member
