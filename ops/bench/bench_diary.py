#!/usr/bin/env python
"""Benchmark: the diary's week and marks pages, in-process (issue #6, "Performance").

    nice -n 10 .venv/bin/python ops/bench/bench_diary.py            # generate, measure, write the doc
    nice -n 10 .venv/bin/python ops/bench/bench_diary.py --reuse    # the database is there: measure only

Builds one school with a full year of journal data with the journal's own generator
(ops/bench/journal_data.py: 1,000 students, 60 teachers, ~250,000 marks, one parent per student)
in its own database (default zhurnal_bench_diary, re-created unless --reuse), adds what the
generator leaves out and the diary shows — quarters for every grade and the period marks of the
quarters already over — then, through Django's WSGI handler in this process as gunicorn calls it (server time: routing,
middleware, the access check, queries, rendering; no network), signs in as parents of children
in different classes and times, round-robin over the families:

  * the week page (this week: timetable, topics, homework, marks with works, absences);
  * the marks page (the current quarter: marks by subject, averages, forecast, results);
  * the marks page for the whole year (every mark of the child, ~250 of them);
  * the same three through the API (JSON).

SQL queries are counted per request (session, user, school and roles included). Targets: at most
10 queries per page, server time p95 < 50 ms. Writes the figures between markers in the "## Diary"
section of docs/PERFORMANCE.md (--no-doc: print them)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import perfdoc
from bench_tenants import machine_line, recreate_database
from journal_data import open_bench_school
from wsgi_client import WsgiClient

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "PERFORMANCE.md"
SLUG = "bench"
START, END = "<!-- ops/bench/bench_diary.py: start -->", "<!-- ops/bench/bench_diary.py: end -->"
FAMILIES = 24  # parents read in turn (children of different classes and grades 2–11)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def add_periods_and_results() -> dict[str, int]:
    """Quarters for every grade, and period marks of the quarters already over (the generator makes
    neither). Bulk inserts in the school's schema."""
    from curriculum.models import CurriculumLine
    from journal.models import PeriodMark
    from roster.models import Enrolment
    from schoolyear.models import AcademicYear, PeriodScheme, StudyPeriod
    from tenants.db import use_public, use_school
    from tenants.models import School

    school = School.objects.get(slug=SLUG)
    use_school(school)
    try:
        if PeriodScheme.objects.exists():
            return {"periods": StudyPeriod.objects.count(), "period_marks": PeriodMark.objects.count()}
        year = AcademicYear.objects.get(status="open")
        scheme = PeriodScheme.objects.create(year=year, kind="quarter", grades=list(range(1, 12)))
        span = (year.ends_on - year.starts_on).days + 1
        bounds = [year.starts_on + dt.timedelta(days=span * i // 4) for i in range(5)]
        periods = StudyPeriod.objects.bulk_create([
            StudyPeriod(scheme=scheme, number=i + 1, name=f"{i + 1} четверть", starts_on=bounds[i],
                        ends_on=bounds[i + 1] - dt.timedelta(days=1) if i < 3 else year.ends_on) for i in range(4)])
        from journal.rules import today

        over = [p for p in periods if p.ends_on < today()]
        lines: dict[int, set[int]] = {}
        for class_id, subject_id in CurriculumLine.objects.values_list("school_class_id", "subject_id"):
            lines.setdefault(class_id, set()).add(subject_id)
        rows = [PeriodMark(student_id=e.student_id, school_class_id=e.school_class_id, subject_id=subject_id, kind="period", period=p,
                           value=3 + (e.student_id + subject_id + p.number) % 3, created_by_id=e.student_id)
                for e in Enrolment.objects.filter(until__isnull=True).select_related("school_class").exclude(school_class__grade=1)
                for subject_id in lines.get(e.school_class_id, set()) for p in over]
        PeriodMark.objects.bulk_create(rows, batch_size=5000)
        from django.db import connection

        with connection.cursor() as cursor:  # as autovacuum would after a bulk load (the generator analyses only its big tables)
            cursor.execute("ANALYZE")
        return {"periods": len(periods), "period_marks": len(rows)}
    finally:
        use_public()


def families() -> list[tuple[Any, str, int]]:
    """(parent, school slug, child id) of children in different classes, the 35-student 7А first."""
    from accounts.models import Person
    from roster.models import Enrolment, Guardianship
    from tenants.db import use_public, use_school
    from tenants.models import School

    use_school(School.objects.get(slug=SLUG))
    try:
        seen: set[int] = set()
        picked: list[tuple[int, int]] = []
        enrolments = (Enrolment.objects.filter(until__isnull=True).exclude(school_class__grade=1)
                      .order_by("-school_class__grade", "school_class__letter", "student_id").values_list("school_class_id", "student_id"))
        for class_id, student_id in enrolments:
            if class_id in seen:
                continue
            parent_id = Guardianship.objects.filter(student_id=student_id).values_list("parent_id", flat=True).first()
            if parent_id:
                seen.add(class_id)
                picked.append((parent_id, student_id))
            if len(picked) >= FAMILIES:
                break
    finally:
        use_public()
    people = Person.objects.in_bulk([p for p, _ in picked])
    return [(people[p], SLUG, s) for p, s in picked]


def measure(fams: list[tuple[Any, str, int]], repeat: int) -> dict[str, dict[str, Any]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    clients = []
    for parent, _slug, _child in fams:
        client = Client(HTTP_HOST="localhost")  # an allowed host (ALLOWED_HOSTS has no "testserver")
        client.force_login(parent)
        assert client.get("/diary/").status_code in (200, 302)  # signs in: the family list goes to the session
        clients.append(WsgiClient.signed_in_as(client))
    kinds = {
        "week page": "/s/{slug}/diary/{child}/",
        "marks page (quarter)": "/s/{slug}/diary/{child}/marks/",
        "marks page (year)": "/s/{slug}/diary/{child}/marks/?period=year",
        "week API": "/api/v1/schools/{slug}/diary/{child}/week/",
        "marks API (quarter)": "/api/v1/schools/{slug}/diary/{child}/marks/",
        "forecast API": "/api/v1/schools/{slug}/diary/{child}/forecast/",
    }
    result: dict[str, dict[str, Any]] = {}
    for name, pattern in kinds.items():
        urls = [pattern.format(slug=slug, child=child) for _parent, slug, child in fams]
        queries: set[int] = set()
        sizes = []
        for client, url in zip(clients, urls, strict=True):  # warm-up, and the query count of every family
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            assert response.status_code == 200, (url, response.status_code, response.content[:300])
            queries.add(len(ctx.captured_queries))
            sizes.append(len(response.content))
        times, cpu = [], []
        for i in range(repeat):
            client, url = clients[i % len(clients)], urls[i % len(urls)]
            started, started_cpu = time.perf_counter(), time.process_time()
            client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        result[name] = {"queries": sorted(queries), "n": len(times), "p50": percentile(times, 0.5), "p95": percentile(times, 0.95),
                        "max": max(times), "mean": statistics.fmean(times), "kb": statistics.fmean(sizes) / 1024,
                        "cpu_p50": percentile(cpu, 0.5), "cpu_p95": percentile(cpu, 0.95)}
        print(name, result[name], flush=True)
    return result


def marks_per_child(fams: list[tuple[Any, str, int]]) -> tuple[int, int]:
    from journal.models import Mark
    from tenants.db import use_public, use_school
    from tenants.models import School

    use_school(School.objects.get(slug=SLUG))
    try:
        counts = [Mark.objects.filter(student_id=child).count() for _p, _s, child in fams]
        return min(counts), max(counts)
    finally:
        use_public()


def report(gen: dict[str, Any], extra: dict[str, int], figures: dict[str, dict[str, Any]], fams: int, marks: tuple[int, int],
           args: argparse.Namespace) -> str:
    load1, load5, _ = os.getloadavg()
    ok = all(max(f["queries"]) <= 10 and f["p95"] < 50 for f in figures.values())
    lines = [
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC by `ops/bench/bench_diary.py` on {machine_line(args.machine, args.server)}; "
        f"load average {load1:.1f} / {load5:.1f} (the machine is shared).",
        "",
        "School generated by the journal's generator (`ops/bench/journal_data.py`)"
        + (f": {gen.get('students', '?')} students, {gen.get('teachers', '?')} teachers, {gen.get('lessons', '?')} lessons, "
           f"{gen.get('marks', '?')} marks in {gen.get('seconds', 0):.0f} s" if gen else " (reused database)")
        + f"; plus {extra['periods']} quarters and {extra['period_marks']} period marks of the quarters over. "
        f"{fams} parents of children in different classes read in turn; each child has {marks[0]}–{marks[1]} marks this year.",
        "",
        "| request | SQL queries | p50 ms | p95 ms | max ms | Python CPU p50 / p95 ms | size KiB |",
        "|---|---|---|---|---|---|---|",
    ]
    for name, f in figures.items():
        lines.append(f"| {name} | {'–'.join(map(str, sorted({min(f['queries']), max(f['queries'])})))} | {f['p50']:.1f} | "
                     f"{f['p95']:.1f} | {f['max']:.1f} | {f['cpu_p50']:.1f} / {f['cpu_p95']:.1f} | {f['kb']:.1f} |")
    lines += ["", f"Target (≤ 10 queries, p95 < 50 ms): {'met' if ok else 'NOT met'} "
              f"({args.repeat} timed requests each, after one warm-up request per family; queries include the session, the user, "
              "the school, the roles and two `SET search_path`). Times are wall-clock server time in the process (routing, middleware, "
              "access check, queries, rendering; no network); Python CPU is this process's CPU time for the same requests, which "
              "excludes PostgreSQL's own work and the waiting caused by other load on the machine."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432", help="PostgreSQL server URL")
    parser.add_argument("--database", default="zhurnal_bench_diary", help="scratch database (re-created unless --reuse)")
    parser.add_argument("--reuse", action="store_true", help="the database holds the generated school: measure only")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end")
    parser.add_argument("--repeat", type=int, default=200, help="timed requests per kind")
    parser.add_argument("--marks", type=int, default=250_000)
    parser.add_argument("--machine", default="python-svc", help="machine label for the report")
    parser.add_argument("--no-doc", action="store_true", help="print the report instead of writing docs/PERFORMANCE.md")
    args = parser.parse_args(argv)
    if "bench" not in args.database:
        parser.error("the scratch database is dropped: its name must contain 'bench'")
    gen = open_bench_school(args.server, args.database, reuse=args.reuse, marks=args.marks, slug=SLUG, tag="diary")
    extra = add_periods_and_results()
    fams = families()
    figures = measure(fams, args.repeat)
    section = report(gen, extra, figures, len(fams), marks_per_child(fams), args)
    if args.no_doc:
        print(section)
    else:
        perfdoc.write_block("Diary", START, END, section)
        print(f"written to {DOC.relative_to(ROOT)}")
    if args.drop:
        from django.db import connections

        connections.close_all()
        recreate_database(args.server, args.database, drop_only=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
