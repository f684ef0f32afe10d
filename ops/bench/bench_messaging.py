#!/usr/bin/env python
"""Benchmark: the messaging pages and API on a busy school, in-process (issue #6, R-D06).

    nice -n 10 .venv/bin/python ops/bench/bench_messaging.py           # generate, measure, write the doc
    nice -n 10 .venv/bin/python ops/bench/bench_messaging.py --no-doc  # print only

Builds in its own database (default zhurnal_bench_messaging, re-created, dropped at the end) one
school where a class teacher has --conversations conversations with families (--per messages
each, half of them unread) and one long conversation of --long messages with a file on every
tenth, and --announcements class announcements; then, through Django's test Client in this
process (server time: routing, middleware, access checks, queries, rendering; no network), times
--repeat requests after warm-ups of: the inbox page, the long conversation's page, the inbox API,
the conversation API, the unread counters, the announcements page of a parent, the summary
across schools, and --sends replies through the API (service, audit, read mark). Writes the
figures between markers in the "## Messages" section of docs/PERFORMANCE.md."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
import perfdoc
from bench_journal import summary
from bench_tenants import machine_line, recreate_database, server_database_url
from journal_data import prepare_database, setup_django

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "PERFORMANCE.md"
START, END = "<!-- ops/bench/bench_messaging.py: start -->", "<!-- ops/bench/bench_messaging.py: end -->"


def build(conversations: int, per: int, long: int, announcements: int) -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Membership, Person
    from accounts.roles import Role
    from messaging.models import Announcement, Attachment, Conversation, Message, Participant
    from roster.models import Enrolment, Guardianship, SchoolClass
    from schoolyear.models import AcademicYear
    from tenants.db import use_public, use_school
    from tenants.models import School
    from tenants.services import SchoolData, create_school

    started = time.perf_counter()
    admin = Person.objects.create_user(login="bench.admin", surname="Админ", name="Район")
    Membership.objects.create(person=admin, role=Role.DISTRICT_ADMIN)
    school = create_school(admin, SchoolData(slug="bench-msg", full_name="Школа сообщений", short_name="Сообщения", municipal_code="BM1"))
    second = create_school(admin, SchoolData(slug="bench-msg-2", full_name="Вторая школа", short_name="Вторая", municipal_code="BM2"))
    teacher = Person.objects.create_user(login="bench.teacher", surname="Классова", name="Вера")
    parents = Person.objects.bulk_create([Person(login=f"bench.p{i}", surname=f"Родитель{i}", name="Т", password="!")
                                          for i in range(conversations)])
    students = Person.objects.bulk_create([Person(login=f"bench.s{i}", surname=f"Ученик{i}", name="Т", password="!")
                                           for i in range(conversations)])
    use_school(school)
    year = AcademicYear.objects.create(name="2026/2027", starts_on=dt.date(2026, 9, 1), ends_on=dt.date(2027, 5, 25), status="open")
    cls = SchoolClass.objects.create(year=year, grade=5, letter="А", class_teacher=teacher)
    Enrolment.objects.bulk_create([Enrolment(student=s, school_class=cls, since=dt.date(2026, 9, 1)) for s in students])
    Guardianship.objects.bulk_create([Guardianship(parent=p, student=s) for p, s in zip(parents, students, strict=True)])
    now = timezone.now()
    with transaction.atomic():
        convs = Conversation.objects.bulk_create([
            Conversation(subject=f"Тема {i}", created_by=parents[i], created_at=now, last_message_at=now - dt.timedelta(minutes=i))
            for i in range(conversations)])
        long_conv = Conversation.objects.create(subject="Длинная переписка", created_by=teacher, created_at=now, last_message_at=now)
        Participant.objects.bulk_create(
            [Participant(conversation=c, person=teacher, last_read_at=now if i % 2 else None) for i, c in enumerate(convs)]
            + [Participant(conversation=c, person=parents[i], last_read_at=now) for i, c in enumerate(convs)]
            + [Participant(conversation=long_conv, person=teacher, last_read_at=now),
               Participant(conversation=long_conv, person=parents[0], last_read_at=now - dt.timedelta(hours=1))])
        rows = []
        for i, c in enumerate(convs):
            for k in range(per):
                author = parents[i] if k % 2 == 0 else teacher
                rows.append(Message(conversation=c, author=author, body=f"Сообщение {k} о домашнем задании и оценках " * 2,
                                    created_at=now - dt.timedelta(minutes=i, seconds=per - k)))
        rows += [Message(conversation=long_conv, author=teacher if k % 2 else parents[0], body=f"Длинная {k}",
                         created_at=now - dt.timedelta(seconds=long - k)) for k in range(long)]
        Message.objects.bulk_create(rows, batch_size=5000)
        longs = list(Message.objects.filter(conversation=long_conv).values_list("pk", flat=True))
        Attachment.objects.bulk_create([Attachment(message_id=pk, file=f"messaging/{school.schema_name}/bench/{pk}.pdf",
                                                   name=f"файл {pk}.pdf", content_type="application/pdf", size=1000)
                                        for pk in longs[::10]])
        Announcement.objects.bulk_create([Announcement(author=teacher, audience="class", school_class=cls, title=f"Объявление {i}",
                                                       body="Текст объявления " * 20, created_at=now - dt.timedelta(hours=i))
                                          for i in range(announcements)])
    use_public()
    Membership.objects.bulk_create(
        [Membership(person=teacher, school=school, role=Role.CLASS_TEACHER, class_id=cls.pk, since=dt.date(2026, 9, 1)),
         Membership(person=teacher, school=school, role=Role.TEACHER, since=dt.date(2026, 9, 1)),
         Membership(person=teacher, school=second, role=Role.TEACHER, since=dt.date(2026, 9, 1))]
        + [Membership(person=p, school=school, role=Role.PARENT, since=dt.date(2026, 9, 1)) for p in parents])
    return {"school": School.objects.get(pk=school.pk), "teacher": teacher, "parent": parents[0], "long_conv": long_conv.pk,
            "messages": len(rows), "conversations": conversations + 1, "attachments": len(longs[::10]),
            "announcements": announcements, "seconds": time.perf_counter() - started}


def timed(client: Any, url: str, repeat: int, warm: int = 3) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(warm):
        assert client.get(url).status_code == 200, url
    ms: list[float] = []
    queries = 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get(url)
            if hasattr(response, "streaming_content"):
                b"".join(response.streaming_content)
            ms.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, url
        queries = len(ctx.captured_queries)
    return {**summary(ms), "queries": queries}


def measure(world: dict[str, Any], repeat: int, sends: int) -> dict[str, dict[str, Any]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from audit.models import AuditRecord

    teacher, parent = Client(HTTP_HOST="localhost"), Client(HTTP_HOST="localhost")
    teacher.force_login(world["teacher"])
    parent.force_login(world["parent"])
    slug, conv = world["school"].slug, world["long_conv"]
    page, api = f"/s/{slug}/messages/", f"/api/v1/schools/{slug}/messages/"
    results = {
        "Входящие (страница), учитель": timed(teacher, page, repeat),
        "Длинная переписка (страница, последние 200)": timed(teacher, f"{page}{conv}/", repeat),
        "Входящие (API, 50 переписок)": timed(teacher, f"{api}conversations/", repeat),
        "Переписка (API, последние 200)": timed(teacher, f"{api}conversations/{conv}/", repeat),
        "Счётчики непрочитанного (API)": timed(teacher, f"{api}unread/", repeat),
        "Объявления (страница), родитель": timed(parent, f"{page}announcements/", repeat),
        "Сообщения во всех школах (/messages/, 2 школы)": timed(teacher, "/messages/", repeat),
    }
    before = AuditRecord.objects.filter(action="messaging.message_sent").count()
    ms: list[float] = []
    queries = 0
    for i in range(sends + 5):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = teacher.post(f"{api}conversations/{conv}/messages/", {"body": f"Ответ {i}"}, content_type="application/json")
            elapsed = (time.perf_counter() - t0) * 1000
        assert response.status_code == 201, response.content
        if i >= 5:
            ms.append(elapsed)
            queries = len(ctx.captured_queries)
    results["Ответ в переписке (API POST, с аудитом)"] = {**summary(ms), "queries": queries}
    assert AuditRecord.objects.filter(action="messaging.message_sent").count() == before + sends + 5
    return results


def report(world: dict[str, Any], results: dict[str, dict[str, Any]], args: argparse.Namespace) -> str:
    lines = [
        f"Measured {dt.date.today():%Y-%m-%d} on {machine_line(args.machine, args.server)}.",
        f"Command: `python ops/bench/bench_messaging.py --conversations {args.conversations} --per {args.per} --long {args.long}`. "
        f"Data: {world['conversations']} conversations, {world['messages']} messages, {world['attachments']} files, "
        f"{world['announcements']} announcements of one class; generated in {world['seconds']:.1f} s. "
        "In-process server time (Django test Client: routing, middleware, access, SQL, rendering; no network), "
        f"{args.repeat} requests after 3 warm-ups; {args.sends} replies after 5 warm-ups. "
        f"1-minute load average {world['load'][0]:.1f} at the start of the measurements, {os.getloadavg()[0]:.1f} at the end "
        "(the machine is shared).",
        "",
        "| Request | SQL queries | p50 ms | p95 ms | max ms |",
        "|---|---|---|---|---|",
    ]
    for name, r in results.items():
        lines.append(f"| {name} | {r['queries']} | {r['p50']:.1f} | {r['p95']:.1f} | {r['max']:.1f} |")
    lines += ["", "Query counts do not depend on the number of conversations, messages or files "
              "(tests/test_messaging.py proves it for 2 and 40); the summary across schools costs ~5 queries per school."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--server", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="zhurnal_bench_messaging")
    parser.add_argument("--conversations", type=int, default=1000)
    parser.add_argument("--per", type=int, default=20)
    parser.add_argument("--long", type=int, default=5000)
    parser.add_argument("--announcements", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--sends", type=int, default=100)
    parser.add_argument("--machine", default="python-svc")
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args(argv)
    if "bench" not in args.database:
        parser.error("the scratch database is dropped: its name must contain 'bench'")
    recreate_database(args.server, args.database)
    setup_django(server_database_url(args.server, args.database), tempfile.mkdtemp(prefix="zhurnal-bench-messaging-"))
    try:
        prepare_database()
        world = build(args.conversations, args.per, args.long, args.announcements)
        print(f"generated in {world['seconds']:.1f} s", flush=True)
        world["load"] = os.getloadavg()
        results = measure(world, args.repeat, args.sends)
        section = report(world, results, args)
        print(section)
        if not args.no_doc:
            perfdoc.write_block("Messages", START, END, section)
            print(f"written to {DOC.relative_to(ROOT)}")
    finally:
        from django.db import connections

        connections.close_all()
        recreate_database(args.server, args.database, drop_only=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
