"""API token authentication ("Authorization: Token zh_…"); only the hash is stored."""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from .models import ApiToken


class TokenAuthentication(authentication.TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key: str) -> tuple[Any, ApiToken]:
        from .services import hash_token

        token = ApiToken.objects.select_related("person").filter(key_hash=hash_token(key), revoked_at__isnull=True).first()
        if token is None or not token.person.is_active:
            raise exceptions.AuthenticationFailed("Неверный или отозванный токен.")
        if token.last_used_at is None or (timezone.now() - token.last_used_at).total_seconds() > 300:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
        person = token.person
        # A token made after 2FA counts as a verified sign-in; django-otp reads this.
        person.is_verified = lambda: token.otp_verified  # type: ignore[attr-defined]
        return person, token

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        return super().authenticate(request)  # type: ignore[return-value]
