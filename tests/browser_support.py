"""Helpers for the browser tests (tests/test_browser.py): Chromium's launch options, the
TOTP code an authenticator app would show, and cleaning up committed school schemas."""

from __future__ import annotations

import base64
from pathlib import Path

from django.conf import settings
from django.db import connection

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# Screenshots for a human to look at (gitignored).
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
PHONE = {"width": 390, "height": 844}


def totp_now(secret_b32: str) -> str:
    """The 6-digit code for a base32 secret, as django-otp's TOTPDevice checks it
    (30-second steps from the epoch, no drift)."""
    from django_otp.oath import totp

    key = base64.b32decode(secret_b32.strip().replace(" ", "").upper())
    return f"{totp(key, step=30, t0=0, digits=6):06d}"


def school_schemas() -> list[str]:
    """Committed schemas of schools (not public, not the template, not PostgreSQL's own)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nspname FROM pg_namespace WHERE nspname LIKE %s AND nspname <> %s ORDER BY nspname",
            ["s\\_%", settings.ZHURNAL_TEMPLATE_SCHEMA],
        )
        return [row[0] for row in cursor.fetchall()]


def reset_committed_schools() -> None:
    """Empties the shared tables and drops every committed school schema, in one transaction.

    Only for transactional tests (the live server reads committed rows). The order matters:
    a School row whose schema is gone makes the next session's migrate_schemas fail for
    everybody using this test database, so rows and schemas go together or not at all.
    TRUNCATE … CASCADE also reaches the (empty) roster tables of the template schema, whose
    foreign keys to accounts_person refuse a plain TRUNCATE."""
    from django.core.management import call_command
    from django.db import transaction

    from tenants.provisioning import drop_schema

    connection.set_schema_to_public()
    with transaction.atomic():
        call_command("flush", verbosity=0, interactive=False, allow_cascade=True, inhibit_post_migrate=True)
        for name in school_schemas():
            drop_schema(name)
