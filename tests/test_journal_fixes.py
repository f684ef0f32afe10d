"""Fixes to the journal (issue #5): subgroup lessons in the class's grid and in the minimum-marks
checks (R-J03, R-J11, R-J12), change requests applied whole and in a safe order (R-J08), their
changes checked key by key (R-J08), the teacher's home tiles. "Today" is fixed by patching
journal.rules.today (see tests/test_journal_control.py, whose world these tests reuse)."""

from __future__ import annotations

from typing import Any

import pytest

from audit.models import AuditRecord
from core.errors import ValidationFailed
from curriculum.models import TeachingAssignment
from journal import period_marks, selectors, services
from journal.models import Attendance, ChangeRequest, ChangeRequestStatus, Lesson, Mark
from roster.models import Subgroup, SubgroupMember
from tests.test_journal_control import LOCKED_DAY, TODAY, W, build, client, lesson, text, work_with_marks

pytestmark = pytest.mark.django_db


@pytest.fixture
def w(school_a: Any, make_person: Any, grant: Any, monkeypatch: pytest.MonkeyPatch) -> W:
    from journal import rules

    monkeypatch.setattr(rules, "today", lambda: TODAY)
    return build(school_a, make_person, grant)


# --- 1a: subgroup lessons count for their students ------------------------------------------------------

def _split_music(w: W) -> tuple[Subgroup, Subgroup, list[Lesson]]:
    """Music (1 hour a week: 3 marks needed) taught in two subgroups: students 0 and 1 in the first,
    student 2 in the second; three lessons per subgroup in the second quarter, a mark in each, and
    one whole-class lesson with a mark for everybody."""
    g1 = Subgroup.objects.create(school_class=w.cls, kind="other", name="1 группа")
    g2 = Subgroup.objects.create(school_class=w.cls, kind="other", name="2 группа")
    SubgroupMember.objects.create(subgroup=g1, student=w.students[0])
    SubgroupMember.objects.create(subgroup=g1, student=w.students[1])
    SubgroupMember.objects.create(subgroup=g2, student=w.students[2])
    lessons = []
    for n, day in enumerate((12, 13, 16), start=1):
        for group, members in ((g1, {0: 4, 1: 5}), (g2, {2: 3})):
            les = Lesson.objects.create(school_class=w.cls, subgroup=group, subject=w.music, teacher=w.teacher,
                                        created_by=w.teacher, date=LOCKED_DAY.replace(day=day), lesson_number=n)
            work_with_marks(w, les, members)
            lessons.append(les)
    whole = lesson(w, LOCKED_DAY.replace(day=17), 1, subject=w.music)
    work_with_marks(w, whole, {0: 5, 1: 5, 2: 5})
    lessons.append(whole)
    return g1, g2, lessons


def test_class_grid_counts_subgroup_lessons_of_each_student(w: W) -> None:
    """R-J03, R-J12: the class's journal of a subject taught in subgroups shows every lesson; each
    student's count, averages and the minimum-marks check take the whole-class lessons and those of
    their own subgroup; another subgroup's lesson is not theirs."""
    _, g2, lessons = _split_music(w)
    grid = selectors.journal_grid(w.cls, w.music.pk, w.q2.starts_on, w.q2.ends_on)
    assert len(grid.lessons) == 7
    rows = {r.student.pk: r for r in grid.rows}
    assert [rows[s.pk].count for s in w.students] == [4, 4, 4]
    assert not any(r.short for r in grid.rows)
    assert rows[w.students[0].pk].plain == pytest.approx(4.25)
    g2_lesson = next(ls for ls in lessons if ls.subgroup_id == g2.pk)
    assert grid.attends(g2_lesson, w.students[2].pk) and not grid.attends(g2_lesson, w.students[0].pk)


def test_subgroup_grid_includes_whole_class_lessons(w: W) -> None:
    """R-J12: a subgroup's journal shows its lessons and the whole class's, so its count is complete."""
    g1, _, _ = _split_music(w)
    grid = selectors.journal_grid(w.cls, w.music.pk, w.q2.starts_on, w.q2.ends_on, subgroup_id=g1.pk)
    assert len(grid.lessons) == 4
    assert {r.student.pk: r.count for r in grid.rows} == {w.students[0].pk: 4, w.students[1].pk: 4}


def test_period_checks_count_subgroup_marks(w: W) -> None:
    """R-J12: the deputy's overview and the period-mark warning count subgroup lessons too: nobody
    with 4 marks (3 needed) is reported short."""
    _split_music(w)
    overview = {row.subject.pk: row for row in selectors.period_overview(w.q2)}
    assert overview[w.music.pk].short == []
    assert period_marks.students_short_of_marks(w.cls, w.music, w.q2) == []
    assert period_marks._shortage_warnings(w.cls, w.music, w.students[2].pk, w.q2) == []


def test_grid_page_blanks_other_subgroups_cells(w: W, django_assert_max_num_queries: Any) -> None:
    """R-J03: in the class's grid another subgroup's lesson is a blank cell that takes no entry;
    the page stays within its query budget."""
    _split_music(w)
    c = client(w.teacher)
    url = w.url(f"{w.cls.pk}/{w.music.pk}/?period={w.q2.pk}")
    c.get(url)  # warm: session stamps, settings row
    with django_assert_max_num_queries(15):
        page = c.get(url)
    assert page.status_code == 200
    body = text(page)
    assert body.count('<td class="na') == 3 * 2 + 3  # students 0, 1 miss g2's three lessons; student 2 misses g1's
    assert "<sup>гр</sup>" in body


def test_grid_api_lists_lessons_not_attending(w: W) -> None:
    """R-J03 (API): each row names the other subgroups' lessons among the columns."""
    _, g2, lessons = _split_music(w)
    response = client(w.teacher).get(w.api(f"grid/{w.cls.pk}/{w.music.pk}/?period={w.q2.pk}"))
    assert response.status_code == 200, response.content
    rows = {r["student"]["id"]: r for r in response.json()["rows"]}
    g2_ids = sorted(ls.pk for ls in lessons if ls.subgroup_id == g2.pk)
    assert sorted(rows[w.students[0].pk]["not_attending"]) == g2_ids
    assert rows[w.students[0].pk]["count"] == 4


# --- 1b: approval applies in a safe order, all or nothing ------------------------------------------------

def _stored_request(w: W, old: Lesson, changes: list[dict[str, Any]]) -> ChangeRequest:
    """A request as stored (filed earlier, in the order the teacher listed the changes)."""
    return ChangeRequest.objects.create(requested_by=w.teacher, school_class=w.cls, subject=w.maths, lesson=old,
                                        target_date=old.date, changes=changes, description="x", reason="x")


def test_approval_mark_listed_before_clearing_absence(w: W) -> None:
    """R-J08: "put a 4, then clear the absence" (listed in that order) is applied safely: the
    absence is cleared first, then the mark set."""
    old = lesson(w, LOCKED_DAY, 3)
    work = work_with_marks(w, old, {})
    Attendance.objects.create(lesson=old, student=w.students[0], status="absent", created_by=w.teacher)
    filed = _stored_request(w, old, [{"op": "mark", "work": work.pk, "student": w.students[0].pk, "value": "4"},
                                     {"op": "attendance", "student": w.students[0].pk, "status": ""}])
    services.approve_change_request(w.deputy, w.school, filed.pk)
    assert Mark.objects.get(work=work, student=w.students[0]).value == 4
    assert not Attendance.objects.filter(lesson=old, student=w.students[0]).exists()


def test_approval_absence_listed_before_removing_mark(w: W) -> None:
    """R-J08: "mark absent, then remove the mark" is applied as: mark removed, then absence set."""
    old = lesson(w, LOCKED_DAY, 3)
    work = work_with_marks(w, old, {1: 5})
    filed = _stored_request(w, old, [{"op": "attendance", "student": w.students[1].pk, "status": "absent"},
                                     {"op": "mark", "work": work.pk, "student": w.students[1].pk, "value": ""}])
    services.approve_change_request(w.deputy, w.school, filed.pk)
    assert not Mark.objects.filter(work=work, student=w.students[1]).exists()
    assert Attendance.objects.get(lesson=old, student=w.students[1]).status == "absent"


def test_approval_is_all_or_nothing(w: W) -> None:
    """R-J08: when one change cannot be applied (a mark for a student still absent) nothing is
    changed, the request stays pending, and the error names the change."""
    old = lesson(w, LOCKED_DAY, 3, topic="Старая")
    work = work_with_marks(w, old, {0: 3})
    Attendance.objects.create(lesson=old, student=w.students[2], status="absent", created_by=w.teacher)
    filed = _stored_request(w, old, [{"op": "lesson", "topic": "Новая"},
                                     {"op": "mark", "work": work.pk, "student": w.students[0].pk, "value": "5"},
                                     {"op": "mark", "work": work.pk, "student": w.students[2].pk, "value": "4"}])
    with pytest.raises(ValidationFailed) as refused:
        services.approve_change_request(w.deputy, w.school, filed.pk)
    assert "Изменение 3" in refused.value.message and "ничего не изменено" in refused.value.message
    old.refresh_from_db()
    filed.refresh_from_db()
    assert old.topic == "Старая" and Mark.objects.get(work=work, student=w.students[0]).value == 3
    assert filed.status == ChangeRequestStatus.PENDING
    assert not AuditRecord.objects.filter(action__in=["journal.mark.save", "journal.lesson.save"]).exists()


# --- 1c: the changes are checked and kept with their known keys only -------------------------------------

def test_filing_refuses_unknown_keys_and_keeps_known_ones(w: W) -> None:
    """R-J08: an unknown key is refused with a clear error and nothing is stored; a good request is
    stored with the known keys only, normalised (a mark as text)."""
    old = lesson(w, LOCKED_DAY, 3)
    work = work_with_marks(w, old, {0: 2})
    with pytest.raises(ValidationFailed) as refused:
        services.file_change_request(w.teacher, w.school, old, changes=[
            {"op": "mark", "work": work.pk, "student": w.students[0].pk, "value": 3, "evil": "<script>"}], description="x", reason="y")
    assert "Изменение 1" in refused.value.message and "evil" in refused.value.message
    assert not ChangeRequest.objects.exists()
    filed = services.file_change_request(w.teacher, w.school, old, changes=[
        {"op": "mark", "work": work.pk, "student": w.students[0].pk, "value": 3},
        {"op": "lesson", "topic": "Дроби"}], description="x", reason="y")
    filed.refresh_from_db()
    assert filed.changes == [{"op": "mark", "student": w.students[0].pk, "work": work.pk, "value": "3"},
                             {"op": "lesson", "topic": "Дроби"}]


@pytest.mark.parametrize(("change", "words"), [
    ({"op": "attendance", "student": "STUDENT", "status": "absent", "work": 1}, "неизвестные поля"),
    ({"op": "mark", "work": "WORK", "student": True, "value": "4"}, "обучающийся"),
    ({"op": "mark", "work": "WORK", "student": "STUDENT", "value": [4]}, "строка или число"),
    ({"op": "mark", "work": "WORK", "student": "STUDENT", "value": "6"}, "не отметка"),
    ({"op": "attendance", "student": "STUDENT", "status": "gone"}, "absent"),
    ({"op": "lesson"}, "укажите тему"),
    ({"op": "lesson", "topic": 5}, "текст"),
    ({"op": "delete_all"}, "неизвестная операция"),
    ("mark", "ожидается объект"),
])
def test_filing_refuses_bad_changes(w: W, change: Any, words: str) -> None:
    """R-J08: every malformed change is refused in Russian with its number; nothing is stored."""
    old = lesson(w, LOCKED_DAY, 3)
    work = work_with_marks(w, old, {})
    if isinstance(change, dict):
        change = {k: (w.students[0].pk if v == "STUDENT" else work.pk if v == "WORK" else v) for k, v in change.items()}
    with pytest.raises(ValidationFailed) as refused:
        services.file_change_request(w.teacher, w.school, old, changes=[{"op": "lesson", "topic": "ok"}, change],
                                     description="x", reason="y")
    assert refused.value.message.startswith("Изменение 2:") and words in refused.value.message
    assert not ChangeRequest.objects.exists()


def test_filing_refuses_duplicates_and_contradictions(w: W) -> None:
    """R-J08: the same cell twice, or a mark for a student the same request marks absent, is refused."""
    old = lesson(w, LOCKED_DAY, 3)
    work = work_with_marks(w, old, {})
    s = w.students[0].pk
    for changes, words in (
        ([{"op": "mark", "work": work.pk, "student": s, "value": "4"}, {"op": "mark", "work": work.pk, "student": s, "value": "5"}],
         "уже есть"),
        ([{"op": "mark", "work": work.pk, "student": s, "value": "4"}, {"op": "attendance", "student": s, "status": "absent"}],
         "отсутствующим"),
    ):
        with pytest.raises(ValidationFailed, match=words):
            services.file_change_request(w.teacher, w.school, old, changes=changes, description="x", reason="y")
    assert not ChangeRequest.objects.exists()


# --- 1e: the teacher's home page links to the journal's pages --------------------------------------------

def test_teacher_home_links_notebook_requests_final_marks_ktp(w: W) -> None:
    """R-J10, R-J08, R-J11, R-J13: the teacher reaches the notebook, change requests, final marks and
    the КТП from the school's home page."""
    TeachingAssignment.objects.get(teacher=w.teacher, subject=w.maths)
    body = text(client(w.teacher).get(f"/s/{w.slug}/"))
    for testid in ("tile-notebook", "tile-change-requests", "tile-final-marks", "tile-ktp"):
        assert f'data-testid="{testid}"' in body, testid


# --- 1d: the register of change requests as a PDF (WeasyPrint) -------------------------------------------

def test_register_of_requests_is_a_pdf(w: W) -> None:
    """R-J08 (003 §2.3.3): the deputy downloads the printable register of requests as a PDF made by
    WeasyPrint (a dependency now; its system libraries are in place here)."""
    from journal import printouts

    assert printouts.pdf_available()
    old = lesson(w, LOCKED_DAY, 3)
    services.file_change_request(w.teacher, w.school, old, changes=[{"op": "lesson", "topic": "Дроби"}], description="Тема: Дроби",
                                 reason="опечатка")
    response = client(w.deputy).get(w.url(f"requests/register/?period={w.q2.pk}&format=pdf"))
    assert response.status_code == 200, text(response)[:500]
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF") and len(response.content) > 1000
