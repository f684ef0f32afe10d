"""The real pages in headless Chromium (Playwright's sync API) against pytest-django's live server.

Journeys: a teacher of two schools signs in once and switches between them (R-P02); a school
administrator is made to set up TOTP before anything else, then reaches the staff page (R-A04).

The live server reads committed rows, so these tests are transactional. Two consequences,
both handled here:
* a school's schema is committed too and would outlive the flush: `_committed_schools_cleanup`
  empties the shared tables and drops every school schema in one transaction, before the
  flush runs (a School row left without its schema breaks the next session's migrate_schemas);
* school schemas (the template included) hold foreign keys to accounts_person, so a plain
  flush (TRUNCATE without CASCADE) is refused by PostgreSQL: the django_db mark names
  `available_apps`, which makes Django flush with CASCADE (reaching only the empty roster
  tables of the template). The module restores content types afterwards.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings

from accounts.roles import Role
from tenants.models import School
from tests.browser_support import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    PHONE,
    reset_committed_schools,
    school_schemas,
    totp_now,
)

if not CHROMIUM.exists():
    pytest.skip(f"{CHROMIUM} is absent (ops/test.sh installs Debian's chromium): browser tests skipped",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS)),
]

PASSWORD = "correct-horse-battery-9"
STEP_TIMEOUT_MS = 10_000


@pytest.fixture(scope="module")
def browser(django_db_blocker: Any) -> Iterator[Any]:
    # Playwright's sync API keeps an asyncio loop running in this thread, and Django refuses
    # ORM calls from a thread with a running loop; the test code here is plain synchronous code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_api.sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
        # The flush with available_apps does not re-create content types and permissions:
        # put them back for the tests that run after this module.
        with django_db_blocker.unblock():
            from django.core.management.sql import emit_post_migrate_signal

            emit_post_migrate_signal(verbosity=0, interactive=False, db="default")


@pytest.fixture
def _committed_schools_cleanup(live_server: Any) -> Iterator[None]:
    """Set up after the transactional database (autouse), so torn down before its flush."""
    if school_schemas() or School.objects.exists():
        reset_committed_schools()  # left over by an interrupted run: would clash with this test's schools
    yield
    reset_committed_schools()


@pytest.fixture
def page(browser: Any, live_server: Any, _committed_schools_cleanup: None) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, locale="ru-RU")
    context.set_default_timeout(STEP_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def sign_in(page: Any, login: str, password: str) -> None:
    page.goto("/login/")
    page.get_by_label("Логин").fill(login)
    page.get_by_label("Пароль").fill(password)
    page.get_by_role("button", name="Войти").click()


def test_teacher_of_two_schools_signs_in_once_and_switches(page: Any, make_person: Any, grant: Any,
                                                           school_a: Any, school_b: Any) -> None:
    """R-P02: one login across the district. A teacher of schools A and B signs in once, sees both
    schools, opens A, switches to B from the header, and is refused A's staff list (R-P04)."""
    teacher = make_person("Кузнецова", "Ирина", password=PASSWORD, login="kuznetsova.ir")
    grant(teacher, Role.TEACHER, school_a)
    grant(teacher, Role.TEACHER, school_b)
    colleague = make_person("Зябликова", "Алла")
    grant(colleague, Role.SCHOOL_ADMIN, school_a)

    sign_in(page, teacher.login, PASSWORD)
    page.wait_for_url(re.compile(r"/home/$"))
    expect(page.get_by_test_id("school-alpha")).to_have_text(school_a.short_name)
    expect(page.get_by_test_id("school-beta")).to_have_text(school_b.short_name)

    page.get_by_test_id("school-alpha").click()
    page.wait_for_url(re.compile(r"/s/alpha/$"))
    expect(page.get_by_test_id("school-title")).to_have_text(school_a.full_name)
    expect(page).to_have_title(re.compile(school_a.short_name))
    expect(page.get_by_test_id("current-school")).to_have_text(school_a.short_name)

    page.locator("details.switcher > summary").click()
    page.get_by_test_id("switch-beta").click()
    page.wait_for_url(re.compile(r"/s/beta/$"))
    expect(page.get_by_test_id("school-title")).to_have_text(school_b.full_name)
    expect(page.get_by_test_id("current-school")).to_have_text(school_b.short_name)

    response = page.goto("/s/alpha/staff/")
    assert response is not None and response.status == 403
    expect(page.get_by_test_id("error-message")).to_be_visible()
    expect(page.get_by_test_id("staff-table")).to_have_count(0)
    assert colleague.surname not in page.content()


def test_school_admin_sets_up_2fa_then_reaches_staff(page: Any, make_person: Any, grant: Any, school_a: Any) -> None:
    """R-A04: an administrator's account is protected by a second factor. Signing in without a device
    leads to the TOTP set-up; a code from the secret confirms it, backup codes are shown once, and
    only then the school and its staff page open. The school home is captured at phone width."""
    admin = make_person("Ястребова", "Елена", password=PASSWORD, login="yastrebova.el")
    grant(admin, Role.SCHOOL_ADMIN, school_a)

    sign_in(page, admin.login, PASSWORD)
    page.wait_for_url(re.compile(r"/account/2fa/setup/"))
    secret = page.get_by_test_id("totp-secret").inner_text()
    assert len(secret) >= 16

    # Nothing of the school before the second factor.
    response = page.goto("/s/alpha/staff/")
    assert response is not None
    assert re.search(r"/account/2fa/", page.url), page.url
    expect(page.get_by_test_id("staff-table")).to_have_count(0)
    page.goto("/account/2fa/setup/?next=/home/")
    secret = page.get_by_test_id("totp-secret").inner_text()

    page.get_by_label("Код из приложения или резервный код").fill(totp_now(secret))
    page.get_by_role("button", name="Включить").click()
    expect(page.get_by_role("heading", name="Резервные коды")).to_be_visible()
    expect(page.locator("ul.codes li")).to_have_count(10)

    page.get_by_role("link", name="Продолжить").click()
    page.wait_for_url(re.compile(r"/s/alpha/$"))  # one school, no district role: straight to it
    expect(page.get_by_test_id("school-title")).to_have_text(school_a.full_name)

    page.set_viewport_size(PHONE)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "school-home-390x844.png"), full_page=True)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the school home scrolls sideways by {overflow}px at phone width"

    page.get_by_role("link", name="Сотрудники и роли").click()
    page.wait_for_url(re.compile(r"/s/alpha/staff/$"))
    expect(page.get_by_test_id("staff-table")).to_contain_text(admin.surname)
