"""Informing families (R-D03 daily summary and immediate notices, R-D05 final marks with a notice,
R-D09 contact details entered and confirmed by the parents themselves, R-J10 the notebook never
reaches a notice): counted in Django's locmem mail outbox, with a worker killed mid-batch and a
failing mail server. Journal rows are stamped with fixed times of "today" so the tests do not
depend on the hour they run at."""

from __future__ import annotations

import datetime as dt
import smtplib
from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.test import Client
from django.utils import timezone

from accounts.models import Membership
from accounts.roles import Role
from curriculum.models import Subject, TeachingAssignment
from journal import notebook, period_marks, rules, services
from journal.models import Attendance, Lesson, Mark, NotebookEntry, Work, WorkType
from notify import sender
from notify.models import ContactEmail, Delivery, DeliveryStatus, Notice, NoticeKind, NotifySettings, PushSubscription
from notify.outbox import Draft, enqueue
from notify.services import confirmation_token, set_email
from notify.summary import build_summaries
from roster.models import Enrolment, Guardianship
from schoolyear.models import PeriodScheme, StudyPeriod
from tenants.db import use_public, use_school
from tests.conftest import make_class

pytestmark = pytest.mark.django_db


def at(hour: int, minute: int = 0, days: int = 0) -> dt.datetime:
    """Today (local time) at hour:minute, shifted by `days`."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def confirmed(person: Any, address: str) -> ContactEmail:
    return ContactEmail.objects.create(person=person, address=address, confirmed_at=timezone.now())


def stamp(when: dt.datetime) -> None:
    """Puts every journal change of the selected school at `when`."""
    Mark.objects.update(created_at=when, updated_at=when)
    Attendance.objects.update(created_at=when)
    Lesson.objects.update(created_at=when, updated_at=when)


def lesson(w: dict[str, Any], subject: Subject, number: int, homework: str = "", school_class: Any = None) -> Lesson:
    return Lesson.objects.create(school_class=school_class or w["cls"], subject=subject, teacher=w["teacher"],
                                 created_by=w["teacher"], date=w["day"], lesson_number=number, homework=homework)


def mark(w: dict[str, Any], les: Lesson, student: Any, value: int) -> Mark:
    work = les.works.first() or Work.objects.create(lesson=les, work_type=WorkType.objects.get(name="Ответ на уроке"), position=1)
    return Mark.objects.create(work=work, student=student, value=value, created_by=w["teacher"])


@pytest.fixture
def world(school_a: Any, school_b: Any, make_person: Any, grant: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Two schools. Parent Петрова has Петя in school A and Маша in school B; parent Сидоров has
    Ваня in Петя's class; Ванина мама has an unconfirmed address. Петя has a student account."""
    day = timezone.localdate()
    monkeypatch.setattr(rules, "today", lambda: day)
    teacher, class_teacher = make_person("Учитель", "Математики"), make_person("Классный", "Руководитель")
    petya, vanya, masha = make_person("Петров", "Петя"), make_person("Сидоров", "Ваня"), make_person("Петрова", "Маша")
    petrova, sidorov, sidorova = make_person("Петрова", "Анна"), make_person("Сидоров", "Иван"), make_person("Сидорова", "Ольга")
    stranger = make_person("Чужой", "Родитель")
    use_school(school_a)
    cls = make_class(5, "А")
    maths, russian = Subject.objects.create(name="Математика"), Subject.objects.create(name="Русский язык")
    for subject in (maths, russian):
        TeachingAssignment.objects.create(teacher=teacher, subject=subject, school_class=cls, hours_per_week=Decimal(4))
    for s in (petya, vanya):
        Enrolment.objects.create(student=s, school_class=cls, since=cls.year.starts_on)
    Guardianship.objects.create(parent=petrova, student=petya, kind="mother")
    Guardianship.objects.create(parent=sidorov, student=vanya, kind="father")
    Guardianship.objects.create(parent=sidorova, student=vanya, kind="mother")
    use_school(school_b)
    cls_b = make_class(7, "Б")
    physics = Subject.objects.create(name="Физика")
    TeachingAssignment.objects.create(teacher=teacher, subject=physics, school_class=cls_b, hours_per_week=Decimal(2))
    Enrolment.objects.create(student=masha, school_class=cls_b, since=cls_b.year.starts_on)
    Guardianship.objects.create(parent=petrova, student=masha, kind="mother")
    use_public()
    for school in (school_a, school_b):
        grant(teacher, Role.TEACHER, school)
    grant(class_teacher, Role.CLASS_TEACHER, school_a, class_id=cls.pk)
    grant(petrova, Role.PARENT, school_a, class_id=cls.pk)
    grant(petrova, Role.PARENT, school_b, class_id=cls_b.pk)
    grant(sidorov, Role.PARENT, school_a, class_id=cls.pk)
    grant(sidorova, Role.PARENT, school_a, class_id=cls.pk)
    grant(petya, Role.STUDENT, school_a, class_id=cls.pk)
    grant(stranger, Role.PARENT, school_b, class_id=cls_b.pk)
    confirmed(petrova, "petrova@example.ru")
    confirmed(sidorov, "sidorov@example.ru")
    ContactEmail.objects.create(person=sidorova, address="sidorova@example.ru")  # never confirmed
    return {"a": school_a, "b": school_b, "day": day, "teacher": teacher, "class_teacher": class_teacher, "cls": cls,
            "cls_b": cls_b, "maths": maths, "russian": russian, "physics": physics, "petya": petya, "vanya": vanya,
            "masha": masha, "petrova": petrova, "sidorov": sidorov, "sidorova": sidorova, "stranger": stranger}


def a_day(w: dict[str, Any]) -> None:
    """A realistic day: marks, an absence, homework in A; a mark and homework in B; a notebook note."""
    use_school(w["a"])
    m1 = lesson(w, w["maths"], 1, homework="№ 125, 126")
    mark(w, m1, w["petya"], 5)
    mark(w, m1, w["vanya"], 4)
    r2 = lesson(w, w["russian"], 2, homework="Упр. 48")
    Attendance.objects.create(lesson=r2, student=w["vanya"], status="absent", created_by=w["teacher"])
    mark(w, r2, w["petya"], 3)
    NotebookEntry.objects.create(teacher=w["teacher"], school_class=w["cls"], subject=w["maths"], student=w["petya"],
                                 value=2, note="СЕКРЕТ блокнота", date=w["day"])
    stamp(at(15))
    use_school(w["b"])
    p1 = lesson(w, w["physics"], 3, homework="§ 12", school_class=w["cls_b"])
    mark(w, p1, w["masha"], 4)
    stamp(at(16))
    use_public()


def summaries() -> dict[int, Notice]:
    return {n.recipient_id: n for n in Notice.objects.filter(kind=NoticeKind.SUMMARY)}


def mails_to(address: str) -> list[Any]:
    return [m for m in mail.outbox if address in m.to]


def test_realistic_day_counted_in_the_outbox(world: dict[str, Any]) -> None:
    """R-D03: one summary per family person that evening, across schools; e-mail only to confirmed
    addresses (R-D09); R-J10: the notebook's private mark is in none of them."""
    w = world
    a_day(w)
    result = build_summaries(at(19, 5))
    notices = summaries()
    # Петрова (both children), Сидоров, Сидорова (in-platform only: unconfirmed), Петя himself.
    assert set(notices) == {w["petrova"].pk, w["sidorov"].pk, w["sidorova"].pk, w["petya"].pk}
    assert result.created == 4 and w["stranger"].pk not in notices
    sent = sender.send_pending(at(19, 6))
    assert sent.sent == 2 and len(mail.outbox) == 2
    assert len(mails_to("petrova@example.ru")) == 1 and len(mails_to("sidorov@example.ru")) == 1
    assert mails_to("sidorova@example.ru") == []
    petrova = notices[w["petrova"].pk]
    assert "Петров Петя" in petrova.body and "Петрова Маша" in petrova.body
    assert "Математика" in petrova.body and "Физика" in petrova.body and "№ 125, 126" in petrova.body and "§ 12" in petrova.body
    assert petrova.title.startswith("Дневник за") and "3 отметки" in petrova.title
    # Never the other family's child, never the notebook.
    assert "Ваня" not in petrova.body
    for n in notices.values():
        assert "СЕКРЕТ" not in n.body and "— 2 (" not in n.body
    sidorov = notices[w["sidorov"].pk]
    assert "Петя" not in sidorov.body and "Маша" not in sidorov.body
    assert "отсутствие" in sidorov.body and "— 4 (" in sidorov.body
    assert mails_to("sidorov@example.ru")[0].body == sidorov.body
    assert mails_to("petrova@example.ru")[0].extra_headers["Message-ID"].startswith("<")


def test_summary_once_per_family_per_day_even_if_run_twice(world: dict[str, Any]) -> None:
    """R-D03: the builder and the sender run twice (beat, a redelivered task): one summary each."""
    w = world
    a_day(w)
    build_summaries(at(19, 5))
    build_summaries(at(19, 5))
    sender.send_pending(at(19, 6))
    build_summaries(at(19, 10))
    sender.send_pending(at(19, 11))
    assert Notice.objects.filter(kind=NoticeKind.SUMMARY).count() == 4
    assert len(mail.outbox) == 2
    # A mark entered after the summary goes into the next day's summary, alone.
    use_school(w["a"])
    late = mark(w, lesson(w, w["maths"], 5), w["petya"], 5)
    Mark.objects.filter(pk=late.pk).update(created_at=at(21), updated_at=at(21))
    use_public()
    assert build_summaries(at(21, 30)).created == 0
    assert build_summaries(at(19, 5, days=1)).created == 2  # Петрова and Петя
    tomorrow = Notice.objects.get(recipient=w["petrova"], kind=NoticeKind.SUMMARY, key=(w["day"] + dt.timedelta(days=1)).isoformat())
    assert "1 отметка" in tomorrow.title and "Физика" not in tomorrow.body


def test_each_family_chooses_the_time(world: dict[str, Any]) -> None:
    """R-D03: the summary goes out at the time the family chose, not before."""
    w = world
    a_day(w)
    NotifySettings.objects.create(person=w["sidorov"], summary_time=dt.time(21, 0))
    NotifySettings.objects.create(person=w["sidorova"], daily_summary=False)
    build_summaries(at(19, 5))
    assert w["sidorov"].pk not in summaries() and w["sidorova"].pk not in summaries()
    build_summaries(at(21, 5))
    assert w["sidorov"].pk in summaries() and w["sidorova"].pk not in summaries()


class Killed(BaseException):
    """A worker killed by the OS: no except-clause of ours runs."""


class DyingBackend(LocmemBackend):
    """Delivers `budget` letters, then the process 'dies' while handing over the next one."""

    budget = 3
    error: type[BaseException] = Killed

    def send_messages(self, messages: Any) -> int:
        if DyingBackend.budget <= 0:
            raise DyingBackend.error("killed")
        DyingBackend.budget -= 1
        return super().send_messages(messages)


def _families(make_person: Any, n: int) -> list[Any]:
    people = []
    for i in range(n):
        p = make_person("Семья", f"Номер{i}")
        confirmed(p, f"family{i}@example.ru")
        people.append(p)
    return people


@pytest.mark.parametrize("error", [Killed, RuntimeError])
def test_worker_killed_mid_batch_sends_each_notice_exactly_once(make_person: Any, settings: Any, error: type[BaseException]) -> None:
    """R-D03: the sender dies after 3 letters of 8 (killed, or an unexpected error); the restarted
    sender sends the other 5, and nobody gets a letter twice."""
    families = _families(make_person, 8)
    enqueue([Draft(recipient_id=p.pk, kind=NoticeKind.SUMMARY, key="day", title="Сводка", body=f"для {p.pk}") for p in families],
            now=at(19))
    settings.EMAIL_BACKEND = "tests.test_notify.DyingBackend"
    DyingBackend.budget, DyingBackend.error = 3, error
    with pytest.raises(error):
        sender.send_pending(at(19, 1))
    assert len(mail.outbox) == 3
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 3
    # The restart right away takes nothing that the dead worker still leases (nothing sent twice).
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    sender.send_pending(at(19, 2))
    assert len(mail.outbox) == (3 if error is Killed else 7)
    # After the lease runs out, the rest is sent: 8 letters, one per family.
    sender.send_pending(at(19, 1) + sender.LEASE + dt.timedelta(seconds=1))
    assert sorted(m.to[0] for m in mail.outbox) == sorted(f"family{i}@example.ru" for i in range(8))
    assert Delivery.objects.filter(status=DeliveryStatus.SENT).count() == 8
    sender.send_pending(at(23))
    assert len(mail.outbox) == 8


class FailingBackend(LocmemBackend):
    def send_messages(self, messages: Any) -> int:
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class RefusingBackend(LocmemBackend):
    def send_messages(self, messages: Any) -> int:
        raise smtplib.SMTPRecipientsRefused({messages[0].to[0]: (550, b"No such user")})


def test_failing_mail_server_delays_never_loses(make_person: Any, settings: Any) -> None:
    """R-D03: the mail server is down: every notice stays pending with a backoff and goes out once
    the server is back."""
    families = _families(make_person, 4)
    enqueue([Draft(recipient_id=p.pk, kind=NoticeKind.SUMMARY, key="day", title="Сводка", body="…") for p in families], now=at(19))
    settings.EMAIL_BACKEND = "tests.test_notify.FailingBackend"
    result = sender.send_pending(at(19, 1))
    assert result.sent == 0 and result.retry_later == 4 and len(mail.outbox) == 0
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.PENDING}
    first = Delivery.objects.order_by("id").first()
    assert first is not None and first.attempts == 1 and "SMTPServerDisconnected" in first.last_error
    assert first.next_attempt_at > at(19, 1)
    settings.EMAIL_BACKEND = "tests.test_notify.FailingBackend"
    sender.send_pending(at(19, 4))  # still failing: the backoff grows
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert sender.send_pending(at(19, 5)).sent == 0  # not due yet
    assert sender.send_pending(at(21)).sent == 4
    assert len(mail.outbox) == 4 and not Delivery.objects.exclude(status=DeliveryStatus.SENT).exists()


def test_bouncing_address_fails_that_delivery_only(make_person: Any, settings: Any) -> None:
    """An address that bounces: that letter fails, the address stops receiving until re-entered,
    the notice stays in the platform's list (nothing lost)."""
    (family,) = _families(make_person, 1)
    enqueue([Draft(recipient_id=family.pk, kind=NoticeKind.SUMMARY, key="d1", title="Сводка", body="…")], now=at(19))
    settings.EMAIL_BACKEND = "tests.test_notify.RefusingBackend"
    assert sender.send_pending(at(19, 1)).failed == 1
    contact = ContactEmail.objects.get(person=family)
    assert contact.bounced_at is not None and not contact.usable
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    enqueue([Draft(recipient_id=family.pk, kind=NoticeKind.SUMMARY, key="d2", title="Сводка", body="…")], now=at(19, 2))
    sender.send_pending(at(19, 3))
    assert mail.outbox == [] and Notice.objects.filter(recipient=family, in_app=True).count() == 2


def test_unconfirmed_address_gets_only_the_confirmation(world: dict[str, Any], client_for: Any) -> None:
    """R-D09: the parent enters the address; until they follow the link, only the confirmation
    letter goes there; after it, the notices do."""
    w = world
    parent = w["sidorova"]
    set_email(parent, "Olga@Example.RU", now=at(12))
    a_day(w)
    build_summaries(at(19, 5))
    sender.send_pending(at(19, 6))
    letters = mails_to("Olga@example.ru")
    assert len(letters) == 1 and "подтвердите" in letters[0].body.lower()
    link = next(line for line in letters[0].body.splitlines() if "/notify/confirm/" in line)
    path = link[link.index("/notify/confirm/"):]
    page = Client().get(path)
    assert page.status_code == 200 and "Подтвердить адрес" in page.content.decode()
    assert ContactEmail.objects.get(person=parent).confirmed_at is None  # a GET (a mail scanner) confirms nothing
    assert "подтверждён" in Client().post(path).content.decode()
    assert ContactEmail.objects.get(person=parent).usable
    # From now on the notices reach the address.
    use_school(w["a"])
    mark(w, lesson(w, w["maths"], 6), w["vanya"], 5)
    Mark.objects.filter(work__lesson__lesson_number=6).update(updated_at=at(18, days=1))
    use_public()
    build_summaries(at(19, 5, days=1))
    sender.send_pending(at(19, 6, days=1))
    assert len(mails_to("Olga@example.ru")) == 2


def test_confirmation_link_refused_for_another_signed_in_parent(world: dict[str, Any], client_for: Any) -> None:
    """R-D09: a signed-in person cannot confirm someone else's address; a forged token is refused."""
    w = world
    set_email(w["sidorova"], "olga@example.ru")
    token = confirmation_token(w["sidorova"].pk, "olga@example.ru")
    response = client_for(w["petrova"]).post(f"/notify/confirm/{token}/")
    assert response.status_code == 403 and ContactEmail.objects.get(person=w["sidorova"]).confirmed_at is None
    assert Client().post(f"/notify/confirm/{token[:-3]}xyz/").status_code == 400
    assert client_for(w["sidorova"]).post(f"/notify/confirm/{token}/").status_code == 200
    assert ContactEmail.objects.get(person=w["sidorova"]).usable


def test_unexcused_absence_notice_at_once_if_asked(world: dict[str, Any]) -> None:
    """R-D03: the class teacher records "без уважительной причины": a parent who asked hears at
    once (one notice, even if the reason is saved again); a parent who did not ask waits for the
    summary; the other family hears nothing."""
    w = world
    NotifySettings.objects.create(person=w["sidorov"], unexcused_absence_now=True)
    use_school(w["a"])
    r = lesson(w, w["russian"], 2)
    absence = Attendance.objects.create(lesson=r, student=w["vanya"], status="absent", created_by=w["teacher"])
    assert not Notice.objects.exists()  # a plain "Н" is for the summary
    services.set_absence_reason(w["class_teacher"], w["a"], absence, "unexcused")
    services.set_absence_reason(w["class_teacher"], w["a"], absence, "unexcused")
    use_public()
    notices = list(Notice.objects.filter(kind=NoticeKind.UNEXCUSED_ABSENCE))
    assert [n.recipient_id for n in notices] == [w["sidorov"].pk]
    assert "Сидоров Ваня" in notices[0].body and "Русский язык" in notices[0].body
    sender.send_pending()
    assert len(mails_to("sidorov@example.ru")) == 1 and len(mail.outbox) == 1


def test_final_mark_notice_when_saved(world: dict[str, Any]) -> None:
    """R-D05: a period mark saved by the teacher reaches the child's family (and the child) at
    once; a correction is a new notice; nobody else hears of it."""
    w = world
    use_school(w["a"])
    scheme = PeriodScheme.objects.create(year=w["cls"].year, kind="quarter", grades=list(range(1, 12)))
    q = StudyPeriod.objects.create(scheme=scheme, number=1, name="1 четверть", starts_on=w["cls"].year.starts_on,
                                   ends_on=w["cls"].year.starts_on + dt.timedelta(days=55))
    for value in ("5", "4"):
        period_marks.set_period_mark(w["teacher"], w["a"], school_class=w["cls"], subject=w["maths"], student_id=w["petya"].pk,
                                     kind="period", period=q, value=value, on=q.ends_on)
    use_public()
    notices = Notice.objects.filter(kind=NoticeKind.FINAL_MARK)
    assert sorted(notices.values_list("recipient_id", flat=True)) == sorted([w["petrova"].pk, w["petya"].pk] * 2)
    latest = notices.filter(recipient=w["petrova"]).order_by("-id").first()
    assert latest is not None and "— 4" in latest.body and "1 четверть" in latest.body
    sender.send_pending()
    assert len(mails_to("petrova@example.ru")) == 2 and len(mail.outbox) == 2


def test_notebook_never_produces_a_notice(world: dict[str, Any]) -> None:
    """R-J10: a note in the teacher's notebook produces no notice and is in no summary."""
    w = world
    use_school(w["a"])
    notebook.add_note(w["teacher"], w["a"], school_class=w["cls"], subject=w["maths"], student_id=w["petya"].pk, value="2",
                      note="СЕКРЕТ")
    NotebookEntry.objects.update(created_at=at(15))
    use_public()
    assert not Notice.objects.exists()
    build_summaries(at(19, 5))
    assert not Notice.objects.exists() and mail.outbox == []


def test_parent_with_ended_access_or_of_another_child_gets_nothing_of_this_child(world: dict[str, Any]) -> None:
    """R-D02/R-D03: data follows the guardianship and a current parent role in the child's school."""
    w = world
    Membership.objects.filter(person=w["petrova"], school=w["b"]).update(since=w["day"] - dt.timedelta(days=30),
                                                                         until=w["day"] - dt.timedelta(days=1))
    a_day(w)
    build_summaries(at(19, 5))
    petrova = summaries()[w["petrova"].pk]
    assert "Петя" in petrova.body and "Маша" not in petrova.body
    assert w["stranger"].pk not in summaries()


# --- pages -------------------------------------------------------------------------------------

def test_settings_page_phone_first_and_saves(world: dict[str, Any], client_for: Any) -> None:
    """R-D03/R-D09: the family chooses channels and the time, and enters the address themselves."""
    w = world
    c = client_for(w["petrova"])
    page = c.get("/notify/")
    text = page.content.decode()
    assert page.status_code == 200 and 'name="viewport"' in text and "petrova@example.ru" in text and "подтверждён" in text
    response = c.post("/notify/", {"action": "settings", "daily_summary": "on", "summary_time": "20:30", "final_marks_now": "on",
                                   "in_app": "on", "by_email": "on", "unexcused_absence_now": "on"})
    assert response.status_code == 302
    row = NotifySettings.objects.get(person=w["petrova"])
    assert row.summary_time == dt.time(20, 30) and row.unexcused_absence_now and not row.by_push
    assert c.post("/notify/", {"action": "settings", "summary_time": "03:00"}).status_code == 200  # refused, form shown
    assert NotifySettings.objects.get(person=w["petrova"]).summary_time == dt.time(20, 30)
    response = c.post("/notify/", {"action": "email", "email": "new@example.ru"})
    assert response.status_code == 302 and mails_to("new@example.ru") == []  # queued, sent by the worker
    sender.send_pending()
    assert len(mails_to("new@example.ru")) == 1 and not ContactEmail.objects.get(person=w["petrova"]).usable


def test_pages_refused_to_anonymous_and_people_without_a_role(world: dict[str, Any], client_for: Any, make_person: Any) -> None:
    """Anonymous visitors are sent to sign in; a person with no current role is refused. Staff
    have their own notices and settings now (R-D06, tests/test_notify_staff.py)."""
    nobody = make_person("Без", "Роли")
    for path in ("/notify/", "/notify/notices/"):
        response = Client().get(path)
        assert response.status_code == 302 and "/login/" in response["Location"]
        assert client_for(nobody).get(path).status_code == 403
        assert client_for(world["teacher"]).get(path).status_code == 200


def test_notices_page_lists_own_only_and_marks_read(world: dict[str, Any], client_for: Any) -> None:
    """The in-platform list with its unread count; another parent cannot read or mark it."""
    w = world
    a_day(w)
    build_summaries(at(19, 5))
    mine = summaries()[w["petrova"].pk]
    c = client_for(w["petrova"])
    text = c.get("/notify/notices/").content.decode()
    assert mine.title in text and 'data-testid="unread">1<' in text
    other = client_for(w["sidorov"])
    assert mine.title not in other.get("/notify/notices/").content.decode()
    assert other.post(f"/notify/notices/{mine.pk}/read/").status_code == 404
    assert Notice.objects.get(pk=mine.pk).read_at is None
    assert c.post(f"/notify/notices/{mine.pk}/read/").status_code == 302
    assert Notice.objects.get(pk=mine.pk).read_at is not None


# --- API ---------------------------------------------------------------------------------------

def test_api_settings_email_confirm_notices(world: dict[str, Any], client_for: Any) -> None:
    """The mobile client's API: settings, the address and its confirmation, the list, read marks."""
    w = world
    c = client_for(w["sidorova"])
    body = c.get("/api/v1/notify/settings/").json()
    assert body["summary_time"] == "19:00" and body["by_email"] is True
    r = c.patch("/api/v1/notify/settings/", {"summary_time": "21:00", "by_push": False}, content_type="application/json")
    assert r.status_code == 200 and r.json()["summary_time"] == "21:00" and r.json()["by_push"] is False
    r = c.patch("/api/v1/notify/settings/", {"summary_time": "09:15"}, content_type="application/json")
    assert r.status_code == 400 and r.json()["error"]["fields"]["summary_time"]
    assert c.get("/api/v1/notify/email/").json() == {"email": "sidorova@example.ru", "confirmed": False, "bounced": False}
    r = c.post("/api/v1/notify/email/", {"email": "olga@example.ru"}, content_type="application/json")
    assert r.status_code == 202 and r.json()["confirmed"] is False
    token = confirmation_token(w["sidorova"].pk, "olga@example.ru")
    assert client_for(w["sidorov"]).post("/api/v1/notify/email/confirm/", {"token": token},
                                         content_type="application/json").status_code == 403
    r = c.post("/api/v1/notify/email/confirm/", {"token": token}, content_type="application/json")
    assert r.status_code == 200 and r.json()["confirmed"] is True
    a_day(w)
    NotifySettings.objects.filter(person=w["sidorova"]).update(summary_time=dt.time(19, 0))
    build_summaries(at(19, 5))
    page = c.get("/api/v1/notify/notices/").json()
    assert page["count"] == 1 and page["unread"] == 1 and page["results"][0]["kind"] == "summary"
    notice_id = page["results"][0]["id"]
    assert client_for(w["sidorov"]).post(f"/api/v1/notify/notices/{notice_id}/read/").status_code == 404
    from audit.models import AuditRecord

    assert AuditRecord.objects.filter(actor=w["sidorov"], action="access.refused", object_repr=f"notify.notice {notice_id}").exists()
    assert c.post(f"/api/v1/notify/notices/{notice_id}/read/").json()["read"] is True
    assert c.get("/api/v1/notify/notices/?unread=1").json()["count"] == 0
    assert c.post("/api/v1/notify/notices/read-all/").json() == {"marked": 0}


def test_api_refused_to_anonymous_and_people_without_a_role(world: dict[str, Any], client_for: Any, make_person: Any) -> None:
    """Staff read their notices and set their channels (R-D06); Web Push stays the family's."""
    nobody = make_person("Без", "Роли")
    for path in ("/api/v1/notify/settings/", "/api/v1/notify/notices/", "/api/v1/notify/email/", "/api/v1/notify/push-subscriptions/"):
        assert Client().get(path).status_code in (401, 403)
        r = client_for(nobody).get(path)
        assert r.status_code == 403 and r.json()["error"]["code"] == "forbidden"
        assert client_for(world["teacher"]).get(path).status_code == (403 if "push" in path else 200)


def test_api_push_subscription_stored_and_sent_when_configured(world: dict[str, Any], client_for: Any, settings: Any,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """Web push: the browser's subscription is stored; with the server's keys set, a notice is
    pushed; a subscription the push service calls gone is removed."""
    import base64
    import os

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from notify import push

    c = client_for(world["petrova"])
    assert c.get("/api/v1/notify/push-subscriptions/").json() == {"enabled": False, "public_key": ""}
    # A browser's keys (a P-256 point and 16 bytes) at a known push service (tests/test_notify_push.py has more).
    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    keys = {"p256dh": base64.urlsafe_b64encode(point).decode(), "auth": base64.urlsafe_b64encode(os.urandom(16)).decode()}
    sub = {"endpoint": "https://fcm.googleapis.com/fcm/send/abc", "keys": keys}
    assert c.post("/api/v1/notify/push-subscriptions/", sub, content_type="application/json").status_code == 201
    assert c.post("/api/v1/notify/push-subscriptions/", {**sub, "endpoint": "http://insecure"},
                  content_type="application/json").status_code == 400
    assert PushSubscription.objects.filter(person=world["petrova"]).count() == 1
    settings.NOTIFY_PUSH_ENABLED = True
    monkeypatch.setattr(push, "configured", lambda: True)
    calls: list[str] = []
    monkeypatch.setattr(push, "web_push", lambda s, payload: calls.append(payload) or 410)
    enqueue([Draft(recipient_id=world["petrova"].pk, kind=NoticeKind.SUMMARY, key="p", title="Сводка", body="…")])
    assert Delivery.objects.filter(channel="push").count() == 1
    sender.send_pending()
    assert len(calls) == 1 and "Сводка" in calls[0] and not PushSubscription.objects.exists()


def test_openapi_documents_the_notify_api(client_for: Any, world: dict[str, Any]) -> None:
    schema = client_for(world["petrova"]).get("/api/schema/").content.decode()
    for path in ("/api/v1/notify/settings/", "/api/v1/notify/notices/", "/api/v1/notify/email/confirm/",
                 "/api/v1/notify/push-subscriptions/"):
        assert path in schema


def test_notices_list_query_count_does_not_grow(world: dict[str, Any], client_for: Any, django_assert_max_num_queries: Any) -> None:
    c = client_for(world["petrova"])
    c.get("/api/v1/notify/notices/")
    for n in range(40):
        enqueue([Draft(recipient_id=world["petrova"].pk, kind=NoticeKind.FINAL_MARK, key=str(n), title="Т", body="…")])
    with django_assert_max_num_queries(12):
        assert len(c.get("/api/v1/notify/notices/?limit=30").json()["results"]) == 30
    with django_assert_max_num_queries(12):
        c.get("/notify/notices/")


def test_tasks_and_beat_schedule(world: dict[str, Any], settings: Any) -> None:
    """The Celery tasks run in the public schema; beat runs the builder and the sender."""
    from notify import tasks

    assert {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()} >= {"notify.tasks.build_due_summaries",
                                                                           "notify.tasks.send_pending"}
    enqueue([Draft(recipient_id=world["petrova"].pk, kind=NoticeKind.SUMMARY, key="t", title="Сводка", body="…")])
    assert tasks.send_pending.apply().get()["sent"] == 1
    outcome = tasks.build_due_summaries.apply().get()
    assert "considered" in outcome or "skipped" in outcome


def test_header_link_for_families_and_staff(world: dict[str, Any], client_for: Any, make_person: Any) -> None:
    """Families and staff (R-D06: abuse reports and messages reach the administration and staff as
    notices) find their notices from every page; a person with no current role has none. The link
    reads the person's roles the header has already loaded: no query of its own (proven in
    tests/test_notify_staff.py)."""
    assert 'data-testid="notify-link"' in client_for(world["petrova"]).get("/home/").content.decode()
    assert 'data-testid="notify-link"' in client_for(world["teacher"]).get("/home/").content.decode()
    assert 'data-testid="notify-link"' not in client_for(make_person("Без", "Роли")).get("/account/sessions/").content.decode()


def test_new_message_and_announcement_reach_family_members_only(world: dict[str, Any]) -> None:
    """R-D06 wired to informing: a family person hears that a message came (without its text);
    staff recipients and people who switched it off get no notice; a repeated signal is one notice."""
    from messaging import signals as messaging_signals

    w = world
    NotifySettings.objects.create(person=w["sidorov"], messages_now=False)
    for _ in range(2):
        messaging_signals.message_sent.send(sender=None, school=w["a"], conversation_id=1, message_id=77,
                                            author_id=w["teacher"].pk,
                                            recipient_ids=[w["petrova"].pk, w["sidorov"].pk, w["class_teacher"].pk])
    notices = list(Notice.objects.filter(kind=NoticeKind.MESSAGE))
    assert [n.recipient_id for n in notices] == [w["petrova"].pk]
    assert "Учитель Математики" in notices[0].title and "/messages/" in notices[0].body
    messaging_signals.announcement_published.send(sender=None, school=w["a"], announcement_id=5, author_id=w["class_teacher"].pk,
                                                  recipient_ids=[w["petrova"].pk, w["sidorova"].pk, w["petya"].pk])
    assert Notice.objects.filter(kind=NoticeKind.ANNOUNCEMENT).count() == 3
    sender.send_pending()
    assert len(mails_to("petrova@example.ru")) == 2 and mails_to("sidorova@example.ru") == []


def test_send_summaries_command_for_a_demo(world: dict[str, Any]) -> None:
    """`manage.py send_summaries --now` builds today's summaries without waiting for the chosen time."""
    from io import StringIO

    from django.core.management import call_command

    a_day(world)
    out = StringIO()
    for model in (Mark, Attendance, Lesson):
        for schema_school in (world["a"], world["b"]):
            use_school(schema_school)
            model.objects.update(**{f: timezone.now() - dt.timedelta(minutes=1) for f in
                                    (["created_at"] if model is Attendance else ["created_at", "updated_at"])})
    use_public()
    call_command("send_summaries", "--now", stdout=out)
    assert "Сводок: 4" in out.getvalue() and len(mail.outbox) == 2
    call_command("send_summaries", "--now", stdout=out)
    assert len(mail.outbox) == 2


def test_corrected_mark_is_reported_as_corrected(world: dict[str, Any]) -> None:
    """R-D03: a mark changed after the family's summary reaches them next time, marked as corrected."""
    w = world
    a_day(w)
    build_summaries(at(19, 5))
    use_school(w["a"])
    changed = Mark.objects.get(student_id=w["petya"].pk, value=5)
    Mark.objects.filter(pk=changed.pk).update(value=4, updated_at=at(20))
    use_public()
    build_summaries(at(19, 5, days=1))
    tomorrow = Notice.objects.get(recipient=w["petrova"], kind=NoticeKind.SUMMARY, key=(w["day"] + dt.timedelta(days=1)).isoformat())
    assert "Математика" in tomorrow.body and "— 4 (Ответ на уроке) — исправлена" in tomorrow.body
    assert tomorrow.payload["children"][0]["marks"][0]["corrected"] is True
