"""Handing the outbox to the mail server and to browsers' push services.

Exactly once, as far as it can be had: a worker claims due rows (FOR UPDATE SKIP LOCKED, so two
workers never take the same row) and leases them; just before talking to the mail server it
marks the row `sending` (committed), just after `sent` (committed). A worker killed at any
point leaves its finished rows `sent` and its untouched rows `claimed`; when the lease runs
out, another worker takes the `claimed` rows again — nothing sent twice, nothing lost. The one
row that was `sending` at the moment of the kill cannot be known to have reached the server or
not: it is sent again (at-least-once for that single letter, with the same Message-ID so
mail clients show one). We chose that over at-most-once because a lost notice about a child
is worse than a duplicate.

A failing mail server delays, never loses: the row goes back to `pending` with an exponential
backoff (1, 2, 4… minutes, at most 6 hours) and the rest of the batch is released untouched.
The reply code decides (`refusal`): only a permanent (5xx) refusal of the recipient is a
bounce — it fails that delivery only and stops e-mail to that address until the family enters
it again. A temporary (4xx) refusal of one recipient (greylisting, a full or busy mailbox)
puts that letter back to `pending` with the backoff while the batch goes on; a 4xx or 421 of
the server itself, or a refusal of our sender address, holds the batch as a failing server
does. A notice whose deliveries all failed or were skipped is shown in the platform's list
even if the family switched the list off (`show_in_app`), and the diary shows a banner about
the bounced address (notify.context_processors)."""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, models, transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .models import Channel, ContactEmail, Delivery, DeliveryStatus, Notice, NoticeKind, PushSubscription

log = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=5)
MAX_BACKOFF = dt.timedelta(hours=6)
BATCH = 500


@dataclass
class SendResult:
    claimed: int = 0
    sent: int = 0
    retry_later: int = 0
    failed: int = 0
    skipped: int = 0
    uncertain: int = 0  # rows found `sending` after a lease ran out: sent again
    deferred: int = 0  # of retry_later: a 4xx for that recipient only (the rest of the batch went on)
    mail_down: int = 0  # batches in which the mail server failed (the rest waits for the backoff)

    def add(self, other: SendResult) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def backoff(attempts: int) -> dt.timedelta:
    return min(dt.timedelta(minutes=2 ** max(attempts - 1, 0)), MAX_BACKOFF)


def claim(now: dt.datetime, limit: int = BATCH) -> tuple[str, list[int], int]:
    """Takes up to `limit` due rows for this worker. Returns (claim token, ids, how many of them
    were found `sending` with an expired lease)."""
    token = secrets.token_hex(8)
    with transaction.atomic():
        rows = list(Delivery.objects.select_for_update(skip_locked=True)
                    .filter(Q(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
                            | Q(status__in=[DeliveryStatus.CLAIMED, DeliveryStatus.SENDING], lease_until__lt=now))
                    .order_by("id").values_list("id", "status")[:limit])
        ids = [r[0] for r in rows]
        if ids:
            Delivery.objects.filter(id__in=ids).update(status=DeliveryStatus.CLAIMED, claim=token, lease_until=now + LEASE)
    return token, ids, sum(1 for r in rows if r[1] == DeliveryStatus.SENDING)


def send_pending(now: dt.datetime | None = None, *, limit: int = BATCH, max_batches: int = 1000,
                 mail_connection: Any = None) -> SendResult:
    """Sends what is due, batch after batch, until nothing is due or the mail server fails."""
    total = SendResult()
    with _relaxed_commits():
        _send_batches(total, now, limit, max_batches, mail_connection)
    return total


@contextmanager
def _relaxed_commits() -> Iterator[None]:
    """The sender's many one-row commits do not wait for the disk (synchronous_commit = off):
    each is visible to other workers at once, so a killed worker is handled as before; only a
    crash of the database server itself could lose the last fraction of a second of marks,
    and then those letters are sent again (at-least-once)."""
    if connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET synchronous_commit")


def _send_batches(total: SendResult, now: dt.datetime | None, limit: int, max_batches: int, mail_connection: Any) -> None:
    for _ in range(max_batches):
        at = now or timezone.now()
        token, ids, uncertain = claim(at, limit)
        if not ids:
            break
        result = send_claimed(token, ids, at, mail_connection=mail_connection)
        result.uncertain = uncertain
        total.add(result)
        if result.mail_down:
            break  # the mail server is failing: leave the rest for the backoff


def send_claimed(token: str, ids: list[int], now: dt.datetime, *, mail_connection: Any = None) -> SendResult:
    result = SendResult(claimed=len(ids))
    rows = list(Delivery.objects.filter(id__in=ids, claim=token).select_related("notice").order_by("id"))
    contacts = {c.person_id: c for c in ContactEmail.objects.filter(person_id__in={r.notice.recipient_id for r in rows})}
    mail = mail_connection or get_connection(fail_silently=False)
    pending = list(rows)
    # When the server fails, the letters not yet tried wait as long as the one that failed.
    down_until: dt.datetime | None = None
    down_error = ""
    ledger = _Ledger(token)
    push_down: set[str] = set()  # push services that failed in this batch: not called again in it
    try:
        try:
            mail.open()
        except (smtplib.SMTPException, OSError) as exc:
            worst = max((r.attempts for r in rows), default=0) + 1
            down_until, down_error = now + backoff(worst), f"{type(exc).__name__}: {exc}"
            Delivery.objects.filter(id__in=[r.pk for r in rows if r.channel == Channel.EMAIL], claim=token).update(
                attempts=models.F("attempts") + 1)
        while pending:
            row = pending.pop(0)
            if down_until is not None and row.channel == Channel.EMAIL:
                ledger.flush()
                _release([row], token, down_until, down_error)
                result.retry_later += 1
                continue
            outcome = _send_one(row, ledger, now, contacts, mail, push_down)
            if outcome in ("failed", "skipped"):
                show_in_app(row.notice_id, unless_delivered=True)
            if outcome == "deferred":  # this recipient only: the others' letters go on
                result.deferred += 1
                result.retry_later += 1
                continue
            setattr(result, outcome, getattr(result, outcome) + 1)
            if outcome == "retry_later" and row.channel == Channel.EMAIL:
                row.refresh_from_db(fields=["next_attempt_at", "last_error"])
                down_until, down_error = row.next_attempt_at, row.last_error
        ledger.flush()
        result.mail_down = int(down_until is not None and any(r.channel == Channel.EMAIL for r in rows))
    except Exception:
        # Not a mail error: give back what was not attempted; the row in hand stays `sending`.
        ledger.flush()
        _release(pending, token, now, "")
        raise
    finally:
        try:
            mail.close()
        except Exception:  # closing a dead connection must not hide the real outcome
            log.debug("notify: closing the mail connection failed", exc_info=True)
    return result


def _release(rows: list[Delivery], token: str, until: dt.datetime, error: str) -> None:
    """Gives claimed rows back untouched, due at `until` (the batch's own `now` for "at once":
    the wall clock may be ahead of the time the sender was asked to work at)."""
    if not rows:
        return
    Delivery.objects.filter(id__in=[r.pk for r in rows], claim=token, status=DeliveryStatus.CLAIMED).update(
        status=DeliveryStatus.PENDING, claim="", lease_until=None, next_attempt_at=until,
        **({"last_error": error[:500]} if error else {}))


def _mark(row: Delivery, token: str, **fields: Any) -> bool:
    return bool(Delivery.objects.filter(pk=row.pk, claim=token).update(**fields))


class _Ledger:
    """The two marks every letter needs (`sending` before it is handed over, `sent` after), in
    one round trip a letter: the letter just handed over is marked `sent` by the same statement
    (one commit) that marks the next one `sending`. At any moment at most one letter of a worker
    is `sending`, exactly as with two statements a letter; plain SQL because the ORM's query
    building and the second round trip were most of the sender's time at 10,000 letters."""

    def __init__(self, token: str) -> None:
        self.token = token
        self.unmarked: int | None = None  # handed over, to be marked `sent` by the next statement

    def sending(self, row: Delivery) -> bool:
        with connection.cursor() as cursor:
            if self.unmarked is None:
                cursor.execute("UPDATE notify_delivery SET status = %s, attempts = %s WHERE id = %s AND claim = %s",
                               [DeliveryStatus.SENDING, row.attempts + 1, row.pk, self.token])
                return bool(cursor.rowcount)
            done, self.unmarked = self.unmarked, None
            cursor.execute(
                "UPDATE notify_delivery SET"
                " status = CASE WHEN id = %(done)s THEN %(sent)s ELSE %(sending)s END,"
                " sent_at = CASE WHEN id = %(done)s THEN %(at)s ELSE sent_at END,"
                " attempts = CASE WHEN id = %(done)s THEN attempts ELSE %(attempts)s END,"
                " claim = CASE WHEN id = %(done)s THEN '' ELSE claim END,"
                " lease_until = CASE WHEN id = %(done)s THEN NULL ELSE lease_until END,"
                " last_error = CASE WHEN id = %(done)s THEN '' ELSE last_error END"
                " WHERE id IN (%(done)s, %(next)s) AND claim = %(token)s RETURNING id",
                {"done": done, "next": row.pk, "sent": DeliveryStatus.SENT, "sending": DeliveryStatus.SENDING,
                 "at": timezone.now(), "attempts": row.attempts + 1, "token": self.token})
            return row.pk in {r[0] for r in cursor.fetchall()}

    def handed_over(self, row: Delivery) -> None:
        self.unmarked = row.pk

    def flush(self) -> None:
        if self.unmarked is None:
            return
        done, self.unmarked = self.unmarked, None
        with connection.cursor() as cursor:
            cursor.execute("UPDATE notify_delivery SET status = %s, sent_at = %s, claim = '', lease_until = NULL, last_error = ''"
                           " WHERE id = %s AND claim = %s", [DeliveryStatus.SENT, timezone.now(), done, self.token])


def _send_one(row: Delivery, ledger: _Ledger, now: dt.datetime, contacts: dict[int, ContactEmail], mail: Any,
              push_down: set[str]) -> str:
    notice = row.notice
    token = ledger.token
    if row.channel != Channel.EMAIL:
        ledger.flush()
        return _push_one(row, token, now, push_down)
    to = _email_address(notice, contacts.get(notice.recipient_id))
    if to is None:
        ledger.flush()
        _mark(row, token, status=DeliveryStatus.SKIPPED, claim="", lease_until=None,
              last_error="Адрес не подтверждён, изменён или отклонён сервером получателя.")
        return "skipped"
    message = EmailMessage(subject=notice.title, body=notice.body, to=[to],
                           from_email=getattr(settings, "DEFAULT_FROM_EMAIL", None),
                           headers={"Message-ID": row.message_id, "Auto-Submitted": "auto-generated"})
    if not ledger.sending(row):
        return "skipped"  # another worker took it over after our lease ran out
    try:
        mail.send_messages([message])
    except (smtplib.SMTPException, OSError) as exc:
        verdict = refusal(exc, to)
        error = f"{type(exc).__name__}: {exc}"[:500]
        if verdict in (BOUNCE, REJECTED):
            _mark(row, token, status=DeliveryStatus.FAILED, claim="", lease_until=None, last_error=error)
            if verdict == BOUNCE:
                ContactEmail.objects.filter(person_id=notice.recipient_id, address=to).update(
                    bounced_at=now, bounce_reason=error[:300])
            show_in_app(notice.pk, unless_delivered=True)  # a push may have brought it
            return "failed"
        _mark(row, token, status=DeliveryStatus.PENDING, claim="", lease_until=None,
              next_attempt_at=now + backoff(row.attempts + 1), last_error=error)
        if verdict == DEFERRED:
            return "deferred"
        if isinstance(exc, smtplib.SMTPSenderRefused) and exc.smtp_code >= 500:
            log.error("notify: the mail server refuses our sender address (%s): letters wait in the outbox", exc.smtp_code)
        return "retry_later"
    ledger.handed_over(row)
    return "sent"


# What an SMTP error means for one letter (one recipient a letter).
BOUNCE = "bounce"  # 5xx for the recipient: the address does not work; the letter fails, the address stops
REJECTED = "rejected"  # 5xx for this letter's content (DATA), not the address: the letter fails, the address stays
DEFERRED = "deferred"  # 4xx for this recipient (greylisting, mailbox busy): this letter waits, the batch goes on
DOWN = "down"  # the server or our side of it fails (4xx/421 at any stage, a lost connection, our sender
# refused): this letter and the rest of the batch wait for the backoff; never a bounce of the family's address


def refusal(exc: BaseException, to: str) -> str:
    """Classifies an SMTP failure by its reply code (RFC 5321 §4.2.1: 4yz transient, 5yz
    permanent). Only a permanent refusal of the recipient is a bounce."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()] or [0]
        code = exc.recipients.get(to, (max(codes), b""))[0]
        if code >= 500:
            return BOUNCE
        return DOWN if code == 421 or code < 400 else DEFERRED
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return DOWN  # refuses our sender (MAIL FROM): our configuration, not the family's address
    if isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code >= 500:
        # A 5.1.x enhanced status at DATA (servers that check the mailbox only then) names the address.
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return BOUNCE if text.lstrip().startswith("5.1.") else REJECTED
    return DOWN


def show_in_app(notice_id: int, *, unless_delivered: bool = False) -> None:
    """A notice no channel will bring is put into the platform's list, even when the family
    switched that list off: lost notices are worse than an unwanted line in the list.
    `unless_delivered`: only if no other channel of the notice delivered it or is still at it."""
    qs = Notice.objects.filter(pk=notice_id, in_app=False)
    if unless_delivered:
        qs = qs.exclude(Exists(Delivery.objects.filter(notice_id=OuterRef("pk"), status__in=[
            DeliveryStatus.PENDING, DeliveryStatus.CLAIMED, DeliveryStatus.SENDING, DeliveryStatus.SENT])))
    qs.update(in_app=True)


def _email_address(notice: Any, contact: ContactEmail | None) -> str | None:
    """Where a letter may go now. Unconfirmed addresses receive the confirmation letter only."""
    if contact is None or contact.bounced_at is not None:
        return None
    if notice.kind == NoticeKind.EMAIL_CONFIRM:
        wanted = notice.payload.get("to")
        return wanted if wanted == contact.address and contact.confirmed_at is None else None
    return contact.address if contact.confirmed_at is not None else None


def _push_one(row: Delivery, token: str, now: dt.datetime, push_down: set[str]) -> str:
    """Pushes the notice to each of the person's browsers that has not accepted it yet
    (`pushed_to`). A failing or unreachable push service delays, never loses: the delivery goes
    back to `pending` with the e-mail's backoff and the next try skips the browsers already
    served; a subscription the service calls gone is deleted. A notice older than the push TTL
    is not pushed any more. A service that failed once in this batch (`push_down`) is not called
    again in it: a hanging one would otherwise cost its timeout for every family."""
    from . import push

    if not push.configured():
        _mark(row, token, status=DeliveryStatus.SKIPPED, claim="", lease_until=None, last_error="Push не настроен на сервере.")
        return "skipped"
    done = set(row.pushed_to or [])
    subscriptions = [s for s in PushSubscription.objects.filter(person_id=row.notice.recipient_id).order_by("id")
                     if s.pk not in done]
    if not subscriptions:
        if done:  # all served before a worker was stopped
            _mark(row, token, status=DeliveryStatus.SENT, sent_at=timezone.now(), claim="", lease_until=None)
            return "sent"
        _mark(row, token, status=DeliveryStatus.SKIPPED, claim="", lease_until=None, last_error="Нет подписок.")
        return "skipped"
    if now - row.notice.created_at > push.TTL:
        _mark(row, token, status=DeliveryStatus.FAILED, claim="", lease_until=None,
              last_error="Push-сервис не принял оповещение за сутки; оно осталось в личном кабинете.")
        return "failed"
    if all(_service(s) in push_down for s in subscriptions):
        _mark(row, token, status=DeliveryStatus.PENDING, claim="", lease_until=None,
              next_attempt_at=now + backoff(row.attempts + 1), last_error="push service: failed earlier in this batch")
        return "retry_later"
    if not _mark(row, token, status=DeliveryStatus.SENDING, attempts=row.attempts + 1):
        return "skipped"
    payload = push.payload_of(row.notice)
    gone: list[int] = []
    retry: list[str] = []
    rejected: list[str] = []
    for index, sub in enumerate(subscriptions):
        if _service(sub) in push_down:
            retry.append("failed earlier in this batch")
            continue
        try:
            status = push.web_push(sub, payload)
        except (push.DisallowedEndpoint, push.InvalidSubscription) as exc:
            log.warning("notify: unusable push subscription %s deleted: %s", sub.pk, type(exc).__name__)
            gone.append(sub.pk)
            continue
        result = push.outcome(status)
        if result == "delivered":
            done.add(sub.pk)
            if index < len(subscriptions) - 1:  # more to go: remember this one in case the worker stops
                _mark(row, token, pushed_to=sorted(done))
        elif result == "gone":
            gone.append(sub.pk)
        elif result == "retry":
            retry.append(f"{status or 'нет связи'}")
            push_down.add(_service(sub))
        else:
            rejected.append(str(status))
    if gone:
        PushSubscription.objects.filter(pk__in=gone).delete()
    if retry:
        _mark(row, token, status=DeliveryStatus.PENDING, claim="", lease_until=None, pushed_to=sorted(done),
              next_attempt_at=now + backoff(row.attempts + 1), last_error=f"push service: {', '.join(retry)}"[:500])
        return "retry_later"
    if done:
        _mark(row, token, status=DeliveryStatus.SENT, sent_at=timezone.now(), claim="", lease_until=None,
              pushed_to=sorted(done), last_error=f"push service refused: {', '.join(rejected)}"[:500] if rejected else "")
        return "sent"
    if rejected:
        _mark(row, token, status=DeliveryStatus.FAILED, claim="", lease_until=None,
              last_error=f"push service refused: {', '.join(rejected)}"[:500])
        return "failed"
    _mark(row, token, status=DeliveryStatus.SKIPPED, claim="", lease_until=None, last_error="Подписки больше не действуют.")
    return "skipped"


def _service(sub: PushSubscription) -> str:
    """The push service a subscription is at (scheme, host and port)."""
    url = urlsplit(sub.endpoint)
    return f"{url.scheme}://{url.netloc}"
