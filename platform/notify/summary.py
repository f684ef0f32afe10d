"""The daily summary (R-D03, 003 §4.2: informing is daily): for each family person whose chosen
time has come and who has had no summary today, the marks, absences and homework of their
children entered since their previous summary, across every school of theirs.

Per school it runs a fixed number of queries (guardianship, marks, absences, enrolments,
lessons with homework, homework files, individual homework, subgroup members), whatever the
number of families; the teacher's notebook (journal.NotebookEntry, R-J10) is never read.

A summary covers the changes stamped up to SAFETY_MARGIN before it is built (`covers_until`),
and the next one starts there: a mark is stamped when it is saved but seen by others only when
its transaction commits, so a window ending at "now" could miss a mark stamped just before and
committed just after, for good."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Max, OuterRef, Q, Subquery
from django.utils import timezone

from accounts.models import Person
from tenants.db import use_public, use_school
from tenants.models import School

from .family import children_in_schema, family_memberships
from .models import Notice, NoticeKind
from .outbox import Draft, enqueue, settings_of

SAFETY_MARGIN = dt.timedelta(minutes=3)  # far longer than any journal transaction
DEMO_MARGIN = dt.timedelta(seconds=10)  # `send_summaries --now`: the mark a teacher entered a moment ago is in
LOOKBACK = dt.timedelta(days=7)  # a family away for longer starts afresh, not with a month of marks
CHUNK = 1000


@dataclass
class ChildNews:
    student_id: int
    school: str
    marks: list[dict[str, Any]] = field(default_factory=list)
    absences: list[dict[str, Any]] = field(default_factory=list)
    homework: list[dict[str, Any]] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.marks or self.absences or self.homework)


@dataclass
class BuildResult:
    considered: int = 0
    created: int = 0
    empty: int = 0


def site_url() -> str:
    return str(getattr(settings, "NOTIFY_SITE_URL", "http://localhost:8000")).rstrip("/")


def build_summaries(now: dt.datetime | None = None, *, person_ids: list[int] | None = None,
                    ignore_time: bool = False, margin: dt.timedelta | None = None) -> BuildResult:
    """Builds the summaries that are due at `now`. Safe to run any number of times: a family
    gets at most one summary a day (the notice key is the day), and each change is reported
    once (the next summary starts where the previous one ended). `ignore_time` (the demo's
    command) builds them now for everybody who has not had today's, with the short DEMO_MARGIN
    unless `margin` is given."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    today = local.date()
    use_public()
    by_school = family_memberships(today, person_ids)
    everyone = {p for people in by_school.values() for p in people}
    prefs = settings_of(everyone)
    due = {p for p in everyone if prefs[p].daily_summary and (ignore_time or prefs[p].summary_time <= local.time())}
    due -= set(Notice.objects.filter(kind=NoticeKind.SUMMARY, key=today.isoformat(), recipient_id__in=due)
               .values_list("recipient_id", flat=True))
    result = BuildResult(considered=len(due))
    if not due:
        return result
    until = now - (margin if margin is not None else DEMO_MARGIN if ignore_time else SAFETY_MARGIN)
    # With no summary before, from the previous midnight: an evening with nothing new leaves no
    # notice, so a change stamped after that day's last run (or inside its margin) is in the
    # next day's summary, not lost; nothing of it was reported before.
    midnight = timezone.make_aware(dt.datetime.combine(today - dt.timedelta(days=1), dt.time(0, 0)))
    starts = {p: midnight for p in due}
    for row in (Notice.objects.filter(kind=NoticeKind.SUMMARY, recipient_id__in=due)
                .values("recipient_id").annotate(last=Max("covers_until"))):
        if row["last"] is not None:
            starts[row["recipient_id"]] = max(row["last"], now - LOOKBACK)
    news: dict[int, list[ChildNews]] = defaultdict(list)
    schools = School.objects.in_bulk(list(by_school))
    try:
        for school_id, people in by_school.items():
            mine = {p: roles for p, roles in people.items() if p in due}
            if mine:
                _collect_school(schools[school_id], mine, starts, until, today, news)
    finally:
        use_public()
    names = {pk: f"{s} {n}" for pk, s, n in Person.objects.filter(
        pk__in={c.student_id for items in news.values() for c in items}).values_list("pk", "surname", "name")}
    drafts = []
    for person_id in sorted(due):
        items = [c for c in news.get(person_id, []) if c]
        if not items:
            result.empty += 1
            continue
        drafts.append(_draft(person_id, today, until, items, names))
    for i in range(0, len(drafts), CHUNK):
        enqueue(drafts[i:i + CHUNK], now=now, prefs=prefs)
    result.created = len(drafts)
    return result


def _collect_school(school: School, roles_by_person: dict[int, set[str]], starts: dict[int, dt.datetime],
                    now: dt.datetime, today: dt.date, news: dict[int, list[ChildNews]]) -> None:
    """`now`: the end of the window (the summary's time less SAFETY_MARGIN)."""
    from journal.models import AttachmentPurpose, Attendance, IndividualHomework, Lesson, LessonAttachment, Mark
    from roster.models import Enrolment, SubgroupMember

    from .models import IndividualHomeworkChange

    use_school(school)
    children = children_in_schema(roles_by_person)
    students = {s for kids in children.values() for s in kids}
    if not students:
        return
    since = min(starts[p] for p in children)
    # (changed at, what, created at): a mark created before the family's previous summary and
    # changed since is reported as corrected.
    per_student: dict[int, dict[str, list[tuple[dt.datetime, dict[str, Any], dt.datetime | None]]]] = \
        defaultdict(lambda: defaultdict(list))

    marks = (Mark.objects.filter(student_id__in=students, updated_at__gt=since, updated_at__lte=now)
             .values_list("student_id", "kind", "value", "updated_at", "created_at", "work__lesson__date",
                          "work__lesson__subject__name", "work__work_type__name"))
    display = {"pass": "зач", "fail": "незач", "exempt": "осв"}
    for student_id, kind, value, at, created, date, subject, work_type in marks:
        per_student[student_id]["marks"].append((at, {"subject": subject, "date": date.isoformat(), "work": work_type,
                                                      "mark": str(value) if kind == "grade" else display.get(kind, kind)},
                                                 created))

    absences = (Attendance.objects.filter(student_id__in=students, created_at__gt=since, created_at__lte=now)
                .values_list("student_id", "status", "created_at", "lesson__date", "lesson__lesson_number", "lesson__subject__name"))
    for student_id, status, at, date, number, subject in absences:
        per_student[student_id]["absences"].append((at, {"subject": subject, "date": date.isoformat(), "lesson_number": number,
                                                         "status": status}, None))

    enrolled: dict[int, set[int]] = defaultdict(set)
    for student_id, class_id in (Enrolment.objects.filter(student_id__in=students, since__lte=today)
                                 .filter(Q(until__isnull=True) | Q(until__gte=today)).values_list("student_id", "school_class_id")):
        enrolled[class_id].add(student_id)
    # Homework: a lesson whose text changed, or to which a homework file was added, in the window
    # (a homework that is only a file has no text); with the names of its homework files.
    homework: dict[int, dict[str, Any]] = {}
    for lesson_id, class_id, subgroup_id, at, date, subject, text in (
            Lesson.objects.filter(school_class_id__in=list(enrolled), updated_at__gt=since, updated_at__lte=now)
            .exclude(homework="").values_list("id", "school_class_id", "subgroup_id", "updated_at", "date", "subject__name", "homework")):
        homework[lesson_id] = {"class": class_id, "subgroup": subgroup_id, "at": at, "date": date, "subject": subject, "text": text,
                               "files": []}
    # Nothing stamped after the window's end (inside the margin): the next summary has it (R-D03).
    files = (LessonAttachment.objects.filter(purpose=AttachmentPurpose.HOMEWORK, lesson__school_class_id__in=list(enrolled),
                                             uploaded_at__lte=now)
             .filter(Q(uploaded_at__gt=since) | Q(lesson_id__in=list(homework)))
             .order_by("lesson_id", "pk")
             .values_list("lesson_id", "lesson__school_class_id", "lesson__subgroup_id", "uploaded_at", "lesson__updated_at",
                          "lesson__date", "lesson__subject__name", "lesson__homework", "name"))
    for lesson_id, class_id, subgroup_id, at, updated, date, subject, text, name in files:
        entry = homework.get(lesson_id)
        if entry is None and text and updated > now:
            # Its text was saved after the window's end: the next summary lists the lesson by its
            # text, with this file, so tonight's does not (it would be listed twice).
            continue
        if entry is None:
            entry = homework[lesson_id] = {"class": class_id, "subgroup": subgroup_id, "at": at, "date": date, "subject": subject,
                                           "text": text, "files": []}
        elif since < at <= now:
            entry["at"] = max(entry["at"], at)
        entry["files"].append(name)
    # A child's individual homework (journal.IndividualHomework keeps no time: notify notes it).
    changed = IndividualHomeworkChange.objects.filter(school_schema=school.schema_name, lesson_id=OuterRef("lesson_id"),
                                                      student_id=OuterRef("student_id"), changed_at__gt=since, changed_at__lte=now)
    individual = (IndividualHomework.objects.filter(student_id__in=students)
                  .annotate(changed_at=Subquery(changed.values("changed_at")[:1])).filter(changed_at__isnull=False)
                  .values_list("student_id", "changed_at", "lesson__date", "lesson__subject__name", "text"))
    for student_id, at, date, subject, text in individual:
        per_student[student_id]["homework"].append(
            (at, {"subject": subject, "date": date.isoformat(), "text": text, "individual": True}, None))
    members: dict[int, set[int]] = defaultdict(set)
    subgroup_ids = {entry["subgroup"] for entry in homework.values() if entry["subgroup"]}
    if subgroup_ids:
        for subgroup_id, student_id in SubgroupMember.objects.filter(subgroup_id__in=subgroup_ids).values_list("subgroup_id", "student_id"):
            members[subgroup_id].add(student_id)
    for entry in homework.values():
        class_id, subgroup_id = entry["class"], entry["subgroup"]
        item = {"subject": entry["subject"], "date": entry["date"].isoformat(), "text": entry["text"]}
        if entry["files"]:
            item["files"] = entry["files"]
        for student_id in enrolled[class_id] if not subgroup_id else enrolled[class_id] & members[subgroup_id]:
            per_student[student_id]["homework"].append((entry["at"], item, None))

    for person_id, kids in children.items():
        start = starts[person_id]
        for student_id in sorted(kids):
            found = per_student.get(student_id)
            if not found:
                continue
            child = ChildNews(student_id=student_id, school=school.short_name)
            for what in ("marks", "absences", "homework"):
                getattr(child, what).extend(
                    dict(item, corrected=True) if created is not None and created <= start else item
                    for at, item, created in sorted(found.get(what, []), key=lambda x: x[0]) if at > start)
            if child:
                news[person_id].append(child)


def _plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return f"{n} {one}"
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return f"{n} {few}"
    return f"{n} {many}"


def _ddmm(iso: str) -> str:
    return f"{iso[8:10]}.{iso[5:7]}"


def _homework_line(h: dict[str, Any]) -> str:
    what = ", личное задание" if h.get("individual") else ""
    parts = [h["text"]] if h.get("text") else []
    if h.get("files"):
        parts.append("файлы: " + ", ".join(h["files"]))
    return f"  • {h['subject']} ({_ddmm(h['date'])}){what}: " + "; ".join(parts)


def _draft(person_id: int, today: dt.date, now: dt.datetime, items: list[ChildNews], names: dict[int, str]) -> Draft:
    marks = sum(len(c.marks) for c in items)
    absences = sum(len(c.absences) for c in items)
    homework = sum(len(c.homework) for c in items)
    parts = [p for n, p in ((marks, _plural(marks, "отметка", "отметки", "отметок")),
                            (absences, _plural(absences, "пропуск", "пропуска", "пропусков")),
                            (homework, _plural(homework, "задание", "задания", "заданий"))) if n]
    title = f"Дневник за {today:%d.%m}: " + ", ".join(parts)
    lines = [f"Дневник за {today:%d.%m.%Y}", ""]
    children = []
    for child in items:
        name = names.get(child.student_id, "")
        lines.append(f"{name} ({child.school})")
        if child.marks:
            lines.append("Отметки:")
            lines.extend(f"  • {m['subject']}, {_ddmm(m['date'])} — {m['mark']} ({m['work']})"
                         + (" — исправлена" if m.get("corrected") else "") for m in child.marks)
        if child.absences:
            lines.append("Пропуски и опоздания:")
            lines.extend(f"  • {a['subject']}, {_ddmm(a['date'])}, {a['lesson_number']}-й урок — "
                         f"{'отсутствие' if a['status'] == 'absent' else 'опоздание'}" for a in child.absences)
        if child.homework:
            lines.append("Домашнее задание:")
            lines.extend(_homework_line(h) for h in child.homework)
        lines.append("")
        children.append({"student_id": child.student_id, "name": name, "school": child.school, "marks": child.marks,
                         "absences": child.absences, "homework": child.homework})
    lines.append(f"Электронный дневник: {site_url()}/home/")
    lines.append(f"Настроить оповещения: {site_url()}/notify/")
    return Draft(recipient_id=person_id, kind=NoticeKind.SUMMARY, key=today.isoformat(), title=title, body="\n".join(lines),
                 payload={"date": today.isoformat(), "children": children}, covers_until=now)
