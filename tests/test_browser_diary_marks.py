"""What each mark was for, on a phone and in print, in headless Chromium (R-D01; 004 §3 «сведения
о содержании занятий и работ, по результатам которых получены оценки»). The family, the phone and
the browser are tests/test_browser_diary.py's fixtures; kept apart from
tests/test_messaging_diary_more.py so that a machine without Chromium skips only this file."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings

from tests import test_browser as browser_tests
from tests import test_browser_diary as bbase

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS)),
]
browser, _committed_schools_cleanup, phone, family = bbase.browser, bbase._committed_schools_cleanup, bbase.phone, bbase.family
expect, PASSWORD = bbase.expect, bbase.PASSWORD


def test_phone_taps_to_see_what_a_mark_was_for_and_print_shows_it(phone: Any, family: dict[str, Any]) -> None:
    """R-D01 in headless Chromium at 390 px: the marks page lists the works under a tap («За что
    отметки»), and the print view shows them without a tap (and hides the tap-to-open list)."""
    artyom = family["artyom"]
    browser_tests.sign_in(phone, "orlova.sv", PASSWORD)
    phone.wait_for_url(re.compile(r"/home/$"))
    phone.goto(f"/s/alpha/diary/{artyom.pk}/marks/")
    works = phone.get_by_test_id("mark-works")
    expect(works.locator("summary")).to_be_visible()
    expect(works.get_by_test_id("mark-work")).to_be_hidden()
    works.locator("summary").tap()
    expect(works.get_by_test_id("mark-work")).to_be_visible()
    expect(works.get_by_test_id("mark-work")).to_contain_text("Ответ на уроке: Устный счёт")
    expect(phone.get_by_test_id("mark-works-print")).to_be_hidden()
    phone.emulate_media(media="print")
    printed = phone.get_by_test_id("mark-works-print")
    expect(printed).to_be_visible()
    expect(printed.get_by_test_id("mark-work")).to_contain_text("Устный счёт")
    expect(works).to_be_hidden()
