"""The diary on a phone, in headless Chromium (Playwright) against the live server (R-D01, R-D02, R-A02).

A parent with two children — Artyom in school A, Alisa in school B — signs in on a phone-sized
screen, opens the diary from the header, reads Artyom's week (his mark with the work it was for,
the homework), switches to Alisa in one tap and reads her week and her marks with the forecast.

"Today" is Wednesday 2026-11-25 (journal.rules.today is patched: the live server runs in this
process). The browser, the page and the clean-up of committed school schemas are
tests/test_browser.py's fixtures (see its docstring)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings

from accounts.roles import Role
from tests import test_browser as browser_tests
from tests.browser_support import ARTIFACTS, PHONE
from tests.conftest import make_class

expect = browser_tests.expect
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS)),
]
browser, _committed_schools_cleanup = browser_tests.browser, browser_tests._committed_schools_cleanup
PASSWORD = browser_tests.PASSWORD
D = dt.date
TODAY = D(2026, 11, 25)


@pytest.fixture
def phone(browser: Any, live_server: Any, _committed_schools_cleanup: None) -> Any:
    context = browser.new_context(base_url=live_server.url, locale="ru-RU", viewport=PHONE, is_mobile=True, has_touch=True)
    context.set_default_timeout(browser_tests.STEP_TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


def _child_in(school: Any, grade: int, child: Any, teacher: Any, subject_name: str, topic: str, homework: str, value: int,
              work_topic: str) -> None:
    """A class with the child, a weekly timetable and one lesson this week with a mark."""
    from curriculum.models import CurriculumLine, Subject
    from journal.models import Lesson, Mark, Work, WorkType
    from roster.models import Enrolment
    from schoolyear.models import PeriodScheme, StudyPeriod
    from tenants.db import use_public, use_school
    from timetable.models import TimetableEntry

    use_school(school)
    try:
        cls = make_class(grade, "А")
        scheme = PeriodScheme.objects.create(year=cls.year, kind="quarter", grades=[grade])
        StudyPeriod.objects.create(scheme=scheme, number=2, name="2 четверть", starts_on=D(2026, 11, 5), ends_on=D(2026, 12, 27))
        subject = Subject.objects.create(name=subject_name)
        CurriculumLine.objects.create(school_class=cls, subject=subject, hours_per_week=Decimal(3))
        Enrolment.objects.create(student=child, school_class=cls, since=D(2026, 9, 1))
        for weekday in (1, 2, 3):
            TimetableEntry.objects.create(school_class=cls, weekday=weekday, lesson_number=1, subject=subject, teacher=teacher,
                                          valid_from=D(2026, 9, 1))
        lesson = Lesson.objects.create(school_class=cls, subject=subject, teacher=teacher, created_by=teacher, date=D(2026, 11, 24),
                                       lesson_number=1, topic=topic, homework=homework)
        work = Work.objects.create(lesson=lesson, work_type=WorkType.objects.get(name="Ответ на уроке"), position=1, topic=work_topic)
        Mark.objects.create(work=work, student=child, value=value, created_by=teacher)
    finally:
        use_public()


@pytest.fixture
def family(school_a: Any, school_b: Any, make_person: Any, grant: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    from journal import rules
    from roster.models import Guardianship
    from tenants.db import use_public, use_school

    monkeypatch.setattr(rules, "today", lambda: TODAY)
    parent = make_person("Орлова", "Светлана", password=PASSWORD, login="orlova.sv")
    artyom, alisa = make_person("Орлов", "Артём"), make_person("Орлова", "Алиса")
    teacher_a, teacher_b = make_person("Лебедева", "Ольга"), make_person("Козлов", "Дмитрий")
    for person, role, school in ((parent, Role.PARENT, school_a), (parent, Role.PARENT, school_b), (artyom, Role.STUDENT, school_a),
                                 (alisa, Role.STUDENT, school_b), (teacher_a, Role.TEACHER, school_a), (teacher_b, Role.TEACHER, school_b)):
        grant(person, role, school)
    _child_in(school_a, 3, artyom, teacher_a, "Математика", "Таблица умножения на 7", "Выучить таблицу на 7", 5, "Устный счёт")
    _child_in(school_b, 8, alisa, teacher_b, "Физика", "Закон Ома", "§ 42, задачи 1–3", 4, "Лабораторная работа")
    for school, child in ((school_a, artyom), (school_b, alisa)):
        use_school(school)
        try:
            Guardianship.objects.create(parent=parent, student=child, kind="mother")
        finally:
            use_public()
    return {"parent": parent, "artyom": artyom, "alisa": alisa}


def test_parent_of_two_switches_child_and_reads_marks_and_homework_on_a_phone(phone: Any, family: dict[str, Any]) -> None:
    """R-D01, R-D02, R-A02: on a 390 px screen the parent opens the diary, reads one child's week
    (mark with its work, homework), switches to the other child in one tap, reads hers, and her
    marks page with the forecast; no horizontal scrolling of the page."""
    artyom, alisa = family["artyom"], family["alisa"]
    browser_tests.sign_in(phone, "orlova.sv", PASSWORD)
    phone.wait_for_url(re.compile(r"/home/$"))
    phone.get_by_test_id("nav-diary").click()
    phone.wait_for_url(re.compile(r"/diary/$"))
    phone.get_by_test_id(f"child-{artyom.pk}").click()
    phone.wait_for_url(re.compile(rf"/s/alpha/diary/{artyom.pk}/$"))
    expect(phone.get_by_test_id("diary-child")).to_contain_text("Орлов Артём")
    tuesday = phone.get_by_test_id("day-2026-11-24")
    expect(tuesday.get_by_test_id("mark")).to_have_text("5")
    expect(tuesday).to_contain_text("Устный счёт")
    expect(tuesday.get_by_test_id("homework")).to_contain_text("Выучить таблицу на 7")
    expect(phone.get_by_test_id("week-label")).to_contain_text("Эта неделя")

    switch = phone.get_by_test_id("child-switch")
    expect(switch.get_by_test_id(f"child-{alisa.pk}")).to_be_visible()
    switch.get_by_test_id(f"child-{alisa.pk}").tap()
    phone.wait_for_url(re.compile(rf"/s/beta/diary/{alisa.pk}/$"))
    expect(phone.get_by_test_id("diary-child")).to_contain_text("Орлова Алиса")
    tuesday = phone.get_by_test_id("day-2026-11-24")
    expect(tuesday.get_by_test_id("mark")).to_have_text("4")
    expect(tuesday).to_contain_text("Лабораторная работа")
    expect(tuesday.get_by_test_id("homework")).to_contain_text("§ 42, задачи 1–3")
    assert "Выучить таблицу на 7" not in phone.content()
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    ARTIFACTS.mkdir(exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "diary-week-phone.png"), full_page=True)

    phone.get_by_test_id("tab-marks").tap()
    phone.wait_for_url(re.compile(rf"/s/beta/diary/{alisa.pk}/marks/$"))
    expect(phone.get_by_test_id("marks-by-subject")).to_contain_text("Физика")
    expect(phone.get_by_test_id("marks-by-subject").get_by_test_id("mark")).to_have_text("4")
    expect(phone.get_by_test_id("forecast-mark")).to_have_text("4")
    expect(phone.get_by_test_id("forecast")).to_contain_text("До «5»")
    phone.screenshot(path=str(ARTIFACTS / "diary-marks-phone.png"), full_page=True)
    # Back to the first child from the marks page: the switch keeps the page.
    phone.get_by_test_id("child-switch").get_by_test_id(f"child-{artyom.pk}").tap()
    phone.wait_for_url(re.compile(rf"/s/alpha/diary/{artyom.pk}/marks/$"))
