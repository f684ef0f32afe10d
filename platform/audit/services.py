"""Appending to the audit log. Every service that writes calls `record` inside its
own transaction, so the change and its record commit or roll back together."""

from __future__ import annotations

import contextlib
import contextvars
import datetime as dt
import decimal
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.utils import timezone

from core.context import current_meta

from .models import AuditRecord

if TYPE_CHECKING:
    from accounts.models import Person
    from tenants.models import School


BATCH = 2000  # records per INSERT (a bulk import of 20,000 rows makes ~190,000)


class _Pending(list[AuditRecord]):
    """The records an outermost `batched()` block holds; `flush_every` records go to the
    database as soon as they are made (while no nested block could still take some back)."""

    def __init__(self, flush_every: int | None) -> None:
        super().__init__()
        self.flush_every = flush_every
        self.nested = 0

    def added(self) -> None:
        if self.flush_every and not self.nested and len(self) >= self.flush_every:
            self.flush()

    def flush(self) -> None:
        if self:
            AuditRecord.objects.bulk_create(self, batch_size=BATCH)
            self.clear()


# Records made inside `batched()` wait here and are inserted together when it ends.
_batch: contextvars.ContextVar[_Pending | None] = contextvars.ContextVar("audit_batch", default=None)


@contextlib.contextmanager
def batched(*, keep: bool = True, flush_every: int | None = None) -> Iterator[None]:
    """Records made inside go to the database in one INSERT when the block ends normally, so a
    bulk operation (an import row writes ten records) costs one round trip instead of ten.
    Use it INSIDE the transaction (or savepoint) of the writes it records: the records then
    commit or roll back with them. On an exception they are dropped, as the rollback that
    follows would drop them. `keep=False` drops them anyway (a dry run that is rolled back).
    `flush_every` (an outermost block only): every that many records are inserted at once, in
    the same transaction, so memory stays flat (a bulk import makes ~190,000 records for 20,000
    rows); an exception still rolls them back with the transaction the block must be inside."""
    outer = _batch.get()
    if outer is not None:  # already batching: the outer block inserts, minus what failed here
        mark = len(outer)
        outer.nested += 1
        try:
            yield
        except BaseException:
            del outer[mark:]
            raise
        finally:
            outer.nested -= 1
        if not keep:
            del outer[mark:]
        outer.added()
        return
    pending = _Pending(flush_every if keep else None)
    token = _batch.set(pending)
    try:
        yield
    finally:
        _batch.reset(token)
    if keep:
        pending.flush()


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """The audited fields of an object, as JSON-ready values."""
    return {name: _jsonable(getattr(obj, name if not obj._meta.get_field(name).is_relation else f"{name}_id")) for name in fields}


def record(
    *,
    actor: Person | None,
    action: str,
    school: School | None = None,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
    actor_label: str = "",
) -> AuditRecord:
    meta = current_meta()
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:300]
    entry = AuditRecord(
        at=timezone.now(),
        actor=actor if actor is not None and actor.pk else None,
        actor_label=(actor_label or (actor.short_name if actor is not None and actor.pk else ""))[:200],
        school=school,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:300],
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        reason=reason,
        ip=meta.ip,
        channel=meta.channel,
    )
    pending = _batch.get()
    if pending is not None:
        pending.append(entry)
        pending.added()
    else:
        entry.save(using=None)
    return entry


def record_refusal(*, actor: Person | None, school: School | None, what: str, reason: str = "") -> None:
    """A refused access attempt. Called by the view layer once the action's
    transaction (if any) has rolled back, so the record itself is never lost (never batched)."""
    token = _batch.set(None)
    try:
        _record_refusal(actor=actor, school=school, what=what, reason=reason)
    finally:
        _batch.reset(token)


def _record_refusal(*, actor: Person | None, school: School | None, what: str, reason: str) -> None:
    with transaction.atomic():
        record(
            actor=actor if actor is not None and getattr(actor, "is_authenticated", False) else None,
            actor_label="" if actor is not None and getattr(actor, "is_authenticated", False) else "аноним",
            action="access.refused",
            school=school,
            object_type="path",
            object_repr=what[:300],
            reason=reason,
        )
