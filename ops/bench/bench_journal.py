#!/usr/bin/env python
"""Benchmark: the journal grid and saving one mark, in-process (issue #5, "Performance").

    nice -n 10 .venv/bin/python ops/bench/bench_journal.py            # generate, measure, write the doc
    nice -n 10 .venv/bin/python ops/bench/bench_journal.py --reuse    # the database is there: measure only

Builds (journal_data.build_journal_school) one school with a full year of data — 1,000
students, 60 teachers, ~250,000 marks — in its own database (default zhurnal_bench_journal,
dropped and re-created unless --reuse; kept for ops/bench/load_journal.py unless --drop), then
through Django's WSGI handler in this process, as gunicorn calls it (ops/bench/wsgi_client.py; server
time: URL routing, middleware, access checks, queries, rendering; no network):

  1. the journal grid page of 7А × maths over the dates of its last 100 lessons (35 students ×
     100 lessons, one column per work): SQL queries per request and time, --repeat times after
     a warm-up; the same for the grid's API (JSON);
  2. saving one mark through the real API (PUT …/journal/marks/ with the cell's version, as the
     grid's keyboard entry does): the service checks the rights, the 7-day lock, the student,
     writes the mark and its audit record in one transaction; --saves times.

Targets: grid ≤ 15 queries and p95 < 100 ms; one mark p95 < 30 ms. Writes the figures between
markers in the "## Journal" section of docs/PERFORMANCE.md (--no-doc: print them)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
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
START, END = "<!-- ops/bench/bench_journal.py: start -->", "<!-- ops/bench/bench_journal.py: end -->"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(ms: list[float]) -> dict[str, float]:
    return {"n": len(ms), "p50": percentile(ms, 0.5), "p95": percentile(ms, 0.95), "max": max(ms) if ms else 0.0,
            "mean": statistics.fmean(ms) if ms else 0.0}


def world_ids() -> dict[str, Any]:
    """What the measurements need, read back from the database (so --reuse works)."""
    from accounts.models import Person
    from curriculum.models import Subject, TeachingAssignment
    from journal.models import Lesson, Mark
    from roster.models import SchoolClass
    from tenants.db import use_public, use_school
    from tenants.models import School

    school = School.objects.get(slug=SLUG)
    use_school(school)
    klass = SchoolClass.objects.get(grade=7, letter="А")
    maths = Subject.objects.get(name="Математика")
    teacher_id = TeachingAssignment.objects.get(school_class=klass, subject=maths).teacher_id
    dates = list(Lesson.objects.filter(school_class=klass, subject=maths).order_by("-date", "-lesson_number")
                 .values_list("date", flat=True)[:100])
    counts = {"marks": Mark.objects.count(), "lessons": Lesson.objects.count()}
    use_public()
    return {"school": school, "class_id": klass.pk, "subject_id": maths.pk, "teacher": Person.objects.get(pk=teacher_id),
            "date_from": min(dates), "date_to": max(dates), "lessons_in_grid": len(dates), "counts": counts}


class Timed:
    """One request's wall time, this process's CPU time (load-independent-ish: Python's own work,
    without waiting for a core or for PostgreSQL), the SQL queries and the time spent in them."""

    def __init__(self) -> None:
        self.queries = 0
        self.sql_ms = 0.0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries += 1
            self.sql_ms += (time.perf_counter() - started) * 1000

    def run(self, call: Any) -> tuple[Any, float, float]:
        from django.db import connection

        self.queries, self.sql_ms = 0, 0.0
        wall, cpu = time.perf_counter(), time.thread_time()
        with connection.execute_wrapper(self):
            result = call()
        return result, (time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000


def timed_series(timer: Timed, call: Any, repeat: int) -> dict[str, Any]:
    walls, cpus, sqls, queries = [], [], [], []
    for _ in range(repeat):
        _, wall, cpu = timer.run(call)
        walls.append(wall)
        cpus.append(cpu)
        sqls.append(timer.sql_ms)
        queries.append(timer.queries)
    return {**summary(walls), "cpu_p50": percentile(cpus, 0.5), "cpu_p95": percentile(cpus, 0.95),
            "sql_p50": percentile(sqls, 0.5), "sql_p95": percentile(sqls, 0.95), "queries_max": max(queries)}


def measure_grid(ids: dict[str, Any], repeat: int) -> dict[str, Any]:
    from django.test import Client

    signed_in = Client(HTTP_HOST="localhost")  # an allowed host (ALLOWED_HOSTS has no "testserver")
    signed_in.force_login(ids["teacher"])
    client = WsgiClient.signed_in_as(signed_in)
    query = f"?date_from={ids['date_from']:%Y-%m-%d}&date_to={ids['date_to']:%Y-%m-%d}"
    result: dict[str, Any] = {}
    for name, url in (("page", f"/s/{SLUG}/journal/{ids['class_id']}/{ids['subject_id']}/{query}"),
                      ("api", f"/api/v1/schools/{SLUG}/journal/grid/{ids['class_id']}/{ids['subject_id']}/{query}")):
        for _ in range(5):  # warm-up: sessions, settings row, template cache
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code, response.content[:300])
        timer = Timed()
        response, _, _ = timer.run(lambda url=url: client.get(url))
        queries = timer.queries
        body = response.content.decode()
        if name == "page":
            rows, columns = body.count("<tr data-s="), body.count('<th class="w')
        else:
            data = json.loads(body)
            rows, columns = len(data["rows"]), len(data["lessons"])
        series = timed_series(timer, lambda url=url: client.get(url), repeat)
        result[name] = {"queries": max(queries, series["queries_max"]), "rows": rows, "columns": columns,
                        "bytes": len(response.content), **series}
    return result


def measure_saves(ids: dict[str, Any], saves: int) -> dict[str, Any]:
    """PUT …/journal/marks/ on cells of the teacher's lessons inside the lock, each with the version
    the previous answer returned; counts the audit records written."""
    from django.test import Client

    from audit.models import AuditRecord
    from journal.models import Attendance, Lesson, Work
    from journal.rules import lock_boundary
    from roster.models import Enrolment
    from tenants.db import use_public, use_school

    use_school(ids["school"])
    recent = list(Lesson.objects.filter(school_class_id=ids["class_id"], subject_id=ids["subject_id"], date__gte=lock_boundary())
                  .values_list("pk", flat=True))
    works = list(Work.objects.filter(lesson_id__in=recent).values_list("pk", "lesson_id"))
    students = list(Enrolment.objects.filter(school_class_id=ids["class_id"], until__isnull=True).values_list("student_id", flat=True))
    absent = set(Attendance.objects.filter(lesson_id__in=recent, status="absent").values_list("lesson_id", "student_id"))
    cells = [(w, s) for w, lesson in works for s in students if (lesson, s) not in absent]
    from journal.models import Mark

    versions = {(w, s): v for w, s, v in Mark.objects.filter(work_id__in=[w for w, _ in works]).values_list("work_id", "student_id", "version")}
    use_public()
    assert cells, "no lessons of 7А maths inside the lock: generate the data again (it is dated up to its day)"
    signed_in = Client(HTTP_HOST="localhost")  # an allowed host (ALLOWED_HOSTS has no "testserver")
    signed_in.force_login(ids["teacher"])
    client = WsgiClient.signed_in_as(signed_in)
    url = f"/api/v1/schools/{SLUG}/journal/marks/"
    audits_before = AuditRecord.objects.filter(action="journal.mark.save").count()
    timer, counter = Timed(), iter(range(10**9))

    def save() -> None:
        i = next(counter)
        cell = cells[i % len(cells)]
        body = {"work": cell[0], "student": cell[1], "value": str(2 + i % 4), "version": versions.get(cell, 0)}
        response = client.put(url, data=json.dumps(body), content_type="application/json")
        assert response.status_code == 200, (response.status_code, response.content[:300])
        versions[cell] = response.json()["version"]

    timed_series(timer, save, 10)  # warm-up
    series = timed_series(timer, save, saves)
    audits = AuditRecord.objects.filter(action="journal.mark.save").count() - audits_before
    return {"saves": saves + 10, "audit_records": audits, "cells": len(cells), **series}


def report(gen: dict[str, Any], grid: dict[str, Any], save: dict[str, Any], ids: dict[str, Any], args: argparse.Namespace) -> str:
    load1, load5, _ = os.getloadavg()
    page, api = grid["page"], grid["api"]

    def verdict(ok: bool) -> str:
        return "meets" if ok else "**misses**"

    lines = [
        f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {machine_line(args.machine, args.server)}; "
        f"load average at the end {load1:.2f} / {load5:.2f} (1 / 5 min; the machine is shared).",
        "",
        f"Command: `nice -n 10 .venv/bin/python ops/bench/bench_journal.py{' --reuse' if args.reuse else ''}` "
        f"(repeat {args.repeat}, saves {args.saves}).",
        "",
        f"Data: one school, {ids['counts']['lessons']:,} lessons and {ids['counts']['marks']:,} marks "
        f"({gen.get('students', 1000):,} students, {gen.get('teachers', 60)} teachers, 33 classes"
        + (f"; generated in {gen['seconds']:.0f} s with bulk_create/COPY" if gen.get("seconds") else "") + ").",
        "",
        "| What (server time, in-process WSGI handler) | SQL queries | p50 ms | p95 ms | max ms | CPU p50 / p95 ms | in SQL p50 / p95 ms "
        "| target |",
        "|---|---|---|---|---|---|---|---|",
        f"| Journal grid page, {page['rows']} students × {ids['lessons_in_grid']} lessons ({page['columns']} columns, "
        f"{page['bytes'] // 1024} KiB HTML) | {page['queries']} | {page['p50']:.1f} | {page['p95']:.1f} | {page['max']:.1f} | "
        f"{page['cpu_p50']:.1f} / {page['cpu_p95']:.1f} | {page['sql_p50']:.1f} / {page['sql_p95']:.1f} | "
        f"≤ 15 queries, p95 < 100 ms: {verdict(page['queries'] <= 15 and page['p95'] < 100)} |",
        f"| Journal grid API (JSON), same grid ({api['bytes'] // 1024} KiB) | {api['queries']} | {api['p50']:.1f} | {api['p95']:.1f} | "
        f"{api['max']:.1f} | {api['cpu_p50']:.1f} / {api['cpu_p95']:.1f} | {api['sql_p50']:.1f} / {api['sql_p95']:.1f} | "
        f"≤ 15 queries: {verdict(api['queries'] <= 15)} |",
        f"| Save one mark (PUT …/journal/marks/, version checked, audit record in the same transaction) | {save['queries_max']} | "
        f"{save['p50']:.1f} | {save['p95']:.1f} | {save['max']:.1f} | {save['cpu_p50']:.1f} / {save['cpu_p95']:.1f} | "
        f"{save['sql_p50']:.1f} / {save['sql_p95']:.1f} | p95 < 30 ms: {verdict(save['p95'] < 30)} |",
        "",
        "CPU is this process's thread time (Python: routing, checks, rendering, the driver); \"in SQL\" is the wall time spent in "
        "the queries (round trips and PostgreSQL's work). With the machine shared, wall time = CPU + SQL + waiting for a core.",
        "",
        f"Grid: {page['n']} requests after 5 warm-ups. Saves: {save['n']} timed after 10 warm-ups over {save['cells']} cells of "
        f"the teacher's lessons inside the 7-day lock; audit records written: {save['audit_records']} for {save['saves']} saves.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432", help="PostgreSQL server URL")
    parser.add_argument("--database", default="zhurnal_bench_journal", help="scratch database (re-created unless --reuse)")
    parser.add_argument("--reuse", action="store_true", help="the database holds the generated school: measure only")
    parser.add_argument("--drop", action="store_true", help="drop the database at the end (default: keep it for load_journal.py)")
    parser.add_argument("--repeat", type=int, default=200, help="grid requests to time")
    parser.add_argument("--saves", type=int, default=300, help="mark saves to time")
    parser.add_argument("--marks", type=int, default=250_000)
    parser.add_argument("--machine", default="python-svc", help="machine label for the report")
    parser.add_argument("--no-doc", action="store_true", help="print the report instead of writing docs/PERFORMANCE.md")
    args = parser.parse_args(argv)
    if "bench" not in args.database:
        parser.error("the scratch database is dropped: its name must contain 'bench'")
    gen = open_bench_school(args.server, args.database, reuse=args.reuse, marks=args.marks, slug=SLUG, tag="journal")
    ids = world_ids()
    print(f"grid: {ids['lessons_in_grid']} lessons {ids['date_from']}…{ids['date_to']}", flush=True)
    grid = measure_grid(ids, args.repeat)
    print(json.dumps(grid, indent=1), flush=True)
    save = measure_saves(ids, args.saves)
    print(json.dumps(save, indent=1), flush=True)
    section = report(gen, grid, save, ids, args)
    if args.no_doc:
        print(section)
    else:
        perfdoc.write_block("Journal", START, END, section)
        print(f"written to {DOC.relative_to(ROOT)}")
    if args.drop:
        from django.db import connections

        connections.close_all()
        recreate_database(args.server, args.database, drop_only=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
