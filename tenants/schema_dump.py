"""A schema-only dump of one schema, read from the catalogs, independent of its name.

Two schools built the same way dump to the same text: every `schema.` qualifier is
written as `<schema>.`, and nothing that varies between equal schemas (OIDs, sequence
positions, dropped-column slots) is printed. The tests compare a cloned school with a
migrated one this way; `diff_dumps()` shows where they part.

    from tenants.schema_dump import dump_schema
    print(dump_schema("s_alpha"))
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from typing import Any

from .provisioning import catalog_cursor, requalifier

NORMALIZED = "<schema>"

_TABLES_SQL = """
SELECT c.relname, c.relkind, c.relpersistence, coalesce(array_to_string(c.reloptions, ', '), ''),
       obj_description(c.oid, 'pg_class')
  FROM pg_class c WHERE c.relnamespace = %(ns)s AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
"""

_COLUMNS_SQL = """
SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity, a.attgenerated,
       pg_get_expr(d.adbin, d.adrelid), CASE WHEN a.attcollation <> t.typcollation THEN co.collname END,
       a.attstorage <> t.typstorage, col_description(c.oid, a.attnum)
  FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  LEFT JOIN pg_collation co ON co.oid = a.attcollation
 WHERE c.relnamespace = %(ns)s AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND a.attnum > 0 AND NOT a.attisdropped
 ORDER BY c.relname, a.attnum
"""

_CONSTRAINTS_SQL = """
SELECT c.relname, con.conname, con.contype, pg_get_constraintdef(con.oid), con.convalidated
  FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid WHERE c.relnamespace = %(ns)s
"""

_INDEXES_SQL = """
SELECT t.relname, ic.relname, pg_get_indexdef(i.indexrelid), i.indisclustered, i.indisvalid
  FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid
 WHERE t.relnamespace = %(ns)s
"""

_TRIGGERS_SQL = """
SELECT c.relname, t.tgname, pg_get_triggerdef(t.oid), t.tgenabled
  FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relnamespace = %(ns)s AND NOT t.tgisinternal
"""

_SEQUENCES_SQL = """
SELECT s.relname, format_type(q.seqtypid, NULL), q.seqstart, q.seqincrement, q.seqmin, q.seqmax, q.seqcache,
       q.seqcycle, coalesce(d.deptype::text, ''), coalesce(owner.relname || '.' || att.attname, '')
  FROM pg_class s JOIN pg_sequence q ON q.seqrelid = s.oid
  LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = s.oid
       AND d.refclassid = 'pg_class'::regclass AND d.deptype IN ('a', 'i')
  LEFT JOIN pg_class owner ON owner.oid = d.refobjid
  LEFT JOIN pg_attribute att ON att.attrelid = d.refobjid AND att.attnum = d.refobjsubid
 WHERE s.relnamespace = %(ns)s AND s.relkind = 'S'
"""

_VIEWS_SQL = """
SELECT c.relname, pg_get_viewdef(c.oid) FROM pg_class c WHERE c.relnamespace = %(ns)s AND c.relkind IN ('v', 'm')
"""

_FUNCTIONS_SQL = """
SELECT p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')',
       CASE WHEN p.prokind IN ('f', 'p') THEN pg_get_functiondef(p.oid) ELSE p.prokind::text END
  FROM pg_proc p WHERE p.pronamespace = %(ns)s
"""

_TYPES_SQL = """
SELECT t.typname, t.typtype,
       coalesce((SELECT string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid), '')
  FROM pg_type t WHERE t.typnamespace = %(ns)s AND t.typtype NOT IN ('c', 'b')
"""

_STATISTICS_SQL = "SELECT s.stxname, pg_get_statisticsobjdef(s.oid) FROM pg_statistic_ext s WHERE s.stxnamespace = %(ns)s"


def dump_schema(schema_name: str) -> str:
    """The normalized schema-only dump of `schema_name` (raises if it does not exist)."""
    with catalog_cursor() as cursor:
        return _Dumper(cursor, schema_name).dump()


def diff_dumps(left: str, right: str, left_name: str = "left", right_name: str = "right") -> str:
    return "".join(
        difflib.unified_diff(left.splitlines(True), right.splitlines(True), left_name, right_name, n=2)
    )


class _Dumper:
    def __init__(self, cursor: Any, schema_name: str) -> None:
        self.cursor = cursor
        self.normalize = requalifier(schema_name, NORMALIZED)
        cursor.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", [schema_name])
        row = cursor.fetchone()
        if row is None:
            raise LookupError(f"Схемы {schema_name} нет.")
        self.params = {"ns": row[0]}
        self.per_table: defaultdict[str, list[str]] = defaultdict(list)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        self.cursor.execute(sql, self.params)
        return self.cursor.fetchall()

    def dump(self) -> str:
        self.collect_columns()
        self.collect_table_objects()
        lines: list[str] = []
        for name, kind, persistence, options, comment in sorted(self.rows(_TABLES_SQL)):
            lines.append(f"relation {name} kind={kind} persistence={persistence} options=[{options}] comment={comment!r}")
            lines.extend(self.per_table[name])
        lines.extend(self.standalone_objects())
        return "\n".join(lines) + "\n"

    def collect_columns(self) -> None:
        for table, column, type_, notnull, identity, generated, default, collation, storage, comment in self.rows(
            _COLUMNS_SQL
        ):
            default_text = self.normalize(default) if default is not None else ""
            self.per_table[table].append(
                f"  column {column} {type_}{' NOT NULL' if notnull else ''} identity={identity or '-'}"
                f" generated={generated or '-'} default={default_text!r} collation={collation or '-'}"
                f" storage_changed={storage} comment={comment!r}"
            )

    def collect_table_objects(self) -> None:
        objects: list[tuple[str, str]] = []
        for table, name, contype, definition, validated in self.rows(_CONSTRAINTS_SQL):
            text = f"  constraint {name} [{contype}] {self.normalize(definition)}{'' if validated else ' NOT VALID'}"
            objects.append((table, text))
        for table, name, definition, clustered, valid in self.rows(_INDEXES_SQL):
            text = f"  index {name} {self.normalize(definition)}{' CLUSTERED' if clustered else ''}{'' if valid else ' INVALID'}"
            objects.append((table, text))
        for table, name, definition, enabled in self.rows(_TRIGGERS_SQL):
            objects.append((table, f"  trigger {name} [{enabled}] {self.normalize(definition)}"))
        for table, text in sorted(objects):
            self.per_table[table].append(text)

    def standalone_objects(self) -> list[str]:
        lines = [
            f"sequence {name} {type_} start={start} increment={inc} min={low} max={high} cache={cache}"
            f" cycle={cycle} owner=[{deptype}] {owner}"
            for name, type_, start, inc, low, high, cache, cycle, deptype, owner in self.rows(_SEQUENCES_SQL)
        ]
        lines += [f"view {name}: {self.normalize(definition).strip()}" for name, definition in self.rows(_VIEWS_SQL)]
        lines += [f"routine {name}: {self.normalize(definition).strip()}" for name, definition in self.rows(_FUNCTIONS_SQL)]
        lines += [f"type {name} [{kind}] {labels}" for name, kind, labels in self.rows(_TYPES_SQL)]
        lines += [f"statistics {name}: {self.normalize(definition)}" for name, definition in self.rows(_STATISTICS_SQL)]
        return sorted(lines)
