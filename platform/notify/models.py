"""Informing families: what each family person chose, their confirmed e-mail, their browsers'
push subscriptions, and the outbox (one Notice per message, one Delivery per channel).

All of it lives in the public schema: a parent is one district-wide account whose children may
be in two schools, and one evening summary covers them all. School schemas see these tables
through the search path (school, public), so a journal write and the notice it causes commit
in one transaction."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q


class NotifySettings(models.Model):
    """What a person chose (R-D03, R-D09): a family person (parent or student) and the staff of a
    school or the district alike; each sees and sets only what applies to their roles
    (notify.services.fields_for). No row means the defaults."""

    person = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_settings")
    # Channels. The in-platform list is the electronic diary's own inbox; a family may hide it.
    by_email = models.BooleanField("по электронной почте", default=True)
    by_push = models.BooleanField("push-уведомления в браузере", default=True)
    in_app = models.BooleanField("в личном кабинете", default=True)
    # What.
    daily_summary = models.BooleanField("ежедневная сводка", default=True)
    summary_time = models.TimeField("время сводки", default=dt.time(19, 0))
    unexcused_absence_now = models.BooleanField("сразу сообщать о пропуске без уважительной причины", default=False)
    # 004 §1 «оперативный контроль … посещением учебных занятий со стороны родителей»: the reason
    # may be recorded days later (004 §VIII: up to 2 working days after the document), so a
    # family may ask to hear of every «Н» as soon as the teacher marks it.
    any_absence_now = models.BooleanField("сразу сообщать о любом пропуске", default=False)
    final_marks_now = models.BooleanField("сразу сообщать об итоговых отметках", default=True)
    messages_now = models.BooleanField("сообщать о новых сообщениях и объявлениях", default=True)
    # Staff (R-D06): the notices that concern the people of a school. A new message is off until
    # they ask (their inbox counts unread messages already); an abuse report reaches the
    # administration unless they switch it off (the open reports stay counted on their tab).
    staff_messages_now = models.BooleanField("сотруднику: сообщать о новых сообщениях и объявлениях", default=False)
    abuse_reports_now = models.BooleanField("администрации: сообщать о жалобах на сообщения", default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "настройки оповещений"
        verbose_name_plural = "настройки оповещений"

    def __str__(self) -> str:
        return f"оповещения {self.person_id}"


class ContactEmail(models.Model):
    """The e-mail address a family person entered themselves (R-D09, 003 §4.5). Nothing but the
    confirmation letter goes to it until the person follows the signed link."""

    person = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="contact_email")
    address = models.EmailField("e-mail")
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmations_sent = models.PositiveSmallIntegerField(default=0)
    # A permanent refusal by the recipient's server: the address stops receiving until re-entered.
    bounced_at = models.DateTimeField(null=True, blank=True)
    bounce_reason = models.CharField(max_length=300, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "адрес для оповещений"
        verbose_name_plural = "адреса для оповещений"

    def __str__(self) -> str:
        return self.address

    @property
    def usable(self) -> bool:
        return self.confirmed_at is not None and self.bounced_at is None


class PushSubscription(models.Model):
    """A browser's Web Push subscription (the endpoint and its keys, as PushManager gives them)."""

    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="push_subscriptions")
    endpoint = models.URLField(max_length=1000, unique=True)
    p256dh = models.CharField(max_length=200)
    auth = models.CharField(max_length=100)
    user_agent = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "подписка push"
        verbose_name_plural = "подписки push"

    def __str__(self) -> str:
        return f"push {self.person_id}"


class NoticeKind(models.TextChoices):
    SUMMARY = "summary", "Сводка за день"
    UNEXCUSED_ABSENCE = "absence", "Пропуск без уважительной причины"
    ABSENCE_MARKED = "absence_marked", "Отмечен пропуск урока"
    FINAL_MARK = "final_mark", "Итоговая отметка"
    MESSAGE = "message", "Новое сообщение"
    ANNOUNCEMENT = "announcement", "Объявление"
    EMAIL_CONFIRM = "email_confirm", "Подтверждение адреса"


class Notice(models.Model):
    """One message to one family person. `key` makes it unique per (person, kind, day or object):
    whoever builds it twice, the database keeps one."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices")
    kind = models.CharField(max_length=16, choices=NoticeKind.choices)
    key = models.CharField(max_length=200)
    title = models.CharField(max_length=200)
    body = models.TextField()
    payload = models.JSONField(default=dict, blank=True)
    # The school schema it is about (empty for the cross-school summary and e-mail confirmation).
    school_schema = models.CharField(max_length=63, blank=True)
    # Shown in the platform's notices list (the family may switch that channel off).
    in_app = models.BooleanField(default=True)
    # For a summary: the journal changes up to this moment are in it; the next one starts here.
    covers_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["recipient", "kind", "key"], name="notify_notice_once")]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="notify_notice_recipient"),
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True, in_app=True), name="notify_notice_unread"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient_id}"


class Channel(models.TextChoices):
    EMAIL = "email", "E-mail"
    PUSH = "push", "Push"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Ожидает отправки"
    CLAIMED = "claimed", "Взято отправителем"
    SENDING = "sending", "Отправляется"
    SENT = "sent", "Отправлено"
    FAILED = "failed", "Отказ получателя"
    SKIPPED = "skipped", "Не отправлено (канал недоступен)"


class Delivery(models.Model):
    """The outbox: a notice to be handed to one channel. The sender claims rows with
    FOR UPDATE SKIP LOCKED and a lease, marks each `sending` just before it talks to the mail
    server and `sent` just after, so a restarted worker resends nothing it finished
    (see docs/ARCHITECTURE.md, "Informing families")."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    lease_until = models.DateTimeField(null=True, blank=True)
    claim = models.CharField(max_length=32, blank=True)
    # The Message-ID of the letter: the same on every attempt, so a resent letter is recognisable.
    message_id = models.CharField(max_length=200)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    # Push: the subscriptions (ids) that accepted this notice already. A retry after a failing
    # push service or a killed worker pushes to the others only: a family's phone does not get
    # the same notice twice because their laptop's browser was unreachable.
    pushed_to = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["notice", "channel"], name="notify_delivery_once")]
        indexes = [
            models.Index(fields=["next_attempt_at"], condition=Q(status="pending"), name="notify_delivery_due"),
            models.Index(fields=["lease_until"], condition=Q(status__in=["claimed", "sending"]), name="notify_delivery_leased"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.notice_id} {self.status}"


class IndividualHomeworkChange(models.Model):
    """When a child's individual homework (journal.IndividualHomework, which keeps no time of its
    own) was last saved, written by notify's receiver in the journal's transaction, so the daily
    summary can report it once (R-D03). Rows older than the summary's look-back are deleted with
    the old notices (notify.retention)."""

    school_schema = models.CharField(max_length=63)
    lesson_id = models.BigIntegerField()
    student_id = models.BigIntegerField()
    changed_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school_schema", "lesson_id", "student_id"], name="notify_ihw_once")]
        indexes = [models.Index(fields=["school_schema", "changed_at"], name="notify_ihw_changed")]

    def __str__(self) -> str:
        return f"ДЗ {self.student_id} к {self.lesson_id} ({self.school_schema})"
