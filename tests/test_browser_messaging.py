"""Messages in headless Chromium at phone width against the live server (R-D06, issue 6 "Done when":
a parent writes to the class teacher).

A parent signs in on a 390 × 844 screen, writes to the class teacher of her son's class with a PDF,
an executable renamed to .pdf is refused in Russian on the way; the class teacher sees the unread
mark on the school's home tile, opens the conversation and answers; the parent sees the answer and
that her message was read. No page scrolls sideways. The browser, the page and the clean-up of
committed school schemas are tests/test_browser.py's fixtures."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.conf import settings

from accounts.roles import Role
from tests import test_browser as browser_tests
from tests.browser_support import ARTIFACTS, PHONE
from tests.conftest import make_class
from tests.test_messaging import EXE, PDF

expect = browser_tests.expect
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS)),
]
browser, page, _committed_schools_cleanup = browser_tests.browser, browser_tests.page, browser_tests._committed_schools_cleanup
PASSWORD = browser_tests.PASSWORD


@pytest.fixture
def family(school_a: Any, make_person: Any, grant: Any, settings: Any, tmp_path: Any) -> dict[str, Any]:
    from roster.models import Enrolment, Guardianship
    from tenants.db import use_public, use_school

    settings.MEDIA_ROOT = str(tmp_path / "media")
    parent = make_person("Смирнова", "Татьяна", password=PASSWORD, login="smirnova.ta")
    teacher = make_person("Шарова", "Вера", password=PASSWORD, login="sharova.vp")
    child = make_person("Смирнов", "Артём")
    use_school(school_a)
    try:
        cls = make_class(5, "А", class_teacher=teacher)
        Enrolment.objects.create(student=child, school_class=cls, since=dt.date(2026, 9, 1))
        Guardianship.objects.create(parent=parent, student=child, kind="mother")
    finally:
        use_public()
    grant(parent, Role.PARENT, school_a)
    grant(teacher, Role.CLASS_TEACHER, school_a, class_id=cls.pk)
    return {"school": school_a, "parent": parent, "teacher": teacher}


def sign_in(page: Any, login: str) -> None:
    page.goto("/login/")
    page.get_by_label("Логин").fill(login)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()


def no_sideways_scroll(page: Any, what: str) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{what} scrolls sideways by {overflow}px at phone width"


def test_parent_writes_to_the_class_teacher_on_a_phone(page: Any, family: dict[str, Any], browser: Any, live_server: Any) -> None:
    """R-D06: the parent's message with a file reaches the class teacher, who answers; read marks show."""
    slug = family["school"].slug
    page.set_viewport_size(PHONE)
    sign_in(page, "smirnova.ta")
    page.goto(f"/s/{slug}/messages/new/")
    no_sideways_scroll(page, "the new-message page")
    page.get_by_label("Шарова Вера").check()
    page.get_by_label("Тема (необязательно)").fill("Экскурсия")
    page.get_by_label("Сообщение").fill("Можно ли Артёму не ехать на экскурсию?")
    page.set_input_files("input[name=attachments]", files=[{"name": "заявление.pdf", "mimeType": "application/pdf", "buffer": EXE}])
    page.get_by_role("button", name="Отправить", exact=True).click()
    expect(page.get_by_test_id("error")).to_contain_text("исполняемая программа")
    page.get_by_label("Шарова Вера").check()
    page.set_input_files("input[name=attachments]", files=[{"name": "заявление.pdf", "mimeType": "application/pdf", "buffer": PDF}])
    page.get_by_role("button", name="Отправить", exact=True).click()
    expect(page.get_by_test_id("thread")).to_contain_text("Можно ли Артёму не ехать")
    expect(page.get_by_test_id("attachment")).to_contain_text("заявление.pdf")
    expect(page.get_by_test_id("read-mark")).to_have_text("доставлено")

    teacher_context = browser.new_context(base_url=live_server.url, locale="ru-RU", viewport=PHONE)
    teacher = teacher_context.new_page()
    try:
        sign_in(teacher, "sharova.vp")
        teacher.goto(f"/s/{slug}/")
        expect(teacher.get_by_test_id("tile-messages-unread")).to_have_text("1")
        teacher.get_by_test_id("tile-messages").click()
        teacher.get_by_text("Экскурсия").first.click()
        expect(teacher.get_by_test_id("thread")).to_contain_text("Можно ли Артёму не ехать")
        teacher.get_by_label("Ответ").fill("Можно, напишите заявление на имя директора.")
        teacher.get_by_role("button", name="Отправить", exact=True).click()
        expect(teacher.get_by_test_id("thread")).to_contain_text("напишите заявление")
        no_sideways_scroll(teacher, "the conversation")
    finally:
        teacher_context.close()

    page.reload()
    expect(page.get_by_test_id("thread")).to_contain_text("напишите заявление")
    expect(page.get_by_test_id("read-mark")).to_have_text("прочитано")
    no_sideways_scroll(page, "the conversation")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "messages-conversation-390x844.png"), full_page=True)
