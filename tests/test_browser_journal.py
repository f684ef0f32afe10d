"""The journal grid in headless Chromium (Playwright) against the live server (R-J03, R-J07, R-J02).

A teacher signs in, opens the grid of her class, types a row of marks with the keyboard (digits,
arrows, Enter) and an absence («н»), reloads and sees them saved, then types a mark into a column
dated past the 7-day lock and sees the server's refusal in Russian; nothing of it is saved.

The live server runs in this process, so "today" is fixed by patching journal.rules.today (the
journal's one clock) to Wednesday 2026-11-25. The browser, the page and the clean-up of committed
school schemas are tests/test_browser.py's fixtures (see its docstring for why they are needed)."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings

from accounts.roles import Role
from tests import test_browser as browser_tests
from tests.conftest import make_class

expect = browser_tests.expect
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, available_apps=list(settings.INSTALLED_APPS)),
]
browser, page, _committed_schools_cleanup = browser_tests.browser, browser_tests.page, browser_tests._committed_schools_cleanup
PASSWORD = browser_tests.PASSWORD
D = dt.date
TODAY = D(2026, 11, 25)
RECENT = [D(2026, 11, 20), D(2026, 11, 23), D(2026, 11, 24)]  # inside the lock
OLD = D(2026, 11, 16)  # nine days ago: past it


@pytest.fixture
def journal(school_a: Any, make_person: Any, grant: Any, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    from curriculum.models import Subject, TeachingAssignment
    from journal import rules
    from journal.models import Lesson, Work, WorkType
    from roster.models import Enrolment
    from tenants.db import use_public, use_school

    monkeypatch.setattr(rules, "today", lambda: TODAY)
    teacher = make_person("Соколова", "Анна", password=PASSWORD, login="sokolova.an")
    students = [make_person(surname, "Тест") for surname in ("Авдеев", "Борисова", "Валиев")]
    grant(teacher, Role.TEACHER, school_a)
    use_school(school_a)
    try:
        cls = make_class(7, "В")
        maths = Subject.objects.create(name="Алгебра")
        TeachingAssignment.objects.create(teacher=teacher, subject=maths, school_class=cls, hours_per_week=Decimal(3))
        for s in students:
            Enrolment.objects.create(student=s, school_class=cls, since=D(2026, 9, 1))
        answer = WorkType.objects.get(name="Ответ на уроке")
        works = {}
        for day in [OLD, *RECENT]:
            lesson = Lesson.objects.create(school_class=cls, subject=maths, teacher=teacher, created_by=teacher, date=day, lesson_number=3,
                                           topic=f"Тема {day:%d.%m}")
            works[day] = Work.objects.create(lesson=lesson, work_type=answer, position=1)
        from timetable.models import TimetableEntry

        TimetableEntry.objects.create(school_class=cls, weekday=3, lesson_number=2, subject=maths, teacher=teacher, valid_from=D(2026, 9, 1))
        return {"school": school_a, "teacher": teacher, "students": students, "cls": cls, "subject": maths, "works": works}
    finally:
        use_public()


def sign_in(page: Any, login: str) -> None:
    page.goto("/login/")
    page.get_by_label("Логин").fill(login)
    page.get_by_label("Пароль").fill(PASSWORD)
    page.get_by_role("button", name="Войти").click()


def cell(page: Any, student: Any, column: int) -> Any:
    """The grid's cell of a student in a column (0 = the first lesson of the period)."""
    return page.locator(f'tr[data-s="{student.pk}"] > td').nth(column)


def test_teacher_types_marks_with_the_keyboard_and_meets_the_lock(page: Any, journal: dict[str, Any]) -> None:
    """R-J03: a row of marks typed with the keyboard is saved cell by cell and is there after a reload;
    R-J02: «н» records an absence; R-J07: a mark in a column older than 7 days is refused by the server
    with its Russian message and is not saved."""
    from journal.models import Attendance, Mark
    from tenants.db import use_public, use_school

    first, second, _ = journal["students"]
    sign_in(page, journal["teacher"].login)
    page.wait_for_url(re.compile(r"/s/alpha/$"))
    page.get_by_test_id("tile-journal").click()
    page.get_by_test_id(f"journal-{journal['cls'].pk}-{journal['subject'].pk}").click()
    grid = page.get_by_test_id("journal-grid")
    expect(grid).to_have_attribute("data-editable", "1")
    expect(page.locator("table.jgrid.ready")).to_have_count(1)

    # A row of marks: 5 → 4 → 3 across the three recent lessons, then Enter saves and moves down.
    cell(page, first, 1).click()
    page.keyboard.press("5")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("4")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("3")
    page.keyboard.press("Enter")
    for column, value in ((1, "5"), (2, "4"), (3, "3")):
        expect(cell(page, first, column)).to_have_class(re.compile(r"\bsaved\b"))
        expect(cell(page, first, column)).to_have_text(value)
    expect(page.locator(f'tr[data-s="{first.pk}"] td.avg').first).to_have_text("4,00")
    # Enter moved the cursor to the next student, same column: «н» marks the absence. Playwright's
    # keyboard is a US one: the key that types «н» on a Russian layout is KeyY, which the grid accepts
    # whatever the layout.
    expect(cell(page, second, 3)).to_have_class(re.compile(r"\bcur\b"))
    page.keyboard.press("KeyY")
    page.keyboard.press("Enter")
    expect(cell(page, second, 3)).to_have_class(re.compile(r"\bsaved\b"))
    expect(cell(page, second, 3)).to_have_text("н")
    expect(page.get_by_test_id("grid-status")).to_contain_text("Сохранено")

    page.reload()
    for column, value in ((1, "5"), (2, "4"), (3, "3")):
        expect(cell(page, first, column)).to_have_text(value)
    expect(cell(page, second, 3)).to_have_text("н")

    # The lesson of nine days ago: the server refuses, the cell shows the error and stays empty.
    cell(page, first, 0).click()
    page.keyboard.press("5")
    page.keyboard.press("Enter")
    expect(cell(page, first, 0)).to_have_class(re.compile(r"\berror\b"))
    expect(page.get_by_test_id("grid-status")).to_contain_text("Замена сведений в электронном журнале")
    expect(cell(page, first, 0)).to_have_text("")

    browser_tests.ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(browser_tests.ARTIFACTS / "journal-grid.png"), full_page=True)
    page.set_viewport_size(browser_tests.PHONE)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the grid page scrolls sideways by {overflow}px at phone width (the grid scrolls in its own box)"

    use_school(journal["school"])
    try:
        saved = {m.work_id: m.value for m in Mark.objects.filter(student=first)}
        works = journal["works"]
        assert saved == {works[RECENT[0]].pk: 5, works[RECENT[1]].pk: 4, works[RECENT[2]].pk: 3}
        assert list(Attendance.objects.values_list("student_id", "status")) == [(second.pk, "absent")]
    finally:
        use_public()


def test_teacher_records_todays_lesson_from_her_day(page: Any, journal: dict[str, Any]) -> None:
    """R-J01, R-J05: «Мой день» lists today's timetable lesson with what is missing; the teacher records
    its topic, homework and an absence, and the day then shows the lesson recorded."""
    from journal.models import Attendance, Lesson
    from tenants.db import use_public, use_school

    first = journal["students"][0]
    sign_in(page, journal["teacher"].login)
    page.wait_for_url(re.compile(r"/s/alpha/$"))
    page.get_by_test_id("tile-my-day").click()
    row = page.get_by_test_id(f"day-lesson-2-{journal['cls'].pk}")
    expect(row.get_by_test_id("missing")).to_contain_text("тема")
    row.get_by_test_id("record-lesson").click()
    expect(page.get_by_test_id("not-recorded")).to_be_visible()
    page.get_by_test_id("lesson-topic").fill("Линейные уравнения")
    page.get_by_test_id("lesson-homework").fill("№ 101–104")
    page.get_by_label(f"Посещаемость: {first.surname}").select_option("absent")
    browser_tests.ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(browser_tests.ARTIFACTS / "journal-lesson.png"), full_page=True)
    page.get_by_test_id("lesson-save").click()
    expect(page.locator(".messages")).to_contain_text("Урок сохранён")
    expect(page.get_by_test_id("lesson-topic")).to_have_value("Линейные уравнения")
    page.get_by_role("link", name="Мой день").click()
    row = page.get_by_test_id(f"day-lesson-2-{journal['cls'].pk}")
    expect(row.get_by_test_id("complete")).to_be_visible()
    expect(row.get_by_test_id("open-lesson")).to_be_visible()
    page.screenshot(path=str(browser_tests.ARTIFACTS / "journal-day.png"), full_page=True)

    use_school(journal["school"])
    try:
        lesson = Lesson.objects.get(date=TODAY)
        assert (lesson.topic, lesson.homework, lesson.entered_late) == ("Линейные уравнения", "№ 101–104", False)
        assert list(Attendance.objects.filter(lesson=lesson).values_list("student_id", "status")) == [(first.pk, "absent")]
    finally:
        use_public()
