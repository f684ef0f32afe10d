"""Creating a school's schema: a clone of the template is the same schema as a migrated
one, keeps constraint names, never comes from a stale template, and a failure leaves
nothing behind. Plus `migrate_schemas`, which skips schools that are up to date.

Every test runs inside pytest-django's transaction; PostgreSQL DDL rolls back with it,
so schemas made (or template damage done) here disappear after each test.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, models, transaction
from django.db.migrations.exceptions import IrreversibleError
from django.db.migrations.loader import MigrationLoader
from django_tenants.signals import schema_migrated
from django_tenants.utils import schema_context, schema_exists

from accounts.models import Person
from core.errors import Conflict, ValidationFailed
from tenants import provisioning, services
from tenants.models import School
from tenants.schema_dump import diff_dumps, dump_schema
from tenants.services import SchoolData, create_school

pytestmark = pytest.mark.django_db

TEMPLATE = provisioning.template_schema()


@pytest.fixture(autouse=True)
def _fresh_clone_scripts() -> Iterator[None]:
    """Tests change the template inside their transaction; a script built from that
    state must not outlive the rollback."""
    provisioning.ensure_template()
    provisioning.reset_caches(loader=False)
    yield
    provisioning.reset_caches(loader=False)
    connection.set_schema_to_public()


def run_sql(sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def school_schemas() -> set[str]:
    return {name for (name,) in run_sql("SELECT nspname FROM pg_namespace WHERE nspname LIKE %s", ["s\\_%"])}


def constraint_names(schema: str) -> set[str]:
    rows = run_sql(
        "SELECT con.conname FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid"
        " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s",
        [schema],
    )
    return {name for (name,) in rows}


def index_names(schema: str) -> set[str]:
    return {name for (name,) in run_sql("SELECT indexname FROM pg_indexes WHERE schemaname = %s", [schema])}


def assert_same_schema(left: str, right: str) -> None:
    diff = diff_dumps(dump_schema(left), dump_schema(right), left, right)
    assert not diff, f"schemas differ:\n{diff}"


def migrated_models() -> list[type[models.Model]]:
    """The tenant apps' models as their migrations leave them (not as the code says)."""
    state_apps = MigrationLoader(None, ignore_no_migrations=True).project_state().apps
    labels = provisioning.tenant_app_labels()
    return [model for model in state_apps.get_models() if model._meta.app_label in labels]


def named_constraints() -> list[tuple[type[models.Model], models.BaseConstraint]]:
    return [(model, constraint) for model in migrated_models() for constraint in model._meta.constraints]


def unapply_last_migration(schema: str) -> tuple[str, str]:
    """Makes a schema stale the honest way: its last reversible tenant migration is
    unapplied (its row deleted, the tables or columns it made dropped)."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    labels = provisioning.tenant_app_labels()
    for app, name in sorted(loader.graph.leaf_nodes(), reverse=True):
        if app not in labels:
            continue
        parents = [parent for parent in loader.graph.node_map[(app, name)].parents if parent.key[0] == app]
        target = parents[0].key[1] if parents else "zero"
        try:
            with transaction.atomic():
                call_command("migrate_schemas", app, target, schema_name=schema, interactive=False, verbosity=0)
        except IrreversibleError:
            continue
        finally:
            connection.set_schema_to_public()
        assert (app, name) not in (provisioning.applied_migrations(schema) or set())
        return app, name
    pytest.skip("no reversible tenant migration to unapply")


# --- clone == migrate ----------------------------------------------------------------


def test_clone_is_the_same_schema_as_migration() -> None:
    provisioning.clone_schema("s_t_cloned")  # no fallback: this is the clone itself
    provisioning.migrate_new_schema("s_t_migrated")

    assert_same_schema("s_t_cloned", "s_t_migrated")
    assert_same_schema("s_t_cloned", TEMPLATE)
    dump = dump_schema("s_t_cloned")
    # References to people carry no constraint into public (core.fields.PersonFK): one per school
    # would hang an RI trigger per school on accounts_person. Inside the school, constraints stay.
    assert "REFERENCES public." not in dump
    assert "REFERENCES <schema>." in dump


def test_a_new_school_adds_no_trigger_to_the_district_tables(make_school: Any) -> None:
    """R-P01 at scale: creating a school must not grow the public tables' trigger lists (each RI
    trigger there slows every later school creation and every write of a person row)."""
    count = "SELECT count(*) FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'"
    with connection.cursor() as cursor:
        cursor.execute(count)
        before = cursor.fetchone()[0]
        make_school()
        cursor.execute(count)
        assert cursor.fetchone()[0] == before


def test_clone_is_fully_migrated_and_independent_of_the_template() -> None:
    provisioning.clone_schema("s_t_cloned")

    assert provisioning.applied_migrations("s_t_cloned") == provisioning.applied_migrations(TEMPLATE)
    assert provisioning.stale_schemas(["s_t_cloned"]) == []
    # The clone's tables and sequences are its own: writing to it leaves the template as it was.
    def template_state() -> list[tuple[Any, ...]]:
        return run_sql(
            f"SELECT count(*), max(id), (SELECT last_value FROM {TEMPLATE}.django_migrations_id_seq)"
            f" FROM {TEMPLATE}.django_migrations"
        )

    before = template_state()
    new_id = run_sql("INSERT INTO s_t_cloned.django_migrations (app, name, applied) VALUES ('x', 'y', now()) RETURNING id")
    assert template_state() == before
    assert new_id[0][0] > before[0][1]


def test_new_school_is_cloned(make_school: Callable[..., School], monkeypatch: pytest.MonkeyPatch) -> None:
    methods: list[str] = []
    original = provisioning.provision_schema

    def spy(name: str) -> str:
        methods.append(original(name))
        return methods[-1]

    monkeypatch.setattr(provisioning, "provision_schema", spy)

    school = make_school("gamma")

    assert methods == ["clone"]
    assert school.schema_name == "s_gamma"
    assert_same_schema(school.schema_name, TEMPLATE)


def test_template_is_no_school() -> None:
    assert not School.objects.filter(schema_name=TEMPLATE).exists()
    assert TEMPLATE not in provisioning.stale_schemas([TEMPLATE])


def test_ensure_template_is_cheap_when_current(django_assert_max_num_queries: Any) -> None:
    with django_assert_max_num_queries(4):  # two queries, each after the backend's SET search_path
        assert provisioning.ensure_template() is False


# --- constraint names (the trap of django_tenants.clone) ---------------------------------


def test_named_constraints_survive_the_clone(make_school: Callable[..., School]) -> None:
    school = make_school("delta")
    expected = named_constraints()
    assert any(isinstance(constraint, models.UniqueConstraint) for _, constraint in expected)

    present = constraint_names(school.schema_name) | index_names(school.schema_name)
    assert {constraint.name for _, constraint in expected} <= present

    # What a later RemoveConstraint migration does: it finds every one by its name.
    with schema_context(school.schema_name), connection.schema_editor() as editor:
        for model, constraint in expected:
            editor.remove_constraint(model, constraint)
    remaining = constraint_names(school.schema_name) | index_names(school.schema_name)
    assert not {constraint.name for _, constraint in expected} & remaining


# --- a stale or missing template ---------------------------------------------------------


def test_stale_template_is_migrated_before_cloning(make_school: Callable[..., School]) -> None:
    missing = unapply_last_migration(TEMPLATE)
    assert provisioning.stale_schemas([TEMPLATE]) == [TEMPLATE]

    school = make_school("epsilon")

    assert missing in (provisioning.applied_migrations(school.schema_name) or set())
    assert provisioning.stale_schemas([TEMPLATE, school.schema_name]) == []
    provisioning.migrate_new_schema("s_t_migrated")
    assert_same_schema(school.schema_name, "s_t_migrated")


def test_missing_template_is_made_before_cloning(make_school: Callable[..., School]) -> None:
    provisioning.drop_schema(TEMPLATE)

    school = make_school("zeta")

    assert schema_exists(TEMPLATE)
    assert not School.objects.filter(schema_name=TEMPLATE).exists()
    provisioning.migrate_new_schema("s_t_migrated")
    assert_same_schema(school.schema_name, "s_t_migrated")


def test_template_object_the_cloner_cannot_copy_falls_back_to_migration() -> None:
    run_sql(f"CREATE TYPE {TEMPLATE}.mood AS ENUM ('ok', 'bad')")

    with pytest.raises(provisioning.CloneUnsupported, match="type mood"):
        provisioning.clone_schema("s_t_cloned")
    assert provisioning.provision_schema("s_t_fallback") == "migrate"

    assert not schema_exists("s_t_cloned")
    provisioning.migrate_new_schema("s_t_migrated")
    assert_same_schema("s_t_fallback", "s_t_migrated")


def test_clone_copies_routines_triggers_sequences_views_and_rows() -> None:
    """What RunSQL migrations may put into a school schema is copied under its own names."""
    run_sql(f"""
        SET search_path TO {TEMPLATE}, public;
        CREATE FUNCTION zz_refuse() RETURNS trigger LANGUAGE plpgsql
            AS $$ BEGIN RAISE EXCEPTION 'refused'; END; $$;
        CREATE SEQUENCE zz_number_seq START 100;
        CREATE TABLE zz_doc (id serial PRIMARY KEY, num int DEFAULT nextval('zz_number_seq'),
                             body text COLLATE "C", twice int GENERATED ALWAYS AS (num * 2) STORED,
                             person_id bigint REFERENCES public.accounts_person (id) DEFERRABLE INITIALLY DEFERRED)
            WITH (fillfactor = 70);
        COMMENT ON TABLE zz_doc IS 'документы';
        COMMENT ON COLUMN zz_doc.body IS 'текст';
        ALTER TABLE zz_doc ADD CONSTRAINT zz_doc_num_positive CHECK (num > 0);
        ALTER TABLE zz_doc ADD CONSTRAINT zz_doc_body_excl EXCLUDE USING btree (body WITH =);
        ALTER TABLE zz_doc ADD CONSTRAINT zz_doc_num_uniq UNIQUE (num);
        CREATE INDEX zz_doc_lower_body ON zz_doc (lower(body)) WHERE num > 100;
        CREATE TABLE zz_line (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                              doc_id int CONSTRAINT zz_line_doc_fk REFERENCES zz_doc (id));
        CREATE TRIGGER zz_doc_keep BEFORE DELETE ON zz_doc FOR EACH ROW EXECUTE FUNCTION zz_refuse();
        CREATE TRIGGER zz_doc_off BEFORE UPDATE ON zz_doc FOR EACH ROW EXECUTE FUNCTION zz_refuse();
        ALTER TABLE zz_doc DISABLE TRIGGER zz_doc_off;
        INSERT INTO zz_doc (body) VALUES ('a'), ('b');
        CREATE VIEW zz_doc_numbers AS SELECT d.id, d.num FROM zz_doc d;
        CREATE VIEW zz_doc_ids AS SELECT id FROM zz_doc_numbers;
        CREATE STATISTICS zz_doc_stats (dependencies) ON id, num FROM zz_doc;
        SET search_path TO public;
    """)

    provisioning.clone_schema("s_t_cloned")

    assert_same_schema("s_t_cloned", TEMPLATE)
    assert run_sql("SELECT id, num, twice FROM s_t_cloned.zz_doc ORDER BY id") == [(1, 100, 200), (2, 101, 202)]
    # Sequences continue where the template's are, and belong to the clone.
    assert run_sql("INSERT INTO s_t_cloned.zz_doc (body) VALUES ('c') RETURNING id, num") == [(3, 102)]
    assert run_sql(f"SELECT last_value FROM {TEMPLATE}.zz_number_seq") == [(101,)]
    trigger_function = run_sql(
        "SELECT p.pronamespace::regnamespace::text FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid"
        " WHERE t.tgname = 'zz_doc_keep' AND t.tgrelid = 's_t_cloned.zz_doc'::regclass"
    )
    assert trigger_function == [("s_t_cloned",)]
    with pytest.raises(Exception, match="refused"), transaction.atomic():
        run_sql("DELETE FROM s_t_cloned.zz_doc")


# --- all or nothing -------------------------------------------------------------------------


def test_failure_after_the_schema_leaves_no_schema_and_no_row(
    district_admin: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail_after_provisioning(name: str) -> str:
        provisioning.clone_schema(name)
        assert schema_exists(name)
        raise RuntimeError("сбой после создания схемы")

    monkeypatch.setattr(provisioning, "provision_schema", fail_after_provisioning)
    schools_before = School.objects.count()

    with pytest.raises(RuntimeError):
        create_school(district_admin, SchoolData(slug="eta", full_name="Школа Эта", short_name="Эта", municipal_code="E1"))

    assert School.objects.count() == schools_before
    assert not schema_exists("s_eta")


def test_failure_of_the_audit_record_rolls_the_schema_back(
    district_admin: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    def audit_down(**kwargs: Any) -> None:
        raise RuntimeError("аудит недоступен")

    monkeypatch.setattr(services, "record", audit_down)

    with pytest.raises(RuntimeError):
        create_school(district_admin, SchoolData(slug="theta", full_name="Школа Тета", short_name="Тета", municipal_code="T1"))

    assert not School.objects.filter(slug="theta").exists()
    assert not schema_exists("s_theta")


@pytest.mark.parametrize("slug", ["Bad Slug", "-edge", "edge-", "кириллица", "x" * 41, "", "template", "alpha"])
def test_bad_or_taken_slug_creates_nothing(district_admin: Person, make_school: Callable[..., School], slug: str) -> None:
    make_school("alpha", full_name="Школа Альфа", short_name="Альфа")
    schools_before, schemas_before = School.objects.count(), school_schemas()

    with pytest.raises(ValidationFailed) as error:
        create_school(district_admin, SchoolData(slug=slug, full_name="Новая школа", short_name="Новая", municipal_code="N1"))

    assert "slug" in error.value.fields
    assert School.objects.count() == schools_before
    assert school_schemas() == schemas_before


def test_an_orphan_schema_is_not_adopted() -> None:
    run_sql("CREATE SCHEMA s_t_orphan")

    with pytest.raises(Conflict):
        provisioning.provision_schema("s_t_orphan")


# --- migrate_schemas ------------------------------------------------------------------------


def test_stale_schemas_finds_missing_migrations_tables_and_schemas() -> None:
    provisioning.clone_schema("s_t_current")
    provisioning.clone_schema("s_t_behind")
    app, name = min(provisioning.expected_migrations())
    run_sql("DELETE FROM s_t_behind.django_migrations WHERE app = %s AND name = %s", [app, name])
    run_sql("CREATE SCHEMA s_t_empty")

    stale = provisioning.stale_schemas(["s_t_current", "s_t_behind", "s_t_empty", "s_t_absent", TEMPLATE])

    assert stale == ["s_t_behind", "s_t_empty", "s_t_absent"]


def test_migrate_schemas_skips_up_to_date_schools(make_school: Callable[..., School]) -> None:
    current, behind = make_school("iota"), make_school("kappa")
    missing = unapply_last_migration(behind.schema_name)
    migrated: list[str] = []

    def on_migrated(sender: Any, schema_name: str, **kwargs: Any) -> None:
        migrated.append(schema_name)

    schema_migrated.connect(on_migrated)
    out = StringIO()
    try:
        call_command("migrate_schemas", tenant=True, interactive=False, stdout=out)
    finally:
        schema_migrated.disconnect(on_migrated)

    schools = School.objects.real().count()
    assert migrated == [behind.schema_name]
    assert f"Школ: {schools}; пропущено (все миграции применены): {schools - 1}; к миграции: 1." in out.getvalue()
    assert missing in (provisioning.applied_migrations(behind.schema_name) or set())
    assert_same_schema(behind.schema_name, current.schema_name)


def test_migrate_schemas_migrates_a_stale_template_with_the_schools(make_school: Callable[..., School]) -> None:
    make_school("lambda")
    unapply_last_migration(TEMPLATE)
    migrated: list[str] = []

    def on_migrated(sender: Any, schema_name: str, **kwargs: Any) -> None:
        migrated.append(schema_name)

    schema_migrated.connect(on_migrated)
    try:
        call_command("migrate_schemas", tenant=True, interactive=False, stdout=StringIO())
    finally:
        schema_migrated.disconnect(on_migrated)

    assert migrated == [TEMPLATE]
    assert provisioning.stale_schemas([TEMPLATE]) == []


def test_migrate_schemas_for_one_schema_is_the_librarys(make_school: Callable[..., School]) -> None:
    school = make_school("mu")
    migrated: list[str] = []

    def on_migrated(sender: Any, schema_name: str, **kwargs: Any) -> None:
        migrated.append(schema_name)

    schema_migrated.connect(on_migrated)
    try:
        call_command("migrate_schemas", schema_name=school.schema_name, interactive=False, stdout=StringIO())
    finally:
        schema_migrated.disconnect(on_migrated)

    assert migrated == [school.schema_name]  # an explicit --schema always runs migrate
