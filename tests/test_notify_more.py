"""Informing families, the gaps a review found (R-D03 daily and immediate informing, R-D09 the
family's own address): a temporary mail refusal delays and never switches the address off; a
notice no channel brings is shown in the platform's list, with a banner about the address; an
absence reported as soon as the teacher marks «Н» if the family asked (004 §1: parents' prompt
control of attendance), once per lesson and student; individual homework and homework that is
only a file are in the summary; a mark committed just after a summary is not lost (the window
ends SAFETY_MARGIN before the summary)."""

from __future__ import annotations

import datetime as dt
import smtplib
from typing import Any

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from journal import services
from journal.models import Attendance, IndividualHomework, Lesson, LessonAttachment, Mark
from notify import immediate, sender
from notify.models import (
    ContactEmail,
    Delivery,
    DeliveryStatus,
    IndividualHomeworkChange,
    Notice,
    NoticeKind,
    NotifySettings,
)
from notify.outbox import Draft, enqueue
from notify.services import set_email
from notify.summary import SAFETY_MARGIN, build_summaries
from tenants.db import use_public, use_school
from tests import test_diary as diary_tests
from tests import test_notify as base
from tests.test_notify import _families, a_day, at, lesson, mails_to, mark, summaries

pytestmark = pytest.mark.django_db

world = base.world  # the notify tests' two schools and their families (a fixture)


# --- 1. SMTP reply codes: only a permanent refusal of the recipient is a bounce ----------------

class CodeBackend(LocmemBackend):
    """Refuses the letters to `victim` with `error`; delivers the others."""

    victim = ""
    error: BaseException | None = None

    def send_messages(self, messages: Any) -> int:
        if CodeBackend.error is not None and messages[0].to[0] == CodeBackend.victim:
            raise CodeBackend.error
        return super().send_messages(messages)


def _refuse(settings: Any, victim: str, error: BaseException | None) -> None:
    settings.EMAIL_BACKEND = "tests.test_notify_more.CodeBackend"
    CodeBackend.victim, CodeBackend.error = victim, error


@pytest.mark.parametrize("error", [
    smtplib.SMTPRecipientsRefused({"family0@example.ru": (450, b"4.2.0 Greylisted, try again later")}),
    smtplib.SMTPRecipientsRefused({"family0@example.ru": (452, b"4.2.2 Mailbox full")}),
    smtplib.SMTPDataError(451, b"4.3.0 Temporary local problem"),
], ids=["rcpt-450", "rcpt-452", "data-451"])
def test_temporary_refusal_delays_and_keeps_the_address(make_person: Any, settings: Any, error: BaseException) -> None:
    """R-D03 ("a failing mail server delays, never loses"), R-D09: a 4xx for a family's letter
    puts it back to pending with the backoff; the address stays on; the letter goes once the
    refusal passes."""
    families = _families(make_person, 3)
    enqueue([Draft(recipient_id=p.pk, kind=NoticeKind.SUMMARY, key="day", title="Сводка", body="…") for p in families], now=at(19))
    _refuse(settings, "family0@example.ru", error)
    result = sender.send_pending(at(19, 1))
    victim = Delivery.objects.get(notice__recipient=families[0])
    assert victim.status == DeliveryStatus.PENDING and victim.next_attempt_at > at(19, 1) and victim.attempts == 1
    assert ContactEmail.objects.get(person=families[0]).bounced_at is None
    assert result.failed == 0 and result.retry_later >= 1
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        # One recipient's 4xx is not the server failing: the other families' letters went on.
        assert result.deferred == 1 and result.sent == 2 and result.mail_down == 0
    _refuse(settings, "", None)
    sender.send_pending(at(21))
    assert len(mails_to("family0@example.ru")) == 1 and len(mail.outbox) == 3
    assert not Delivery.objects.exclude(status=DeliveryStatus.SENT).exists()


@pytest.mark.parametrize("error", [
    smtplib.SMTPRecipientsRefused({"family0@example.ru": (421, b"4.7.0 Service shutting down")}),
    smtplib.SMTPSenderRefused(553, b"5.7.1 Sender address rejected", "zhurnal@example.ru"),
    smtplib.SMTPSenderRefused(451, b"4.3.0 Try later", "zhurnal@example.ru"),
], ids=["rcpt-421", "sender-553", "sender-451"])
def test_server_or_sender_refusal_holds_the_batch_without_bouncing(make_person: Any, settings: Any,
                                                                   error: BaseException) -> None:
    """R-D03: a 421 or a refusal of our own sender address is the mail server's (or our) problem,
    never the family's address: the batch waits for the backoff and nothing is bounced."""
    families = _families(make_person, 3)
    enqueue([Draft(recipient_id=p.pk, kind=NoticeKind.SUMMARY, key="day", title="Сводка", body="…") for p in families], now=at(19))
    _refuse(settings, "family0@example.ru", error)
    result = sender.send_pending(at(19, 1))
    assert result.mail_down == 1 and result.failed == 0 and result.sent == 0
    assert not ContactEmail.objects.filter(bounced_at__isnull=False).exists()
    assert set(Delivery.objects.values_list("status", flat=True)) == {DeliveryStatus.PENDING}
    _refuse(settings, "", None)
    sender.send_pending(at(21))
    assert len(mail.outbox) == 3


@pytest.mark.parametrize(("error", "bounced"), [
    (smtplib.SMTPRecipientsRefused({"family0@example.ru": (550, b"5.1.1 No such user")}), True),
    (smtplib.SMTPDataError(550, b"5.1.1 Mailbox unavailable"), True),
    (smtplib.SMTPDataError(554, b"5.7.1 Message rejected as spam"), False),
], ids=["rcpt-550", "data-550-5.1.1", "data-554-5.7.1"])
def test_permanent_refusal_fails_the_letter_and_shows_it_in_the_platform(make_person: Any, settings: Any, error: BaseException,
                                                                         bounced: bool) -> None:
    """R-D03, R-D09: a 5xx for the recipient is a bounce (the address stops until re-entered); a
    5xx for the letter's content fails that letter only. Either way the notice is put into the
    platform's list although the family switched the list off."""
    families = _families(make_person, 2)
    NotifySettings.objects.create(person=families[0], in_app=False)
    enqueue([Draft(recipient_id=p.pk, kind=NoticeKind.SUMMARY, key="day", title="Сводка", body="…") for p in families], now=at(19))
    notice = Notice.objects.get(recipient=families[0])
    assert not notice.in_app  # the family's choice, as long as the e-mail may bring it
    _refuse(settings, "family0@example.ru", error)
    result = sender.send_pending(at(19, 1))
    assert result.failed == 1 and result.sent == 1
    assert Delivery.objects.get(notice=notice).status == DeliveryStatus.FAILED
    assert (ContactEmail.objects.get(person=families[0]).bounced_at is not None) is bounced
    notice.refresh_from_db()
    assert notice.in_app


# --- 2. A notice no channel brings is in the list; the banner about the address -----------------

def test_bounced_address_notice_in_list_and_banner_until_fixed(world: dict[str, Any], client_for: Any, settings: Any) -> None:
    """R-D03 (nothing lost), R-D09: Сидоров switched the platform's list off; his address bounces:
    that summary, and the next ones (no channel left), are in his list anyway, and his home and
    diary pages say «Письма на адрес … не доходят: проверьте адрес» until he enters it again."""
    w = world
    NotifySettings.objects.create(person=w["sidorov"], in_app=False)
    a_day(w)
    build_summaries(at(19, 5))
    first = Notice.objects.get(recipient=w["sidorov"], kind=NoticeKind.SUMMARY)
    assert not first.in_app
    _refuse(settings, "sidorov@example.ru", smtplib.SMTPRecipientsRefused({"sidorov@example.ru": (550, b"5.1.1 No such user")}))
    sender.send_pending(at(19, 6))
    first.refresh_from_db()
    assert first.in_app and ContactEmail.objects.get(person=w["sidorov"]).bounced_at is not None
    c = client_for(w["sidorov"])
    notices = c.get("/notify/notices/").content.decode()
    assert first.title in notices and 'data-testid="email-bounced"' in notices
    for url in ("/diary/", "/home/?all=1"):  # the child's week (one child opens straight away), the switcher
        page = c.get(url, follow=True)
        text = page.content.decode()
        assert page.status_code == 200 and 'data-testid="email-bounced"' in text, url
        assert "Письма на адрес sidorov@example.ru не доходят: проверьте адрес" in text
    # Another family's pages, and pages that are not home or diary, have no banner.
    assert 'data-testid="email-bounced"' not in client_for(w["petrova"]).get("/diary/", follow=True).content.decode()
    assert 'data-testid="email-bounced"' not in c.get("/notify/").content.decode()
    # The next notice: no channel can bring it (the address is off), so it is in the list at once.
    use_school(w["a"])
    late = mark(w, lesson(w, w["maths"], 5), w["vanya"], 5)
    Mark.objects.filter(pk=late.pk).update(created_at=at(18, days=1), updated_at=at(18, days=1))
    use_public()
    build_summaries(at(19, 5, days=1))
    assert Notice.objects.filter(recipient=w["sidorov"], kind=NoticeKind.SUMMARY, in_app=True).count() == 2
    # He enters the address again: the banner goes (the address waits for its confirmation).
    set_email(w["sidorov"], "sidorov@example.ru")
    assert 'data-testid="email-bounced"' not in c.get("/diary/", follow=True).content.decode()


def test_list_switched_off_is_respected_when_a_channel_delivers(make_person: Any) -> None:
    """R-D03: the fallback is for notices no channel brings; a family who switched the list off
    and gets their letters does not see them in the list."""
    (family,) = _families(make_person, 1)
    NotifySettings.objects.create(person=family, in_app=False)
    enqueue([Draft(recipient_id=family.pk, kind=NoticeKind.SUMMARY, key="day", title="Сводка", body="…")], now=at(19))
    assert sender.send_pending(at(19, 1)).sent == 1
    assert not Notice.objects.get(recipient=family).in_app
    # No confirmed address and no browser: nothing but the list can bring it.
    ContactEmail.objects.filter(person=family).update(confirmed_at=None)
    enqueue([Draft(recipient_id=family.pk, kind=NoticeKind.SUMMARY, key="day2", title="Сводка", body="…")], now=at(19, 2))
    assert Notice.objects.get(recipient=family, key="day2").in_app and not Delivery.objects.filter(notice__key="day2").exists()


@pytest.fixture
def diary_world(school_a: Any, school_b: Any, make_person: Any, grant: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The diary tests' world (tests/test_diary.py), with its fixed "today"."""
    monkeypatch.setattr(diary_tests.rules, "today", lambda: diary_tests.TODAY)
    return diary_tests.world.__wrapped__(school_a, school_b, make_person, grant)  # type: ignore[attr-defined]


def test_banner_on_diary_pages_within_their_query_bound(diary_world: Any) -> None:
    """Issue 6 performance (diary pages at most 10 queries whatever the marks) with the banner:
    one query on the week and marks pages of a family person, the same with 3 marks as with 180."""
    w = diary_world
    ContactEmail.objects.create(person=w.parent, address="smirnova@example.ru", confirmed_at=timezone.now(),
                                bounced_at=timezone.now(), bounce_reason="550 5.1.1")
    client = diary_tests.family_client(w.parent)
    client.get("/diary/")
    urls = [w.page(w.artyom) + "?week=2026-11-23", w.page(w.artyom, "marks/")]
    counts: dict[str, list[int]] = {url: [] for url in urls}
    for weeks in (0, 18):
        if weeks:
            diary_tests._more_marks(w, weeks)
        for url in urls:
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            assert response.status_code == 200 and "smirnova@example.ru не доходят" in response.content.decode()
            counts[url].append(len(ctx.captured_queries))
    for url, (few, many) in counts.items():
        assert few == many and many <= 10, (url, few, many)


# --- 3. «Сразу сообщать о любом пропуске» -------------------------------------------------------

def _absent(w: dict[str, Any], les: Lesson, student: Any, status: str | None = "absent") -> None:
    use_school(w["a"])
    services.set_attendance(w["teacher"], w["a"], les, student.pk, status)
    use_public()


def test_any_absence_notice_when_the_teacher_marks_n(world: dict[str, Any], settings: Any) -> None:
    """R-D03, 004 §1 (parents' prompt control of attendance; the reason may come days later,
    004 §VIII): Сидоров asked to hear of every absence: he gets one notice when the teacher marks
    «Н» (after the grace minute), Сидорова (not asked) and the other families get none."""
    w = world
    NotifySettings.objects.create(person=w["sidorov"], any_absence_now=True)
    use_school(w["a"])
    r2 = lesson(w, w["russian"], 2)
    use_public()
    before = timezone.now()
    _absent(w, r2, w["vanya"])
    _absent(w, r2, w["vanya"])  # saved twice: still one notice
    notices = list(Notice.objects.filter(kind=NoticeKind.ABSENCE_MARKED))
    assert [n.recipient_id for n in notices] == [w["sidorov"].pk]
    assert "Сидоров Ваня" in notices[0].body and "Русский язык" in notices[0].body and "2-й урок" in notices[0].body
    delivery = Delivery.objects.get(notice=notices[0])
    assert delivery.next_attempt_at >= before + immediate.ABSENCE_GRACE
    assert sender.send_pending(timezone.now()).sent == 0  # the grace minute
    assert sender.send_pending(timezone.now() + immediate.ABSENCE_GRACE + dt.timedelta(seconds=5)).sent == 1
    assert len(mails_to("sidorov@example.ru")) == 1 and len(mail.outbox) == 1
    # Lateness is not an absence; Петя's family did not ask.
    _absent(w, r2, w["petya"], "late")
    assert Notice.objects.filter(kind=NoticeKind.ABSENCE_MARKED).count() == 1


def test_any_absence_toggled_makes_no_duplicates(world: dict[str, Any]) -> None:
    """R-D03: «Н» removed within the grace minute withdraws the notice unsent; marked again, one
    notice; removed and marked again after it went out, still that one notice (one per lesson
    and student); «Н» changed to «О» at once withdraws it too."""
    w = world
    NotifySettings.objects.create(person=w["sidorov"], any_absence_now=True)
    use_school(w["a"])
    r2, r3 = lesson(w, w["russian"], 2), lesson(w, w["maths"], 3)
    use_public()
    _absent(w, r2, w["vanya"])
    _absent(w, r2, w["vanya"], None)  # a mistake, corrected at once
    assert not Notice.objects.filter(kind=NoticeKind.ABSENCE_MARKED).exists() and not Delivery.objects.exists()
    _absent(w, r2, w["vanya"])
    assert Notice.objects.filter(kind=NoticeKind.ABSENCE_MARKED).count() == 1
    sender.send_pending(timezone.now() + immediate.ABSENCE_GRACE + dt.timedelta(seconds=5))
    assert len(mail.outbox) == 1
    _absent(w, r2, w["vanya"], None)  # already sent: it stays
    _absent(w, r2, w["vanya"])
    sender.send_pending(timezone.now() + dt.timedelta(minutes=10))
    assert Notice.objects.filter(kind=NoticeKind.ABSENCE_MARKED).count() == 1 and len(mail.outbox) == 1
    _absent(w, r3, w["vanya"])
    _absent(w, r3, w["vanya"], "late")
    assert Notice.objects.filter(kind=NoticeKind.ABSENCE_MARKED).count() == 1


def test_reason_based_notice_still_sent_alongside(world: dict[str, Any]) -> None:
    """R-D03: the unexcused-absence notice (the class teacher records the reason) is kept; a family
    who chose both gets the «Н» notice and then the reason notice."""
    w = world
    NotifySettings.objects.create(person=w["sidorov"], any_absence_now=True, unexcused_absence_now=True)
    use_school(w["a"])
    r2 = lesson(w, w["russian"], 2)
    services.set_attendance(w["teacher"], w["a"], r2, w["vanya"].pk, "absent")
    absence = Attendance.objects.get(lesson=r2, student=w["vanya"])
    services.set_absence_reason(w["class_teacher"], w["a"], absence, "unexcused")
    use_public()
    kinds = sorted(Notice.objects.filter(recipient=w["sidorov"]).values_list("kind", flat=True))
    assert kinds == sorted([NoticeKind.ABSENCE_MARKED, NoticeKind.UNEXCUSED_ABSENCE])


def test_any_absence_choice_on_the_page_and_in_the_api(world: dict[str, Any], client_for: Any) -> None:
    """R-D03: the family chooses «сразу сообщать о любом пропуске» on the settings page and in the API."""
    w = world
    c = client_for(w["petrova"])
    page = c.get("/notify/").content.decode()
    assert "Сразу сообщать о любом пропуске" in page and 'name="any_absence_now"' in page
    c.post("/notify/", {"action": "settings", "daily_summary": "on", "summary_time": "19:00", "any_absence_now": "on",
                        "in_app": "on", "by_email": "on"})
    assert NotifySettings.objects.get(person=w["petrova"]).any_absence_now
    response = c.patch("/api/v1/notify/settings/", {"any_absence_now": False}, content_type="application/json")
    assert response.status_code == 200 and response.json()["any_absence_now"] is False
    assert not NotifySettings.objects.get(person=w["petrova"]).any_absence_now


# --- 4. Individual homework and homework that is only a file ------------------------------------

def test_summary_has_individual_homework_and_homework_files(world: dict[str, Any]) -> None:
    """R-D03 (004 §VIII «общее и индивидуальное домашнее задание»): Петя's individual homework is
    in his family's summary only; a lesson whose homework is only a file is in everybody's of the
    class, with the file's name; a lesson with text and a file shows both in one line."""
    w = world
    a_day(w)
    use_school(w["a"])
    m1 = Lesson.objects.get(lesson_number=1)
    services.set_individual_homework(w["teacher"], w["a"], m1, w["petya"].pk, "Карточка № 7 (повторить дроби)")
    file_only = lesson(w, w["maths"], 4)
    LessonAttachment.objects.create(lesson=file_only, purpose="homework", file="journal/x/1.pdf", name="Задачи.pdf", size=10,
                                    content_type="application/pdf", uploaded_by=w["teacher"])
    LessonAttachment.objects.create(lesson=file_only, purpose="material", file="journal/x/2.pdf", name="Слайды.pdf", size=10,
                                    content_type="application/pdf", uploaded_by=w["teacher"])
    LessonAttachment.objects.create(lesson=m1, purpose="homework", file="journal/x/3.pdf", name="Образец.pdf", size=10,
                                    content_type="application/pdf", uploaded_by=w["teacher"])
    Lesson.objects.filter(pk=file_only.pk).update(updated_at=at(15))
    LessonAttachment.objects.update(uploaded_at=at(17))
    use_public()
    IndividualHomeworkChange.objects.update(changed_at=at(17))
    build_summaries(at(19, 5))
    notices = summaries()
    petrova, sidorov = notices[w["petrova"].pk], notices[w["sidorov"].pk]
    assert "личное задание: Карточка № 7 (повторить дроби)" in petrova.body
    assert "Карточка" not in sidorov.body
    for body in (petrova.body, sidorov.body):
        assert "файлы: Задачи.pdf" in body and "Слайды" not in body
        assert "№ 125, 126; файлы: Образец.pdf" in body
    children = petrova.payload["children"]
    petya = next(c for c in children if c["student_id"] == w["petya"].pk)
    assert {"subject": "Математика", "date": w["day"].isoformat(), "text": "Карточка № 7 (повторить дроби)",
            "individual": True} in petya["homework"]
    # Reported once: the next summary has none of it.
    assert build_summaries(at(19, 5, days=1)).created == 0


def test_individual_homework_saved_again_is_reported_again_and_removed_is_not(world: dict[str, Any]) -> None:
    """R-D03: a changed individual homework is new again; one removed is not reported."""
    w = world
    use_school(w["a"])
    m1 = lesson(w, w["maths"], 1)
    services.set_individual_homework(w["teacher"], w["a"], m1, w["petya"].pk, "Первое")
    services.set_individual_homework(w["teacher"], w["a"], m1, w["vanya"].pk, "Ване")
    services.set_individual_homework(w["teacher"], w["a"], m1, w["vanya"].pk, "")
    use_public()
    assert IndividualHomeworkChange.objects.count() == 2
    IndividualHomeworkChange.objects.update(changed_at=at(15))
    build_summaries(at(19, 5))
    assert "Первое" in summaries()[w["petya"].pk].body and w["sidorov"].pk not in summaries()
    use_school(w["a"])
    services.set_individual_homework(w["teacher"], w["a"], m1, w["petya"].pk, "Второе")
    assert IndividualHomework.objects.get(student=w["petya"]).text == "Второе"
    use_public()
    IndividualHomeworkChange.objects.filter(student_id=w["petya"].pk).update(changed_at=at(12, days=1))
    build_summaries(at(19, 5, days=1))
    tomorrow = Notice.objects.get(recipient=w["petya"], kind=NoticeKind.SUMMARY, key=(w["day"] + dt.timedelta(days=1)).isoformat())
    assert "Второе" in tomorrow.body and "Первое" not in tomorrow.body


def test_summary_queries_per_school_do_not_grow(world: dict[str, Any]) -> None:
    """R-D03, issue 6 performance: with individual homework and homework files the builder still
    runs a fixed number of queries per school, whatever the number of lessons, files and notes."""
    w = world

    def day_with(n: int, days: int) -> int:
        use_school(w["a"])
        for i in range(n):
            les = Lesson.objects.create(school_class=w["cls"], subject=w["maths"], teacher=w["teacher"], created_by=w["teacher"],
                                        date=w["day"] + dt.timedelta(days=days), lesson_number=i + 1, homework=f"№ {i}")
            LessonAttachment.objects.create(lesson=les, purpose="homework", file=f"journal/x/{days}{i}.pdf", name=f"{i}.pdf",
                                            size=1, content_type="application/pdf", uploaded_by=w["teacher"])
            for student in (w["petya"], w["vanya"]):
                IndividualHomework.objects.create(lesson=les, student=student, text=f"Личное {i}")
                mark(w, les, student, 4)
        Lesson.objects.update(updated_at=at(15, days=days))
        Mark.objects.update(updated_at=at(15, days=days))
        LessonAttachment.objects.update(uploaded_at=at(15, days=days))
        use_public()
        IndividualHomeworkChange.objects.update(changed_at=at(15, days=days))
        with CaptureQueriesContext(connection) as ctx:
            build_summaries(at(19, 5, days=days))
        return len(ctx.captured_queries)

    few, many = day_with(1, 0), day_with(6, 1)
    assert few == many, (few, many)
    assert "Личное 5" in Notice.objects.filter(recipient=w["petya"]).order_by("-id")[0].body


# --- 5. The window ends before the summary: a late commit is not lost -----------------------------

def test_mark_stamped_inside_the_margin_goes_into_the_next_summary(world: dict[str, Any]) -> None:
    """R-D03: a summary built at 19:05 covers the changes stamped up to 19:05 less SAFETY_MARGIN;
    a mark stamped at 19:04 (its transaction committed after the summary was read) is in the next
    day's summary, not lost; one stamped before the margin is in today's."""
    w = world
    use_school(w["a"])
    m1 = lesson(w, w["maths"], 1)
    early, late = mark(w, m1, w["petya"], 5), mark(w, m1, w["vanya"], 3)
    Mark.objects.filter(pk=early.pk).update(created_at=at(18, 50), updated_at=at(18, 50))
    Mark.objects.filter(pk=late.pk).update(created_at=at(19, 4), updated_at=at(19, 4))
    Lesson.objects.update(updated_at=at(18, 50))
    use_public()
    build_summaries(at(19, 5))
    today = summaries()
    assert "— 5 (" in today[w["petrova"].pk].body and w["sidorov"].pk not in today
    assert Notice.objects.filter(kind=NoticeKind.SUMMARY).first().covers_until == at(19, 5) - SAFETY_MARGIN  # type: ignore[union-attr]
    build_summaries(at(19, 5, days=1))
    tomorrow = Notice.objects.get(recipient=w["sidorov"], kind=NoticeKind.SUMMARY, key=(w["day"] + dt.timedelta(days=1)).isoformat())
    assert "— 3 (" in tomorrow.body and "1 отметка" in tomorrow.title
    assert not Notice.objects.filter(recipient=w["petrova"], key=(w["day"] + dt.timedelta(days=1)).isoformat()).exists()


def test_restarted_sender_uses_its_own_clock(make_person: Any, settings: Any) -> None:
    """R-D03: rows given back after an unexpected error are due at the sender's own time, not the
    wall clock's (a sender run for 19:01 late in the evening left them waiting)."""
    from tests.test_notify import DyingBackend

    families = _families(make_person, 4)
    enqueue([Draft(recipient_id=p.pk, kind=NoticeKind.SUMMARY, key="day", title="Сводка", body="…") for p in families],
            now=at(6))
    settings.EMAIL_BACKEND = "tests.test_notify.DyingBackend"
    DyingBackend.budget, DyingBackend.error = 1, RuntimeError
    with pytest.raises(RuntimeError):
        sender.send_pending(at(6, 1))
    assert Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at=at(6, 1)).count() == 2
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert sender.send_pending(at(6, 2)).sent == 2
