"""Web Push for real and the clean-up of old notices (issue 6).

R-D03 (daily informing): a notice reaches the family's browser through a push service, encrypted
for that browser (aes128gcm) and signed with the district's VAPID key; a failing or unreachable
push service delays, never loses, and each browser gets each notice once. The "push service"
here is a real HTTP server on 127.0.0.1 and the browser's keys are real P-256 keys.
R-D09 (contact details given by the family themselves): only the family's own browser
subscribes; the server accepts endpoints at the known push services only (no SSRF).
Housekeeping: read or delivered notices older than NOTIFY_RETENTION_DAYS are deleted."""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import os
import re
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management import call_command
from django.utils import timezone
from py_vapid import Vapid02

from accounts.roles import Role
from notify import push, retention, sender, tasks
from notify.models import Channel, Delivery, DeliveryStatus, Notice, NoticeKind, PushSubscription
from notify.outbox import Draft, enqueue
from tenants.db import use_public, use_school
from tests.conftest import make_class

API = "/api/v1/notify/push-subscriptions/"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def browser_keys() -> tuple[dict[str, str], ec.EllipticCurvePrivateKey, bytes]:
    """What a browser's PushManager makes: a P-256 key pair (the public point is `p256dh`) and
    a 16-byte auth secret. Returns (keys as the browser sends them, private key, auth)."""
    key = ec.generate_private_key(ec.SECP256R1())
    auth = os.urandom(16)
    point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"p256dh": b64url(point), "auth": b64url(auth)}, key, auth


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class FakePushService:
    """A push service on 127.0.0.1: records every POST and answers the next status queued for
    its path (201 when none is queued)."""

    server: ThreadingHTTPServer
    received: list[Received] = field(default_factory=list)
    answers: dict[str, list[int]] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def accepted(self, path: str) -> int:
        return sum(1 for r in self.received if r.path == path and r.headers.get("x-answer") == "2xx")


def start_push_service(port: int = 0) -> FakePushService:
    service: FakePushService

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            queued = service.answers.get(self.path) or []
            status = queued.pop(0) if queued else 201
            headers = {k.lower(): v for k, v in self.headers.items()}
            headers["x-answer"] = "2xx" if status < 300 else str(status)
            service.received.append(Received(self.path, headers, body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    service = FakePushService(ThreadingHTTPServer(("127.0.0.1", port), Handler))
    threading.Thread(target=service.server.serve_forever, daemon=True).start()
    return service


@pytest.fixture
def push_service() -> Iterator[FakePushService]:
    service = start_push_service()
    yield service
    service.server.shutdown()
    service.server.server_close()


@pytest.fixture
def push_on(settings: Any) -> dict[str, str]:
    """The district's VAPID keys as `manage.py vapid_keys` makes them; the test push service's
    host allowed (over plain http) besides the real ones."""
    public, private = push.new_key_pair()
    settings.NOTIFY_VAPID_PUBLIC_KEY, settings.NOTIFY_VAPID_PRIVATE_KEY = public, private
    settings.NOTIFY_PUSH_ENABLED = True
    settings.NOTIFY_PUSH_ALLOWED_HOSTS = [*settings.NOTIFY_PUSH_ALLOWED_HOSTS, "127.0.0.1"]
    settings.NOTIFY_PUSH_ALLOW_HTTP = True
    settings.NOTIFY_PUSH_TIMEOUT = 5
    return {"public": public, "private": private}


@pytest.fixture
def family(school_a: Any, make_person: Any, grant: Any) -> dict[str, Any]:
    """Parent Петрова and parent Сидоров in one class of school A; a teacher."""
    use_school(school_a)
    cls = make_class(5, "А")
    use_public()
    petrova, sidorov, teacher = make_person("Петрова", "Анна"), make_person("Сидоров", "Иван"), make_person("Учитель", "Пётр")
    grant(petrova, Role.PARENT, school_a, class_id=cls.pk)
    grant(sidorov, Role.PARENT, school_a, class_id=cls.pk)
    grant(teacher, Role.TEACHER, school_a)
    return {"petrova": petrova, "sidorov": sidorov, "teacher": teacher}


def subscribe(client: Any, endpoint: str) -> tuple[Any, ec.EllipticCurvePrivateKey, bytes]:
    keys, key, auth = browser_keys()
    response = client.post(API, {"endpoint": endpoint, "keys": keys}, content_type="application/json")
    return response, key, auth


def notice_for(person: Any, key: str = "1", title: str = "Итоговая отметка", body: str = "Петя: математика, I четверть — 5") -> Notice:
    enqueue([Draft(recipient_id=person.pk, kind=NoticeKind.FINAL_MARK, key=key, title=title, body=body)])
    return Notice.objects.get(recipient=person, kind=NoticeKind.FINAL_MARK, key=key)


def push_delivery(notice: Notice) -> Delivery:
    return Delivery.objects.get(notice=notice, channel=Channel.PUSH)


def test_notice_reaches_a_real_push_service_encrypted_and_signed(family: dict[str, Any], client_for: Any, push_on: dict[str, str],
                                                                 push_service: FakePushService) -> None:
    """R-D03: the browser's subscription goes through the API; the notice is POSTed to the push
    service once, encrypted (aes128gcm) so that only that browser can read it, with a valid
    VAPID Authorization for that service; the browser's keys decrypt {title, body, url}."""
    c = client_for(family["petrova"])
    assert c.get(API).json() == {"enabled": True, "public_key": push_on["public"]}
    response, browser_key, auth = subscribe(c, f"{push_service.base}/wpush/v2/abc")
    assert response.status_code == 201
    notice = notice_for(family["petrova"])

    result = sender.send_pending()

    assert result.sent == 1 and len(push_service.received) == 1
    got = push_service.received[0]
    assert got.path == "/wpush/v2/abc" and got.headers["content-encoding"] == "aes128gcm"
    assert got.headers["ttl"] == str(24 * 3600)
    authorization = got.headers["authorization"]
    assert authorization.startswith("vapid t=") and Vapid02.verify(authorization)
    assert f"k={push_on['public']}" in authorization
    token = re.search(r"t=([^,]+)", authorization).group(1)  # type: ignore[union-attr]
    claims = json.loads(base64.urlsafe_b64decode(token.split(".")[1] + "=="))
    assert claims["aud"] == push_service.base and claims["sub"].startswith("mailto:")
    assert claims["exp"] <= timezone.now().timestamp() + 24 * 3600
    assert "Итоговая".encode() not in got.body and "Петя".encode() not in got.body
    payload = json.loads(http_ece.decrypt(got.body, private_key=browser_key, auth_secret=auth, version="aes128gcm"))
    assert payload == {"title": "Итоговая отметка", "body": "Петя: математика, I четверть — 5", "url": "/notify/notices/",
                       "id": notice.pk}
    row = push_delivery(notice)
    sub = PushSubscription.objects.get()
    assert row.status == DeliveryStatus.SENT and row.attempts == 1 and row.pushed_to == [sub.pk]
    assert sender.send_pending().sent == 0 and len(push_service.received) == 1


def test_subscription_the_service_calls_gone_is_deleted(family: dict[str, Any], client_for: Any, push_on: dict[str, str],
                                                         push_service: FakePushService) -> None:
    """R-D03: 410 Gone (the browser unsubscribed) deletes the subscription; the notice stays in
    the platform's list and is not pushed again."""
    c = client_for(family["petrova"])
    subscribe(c, f"{push_service.base}/gone")
    push_service.answers["/gone"] = [410]
    notice = notice_for(family["petrova"])
    sender.send_pending()
    assert not PushSubscription.objects.exists() and len(push_service.received) == 1
    assert push_delivery(notice).status == DeliveryStatus.SKIPPED
    assert Notice.objects.filter(pk=notice.pk, in_app=True).exists()
    sender.send_pending(now=timezone.now() + dt.timedelta(hours=1))
    assert len(push_service.received) == 1


def test_failing_push_service_delays_never_loses_each_browser_once(family: dict[str, Any], client_for: Any, push_on: dict[str, str],
                                                                   push_service: FakePushService) -> None:
    """R-D03: the laptop's push service answers 500 twice; the phone's accepts at once. The
    delivery waits with a growing backoff; the retries push to the laptop only; in the end each
    browser has accepted the notice exactly once."""
    c = client_for(family["petrova"])
    subscribe(c, f"{push_service.base}/phone")
    subscribe(c, f"{push_service.base}/laptop")
    push_service.answers["/laptop"] = [500, 503]
    notice = notice_for(family["petrova"])
    now = timezone.now()

    first = sender.send_pending(now=now)
    row = push_delivery(notice)
    phone = PushSubscription.objects.get(endpoint__endswith="/phone")
    assert first.retry_later == 1 and row.status == DeliveryStatus.PENDING and row.pushed_to == [phone.pk]
    assert row.next_attempt_at == now + dt.timedelta(minutes=1) and "500" in row.last_error
    assert sender.send_pending(now=now + dt.timedelta(seconds=30)).claimed == 0  # not due yet

    sender.send_pending(now=now + dt.timedelta(minutes=1))
    row.refresh_from_db()
    assert row.status == DeliveryStatus.PENDING and row.next_attempt_at == now + dt.timedelta(minutes=3)

    sender.send_pending(now=now + dt.timedelta(minutes=3))
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT and row.attempts == 3
    assert push_service.accepted("/phone") == 1 and push_service.accepted("/laptop") == 1
    assert [r.path for r in push_service.received] == ["/phone", "/laptop", "/laptop", "/laptop"]
    assert PushSubscription.objects.count() == 2


def test_unreachable_push_service_delays_until_it_is_back(family: dict[str, Any], client_for: Any, push_on: dict[str, str]) -> None:
    """R-D03: with nobody listening at the push service's address the delivery waits (nothing
    lost, no exception); when the service is back at the same address, it gets the notice once."""
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    c = client_for(family["petrova"])
    subscribe(c, f"http://127.0.0.1:{port}/later")
    notice = notice_for(family["petrova"])
    now = timezone.now()
    assert sender.send_pending(now=now).retry_later == 1
    row = push_delivery(notice)
    assert row.status == DeliveryStatus.PENDING and "нет связи" in row.last_error and PushSubscription.objects.exists()

    service = start_push_service(port)
    try:
        sender.send_pending(now=now + dt.timedelta(minutes=1))
        sender.send_pending(now=now + dt.timedelta(minutes=10))
    finally:
        service.server.shutdown()
        service.server.server_close()
    row.refresh_from_db()
    assert row.status == DeliveryStatus.SENT and service.accepted("/later") == 1 and len(service.received) == 1


def test_failing_push_service_called_once_a_batch_and_mail_goes_on(family: dict[str, Any], client_for: Any, push_on: dict[str, str],
                                                                   push_service: FakePushService) -> None:
    """R-D03: when a push service fails, the other families' pushes to it wait without a request
    (a hanging service would cost its timeout for each), and the e-mail of the same batch and of
    the batches after it still goes out; on the next try everybody gets the notice once."""
    from django.core import mail

    from notify.models import ContactEmail

    ContactEmail.objects.create(person=family["sidorov"], address="sidorov@example.ru", confirmed_at=timezone.now())
    subscribe(client_for(family["petrova"]), f"{push_service.base}/a")
    subscribe(client_for(family["sidorov"]), f"{push_service.base}/b")
    push_service.answers["/a"] = [500]
    petrova, sidorov = notice_for(family["petrova"], "p"), notice_for(family["sidorov"], "s")
    now = timezone.now()

    sender.send_pending(now=now)

    assert [r.path for r in push_service.received] == ["/a"]
    assert [m.to for m in mail.outbox] == [["sidorov@example.ru"]]
    assert push_delivery(petrova).status == push_delivery(sidorov).status == DeliveryStatus.PENDING
    assert push_delivery(sidorov).attempts == 0
    sender.send_pending(now=now + dt.timedelta(minutes=1))
    assert push_delivery(petrova).status == push_delivery(sidorov).status == DeliveryStatus.SENT
    assert push_service.accepted("/a") == 1 and push_service.accepted("/b") == 1


def test_a_push_retry_does_not_hold_back_later_batches(family: dict[str, Any], client_for: Any, push_on: dict[str, str],
                                                       push_service: FakePushService) -> None:
    """Only a failing mail server stops the sender's run; a push to retry does not keep the
    next batches (other families' letters) waiting for the next minute."""
    from django.core import mail

    from notify.models import ContactEmail

    ContactEmail.objects.create(person=family["sidorov"], address="sidorov@example.ru", confirmed_at=timezone.now())
    subscribe(client_for(family["petrova"]), f"{push_service.base}/a")
    push_service.answers["/a"] = [503]
    notice_for(family["petrova"], "p")
    notice_for(family["sidorov"], "s")
    result = sender.send_pending(limit=1)
    assert result.retry_later == 1 and result.sent == 1 and len(mail.outbox) == 1


def test_push_given_up_after_its_ttl(family: dict[str, Any], client_for: Any, push_on: dict[str, str],
                                     push_service: FakePushService) -> None:
    """A notice that could not be pushed for a day is not pushed any more (the service would drop
    it anyway); it stays in the platform's list."""
    subscribe(client_for(family["petrova"]), f"{push_service.base}/late")
    notice = notice_for(family["petrova"])
    sender.send_pending(now=timezone.now() + dt.timedelta(hours=25))
    row = push_delivery(notice)
    assert row.status == DeliveryStatus.FAILED and not push_service.received
    assert Notice.objects.filter(pk=notice.pk).exists()


@pytest.mark.parametrize("endpoint", [
    "https://169.254.169.254/latest/meta-data/",
    "https://127.0.0.1/push",
    "https://localhost:8000/admin/",
    "https://db.internal/x",
    "http://fcm.googleapis.com/fcm/send/abc",
    "https://fcm.googleapis.com.evil.example/fcm/send/abc",
    "https://evilfcm.googleapis.com/fcm/send/abc",
    "https://notify.windows.com/w/?token=abc",
    "https://user:pw@fcm.googleapis.com/fcm/send/abc",
    "ftp://fcm.googleapis.com/x",
])
def test_subscription_refused_outside_the_known_push_services(family: dict[str, Any], client_for: Any, endpoint: str) -> None:
    """R-D09 / SSRF: the server POSTs to a subscription's endpoint, so only https addresses at
    the browsers' push services are accepted."""
    response, _, _ = subscribe(client_for(family["petrova"]), endpoint)
    assert response.status_code == 400 and not PushSubscription.objects.exists()


@pytest.mark.parametrize("endpoint", [
    "https://fcm.googleapis.com/fcm/send/dGVzdA:APA91b",
    "https://updates.push.services.mozilla.com/wpush/v2/gAAAAA",
    "https://wns2-par02p.notify.windows.com/w/?token=BQYAAAD",
    "https://web.push.apple.com/QGx1Z2dlZA",
])
def test_subscription_accepted_at_the_browsers_push_services(family: dict[str, Any], client_for: Any, endpoint: str) -> None:
    """R-D09: the family's own browser subscribes; the row belongs to the person signed in."""
    response, _, _ = subscribe(client_for(family["petrova"]), endpoint)
    assert response.status_code == 201
    assert PushSubscription.objects.get().person == family["petrova"]


def test_subscription_with_broken_keys_refused(family: dict[str, Any], client_for: Any) -> None:
    c = client_for(family["petrova"])
    keys, _, _ = browser_keys()
    endpoint = "https://fcm.googleapis.com/fcm/send/k"
    for bad in ({**keys, "p256dh": b64url(b"\x04" + b"\x01" * 64)},  # not a point on the curve
                {**keys, "p256dh": "not base64!"},
                {**keys, "auth": b64url(os.urandom(8))}):
        assert c.post(API, {"endpoint": endpoint, "keys": bad}, content_type="application/json").status_code == 400
    assert not PushSubscription.objects.exists()


def test_stored_subscription_at_a_host_no_longer_allowed_is_never_called(family: dict[str, Any], push_on: dict[str, str],
                                                                         push_service: FakePushService) -> None:
    """A subscription saved before the allow-list (or at a host taken off it) is deleted at the
    next send instead of being called."""
    keys, _, _ = browser_keys()
    port = push_service.server.server_address[1]
    PushSubscription.objects.create(person=family["petrova"], endpoint=f"http://localhost:{port}/old", **keys)
    notice = notice_for(family["petrova"])
    sender.send_pending()
    assert not push_service.received and not PushSubscription.objects.exists()
    assert push_delivery(notice).status == DeliveryStatus.SKIPPED


def test_unsubscribe_removes_only_ones_own(family: dict[str, Any], client_for: Any) -> None:
    """«Отключить»: the browser's DELETE removes its subscription; another parent cannot remove it."""
    petrova, sidorov = client_for(family["petrova"]), client_for(family["sidorov"])
    endpoint = "https://updates.push.services.mozilla.com/wpush/v2/mine"
    subscribe(petrova, endpoint)
    assert sidorov.delete(API, {"endpoint": endpoint}, content_type="application/json").status_code == 204
    assert PushSubscription.objects.filter(person=family["petrova"]).exists()
    assert petrova.delete(API, {"endpoint": endpoint}, content_type="application/json").status_code == 204
    assert not PushSubscription.objects.exists()


def test_push_api_for_families_only(family: dict[str, Any], client_for: Any) -> None:
    """Access table of the push routes (api-notify-push, service-worker)."""
    from django.test import Client

    anonymous, teacher = Client(), client_for(family["teacher"])
    for method in ("get", "post", "delete"):
        assert getattr(anonymous, method)(API, content_type="application/json").status_code in (401, 403)
        assert getattr(teacher, method)(API, content_type="application/json").status_code == 403
    assert anonymous.get("/sw.js").status_code == 200
    assert anonymous.post("/sw.js").status_code == 405


def test_push_off_without_keys_or_with_the_switch_off(family: dict[str, Any], client_for: Any, settings: Any) -> None:
    """Without the district's keys (or with NOTIFY_PUSH_ENABLED=0) no push deliveries are made and
    the page says push is off instead of showing the button."""
    settings.NOTIFY_VAPID_PUBLIC_KEY = settings.NOTIFY_VAPID_PRIVATE_KEY = ""
    c = client_for(family["petrova"])
    subscribe(c, "https://fcm.googleapis.com/fcm/send/x")
    assert c.get(API).json() == {"enabled": False, "public_key": ""}
    page = c.get("/notify/").content.decode()
    assert 'data-testid="push-off"' in page and "push-subscribe" not in page
    public, private = push.new_key_pair()
    settings.NOTIFY_VAPID_PUBLIC_KEY, settings.NOTIFY_VAPID_PRIVATE_KEY = public, private
    settings.NOTIFY_PUSH_ENABLED = False
    assert not push.configured()
    notice = notice_for(family["petrova"])
    assert not Delivery.objects.filter(notice=notice, channel=Channel.PUSH).exists()


def test_settings_page_buttons_and_service_worker_from_the_root(family: dict[str, Any], client_for: Any,
                                                                 push_on: dict[str, str]) -> None:
    """R-D03: the settings page has «Включить push-уведомления» and «Отключить», loads its script
    from a file (no inline script), and points it at the API and at /sw.js, which is served from
    the site root with the headers a service worker for the whole site needs."""
    page = client_for(family["petrova"]).get("/notify/").content.decode()
    assert "Включить push-уведомления" in page and ">Отключить<" in page
    assert 'data-api="/api/v1/notify/push-subscriptions/"' in page and 'data-sw="/sw.js"' in page
    assert "js/notify-push.js" in page
    for script in re.findall(r"<script\b[^>]*>", page):
        assert "src=" in script, f"inline script: {script}"
    sw = client_for(family["petrova"]).get("/sw.js")
    assert sw.status_code == 200 and sw["Content-Type"].startswith("text/javascript")
    assert sw["Service-Worker-Allowed"] == "/" and "no-cache" in sw["Cache-Control"]
    source = sw.content.decode()
    assert "showNotification" in source and "notificationclick" in source and "openWindow" in source


def test_vapid_keys_command_makes_a_usable_pair() -> None:
    """`manage.py vapid_keys` prints the two environment lines; the private key signs tokens
    that verify with the public one."""
    out = io.StringIO()
    call_command("vapid_keys", stdout=out)
    lines = dict(line.split("=", 1) for line in out.getvalue().splitlines() if line and not line.startswith("#"))
    public, private = lines["NOTIFY_VAPID_PUBLIC_KEY"], lines["NOTIFY_VAPID_PRIVATE_KEY"]
    assert len(base64.urlsafe_b64decode(public + "==")) == 65
    headers = Vapid02.from_string(private).sign({"sub": "mailto:zhurnal@example.ru", "aud": "https://fcm.googleapis.com"})
    assert Vapid02.verify(headers["Authorization"]) and f"k={public}" in headers["Authorization"]


# --- Old notices -------------------------------------------------------------------------------

def _aged(person: Any, key: str, days: int, *, read: bool = False, in_app: bool = True,
          deliveries: tuple[str, ...] = ()) -> Notice:
    notice = Notice.objects.create(recipient=person, kind=NoticeKind.FINAL_MARK, key=key, title="Т", body="…", in_app=in_app,
                                   read_at=timezone.now() if read else None)
    for channel, status in zip((Channel.EMAIL, Channel.PUSH), deliveries, strict=False):
        Delivery.objects.create(notice=notice, channel=channel, status=status, next_attempt_at=timezone.now(), message_id=f"<{key}>")
    when = timezone.now() - dt.timedelta(days=days)
    Notice.objects.filter(pk=notice.pk).update(created_at=when)
    Delivery.objects.filter(notice=notice).update(created_at=when)
    return notice


def test_old_read_or_delivered_notices_deleted_in_batches_and_idempotent(family: dict[str, Any], settings: Any) -> None:
    """Housekeeping (R-D03): after NOTIFY_RETENTION_DAYS read notices, notices not shown in the
    platform and notices a channel delivered go with their deliveries; unread undelivered ones and
    anything still waiting to be sent stay; finished deliveries of the notices that stay go."""
    settings.NOTIFY_RETENTION_DAYS = 180
    p = family["petrova"]
    gone = [
        _aged(p, "read", 200, read=True),
        _aged(p, "read-mailed", 200, read=True, deliveries=(DeliveryStatus.SENT, DeliveryStatus.SKIPPED)),
        _aged(p, "mailed-unread", 200, deliveries=(DeliveryStatus.SENT,)),
        _aged(p, "confirm", 200, in_app=False, deliveries=(DeliveryStatus.SENT,)),
        _aged(p, "bounced-not-shown", 200, in_app=False, deliveries=(DeliveryStatus.FAILED,)),
    ]
    kept = [
        _aged(p, "unread", 200),
        _aged(p, "unread-skipped", 200, deliveries=(DeliveryStatus.SKIPPED,)),
        _aged(p, "read-still-pending", 200, read=True, deliveries=(DeliveryStatus.PENDING,)),
        _aged(p, "read-sending", 200, read=True, deliveries=(DeliveryStatus.SENT, DeliveryStatus.SENDING)),
        _aged(p, "recent-read", 10, read=True, deliveries=(DeliveryStatus.SENT,)),
    ]

    result = retention.delete_old(batch=2)

    assert result.notices == len(gone) and result.deliveries == 6
    assert set(Notice.objects.values_list("key", flat=True)) == {n.key for n in kept}
    assert not Delivery.objects.filter(notice__key="unread-skipped").exists()  # finished, old: gone
    assert Delivery.objects.filter(notice__key="read-still-pending", status=DeliveryStatus.PENDING).exists()
    assert Delivery.objects.filter(notice__key="read-sending").count() == 2
    assert Delivery.objects.filter(notice__key="recent-read").exists()
    assert retention.delete_old(batch=2) == retention.Deleted()  # a second run finds nothing


def test_clean_up_task_on_beat_and_command(family: dict[str, Any], settings: Any) -> None:
    """The nightly beat task and `manage.py delete_old_notices` (with --dry-run) do the same."""
    assert settings.CELERY_BEAT_SCHEDULE["notify-delete-old"]["task"] == "notify.tasks.delete_old_notices"
    p = family["petrova"]
    _aged(p, "a", 400, read=True)
    _aged(p, "b", 400, read=True)
    out = io.StringIO()
    call_command("delete_old_notices", "--dry-run", stdout=out)
    assert "Будет удалено оповещений: 2" in out.getvalue() and Notice.objects.count() == 2
    assert tasks.delete_old_notices.apply().get() == {"notices": 2, "deliveries": 0}
    _aged(p, "c", 40, read=True)
    call_command("delete_old_notices", "--days", "30", stdout=out)
    assert "Удалено оповещений: 1" in out.getvalue() and not Notice.objects.exists()
