"""The demo district's spreadsheets (R-Y07): after `manage.py seed_demo` has filled a demo
school, its lists are written as XLSX files under var/demo-spreadsheets/<slug>/ — the
five lists exported in the template's columns, and the five empty templates. A newcomer
can open them, edit them and import them back (an unchanged file imports as "без
изменений"), or import them into another school. `manage.py export_demo_spreadsheets`
writes them again at any time."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    from accounts.models import Person
    from tenants.models import School


def default_folder() -> Path:
    return Path(settings.VAR_DIR) / "demo-spreadsheets"


def write_school_spreadsheets(actor: Person, school: School, folder: Path) -> list[Path]:
    """Writes the school's lists and templates into folder/<slug>/ (inside the school's
    schema); returns the files written."""
    from . import services
    from .kinds import KINDS

    target = folder / school.slug
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for code in KINDS:
        content, _ = services.export_file(actor, school, code)
        path = target / f"{code}.xlsx"
        path.write_bytes(content)
        written.append(path)
        template, _ = services.template_file(actor, school, code)
        path = target / f"{code}-template.xlsx"
        path.write_bytes(template)
        written.append(path)
    return written


def seed_school(ctx: dict[str, Any]) -> None:
    """Called by seed_demo after the other apps' demo data (bulkimport is the last tenant app)."""
    write_school_spreadsheets(ctx["actor"], ctx["school"], default_folder())
