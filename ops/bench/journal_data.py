"""A school with a full year of journal data, for benchmarks (importable, reusable).

    import sys; sys.path.insert(0, "ops/bench")
    from journal_data import setup_django, prepare_database, build_journal_school
    setup_django("postgres://postgres@127.0.0.1:5432/zhurnal_bench_x", "/tmp/var")
    prepare_database()                      # shared schema migrated, template schema made
    world = build_journal_school(slug="bench")   # 1,000 students, 60 teachers, ~250,000 marks

What it builds (bulk inserts, no service calls, no audit rows; about a minute on 2 cores):
  * an open academic year whose last ~34 school weeks end on `today` (default: the real
    date), so the newest lessons are inside the 7-day lock and can be written through the
    real services, pages and API;
  * 33 classes (1–11 А, Б, В); 1,000 students: 7А has exactly 35 (the 35 × 100 grid), the
    rest ~30 a class; one parent per student (optional) with guardianship;
  * 60 teachers: a class teacher for each primary class teaching most of its subjects,
    subject teachers for the rest; memberships (teacher, class teacher, student, parent);
  * the curriculum (hours per week), the teaching load and a weekly timetable per class;
  * a lesson for every timetable slot of every school day up to `today`, with a topic,
    homework and one work («Ответ на уроке», every 8th lesson of a subject a control work
    marked for everyone present); about 4 % absences; marks spread so that the school has
    `marks` of them in all (grade 1 has none, R-J04).

Every person gets the same password (`PASSWORD`), hashed once. `JournalWorld` returns ids to
drive benchmarks: the school, the 7А maths teacher, the class, subject, and recent works.
Marks and attendance go in with COPY (the rest with bulk_create): ~250,000 rows in seconds."""

from __future__ import annotations

import datetime as dt
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_import import setup_django  # Django for a benchmark process (settings as the tests use them)

__all__ = ["JournalWorld", "build_journal_school", "prepare_database", "school_days", "setup_django"]
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "bench-password-2026"
LETTERS = "АБВ"
BENCH_CLASS = (7, "А")  # 35 students: the 35 × 100 grid
PRIMARY = [("Русский язык", 5), ("Литературное чтение", 4), ("Математика", 4), ("Окружающий мир", 2), ("Английский язык", 2),
           ("Музыка", 1), ("Изобразительное искусство", 1), ("Технология", 1), ("Физическая культура", 2)]
SECONDARY = [("Русский язык", 5), ("Литература", 3), ("Математика", 5), ("Английский язык", 3), ("История", 2),
             ("Обществознание", 1), ("География", 2), ("Биология", 2), ("Физика", 2), ("Химия", 2), ("Информатика", 1),
             ("Физическая культура", 2)]
PRIMARY_SPECIALISTS = {"Английский язык", "Физическая культура", "Музыка"}
SURNAMES = ["Иванов", "Смирнов", "Кузнецов", "Попов", "Васильев", "Петров", "Соколов", "Михайлов", "Новиков", "Фёдоров",
            "Морозов", "Волков", "Алексеев", "Лебедев", "Семёнов", "Егоров", "Павлов", "Козлов", "Степанов", "Николаев",
            "Орлов", "Андреев", "Макаров", "Никитин", "Захаров", "Зайцев", "Соловьёв", "Борисов", "Яковлев", "Григорьев"]
MALE = ["Александр", "Дмитрий", "Максим", "Сергей", "Андрей", "Алексей", "Артём", "Илья", "Кирилл", "Михаил", "Никита", "Матвей"]
FEMALE = ["Анна", "Мария", "Елена", "Дарья", "Алина", "Ирина", "Екатерина", "Арина", "Полина", "Ольга", "Юлия", "Софья"]
TOPIC_WORDS = ["Повторение", "Введение", "Практикум", "Решение задач", "Контроль знаний", "Обобщение", "Изучение нового материала"]


def prepare_database() -> None:
    """The shared schema migrated and the school template made (a fresh database)."""
    from django.core.management import call_command

    from tenants import provisioning

    call_command("migrate_schemas", "--shared", verbosity=0)
    provisioning.ensure_template()


@dataclass
class JournalWorld:
    school: Any
    year_id: int
    today: dt.date
    bench_class_id: int
    maths_id: int
    maths_teacher_id: int  # teaches maths in 7А
    teacher_ids: list[int]
    student_ids: list[int]
    parent_ids: list[int]
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def school_days(start: dt.date, end: dt.date) -> list[dt.date]:
    """Monday–Friday between the dates, federal holidays excluded (a five-day week)."""
    from schoolyear.calendar_service import federal_holiday_name

    days, day = [], start
    while day <= end:
        if day.weekday() < 5 and not federal_holiday_name(day):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _weekly_plan(subjects: list[tuple[str, int]], rng: random.Random) -> list[tuple[int, int, str]]:
    """(weekday 1–5, lesson number, subject): a subject at most twice a day, days without gaps."""
    pool = [name for name, hours in subjects for _ in range(hours)]
    rng.shuffle(pool)
    days: list[list[str]] = [[] for _ in range(5)]
    for name in sorted(pool, key=lambda n: -sum(1 for x in pool if x == n)):
        order = sorted(range(5), key=lambda d: (days[d].count(name), len(days[d]), rng.random()))
        days[order[0]].append(name)
    for day in days:
        rng.shuffle(day)
    return [(d + 1, n + 1, name) for d, day in enumerate(days) for n, name in enumerate(day)]


def _copy(table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
    """COPY rows into a table of the selected school schema (psycopg 3)."""
    from django.db import connection

    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row(row)


def _person(rng: random.Random, login: str, password: str, birth_year: int) -> Any:
    from accounts.models import Person

    male = rng.random() < 0.5
    surname = rng.choice(SURNAMES) + ("" if male else "а")
    return Person(login=login, surname=surname, name=rng.choice(MALE if male else FEMALE),
                  patronymic=rng.choice(MALE) + ("ович" if male else "овна"), sex="m" if male else "f",
                  birth_date=dt.date(birth_year, rng.randint(1, 12), rng.randint(1, 28)), password=password)


def build_journal_school(*, slug: str = "bench", students: int = 1000, teachers: int = 60, marks: int = 250_000,
                         weeks: int = 34, today: dt.date | None = None, parents: bool = True, seed: int = 2026,
                         say: Callable[[str], None] = print) -> JournalWorld:
    """Builds the school (see the module's docstring) and returns what a benchmark needs.
    The database must be prepared (prepare_database); `slug` must be new."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Membership, Person
    from accounts.roles import Role
    from curriculum.models import CurriculumLine, Subject, TeachingAssignment
    from journal.models import Lesson, Work, WorkType
    from roster.models import Enrolment, Guardianship, SchoolClass
    from schoolyear.models import AcademicYear
    from tenants.db import use_public, use_school
    from tenants.models import School
    from tenants.services import SchoolData, create_school
    from timetable.models import TimetableEntry

    started = time.perf_counter()
    rng = random.Random(seed)
    today = today or timezone.localdate()
    first_monday = today - dt.timedelta(days=today.weekday()) - dt.timedelta(weeks=weeks - 1)
    password = make_password(PASSWORD)
    district = Person.objects.filter(login="bench.rayon").first() or Person.objects.create(
        login="bench.rayon", surname="Районова", name="Анна", password=password)
    Membership.objects.get_or_create(person=district, role=Role.DISTRICT_ADMIN, school=None)
    if School.objects.filter(slug=slug).exists():
        raise ValueError(f"school {slug!r} exists: the generator builds a new one")
    school = create_school(district, SchoolData(slug=slug, full_name=f"МБОУ «Школа бенчмарка {slug}»", short_name=f"Бенч {slug}",
                                                municipal_code=f"BENCH-{slug}"[:20]))
    say(f"  school {slug}: {time.perf_counter() - started:.1f} s")
    with transaction.atomic():
        staff = Person.objects.bulk_create([_person(rng, f"{slug}.t{i}", password, rng.randint(1965, 1998)) for i in range(teachers)])
        kids = Person.objects.bulk_create([_person(rng, f"{slug}.s{i}", password, 2010) for i in range(students)])
        mums = Person.objects.bulk_create([_person(rng, f"{slug}.p{i}", password, 1985) for i in range(students)]) if parents else []
    say(f"  people: {time.perf_counter() - started:.1f} s")

    use_school(school)
    counts: dict[str, int] = {}
    with transaction.atomic():
        year = AcademicYear.objects.create(name=f"bench {first_monday.year}", starts_on=first_monday,
                                           ends_on=max(today + dt.timedelta(days=30), first_monday + dt.timedelta(weeks=weeks)))
        classes = SchoolClass.objects.bulk_create([SchoolClass(year=year, grade=g, letter=letter) for g in range(1, 12) for letter in LETTERS])
        bench_class = next(c for c in classes if (c.grade, c.letter) == BENCH_CLASS)
        # Students: 35 in 7А, the rest spread evenly.
        others = [c for c in classes if c is not bench_class]
        placement: dict[int, list[Any]] = {c.pk: [] for c in classes}
        placement[bench_class.pk] = kids[:35]
        for i, kid in enumerate(kids[35:]):
            placement[others[i % len(others)].pk].append(kid)
        Enrolment.objects.bulk_create([Enrolment(student=k, school_class_id=cid, since=year.starts_on)
                                       for cid, ks in placement.items() for k in ks])
        if parents:
            Guardianship.objects.bulk_create([Guardianship(parent=p, student=k, kind="mother") for p, k in zip(mums, kids, strict=True)])
        names = sorted({n for n, _ in PRIMARY + SECONDARY})
        subjects = {s.name: s for s in Subject.objects.bulk_create([Subject(name=n) for n in names])}
        # The load: a class teacher per primary class (its subjects but the specialists'), subject teachers for the rest.
        primary = [c for c in classes if c.grade <= 4]
        class_teacher = {c.pk: staff[i] for i, c in enumerate(primary)}
        subject_staff = staff[len(primary):]
        demand: dict[str, int] = {}
        for c in classes:
            for name, hours in (PRIMARY if c.grade <= 4 else SECONDARY):
                if c.grade > 4 or name in PRIMARY_SPECIALISTS:
                    demand[name] = demand.get(name, 0) + hours
        total = sum(demand.values())
        pools: dict[str, list[Any]] = {}
        offset = 0
        for name in sorted(demand, key=lambda n: -demand[n]):
            size = max(1, round(len(subject_staff) * demand[name] / total))
            pools[name] = [subject_staff[(offset + k) % len(subject_staff)] for k in range(size)]
            offset += size
        turn: dict[str, int] = {}
        lines, loads, entries = [], [], []
        teacher_of: dict[tuple[int, str], Any] = {}
        for c in classes:
            plan = [(n, h) for n, h in (PRIMARY if c.grade <= 4 else SECONDARY) if not (c.grade == 1 and n == "Английский язык")]
            for name, hours in plan:
                if c.grade <= 4 and name not in PRIMARY_SPECIALISTS:
                    teacher = class_teacher[c.pk]
                else:
                    k = turn.get(name, 0)
                    turn[name] = k + 1
                    teacher = pools[name][k % len(pools[name])]
                teacher_of[(c.pk, name)] = teacher
                lines.append(CurriculumLine(school_class=c, subject=subjects[name], hours_per_week=Decimal(hours)))
                loads.append(TeachingAssignment(teacher=teacher, subject=subjects[name], school_class=c, hours_per_week=Decimal(hours)))
            for weekday, number, name in _weekly_plan(plan, rng):
                entries.append(TimetableEntry(school_class=c, weekday=weekday, lesson_number=number, subject=subjects[name],
                                              teacher=teacher_of[(c.pk, name)], room=str(100 + c.pk), valid_from=year.starts_on))
        CurriculumLine.objects.bulk_create(lines)
        TeachingAssignment.objects.bulk_create(loads)
        TimetableEntry.objects.bulk_create(entries)
        for c in primary:
            c.class_teacher = class_teacher[c.pk]
        SchoolClass.objects.bulk_update(primary, ["class_teacher"])
        counts.update(classes=len(classes), students=len(kids), teachers=len(staff), timetable=len(entries))

        # Lessons: every slot of every school day up to today.
        days = school_days(year.starts_on, today)
        by_weekday: dict[int, list[Any]] = {}
        for e in entries:
            by_weekday.setdefault(e.weekday, []).append(e)
        lessons: list[Lesson] = []
        seen: dict[tuple[int, int], int] = {}
        for day in days:
            for e in by_weekday.get(day.isoweekday(), []):
                n = seen[(e.school_class_id, e.subject_id)] = seen.get((e.school_class_id, e.subject_id), 0) + 1
                lessons.append(Lesson(
                    school_class_id=e.school_class_id, subject_id=e.subject_id, teacher_id=e.teacher_id, created_by_id=e.teacher_id,
                    date=day, lesson_number=e.lesson_number, topic=f"{rng.choice(TOPIC_WORDS)}: тема {n}",
                    done="Работа по учебнику, устный опрос", homework=f"§ {n // 2 + 1}, упр. {rng.randint(1, 400)}"))
        Lesson.objects.bulk_create(lessons, batch_size=5000)
        counts["lessons"] = len(lessons)
        say(f"  {len(lessons)} lessons: {time.perf_counter() - started:.1f} s")

        answer = WorkType.objects.get(name="Ответ на уроке")
        control = WorkType.objects.filter(requires_all_marks=True).order_by("pk").first() or answer
        grade_of = {c.pk: c.grade for c in classes}
        marked = [ls for ls in lessons if grade_of[ls.school_class_id] > 1]
        works = Work.objects.bulk_create([Work(lesson=ls, work_type=control if (i % 8 == 7) else answer, position=1)
                                          for i, ls in enumerate(marked)], batch_size=5000)
        counts["works"] = len(works)
        roster = {cid: [k.pk for k in ks] for cid, ks in placement.items()}
        # Absences: ~4 % of students per lesson (no marks for them).
        now = timezone.now()
        attendance_rows, absent = [], set()
        for ls in lessons:
            for sid in roster[ls.school_class_id]:
                if rng.random() < 0.04:
                    absent.add((ls.pk, sid))
                    attendance_rows.append((ls.pk, sid, "absent", "illness" if rng.random() < 0.7 else "", "", ls.teacher_id, now))
        _copy("journal_attendance", ["lesson_id", "student_id", "status", "reason", "document", "created_by_id", "created_at"],
              attendance_rows)
        counts["absences"] = len(attendance_rows)
        # Marks: a control work marks everyone present; the other works share the rest evenly.
        control_marks = sum(len(roster[w.lesson.school_class_id]) for w in works if w.work_type_id == control.pk)
        other_slots = sum(len(roster[w.lesson.school_class_id]) for w in works if w.work_type_id != control.pk)
        share = max(0.0, min(1.0, (marks - control_marks * 0.96) / max(other_slots * 0.96, 1)))
        mark_rows = []
        weights = [2, 8, 30, 38, 22]  # 1…5
        for w in works:
            everyone = w.work_type_id == control.pk
            for sid in roster[w.lesson.school_class_id]:
                if (w.lesson_id, sid) in absent or not (everyone or rng.random() < share):
                    continue
                value = rng.choices((1, 2, 3, 4, 5), weights)[0]
                mark_rows.append((w.pk, sid, "grade", value, "", 1, w.lesson.teacher_id, now, now))
        _copy("journal_mark", ["work_id", "student_id", "kind", "value", "source_document", "version", "created_by_id", "created_at",
                               "updated_at"], mark_rows)
        counts["marks"] = len(mark_rows)
        say(f"  {len(mark_rows)} marks, {len(attendance_rows)} absences: {time.perf_counter() - started:.1f} s")
    use_public()
    since = year.starts_on
    memberships = [Membership(person=t, school=school, role=Role.TEACHER, since=since) for t in staff]
    memberships += [Membership(person=t, school=school, role=Role.CLASS_TEACHER, class_id=cid, since=since) for cid, t in class_teacher.items()]
    memberships += [Membership(person=k, school=school, role=Role.STUDENT, since=since) for k in kids]
    memberships += [Membership(person=p, school=school, role=Role.PARENT, since=since) for p in mums]
    Membership.objects.bulk_create(memberships, batch_size=5000)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f'ANALYZE "{school.schema_name}".journal_mark, "{school.schema_name}".journal_lesson, '
                       f'"{school.schema_name}".journal_work, "{school.schema_name}".journal_attendance')
    maths = subjects["Математика"]
    world = JournalWorld(school=school, year_id=year.pk, today=today, bench_class_id=bench_class.pk, maths_id=maths.pk,
                         maths_teacher_id=teacher_of[(bench_class.pk, "Математика")].pk, teacher_ids=[t.pk for t in staff],
                         student_ids=[k.pk for k in kids], parent_ids=[p.pk for p in mums], counts=counts,
                         seconds=time.perf_counter() - started)
    say(f"  done: {world.seconds:.1f} s, {counts}")
    return world


def open_bench_school(server: str, database: str, *, reuse: bool, marks: int, slug: str, tag: str) -> dict[str, Any]:
    """Django on the scratch `database`; unless `reuse`, the database re-created and one school
    with a full year of journal data generated in it. Returns what was generated (empty on reuse)."""
    import tempfile

    from bench_tenants import recreate_database, server_database_url

    if not reuse:
        recreate_database(server, database)
    setup_django(server_database_url(server, database), tempfile.mkdtemp(prefix=f"zhurnal-bench-{tag}-"))
    if reuse:
        return {}
    print("preparing the database…", flush=True)
    prepare_database()
    print("generating the school…", flush=True)
    world = build_journal_school(slug=slug, marks=marks)
    return {**world.counts, "seconds": world.seconds}
