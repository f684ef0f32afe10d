"""`migrate_schemas` that leaves up-to-date schools alone.

django-tenants runs Django's whole `migrate` in every school schema, ~60 ms each even
with nothing to apply (a minute per thousand schools). Here one query over every
school's django_migrations finds the schemas that lack a migration, and the library's
executor (standard, multiprocessing, …) runs only for those. The template schema is
checked with the schools, so it never falls behind them.

Everything else (`--schema`, `--shared`, an explicit app/migration target, `--prune`,
`--run-syncdb`, multi-type tenants) is the library's behaviour unchanged; `--all-schemas`
asks for it on every school.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser
from django.db import connection
from django_tenants.management.commands import SyncCommon
from django_tenants.management.commands.migrate_schemas import GET_EXECUTOR_FUNCTION, MigrateSchemasCommand
from django_tenants.utils import get_public_schema_name, get_tenant_migration_order, has_multi_type_tenants

from tenants import provisioning
from tenants.models import School


class Command(MigrateSchemasCommand):
    help = (
        "Применяет миграции: к общей схеме и к схемам школ, пропуская школы, где все миграции уже применены. "
        + MigrateSchemasCommand.help
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--all-schemas", action="store_true", dest="all_schemas",
            help="Запускать migrate в каждой школе, даже если миграции уже применены.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        SyncCommon.handle(self, *args, **options)
        if not self._may_skip(options):
            super().handle(*args, **options)
            self._after_template_change()
            return
        self.PUBLIC_SCHEMA_NAME = get_public_schema_name()
        executor = GET_EXECUTOR_FUNCTION(codename=self.executor)(self.args, self.options)
        if self.sync_public:
            executor.run_migrations(tenants=[self.PUBLIC_SCHEMA_NAME])
        if self.sync_tenant:
            self._migrate_stale_schools(executor)

    def _may_skip(self, options: dict[str, Any]) -> bool:
        """Skipping is only sound for a plain "bring every school up to date"."""
        explicit = options.get("schema_name") or options.get("app_label") or options.get("migration_name")
        return not (
            explicit or options.get("all_schemas") or options.get("prune") or options.get("run_syncdb")
            or has_multi_type_tenants()
        )

    def _migrate_stale_schools(self, executor: Any) -> None:
        schools = self._school_schemas()
        template = provisioning.template_schema()
        self._create_template_schema_if_missing(template)
        stale = provisioning.stale_schemas([template, *schools])
        skipped = len(schools) - len([name for name in stale if name != template])
        if int(self.options.get("verbosity", 1)) >= 1:
            self.stdout.write(
                f"Школ: {len(schools)}; пропущено (все миграции применены): {skipped}; "
                f"к миграции: {len(stale)}" + (" (включая схему-шаблон)" if template in stale else "") + "."
            )
        if stale:
            executor.run_migrations(tenants=stale)
            self._after_template_change()

    def _school_schemas(self) -> list[str]:
        schools = School.objects.real().exclude(schema_name=get_public_schema_name())
        order = get_tenant_migration_order()
        if order is not None:
            schools = schools.order_by(*order)
        return list(schools.values_list("schema_name", flat=True))

    def _create_template_schema_if_missing(self, template: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE SCHEMA IF NOT EXISTS {connection.ops.quote_name(template)}")

    def _after_template_change(self) -> None:
        # This process may go on to clone schools (call_command from code or tests).
        provisioning.reset_caches(loader=False)
        connection.set_schema_to_public()  # type: ignore[attr-defined]  # django-tenants backend
