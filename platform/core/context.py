"""Who is acting and from where, for the audit log, without passing the request around.

Set once per request by RequestContextMiddleware; tasks and commands set it themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestMeta:
    ip: str | None = None
    user_agent: str = ""
    channel: str = "web"  # web, api, command, task


_DEFAULT = RequestMeta(channel="command")
_current: ContextVar[RequestMeta] = ContextVar("zhurnal_request_meta", default=_DEFAULT)


def current_meta() -> RequestMeta:
    return _current.get()


@contextmanager
def acting_as(meta: RequestMeta) -> Iterator[None]:
    token = _current.set(meta)
    try:
        yield
    finally:
        _current.reset(token)


def set_meta(meta: RequestMeta) -> object:
    return _current.set(meta)


def reset_meta(token: object) -> None:
    _current.reset(token)  # type: ignore[arg-type]
