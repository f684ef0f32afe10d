"""Server time, measured as gunicorn sees it: requests go straight to Django's WSGIHandler.

Django's test Client wraps every request in instrumentation of its own (it records every
rendered template and copies its context, runs the request_started/finished signals through
its own handler) that costs a template-heavy page several milliseconds no server pays. The
benchmarks sign in with the test Client (force_login) and then time requests through this
client instead: the same middleware, views and templates, with the session cookie and a CSRF
token as a browser would send them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass
class WsgiResponse:
    status_code: int
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)


class WsgiClient:
    def __init__(self, cookies: dict[str, str], host: str = "localhost") -> None:
        from django.core.handlers.wsgi import WSGIHandler
        from django.middleware.csrf import _get_new_csrf_string
        from django.test import RequestFactory

        from config.startup import settle

        self.handler = WSGIHandler()
        settle()  # as config.wsgi does in each gunicorn worker
        self.factory = RequestFactory(HTTP_HOST=host)
        self.csrf = _get_new_csrf_string()
        self.cookie = "; ".join([*(f"{k}={v}" for k, v in cookies.items() if k != "csrftoken"), f"csrftoken={self.csrf}"])

    @classmethod
    def signed_in_as(cls, client: Any) -> WsgiClient:
        """The session of a test Client that has signed in (force_login)."""
        return cls({name: morsel.value for name, morsel in client.cookies.items()})

    def _call(self, environ: dict[str, Any]) -> WsgiResponse:
        environ["HTTP_COOKIE"] = self.cookie
        environ["HTTP_X_CSRFTOKEN"] = self.csrf
        status: list[str] = []

        def start_response(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status.append(line)
            return lambda data: None

        chunks = self.handler(environ, start_response)
        try:
            content = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        return WsgiResponse(int(status[0].split(" ", 1)[0]), content)

    def get(self, url: str) -> WsgiResponse:
        return self._call(self.factory.get(url).environ)

    def put(self, url: str, data: str, content_type: str = "application/json") -> WsgiResponse:
        return self._call(self.factory.put(url, data=data, content_type=content_type).environ)
