"""Gaps found by review in the school set-up (issue 4): overdue accounts of imported people (R-A05), moved
school days that would wipe out a day's own lessons (R-Y01), who closes the year, what the close copies and
who leaves with it (R-Y05, R-Y06), a summer leaver after the close (R-Y06), and reopening a closed year (R-Y05)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import Membership
from accounts.roles import Role
from accounts.selectors import overdue_accounts
from audit.models import AuditRecord
from core.errors import Conflict, PermissionDenied, ValidationFailed
from curriculum.models import Subject
from roster import services as roster_services
from roster.models import Enrolment, MovementOrder, OrderKind, SchoolClass
from schoolyear import services
from schoolyear.models import AcademicYear, DayOff, MovedDay, YearStatus
from tenants.db import use_public, use_school
from tests import test_year_close as yc
from tests.test_roster import Roster, make_roster

pytestmark = pytest.mark.django_db
D = dt.date

# The closing-year scenario of test_year_close (school A's 2025/2026 with 4А, 5А, 5Б, 10А, 11А).
old = yc.old
today = yc.today
Old = yc.Old


@pytest.fixture
def roster(school_a: Any, make_person: Any, grant: Any) -> Roster:
    return make_roster(school_a, make_person, grant)


# --- R-A05: imported people are not overdue on day one ------------------------------------------------------

def test_imported_people_count_from_the_day_they_were_entered(roster: Roster, make_person: Any) -> None:
    """R-A05: a teacher hired in 2012 and a student enrolled in 2019, entered into the platform today (the initial
    data entry, 004 §II), are not overdue today: their 3 working days run from today, not from their old orders;
    two weeks later, with no account handed over, they are. An order of the platform's own year (after its first
    year began) still counts from its date even when entered late."""
    use_public()
    # The school joined the platform before its 2026/2027 year (the platform's start is the school's creation date).
    type(roster.school).objects.filter(pk=roster.school.pk).update(created_at=timezone.make_aware(dt.datetime(2026, 8, 20)))
    roster.school.refresh_from_db()
    veteran, pupil, late = make_person("Старожилова", "Анна"), make_person("Давнишний", "Олег"), make_person("Поздний", "Иван")
    Membership.objects.create(person=veteran, school=roster.school, role=Role.TEACHER, since=D(2012, 8, 30))
    Membership.objects.create(person=pupil, school=roster.school, role=Role.STUDENT, since=D(2019, 9, 1))
    Membership.objects.create(person=late, school=roster.school, role=Role.STUDENT, since=D(2026, 9, 10))
    day = timezone.localdate()
    now = {m.person_id for m in overdue_accounts(roster.school, today=day)}
    assert veteran.pk not in now and pupil.pk not in now
    assert late.pk in now  # the order of 10.09.2026 belongs to the school's year in the platform
    later = {m.person_id: m for m in overdue_accounts(roster.school, today=day + dt.timedelta(days=14))}
    assert veteran.pk in later and pupil.pk in later
    assert getattr(later[veteran.pk], "handover_from") == day and later[veteran.pk].since == D(2012, 8, 30)


def test_overdue_page_shows_from_when_the_term_runs(roster: Roster, make_person: Any, client_for: Any) -> None:
    """R-A05: the overdue page names the order's date and the day the term runs from."""
    use_public()
    type(roster.school).objects.filter(pk=roster.school.pk).update(created_at=timezone.make_aware(dt.datetime(2026, 8, 20)))
    late = make_person("Поздний", "Иван")
    Membership.objects.create(person=late, school=roster.school, role=Role.STUDENT, since=D(2026, 9, 10))
    page = client_for(roster.admin).get(f"/s/{roster.school.slug}/people/overdue/").content.decode()
    assert "Поздний" in page and "Срок считается с" in page and "10.09.2026" in page


# --- R-Y01: a moved school day never replaces a day's own lessons ------------------------------------------------

@pytest.fixture
def calendar_year(roster: Roster, monkeypatch: pytest.MonkeyPatch) -> Roster:
    """The roster's 2026/2027 (classes of grades 5 and 6, five-day weeks), an autumn vacation 26.10–03.11,
    and today = 01.09.2026 (well ahead of the 3-working-day notice)."""
    monkeypatch.setattr(services, "today", lambda: D(2026, 9, 1))
    roster.enter()
    services.add_day_off(roster.admin, roster.school, roster.year, name="Осенние каникулы", starts_on=D(2026, 10, 26),
                         ends_on=D(2026, 11, 3))
    return roster


def test_moved_day_onto_an_ordinary_weekday_is_refused(calendar_year: Roster) -> None:
    """R-Y01 (004 §VII): moving Monday 12.10's lessons onto Monday 05.10, an ordinary school day, would silently
    replace 05.10's own timetable: refused, naming the parallels, nothing written."""
    r = calendar_year
    with pytest.raises(ValidationFailed) as exc:
        services.add_moved_day(r.admin, r.school, r.year, works_on=D(2026, 10, 5), replaces=D(2026, 10, 12))
    assert exc.value.code == "moved_day_on_school_day"
    assert "05.10.2026 уже учебный день по своему расписанию для параллелей 5, 6" in exc.value.message
    assert not MovedDay.objects.exists()


def test_moved_day_onto_a_six_day_weeks_saturday_is_refused_naming_the_grades(calendar_year: Roster) -> None:
    """R-Y01: a Saturday is free for five-day parallels, so a move onto it is accepted; once the 6th grade studies
    six days a week, another Saturday is its own school day and the move is refused naming the 6th grade only."""
    r = calendar_year
    # The 5th grade's move (a whole-school one would keep the 6th grade from a six-day week: test_setup_review_fixes).
    moved = services.add_moved_day(r.admin, r.school, r.year, works_on=D(2026, 10, 10), replaces=D(2026, 10, 12), grades=[5])
    assert (moved.works_on, moved.replaces) == (D(2026, 10, 10), D(2026, 10, 12))
    services.set_week_lengths(r.admin, r.school, r.year, {6: 6})
    with pytest.raises(ValidationFailed) as exc:
        services.add_moved_day(r.admin, r.school, r.year, works_on=D(2026, 10, 17), replaces=D(2026, 10, 19))
    assert "для параллелей 6:" in exc.value.message and "5," not in exc.value.message
    assert MovedDay.objects.count() == 1


def test_moved_day_into_a_vacation_is_refused(calendar_year: Roster) -> None:
    """R-Y01: Saturday 31.10 lies in the autumn vacation: a move onto it would be cancelled by the vacation."""
    r = calendar_year
    with pytest.raises(ValidationFailed) as exc:
        services.add_moved_day(r.admin, r.school, r.year, works_on=D(2026, 10, 31), replaces=D(2026, 11, 9))
    assert exc.value.code == "moved_day_on_day_off" and "Осенние каникулы" in exc.value.message
    assert not MovedDay.objects.exists()


def test_day_off_over_a_moved_day_is_refused(calendar_year: Roster, client_for: Any) -> None:
    """R-Y01: a day off (even for one parallel) added later over a moved school day would cancel both the Saturday's
    lessons and the replaced Monday's: refused, by the service and through the API, until the move is cancelled."""
    r = calendar_year
    services.add_moved_day(r.admin, r.school, r.year, works_on=D(2026, 11, 7), replaces=D(2026, 11, 2))
    with pytest.raises(ValidationFailed) as exc:
        services.add_day_off(r.admin, r.school, r.year, name="Актированный день", kind="quarantine", starts_on=D(2026, 11, 6),
                             ends_on=D(2026, 11, 7), grades=[5])
    assert exc.value.code == "day_off_over_moved_day" and "07.11 вместо 02.11" in exc.value.message
    use_public()
    api = client_for(r.admin)
    answer = api.post(f"/api/v1/schools/{r.school.slug}/year/{r.year.pk}/days-off/",
                      json.dumps({"name": "Выходной", "starts_on": "2026-11-07", "ends_on": "2026-11-07"}), content_type="application/json")
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "day_off_over_moved_day"
    r.enter()
    assert DayOff.objects.count() == 1  # only the vacation


# --- R-Y05: who closes the year ---------------------------------------------------------------------------------

def test_deputy_cannot_close_the_year_page_or_api(old: Old, client_for: Any) -> None:
    """R-Y05 (004 §III, §X): the deputy keeps the calendar but does not close the year (it moves every student by
    the director's order): the service, the page and the API refuse, nothing changes; the administrator may."""
    before = old.state()
    with pytest.raises(PermissionDenied):
        yc._close(old, actor=old.deputy)
    use_public()
    client = client_for(old.deputy)
    assert client.get("/s/alpha/year/close/").status_code == 403
    form = {"year": old.year.pk, "order_number": "77-у", "order_date": "2026-05-29", "new_starts_on": "2026-09-01",
            "new_ends_on": "2027-05-25"}
    assert client.post("/s/alpha/year/close/", form).status_code == 403
    assert 'data-testid="close-link"' not in client.get("/s/alpha/year/").content.decode()
    url = "/api/v1/schools/alpha/year/close/"
    assert client.get(url).status_code == 403
    body = {"year": old.year.pk, "order_number": "77-у", "order_date": "2026-05-29"}
    assert client.post(url, json.dumps(body), content_type="application/json").status_code == 403
    assert old.state() == before
    admin = client_for(old.closer)
    assert 'data-testid="close-link"' in admin.get("/s/alpha/year/").content.decode()
    assert admin.post(url, json.dumps(body), content_type="application/json").status_code == 200


# --- R-Y05: the close copies the bells, and leavers leave by their order --------------------------------------

def test_close_copies_bell_schedules(old: Old) -> None:
    """R-Y05, R-Y04: both shifts' bell schedules go on into the new year, with every bell."""
    from timetable.models import Bell, BellSchedule

    first = BellSchedule.objects.create(year=old.year, name="1 смена", shift=1)
    second = BellSchedule.objects.create(year=old.year, name="2 смена", shift=2)
    Bell.objects.bulk_create([Bell(schedule=first, number=1, starts_at=dt.time(8, 30), ends_at=dt.time(9, 15)),
                              Bell(schedule=first, number=2, starts_at=dt.time(9, 25), ends_at=dt.time(10, 10)),
                              Bell(schedule=second, number=1, starts_at=dt.time(14, 0), ends_at=dt.time(14, 45))])
    summary = yc._close(old)
    copies = {b.shift: [(x.number, x.starts_at, x.ends_at) for x in b.bells.order_by("number")]
              for b in BellSchedule.objects.filter(year=summary.new_year)}
    assert copies == {1: [(1, dt.time(8, 30), dt.time(9, 15)), (2, dt.time(9, 25), dt.time(10, 10))],
                      2: [(1, dt.time(14, 0), dt.time(14, 45))]}
    assert BellSchedule.objects.filter(year=old.year).count() == 2  # the closed year keeps its own


def test_leavers_leave_at_the_year_end_by_their_own_order(old: Old) -> None:
    """R-Y05, R-Y06: a pupil of 5А leaving at the year's end (as after the 9th grade) is marked as a leaver with one
    leaving order: their enrolment ends on the year's last day with that order (kind «leave»), they are not moved
    into 6А, and their student role ends then; the others are promoted as usual."""
    leaver = old.students["5А-2"]
    summary = yc._close(old, leavers={leaver.pk}, leaving_order=services.OrderRef("78-в", D(2026, 5, 29)))
    assert (summary.left, summary.promoted, summary.graduated, summary.repeating) == (1, 4, 1, 3)
    row = Enrolment.objects.get(student=leaver)
    assert row.until == yc.OLD_END and row.order_out is not None
    assert (row.order_out.kind, row.order_out.number) == (OrderKind.LEAVE, "78-в")
    assert not Enrolment.objects.filter(student=leaver, school_class__year=summary.new_year).exists()
    assert Membership.objects.get(person=leaver, role=Role.STUDENT).until == yc.OLD_END
    assert Enrolment.objects.get(student=old.students["5А-1"], until__isnull=True).school_class.name == "6А"
    assert {"kind": "leave", "number": "78-в", "date": D(2026, 5, 29)} in summary.as_dict()["orders"]


def test_leavers_need_a_leaving_order_and_must_study_this_year(old: Old) -> None:
    """R-Y05, R-Y06: leavers without a leaving order, a leaver who is also a repeater, and a leaver who does not
    study this year are refused with Russian messages; nothing changes."""
    before = old.state()
    leaver = old.students["5А-2"]
    with pytest.raises(ValidationFailed) as exc:
        yc._close(old, leavers={leaver.pk})
    assert "leaving_order_number" in exc.value.fields and "приказ о выбытии" in exc.value.message
    with pytest.raises(ValidationFailed, match="и выбыть"):
        yc._close(old, leavers={old.students["5А-3"].pk}, leaving_order=services.OrderRef("78-в", D(2026, 5, 29)))
    with pytest.raises(ValidationFailed) as exc:
        yc._close(old, leavers={999999}, leaving_order=services.OrderRef("78-в", D(2026, 5, 29)))
    assert "leavers" in exc.value.fields
    assert old.state() == before


def test_leavers_on_the_page_and_api(old: Old, client_for: Any) -> None:
    """R-Y05: the close page lists leaver checkboxes and the leaving order; the preview counts the leavers; the API
    takes `leavers` with `leaving_order_number`/`leaving_order_date` and answers how many left."""
    use_public()
    client = client_for(old.closer)
    leaver = old.students["5А-2"].pk
    page = client.post("/s/alpha/year/close/", {"recalc": "1", "leaver": [str(leaver)], "year": old.year.pk}).content.decode()
    assert 'name="leaver"' in page and "выбывают по окончании года: <strong>1</strong>" in page
    assert 'name="leaving_order_number"' in page
    url = "/api/v1/schools/alpha/year/close/"
    assert client.get(f"{url}?leavers={leaver}").json()["leaving"] == 1
    body = {"year": old.year.pk, "order_number": "77-у", "order_date": "2026-05-29", "leavers": [leaver],
            "leaving_order_number": "78-в", "leaving_order_date": "2026-05-29"}
    done = client.post(url, json.dumps(body), content_type="application/json")
    assert done.status_code == 200, done.content
    assert done.json()["left"] == 1


# --- R-Y06: a pupil leaving in the summer, after the close ---------------------------------------------------------

def _close_into_future_year(old: Old) -> services.CloseSummary:
    """Closes 2025/2026 into a next year that has not begun yet whatever the real date (the summer after a close)."""
    start = max(D(2026, 9, 1), timezone.localdate() + dt.timedelta(days=30))
    return yc._close(old, new_year=services.YearDates(start, start + dt.timedelta(days=260)))


def test_summer_leaver_cancels_an_enrolment_not_yet_begun(old: Old) -> None:
    """R-Y06: after the close, a pupil promoted into 6А (from the new year's first day) leaves in the summer by a
    leaving order: the not-yet-begun enrolment is cancelled (no day in 6А: until = since − 1) with the order, the
    closed year's row is untouched, the history keeps both rows, and the student role ends the day before the order."""
    summary = _close_into_future_year(old)
    pupil = old.students["5А-1"]
    row = Enrolment.objects.get(student=pupil, until__isnull=True)
    order_day = timezone.localdate()
    roster_services.leave_school(old.closer, old.school, pupil, order=roster_services.OrderData("5-в", order_day, "переезд"))
    row.refresh_from_db()
    assert row.until == row.since - dt.timedelta(days=1) and row.order_out is not None and row.order_out.kind == OrderKind.LEAVE
    assert row.school_class.year == summary.new_year
    history = list(Enrolment.objects.filter(student=pupil).order_by("since").values_list("school_class__year__name", "until"))
    assert history == [("2025/2026", yc.OLD_END), (summary.new_year.name, row.since - dt.timedelta(days=1))]
    assert not Enrolment.objects.filter(student=pupil, until__isnull=True).exists()
    role = Membership.objects.get(person=pupil, role=Role.STUDENT)
    assert role.until == max(order_day - dt.timedelta(days=1), role.since)
    assert AuditRecord.objects.filter(action="student.leave", object_repr__contains="до начала обучения").exists()
    # The class list of the new year's first day does not include the pupil.
    on_first_day = Enrolment.objects.filter(school_class=row.school_class, since__lte=row.since, until__gte=row.since)
    assert not on_first_day.filter(student=pupil).exists()


# --- R-Y05: reopening a closed year -------------------------------------------------------------------------------

def test_reopen_undoes_the_close(old: Old) -> None:
    """R-Y05: the administrator reopens 2025/2026 (the transfer order cancelled by the director's order) while
    2026/2027 is untouched: the new year and its classes go, every enrolment of 2025/2026 is open again, the close's
    orders are cancelled, the graduates' and parents' roles and the class teachers' roles are as before the close,
    and each step is audited. The year can then be closed again with the same order number."""
    before = old.state()
    roles_before = sorted(Membership.objects.filter(school=old.school).values_list("pk", "role", "until"))
    summary = yc._close(old, graduation_order=services.OrderRef("80-в", D(2026, 5, 29)))
    assert Membership.objects.get(person=old.students["11А-1"], role=Role.STUDENT).until == yc.OLD_END
    result = services.reopen_year(old.closer, old.school, old.year, reason="Приказ № 81 от 11.06.2026 об отмене приказа № 77-у")
    assert result.removed_year == summary.new_year.name and result.enrolments_restored == 9
    assert sorted(result.orders_cancelled) == sorted(str(o) for o in summary.orders)
    year = AcademicYear.objects.get(pk=old.year.pk)
    assert year.status == YearStatus.OPEN and year.close_order_number == "" and year.closed_at is None
    assert not AcademicYear.objects.filter(pk=summary.new_year.pk).exists()
    assert old.state() == before
    assert sorted(Membership.objects.filter(school=old.school).values_list("pk", "role", "until")) == roles_before
    assert AuditRecord.objects.filter(action="year.reopen", school=old.school, reason__contains="№ 81").exists()
    assert AuditRecord.objects.filter(action="movement_order.cancel", school=old.school).count() == 2
    again = yc._close(old)
    assert again.promoted == 5 and AcademicYear.objects.get(pk=old.year.pk).is_closed


def test_reopen_refused_once_the_next_year_is_in_use(old: Old, make_person: Any) -> None:
    """R-Y05: once the next year has a lesson in its journal, or a movement order of its own (a summer leaver),
    the close cannot be undone: Conflict with a Russian message, nothing changes. An open year, a missing reason
    and the deputy are refused too."""
    with pytest.raises(ValidationFailed, match="не закрыт"):
        services.reopen_year(old.closer, old.school, old.year, reason="ошибка")
    summary = _close_into_future_year(old)
    with pytest.raises(ValidationFailed, match="основание"):
        services.reopen_year(old.closer, old.school, old.year, reason=" ")
    with pytest.raises(PermissionDenied):
        services.reopen_year(old.deputy, old.school, old.year, reason="ошибка")
    from journal.models import Lesson

    new_6a = SchoolClass.objects.get(year=summary.new_year, grade=6, letter="А")
    lesson = Lesson.objects.create(school_class=new_6a, subject=Subject.objects.get(name="Математика"), teacher=old.teachers["5А"],
                                   created_by=old.teachers["5А"], date=summary.new_year.starts_on, lesson_number=1)
    with pytest.raises(Conflict, match="уже ведётся журнал"):
        services.reopen_year(old.closer, old.school, old.year, reason="ошибка")
    lesson.delete()
    roster_services.leave_school(old.closer, old.school, old.students["5А-1"],
                                 order=roster_services.OrderData("5-в", timezone.localdate()))
    state = (AcademicYear.objects.count(), Enrolment.objects.count(), MovementOrder.objects.count())
    with pytest.raises(Conflict, match="выбытия"):
        services.reopen_year(old.closer, old.school, old.year, reason="ошибка")
    assert (AcademicYear.objects.count(), Enrolment.objects.count(), MovementOrder.objects.count()) == state
    assert AcademicYear.objects.get(pk=old.year.pk).is_closed


def test_reopen_page_and_api(old: Old, client_for: Any, make_person: Any, grant: Any) -> None:
    """R-Y05, isolation: the year page offers the reopen to the administrator only on the closed year; the page's
    POST and the API reopen; the deputy and a teacher are refused."""
    summary = yc._close(old)
    use_public()
    admin = client_for(old.closer)
    page = admin.get(f"/s/alpha/year/?year={old.year.pk}").content.decode()
    assert 'data-testid="reopen"' in page
    assert 'data-testid="reopen"' not in client_for(old.deputy).get(f"/s/alpha/year/?year={old.year.pk}").content.decode()
    url = f"/api/v1/schools/alpha/year/{old.year.pk}/reopen/"
    body = json.dumps({"reason": "Приказ № 81 об отмене"})
    teacher = make_person("Учителева", "Ульяна")
    grant(teacher, Role.TEACHER, old.school)
    assert client_for(teacher).post(url, body, content_type="application/json").status_code == 403
    assert client_for(old.deputy).post(url, body, content_type="application/json").status_code == 403
    assert client_for(old.deputy).post("/s/alpha/year/reopen/", {"year": old.year.pk, "reason": "x"}).status_code == 403
    done = admin.post(url, body, content_type="application/json")
    assert done.status_code == 200, done.content
    assert done.json()["removed_year"] == summary.new_year.name and done.json()["year"]["status"] == "open"
    assert admin.post(url, body, content_type="application/json").status_code == 400  # no longer closed
    yc._close(old, order_number="77-у-2")
    use_public()
    redirect = admin.post("/s/alpha/year/reopen/", {"year": old.year.pk, "reason": "Приказ № 82 об отмене"})
    assert redirect.status_code == 302
    use_school(old.school)
    assert not AcademicYear.objects.get(pk=old.year.pk).is_closed


def test_reopen_refused_to_another_schools_administrator(school_b: Any, old: Old, make_person: Any, grant: Any,
                                                         client_for: Any) -> None:
    """Isolation: school B's administrator cannot reopen school A's year (page or API)."""
    yc._close(old)
    use_public()
    stranger = make_person("Бетова", "Бэлла")
    grant(stranger, Role.SCHOOL_ADMIN, school_b)
    client = client_for(stranger)
    url = f"/api/v1/schools/alpha/year/{old.year.pk}/reopen/"
    assert client.post(url, json.dumps({"reason": "x"}), content_type="application/json").status_code in (403, 404)
    assert client.post("/s/alpha/year/reopen/", {"year": old.year.pk, "reason": "x"}).status_code in (403, 404)
    use_school(old.school)
    assert AcademicYear.objects.get(pk=old.year.pk).is_closed

