#!/usr/bin/env python
"""Load test against the running server on loopback (issue #5, "Performance").

    nice -n 10 .venv/bin/python ops/bench/load_journal.py                    # 50 teachers entering marks, 60 s
    nice -n 10 .venv/bin/python ops/bench/load_journal.py --scenario diary   # 300 parents reading diaries, 60 s

Uses the benchmark database of ops/bench/bench_journal.py (default zhurnal_bench_journal; the
school is generated with journal_data.build_journal_school when it is not there), then:

  1. prepares a plan: --users teachers who have lessons inside the 7-day lock, each with an
     API token and the cells of their own lessons (work, student, current version); for the
     diary scenario, --users parents with a signed-in session and their child's diary pages;
  2. starts gunicorn on 127.0.0.1 (config.wsgi, --workers × --threads, as ops/run.sh) against
     that database, and waits for /health/;
  3. runs locust headless (ops/bench/locust_journal.py) for --seconds with all users started;
  4. stops gunicorn and checks the database: every successful save is there (per cell the
     version grew by exactly the number of successful saves and holds the last value saved;
     one audit record per save; marks count grew by the cells that had none), no error.
Writes the figures between markers in the "## Journal" section of docs/PERFORMANCE.md.

Reusable: `prepare_teachers`, `prepare_parents`, `start_server`, `run_locust` and `stop_server`
are importable; a new scenario is a locust user class in locust_journal.py plus a plan."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import defaultdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import perfdoc
from bench_journal import SLUG
from bench_tenants import machine_line, server_database_url
from journal_data import build_journal_school, prepare_database, setup_django

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv" / "bin"
MARKERS = {
    "marks": ("<!-- ops/bench/load_journal.py marks: start -->", "<!-- ops/bench/load_journal.py marks: end -->"),
    "diary": ("<!-- ops/bench/load_journal.py diary: start -->", "<!-- ops/bench/load_journal.py diary: end -->"),
}


# --- plans ---------------------------------------------------------------------------------------------

def ensure_school() -> Any:
    from django.db import connection

    from tenants.models import School

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass('public.tenants_school')")
        migrated = cursor.fetchone()[0] is not None
    if not migrated:
        prepare_database()
    school = School.objects.filter(slug=SLUG).first()
    if school is None:
        print("generating the school (journal_data.build_journal_school)…", flush=True)
        school = build_journal_school(slug=SLUG).school
    return school


def prepare_teachers(school: Any, users: int) -> list[dict[str, Any]]:
    """Teachers with lessons inside the lock, each with a fresh API token and their cells."""
    from accounts.models import Person
    from accounts.services import create_api_token
    from journal.models import Attendance, Lesson, Mark, Work
    from journal.rules import lock_boundary
    from roster.models import Enrolment
    from tenants.db import use_public, use_school

    use_school(school)
    recent = list(Lesson.objects.filter(date__gte=lock_boundary(), school_class__grade__gt=1)
                  .values_list("pk", "teacher_id", "school_class_id"))
    works = defaultdict(list)
    for work_id, lesson_id in Work.objects.filter(lesson_id__in=[pk for pk, _, _ in recent]).values_list("pk", "lesson_id"):
        works[lesson_id].append(work_id)
    roster = defaultdict(list)
    for class_id, student_id in Enrolment.objects.filter(until__isnull=True).values_list("school_class_id", "student_id"):
        roster[class_id].append(student_id)
    absent = set(Attendance.objects.filter(lesson_id__in=[pk for pk, _, _ in recent], status="absent").values_list("lesson_id", "student_id"))
    versions = {(w, s): v for w, s, v in Mark.objects.filter(work__lesson_id__in=[pk for pk, _, _ in recent])
                .values_list("work_id", "student_id", "version")}
    cells: dict[int, list[tuple[int, int, int]]] = defaultdict(list)
    for lesson_id, teacher_id, class_id in recent:
        for work_id in works[lesson_id]:
            cells[teacher_id] += [(work_id, s, versions.get((work_id, s), 0)) for s in roster[class_id] if (lesson_id, s) not in absent]
    use_public()
    chosen = sorted(cells, key=lambda t: -len(cells[t]))[:users]
    if len(chosen) < users:
        print(f"only {len(chosen)} teachers have lessons inside the lock: each drives {users / max(len(chosen), 1):.1f} users")
    people = {p.pk: p for p in Person.objects.filter(pk__in=chosen)}
    plan = []
    for teacher_id in chosen:
        _, key = create_api_token(people[teacher_id], "load test", otp_verified=False)
        plan.append({"id": teacher_id, "token": key, "cells": cells[teacher_id]})
    return plan


def diary_pages(slug: str, student_id: int) -> list[str]:
    """The diary pages a parent reads (the hook of the second scenario). Empty while the diary's
    pages are not installed: the parents' scenario then refuses to run and says so."""
    from django.urls import Resolver404, resolve

    pages = ["/diary/", f"/s/{slug}/diary/{student_id}/", f"/s/{slug}/diary/{student_id}/marks/"]
    found = []
    for page in pages:
        try:
            resolve(page)
        except Resolver404:
            continue
        found.append(page)
    return found


def prepare_parents(school: Any, users: int) -> list[dict[str, Any]]:
    """Parents with a signed-in session (made directly in the session store) and their child's pages."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.utils.module_loading import import_string

    from accounts.models import Person
    from roster.models import Guardianship
    from tenants.db import use_public, use_school

    use_school(school)
    links = list(Guardianship.objects.order_by("pk").values_list("parent_id", "student_id")[:users])
    use_public()
    store_class = import_string(settings.SESSION_ENGINE + ".SessionStore")
    backend = next(b for b in settings.AUTHENTICATION_BACKENDS if hasattr(import_string(b), "get_user"))  # not axes
    people = {p.pk: p for p in Person.objects.filter(pk__in=[p for p, _ in links])}
    plan = []
    for parent_id, student_id in links:
        pages = diary_pages(school.slug, student_id)
        if not pages:
            return []
        session = store_class()
        session[SESSION_KEY] = str(parent_id)
        session[BACKEND_SESSION_KEY] = backend
        session[HASH_SESSION_KEY] = people[parent_id].get_session_auth_hash()
        session["_started_at"] = time.time()
        session.create()
        plan.append({"id": parent_id, "cookie_name": settings.SESSION_COOKIE_NAME, "cookie": session.session_key, "pages": pages})
    return plan


# --- the server and locust -------------------------------------------------------------------------------

def start_server(database_url: str, port: int, workers: int, threads: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "bench-only-not-a-secret", "ZHURNAL_TESTING": "1",
           "SECURE_SSL": "0", "DJANGO_DEBUG": "0", "LOG_LEVEL": "WARNING", "DJANGO_SETTINGS_MODULE": "config.settings",
           "PYTHONPATH": f"{ROOT}:{ROOT / 'platform'}:{ROOT / 'schools'}"}
    server = subprocess.Popen([str(VENV / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}",
                               "--workers", str(workers), "--threads", str(threads), "--access-logfile", "-"],
                              cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)
    for _ in range(120):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health/", timeout=2):
                return server
        except urllib.error.HTTPError:
            return server  # it answers (/health/ may be 503 here: no Celery broker for a benchmark)
        except OSError:
            time.sleep(0.5)
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited: see {log}")
    stop_server(server)
    raise RuntimeError(f"gunicorn did not answer /health/: see {log}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """TERM to the server we started (its process group: the master and its workers)."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def run_locust(user_class: str, plan_path: Path, results: Path, users: int, seconds: int, port: int, folder: Path,
               wait: str = "0.5,1.5") -> dict[str, Any]:
    """Locust headless; at the end the users finish the request in flight (--stop-timeout), so that
    every write the server made is one the driver saw."""
    env = {**os.environ, "ZH_LOAD_PLAN": str(plan_path), "ZH_LOAD_RESULTS": str(results), "ZH_LOAD_WAIT": wait}
    prefix = folder / "locust"
    subprocess.run([str(VENV / "locust"), "-f", str(ROOT / "ops" / "bench" / "locust_journal.py"), user_class, "--headless",
                    "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--host", f"http://127.0.0.1:{port}",
                    "--csv", str(prefix), "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "60"], env=env, check=False, cwd=folder)
    with open(f"{prefix}_stats.csv") as f:
        rows = {row["Name"]: row for row in csv.DictReader(f)}
    total = rows.get("Aggregated") or next(iter(rows.values()))
    failures = []
    if Path(f"{prefix}_failures.csv").exists():
        with open(f"{prefix}_failures.csv") as f:
            failures = list(csv.DictReader(f))
    return {"requests": int(total["Request Count"]), "failures": int(total["Failure Count"]), "rps": float(total["Requests/s"]),
            "p50": float(total["50%"]), "p95": float(total["95%"]), "p99": float(total["99%"]), "max": float(total["Max Response Time"]),
            "failure_samples": failures[:5]}


# --- the check after the marks scenario ------------------------------------------------------------------

def check_marks(school: Any, plan: list[dict[str, Any]], results: Path, audits_before: int, marks_before: int) -> dict[str, Any]:
    from audit.models import AuditRecord
    from journal.models import Mark
    from tenants.db import use_public, use_school

    saved = [json.loads(line) for line in results.read_text().splitlines() if line.strip()] if results.exists() else []
    per_cell: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for row in saved:
        per_cell[(row["work"], row["student"])].append(row)
    before = {(w, s): v for t in plan for w, s, v in t["cells"]}
    use_school(school)
    now = {(w, s): (v, val) for w, s, v, val in Mark.objects.filter(work_id__in={w for w, _ in per_cell})
           .values_list("work_id", "student_id", "version", "value")}
    marks_after = Mark.objects.count()
    use_public()
    lost, wrong_value = 0, 0
    for cell, rows in per_cell.items():
        version, value = now.get(cell, (0, None))
        if version - before.get(cell, 0) != len(rows):
            lost += 1
        last = max(rows, key=lambda r: r["version"])
        if str(value) != last["value"]:
            wrong_value += 1
    new_cells = sum(1 for cell in per_cell if before.get(cell, 0) == 0)
    audits = AuditRecord.objects.filter(action="journal.mark.save").count() - audits_before
    return {"saved": len(saved), "cells": len(per_cell), "cells_lost_writes": lost, "cells_wrong_value": wrong_value,
            "audit_records": audits, "marks_added": marks_after - marks_before, "new_cells": new_cells}


def _table(stats: dict[str, Any]) -> list[str]:
    return ["| requests | errors | req/s | p50 ms | p95 ms | p99 ms | max ms |", "|---|---|---|---|---|---|---|",
            f"| {stats['requests']} | {stats['failures']} | {stats['rps']:.1f} | {stats['p50']:.0f} | {stats['p95']:.0f} | "
            f"{stats['p99']:.0f} | {stats['max']:.0f} |"]


def report(scenario: str, args: argparse.Namespace, stats: dict[str, Any], check: dict[str, Any] | None, people: int) -> str:
    load1, load5, _ = os.getloadavg()
    head = (f"Measured {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {machine_line(args.machine, args.server)}; load average at "
            f"the end {load1:.2f} / {load5:.2f} (1 / 5 min; shared machine; locust runs on the same 2 cores as the server).")
    command = (f"Command: `nice -n 10 .venv/bin/python ops/bench/load_journal.py --scenario {scenario} --wait {args.wait}` — gunicorn "
               f"{args.workers} workers × {args.threads} threads on loopback, locust headless, {args.users} users started at once, "
               f"{args.seconds} s.")
    if scenario == "marks":
        assert check is not None
        ok = stats["failures"] == 0 and check["cells_lost_writes"] == 0 and check["cells_wrong_value"] == 0 \
            and check["audit_records"] == check["saved"] and check["marks_added"] == check["new_cells"]
        return "\n".join([
            f"**{args.users} teachers entering marks concurrently** ({people} distinct teachers, each in the cells of their own "
            f"lessons inside the 7-day lock, a mark every {args.wait.replace(',', '–')} s through PUT …/journal/marks/ with the cell's version).", "",
            head, "", command, "", *_table(stats), "",
            f"After the run: {check['saved']} successful saves in {check['cells']} cells; cells whose version did not grow by exactly "
            f"their successful saves: {check['cells_lost_writes']}; cells not holding the last value saved: {check['cells_wrong_value']}; "
            f"audit records written: {check['audit_records']}; marks added: {check['marks_added']} (cells that had none: "
            f"{check['new_cells']}). Verdict: {'no error, no lost write' if ok else '**errors or lost writes — see above**'}."
            + (f" Failures: {stats['failure_samples']}" if stats["failure_samples"] else ""),
        ])
    return "\n".join([
        f"**{args.users} parents reading diaries** (a signed-in parent reads their child's diary pages — "
        f"the family page, the week, the marks — a page every {args.wait.replace(',', '–')} s).", "",
        head, "", command, "", *_table(stats),
    ])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", choices=["marks", "diary"], default="marks")
    parser.add_argument("--users", type=int, help="simulated people (default 50 teachers or 300 parents)")
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--wait", default="", help="pause between a user's requests, 'min,max' seconds "
                        "(default 0.5,1.5 for teachers, 2,5 for parents)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432", help="PostgreSQL server URL")
    parser.add_argument("--database", default="zhurnal_bench_journal")
    parser.add_argument("--machine", default="python-svc")
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args(argv)
    args.users = args.users or (50 if args.scenario == "marks" else 300)
    args.wait = args.wait or ("0.5,1.5" if args.scenario == "marks" else "2,5")
    folder = Path(tempfile.mkdtemp(prefix="zhurnal-load-"))
    url = server_database_url(args.server, args.database)
    setup_django(url, str(folder))
    school = ensure_school()
    from audit.models import AuditRecord
    from journal.models import Mark
    from tenants.db import use_public, use_school

    if args.scenario == "marks":
        plan_people = prepare_teachers(school, args.users)
        plan: dict[str, Any] = {"slug": school.slug, "teachers": plan_people}
        user_class = "TeacherEnteringMarks"
    else:
        plan_people = prepare_parents(school, args.users)
        if not plan_people:
            print("The diary's pages (/s/<slug>/diary/…) are not installed in this checkout: the parents' scenario has "
                  "nothing to read. Hook: load_journal.diary_pages() and locust_journal.ParentReadingDiary.")
            return 2
        plan = {"slug": school.slug, "parents": plan_people}
        user_class = "ParentReadingDiary"
    plan_path, results = folder / "plan.json", folder / "saved.jsonl"
    plan_path.write_text(json.dumps(plan))
    audits_before = AuditRecord.objects.filter(action="journal.mark.save").count()
    use_school(school)
    marks_before = Mark.objects.count()
    use_public()
    from django.db import connections

    connections.close_all()
    server = start_server(url, args.port, args.workers, args.threads, folder / "gunicorn.log")
    try:
        print(f"gunicorn pid {server.pid} on 127.0.0.1:{args.port}; locust {user_class} × {args.users}, {args.seconds} s…", flush=True)
        stats = run_locust(user_class, plan_path, results, args.users, args.seconds, args.port, folder, args.wait)
    finally:
        stop_server(server)
    check = check_marks(school, plan_people, results, audits_before, marks_before) if args.scenario == "marks" else None
    print(json.dumps({"stats": stats, "check": check}, indent=1, default=str))
    section = report(args.scenario, args, stats, check, len(plan_people))
    if args.no_doc:
        print(section)
    else:
        perfdoc.write_block("Journal", *MARKERS[args.scenario], section)
        print("written to docs/PERFORMANCE.md")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
