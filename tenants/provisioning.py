"""Creating, migrating and dropping a school's PostgreSQL schema.

A new school is a copy of the template schema (`settings.ZHURNAL_TEMPLATE_SCHEMA`):
migrated, empty but for `django_migrations`, never a School row. Copying it takes a
fraction of the time of running every migration again.

We do not use django_tenants.clone: its plpgsql cloner renames named unique
constraints (`roster_guardian_uniq` comes out as `…_parent_id_student_id_key`), so a
later migration that drops the constraint by name fails on cloned schools only. Here
the template is read from pg_catalog once per migration state and turned into one DDL
script that recreates every object under its own name:

    CREATE SCHEMA; sequences; CREATE TABLE (LIKE … INCLUDING ALL EXCLUDING INDEXES)
    (defaults, CHECKs with their names, identity); functions; the template's rows
    (django_migrations, data migrations') and sequence positions; PRIMARY KEY/UNIQUE/EXCLUDE by name; other indexes; FOREIGN
    KEYs by name; extended statistics; views; triggers.

The script runs in the caller's transaction, so a school whose creation fails leaves
no schema behind (PostgreSQL DDL is transactional).

A clone is, in effect, fake-migrated: a stale template would silently yield schools
missing columns. So before cloning, the template's applied migrations (one query) are
compared with what Django's migration graph expects, and the template is migrated first
when it lacks any. tests/test_provisioning.py proves clone == migrate, schema by schema.
"""

# SQL here is built from identifiers (validated schema names, quoted catalog names);
# values always travel as parameters.
# ruff: noqa: S608

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django_tenants.utils import get_public_schema_name, quote_schema_name, schema_exists

from core.errors import Conflict

logger = logging.getLogger(__name__)

MigrationKey = tuple[str, str]
Method = Literal["clone", "migrate"]

# Schema names Zhurnal creates: "s_" + slug, the template, benchmark/test names.
# Stricter than PostgreSQL needs, so a name is never quoted differently anywhere.
SCHEMA_NAME_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# The script is built once for this placeholder and the real name is put in per clone.
PLACEHOLDER = '"zhurnal_clone_target"'
# How many schemas one staleness query reads. Each django_migrations table and its
# index take a lock until the statement ends, out of a lock table shared by all
# sessions: max_locks_per_transaction × max_connections, 6400 by default. 500 schemas
# hold 1000 of them, so a district of 1000 schools is read in two queries.
STALE_QUERY_CHUNK = 500
# pg_advisory_xact_lock key: only one process migrates the template at a time.
TEMPLATE_LOCK_KEY = 0x5A4A_0001


class CloneUnsupported(Exception):
    """The template holds an object the cloner does not copy; provisioning falls back to
    migrating the new schema."""


def template_schema() -> str:
    return settings.ZHURNAL_TEMPLATE_SCHEMA


def _quote(schema_name: str) -> str:
    if not SCHEMA_NAME_RE.match(schema_name):
        raise ValueError(f"Недопустимое имя схемы: {schema_name!r}.")
    return quote_schema_name(schema_name)


def _ident(name: str) -> str:
    return quote_schema_name(name)  # escapes embedded quotes: safe for any identifier


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


# --- migration state ---------------------------------------------------------------


def tenant_app_labels() -> frozenset[str]:
    """Labels of TENANT_APPS, named the way the tenant router matches them."""
    names = set(settings.TENANT_APPS)
    return frozenset(
        config.label
        for config in apps.get_app_configs()
        if config.name in names or f"{config.__module__}.{config.__class__.__name__}" in names
    )


@functools.cache
def expected_migrations() -> frozenset[MigrationKey]:
    """Every migration of the tenant apps, from the files on disk (once per process).

    Squashed migrations appear under their own name: migrate records it on fresh schemas
    and on old ones alike (check_replacements). Shared apps' migrations are left out:
    in a school schema they only add a row, never a table."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    labels = tenant_app_labels()
    return frozenset(key for key in loader.graph.nodes if key[0] in labels)


def applied_migrations(schema_name: str) -> frozenset[MigrationKey] | None:
    """The schema's applied migrations, or None when it has no django_migrations table.

    The existence check comes first so that nothing fails inside the caller's transaction."""
    table = f"{_quote(schema_name)}.django_migrations"
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [table])
        if not cursor.fetchone()[0]:
            return None
        cursor.execute(f"SELECT app, name FROM {table}")
        return frozenset((app, name) for app, name in cursor.fetchall())


def is_current(applied: frozenset[MigrationKey] | None) -> bool:
    return applied is not None and expected_migrations() <= applied


def stale_schemas(schema_names: Iterable[str]) -> list[str]:
    """The schemas, in the given order, that lack one of the expected migrations.

    Reads every django_migrations table in one query (per STALE_QUERY_CHUNK schemas)
    instead of running `migrate` for each schema, which costs ~60 ms even with nothing
    to apply. A schema without the table (or without the schema) counts as stale."""
    names = list(dict.fromkeys(schema_names))
    with_table = _schemas_with_migration_table(names)
    stale = {name for name in names if name not in with_table}
    present = [name for name in names if name in with_table]
    for start in range(0, len(present), STALE_QUERY_CHUNK):
        stale.update(_stale_among(present[start : start + STALE_QUERY_CHUNK]))
    return [name for name in names if name in stale]


def _schemas_with_migration_table(names: list[str]) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT n.nspname FROM pg_catalog.pg_namespace n"
            " JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid"
            " AND c.relname = 'django_migrations' AND c.relkind IN ('r', 'p')"
            " WHERE n.nspname = ANY(%s)",
            [names],
        )
        return {row[0] for row in cursor.fetchall()}


def _stale_among(names: list[str]) -> set[str]:
    expected = sorted(expected_migrations())
    if not expected or not names:
        return set()
    branches = [
        "SELECT %s::text AS schema_name WHERE EXISTS (SELECT 1 FROM expected e WHERE NOT EXISTS ("
        f"SELECT 1 FROM {_quote(name)}.django_migrations m WHERE m.app = e.app AND m.name = e.name))"
        for name in names
    ]
    sql = (
        "WITH expected(app, name) AS MATERIALIZED (SELECT * FROM unnest(%s::text[], %s::text[]))\n"
        + "\nUNION ALL\n".join(branches)
    )
    params: list[Any] = [[app for app, _ in expected], [name for _, name in expected], *names]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


# --- template ----------------------------------------------------------------------


def migrate_schema(schema_name: str) -> None:
    """Runs the tenant apps' migrations in an existing schema (django-tenants' executor)."""
    _quote(schema_name)
    try:
        call_command("migrate_schemas", tenant=True, schema_name=schema_name, interactive=False, verbosity=0)
    finally:
        connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants backend


def ensure_template() -> bool:
    """Creates and migrates the template schema when it is missing or stale.

    Cheap when it is up to date (two small queries). Returns True when it migrated.
    Called before every clone, by `manage.py ensure_template` and by the test session."""
    migrated, _ = _ensure_template()
    return migrated


def _ensure_template() -> tuple[bool, frozenset[MigrationKey] | None]:
    template = template_schema()
    applied = applied_migrations(template)
    if is_current(applied):
        return False, applied
    with _template_lock():
        applied = applied_migrations(template)
        if is_current(applied):  # another process did it meanwhile
            return False, applied
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(template)}")
        migrate_schema(template)
        reset_caches(loader=False)
        applied = applied_migrations(template)
    logger.info("template schema %s migrated", template)
    return True, applied


@contextmanager
def _template_lock() -> Iterator[None]:
    """Serialises template migrations across processes. Inside a transaction the lock
    lasts to its end; outside one, migrations run unwrapped (non-atomic ones allowed)."""
    if connection.in_atomic_block:
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [TEMPLATE_LOCK_KEY])
            yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [TEMPLATE_LOCK_KEY])
    session = connection.connection
    try:
        yield
    finally:
        # django-tenants closes the connection after migrating outside a transaction,
        # which has released the session lock already.
        if connection.connection is session and session is not None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [TEMPLATE_LOCK_KEY])


# --- reading the catalog -----------------------------------------------------------


@contextmanager
def catalog_cursor() -> Iterator[Any]:
    """A cursor whose search_path is pg_catalog alone, so pg_get_*def() qualifies every
    table, sequence and function name with its schema (`public.accounts_person`,
    `school_template.roster_schoolclass`)."""
    with connection.cursor() as cursor:
        cursor.execute("SET search_path TO pg_catalog")
        try:
            yield cursor
        finally:
            # Makes the tenant backend set its own search_path again on the next cursor.
            connection.search_path_set_schemas = None  # type: ignore[attr-defined]


def requalifier(schema_name: str, replacement: str) -> Any:
    """A function that rewrites `schema.` qualifiers (as PostgreSQL prints them) in SQL."""
    pattern = re.compile(r"(?<![\w$\"])" + re.escape(_printed_ident(schema_name)) + r"\.")
    return functools.partial(pattern.sub, replacement.replace("\\", "\\\\") + ".")


def _printed_ident(name: str) -> str:
    """How PostgreSQL prints a name: bare when it can be, quoted otherwise."""
    if re.match(r"^[a-z_][a-z0-9_$]*$", name):
        return name
    return _ident(name)


# --- building the clone script ------------------------------------------------------

_UNSUPPORTED_SQL = """
SELECT 'relation ' || c.relname || ' (relkind ' || c.relkind::text || ')' FROM pg_class c
 WHERE c.relnamespace = %(ns)s AND c.relkind NOT IN ('r', 'i', 'S', 'v')
UNION ALL SELECT 'type ' || t.typname FROM pg_type t
 WHERE t.typnamespace = %(ns)s AND (t.typtype IN ('e', 'd', 'r', 'm', 'p') OR (t.typtype = 'b' AND t.typelem = 0))
UNION ALL SELECT 'inherited table ' || c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE c.relnamespace = %(ns)s
UNION ALL SELECT 'row security on ' || c.relname FROM pg_class c WHERE c.relnamespace = %(ns)s AND c.relrowsecurity
UNION ALL SELECT 'rule ' || r.rulename FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class
 WHERE c.relnamespace = %(ns)s AND c.relkind = 'r'
UNION ALL SELECT 'routine ' || p.proname FROM pg_proc p WHERE p.pronamespace = %(ns)s AND p.prokind NOT IN ('f', 'p')
UNION ALL SELECT 'extension ' || e.extname FROM pg_extension e WHERE e.extnamespace = %(ns)s
UNION ALL SELECT 'trigger ' || tg.tgname || ' (enabled ' || tg.tgenabled::text || ')' FROM pg_trigger tg
 JOIN pg_class c ON c.oid = tg.tgrelid WHERE c.relnamespace = %(ns)s AND NOT tg.tgisinternal AND tg.tgenabled NOT IN ('O', 'D')
UNION ALL SELECT 'generated column ' || c.relname || '.' || a.attname FROM pg_attribute a
 JOIN pg_class c ON c.oid = a.attrelid JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE c.relnamespace = %(ns)s AND a.attgenerated <> '' AND pg_get_expr(d.adbin, d.adrelid) LIKE '%%' || %(printed)s || '.%%'
UNION ALL SELECT 'collation ' || collname FROM pg_collation WHERE collnamespace = %(ns)s
UNION ALL SELECT 'operator ' || oprname FROM pg_operator WHERE oprnamespace = %(ns)s
"""

_TABLES_SQL = """
SELECT c.relname, c.relpersistence, array_to_string(c.reloptions, ', '), obj_description(c.oid, 'pg_class'),
       (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) FROM pg_attribute a
         WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = '')
  FROM pg_class c WHERE c.relnamespace = %(ns)s AND c.relkind = 'r' ORDER BY c.relname
"""

_DEFAULTS_SQL = """
SELECT c.relname, a.attname, pg_get_expr(d.adbin, d.adrelid)
  FROM pg_attrdef d JOIN pg_class c ON c.oid = d.adrelid
  JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
 WHERE c.relnamespace = %(ns)s AND c.relkind = 'r' AND a.attgenerated = '' AND NOT a.attisdropped
 ORDER BY c.relname, a.attnum
"""

_CONSTRAINTS_SQL = """
SELECT c.relname, con.conname, con.contype, pg_get_constraintdef(con.oid)
  FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
 WHERE c.relnamespace = %(ns)s AND c.relkind = 'r' AND con.contype IN ('p', 'u', 'x', 'f', 'c')
 ORDER BY c.relname, con.conname
"""

_INDEXES_SQL = """
SELECT ic.relname, pg_get_indexdef(i.indexrelid)
  FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
 WHERE t.relnamespace = %(ns)s AND t.relkind = 'r'
   AND NOT EXISTS (SELECT 1 FROM pg_constraint con WHERE con.conindid = i.indexrelid
                    AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x'))
 ORDER BY ic.relname
"""

_SEQUENCES_SQL = """
SELECT s.relname, format_type(q.seqtypid, NULL), q.seqstart, q.seqincrement, q.seqmin, q.seqmax, q.seqcache,
       q.seqcycle, d.deptype, owner.relname, att.attname, pg_sequence_last_value(s.oid) IS NOT NULL
  FROM pg_class s JOIN pg_sequence q ON q.seqrelid = s.oid
  LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid
       AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
  LEFT JOIN pg_class owner ON owner.oid = d.refobjid
  LEFT JOIN pg_attribute att ON att.attrelid = d.refobjid AND att.attnum = d.refobjsubid
 WHERE s.relnamespace = %(ns)s AND s.relkind = 'S'
 ORDER BY s.relname
"""

_FUNCTIONS_SQL = """
SELECT pg_get_functiondef(p.oid) FROM pg_proc p
 WHERE p.pronamespace = %(ns)s AND p.prokind IN ('f', 'p')
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
 ORDER BY p.oid
"""

_STATISTICS_SQL = """
SELECT pg_get_statisticsobjdef(s.oid) FROM pg_statistic_ext s WHERE s.stxnamespace = %(ns)s ORDER BY s.stxname
"""

# Views in creation order: a view can only be created after the views it reads.
_VIEWS_SQL = """
SELECT c.relname, pg_get_viewdef(c.oid), array_to_string(c.reloptions, ', ')
  FROM pg_class c WHERE c.relnamespace = %(ns)s AND c.relkind = 'v' ORDER BY c.oid
"""

_TRIGGERS_SQL = """
SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid), t.tgenabled
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = %(ns)s AND NOT t.tgisinternal
 ORDER BY c.relname, t.tgname
"""


@dataclass
class CloneScript:
    """The statements of a clone, grouped in the order they must run."""

    prologue: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    routines: list[str] = field(default_factory=list)
    fixups: list[str] = field(default_factory=list)
    data: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    indexes: list[str] = field(default_factory=list)
    foreign_keys: list[str] = field(default_factory=list)
    late: list[str] = field(default_factory=list)

    def statements(self) -> list[tuple[str, str]]:
        """(group, statement) in execution order."""
        names = ("prologue", "tables", "routines", "fixups", "data", "keys", "indexes", "foreign_keys", "late")
        return [(name, statement) for name in names for statement in getattr(self, name)]

    @functools.cached_property
    def text(self) -> str:
        return ";\n".join(statement for _, statement in self.statements()) + ";\n"


class _ScriptBuilder:
    def __init__(self, cursor: Any, template: str) -> None:
        self.cursor = cursor
        self.source = _quote(template)
        self.printed = _printed_ident(template)
        self.retarget = requalifier(template, PLACEHOLDER)
        self.script = CloneScript()
        cursor.execute("SELECT %s::regnamespace::oid", [self.source])
        self.params = {"ns": cursor.fetchone()[0], "printed": self.printed}

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        self.cursor.execute(sql, self.params)
        return self.cursor.fetchall()

    def build(self) -> CloneScript:
        unsupported = [row[0] for row in self.rows(_UNSUPPORTED_SQL)]
        if unsupported:
            raise CloneUnsupported("; ".join(unsupported))
        self.script.prologue.append(f"CREATE SCHEMA {PLACEHOLDER}")
        self.add_tables()
        self.add_sequences()
        self.add_routines()
        self.add_defaults()
        self.add_constraints()
        self.add_indexes()
        self.add_views()
        self.add_triggers()
        return self.script

    def tables_with_rows(self, names: list[str]) -> set[str]:
        """The template is empty but for django_migrations and data migrations' rows. Only
        those tables are copied: reading all would lock every template table and index
        in the school's transaction (the lock table is shared and finite)."""
        if not names:
            return set()
        self.cursor.execute(
            " UNION ALL ".join(f"SELECT %s WHERE EXISTS (SELECT 1 FROM {self.source}.{_ident(name)})" for name in names),
            names,
        )
        return {row[0] for row in self.cursor.fetchall()}

    def add_tables(self) -> None:
        tables = self.rows(_TABLES_SQL)
        with_rows = self.tables_with_rows([row[0] for row in tables])
        for name, persistence, options, comment, columns in tables:
            table = _ident(name)
            unlogged = "UNLOGGED " if persistence == "u" else ""
            with_options = f" WITH ({options})" if options else ""
            self.script.tables.append(
                f"CREATE {unlogged}TABLE {PLACEHOLDER}.{table} (LIKE {self.source}.{table}"
                f" INCLUDING ALL EXCLUDING INDEXES EXCLUDING STATISTICS){with_options}"
            )
            if comment is not None:
                self.script.tables.append(f"COMMENT ON TABLE {PLACEHOLDER}.{table} IS {_literal(comment)}")
            if columns and name in with_rows:
                self.script.data.append(
                    f"INSERT INTO {PLACEHOLDER}.{table} ({columns}) OVERRIDING SYSTEM VALUE"
                    f" SELECT {columns} FROM {self.source}.{table}"
                )

    def add_sequences(self) -> None:
        for row in self.rows(_SEQUENCES_SQL):
            name, type_, start, increment, minimum, maximum, cache, cycle, deptype, owner, column, used = row
            source_seq = f"{self.source}.{_ident(name)}"
            if deptype == "i":  # identity: LIKE made it; only its position is copied
                target_seq = f"pg_get_serial_sequence({_literal(f'{PLACEHOLDER}.{_ident(owner)}')}, {_literal(column)})"
                if type_ != "bigint":  # LIKE gives every identity sequence the type bigint
                    self.script.fixups.append(f"ALTER SEQUENCE {PLACEHOLDER}.{_ident(name)} AS {type_}")
            else:
                target_seq = _literal(f"{PLACEHOLDER}.{_ident(name)}")
                self.script.prologue.append(
                    f"CREATE SEQUENCE {PLACEHOLDER}.{_ident(name)} AS {type_} INCREMENT BY {increment}"
                    f" MINVALUE {minimum} MAXVALUE {maximum} START WITH {start} CACHE {cache}"
                    f" {'' if cycle else 'NO '}CYCLE"
                )
                if deptype == "a":
                    self.script.fixups.append(
                        f"ALTER SEQUENCE {PLACEHOLDER}.{_ident(name)} OWNED BY {PLACEHOLDER}.{_ident(owner)}.{_ident(column)}"
                    )
            if used:  # a sequence the template never called is as new as the clone's
                self.script.data.append(f"SELECT setval({target_seq}, last_value, is_called) FROM {source_seq}")

    def add_routines(self) -> None:
        functions = [row[0] for row in self.rows(_FUNCTIONS_SQL)]
        if not functions:
            return
        # As pg_dump does: a body may name tables that do not exist yet at this point.
        self.script.routines.append("SET LOCAL check_function_bodies = off")
        self.script.routines.extend(self.retarget(definition.rstrip().rstrip(";")) for definition in functions)
        self.script.routines.append("SET LOCAL check_function_bodies = on")

    def add_defaults(self) -> None:
        """LIKE copies a default by reference, so one that names a template sequence or
        function (a serial column, a RunSQL default) would still point into the template."""
        for table, column, expression in self.rows(_DEFAULTS_SQL):
            retargeted = self.retarget(expression)
            if retargeted != expression:
                self.script.fixups.append(
                    f"ALTER TABLE {PLACEHOLDER}.{_ident(table)} ALTER COLUMN {_ident(column)} SET DEFAULT {retargeted}"
                )

    def add_constraints(self) -> None:
        keys: dict[str, list[str]] = {}
        foreign: dict[str, list[str]] = {}
        for table, name, contype, definition in self.rows(_CONSTRAINTS_SQL):
            clause = f"ADD CONSTRAINT {_ident(name)} {self.retarget(definition)}"
            if contype == "f":
                foreign.setdefault(table, []).append(clause)
            elif contype in "pux":
                keys.setdefault(table, []).append(clause)
            elif self.retarget(definition) != definition:  # a CHECK calling a template function
                keys.setdefault(table, []).append(f"DROP CONSTRAINT {_ident(name)}, {clause}")
        # One ALTER TABLE per table: fewer statements, one pass over each table.
        self.script.keys.extend(f"ALTER TABLE {PLACEHOLDER}.{_ident(t)} {', '.join(c)}" for t, c in keys.items())
        self.script.foreign_keys.extend(
            f"ALTER TABLE {PLACEHOLDER}.{_ident(t)} {', '.join(c)}" for t, c in foreign.items()
        )

    def add_indexes(self) -> None:
        self.script.indexes.extend(self.retarget(definition) for _, definition in self.rows(_INDEXES_SQL))
        self.script.indexes.extend(self.retarget(definition) for (definition,) in self.rows(_STATISTICS_SQL))

    def add_views(self) -> None:
        for name, definition, options in self.rows(_VIEWS_SQL):
            with_options = f" WITH ({options})" if options else ""
            body = self.retarget(definition).rstrip().rstrip(";")
            self.script.late.append(f"CREATE VIEW {PLACEHOLDER}.{_ident(name)}{with_options} AS {body}")

    def add_triggers(self) -> None:
        for table, name, definition, enabled in self.rows(_TRIGGERS_SQL):
            self.script.late.append(self.retarget(definition))
            if enabled == "D":
                self.script.late.append(f"ALTER TABLE {PLACEHOLDER}.{_ident(table)} DISABLE TRIGGER {_ident(name)}")


# Built scripts, keyed by the template's name and applied-migration set: DDL in the
# template changes only through migrations (and every template migration clears this).
_scripts: dict[tuple[str, frozenset[MigrationKey]], CloneScript] = {}


def clone_script(applied: frozenset[MigrationKey]) -> CloneScript:
    """The DDL that copies the template into PLACEHOLDER (built once per migration state)."""
    key = (template_schema(), applied)
    if key not in _scripts:
        with catalog_cursor() as cursor:
            _scripts[key] = _ScriptBuilder(cursor, template_schema()).build()
    return _scripts[key]


def reset_caches(*, loader: bool = True) -> None:
    """Forget built scripts (and the expected migration set, e.g. after new migration files)."""
    _scripts.clear()
    if loader:
        expected_migrations.cache_clear()


# --- public API ----------------------------------------------------------------------


def clone_schema(schema_name: str) -> None:
    """Creates `schema_name` as a copy of the template, migrating the template first when
    it is stale. Raises CloneUnsupported or DatabaseError when that is impossible."""
    target = _quote(schema_name)
    with transaction.atomic():
        _, applied = _ensure_template()
        if applied is None:  # only if migrating the template did not create its history
            raise CloneUnsupported("шаблон школы без истории миграций")
        script = clone_script(applied).text
        with connection.cursor() as cursor:
            # One round trip for the whole script: psycopg sends a parameterless
            # multi-statement string as one simple query.
            cursor.execute(script.replace(PLACEHOLDER, target))


def migrate_new_schema(schema_name: str) -> None:
    """Creates `schema_name` by running every tenant migration in it (the slow way)."""
    target = _quote(schema_name)
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA {target}")
        migrate_schema(schema_name)


def provision_schema(schema_name: str) -> Method:
    """Creates a complete, migrated schema for a new school inside the caller's
    transaction: by clone, or by migration when cloning is impossible (the template
    cannot be made, or holds an object the cloner does not copy)."""
    if schema_name in (get_public_schema_name(), template_schema()):
        raise ValueError(f"Схема {schema_name!r} не может быть схемой школы.")
    if schema_exists(schema_name):
        # An orphan left by hand: refuse rather than adopt a schema of unknown content.
        raise Conflict(f"В базе уже есть схема {schema_name}: обратитесь к администратору платформы.")
    try:
        clone_schema(schema_name)
    except (CloneUnsupported, DatabaseError) as exc:
        # The savepoint of clone_schema rolled the attempt back; nothing is left of it.
        logger.warning("cloning %s failed, migrating it instead: %s", schema_name, exc)
        migrate_new_schema(schema_name)
        return "migrate"
    return "clone"


def drop_schema(schema_name: str) -> None:
    """Drops a school's schema and everything in it (the School row is the caller's)."""
    if schema_name == get_public_schema_name():
        raise ValueError("Общую схему удалять нельзя.")
    with connection.cursor() as cursor:
        cursor.execute(f"DROP SCHEMA IF EXISTS {_quote(schema_name)} CASCADE")
    if schema_name == template_schema():
        reset_caches(loader=False)
