"""Gaps found in review of messages (R-D06) and the diary (R-D01, R-D02, R-D05, R-A02), closed:

Messages: an abuse report reaches the school administration (a notice through notify's outbox and
an open-reports count on their tab, closed with an audit record); a message from staff to several
families becomes one conversation per family when parents may not write to parents, so no family
sees or answers another; the files of one message are at most 19 MB together, within the
ingress's 20 MB request limit.

Diary: what each mark was for is shown on the marks page (a tap on a phone, always in print); a
past academic year's marks are reached with `?year=` (access unchanged); an unknown `?period=` is
404 on the page and a validation error in the API, never the whole year under a wrong label; the
cached child switch notices a newly linked child without a visit to /diary/. Pages stay at ten
queries or fewer. (The phone and print views in Chromium: tests/test_browser_diary_marks.py.)

The worlds are those of tests/test_messaging.py (`mw`) and tests/test_diary.py (`world`, "today"
is Wednesday 2026-11-25)."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Person
from accounts.roles import Role
from audit.models import AuditRecord
from core.errors import Conflict, PermissionDenied, ValidationFailed
from messaging import services, signals
from messaging.files import MAX_FILE_BYTES, MAX_FILES, MAX_MESSAGE_BYTES
from messaging.models import AbuseReport, Attachment, Conversation, Message, Participant
from roster.models import Enrolment, Guardianship, SchoolClass
from tenants.db import use_public, use_school
from tests import test_diary as dbase
from tests import test_messaging as mbase
from tests.conftest import make_class
from tests.test_diary import World, family_client
from tests.test_messaging import MW, PDF, fresh, write

# The worlds of the modules (fixtures shared by assignment, as tests/test_messaging_access.py does).
mw, as_, _media = mbase.mw, mbase.as_, mbase._media
world, _today = dbase.world, dbase._today

pytestmark = pytest.mark.django_db
D = dt.date
ROOT = Path(__file__).resolve().parent.parent


def _participants(conversation: Conversation) -> set[int]:
    return set(Participant.objects.filter(conversation=conversation).values_list("person_id", flat=True))


# --- 1. abuse reports reach the administration ------------------------------------------------------------

def test_abuse_report_notifies_the_administration_and_counts_on_its_tab(mw: MW, as_: Any, make_person: Any, grant: Any) -> None:
    """R-D06 (the report button): a parent's report reaches every person of the school administration
    as a notice (through notify's outbox; no message text, no names), is counted on their
    «Жалобы и настройки» tab and in the API until closed, and closing it is audited."""
    from notify.models import Notice

    deputy = make_person("Завучева", "Галина")
    use_public()
    grant(deputy, Role.DEPUTY, mw.school)
    use_school(mw.school)
    conv = write(mw, mw.teacher, [mw.parent], "Грубое сообщение")
    message = Message.objects.get(conversation=conv)
    director = as_(mw.director)
    assert 'data-testid="open-reports"' not in director.get(mw.url()).content.decode()

    assert as_(mw.parent).post(mw.url(f"m/{message.pk}/report/"), {"reason": "Оскорбление"}).status_code == 302
    report = AbuseReport.objects.get()
    notices = list(Notice.objects.filter(key=f"{mw.school.schema_name}:abuse_report:{report.pk}"))
    assert sorted(n.recipient_id for n in notices) == sorted([mw.director.pk, deputy.pk])
    for n in notices:
        text = f"{n.title} {n.body} {n.payload}"
        assert "Грубое" not in text and "Оскорбление" not in text and mw.parent.surname not in text and mw.teacher.surname not in text
        assert f"/s/{mw.school.slug}/messages/reports/" in n.body and n.in_app
    # Nobody else hears of it: not the reporter, the author, the teachers or the secretary.
    assert not Notice.objects.filter(key__contains="abuse_report", recipient_id__in=[mw.parent.pk, mw.teacher.pk, mw.secretary.pk,
                                                                                      mw.ct.pk]).exists()

    for page in ("", "announcements/", "reports/", "new/"):
        assert 'data-testid="open-reports">1<' in director.get(mw.url(page)).content.decode(), page
    assert director.get(mw.api("unread/")).json()["open_reports"] == 1
    assert as_(mw.teacher).get(mw.api("unread/")).json()["open_reports"] is None
    assert 'data-testid="tab-reports"' not in as_(mw.teacher).get(mw.url()).content.decode()

    with pytest.raises(Conflict):  # the same report twice: refused, and no second notice
        services.report_abuse(fresh(mw.parent), mw.school, message)
    assert Notice.objects.filter(key__contains="abuse_report").count() == 2

    assert director.post(mw.url(f"reports/{report.pk}/resolve/"), {"resolution": "Беседа с учителем"}).status_code == 302
    report.refresh_from_db()
    assert report.resolved_by_id == mw.director.pk and report.resolution == "Беседа с учителем"
    assert 'data-testid="open-reports"' not in director.get(mw.url("reports/")).content.decode()
    assert director.get(mw.api("unread/")).json()["open_reports"] == 0
    use_public()
    reported = AuditRecord.objects.get(action="messaging.abuse_reported")
    assert sorted(reported.after["administration_told"]) == sorted([mw.director.pk, deputy.pk])
    assert AuditRecord.objects.filter(action="messaging.abuse_resolved", actor=mw.director, object_id=str(report.pk)).count() == 1


def test_a_reporting_administrator_is_not_told_of_their_own_report(mw: MW) -> None:
    """R-D06: the director reports a message written to them; the report is counted, but the notice
    goes to the rest of the administration (here nobody), not back to the reporter."""
    from notify.models import Notice

    conv = write(mw, mw.parent, [mw.director], "Текст")
    services.report_abuse(fresh(mw.director), mw.school, Message.objects.get(conversation=conv))
    assert not Notice.objects.filter(key__contains="abuse_report").exists()
    assert AbuseReport.objects.filter(resolved_at__isnull=True).count() == 1


def test_closing_a_report_needs_the_administration_and_a_resolution(mw: MW, as_: Any) -> None:
    """R-D06: only the administration closes a report, with what was done; twice is refused."""
    conv = write(mw, mw.teacher, [mw.parent], "Текст")
    report = services.report_abuse(fresh(mw.parent), mw.school, Message.objects.get(conversation=conv))
    assert as_(mw.teacher).post(mw.url(f"reports/{report.pk}/resolve/"), {"resolution": "x"}).status_code == 403
    with pytest.raises(ValidationFailed):
        services.resolve_report(fresh(mw.director), mw.school, report, resolution="  ")
    services.resolve_report(fresh(mw.director), mw.school, report, resolution="Проверено")
    with pytest.raises(Conflict):
        services.resolve_report(fresh(mw.director), mw.school, report, resolution="Ещё раз")


# --- 2. families are kept apart ---------------------------------------------------------------------------

def test_staff_message_to_several_families_becomes_one_conversation_per_family(mw: MW, as_: Any, make_person: Any, grant: Any,
                                                                               django_capture_on_commit_callbacks: Any) -> None:
    """R-D06 (002 §4.4–4.5; parents may not write to parents unless the school allows it): a teacher
    writes to three families and the class teacher with a file. Each family gets its own
    conversation — the teacher, the class teacher and that family (both parents of one child and
    the child together) — with the same subject, text and file (stored once); it is audited as one
    send; no family is told of, sees or can answer another."""
    father = make_person("Маминов", "Сергей")
    Guardianship.objects.create(parent=father, student=mw.student, kind="father")
    use_public()
    grant(father, Role.PARENT, mw.school)
    use_school(mw.school)
    sent: list[dict[str, Any]] = []

    def heard(**kwargs: Any) -> None:
        sent.append(kwargs)

    signals.message_sent.connect(heard)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            started = services.start_conversations(
                fresh(mw.teacher), mw.school, subject="Экскурсия", body="В пятницу едем в музей.",
                recipient_ids=[mw.parent2.pk, mw.parent.pk, mw.student.pk, father.pk, mw.parent3.pk, mw.ct.pk],
                files=[SimpleUploadedFile("маршрут.pdf", PDF)])
    finally:
        signals.message_sent.disconnect(heard)
    staff = {mw.teacher.pk, mw.ct.pk}
    assert [_participants(c) for c in started] == [staff | {mw.parent.pk, father.pk, mw.student.pk}, staff | {mw.parent2.pk},
                                                   staff | {mw.parent3.pk}]
    messages = [Message.objects.get(conversation=c) for c in started]
    assert {(c.subject, m.body) for c, m in zip(started, messages, strict=True)} == {("Экскурсия", "В пятницу едем в музей.")}
    files = list(Attachment.objects.filter(message__in=messages))
    assert len(files) == 3 and len({a.file.name for a in files}) == 1 and {a.name for a in files} == {"маршрут.pdf"}
    assert len([p for p in Path(files[0].file.path).parent.iterdir()]) == 1  # stored once
    # Each family is told of its own message only; the class teacher once, by the first (R-D06).
    assert [sorted(s["recipient_ids"]) for s in sent] == [sorted(_participants(c) - ({mw.teacher.pk} if i == 0 else staff))
                                                          for i, c in enumerate(started)]

    use_public()
    records = list(AuditRecord.objects.filter(school=mw.school, action__startswith="messaging."))
    assert [r.action for r in records] == ["messaging.conversation_started"]
    after = records[0].after
    assert after["split_by_family"] and [c["conversation"] for c in after["conversations"]] == [c.pk for c in started]
    assert "музей" not in str(after)
    use_school(mw.school)

    parent2 = as_(mw.parent2)
    html = parent2.get(mw.url(f"{started[1].pk}/")).content.decode()
    assert mw.teacher.full_name in html and mw.parent.full_name not in html and mw.parent3.full_name not in html
    assert parent2.get(mw.url(f"{started[0].pk}/")).status_code == 403
    reply = services.send_message(fresh(mw.parent2), mw.school, started[1], body="Спасибо, поедем.")
    assert reply.conversation_id == started[1].pk
    assert sorted(Participant.objects.filter(conversation=started[1]).exclude(person=mw.parent2).values_list("person_id", flat=True)) \
        == sorted(staff)
    # The father answers in his family's conversation; the mother sees it, the other families do not.
    services.send_message(fresh(father), mw.school, started[0], body="Мы согласны.")
    assert "Мы согласны." in as_(mw.parent).get(mw.url(f"{started[0].pk}/")).content.decode()
    assert "Мы согласны." not in parent2.get(mw.url()).content.decode()


def test_the_page_and_the_api_send_to_several_families_separately(mw: MW, as_: Any) -> None:
    """R-D06: the same through the new-message page (back to the inbox, saying so) and the API
    (every conversation's id); one family with staff stays one conversation."""
    teacher = as_(mw.teacher)
    response = teacher.post(mw.url("new/"), {"recipients": [mw.parent.pk, mw.parent2.pk], "subject": "Собрание", "body": "В четверг."})
    assert response.status_code == 302 and response["Location"] == mw.url()
    assert "каждой семье отдельно" in teacher.get(mw.url()).content.decode()
    assert Conversation.objects.count() == 2
    created = teacher.post(mw.api("conversations/"), {"recipients": [mw.parent.pk, mw.parent3.pk], "body": "Текст"},
                           content_type="application/json").json()
    assert len(created["conversation_ids"]) == 2 and created["conversation_id"] == created["conversation_ids"][0]
    one = teacher.post(mw.api("conversations/"), {"recipients": [mw.parent.pk, mw.ct.pk, mw.student.pk], "body": "Текст"},
                       content_type="application/json").json()
    assert one["conversation_ids"] == [one["conversation_id"]]
    assert _participants(Conversation.objects.get(pk=one["conversation_id"])) == {mw.teacher.pk, mw.parent.pk, mw.ct.pk, mw.student.pk}
    assert 'data-testid="families-apart"' in teacher.get(mw.url("new/")).content.decode()


def test_where_parents_may_write_parents_a_group_stays_until_the_school_forbids_it(mw: MW) -> None:
    """R-D06: with the school's permission, one conversation holds several parents and each may
    answer; once the school switches it off, a parent no longer answers there (staff still do);
    students of different families are never put together."""
    services.set_settings(fresh(mw.director), mw.school, parents_may_write_parents=True)
    group = write(mw, mw.teacher, [mw.parent, mw.parent2], "Кто поможет с праздником?")
    assert _participants(group) == {mw.teacher.pk, mw.parent.pk, mw.parent2.pk}
    services.send_message(fresh(mw.parent), mw.school, group, body="Я помогу.")
    students = services.start_conversations(fresh(mw.teacher), mw.school, recipient_ids=[mw.student.pk, mw.student2.pk], subject="",
                                            body="Олимпиада в субботу.")
    assert [_participants(c) for c in students] == [{mw.teacher.pk, mw.student.pk}, {mw.teacher.pk, mw.student2.pk}]

    services.set_settings(fresh(mw.director), mw.school, parents_may_write_parents=False)
    with pytest.raises(PermissionDenied) as refused:
        services.send_message(fresh(mw.parent2), mw.school, group, body="И я.")
    assert refused.value.code == "families_apart" and "другие семьи" in refused.value.message
    services.send_message(fresh(mw.teacher), mw.school, group, body="Спасибо всем.")
    assert Message.objects.filter(conversation=group).count() == 3


def test_a_conversation_with_someone_who_left_is_still_one_family(mw: MW) -> None:
    """R-D06: a participant with no current role (a teacher who left) is no family of their own:
    the parent still answers in the conversation."""
    from accounts.models import Membership

    conv = write(mw, mw.teacher, [mw.parent, mw.ct], "Текст")
    use_public()
    Membership.objects.filter(person=mw.ct).update(since=D(2025, 9, 1), until=D(2026, 1, 1))
    use_school(mw.school)
    services.send_message(fresh(mw.parent), mw.school, conv, body="Ответ")


# --- 3. the files of one message together --------------------------------------------------------------------

def test_files_of_one_message_are_at_most_19_mb_together(mw: MW, as_: Any) -> None:
    """R-D06 bad input: two files each under 10 MB but together over 19 MB are refused in Russian
    (page and API), before the ingress's 20 MB limit would answer a bare 413; nothing is written;
    just under the total goes through."""
    size = MAX_MESSAGE_BYTES // 2 + 1024
    assert size < MAX_FILE_BYTES

    def two() -> list[SimpleUploadedFile]:
        return [SimpleUploadedFile(f"скан{i}.pdf", PDF + b"0" * (size - len(PDF)), content_type="application/pdf") for i in (1, 2)]

    with pytest.raises(ValidationFailed) as caught:
        write(mw, mw.parent, [mw.teacher], "Сканы", files=two())
    assert caught.value.code == "attachments_too_large" and "вместе больше 19 МБ" in caught.value.message
    api = as_(mw.parent).post(mw.api("conversations/"), {"recipients": [mw.teacher.pk], "body": "Сканы", "attachments": two()})
    assert api.status_code == 400 and api.json()["error"]["code"] == "attachments_too_large"
    html = as_(mw.parent).post(mw.url("new/"), {"recipients": [mw.teacher.pk], "body": "Сканы", "attachments": two()}).content.decode()
    assert "вместе больше 19 МБ" in html and "вместе до 19 МБ" in html
    assert Message.objects.count() == 0
    conv = write(mw, mw.parent, [mw.teacher], "Сканы", files=[SimpleUploadedFile("a.pdf", PDF + b"0" * (size - 4096)),
                                                                SimpleUploadedFile("b.pdf", PDF + b"0" * (size - 4096))])
    assert Attachment.objects.filter(message__conversation=conv).count() == 2


def test_the_ingress_limit_leaves_room_for_a_full_message() -> None:
    """R-D06: helm's request limit is above the per-message total (text and multipart envelope fit),
    and the total is below 5 × 10 MB, so the application, not the proxy, refuses a large message."""
    values = (ROOT / "helm" / "values.yaml").read_text()
    found = re.search(r"proxy-body-size:\s*(\d+)m", values)
    assert found is not None
    limit = int(found.group(1)) * 1024 * 1024
    assert MAX_MESSAGE_BYTES + 512 * 1024 <= limit < MAX_FILES * MAX_FILE_BYTES
    assert "MAX_MESSAGE_BYTES" in values


# --- 4. what each mark was for, visible --------------------------------------------------------------------

def test_marks_page_shows_the_work_of_each_mark_on_a_phone_and_in_print(world: World) -> None:
    """R-D01 (004 §3: «сведения о содержании занятий и работ, по результатам которых получены
    оценки»): on the marks page each mark's work type and topic is in the page's text, in a
    tap-to-open list and in a copy that the print style shows — not only in a tooltip."""
    html = family_client(world.parent).get(world.page(world.artyom, "marks/")).content.decode()
    details = html[html.index('data-testid="mark-works"'):]
    details = details[:details.index("</details>")]
    printed = html[html.index('data-testid="mark-works-print"'):]
    printed = printed[:printed.index("</ol>")]
    for part in (details, printed):
        assert "Контрольная по дробям" in part and world.control.name in part and "Устный счёт" in part and world.answer.name in part
        assert part.count('data-testid="mark-work"') == 3
        assert "24.11" in part
    css = (ROOT / "static" / "css" / "diary.css").read_text()
    media = css[css.index("@media print"):]
    assert ".d-why-print { display:block" in media and ".d-why-print { display:none; }" in css


# --- 5. past years -------------------------------------------------------------------------------------------

@pytest.fixture
def past(world: World) -> dict[str, Any]:
    """Artyom's previous year in school A: 4А of 2025/2026 with two half-years, a mark in March and a
    year mark; Boris was not in this school that year."""
    from curriculum.models import CurriculumLine
    from journal.models import Lesson, Mark, PeriodMark, Work
    from schoolyear.models import AcademicYear, PeriodScheme, StudyPeriod

    use_school(world.a)
    try:
        year = AcademicYear.objects.create(name="2025/2026", starts_on=D(2025, 9, 1), ends_on=D(2026, 5, 31), status="closed")
        other = AcademicYear.objects.create(name="2024/2025", starts_on=D(2024, 9, 1), ends_on=D(2025, 5, 31), status="closed")
        cls = SchoolClass.objects.create(year=year, grade=4, letter="А")
        scheme = PeriodScheme.objects.create(year=year, kind="half_year", grades=[4])
        h1 = StudyPeriod.objects.create(scheme=scheme, number=1, name="1 полугодие", starts_on=D(2025, 9, 1), ends_on=D(2025, 12, 28))
        h2 = StudyPeriod.objects.create(scheme=scheme, number=2, name="2 полугодие", starts_on=D(2026, 1, 12), ends_on=D(2026, 5, 31))
        CurriculumLine.objects.create(school_class=cls, subject=world.maths, hours_per_week=4)
        Enrolment.objects.create(student=world.artyom, school_class=cls, since=D(2025, 9, 1), until=D(2026, 5, 31))
        lesson = Lesson.objects.create(school_class=cls, subject=world.maths, teacher=world.teacher, created_by=world.teacher,
                                       date=D(2026, 3, 10), lesson_number=1, topic="Умножение столбиком")
        work = Work.objects.create(lesson=lesson, work_type=world.control, position=1, topic="Контрольная за третью четверть")
        Mark.objects.create(work=work, student=world.artyom, value=4, created_by=world.teacher)
        PeriodMark.objects.create(student=world.artyom, school_class=cls, subject=world.maths, kind="year", value=5,
                                  created_by=world.teacher)
        return {"year": year, "other": other, "h1": h1, "h2": h2}
    finally:
        use_public()


def test_a_past_years_marks_on_the_page_and_in_the_api(world: World, past: dict[str, Any]) -> None:
    """R-D01 (the past periods too), R-D05 (the year mark stays visible): `?year=` opens the child's
    previous year in this school — its class, its periods (the last by default), its marks and
    results, no forecast; the page has a switch between the child's years."""
    year = past["year"]
    client = family_client(world.parent)
    html = client.get(world.page(world.artyom, "marks/") + f"?year={year.pk}").content.decode()
    assert "Контрольная за третью четверть" in html and "2 полугодие" in html and "4А" in html
    assert 'data-testid="year-switch"' in html and f'data-testid="year-{year.pk}"' in html and "2026/2027" in html
    assert f'href="?year={year.pk}&amp;period={past["h1"].pk}"' in html
    assert 'data-testid="forecast"' not in html and "Контрольная по дробям" not in html
    data = client.get(world.api(world.artyom, "marks/") + f"?year={year.pk}").json()
    assert data["year"]["name"] == "2025/2026" and data["school_class"] == "4А" and not data["is_current"]
    assert [y["name"] for y in data["years"]] == ["2025/2026", "2026/2027"]
    assert data["period"] == past["h2"].pk and [p["name"] for p in data["periods"]] == ["1 полугодие", "2 полугодие"]
    maths = next(s for s in data["subjects"] if s["subject_id"] == world.maths.pk)
    assert [(m["value"], m["topic"]) for m in maths["marks"]] == [(4, "Контрольная за третью четверть")] and maths["forecast"] is None
    assert data["results"][0]["year"] == "5"
    whole = client.get(world.api(world.artyom, "marks/") + f"?year={year.pk}&period=year").json()
    assert whole["period"] is None and whole["date_from"] == "2025-09-01"
    # Today's year by default, with none of last year's marks.
    now = client.get(world.api(world.artyom, "marks/")).json()
    assert now["year"]["name"] == "2026/2027" and now["school_class"] == "5А"
    assert all(m["topic"] != "Контрольная за третью четверть" for s in now["subjects"] for m in s["marks"])
    # The student reads their own past year.
    assert family_client(world.artyom).get(world.page(world.artyom, "marks/") + f"?year={year.pk}").status_code == 200


def test_past_year_access_is_unchanged(world: World, past: dict[str, Any]) -> None:
    """R-A02: another parent or a classmate asking for the child's past year is refused 403 and
    audited, as today; the family asking for a year the child did not study here gets 404; a year
    that is not a number is 404 on the page and a validation error in the API."""
    year = past["year"]
    for reader in (world.other_parent, world.boris):
        client = family_client(reader)
        for url in (world.page(world.artyom, "marks/"), world.api(world.artyom, "marks/")):
            before = AuditRecord.objects.filter(action="access.refused", actor=reader).count()
            r = client.get(url + f"?year={year.pk}")
            assert r.status_code == 403 and "Контрольная за третью четверть" not in r.content.decode()
            assert AuditRecord.objects.filter(action="access.refused", actor=reader).count() == before + 1
    assert family_client(world.parent).get(world.page(world.boris, "marks/") + f"?year={year.pk}").status_code == 403
    parent = family_client(world.parent)
    for url in (world.page(world.artyom, "marks/"), world.api(world.artyom, "marks/")):
        assert parent.get(url + f"?year={past['other'].pk}").status_code == 404
        assert parent.get(url + "?year=987654").status_code == 404
    assert family_client(world.other_parent).get(world.page(world.boris, "marks/") + f"?year={year.pk}").status_code == 404
    assert parent.get(world.page(world.artyom, "marks/") + "?year=прошлый").status_code == 404
    bad = parent.get(world.api(world.artyom, "marks/") + "?year=прошлый")
    assert bad.status_code == 400 and "year" in bad.json()["error"]["fields"]


# --- 6. an unknown period ------------------------------------------------------------------------------------

def test_unknown_period_is_404_on_the_page_and_a_validation_error_in_the_api(world: World, past: dict[str, Any]) -> None:
    """R-D01: `?period=` naming no period of the year shown — an unknown id, another year's period,
    a word — is 404 on the page and 400 with the field in the API (marks and forecast), instead of
    the whole year labelled «Учебный год»."""
    client = family_client(world.parent)
    for raw in ("987654", str(past["h1"].pk), "abc", "-1"):
        page = client.get(world.page(world.artyom, "marks/") + f"?period={raw}")
        assert page.status_code == 404 and "Учебный год" not in page.content.decode(), raw
        for endpoint in ("marks/", "forecast/"):
            api = client.get(world.api(world.artyom, endpoint) + f"?period={raw}")
            assert api.status_code == 400, (raw, endpoint)
            assert api.json()["error"]["code"] == "unknown_period" and "period" in api.json()["error"]["fields"]
    # Another year's period is valid with that year.
    assert client.get(world.page(world.artyom, "marks/") + f"?year={past['year'].pk}&period={past['h1'].pk}").status_code == 200
    for raw in (str(world.q1.pk), "year", ""):
        assert client.get(world.page(world.artyom, "marks/") + f"?period={raw}").status_code == 200
        assert client.get(world.api(world.artyom, "marks/") + f"?period={raw}").status_code == 200
    assert client.get(world.api(world.artyom, "forecast/") + f"?period={world.q1.pk}").status_code == 200
    assert client.get(world.api(world.artyom, "forecast/") + "?period=year").status_code == 400


# --- 7. the child switch --------------------------------------------------------------------------------------

def _switch_ids(html: str) -> set[int]:
    block = html[html.index('data-testid="child-switch"'):]
    block = block[:block.index("</ul>")]
    return {int(pk) for pk in re.findall(r'data-testid="child-(\d+)"', block)}


def _count(client: Any, url: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(ctx.captured_queries), response.content.decode()


def test_a_newly_linked_child_appears_in_the_switch_without_visiting_the_diary_home(world: World, make_person: Any,
                                                                                    make_school: Any, grant: Any) -> None:
    """R-D02 (no request to staff), R-A02: the switch kept in the session shows a child linked after
    the parent opened /diary/ on the next diary page, and drops an unlinked one; the same for a
    child in a school where the parent just got a role. The pages read the list again only then,
    and stay at ten queries or fewer."""
    client = family_client(world.parent)
    client.get("/diary/")
    url = world.page(world.artyom) + "?week=2026-11-23"
    steady, html = _count(client, url)
    assert _switch_ids(html) == {world.artyom.pk, world.alisa.pk} and steady <= 10
    assert _count(client, url)[0] == steady

    vera = make_person("Смирнова", "Вера", birth_date=D(2016, 6, 1))
    use_school(world.a)
    try:
        Enrolment.objects.create(student=vera, school_class=SchoolClass.objects.get(grade=5, letter="Б"), since=D(2026, 11, 24))
        link = Guardianship.objects.create(parent=world.parent, student=vera, kind="mother")
    finally:
        use_public()
    _queries, html = _count(client, url)
    assert _switch_ids(html) == {world.artyom.pk, world.alisa.pk, vera.pk}
    assert world.page(vera) in html
    assert _count(client, url)[0] == steady  # read again once, then kept
    marks_queries, marks_html = _count(client, world.page(world.artyom, "marks/"))
    assert vera.pk in _switch_ids(marks_html) and marks_queries <= 10

    use_school(world.a)
    try:
        link.delete()
    finally:
        use_public()
    assert _switch_ids(_count(client, url)[1]) == {world.artyom.pk, world.alisa.pk}

    school_c = make_school("gamma")
    lev = make_person("Смирнов", "Лев")
    use_school(school_c)
    try:
        Enrolment.objects.create(student=lev, school_class=make_class(2, "В"), since=D(2026, 9, 1))
        Guardianship.objects.create(parent=world.parent, student=lev, kind="mother")
    finally:
        use_public()
    grant(world.parent, Role.PARENT, school_c)
    grant(lev, Role.STUDENT, school_c)
    html = _count(client, url)[1]
    assert lev.pk in _switch_ids(html) and f"/s/gamma/diary/{lev.pk}/" in html
    assert _count(client, url)[0] == steady


def test_the_family_stamp_is_the_same_sql_in_both_places(world: World) -> None:
    """The stamp read with the child equals the one kept with the list (else every page would read
    the whole list again)."""
    from diary.family import family_children
    from diary.selectors import child_context

    use_school(world.a)
    try:
        _, child = child_context(world.parent.pk, world.artyom.pk, dbase.TODAY)
        assert child is not None
    finally:
        use_public()
    stamps: dict[str, str] = {}
    family_children(Person.objects.get(pk=world.parent.pk), stamps)
    assert stamps[world.a.slug] == child.family_stamp and set(stamps) == {world.a.slug, world.b.slug}


# --- pages stay within ten queries --------------------------------------------------------------------------

def test_marks_pages_with_years_and_works_cost_at_most_10_queries(world: World, past: dict[str, Any]) -> None:
    """Issue 6: the marks page with the works shown, a past year, and the week page: at most 10 SQL
    queries each (session, user, school and roles included)."""
    client = family_client(world.parent)
    client.get("/diary/")
    for url in (world.page(world.artyom, "marks/"), world.page(world.artyom, "marks/") + f"?year={past['year'].pk}",
                world.page(world.artyom, "marks/") + f"?year={past['year'].pk}&period=year", world.page(world.artyom),
                world.api(world.artyom, "marks/") + f"?year={past['year'].pk}"):
        client.get(url)
        queries, _html = _count(client, url)
        assert queries <= 10, (url, queries)

