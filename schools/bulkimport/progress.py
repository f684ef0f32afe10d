"""Progress of a long check or import, visible to the page while the work runs.

The work itself runs in one transaction (the check is rolled back, an import is all or
nothing), so its own writes are invisible until it ends. Progress is therefore written
through a second, autocommit connection of its own, at most once a second. The work's
transaction never touches the job row until the progress connection is closed, so the
two never wait on each other. Each write also marks the job alive (`alive_at`)."""

from __future__ import annotations

import time
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

INTERVAL_SECONDS = 1.0


class Progress:
    def __init__(self, job_id: int, schema_name: str, total: int) -> None:
        self.job_id = job_id
        self.schema_name = schema_name
        self.total = total
        self._last = 0.0
        self._conn: Any = None

    def tick(self, done: int) -> None:
        now = time.monotonic()
        if now - self._last >= INTERVAL_SECONDS:
            self._last = now
            self._write(done)

    def finish(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _write(self, done: int) -> None:
        if self._conn is None:
            conn = connections.create_connection(DEFAULT_DB_ALIAS)
            conn.set_schema(self.schema_name)  # type: ignore[attr-defined]  # django-tenants' wrapper
            self._conn = conn
        with self._conn.cursor() as cursor:
            cursor.execute(
                # alive_at: the sign of life the sweep (services.fail_abandoned) looks at.
                "UPDATE bulkimport_importjob SET progress_done = %s, progress_total = %s, alive_at = now() WHERE id = %s",
                [done, self.total, self.job_id],
            )
