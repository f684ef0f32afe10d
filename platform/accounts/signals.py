"""Sign-ins and failed sign-ins go to the audit log (R-A04: every action attributable)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest

from audit.services import record

from .models import Person


@receiver(user_logged_in)
def _on_login(sender: Any, request: HttpRequest, user: Person, **kwargs: Any) -> None:
    record(actor=user, action="auth.login", obj=user, object_repr=user.login)


@receiver(user_logged_out)
def _on_logout(sender: Any, request: HttpRequest, user: Person | None, **kwargs: Any) -> None:
    if user is not None:
        record(actor=user, action="auth.logout", obj=user, object_repr=user.login)


@receiver(user_login_failed)
def _on_login_failed(sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any) -> None:
    login = str(credentials.get("username") or credentials.get("login") or "")[:64]
    record(actor=None, actor_label="аноним", action="auth.login_failed", object_type="accounts.person", object_repr=login)
