"""Operations: the source-root layout, production settings, health endpoints, Sentry
scrubbing, the lock file, the ops/ scripts and the Helm chart's values."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _env(**overrides: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/zhurnal")
    env.setdefault("SECRET_KEY", "test-only-not-a-secret")
    env.update(overrides)
    return env


# --- platform/ is a source root, not a package shadowing the standard library ------------


def test_stdlib_platform_module_in_process() -> None:
    import platform

    assert platform.system()
    assert Path(platform.__file__).parent == Path(os.__file__).parent, platform.__file__


def test_stdlib_platform_module_with_manage_py_path() -> None:
    # The same sys.path manage.py builds, from the repository root ('' first, as with -c).
    code = (
        "import sys\n"
        "sys.path.insert(1, 'platform'); sys.path.insert(1, 'schools')\n"
        "import platform, uuid, os\n"
        "assert platform.system(), 'platform.system() is empty'\n"
        "assert os.path.dirname(platform.__file__) == os.path.dirname(os.__file__), platform.__file__\n"
        "print(platform.system())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_django_starts_from_repo_root_with_pythonpath() -> None:
    # What Celery and gunicorn see: PYTHONPATH=<root>:<root>/platform:<root>/schools.
    pythonpath = os.pathsep.join(str(ROOT / p) for p in ("", "platform", "schools"))
    code = "import platform, django; django.setup(); print(platform.system())"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=_env(PYTHONPATH=pythonpath, DJANGO_SETTINGS_MODULE="config.settings"),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_a_web_worker_settles_before_its_first_request() -> None:
    """What gunicorn's workers import (config.wsgi): the URLconf is resolved (every view imported)
    and start-up's objects are in the collector's permanent generation (config.startup), so that
    full collections stop walking them during requests (docs/PERFORMANCE.md, Journal)."""
    pythonpath = os.pathsep.join(str(ROOT / p) for p in ("", "platform", "schools"))
    code = ("import gc, sys; import config.wsgi; "
            "print(gc.get_freeze_count() > 10000, 'journal.api' in sys.modules, 'diary.views' in sys.modules)")
    result = subprocess.run([sys.executable, "-W", "ignore", "-c", code], cwd=ROOT, env=_env(PYTHONPATH=pythonpath),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "True"]


# --- production settings pass Django's deployment checks --------------------------------


@pytest.mark.slow
def test_check_deploy_is_clean_under_production_settings() -> None:
    env = _env(
        DJANGO_DEBUG="0",
        SECURE_SSL="1",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="zhurnal.example.ru",
    )
    for name in ("ZHURNAL_TESTING", "SENTRY_DSN", "SECURE_HSTS_SECONDS", "SECURE_SSL_REDIRECT"):
        env.pop(name, None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output and "ERRORS" not in output, output
    assert "no issues" in result.stdout, output


# --- health endpoints ---------------------------------------------------------------------


@pytest.fixture
def broker_reachable(settings, tmp_path):
    """With the file-system fallback the broker is 'up' when its folders exist."""
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        folder = tmp_path / "queue"
        folder.mkdir()
        settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
            "data_folder_in": str(folder),
            "data_folder_out": str(folder),
            "processed_folder": str(tmp_path / "processed"),
        }
    return settings


def test_health_ok_with_database_and_broker_up(client, db, broker_reachable) -> None:
    response = client.get("/health/")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"status": "ok", "checks": {"database": "ok", "broker": "ok"}}
    assert "no-cache" in response.get("Cache-Control", "")


def test_health_is_503_and_discreet_when_the_broker_is_down(client, db, settings) -> None:
    settings.CELERY_BROKER_URL = "redis://:hunter2-secret@127.0.0.1:1/0"  # nothing listens on port 1
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json() == {"status": "fail", "checks": {"database": "ok", "broker": "fail"}}
    body = response.content.decode()
    assert "hunter2" not in body and "127.0.0.1" not in body


def test_health_is_503_when_the_database_fails(client, db, broker_reachable, monkeypatch) -> None:
    from core import health

    def broken() -> None:
        raise RuntimeError("connection to server at 10.0.0.5 failed: password=s3cret")

    monkeypatch.setitem(health.CHECKS, "database", broken)
    response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["checks"]["database"] == "fail"
    assert b"s3cret" not in response.content and b"10.0.0.5" not in response.content


def test_health_filesystem_broker_needs_its_folders(client, db, settings, tmp_path) -> None:
    settings.CELERY_BROKER_URL = "filesystem://"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(tmp_path / "missing"),
        "data_folder_out": str(tmp_path / "missing"),
    }
    assert client.get("/health/").status_code == 503
    (tmp_path / "missing").mkdir()
    assert client.get("/health/").status_code == 200


def test_health_live_needs_no_database(client) -> None:
    # No `db` fixture: pytest-django fails the test if the liveness probe touches the database.
    for url in ("/health/live", "/health/live/"):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        assert response.json() == {"status": "ok"}


def test_health_rejects_writes(client) -> None:
    assert client.post("/health/live").status_code == 405


# --- Sentry: nothing personal leaves ----------------------------------------------------------


def test_sentry_scrub_event_removes_personal_data() -> None:
    from config.sentry import FILTERED, scrub_event

    event = {
        "user": {"id": 7, "username": "ivanov", "ip_address": "10.1.2.3"},
        "request": {
            "url": "https://zhurnal.example.ru/s/school-1/journal/",
            "method": "POST",
            "data": {"mark": "5", "comment": "Иванов Иван"},
            "cookies": {"sessionid": "abc"},
            "headers": {"Authorization": "Token xyz", "Cookie": "sessionid=abc"},
            "env": {"REMOTE_ADDR": "10.1.2.3"},
            "query_string": "login=ivanov",
        },
        "extra": {
            "surname": "Иванов",
            "patronymic": "Иванович",
            "email": "parent@example.ru",
            "lesson_id": 42,
            "note": "написал parent@example.ru",
            "nested": {"phone": "+7 900 000-00-00", "count": 3},
        },
        "exception": {
            "values": [
                {"stacktrace": {"frames": [{"function": "record_mark", "vars": {"password": "x", "student_id": 9}}]}}
            ]
        },
        "breadcrumbs": {"values": [{"message": "mail to parent@example.ru", "data": {"login": "ivanov", "n": 1}}]},
    }
    scrubbed = scrub_event(event, None)

    assert "user" not in scrubbed
    for key in ("data", "cookies", "headers", "env", "query_string"):
        assert key not in scrubbed["request"], key
    assert scrubbed["request"]["url"].endswith("/journal/")
    extra = scrubbed["extra"]
    assert extra["surname"] == extra["patronymic"] == extra["email"] == FILTERED
    assert extra["lesson_id"] == 42
    assert "parent@example.ru" not in extra["note"]
    assert extra["nested"]["phone"] == FILTERED and extra["nested"]["count"] == 3
    frame_vars = scrubbed["exception"]["values"][0]["stacktrace"]["frames"][0]["vars"]
    assert frame_vars["password"] == FILTERED and frame_vars["student_id"] == 9
    crumb = scrubbed["breadcrumbs"]["values"][0]
    assert "parent@example.ru" not in crumb["message"]
    assert crumb["data"]["login"] == FILTERED and crumb["data"]["n"] == 1
    text = repr(scrubbed)
    for secret in ("Иванов", "ivanov", "abc", "xyz", "10.1.2.3"):
        assert secret not in text, secret


# --- the lock file matches pyproject.toml ------------------------------------------------------


def test_requirements_lock_pins_every_declared_dependency() -> None:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = list(project["dependencies"]) + list(project["optional-dependencies"]["dev"])
    pinned: dict[str, str] = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;\\]+)", line)
        if match:
            pinned[canonicalize_name(match[1])] = match[2]
    problems = []
    for spec in declared:
        requirement = Requirement(spec)
        name = canonicalize_name(requirement.name)
        if name not in pinned:
            problems.append(f"{requirement.name} is not in requirements.lock")
        elif not requirement.specifier.contains(pinned[name], prereleases=True):
            problems.append(f"{requirement.name}=={pinned[name]} does not satisfy {requirement.specifier}")
    assert not problems, "regenerate the lock (see README): " + "; ".join(problems)


# --- the ops/ scripts ----------------------------------------------------------------------------


@pytest.mark.parametrize("script", ["ops/common.sh", "ops/run.sh", "ops/test.sh", ".ci/run"])
def test_shell_scripts_parse(script: str) -> None:
    result = subprocess.run(["bash", "-n", str(ROOT / script)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_test_command_fails_when_no_test_is_collected() -> None:
    # pytest exits 5 when it collects nothing; the test command must turn that into a failure.
    result = subprocess.run(
        ["bash", "ops/test.sh", "-p", "no:cacheprovider", "-k", "no_test_is_named_like_this_zz", "tests/test_ops.py"],
        cwd=ROOT,
        env=_env(ZHURNAL_SKIP_BROWSER_INSTALL="1"),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "collected no tests" in result.stderr


# --- the Helm chart ---------------------------------------------------------------------------------


def test_helm_templates_only_use_values_that_exist() -> None:
    import yaml

    chart = ROOT / "helm"
    values = yaml.safe_load((chart / "values.yaml").read_text())
    assert yaml.safe_load((chart / "Chart.yaml").read_text())["name"]
    missing = set()
    for template in (chart / "templates").glob("*"):
        for dotted in re.findall(r"\.Values((?:\.[A-Za-z_][A-Za-z0-9_]*)+)", template.read_text()):
            node = values
            for part in dotted.strip(".").split("."):
                if not isinstance(node, dict) or part not in node:
                    missing.add(f"{template.name}: .Values{dotted}")
                    break
                node = node[part]
    assert not missing, sorted(missing)
