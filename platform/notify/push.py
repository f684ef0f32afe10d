"""Web Push (R-D03): a notice reaches the family's phone or computer even when the site is closed.

The browser subscribes with the district's VAPID public key (static/js/notify-push.js) and the
platform stores its subscription (an endpoint at the browser vendor's push service and two keys).
Sending encrypts the payload for that browser (RFC 8291, aes128gcm) and signs a VAPID token
(RFC 8292) with the district's private key; `pywebpush` does both. Settings: the key pair
NOTIFY_VAPID_PUBLIC_KEY / NOTIFY_VAPID_PRIVATE_KEY (from the environment; `manage.py vapid_keys`
makes one), NOTIFY_VAPID_SUBJECT, NOTIFY_PUSH_ENABLED (on when both keys are set).

An endpoint is data from the browser, so the server must never POST wherever it says: only the
known push services (NOTIFY_PUSH_ALLOWED_HOSTS) over https, checked when a subscription is saved
and again before every send, and redirects are not followed."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import functools
import ipaddress
import json
import logging
import re
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

from .models import Notice, PushSubscription

log = logging.getLogger(__name__)

# How long a push service keeps a notice for a browser that is offline; a notice older than that
# is not pushed any more (it stays in the platform's list and the e-mail).
TTL = dt.timedelta(hours=24)
# The push service's answers: accepted; the subscription is gone (the browser unsubscribed or
# was reset) and is deleted; a temporary trouble worth another try later.
GONE = frozenset({404, 410})
TRANSIENT = frozenset({408, 425, 429})


class InvalidSubscription(ValueError):
    """The subscription's keys cannot be used to encrypt for it: nothing was sent."""


class DisallowedEndpoint(ValueError):
    """The endpoint is not at a known push service."""


def public_key() -> str:
    return str(getattr(settings, "NOTIFY_VAPID_PUBLIC_KEY", "") or "")


def _private_key() -> str:
    return str(getattr(settings, "NOTIFY_VAPID_PRIVATE_KEY", "") or "")


def configured() -> bool:
    return bool(getattr(settings, "NOTIFY_PUSH_ENABLED", False) and public_key() and _private_key())


# A host name as the push services have them: ASCII letters, digits, dots and hyphens only.
_HOST = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")
# Anything that two URL parsers might read differently (urllib.parse for the check, urllib3 for
# the connection): a backslash, whitespace or a control character, and any non-ASCII character.
_UNSAFE = re.compile(r"[\\\s\x00-\x1f\x7f]|[^\x00-\x7f]")


def _ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return host.startswith("[") or host.replace(".", "").isdigit()
    return True


def allowed_endpoint(endpoint: str) -> bool:
    """https:// at one of NOTIFY_PUSH_ALLOWED_HOSTS ("*.example.com" = its subdomains).

    The host is read by both urllib.parse and urllib3 (which `requests` connects with) and they
    must agree: an endpoint such as `https://10.0.0.5\\.x.notify.windows.com/` reads as a
    Windows host to one and as 10.0.0.5 to the other (R-D03). No user info, no IP literal, no
    port but 443, no IDN label; plain http (with any port or an IP literal on the list) only
    with NOTIFY_PUSH_ALLOW_HTTP, a setting for a local fake push service in tests."""
    if _UNSAFE.search(endpoint):
        return False
    try:
        url = urlsplit(endpoint)
        port = url.port
        parsed = parse_url(endpoint)
    except (ValueError, LocationParseError):
        return False
    insecure_ok = url.scheme == "http" and bool(getattr(settings, "NOTIFY_PUSH_ALLOW_HTTP", False))
    if (url.scheme != "https" and not insecure_ok) or parsed.scheme != url.scheme:
        return False
    if "@" in url.netloc or url.username or url.password or parsed.auth:
        return False
    if not url.hostname or not parsed.host or parsed.host.lower() != url.hostname.lower():
        return False
    if parsed.port != port or (port not in (None, 443) and not insecure_ok):
        return False
    host = url.hostname.rstrip(".").lower()
    if _ip_literal(host) and not insecure_ok:
        return False
    if not _HOST.fullmatch(host) and not (insecure_ok and _ip_literal(host)):
        return False
    if any(label.startswith("xn--") or not label for label in host.split(".")):
        return False
    for pattern in getattr(settings, "NOTIFY_PUSH_ALLOWED_HOSTS", []):
        pattern = pattern.strip().rstrip(".").lower()
        if host == pattern or (pattern.startswith("*.") and host.endswith(pattern[1:])):
            return True
    return False


def _b64url(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def valid_keys(p256dh: str, auth: str) -> bool:
    """The browser's public key (an uncompressed P-256 point) and its 16-byte auth secret."""
    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        point, secret = _b64url(p256dh), _b64url(auth)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except (ValueError, binascii.Error):
        return False
    return len(point) == 65 and len(secret) == 16


def payload_of(notice: Notice) -> str:
    """What the service worker (static/js/notify-sw.js) shows: {title, body, url}."""
    return json.dumps({"title": notice.title, "body": notice.body[:300], "url": "/notify/notices/", "id": notice.pk},
                      ensure_ascii=False)


def outcome(status: int | None) -> str:
    """delivered | gone | retry | rejected (a refusal that another try would not change)."""
    if status is None or status in TRANSIENT or status >= 500:
        return "retry"
    if 200 <= status < 300:
        return "delivered"
    if status in GONE:
        return "gone"
    return "rejected"


def web_push(sub: PushSubscription, payload: str) -> int | None:
    """One push; returns the push service's HTTP status (None if it could not be reached).
    Raises DisallowedEndpoint or InvalidSubscription when nothing could be sent."""
    from pywebpush import WebPushException, webpush

    if not allowed_endpoint(sub.endpoint):
        raise DisallowedEndpoint(sub.endpoint)
    try:
        response: Any = webpush(
            subscription_info={"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}},
            data=payload, vapid_private_key=_vapid(_private_key()),
            vapid_claims={"sub": getattr(settings, "NOTIFY_VAPID_SUBJECT", "mailto:zhurnal@localhost")},
            ttl=int(TTL.total_seconds()), timeout=getattr(settings, "NOTIFY_PUSH_TIMEOUT", 10),
            requests_session=_session(),
        )
        return int(response.status_code)
    except WebPushException as exc:
        if exc.response is None:  # refused before sending: the subscription's keys are unusable
            raise InvalidSubscription(str(exc)) from exc
        return int(exc.status_code or 0) or None
    except (ValueError, binascii.Error) as exc:  # a key that is not base64 or not a curve point
        raise InvalidSubscription(str(exc)) from exc
    except Exception as exc:  # connection refused, timeout, TLS: try again later
        # Not the URL nor the traceback: an endpoint is a capability (whoever has it can push).
        log.warning("notify: push service %s unreachable: %s", urlsplit(sub.endpoint).hostname, type(exc).__name__)
        return None


@functools.lru_cache(maxsize=2)
def _vapid(private_key: str) -> Any:
    from py_vapid import Vapid

    return Vapid.from_string(private_key)


@functools.lru_cache(maxsize=1)
def _session() -> Any:
    """One keep-alive session per process (most pushes go to one or two services)."""
    import requests

    class NoRedirects(requests.Session):
        # A push service does not redirect; following one would send our POST to wherever it says.
        def request(self, *args: Any, **kwargs: Any) -> Any:
            kwargs["allow_redirects"] = False
            return super().request(*args, **kwargs)

    return NoRedirects()


def new_key_pair() -> tuple[str, str]:
    """(public, private) in the forms browsers and pywebpush take: the uncompressed P-256 point
    and the 32-byte private number, both base64url without padding."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    public = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    private = key.private_numbers().private_value.to_bytes(32, "big")
    return (base64.urlsafe_b64encode(public).rstrip(b"=").decode(), base64.urlsafe_b64encode(private).rstrip(b"=").decode())
