"""Celery application. Tasks carry the school schema they were sent from
(tenant-schemas-celery puts it in a header); a task sent outside a school runs in public."""

from __future__ import annotations

import os
from pathlib import Path

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = CeleryApp("zhurnal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_fallback_queue_dirs(sender: CeleryApp, **kwargs: object) -> None:
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if key in options:
            Path(str(options[key])).mkdir(parents=True, exist_ok=True)
