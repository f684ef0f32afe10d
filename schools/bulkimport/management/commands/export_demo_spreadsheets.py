"""`manage.py export_demo_spreadsheets [DIR] [--school SLUG]`: each school's lists and the
import templates as XLSX files in DIR/<slug>/ (default var/demo-spreadsheets)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Membership
from accounts.roles import Role
from core.context import RequestMeta, acting_as
from tenants.db import use_public, use_school
from tenants.models import School

from ...demo import default_folder, write_school_spreadsheets


class Command(BaseCommand):
    help = "Выгружает списки школ и шаблоны загрузки в XLSX (по умолчанию в var/demo-spreadsheets)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("folder", nargs="?", default="")
        parser.add_argument("--school", action="append", default=[], help="Только эта школа (slug); можно несколько раз")

    def handle(self, *args: Any, **opts: Any) -> None:
        folder = Path(opts["folder"]) if opts["folder"] else default_folder()
        admin = Membership.objects.current().filter(role=Role.DISTRICT_ADMIN, school__isnull=True).select_related("person").first()
        if admin is None:
            raise CommandError("Нет администратора района: выгружать от чьего имени? Сначала manage.py seed_demo.")
        schools = School.objects.real().filter(status="active")
        if opts["school"]:
            schools = schools.filter(slug__in=opts["school"])
        with acting_as(RequestMeta(channel="command")):
            for school in schools.order_by("slug"):
                use_school(school)
                try:
                    files = write_school_spreadsheets(admin.person, school, folder)
                finally:
                    use_public()
                self.stdout.write(f"{school.short_name}: {len(files)} файлов в {folder / school.slug}")
