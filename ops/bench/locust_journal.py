"""Locust users for ops/bench/load_journal.py (not run directly: load_journal.py prepares the
plan file, starts gunicorn, runs locust headless and checks the database afterwards).

The plan (JSON, path in ZH_LOAD_PLAN) gives each simulated person what they may do:
  * "teachers": an API token and the cells (work, student, version) of their own lessons inside
    the 7-day lock; a TeacherEnteringMarks user takes one teacher and puts marks into those
    cells one after another, as the grid's keyboard entry does (PUT …/journal/marks/ with the
    cell's version), pausing 0.5–1.5 s between marks;
  * "parents": a session cookie and the diary pages to read; a ParentReadingDiary user (the
    second scenario, "300 parents reading diaries") takes one parent and reads those pages.

Every successful save is written to ZH_LOAD_RESULTS (JSON lines, one file per process) with the
cell, the value and the version returned, so that load_journal.py can prove no write was lost."""

from __future__ import annotations

import itertools
import json
import os
import random
import threading
from typing import Any

from locust import HttpUser, between, events, task

PLAN: dict[str, Any] = json.loads(open(os.environ["ZH_LOAD_PLAN"]).read()) if os.environ.get("ZH_LOAD_PLAN") else {}
_next_teacher = itertools.count()
_next_parent = itertools.count()
_lock = threading.Lock()
_saved: list[dict[str, Any]] = []


_WAIT = [float(x) for x in os.environ.get("ZH_LOAD_WAIT", "0.5,1.5").split(",")]


class TeacherEnteringMarks(HttpUser):
    wait_time = between(_WAIT[0], _WAIT[1])

    def on_start(self) -> None:
        teachers = PLAN.get("teachers", [])
        me = teachers[next(_next_teacher) % len(teachers)]
        self.slug = PLAN["slug"]
        self.headers = {"Authorization": f"Token {me['token']}", "Accept": "application/json"}
        self.cells = [tuple(c) for c in me["cells"]]  # (work, student, version)
        random.shuffle(self.cells)
        self.version = {(w, s): v for w, s, v in self.cells}
        self.turn = 0

    @task
    def put_mark(self) -> None:
        work, student, _ = self.cells[self.turn % len(self.cells)]
        self.turn += 1
        value = str(random.randint(2, 5))
        body = {"work": work, "student": student, "value": value, "version": self.version[(work, student)]}
        with self.client.put(f"/api/v1/schools/{self.slug}/journal/marks/", json=body, headers=self.headers,
                             name="PUT journal/marks", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {response.error or response.text[:200]}")
                return
            version = response.json()["version"]
            self.version[(work, student)] = version
            with _lock:
                _saved.append({"work": work, "student": student, "value": value, "version": version})
            response.success()


class ParentReadingDiary(HttpUser):
    """The second scenario. Its pages come from the plan ("parents": [{"cookie": …, "pages": […]}]),
    which load_journal.py fills only when the diary's pages exist (see its `diary_pages`)."""

    wait_time = between(_WAIT[0], _WAIT[1])

    def on_start(self) -> None:
        parents = PLAN.get("parents", [])
        me = parents[next(_next_parent) % len(parents)]
        self.client.cookies.set(me["cookie_name"], me["cookie"])
        self.pages = me["pages"]

    @task
    def read(self) -> None:
        page = random.choice(self.pages)
        with self.client.get(page, name="GET diary", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}: {response.error or response.text[:200]}")
            else:
                response.success()


@events.quitting.add_listener
def _write_results(environment: Any, **_: Any) -> None:
    path = os.environ.get("ZH_LOAD_RESULTS")
    if path:
        with open(path, "w") as out:
            for row in _saved:
                out.write(json.dumps(row) + "\n")
