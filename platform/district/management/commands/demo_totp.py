"""Prints the current TOTP code of a demo account (local use: the demo's secrets are public)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Текущий одноразовый код TOTP демо-учётной записи."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("login")

    def handle(self, *args: Any, **opts: Any) -> None:
        device = TOTPDevice.objects.filter(user__login=opts["login"], confirmed=True).first()
        if device is None:
            raise CommandError("У этой учётной записи нет TOTP-устройства.")
        if not opts["login"].endswith((".rayon", ".1", ".2", ".3")):
            raise CommandError("Команда только для демо-учётных записей.")
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
        self.stdout.write(str(code).zfill(device.digits))
