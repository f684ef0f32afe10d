from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from .models import Person


class LoginBackend(ModelBackend):
    """Signs in by login (case-insensitive). Inactive people cannot sign in."""

    def authenticate(self, request: HttpRequest | None, username: str | None = None, password: str | None = None, **kwargs: Any) -> Person | None:  # type: ignore[override]
        login = username or kwargs.get("login")
        if not login or not password:
            return None
        try:
            person = Person.objects.get(login=Person.normalize_login(login))
        except Person.DoesNotExist:
            Person().set_password(password)  # same time whether or not the login exists
            return None
        if person.check_password(password) and self.user_can_authenticate(person):
            return person
        return None


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The login that django-axes counts failures against, from the page form or the API."""
    raw = (credentials or {}).get("username") or (credentials or {}).get("login") or request.POST.get("login") or ""
    return Person.normalize_login(str(raw))
