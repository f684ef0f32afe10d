"""Informing (R-D03) and messages (R-D06), the bugs a review found in today's code, closed:

- R-D03 SSRF: a push endpoint must read the same to the check (urllib.parse) and to the connection
  (urllib3): a backslash, whitespace, control or non-ASCII character, user info, an IP literal, a
  port but 443, an IDN label are refused, when a subscription is saved and again before a send
  (a stored one is deleted unsent).
- R-D06: a staff message split per family tells a staff co-recipient once per send, not once per family.
- R-D03: a «Н» removed withdraws its notice while no channel has taken it, whatever the clock says;
  the family's list and unread count show an absence notice only after the grace minute.
- R-D03: a homework file uploaded, or a homework text saved, inside the summary's safety margin is
  in one summary, not in tonight's and tomorrow's.
- R-D03: a letter that bounces puts a notice a push already brought into the list of a family who
  switched the list off no more."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from accounts.roles import Role
from journal.models import Lesson, LessonAttachment
from messaging import services as messaging
from notify import immediate, push, selectors, sender
from notify.models import Channel, Delivery, DeliveryStatus, Notice, NoticeKind, NotifySettings, PushSubscription
from notify.outbox import Draft, enqueue
from notify.summary import build_summaries
from roster.models import Enrolment, Guardianship
from tenants.db import use_public, use_school
from tests import test_messaging as mbase
from tests import test_notify as base
from tests import test_notify_more as more
from tests.test_messaging import MW, fresh
from tests.test_notify import _families, at, lesson

pytestmark = pytest.mark.django_db

world = base.world
mw, _media = mbase.mw, mbase._media
D = dt.date
PUSH_API = "/api/v1/notify/push-subscriptions/"


def summary_of(person: Any, day: dt.date) -> Notice | None:
    return Notice.objects.filter(recipient=person, kind=NoticeKind.SUMMARY, key=day.isoformat()).first()


# --- 1. R-D03: push endpoints the two URL parsers read alike -------------------------------------------

@pytest.mark.parametrize("endpoint", [
    "https://10.0.0.5\\.x.notify.windows.com/p",  # urllib3 connects to 10.0.0.5
    "https://fcm.googleapis.com\\@10.0.0.5/",
    "https://fcm.googleapis.com@10.0.0.5/",  # user info: the host is 10.0.0.5
    "https://user:pw@fcm.googleapis.com/x",
    "https://fcm.googleapis.com:8080/x",
    "https://fcm.googleapis.com:443@10.0.0.5/",
    "https://fcm.googleаpis.com/x",  # a Cyrillic «а»
    "https://xn--fcm-googleapis-xyz.notify.windows.com/x",  # a punycode look-alike label
    "https://fcm.googleapis.com.xn--p1ai/x",
    "https://10.0.0.5/x",
    "https://[::1]/x",
    "https://[fe80::1%25eth0]/x",
    "https://2130706433/x",
    "https://fcm.googleapis.com /x",
    "https://fcm.googleapis.com\t/x",
    "https://fcm.googleapis.com\n.evil/x",
    "https://fcm.googleapis.com\x00.evil/x",
    "http://fcm.googleapis.com/x",  # plain http in production
    "ftp://fcm.googleapis.com/x",
    "https://evil.com/fcm.googleapis.com",
    "https://notify.windows.com.evil.com/x",
    "https:///x",
    "https://fcm..googleapis.com/x",
])
def test_push_endpoints_refused(endpoint: str) -> None:
    """R-D03 (SSRF): none of these reaches an allowed push service to both parsers."""
    assert not push.allowed_endpoint(endpoint)


@pytest.mark.parametrize("endpoint", [
    "https://fcm.googleapis.com/fcm/send/abc",
    "https://FCM.GoogleAPIs.com/fcm/send/abc",  # host names are case-blind
    "https://fcm.googleapis.com:443/fcm/send/abc",
    "https://db5p.notify.windows.com/w/?token=AbC%2Bd",
    "https://updates.push.services.mozilla.com/wpush/v2/gAAAA",
    "https://web.push.apple.com/QGx",
])
def test_push_endpoints_of_the_real_services_accepted(endpoint: str) -> None:
    """R-D03: the browsers' real push services (an upper-case host included) are still accepted."""
    assert push.allowed_endpoint(endpoint)


def test_plain_http_and_a_test_port_only_with_the_test_setting(settings: Any) -> None:
    """R-D03: NOTIFY_PUSH_ALLOW_HTTP (a local fake push service in tests) allows http with its port
    for a host on the list; https stays strict even then."""
    settings.NOTIFY_PUSH_ALLOWED_HOSTS = [*settings.NOTIFY_PUSH_ALLOWED_HOSTS, "127.0.0.1"]
    assert not push.allowed_endpoint("http://127.0.0.1:8080/x")
    settings.NOTIFY_PUSH_ALLOW_HTTP = True
    assert push.allowed_endpoint("http://127.0.0.1:8080/x")
    assert not push.allowed_endpoint("https://127.0.0.1:8080/x")
    assert not push.allowed_endpoint("http://10.0.0.5:8080/x")
    assert not push.allowed_endpoint("http://127.0.0.1\\.fcm.googleapis.com:8080/x")


def test_backslash_subscription_refused_by_the_api(world: dict[str, Any], client_for: Any, settings: Any) -> None:
    """R-D03 (SSRF): the subscription API refuses the backslash endpoint and stores nothing."""
    public, private = push.new_key_pair()
    settings.NOTIFY_VAPID_PUBLIC_KEY, settings.NOTIFY_VAPID_PRIVATE_KEY, settings.NOTIFY_PUSH_ENABLED = public, private, True
    keys, _key, _auth = more_keys()
    response = client_for(world["petrova"]).post(PUSH_API, {
        "endpoint": "https://10.0.0.5\\.x.notify.windows.com/p", "keys": keys}, content_type="application/json")
    assert response.status_code == 400
    assert not PushSubscription.objects.exists()


def more_keys() -> tuple[dict[str, str], Any, bytes]:
    from tests.test_notify_push import browser_keys

    return browser_keys()


def test_stored_bad_subscription_deleted_unsent(make_person: Any, settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """R-D03 (SSRF): a subscription stored before the stricter check (the backslash endpoint) is
    refused before the send and deleted; nothing is POSTed anywhere."""
    public, private = push.new_key_pair()
    settings.NOTIFY_VAPID_PUBLIC_KEY, settings.NOTIFY_VAPID_PRIVATE_KEY, settings.NOTIFY_PUSH_ENABLED = public, private, True
    import pywebpush

    def never(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("a request was made")

    monkeypatch.setattr(pywebpush, "webpush", never)
    (family,) = _families(make_person, 1)
    NotifySettings.objects.create(person=family, by_email=False)
    keys, _key, _auth = more_keys()
    PushSubscription.objects.create(person=family, endpoint="https://10.0.0.5\\.x.notify.windows.com/p",
                                    p256dh=keys["p256dh"], auth=keys["auth"])
    enqueue([Draft(recipient_id=family.pk, kind=NoticeKind.FINAL_MARK, key="1", title="Итоговая", body="5")])
    assert Delivery.objects.filter(channel=Channel.PUSH).count() == 1
    sender.send_pending(timezone.now() + dt.timedelta(seconds=1))
    assert not PushSubscription.objects.exists()
    assert Delivery.objects.get(channel=Channel.PUSH).status == DeliveryStatus.SKIPPED


# --- 2. R-D06: a staff co-recipient is told once per send ------------------------------------------------

def test_staff_co_recipient_told_once_when_the_message_is_split_per_family(mw: MW, make_person: Any, grant: Any,
                                                                           django_capture_on_commit_callbacks: Any) -> None:
    """R-D06: a teacher writes to 29 families and the class teacher (30 people, MAX_RECIPIENTS), who
    asked to hear of new messages: 29 conversations, one per family; the class teacher gets one
    notice (one letter), each family its own."""
    use_school(mw.school)
    parents = []
    for i in range(messaging.MAX_RECIPIENTS - 1):
        parent, child = make_person("Родитель", f"Номер{i}"), make_person("Ученик", f"Номер{i}")
        Enrolment.objects.create(student=child, school_class=mw.cls, since=D(2026, 9, 1))
        Guardianship.objects.create(parent=parent, student=child, kind="mother")
        parents.append(parent)
    use_public()
    for parent in parents:
        grant(parent, Role.PARENT, mw.school)
    NotifySettings.objects.create(person=mw.ct, staff_messages_now=True)
    base.confirmed(mw.ct, "ct@example.ru")
    use_school(mw.school)
    with django_capture_on_commit_callbacks(execute=True):
        started = messaging.start_conversations(fresh(mw.teacher), mw.school, subject="Собрание", body="В четверг в 18:00.",
                                                recipient_ids=[mw.ct.pk, *(p.pk for p in parents)])
    use_public()
    assert len(started) == len(parents) == 29
    assert Notice.objects.filter(recipient=mw.ct, kind=NoticeKind.MESSAGE).count() == 1
    told = list(Notice.objects.filter(kind=NoticeKind.MESSAGE).exclude(recipient=mw.ct).values_list("recipient_id", flat=True))
    assert sorted(told) == sorted(p.pk for p in parents)
    sender.send_pending(timezone.now() + dt.timedelta(seconds=1))
    assert len([m for m in mail.outbox if "ct@example.ru" in m.to]) == 1


# --- 3. R-D03: the «Н» notice withdrawn while untaken; hidden in the list for the grace minute ------------

def _n(w: dict[str, Any], les: Lesson, status: str | None = "absent") -> None:
    more._absent(w, les, w["vanya"], status)


def test_absence_withdrawn_while_every_delivery_is_pending_whatever_the_clock(world: dict[str, Any]) -> None:
    """R-D03: the sender was held up: the «Н» notice is ten minutes old and no channel took it;
    the «Н» removed withdraws it still. Once a channel has it, it stays."""
    w = world
    NotifySettings.objects.create(person=w["sidorov"], any_absence_now=True)
    use_school(w["a"])
    r2, r3 = lesson(w, w["russian"], 2), lesson(w, w["maths"], 3)
    use_public()
    _n(w, r2)
    Notice.objects.filter(kind=NoticeKind.ABSENCE_MARKED).update(created_at=timezone.now() - dt.timedelta(minutes=10))
    _n(w, r2, None)
    assert not Notice.objects.filter(kind=NoticeKind.ABSENCE_MARKED).exists()
    # A channel took it: it stays, old or not.
    _n(w, r3)
    assert sender.send_pending(timezone.now() + immediate.ABSENCE_GRACE + dt.timedelta(seconds=5)).sent == 1
    _n(w, r3, None)
    assert Notice.objects.filter(kind=NoticeKind.ABSENCE_MARKED).count() == 1


def test_absence_notice_hidden_from_the_list_for_the_grace_minute(world: dict[str, Any], client_for: Any) -> None:
    """R-D03: within the grace minute the «Н» notice is neither in the family's list nor in its
    unread count (page and API), nor marked read by «mark all»; after it, it is."""
    w = world
    NotifySettings.objects.create(person=w["sidorov"], any_absence_now=True)
    use_school(w["a"])
    r2 = lesson(w, w["russian"], 2)
    use_public()
    _n(w, r2)
    notice = Notice.objects.get(kind=NoticeKind.ABSENCE_MARKED)
    assert notice.in_app
    parent = w["sidorov"]
    c = client_for(parent)
    assert selectors.unread_count(parent) == 0 and not selectors.notices_of(parent).exists()
    listed = c.get("/api/v1/notify/notices/").json()
    assert listed["unread"] == 0 and listed["count"] == 0
    assert "Пропуск урока" not in c.get("/notify/notices/").content.decode()
    from notify.services import mark_all_read

    assert mark_all_read(parent) == 0
    Notice.objects.filter(pk=notice.pk).update(created_at=timezone.now() - immediate.ABSENCE_GRACE - dt.timedelta(seconds=1))
    assert selectors.unread_count(parent) == 1 and list(selectors.notices_of(parent)) == [notice]
    listed = c.get("/api/v1/notify/notices/").json()
    assert listed["unread"] == 1 and listed["count"] == 1
    assert "Пропуск урока" in c.get("/notify/notices/").content.decode()


# --- 4. R-D03: nothing inside the safety margin is in two summaries --------------------------------------

def test_homework_file_uploaded_inside_the_margin_is_in_one_summary(world: dict[str, Any]) -> None:
    """R-D03: the homework text saved at 17:00, a file added at 19:03 (after the window's end, 19:02,
    before the 19:05 summary): tonight's summary has the text, tomorrow's the file; neither twice."""
    w = world
    use_school(w["a"])
    m1 = lesson(w, w["maths"], 1, homework="№ 125")
    Lesson.objects.filter(pk=m1.pk).update(updated_at=at(17))
    LessonAttachment.objects.create(lesson=m1, purpose="homework", file="journal/x/3.pdf", name="Образец.pdf", size=10,
                                    content_type="application/pdf", uploaded_by=w["teacher"])
    LessonAttachment.objects.update(uploaded_at=at(19, 3))
    use_public()
    build_summaries(at(19, 5))
    tonight = summary_of(w["petrova"], w["day"])
    assert tonight is not None and "№ 125" in tonight.body and "Образец.pdf" not in tonight.body
    build_summaries(at(19, 5, days=1))
    tomorrow = summary_of(w["petrova"], w["day"] + dt.timedelta(days=1))
    assert tomorrow is not None and tomorrow.body.count("Образец.pdf") == 1
    assert build_summaries(at(19, 5, days=2)).created == 0


def test_homework_text_saved_inside_the_margin_is_in_one_summary(world: dict[str, Any]) -> None:
    """R-D03, the symmetric case: a file added at 17:00, the lesson's homework text saved at 19:03:
    tonight's summary leaves the lesson out, tomorrow's has its text and the file, once."""
    w = world
    use_school(w["a"])
    m1 = lesson(w, w["maths"], 1, homework="№ 125")
    LessonAttachment.objects.create(lesson=m1, purpose="homework", file="journal/x/3.pdf", name="Образец.pdf", size=10,
                                    content_type="application/pdf", uploaded_by=w["teacher"])
    LessonAttachment.objects.update(uploaded_at=at(17))
    Lesson.objects.filter(pk=m1.pk).update(updated_at=at(19, 3))
    use_public()
    build_summaries(at(19, 5))
    tonight = summary_of(w["petrova"], w["day"])
    assert tonight is None or ("№ 125" not in tonight.body and "Образец.pdf" not in tonight.body)
    build_summaries(at(19, 5, days=1))
    tomorrow = summary_of(w["petrova"], w["day"] + dt.timedelta(days=1))
    assert tomorrow is not None and tomorrow.body.count("№ 125; файлы: Образец.pdf") == 1
    assert build_summaries(at(19, 5, days=2)).created == 0


# --- 5. R-D03: a bounce does not put a pushed notice into a list switched off ----------------------------

def _pushed_then_bounced(make_person: Any, settings: Any, push_status: str) -> Notice:
    (family,) = _families(make_person, 1)
    NotifySettings.objects.create(person=family, in_app=False)
    enqueue([Draft(recipient_id=family.pk, kind=NoticeKind.FINAL_MARK, key="1", title="Итоговая", body="5")], now=at(19))
    notice = Notice.objects.get(recipient=family)
    assert not notice.in_app
    Delivery.objects.create(notice=notice, channel=Channel.PUSH, status=push_status, next_attempt_at=at(19),
                            message_id="<p@x>")
    settings.EMAIL_BACKEND = "tests.test_notify.RefusingBackend"
    assert sender.send_pending(at(19, 1)).failed == 1
    notice.refresh_from_db()
    return notice


def test_bounce_after_a_delivered_push_keeps_the_list_off(make_person: Any, settings: Any) -> None:
    """R-D03: the push brought the notice; the letter bounces: the family switched the list off,
    so the notice stays out of it."""
    assert not _pushed_then_bounced(make_person, settings, DeliveryStatus.SENT).in_app


def test_bounce_with_no_other_channel_shows_the_notice_in_the_list(make_person: Any, settings: Any) -> None:
    """R-D03: the push failed too: nothing brought the notice, so the list shows it (lost is worse)."""
    assert _pushed_then_bounced(make_person, settings, DeliveryStatus.FAILED).in_app
