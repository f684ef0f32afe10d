"""Managing schools from the command line, through the same services as the pages and API:

    manage.py school create --actor admin.rayon --slug sosh-7 --full-name "…" --short-name "…" --code M-007
    manage.py school rename --actor admin.rayon --slug sosh-7 --full-name "…" --short-name "…"
    manage.py school suspend|archive|activate --actor admin.rayon --slug sosh-7 --reason "…"
    manage.py school list
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts.models import Person
from core.errors import DomainError
from tenants import services
from tenants.models import School, SchoolStatus

STATUS_BY_ACTION = {"suspend": SchoolStatus.SUSPENDED, "archive": SchoolStatus.ARCHIVED, "activate": SchoolStatus.ACTIVE}


class Command(BaseCommand):
    help = "Создать, переименовать, приостановить, архивировать или вернуть школу."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["create", "rename", "suspend", "archive", "activate", "list"])
        parser.add_argument("--actor", help="Логин администратора района, от имени которого действие")
        parser.add_argument("--slug")
        parser.add_argument("--full-name", default="")
        parser.add_argument("--short-name", default="")
        parser.add_argument("--code", default="", help="Код школы в муниципалитете")
        parser.add_argument("--address", default="")
        parser.add_argument("--director", default="")
        parser.add_argument("--reason", default="")

    def handle(self, *args: Any, **o: Any) -> None:
        if o["action"] == "list":
            for school in School.objects.real().order_by("short_name"):
                self.stdout.write(f"{school.slug}\t{school.get_status_display()}\t{school.short_name}")
            return
        if not o["actor"] or not o["slug"]:
            raise CommandError("Нужны --actor и --slug.")
        actor = Person.objects.filter(login=Person.normalize_login(o["actor"])).first()
        if actor is None:
            raise CommandError("Нет учётной записи с таким логином.")
        try:
            if o["action"] == "create":
                school = services.create_school(actor, services.SchoolData(
                    slug=o["slug"], full_name=o["full_name"], short_name=o["short_name"], municipal_code=o["code"],
                    address=o["address"], director_name=o["director"]))
            else:
                found = School.objects.real().filter(slug=o["slug"]).first()
                if found is None:
                    raise CommandError("Школа не найдена.")
                school = found
                if o["action"] == "rename":
                    school = services.rename_school(actor, school, full_name=o["full_name"] or school.full_name,
                                                    short_name=o["short_name"] or school.short_name)
                else:
                    school = services.set_school_status(actor, school, STATUS_BY_ACTION[o["action"]], reason=o["reason"])
        except DomainError as exc:
            details = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items())
            raise CommandError(f"{exc.message}{' (' + details + ')' if details else ''}") from exc
        self.stdout.write(self.style.SUCCESS(f"{school.slug}: {school.short_name} — {school.get_status_display()}"))
