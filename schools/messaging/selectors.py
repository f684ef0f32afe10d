"""Reads of the messaging app. Each page costs a fixed number of queries whatever the number of
conversations, messages or attachments: the school's rows first, then the people they name
(public schema) in one query."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Left

from accounts.models import Membership, Person

from . import rules
from .models import (
    AbuseReport,
    Announcement,
    AnnouncementRead,
    Attachment,
    Audience,
    Conversation,
    Message,
    Participant,
)

if TYPE_CHECKING:
    from accounts.selectors import Access
    from tenants.models import School

PREVIEW = 120


def is_participant(person_id: int, conversation_id: int) -> bool:
    return Participant.objects.filter(person_id=person_id, conversation_id=conversation_id).exists()


def admin_ids(school: School) -> set[int]:
    return set(Membership.objects.current().filter(school=school, role__in=sorted(rules.ADMIN_ROLES))
               .values_list("person_id", flat=True))


def people(ids: Iterable[int]) -> dict[int, Person]:
    ids = set(ids)
    return Person.objects.in_bulk(ids) if ids else {}


# --- inbox ------------------------------------------------------------------------------------------

@dataclass
class InboxRow:
    conversation: Conversation
    unread: int
    preview: str
    last_author_id: int | None
    others: list[Person] = field(default_factory=list)

    @property
    def title(self) -> str:
        return self.conversation.subject or ", ".join(p.short_name for p in self.others) or "Без темы"


def _unread_filter(prefix: str = "") -> Q:
    """Messages of the conversation newer than the participant's read mark, not their own."""
    return ((Q(**{f"{prefix}conversation__messages__created_at__gt": F(f"{prefix}last_read_at")})
             | Q(**{f"{prefix}last_read_at__isnull": True}))
            & ~Q(**{f"{prefix}conversation__messages__author_id": F(f"{prefix}person_id")}))


def inbox(person_id: int, *, limit: int = 50, offset: int = 0) -> list[InboxRow]:
    """The person's conversations, newest first, with unread counts and the last message. Three queries."""
    newest = Message.objects.filter(conversation_id=OuterRef("conversation_id")).order_by("-created_at", "-pk")
    rows = list(
        Participant.objects.filter(person_id=person_id)
        .select_related("conversation")
        .annotate(unread=Count("conversation__messages", filter=_unread_filter()),
                  preview=Subquery(newest.annotate(short=Left("body", PREVIEW)).values("short")[:1]),
                  last_author_id=Subquery(newest.values("author_id")[:1]))
        .order_by("-conversation__last_message_at", "-conversation_id")[offset:offset + limit]
    )
    ids = [r.conversation_id for r in rows]
    links = list(Participant.objects.filter(conversation_id__in=ids).exclude(person_id=person_id).values_list("conversation_id", "person_id"))
    persons = people(pid for _, pid in links)
    others: dict[int, list[Person]] = {}
    for conversation_id, pid in links:
        if pid in persons:
            others.setdefault(conversation_id, []).append(persons[pid])
    result = []
    for r in rows:
        a: Any = r
        result.append(InboxRow(conversation=r.conversation, unread=a.unread, preview=a.preview or "", last_author_id=a.last_author_id,
                               others=sorted(others.get(r.conversation_id, []), key=lambda p: (p.surname, p.name))))
    return result


def unread_count(person_id: int) -> int:
    """Unread messages in all the person's conversations in the selected school. One query."""
    total = Participant.objects.filter(person_id=person_id).aggregate(n=Count("conversation__messages", filter=_unread_filter()))["n"]
    return int(total or 0)


# --- one conversation ---------------------------------------------------------------------------------

@dataclass
class MessageRow:
    message: Message
    author: Person | None
    read_by: int  # how many of the other participants have read it
    of: int  # how many other participants there are
    reported: bool  # by the viewer

    @property
    def read_label(self) -> str:
        if self.of == 0:
            return ""
        if self.read_by == self.of:
            return "прочитано"
        if self.read_by == 0:
            return "доставлено"
        return f"прочитали {self.read_by} из {self.of}"


@dataclass
class ConversationView:
    conversation: Conversation
    participants: list[Participant]
    persons: dict[int, Person]
    rows: list[MessageRow]
    more_before: bool


def conversation_view(conversation: Conversation, viewer_id: int, *, limit: int = 200) -> ConversationView:
    """The newest `limit` messages with attachments, authors and read marks. Five queries."""
    participants = list(Participant.objects.filter(conversation=conversation))
    newest_first = list(Message.objects.filter(conversation=conversation).order_by("-created_at", "-pk")
                        .prefetch_related(Prefetch("attachments", queryset=Attachment.objects.order_by("pk")))[: limit + 1])
    more = len(newest_first) > limit
    messages = list(reversed(newest_first[:limit]))
    persons = people({p.person_id for p in participants} | {m.author_id for m in messages})
    reported = set(AbuseReport.objects.filter(reporter_id=viewer_id, message__in=[m.pk for m in messages]).values_list("message_id", flat=True))
    rows = []
    for m in messages:
        others = [p for p in participants if p.person_id != m.author_id]
        read_by = sum(1 for p in others if p.last_read_at is not None and p.last_read_at >= m.created_at)
        rows.append(MessageRow(message=m, author=persons.get(m.author_id), read_by=read_by, of=len(others), reported=m.pk in reported))
    return ConversationView(conversation=conversation, participants=participants, persons=persons, rows=rows, more_before=more)


# --- announcements --------------------------------------------------------------------------------------

def _family_class_ids(person_id: int, roles: set[str]) -> set[int]:
    from accounts.roles import Role
    from roster.models import Enrolment, Guardianship

    students: set[int] = set()
    if Role.STUDENT in roles:
        students.add(person_id)
    if Role.PARENT in roles:
        students |= set(Guardianship.objects.filter(parent_id=person_id).values_list("student_id", flat=True))
    if not students:
        return set()
    return set(Enrolment.objects.filter(student_id__in=students, until__isnull=True).values_list("school_class_id", flat=True))


def announcements_for(person: Person, access: Access, school: School) -> QuerySet[Announcement]:
    """What the person may read: the administration reads every announcement; others the school's,
    their own, and those of the classes where they study, their children study or they lead."""
    from roster.models import SchoolClass

    roles = rules.roles_here(access, school)
    qs = Announcement.objects.select_related("school_class").order_by("-created_at", "-pk")
    if rules.is_admin(roles):
        return qs
    if not roles:
        return qs.none()
    classes = _family_class_ids(person.pk, roles)
    if rules.is_staff(roles):
        entry = access.schools.get(school.pk)
        classes |= set(entry.class_teacher_of) if entry else set()
        classes |= set(SchoolClass.objects.filter(class_teacher_id=person.pk).values_list("pk", flat=True))
    return qs.filter(Q(audience=Audience.SCHOOL) | Q(author_id=person.pk) | Q(school_class_id__in=sorted(classes)))


def announcement_recipient_ids(announcement: Announcement, school: School) -> set[int]:
    """Exactly who is addressed: every current member of the school, or the class's current
    students and their legal representatives who hold a role in the school. The author excluded."""
    from roster.models import Enrolment, Guardianship

    if announcement.audience == Audience.SCHOOL:
        ids = rules.current_member_ids(school)
    else:
        students = set(Enrolment.objects.filter(school_class_id=announcement.school_class_id, until__isnull=True)
                       .values_list("student_id", flat=True))
        parents = set(Guardianship.objects.filter(student_id__in=students).values_list("parent_id", flat=True))
        ids = rules.current_member_ids(school, students | parents)
    ids.discard(announcement.author_id)
    return ids


@dataclass
class AnnouncementRow:
    announcement: Announcement
    author: Person | None
    read: bool
    read_count: int


def announcement_rows(qs: QuerySet[Announcement], viewer_id: int, *, limit: int = 50) -> list[AnnouncementRow]:
    """A page of announcements with authors, the viewer's read mark and how many read each. Three queries."""
    items = list(qs.annotate(read_count=Count("reads"))[:limit])
    mine = set(AnnouncementRead.objects.filter(person_id=viewer_id, announcement__in=[a.pk for a in items])
               .values_list("announcement_id", flat=True))
    persons = people(a.author_id for a in items)
    return [AnnouncementRow(announcement=a, author=persons.get(a.author_id), read=a.pk in mine, read_count=getattr(a, "read_count", 0))
            for a in items]


def unread_announcements(person: Person, access: Access, school: School) -> int:
    qs = announcements_for(person, access, school).exclude(author_id=person.pk)
    return qs.exclude(reads__person_id=person.pk).count()


# --- abuse reports ----------------------------------------------------------------------------------------

@dataclass
class ReportRow:
    report: AbuseReport
    reporter: Person | None
    author: Person | None
    resolved_by: Person | None


def report_rows(*, open_only: bool = False, limit: int = 100) -> list[ReportRow]:
    """Reports with the reported message and its attachments. Three queries."""
    qs = (AbuseReport.objects.select_related("message")
          .prefetch_related(Prefetch("message__attachments", queryset=Attachment.objects.order_by("pk")))
          .order_by(F("resolved_at").desc(nulls_first=True), "-created_at"))
    if open_only:
        qs = qs.filter(resolved_at__isnull=True)
    items = list(qs[:limit])
    persons = people({r.reporter_id for r in items} | {r.message.author_id for r in items}
                     | {r.resolved_by_id for r in items if r.resolved_by_id})
    return [ReportRow(report=r, reporter=persons.get(r.reporter_id), author=persons.get(r.message.author_id),
                      resolved_by=persons.get(r.resolved_by_id) if r.resolved_by_id else None) for r in items]


def open_report_count() -> int:
    """Reports the administration has not closed yet: the count on its tab. One query."""
    return AbuseReport.objects.filter(resolved_at__isnull=True).count()


def attachment_reported(attachment: Attachment) -> bool:
    return AbuseReport.objects.filter(message_id=attachment.message_id).exists()


# --- the recipient picker --------------------------------------------------------------------------------

@dataclass
class Candidate:
    person: Person
    reasons: list[str]


def candidates(circle: rules.Circle, school: School, *, q: str = "", class_id: int | None = None, limit: int = 200) -> list[Candidate]:
    """People the circle's owner may write to, with why. For staff (the whole school) the list is
    narrowed by a name search or a class (its students, their parents) and capped. Constant queries."""
    from accounts.roles import Role
    from roster.models import Enrolment, Guardianship

    members = Membership.objects.current().filter(school=school).exclude(person_id=circle.person_id)
    reasons: dict[int, list[str]] = {}
    if circle.everyone:
        if class_id is not None:
            students = set(Enrolment.objects.filter(school_class_id=class_id, until__isnull=True).values_list("student_id", flat=True))
            parents = set(Guardianship.objects.filter(student_id__in=students).values_list("parent_id", flat=True))
            members = members.filter(person_id__in=sorted(students | parents))
        elif not q:
            members = members.exclude(role__in=[Role.PARENT, Role.STUDENT])  # staff by default; families by class or search
    else:
        members = members.filter(person_id__in=sorted(circle.reasons))
    rows = list(members.values_list("person_id", "role"))
    for pid, role in rows:
        reasons.setdefault(pid, [])
        label = str(Role(role).label).lower()
        if circle.everyone and label not in reasons[pid]:
            reasons[pid].append(label)
    found = Person.objects.filter(pk__in=list(reasons), is_active=True)
    for word in q.split()[:3]:
        found = found.filter(Q(surname__icontains=word) | Q(name__icontains=word) | Q(patronymic__icontains=word))
    result = [Candidate(person=p, reasons=circle.reasons.get(p.pk, []) if not circle.everyone else reasons[p.pk])
              for p in found.order_by("surname", "name", "patronymic")[:limit]]
    if not circle.everyone:  # a family sees the class teacher first, then the teachers, then the administration
        result.sort(key=lambda c: min((_RANK.get(r.split(" ")[0], 9) for r in c.reasons), default=9))
    return result


_RANK = {"классный": 0, "учитель": 1, "администрация": 2, "родитель": 3}
