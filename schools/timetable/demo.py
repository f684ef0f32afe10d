"""Demo data of this app for `manage.py seed_demo`: one bell schedule, a full clash-free weekly
timetable for every class that matches its curriculum and teaching load, a few school and
class events and substitutions for the coming days.

The timetable is built class by class as a small max-flow problem (subject → subject on a
day → free lesson slot): every lesson gets a slot where its teacher (and the gym) is free,
no subject appears more often a day than it must, and each class's day is a row of lessons
without gaps. It takes milliseconds per school."""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict, deque
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from core.errors import DomainError
from curriculum.models import CurriculumLine, CurriculumPart, TeachingAssignment
from schoolyear.models import WeekLength

from .models import Bell, BellSchedule, Event, EventKind, TimetableEntry

BELLS = [("08:30", "09:15"), ("09:25", "10:10"), ("10:30", "11:15"), ("11:35", "12:20"), ("12:30", "13:15"),
         ("13:25", "14:10"), ("14:20", "15:05"), ("15:15", "16:00")]
IN_TIMETABLE_EXTRACURRICULAR = "Разговоры о важном"  # every Monday, first lesson, by the class teacher
SCHOOL_EVENTS = [
    ("Торжественная линейка «День знаний»", (9, 1), "09:00", "Школьный двор"),
    ("Осенний легкоатлетический кросс", (9, 18), "10:00", "Стадион"),
    ("Концерт ко Дню учителя", (10, 2), "13:30", "Актовый зал"),
    ("Новогодний праздник", (12, 25), "15:00", "Актовый зал"),
    ("Праздник «Последний звонок»", (5, 25), "10:00", "Школьный двор"),
]
CLASS_EVENTS = [
    (5, "Экскурсия в краеведческий музей", (10, 15), "11:00", "Краеведческий музей"),
    (9, "Родительское собрание: подготовка к ОГЭ", (12, 10), "18:00", "Кабинет классного руководителя"),
    (11, "Итоговое сочинение (изложение)", (12, 2), "10:00", "Актовый зал"),
    (1, "Посвящение в первоклассники", (10, 9), "12:00", "Актовый зал"),
]


def _time(text: str) -> dt.time:
    hours, minutes = text.split(":")
    return dt.time(int(hours), int(minutes))


def seed_school(ctx: dict[str, Any]) -> None:
    year, classes = ctx["year"], ctx["classes"]
    schedule = BellSchedule.objects.create(year=year, shift=1, name="1 смена")
    Bell.objects.bulk_create([Bell(schedule=schedule, number=i, starts_at=_time(s), ends_at=_time(e)) for i, (s, e) in enumerate(BELLS, 1)])
    week_days = dict(WeekLength.objects.filter(year=year).values_list("grade", "days"))
    lines = list(CurriculumLine.objects.filter(school_class__year=year).select_related("subject"))
    assignments = ctx.get("assignments") or list(TeachingAssignment.objects.filter(school_class__year=year).select_related("teacher"))
    entries = build_timetable(classes, lines, assignments, week_days, ctx["rng"], valid_from=year.starts_on)
    TimetableEntry.objects.bulk_create(entries)
    _events(year, classes)
    _substitutions(ctx, entries)


# --- the generator -------------------------------------------------------------------------------

@dataclass
class _Course:
    subject: Any
    teacher: Any
    lessons: int
    room: str
    resources: tuple[str, ...]


def _room_for(course_teacher: Any, subject_name: str, grade: int, rooms: dict[int, str]) -> tuple[str, tuple[str, ...]]:
    if subject_name == "Физическая культура":
        gym = "Малый спортзал" if grade <= 4 else "Спортзал"
        return gym, (f"t{course_teacher.pk}", f"r{gym}")
    return rooms[course_teacher.pk], (f"t{course_teacher.pk}",)


def build_timetable(classes: list[Any], lines: list[CurriculumLine], assignments: list[TeachingAssignment],
                    week_days: dict[int, int], rng: Any, *, valid_from: dt.date) -> list[TimetableEntry]:
    """Every class's week: its lessons (mandatory and elective part, plus «Разговоры о
    важном» on Monday's first lesson) placed so that no teacher, gym or class is in two
    places at once. Raises RuntimeError if no timetable is found (it always is for the demo)."""
    hours: dict[tuple[int, int], int] = defaultdict(int)
    subjects: dict[int, Any] = {}
    for ln in lines:
        if ln.part != CurriculumPart.EXTRACURRICULAR or ln.subject.name == IN_TIMETABLE_EXTRACURRICULAR:
            hours[(ln.school_class_id, ln.subject_id)] += math.ceil(ln.hours_per_week)
            subjects[ln.subject_id] = ln.subject
    teacher_of = {(a.school_class_id, a.subject_id): a.teacher for a in assignments if a.subgroup_id is None}
    rooms: dict[int, str] = {}
    for i, c in enumerate(sorted((c for c in classes if c.grade <= 4 and c.class_teacher), key=lambda c: (c.grade, c.letter))):
        rooms.setdefault(c.class_teacher.pk, str(101 + i))
    for a in sorted(assignments, key=lambda a: a.teacher.pk):
        rooms.setdefault(a.teacher.pk, str(201 + len(rooms)))
    courses: dict[int, list[_Course]] = defaultdict(list)
    for (class_id, subject_id), n in hours.items():
        teacher = teacher_of.get((class_id, subject_id))
        if teacher is None:
            continue
        grade = next(c.grade for c in classes if c.pk == class_id)
        room, resources = _room_for(teacher, subjects[subject_id].name, grade, rooms)
        courses[class_id].append(_Course(subjects[subject_id], teacher, n, room, resources))
    # Senior classes first (their subject teachers are the busiest), then primary.
    order = sorted(classes, key=lambda c: (c.grade <= 4, -sum(k.lessons for k in courses[c.pk]), c.grade, c.letter))
    for attempt in range(40):
        busy: set[tuple[str, int, int]] = set()
        placed: list[TimetableEntry] = []
        # «Разговоры о важном»: Monday, lesson 1, everywhere — reserve those first.
        for c in classes:
            for k in courses[c.pk]:
                if k.subject.name == IN_TIMETABLE_EXTRACURRICULAR:
                    busy |= {(r, 1, 1) for r in k.resources}
                    placed.append(TimetableEntry(school_class=c, weekday=1, lesson_number=1, shift=1, subject=k.subject,
                                                 teacher=k.teacher, room=k.room, valid_from=valid_from))
        for c in order:
            found = _place_class(c, courses[c.pk], week_days.get(c.grade, 5), busy, rng, slack=attempt // 10)
            if found is None:
                break
            for (day, number), k in found:
                busy |= {(r, day, number) for r in k.resources}
                placed.append(TimetableEntry(school_class=c, weekday=day, lesson_number=number, shift=1, subject=k.subject,
                                             teacher=k.teacher, room=k.room, valid_from=valid_from))
        else:
            return placed
        rng.shuffle(order)
    raise RuntimeError("Не удалось составить демонстрационное расписание без накладок.")


def _place_class(c: Any, courses: list[_Course], days: int, busy: set[tuple[str, int, int]], rng: Any,
                 slack: int) -> list[tuple[tuple[int, int], _Course]] | None:
    """One class's lessons into its days, each day a row of lessons 1…n without gaps."""
    movable = [k for k in courses if k.subject.name != IN_TIMETABLE_EXTRACURRICULAR]
    has_rov = len(movable) != len(courses)
    total = sum(k.lessons for k in movable) + (1 if has_rov else 0)
    lengths = [total // days + (1 if d < total % days else 0) for d in range(days)]
    rng.shuffle(lengths)
    slots = [(d + 1, n) for d in range(days) for n in range(2 if (d == 0 and has_rov) else 1, lengths[d] + 1)]
    source, sink = ("s",), ("t",)
    cap: dict[Hashable, dict[Hashable, int]] = defaultdict(dict)
    used_edges: list[tuple[Hashable, Hashable, int, tuple[int, int]]] = []
    for i, k in enumerate(movable):
        cap[source][("k", i)] = k.lessons
        per_day = math.ceil(k.lessons / days) + slack
        for d in range(1, days + 1):
            cap[("k", i)][("kd", i, d)] = per_day
        free = [s for s in slots if not any((r, *s) in busy for r in k.resources)]
        rng.shuffle(free)
        for slot in free:
            cap[("kd", i, slot[0])][("slot", slot)] = 1
            used_edges.append((("kd", i, slot[0]), ("slot", slot), i, slot))
    for slot in slots:
        cap[("slot", slot)][sink] = 1
    if _max_flow(cap, source, sink) < sum(k.lessons for k in movable):
        return None
    return [(slot, movable[i]) for u, v, i, slot in used_edges if cap[u][v] == 0]


def _max_flow(cap: dict[Hashable, dict[Hashable, int]], source: Hashable, sink: Hashable) -> int:
    """Edmonds–Karp on a residual graph kept in `cap` (reverse edges added as it goes)."""
    flow = 0
    while True:
        parent: dict[Hashable, Hashable | None] = {source: None}
        queue = deque([source])
        while queue and sink not in parent:
            u = queue.popleft()
            for v, c in cap[u].items():
                if c > 0 and v not in parent:
                    parent[v] = u
                    queue.append(v)
        if sink not in parent:
            return flow
        path, v = [], sink
        while parent[v] is not None:
            u = parent[v]
            path.append((u, v))
            v = u
        push = min(cap[u][v] for u, v in path)
        for u, v in path:
            cap[u][v] -= push
            cap[v][u] = cap[v].get(u, 0) + push
        flow += push


# --- events and substitutions ----------------------------------------------------------------------

def _events(year: Any, classes: list[Any]) -> None:
    def on(month_day: tuple[int, int]) -> dt.date:
        month, day = month_day
        return dt.date(year.starts_on.year if month >= 8 else year.ends_on.year, month, day)

    def entered(date: dt.date) -> dt.datetime:
        return timezone.make_aware(dt.datetime.combine(date - dt.timedelta(days=21), dt.time(10)))

    rows = [Event(kind=EventKind.SCHOOL, title=t, date=on(md), starts_at=_time(at), place=p, created_at=entered(on(md)))
            for t, md, at, p in SCHOOL_EVENTS]
    for grade, title, md, at, place in CLASS_EVENTS:
        for c in classes:
            if c.grade == grade:
                rows.append(Event(kind=EventKind.CLASS, school_class=c, title=title, date=on(md), starts_at=_time(at), place=place,
                                  created_at=entered(on(md))))
                break
    Event.objects.bulk_create([e for e in rows if year.starts_on <= e.date <= year.ends_on])


def _substitutions(ctx: dict[str, Any], entries: list[TimetableEntry]) -> None:
    """The named subject teacher is away on courses on the next school day: her lessons go
    to colleagues who are free then (through the service, so every rule is checked)."""
    from schoolyear.calendar_service import SchoolCalendar

    from .selectors import lessons_on, reference_day
    from .services import create_substitution

    year, school, actor = ctx["year"], ctx["school"], ctx["actor"]
    teacher = ctx["named"]["uchitel"]
    calendar = SchoolCalendar.for_year(year)
    day = reference_day(year, timezone.localdate() + dt.timedelta(days=1))
    for _ in range(14):
        if calendar.is_school_day(day) and lessons_on(day, teacher=teacher, calendar=calendar):
            break
        day += dt.timedelta(days=1)
    else:
        return
    busy: dict[tuple[int, int], set[int]] = defaultdict(set)
    for lesson in lessons_on(day, calendar=calendar):
        busy[(lesson.shift, lesson.lesson_number)].add(lesson.teacher.pk)
    for lesson in lessons_on(day, teacher=teacher, calendar=calendar)[:3]:
        free = [t for t in ctx["teachers"] if t.pk not in busy[(lesson.shift, lesson.lesson_number)]]
        for substitute in free[:3]:
            try:
                create_substitution(actor, school, entry=lesson.entry, date=day, substitute=substitute,
                                    reason="Курсы повышения квалификации")
            except DomainError:
                continue
            busy[(lesson.shift, lesson.lesson_number)].add(substitute.pk)
            break
