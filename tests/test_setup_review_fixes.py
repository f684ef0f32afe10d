"""Review fixes in the school set-up (issue 4, second review): reopening a year no longer silently deletes
work entered in the next year and revokes every class-teacher role of its classes (R-Y05), moved days limited
to parallels (R-Y01), the import sweep against a queued import (R-Y07), a summer leaver's dates (R-Y06) and the
school's start in the platform (R-A05)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Membership
from accounts.roles import Role
from audit.models import AuditRecord
from core.errors import Conflict, ValidationFailed
from curriculum import services as curriculum_services
from curriculum.models import CurriculumLine, Subject
from roster import services as roster_services
from roster.models import SchoolClass
from schoolyear import services
from schoolyear.models import AcademicYear, DayOff, MovedDay
from tests import test_setup_more as sm
from tests import test_year_close as yc
from tests.files.scenario import admin_fixture, media_in_tmp_fixture  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db
D = dt.date

old = yc.old
today = yc.today
Old = yc.Old
roster = sm.roster
calendar_year = sm.calendar_year
_close_into_future_year = sm._close_into_future_year


# --- R-Y05: reopening does not delete the next year's own work ---------------------------------------------------

def _refused(old: Old, *words: str) -> None:
    state = (AcademicYear.objects.count(), SchoolClass.objects.count(), CurriculumLine.objects.count())
    with pytest.raises(Conflict) as exc:
        services.reopen_year(old.closer, old.school, old.year, reason="Приказ № 81")
    assert exc.value.code == "next_year_in_use"
    for word in words:
        assert word in exc.value.message
    assert (AcademicYear.objects.count(), SchoolClass.objects.count(), CurriculumLine.objects.count()) == state
    assert AcademicYear.objects.get(pk=old.year.pk).is_closed


def test_reopen_refused_when_the_next_year_has_timetable_days_off_or_moved_days(old: Old) -> None:
    """R-Y05: a timetable entry, a class event, a day off or a moved day entered in the next year after the close
    refuses the reopening (code next_year_in_use, the Russian message names what exists); nothing is deleted."""
    from timetable.models import Event, TimetableEntry

    summary = _close_into_future_year(old)
    nxt = summary.new_year
    six_a = SchoolClass.objects.get(year=nxt, grade=6, letter="А")
    entry = TimetableEntry.objects.create(school_class=six_a, weekday=1, lesson_number=1, subject=Subject.objects.get(name="Математика"),
                                          teacher=old.teachers["5А"], room="101", valid_from=nxt.starts_on)
    _refused(old, "уроков в расписании: 1")
    entry.delete()
    event = Event.objects.create(kind="class", school_class=six_a, title="Собрание", date=nxt.starts_on)
    _refused(old, "событий: 1")
    event.delete()
    day_off = DayOff.objects.create(year=nxt, name="Осенние", starts_on=nxt.starts_on + dt.timedelta(days=50),
                                    ends_on=nxt.starts_on + dt.timedelta(days=55))
    _refused(old, "каникул и выходных: 1")
    day_off.delete()
    saturday = nxt.starts_on + dt.timedelta(days=(5 - nxt.starts_on.weekday()) % 7 + 7)
    moved = MovedDay.objects.create(year=nxt, works_on=saturday, replaces=saturday + dt.timedelta(days=2))
    _refused(old, "переносов учебных дней: 1")
    moved.delete()
    services.reopen_year(old.closer, old.school, old.year, reason="Приказ № 81")
    assert not AcademicYear.objects.filter(pk=nxt.pk).exists()


def test_reopen_refused_when_curriculum_changed_after_the_close(old: Old) -> None:
    """R-Y05: the curriculum the close copied, edited in the new year (a line's hours changed through the service,
    hence audited after the close), refuses the reopening: the edit would be lost."""
    summary = _close_into_future_year(old)
    six_a = SchoolClass.objects.get(year=summary.new_year, grade=6, letter="А")
    line = CurriculumLine.objects.filter(school_class=six_a).first()
    subject = line.subject if line is not None else Subject.objects.get(name="Математика")
    curriculum_services.set_line(old.closer, old.school, six_a, subject, hours="3")
    _refused(old, "учебный план")


def test_reopen_audits_each_deleted_row_with_its_state(old: Old) -> None:
    """R-Y05: an untouched next year is removed and every row removed (classes, curriculum, load, subgroups and their
    members, enrolments, periods, week lengths, bells) has its own audit record with the state before."""
    summary = _close_into_future_year(old)
    nxt = summary.new_year
    class_ids = set(SchoolClass.objects.filter(year=nxt).values_list("pk", flat=True))
    lines = set(CurriculumLine.objects.filter(school_class_id__in=class_ids).values_list("pk", flat=True))
    services.reopen_year(old.closer, old.school, old.year, reason="Приказ № 81")
    deleted = AuditRecord.objects.filter(school=old.school, action__endswith=".delete", reason__contains="Отмена закрытия")
    classes = {int(r.object_id): r.before for r in deleted.filter(object_type="roster.schoolclass")}
    assert set(classes) == class_ids and all((b or {})["year"] == nxt.pk for b in classes.values())
    assert {int(i) for i in deleted.filter(object_type="curriculum.curriculumline").values_list("object_id", flat=True)} == lines
    assert deleted.filter(object_type="roster.enrolment").count() == summary.promoted + summary.repeating
    assert deleted.filter(object_type="schoolyear.periodscheme").exists()


def test_reopen_revokes_class_teacher_roles_granted_after_the_close(old: Old, make_person: Any, grant: Any) -> None:
    """R-Y05: a class teacher appointed in the new year after the close (a new class 6В with its teacher) is not in
    the close's record; the reopening still revokes that role (audited), so no open role points at a deleted class."""
    summary = _close_into_future_year(old)
    teacher = make_person("Новикова", "Вера")
    grant(teacher, Role.TEACHER, old.school)
    new_class = roster_services.create_class(old.closer, old.school, roster_services.ClassData(6, "В", class_teacher_id=teacher.pk),
                                             year=summary.new_year)
    role = Membership.objects.get(person=teacher, role=Role.CLASS_TEACHER, class_id=new_class.pk)
    services.reopen_year(old.closer, old.school, old.year, reason="Приказ № 81")
    assert not Membership.objects.filter(pk=role.pk).exists()
    assert not Membership.objects.filter(role=Role.CLASS_TEACHER, class_id=new_class.pk).exists()
    assert AuditRecord.objects.filter(action="role.revoke", object_id=str(role.pk)).exists()


# --- R-Y07: the import sweep against a queued import --------------------------------------------------------------

@pytest.fixture
def _import_media(media_in_tmp: None) -> None:
    """Uploads stored under the test's tmp_path."""


def test_a_queued_import_failed_by_the_sweep_before_it_takes_the_lock_writes_nothing(
        _import_media: None, school_a: Any, admin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """R-Y07: the sweep marks a queued, silent import «failed» between apply_job's first look at the job and its
    taking the school's import lock (made deterministic: the sweep runs just before the lock is taken). The import
    re-reads the job under the lock, sees it is no longer «applying» and writes nothing; the job stays «failed»
    (never «done»), with the sweep's message."""
    from accounts.models import Person
    from bulkimport import services as import_services
    from tests.files.scenario import STAFF_HEADER, confirm, staff_row, upload
    from tests.files.spreadsheets import xlsx_bytes

    job = upload(admin, school_a, "staff", xlsx_bytes([STAFF_HEADER, staff_row("Орлова", "Анна", "Петровна", "учитель", "учитель")]))
    assert job.status == "ready"
    people = Person.objects.count()
    take_lock = import_services._lock_school_imports

    def sweep_first() -> None:
        assert import_services.fail_abandoned(now=timezone.now() + dt.timedelta(hours=2)) == [job.pk]
        take_lock()

    monkeypatch.setattr(import_services, "_lock_school_imports", sweep_first)
    job = confirm(admin, school_a, job)
    assert job.status == "failed" and job.message
    assert Person.objects.count() == people
    assert not AuditRecord.objects.filter(action="import.apply", object_id=str(job.pk)).exists()


def test_a_check_failed_by_the_sweep_meanwhile_does_not_become_ready(
        _import_media: None, school_a: Any, admin: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """R-Y07: the sweep marks a long check «failed» while it runs (made deterministic: the sweep runs right after
    the check's dry run); the check then saves its result only where the job is still «checking», so the job stays
    «failed» with the sweep's message instead of turning «ready»."""
    from bulkimport import services as import_services
    from tests.files.scenario import STAFF_HEADER, staff_row, upload
    from tests.files.spreadsheets import xlsx_bytes

    run = import_services._run

    def run_then_sweep(job: Any, *args: Any, **kwargs: Any) -> Any:
        result = run(job, *args, **kwargs)
        if not kwargs.get("write"):
            assert import_services.fail_abandoned(now=timezone.now() + dt.timedelta(hours=2)) == [job.pk]
        return result

    monkeypatch.setattr(import_services, "_run", run_then_sweep)
    job = upload(admin, school_a, "staff", xlsx_bytes([STAFF_HEADER, staff_row("Орлова", "Анна", "Петровна", "учитель", "учитель")]))
    assert job.status == "failed" and "Проверка файла прервана" in job.message


# --- R-Y06: a summer leaver's leaving day after the closed year's last day ------------------------------------------

def test_summer_leaver_cannot_leave_inside_the_closed_year(old: Old) -> None:
    """R-Y06: after the close, a pupil promoted into 6А (from 1 September) leaves by an order dated inside the closed
    year (10 days before its last day). Chosen rule: refused (overlapping_dates, the Russian message names the closed
    year's class and its last day), nothing changes — the closed year's enrolment runs to its last day and cannot be
    shortened, so roles may not end before it. Stated separately, the leaving day the day after the closed year's end
    cancels the not-yet-begun enrolment and the student role ends on that last day, not before."""
    from roster.models import Enrolment

    _close_into_future_year(old)
    pupil = old.students["5А-1"]
    row = Enrolment.objects.get(student=pupil, until__isnull=True)
    early = yc.OLD_END - dt.timedelta(days=10)
    with pytest.raises(ValidationFailed) as exc:
        roster_services.leave_school(old.closer, old.school, pupil, order=roster_services.OrderData("5-в", early, "переезд"))
    assert exc.value.code == "overlapping_dates" and f"{yc.OLD_END:%d.%m.%Y}" in exc.value.message
    row.refresh_from_db()
    assert row.until is None and Membership.objects.get(person=pupil, role=Role.STUDENT).until is None
    roster_services.leave_school(old.closer, old.school, pupil, order=roster_services.OrderData("5-в", early, "переезд"),
                                 on=yc.OLD_END + dt.timedelta(days=1))
    row.refresh_from_db()
    assert row.until == row.since - dt.timedelta(days=1)
    assert Membership.objects.get(person=pupil, role=Role.STUDENT).until == yc.OLD_END


# --- R-A05: the school's start in the platform is the day it joined -------------------------------------------------

def test_school_joining_mid_year_counts_earlier_orders_from_their_entry(school_a: Any, make_person: Any, grant: Any) -> None:
    """R-A05: a school joins the platform a month ago, in the middle of its academic year (which began on 1 September,
    before). A teacher hired by an order two months ago (after the year began, before the school joined), entered
    today, is not overdue today: the 3 working days run from the day the role was entered; an order dated after the
    school joined still counts from its own date and is overdue. The platform start is the school's creation date."""
    from accounts.selectors import overdue_accounts, school_platform_start
    from tenants.db import use_public
    from tests.test_roster import make_roster

    made = make_roster(school_a, make_person, grant)
    day = timezone.localdate()
    joined = day - dt.timedelta(days=30)
    use_public()
    type(school_a).objects.filter(pk=school_a.pk).update(created_at=timezone.make_aware(dt.datetime.combine(joined, dt.time(10))))
    school_a.refresh_from_db()
    assert school_platform_start(school_a) == joined
    early, late = make_person("Ранняя", "Анна"), make_person("Поздний", "Иван")
    Membership.objects.create(person=early, school=school_a, role=Role.TEACHER, since=day - dt.timedelta(days=60))
    Membership.objects.create(person=late, school=school_a, role=Role.TEACHER, since=day - dt.timedelta(days=20))
    if made.year.starts_on < day - dt.timedelta(days=60):  # the year began before the early order (the mid-year case)
        assert made.year.starts_on < joined
    now = {m.person_id for m in overdue_accounts(school_a, today=day)}
    assert early.pk not in now and late.pk in now
    later = {m.person_id: m for m in overdue_accounts(school_a, today=day + dt.timedelta(days=14))}
    assert early.pk in later and getattr(later[early.pk], "handover_from") == day


# --- R-Y01: moved days of some parallels; checks compare only the parallels concerned --------------------------------

def test_a_moved_day_of_some_parallels_applies_to_them_only(calendar_year: Any) -> None:
    """R-Y01: a move of the 5th grade only (Saturday 10.10 holds Monday 12.10's lessons): on 10.10 the 5th grade
    studies by Monday's timetable and the 6th does not; on 12.10 the 5th has no lessons and the 6th studies as usual;
    for the school as a whole both days are school days. A move with no parallels is the whole school's, as before."""
    from schoolyear.calendar_service import SchoolCalendar

    r = calendar_year
    moved = services.add_moved_day(r.admin, r.school, r.year, works_on=D(2026, 10, 10), replaces=D(2026, 10, 12), grades=[5])
    assert moved.grades == [5]
    cal = SchoolCalendar.for_year(r.year)
    assert cal.is_school_day(D(2026, 10, 10), 5) and cal.timetable_weekday(D(2026, 10, 10), 5) == 1
    assert not cal.is_school_day(D(2026, 10, 10), 6)
    assert not cal.is_school_day(D(2026, 10, 12), 5) and cal.is_school_day(D(2026, 10, 12), 6)
    assert cal.is_school_day(D(2026, 10, 10)) and cal.is_school_day(D(2026, 10, 12))
    whole = services.add_moved_day(r.admin, r.school, r.year, works_on=D(2026, 10, 17), replaces=D(2026, 10, 19))
    assert whole.grades == []
    cal = SchoolCalendar.for_year(r.year)
    assert cal.is_school_day(D(2026, 10, 17), 6) and not cal.is_school_day(D(2026, 10, 19), 6)


def test_a_six_day_parallel_does_not_block_another_parallels_saturday_move(calendar_year: Any) -> None:
    """R-Y01: with the 6th grade on a six-day week, a move of the 5th grade onto a Saturday is accepted; a whole-school
    move onto a Saturday is still refused naming the 6th grade."""
    r = calendar_year
    services.set_week_lengths(r.admin, r.school, r.year, {6: 6})
    services.add_moved_day(r.admin, r.school, r.year, works_on=D(2026, 10, 10), replaces=D(2026, 10, 12), grades=[5])
    with pytest.raises(ValidationFailed) as exc:
        services.add_moved_day(r.admin, r.school, r.year, works_on=D(2026, 10, 17), replaces=D(2026, 10, 19))
    assert exc.value.code == "moved_day_on_school_day" and "для параллелей 6:" in exc.value.message
    assert MovedDay.objects.count() == 1


def test_day_offs_and_moves_of_different_parallels_do_not_clash(calendar_year: Any) -> None:
    """R-Y01: a day off of the 6th grade over the 5th grade's moved Saturday is accepted (the 5th's own day off is
    refused); a move of the 6th grade onto a day off of the 5th grade only is accepted (a whole-school one refused)."""
    r = calendar_year
    services.add_moved_day(r.admin, r.school, r.year, works_on=D(2026, 11, 7), replaces=D(2026, 11, 9), grades=[5])
    services.add_day_off(r.admin, r.school, r.year, name="Карантин 6", kind="quarantine", starts_on=D(2026, 11, 6),
                         ends_on=D(2026, 11, 7), grades=[6])
    with pytest.raises(ValidationFailed) as exc:
        services.add_day_off(r.admin, r.school, r.year, name="Карантин 5", kind="quarantine", starts_on=D(2026, 11, 7),
                             ends_on=D(2026, 11, 7), grades=[5])
    assert exc.value.code == "day_off_over_moved_day"
    services.add_day_off(r.admin, r.school, r.year, name="Выходной 5", kind="holiday", starts_on=D(2026, 11, 14),
                         ends_on=D(2026, 11, 14), grades=[5])
    with pytest.raises(ValidationFailed) as exc:
        services.add_moved_day(r.admin, r.school, r.year, works_on=D(2026, 11, 14), replaces=D(2026, 11, 16))
    assert exc.value.code == "moved_day_on_day_off"
    moved = services.add_moved_day(r.admin, r.school, r.year, works_on=D(2026, 11, 14), replaces=D(2026, 11, 16), grades=[6])
    assert moved.grades == [6]


def test_week_lengths_are_checked_against_saturday_moves(calendar_year: Any) -> None:
    """R-Y01: a six-day week for a parallel whose Saturday holds a moved school day would replace that day's lessons:
    refused (week_over_moved_day, naming the move), nothing changes; a parallel the move does not concern may turn to
    six days."""
    from schoolyear.models import WeekLength

    r = calendar_year
    services.add_moved_day(r.admin, r.school, r.year, works_on=D(2026, 10, 10), replaces=D(2026, 10, 12))
    with pytest.raises(ValidationFailed) as exc:
        services.set_week_lengths(r.admin, r.school, r.year, {6: 6})
    assert exc.value.code == "week_over_moved_day" and "10.10 вместо 12.10" in exc.value.message
    assert not WeekLength.objects.filter(days=6).exists()
    MovedDay.objects.all().delete()
    services.add_moved_day(r.admin, r.school, r.year, works_on=D(2026, 10, 10), replaces=D(2026, 10, 12), grades=[5])
    assert services.set_week_lengths(r.admin, r.school, r.year, {6: 6})[6] == 6
    with pytest.raises(ValidationFailed) as exc:
        services.set_week_lengths(r.admin, r.school, r.year, {5: 6})
    assert exc.value.code == "week_over_moved_day"


def test_moved_day_grades_on_the_page_and_in_the_api(calendar_year: Any, client_for: Any) -> None:
    """R-Y01: the API takes and returns a move's parallels (none given: the whole school, as before); the page's form
    has the parallels' checkboxes and the list says whose move it is."""
    import json

    from tenants.db import use_public

    r = calendar_year
    use_public()
    api = client_for(r.admin)
    url = f"/api/v1/schools/{r.school.slug}/year/{r.year.pk}/moved-days/"
    one = api.post(url, json.dumps({"works_on": "2026-10-10", "replaces": "2026-10-12", "grades": [5]}), content_type="application/json")
    assert one.status_code == 201 and one.json()["grades"] == [5]
    whole = api.post(url, json.dumps({"works_on": "2026-10-17", "replaces": "2026-10-19"}), content_type="application/json")
    assert whole.status_code == 201 and whole.json()["grades"] == []
    page = api.get(f"/s/{r.school.slug}/year/?year={r.year.pk}")
    body = page.content.decode()
    section = body[body.index('data-testid="moved-days"'):]
    section = section[:section.index("</section>")]
    assert page.status_code == 200 and "5 кл." in section and "вся школа" in section and 'name="grades"' in section


def test_the_diary_calendar_applies_a_move_to_its_parallels_only(calendar_year: Any) -> None:
    """R-Y01: the diary builds the school calendar from rows read with the child (diary.selectors._calendar); a move
    of the 5th grade only shifts the 5th grade's days there too, and rows without parallels stay whole-school moves."""
    from diary.selectors import _calendar

    r = calendar_year
    cal = _calendar(r.year, {"moved": [["2026-10-10", "2026-10-12", [5]], ["2026-10-17", "2026-10-19", []]]})
    assert cal.is_school_day(D(2026, 10, 10), 5) and not cal.is_school_day(D(2026, 10, 10), 6)
    assert cal.is_school_day(D(2026, 10, 12), 6) and not cal.is_school_day(D(2026, 10, 12), 5)
    assert cal.is_school_day(D(2026, 10, 17), 6) and not cal.is_school_day(D(2026, 10, 19), 6)
