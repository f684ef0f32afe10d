"""The shape every kind of list shares: its columns, the permissions it needs, how a row
is read (`parse`), written through the owning app's services (`apply`) and exported."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from core.errors import DomainError

from ..schemas import Column, Row

if TYPE_CHECKING:
    from accounts.models import Person
    from tenants.models import School


class RowRejected(Exception):
    """A row's problems are already on the row (Row.errors): roll back its savepoint."""


@dataclass
class Outcome:
    status: str  # "new" | "update" | "unchanged"
    notes: list[str] = field(default_factory=list)


@contextmanager
def reported(row: Row, fields: dict[str, str] | None = None, default: str | None = None) -> Iterator[None]:
    """Runs a service call; its refusal is put on the row's columns (`fields`: service field ->
    column key; `default`: the column of a refusal naming no field) and rejects the row."""
    try:
        yield
    except DomainError as exc:
        row.service_error(exc, fields, default)
        raise RowRejected from exc


class Planner(Protocol):
    """Decides a file's rows against what the database holds (read once), staging their writes."""

    def load(self, rows: list[tuple[Row, Any]]) -> None:
        """Reads what the rows (parsed without errors) need to know, in a fixed number of queries."""

    def apply(self, row: Row, data: Any) -> Outcome:
        """Decides one row as `Kind.apply` would; a refusal (RowRejected, DomainError) takes its
        staged writes back."""

    def write(self) -> None:
        """Writes what the accepted rows staged, in the caller's transaction."""


class Kind:
    code: ClassVar[str]  # an ImportKind value
    # The permissions of what is imported (and exported).
    perms: ClassVar[tuple[str, ...]]
    # A list of people (students with parents, staff): Perm.IMPORT_DATA is needed as well.
    people_list: ClassVar[bool] = False
    file_stem: ClassVar[str]  # name of the template / export file, without extension
    all_columns: ClassVar[list[Column]]
    # Lines of help printed on the template's second sheet.
    help_lines: ClassVar[list[str]] = []

    @property
    def title(self) -> str:
        from ..models import ImportKind

        return str(ImportKind(self.code).label)

    def columns(self) -> tuple[list[Column], list[Column]]:
        """(columns this school accepts, columns it refuses): personal-data columns the
        school does not collect are refused (R-A06)."""
        return list(self.all_columns), []

    def prepare(self, actor: Person, school: School) -> Any:
        """Lookups shared by all rows (classes by name, subjects…), loaded once."""
        return None

    def parse(self, row: Row, ctx: Any) -> Any:
        raise NotImplementedError

    def planner(self, actor: Person, school: School) -> Planner | None:
        """A kind that decides a whole file at once returns its planner (R-Y07: the preview
        writes nothing and the import writes in bulk); None: each row goes through `apply`."""
        return None

    def apply(self, actor: Person, school: School, row: Row, data: Any, ctx: Any) -> Outcome:
        raise NotImplementedError

    def label(self, row: Row) -> str:
        return ""

    def row_keys(self, data: Any, row: Row) -> list[Any]:
        """What identifies the row's object(s) in the file: a later row with one of the same
        keys repeats it and is refused (a list has each person, line… once)."""
        return []

    def export_rows(self, school: School, *, columns: list[Column], class_id: int | None = None) -> Iterable[list[Any]]:
        """Rows in the order of `columns`, in a constant number of queries."""
        raise NotImplementedError

    def export_suffix(self, class_id: int | None) -> str:
        return ""
