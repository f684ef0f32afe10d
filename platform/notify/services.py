"""Writes by the person themselves: what to receive and when, the e-mail address (entered and
confirmed by the person, R-D09, 003 §4.5), browsers' push subscriptions, read marks.

Families (parents, students) and staff (any school or district role) alike: each person has one
settings row, one address and one notices list, and sees and sets only what applies to their
roles (`fields_for`); a parent who also teaches sees both. The evening summary and the absence
notices are the family's; new messages and abuse reports (R-D06) are the staff's kinds; Web Push
stays with the family (the browser-side subscription lives on the family's settings page)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from accounts.roles import FAMILY_ROLES, STAFF_ROLES, Role
from accounts.selectors import access_for
from audit.services import record, record_refusal
from core.errors import NotFound, PermissionDenied, ValidationFailed

from . import push
from .models import ContactEmail, Notice, NoticeKind, NotifySettings, PushSubscription
from .outbox import Draft, enqueue, kick_sender

if TYPE_CHECKING:
    from accounts.models import Person

CONFIRM_SALT = "notify.email-confirm"
CONFIRM_MAX_AGE = 3 * 24 * 3600
CONFIRM_MIN_INTERVAL = dt.timedelta(minutes=1)
CONFIRM_MAX_PER_ADDRESS = 5
# Who sets what (fields_for): the channels are everybody's; the rest by role.
CHANNEL_FIELDS = ["in_app", "by_email"]
FAMILY_FIELDS = ["daily_summary", "summary_time", "any_absence_now", "unexcused_absence_now", "final_marks_now", "messages_now",
                 "by_push"]
STAFF_FIELDS = ["staff_messages_now"]
ADMINISTRATION_FIELDS = ["abuse_reports_now"]
SETTINGS_FIELDS = ["by_email", "by_push", "in_app", "daily_summary", "summary_time", "any_absence_now", "unexcused_absence_now",
                   "final_marks_now", "messages_now", "staff_messages_now", "abuse_reports_now"]
# The people of a school told of an abuse report: messaging.selectors.admin_ids (messaging.rules.ADMIN_ROLES).
ADMINISTRATION_ROLES = frozenset({Role.DIRECTOR, Role.DEPUTY, Role.SCHOOL_ADMIN})
# The summary goes out in the afternoon or evening, on the half hour.
SUMMARY_TIMES = [dt.time(h, m) for h in range(14, 23) for m in (0, 30)]


def is_family(actor: Person) -> bool:
    return bool(access_for(actor).all_roles & FAMILY_ROLES)


def ensure_family(actor: Person) -> None:
    """Web Push subscriptions belong to parents and students (the diary's readers)."""
    if not is_family(actor):
        raise PermissionDenied("Push-уведомления подключают родители и обучающиеся.")


def ensure_recipient(actor: Person) -> None:
    """Notices reach families and staff (any school or district role): both read their list and
    set their channels. A person with no current role has nothing to be told."""
    if not access_for(actor).all_roles:
        raise PermissionDenied("Оповещения доступны родителям, обучающимся и сотрудникам.")


def fields_for(actor: Person) -> list[str]:
    """The settings that apply to the person's roles, in SETTINGS_FIELDS order (no query beyond
    the person's access, which every page computes anyway)."""
    roles = access_for(actor).all_roles
    wanted = set(CHANNEL_FIELDS)
    if roles & FAMILY_ROLES:
        wanted |= set(FAMILY_FIELDS)
    if roles & STAFF_ROLES:
        wanted |= set(STAFF_FIELDS)
    if roles & ADMINISTRATION_ROLES:
        wanted |= set(ADMINISTRATION_FIELDS)
    return [f for f in SETTINGS_FIELDS if f in wanted]


def settings_for(person: Person) -> NotifySettings:
    return NotifySettings.objects.filter(person=person).first() or NotifySettings(person=person)


def update_settings(actor: Person, changes: dict[str, Any]) -> NotifySettings:
    ensure_recipient(actor)
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValidationFailed("Неизвестные настройки.", fields={k: ["Неизвестное поле."] for k in sorted(unknown)})
    foreign = set(changes) - set(fields_for(actor))
    if foreign:
        raise ValidationFailed("Эти настройки не относятся к вашим ролям.",
                               fields={k: ["Не относится к вашим ролям."] for k in sorted(foreign)})
    if "summary_time" in changes:
        value = changes["summary_time"]
        if isinstance(value, str):
            try:
                value = dt.time.fromisoformat(value)
            except ValueError:
                value = None
        if not isinstance(value, dt.time) or value.replace(second=0, microsecond=0) not in SUMMARY_TIMES:
            raise ValidationFailed("Время сводки: с 14:00 до 22:30, каждые полчаса.",
                                   fields={"summary_time": ["С 14:00 до 22:30, каждые полчаса."]})
        changes["summary_time"] = value.replace(second=0, microsecond=0)
    with transaction.atomic():
        row = NotifySettings.objects.select_for_update().filter(person=actor).first()
        before = {f: getattr(row or NotifySettings(), f) for f in SETTINGS_FIELDS}
        row = row or NotifySettings(person=actor)
        for name, value in changes.items():
            setattr(row, name, bool(value) if name != "summary_time" else value)
        row.save()
        after = {f: getattr(row, f) for f in SETTINGS_FIELDS}
        if after != before:
            record(actor=actor, action="notify.settings", obj=row, before=before, after=after)
    return row


def confirmation_token(person_id: int, address: str) -> str:
    return signing.dumps({"p": person_id, "e": address}, salt=CONFIRM_SALT, compress=True)


def set_email(actor: Person, address: str, *, now: dt.datetime | None = None) -> ContactEmail:
    """The person enters their own address; a confirmation letter goes to it (and nothing else
    until it is confirmed). Entering the same unconfirmed address again resends the letter."""
    ensure_recipient(actor)
    now = now or timezone.now()
    address = (address or "").strip()
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationFailed("Проверьте адрес электронной почты.", fields={"email": ["Некорректный адрес."]}) from None
    address = address[: address.rindex("@")] + address[address.rindex("@"):].lower()
    with transaction.atomic():
        contact = ContactEmail.objects.select_for_update().filter(person=actor).first()
        before = {"email": contact.address, "confirmed": contact.confirmed_at is not None} if contact else None
        if contact is not None and contact.address == address and contact.confirmed_at and not contact.bounced_at:
            return contact  # already confirmed: nothing to do
        if contact is None or contact.address != address or contact.bounced_at:
            contact = contact or ContactEmail(person=actor)
            contact.address, contact.confirmed_at, contact.bounced_at, contact.bounce_reason = address, None, None, ""
            contact.confirmations_sent = 0
            contact.confirmation_sent_at = None
        if contact.confirmation_sent_at and now - contact.confirmation_sent_at < CONFIRM_MIN_INTERVAL:
            raise ValidationFailed("Письмо уже отправлено. Повторить можно через минуту.", code="too_soon",
                                   fields={"email": ["Повторить можно через минуту."]})
        if contact.confirmations_sent >= CONFIRM_MAX_PER_ADDRESS:
            raise ValidationFailed("Слишком много писем на этот адрес. Проверьте адрес или обратитесь в школу.",
                                   code="too_many", fields={"email": ["Слишком много писем."]})
        contact.confirmations_sent += 1
        contact.confirmation_sent_at = now
        contact.save()
        _queue_confirmation(actor, contact, now)
        record(actor=actor, action="notify.email.set", obj=contact, before=before, after={"email": address, "confirmed": False})
    transaction.on_commit(kick_sender)
    return contact


def _queue_confirmation(actor: Person, contact: ContactEmail, now: dt.datetime) -> None:
    from .summary import site_url

    link = f"{site_url()}/notify/confirm/{confirmation_token(actor.pk, contact.address)}/"
    what = "об отметках, пропусках и домашних заданиях" if is_family(actor) else "о новых сообщениях и жалобах на сообщения"
    body = (f"Здравствуйте, {actor.name} {actor.patronymic}".rstrip() + "!\n\n"
            f"Этот адрес указан для оповещений электронного дневника «Журнал». Чтобы получать письма {what}, "
            f"подтвердите его по ссылке (она действует 3 дня):\n\n{link}\n\n"
            "Если вы не указывали этот адрес, просто не отвечайте на письмо: писем больше не будет.")
    enqueue([Draft(recipient_id=actor.pk, kind=NoticeKind.EMAIL_CONFIRM, key=f"{contact.address}:{contact.confirmations_sent}",
                   title="Подтвердите адрес для оповещений «Журнала»", body=body, payload={"to": contact.address})], now=now)


def confirm_email(token: str, actor: Person | None = None, *, now: dt.datetime | None = None) -> ContactEmail:
    """Follows the signed link. Anyone holding the letter may confirm (it proves the mailbox);
    a signed-in person may confirm only their own address."""
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.SignatureExpired:
        raise ValidationFailed("Срок действия ссылки истёк. Укажите адрес ещё раз — придёт новое письмо.", code="expired") from None
    except signing.BadSignature:
        raise ValidationFailed("Ссылка повреждена или недействительна.", code="bad_token") from None
    person_id, address = data.get("p"), data.get("e")
    if actor is not None and actor.is_authenticated and actor.pk != person_id:
        raise PermissionDenied("Эта ссылка подтверждает адрес другого человека.")
    with transaction.atomic():
        contact = ContactEmail.objects.select_for_update().filter(person_id=person_id, address=address).first()
        if contact is None:
            raise NotFound("Этот адрес уже заменён другим. Подтвердите новый адрес по ссылке из последнего письма.")
        if contact.confirmed_at is None:
            contact.confirmed_at = now or timezone.now()
            contact.save(update_fields=["confirmed_at", "updated_at"])
            record(actor=contact.person, action="notify.email.confirm", obj=contact, after={"email": address})
    return contact


def remove_email(actor: Person) -> None:
    ensure_recipient(actor)
    with transaction.atomic():
        contact = ContactEmail.objects.select_for_update().filter(person=actor).first()
        if contact is not None:
            record(actor=actor, action="notify.email.remove", obj=contact, before={"email": contact.address})
            contact.delete()


def mark_read(actor: Person, notice_id: int) -> Notice:
    notice = Notice.objects.filter(pk=notice_id, recipient=actor, in_app=True).first()
    if notice is None:
        if Notice.objects.filter(pk=notice_id).exclude(recipient=actor).exists():
            # Somebody else's notice: an access attempt for the audit log, answered as "not found".
            record_refusal(actor=actor, school=None, what=f"notify.notice {notice_id}", reason="not the recipient")
        raise NotFound("Оповещение не найдено.")
    if notice.read_at is None:
        notice.read_at = timezone.now()
        notice.save(update_fields=["read_at"])
    return notice


def mark_all_read(actor: Person) -> int:
    """The notices the list shows (an absence notice still in its grace is not among them)."""
    from .selectors import shown_to

    now = timezone.now()
    return Notice.objects.filter(pk__in=shown_to(actor, now).filter(read_at__isnull=True).values("pk")).update(read_at=now)


def add_push_subscription(actor: Person, endpoint: str, p256dh: str, auth: str, user_agent: str = "") -> PushSubscription:
    """A browser's subscription. The endpoint must be at a known push service (https, one of
    NOTIFY_PUSH_ALLOWED_HOSTS): the server will POST to it, so an arbitrary address would let
    anyone make the server call internal hosts."""
    ensure_family(actor)
    if len(endpoint) > 1000 or not push.allowed_endpoint(endpoint):
        raise ValidationFailed("Адрес подписки не принадлежит известному push-сервису браузера.",
                               fields={"endpoint": ["Нужен https-адрес push-сервиса браузера."]})
    if len(p256dh) > 200 or len(auth) > 100 or not push.valid_keys(p256dh, auth):
        raise ValidationFailed("Нет ключей подписки или они повреждены.", fields={"keys": ["Нужны ключи p256dh и auth браузера."]})
    with transaction.atomic():
        sub, _ = PushSubscription.objects.update_or_create(
            endpoint=endpoint, defaults={"person": actor, "p256dh": p256dh, "auth": auth, "user_agent": user_agent[:300]})
        record(actor=actor, action="notify.push.subscribe", obj=sub, after={"user_agent": sub.user_agent})
    return sub


def remove_push_subscription(actor: Person, endpoint: str) -> int:
    with transaction.atomic():
        sub = PushSubscription.objects.select_for_update().filter(person=actor, endpoint=endpoint).first()
        if sub is None:
            return 0
        record(actor=actor, action="notify.push.unsubscribe", obj=sub, before={"user_agent": sub.user_agent})
        sub.delete()
    return 1
