"""The audit log: append-only. The database itself refuses UPDATE and DELETE on it
(see migration 0002), so not even a bug or a shell can rewrite history."""

from __future__ import annotations

from django.db import models


class AuditRecord(models.Model):
    at = models.DateTimeField(db_index=True)
    actor = models.ForeignKey("accounts.Person", on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+", db_constraint=False)
    # Kept as text too: the record must stay readable whatever happens to the account.
    actor_label = models.CharField(max_length=200, blank=True)
    school = models.ForeignKey("tenants.School", on_delete=models.DO_NOTHING, null=True, blank=True, related_name="+", db_constraint=False)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=300, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    channel = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["school", "-at"]),
            models.Index(fields=["actor", "-at"]),
            models.Index(fields=["object_type", "object_id"]),
        ]
        verbose_name = "запись журнала действий"
        verbose_name_plural = "журнал действий"

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise RuntimeError("Записи журнала действий не изменяются.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise RuntimeError("Записи журнала действий не удаляются.")
