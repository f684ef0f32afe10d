"""Database sessions that know their owner, address and last activity."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.utils import timezone

from core.context import current_meta


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls) -> type:
        from .models import PersonSession

        return PersonSession

    def create_model_instance(self, data: dict[str, Any]) -> Any:
        obj: Any = super().create_model_instance(data)
        user_id = data.get("_auth_user_id")
        obj.person_id = int(user_id) if user_id else None
        meta = current_meta()
        obj.ip = meta.ip
        obj.user_agent = meta.user_agent[:300]
        started = data.get("_started_at")
        if started:
            obj.created_at = dt.datetime.fromtimestamp(started, tz=dt.UTC)
        obj.last_activity = timezone.now()
        return obj
