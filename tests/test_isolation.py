"""Tenant isolation, endpoint by endpoint (pretix's test_permissions.py style).

ONE table below names every school page, every school API endpoint, every district
page and every district API endpoint with the roles that may use it. The tests walk
the table:

* anonymous visitors are sent to /login/ (pages) or get a JSON 401/403 (API);
* the strongest person of ANOTHER school (school_admin + director there) gets 403/404
  and learns nothing of the target school (its name, its people's surnames);
* inside the school, each role gets exactly what its duties need (a matrix of
  endpoint × role), families are refused on every staff endpoint;
* every refusal of a signed-in person leaves an "access.refused" audit record;
* a school slug that does not exist, and the template schema, are never reachable;
* the school home and sign-in pages cost the same number of SQL queries whatever
  the number of schools and people.

Requirements: R-P01, R-P02, R-P04, R-P05, R-A02, R-A03, R-A04.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, resolve

from accounts.models import ActivationCode, Membership, Person
from accounts.roles import Role
from audit.models import AuditRecord
from roster.models import Enrolment, Guardianship, SchoolClass, Subgroup
from tenants.models import School
from tests.conftest import current_year_in_schema, make_class

pytestmark = pytest.mark.django_db

# --- who may do what (spelled out from the requirements, not computed from roles.py) ---

R = Role
ALL_SCHOOL_ROLES = (
    R.SCHOOL_ADMIN, R.DIRECTOR, R.DEPUTY, R.METHODIST, R.TEACHER, R.CLASS_TEACHER, R.HR_CLERK, R.SECRETARY,
    R.PARENT, R.STUDENT,
)
# Everybody who holds a role in the school (R-P04) and the district administrator.
MEMBERS = frozenset(ALL_SCHOOL_ROLES)
# The school e-journal administrator and the director run staff, roles and the audit log (R-P03).
ADMINS = frozenset({R.SCHOOL_ADMIN, R.DIRECTOR})
# Lists of the school's people: staff whose duties need them (R-A03).
PEOPLE = ADMINS | {R.DEPUTY, R.METHODIST, R.HR_CLERK, R.SECRETARY}
# Classes and families: the above, and a class teacher for their own class (R-P03).
CLASSES = PEOPLE | {R.CLASS_TEACHER}
# Credentials for families: administrators, and a class teacher for their own class (R-P03).
ISSUE = ADMINS | {R.CLASS_TEACHER}
FAMILY = frozenset({R.PARENT, R.STUDENT})
# Lists imported from and exported to spreadsheets: Perm.IMPORT_DATA plus the list's own
# permissions (students: people and movement): the school administrator and the director (R-Y07).
IMPORTERS = ADMINS
# The import pages and job list: also the deputy, who loads the curriculum, the load, the subgroups and
# the timetable (004 §VI–§VII); the lists of people stay IMPORTERS' (their upload rows below).
IMPORT_HOME = ADMINS | {R.DEPUTY}
# The academic year, its periods, vacations and moved days, and closing it (Perm.SETUP_YEAR, R-Y01, R-Y05);
# every member reads the calendar.
YEAR_ADMINS = frozenset({R.SCHOOL_ADMIN, R.DIRECTOR, R.DEPUTY})
# Closing and reopening a year issues and cancels movement orders (004 §III, §X): not the deputy.
YEAR_CLOSERS = ADMINS
# Classes, their class teachers (Perm.MANAGE_CLASSES, R-Y02); a class's subgroups also its class teacher (001 §3.3).
CLASS_ADMINS = frozenset({R.SCHOOL_ADMIN, R.DIRECTOR, R.DEPUTY})
SUBGROUPS = CLASS_ADMINS | {R.CLASS_TEACHER}
# Personal cards and the personal-data setting (Perm.MANAGE_PEOPLE, R-A06, R-A07); the cards of a class's
# students and parents also its class teacher (004 §V).
CARD_KEEPERS = ADMINS | {R.HR_CLERK, R.SECRETARY}
FAMILY_CARDS = CARD_KEEPERS | {R.CLASS_TEACHER}
# Orders on student movement (Perm.MOVEMENT, R-Y06; 004 §X: the secretary).
MOVERS = ADMINS | {R.SECRETARY}
# The journal (R-J01..R-J07, R-A01): the subject's teacher writes it (nobody else, not even the district
# administrator: the rows below say district_admin=False); the administration, the deputy, the methodist
# and the class's class teacher read it (Perm.JOURNAL_READ_ALL); «Мой день» is for Perm.JOURNAL_WRITE.
JOURNAL_READERS = ADMINS | {R.DEPUTY, R.METHODIST, R.TEACHER, R.CLASS_TEACHER}
JOURNAL_WRITERS = frozenset({R.TEACHER})
MY_DAY = ADMINS | {R.DEPUTY, R.TEACHER, R.CLASS_TEACHER}
# Reasons for absences: the class teacher and the keepers of personal cards set them (R-J02); readers see them.
ABSENCE_SETTERS = CARD_KEEPERS | {R.CLASS_TEACHER}
ABSENCE_READERS = ABSENCE_SETTERS | {R.DEPUTY, R.METHODIST}
JOURNAL_DAY = dt.date(2026, 11, 25)  # a Wednesday of the world's year: journal.rules.today in these tests

# The journal's control and end-of-period work (R-J02, R-J05, R-J08..R-J13, R-J15), from ROLE_PERMS:
# Perm.JOURNAL_CONTROL (deputy, director, school admin) decides change requests and sees the control lists;
# readers of every journal add the methodist; period marks are set by the subject's teacher and the class
# teacher; the notebook, marks from elsewhere and a request are their teacher's; settings are Perm.MANAGE_SETTINGS.
JC_CONTROL = frozenset({R.SCHOOL_ADMIN, R.DIRECTOR, R.DEPUTY})
JC_WRITE = JC_CONTROL | {R.TEACHER, R.CLASS_TEACHER}
JC_READ_ALL = JC_CONTROL | {R.METHODIST}
JC_CLASS_SUBJECT = JC_READ_ALL | {R.TEACHER, R.CLASS_TEACHER}
JC_CLASS = JC_READ_ALL | {R.CLASS_TEACHER}
JC_TEACHER = frozenset({R.TEACHER})
JC_FINAL = frozenset({R.TEACHER, R.CLASS_TEACHER})
JC_KTP_EDIT = JC_READ_ALL | {R.TEACHER}
JC_KTP_READ = JC_WRITE | {R.METHODIST}

# The people of school A: one per role, with surnames that appear nowhere else, so a
# response that shows one of them has leaked school A's data.
A_PEOPLE: dict[str, tuple[str, str]] = {
    R.SCHOOL_ADMIN: ("Зябликова", "Алла"),
    R.DIRECTOR: ("Щеглов", "Дмитрий"),
    R.DEPUTY: ("Снегирёва", "Зоя"),
    R.METHODIST: ("Чижов", "Марк"),
    R.TEACHER: ("Клестова", "Тамара"),
    R.CLASS_TEACHER: ("Дроздов", "Кирилл"),
    R.HR_CLERK: ("Соловьёва", "Клара"),
    R.SECRETARY: ("Иволгин", "Семён"),
    R.PARENT: ("Овсянкина", "Раиса"),
    R.STUDENT: ("Пеночкин", "Саша"),
}
VICTIM = ("Малиновкина", "Вера")  # a second school administrator of A, whose role gets revoked
A_SURNAMES = [surname for surname, _ in A_PEOPLE.values()] + [VICTIM[0]]
A_FULL_NAME, A_SHORT_NAME = "МБОУ «Школа Альфа»", "Альфа"


@dataclass
class World:
    a: School
    b: School
    people: dict[str, Person]  # role -> the person holding it in A (and "district_admin")
    boss_b: Person  # school_admin + director of B, nothing in A
    victim: Membership  # a school_admin role in A (the revoke endpoints' target)
    class_id: int  # 5А of school A
    b_class_id: int
    b_student: Person
    import_job: int = 0  # a checked import of school A, waiting for confirmation
    year_ids: dict[str, int] = field(default_factory=dict)  # A's open year, its scheme, day off, moved day
    journal_ids: dict[str, int] = field(default_factory=dict)  # A's maths journal of 5А (made on first use)
    control_ids: dict[str, int] = field(default_factory=dict)  # the journal-control rows' objects (made on first use)
    tt_ids: dict[str, int] = field(default_factory=dict)  # curriculum and timetable objects of A (made on first use)

    @property
    def student(self) -> Person:
        return self.people[R.STUDENT]


def _in_school(school: School, make: Callable[[], Any]) -> Any:
    connection.set_tenant(school)
    try:
        return make()
    finally:
        connection.set_schema_to_public()


@pytest.fixture(scope="module")
def _world_base(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """The two schools and their people, built ONCE per module and committed (thousands of
    rows of the table run against them; each test's own changes roll back with its
    transaction). Wiped at the end of the module so other modules start clean."""
    from tenants.services import SchoolData, create_school

    seq = itertools.count(1)

    def make_person(surname: str = "Иванова", name: str = "Мария", password: str | None = None, **fields: Any) -> Person:
        return Person.objects.create_user(login=fields.pop("login", f"iso{next(seq)}"), password=password, surname=surname,
                                          name=name, **fields)

    def grant(person: Person, role: str, school: School | None = None, class_id: int | None = None) -> Membership:
        person.__dict__.pop("_zhurnal_access", None)
        return Membership.objects.create(person=person, role=role, school=school, class_id=class_id)

    with django_db_blocker.unblock():
        admin = make_person("Районова", "Анна", login="iso.district.admin")
        grant(admin, R.DISTRICT_ADMIN)
        school_a = create_school(admin, SchoolData(slug="alpha", full_name=A_FULL_NAME, short_name=A_SHORT_NAME, municipal_code="ISO-A"))
        school_b = create_school(admin, SchoolData(slug="beta", full_name="МБОУ «Школа Бета»", short_name="Бета", municipal_code="ISO-B"))
        base = _build_world(school_a, school_b, make_person, grant, admin)
    yield base
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        connection.set_schema_to_public()
        for school in (school_a, school_b):
            cursor.execute(f'DROP SCHEMA IF EXISTS "{school.schema_name}" CASCADE')
        cursor.execute("TRUNCATE tenants_school, tenants_domain, accounts_person, audit_auditrecord, axes_accessattempt, "
                       "axes_accessfailurelog, axes_accesslog CASCADE")


@pytest.fixture
def world(_world_base: World, db: Any) -> World:
    """The module's world with fresh per-test caches (lazily made objects roll back with each test)."""
    for person in [*_world_base.people.values(), _world_base.boss_b, _world_base.b_student]:
        person.__dict__.pop("_zhurnal_access", None)
    return dataclasses.replace(_world_base, year_ids=dict(_world_base.year_ids), journal_ids={}, control_ids={}, tt_ids={})


def _build_world(school_a: School, school_b: School, make_person: Any, grant: Any, district_admin: Person) -> World:
    people = {role: make_person(surname, name) for role, (surname, name) in A_PEOPLE.items()}

    def a_class() -> int:
        cls = make_class(5, "А", class_teacher=people[R.CLASS_TEACHER])
        Enrolment.objects.create(student=people[R.STUDENT], school_class=cls)
        Guardianship.objects.create(parent=people[R.PARENT], student=people[R.STUDENT], kind="mother")
        return cls.pk

    class_id = _in_school(school_a, a_class)
    for role, person in people.items():
        grant(person, role, school_a, class_id=class_id if role in (R.CLASS_TEACHER, R.PARENT, R.STUDENT) else None)
    victim = grant(make_person(*VICTIM), R.SCHOOL_ADMIN, school_a)

    boss_b = make_person("Бобров", "Борис")
    grant(boss_b, R.SCHOOL_ADMIN, school_b)
    grant(boss_b, R.DIRECTOR, school_b)
    b_student = make_person("Барсуков", "Богдан")

    def b_class() -> int:
        cls = make_class(5, "А")
        Enrolment.objects.create(student=b_student, school_class=cls)
        return cls.pk

    b_class_id = _in_school(school_b, b_class)
    grant(b_student, R.STUDENT, school_b, class_id=b_class_id)
    people["district_admin"] = district_admin

    def a_import_job() -> int:
        from bulkimport.models import ImportJob

        return ImportJob.objects.create(kind="students", status="ready", file_name="5А.xlsx", created_by=people[R.SCHOOL_ADMIN],
                                        total_rows=1, counts={"new": 1}, rows=[{"row": 2, "label": "—", "status": "new"}]).pk

    return World(a=school_a, b=school_b, people=people, boss_b=boss_b, victim=victim, class_id=class_id,
                 b_class_id=b_class_id, b_student=b_student, import_job=_in_school(school_a, a_import_job),
                 year_ids=_in_school(school_a, _a_year_objects))


def _a_year_objects() -> dict[str, int]:
    import datetime as dt

    from schoolyear.models import DayOff, MovedDay, PeriodScheme, StudyPeriod

    year = current_year_in_schema()
    scheme = PeriodScheme.objects.create(year=year, kind="quarter", grades=list(range(1, 10)))
    StudyPeriod.objects.bulk_create([StudyPeriod(scheme=scheme, number=i, name=f"{i} четверть", starts_on=s, ends_on=e) for i, (s, e) in
                                     enumerate(_QUARTERS, 1)])
    day_off = DayOff.objects.create(year=year, name="Осенние каникулы", starts_on=dt.date(2026, 10, 26), ends_on=dt.date(2026, 11, 3))
    moved = MovedDay.objects.create(year=year, works_on=dt.date(2027, 5, 22), replaces=dt.date(2027, 5, 24),
                                   grades=[1, 2, 3, 4])  # the primary grades work that Saturday (a 6-day week for grade 5 stays possible)
    return {"year": year.pk, "scheme": scheme.pk, "day_off": day_off.pk, "moved_day": moved.pk}


# --- the table -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    """One (method, URL) pair. `allowed`: the school roles that may use it (the district
    administrator always may, unless `district_admin` is False: a journal is written by its
    teacher only); `route`: its URL name, so that the table can be checked against the
    URLconf; `ok`: the status of a successful call."""

    name: str
    method: str
    url: str
    route: str
    allowed: frozenset[str] = field(default_factory=frozenset)
    ok: int = 200
    data: Callable[[World], dict[str, Any]] | None = None
    district_admin: bool = True

    @property
    def is_api(self) -> bool:
        return self.url.startswith("/api/")

    @property
    def staff_only(self) -> bool:
        return not (self.allowed & FAMILY)

    def __str__(self) -> str:
        return self.name


def _grant_form(w: World) -> dict[str, Any]:
    return {"surname": "Новикова", "name": "Ольга", "role": R.SCHOOL_ADMIN}


def _import_upload(w: World) -> dict[str, Any]:
    """A list with a header and no rows: accepted as an upload, then refused as empty."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    header = "Класс;Фамилия;Имя;Пол;Дата рождения;Номер приказа о зачислении;Дата приказа о зачислении\n"
    return {"kind": "students", "file": SimpleUploadedFile("5А.csv", header.encode())}


_QUARTERS = [(dt.date(2026, 9, 1), dt.date(2026, 10, 25)), (dt.date(2026, 11, 4), dt.date(2026, 12, 27)),
             (dt.date(2027, 1, 11), dt.date(2027, 3, 21)), (dt.date(2027, 3, 30), dt.date(2027, 5, 25))]


def _day_off_form(w: World) -> dict[str, Any]:
    return {"action": "day_off", "kind": "vacation", "name": "Дополнительные каникулы", "starts_on": "2027-02-15",
            "ends_on": "2027-02-21", "grades": ["1"]}


def _close_order(w: World) -> dict[str, Any]:
    return {"year": w.year_ids["year"], "order_number": "45-у", "order_date": dt.date.today().isoformat()}


def _moved_day() -> dict[str, Any]:
    """A Saturday that is still 3 working days ahead (004 §VII) works as the Monday after it."""
    from core.workdays import add_working_days

    day = add_working_days(dt.date.today(), 3)
    saturday = day + dt.timedelta(days=(5 - day.weekday()) % 7)
    return {"works_on": saturday.isoformat(), "replaces": (saturday + dt.timedelta(days=2)).isoformat()}


def _roster_ids(url: str, w: World) -> dict[str, int]:
    """Ids the roster's rows name: A's student, parent and teacher, and (made when a URL asks) a subgroup
    of 5А and an empty class."""
    ids = {"student": w.student.pk, "parent": w.people[R.PARENT].pk, "staff": w.people[R.TEACHER].pk}
    if "{subgroup}" in url:
        ids["subgroup"] = _in_school(w.a, lambda: Subgroup.objects.get_or_create(
            school_class_id=w.class_id, kind="pe", name="Группа А")[0].pk)
    if "{empty_cls}" in url:
        ids["empty_cls"] = _in_school(w.a, lambda: SchoolClass.objects.get_or_create(
            year=current_year_in_schema(), grade=9, letter="Я")[0].pk)
    return ids


def _other_class(w: World) -> int:
    return _in_school(w.a, lambda: SchoolClass.objects.get_or_create(year=current_year_in_schema(), grade=5, letter="Б")[0].pk)


_NEW_STUDENT = {"surname": "Новиков", "name": "Ян", "sex": "m", "birth_date": "2015-02-02", "order_number": "70",
                "order_date": "2026-11-20"}
_NEW_PARENT = {"kind": "father", "surname": "Новиков", "name": "Отец", "sex": "m", "birth_date": "1980-01-01"}
_NEW_STAFF = {"surname": "Новикова", "name": "Ольга", "sex": "f", "birth_date": "1990-01-01", "position": "Администратор ЭЖ",
              "hired_on": "2026-11-20", "role": R.SCHOOL_ADMIN}


def _move(w: World, number: str, **extra: Any) -> dict[str, Any]:
    """A movement of A's student (enrolled today) by a new order, from tomorrow."""
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).isoformat()
    return {"student_id": w.student.pk, "order_number": number, "order_date": "2026-11-20", "on": tomorrow, **extra}


def _school_form(w: World) -> dict[str, Any]:
    return {"slug": "gamma", "full_name": "МБОУ «Школа Гамма»", "short_name": "Гамма", "municipal_code": "G-001"}


@pytest.fixture(autouse=True)
def _journal_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """journal.rules.today is the journal's clock (the 7-day lock, "entered late"): a fixed school day."""
    monkeypatch.setattr("journal.rules.today", lambda: JOURNAL_DAY)


def _journal_ids(w: World) -> dict[str, int]:
    """School A's maths journal of 5А, taught by A's teacher: lesson 1 of JOURNAL_DAY with a work, and
    lesson 2 with A's student absent (made on first use, by a URL or a body that names them)."""
    def make() -> dict[str, int]:
        from curriculum.models import Subject, TeachingAssignment
        from journal.models import Attendance, Lesson, Work, WorkType

        teacher = w.people[R.TEACHER]
        subject = Subject.objects.get_or_create(name="Математика")[0]
        TeachingAssignment.objects.get_or_create(teacher=teacher, subject=subject, school_class_id=w.class_id, subgroup=None, defaults={"hours_per_week": 5})
        Enrolment.objects.filter(student=w.student, school_class_id=w.class_id).update(since=dt.date(2026, 9, 1))
        lessons = [Lesson.objects.create(school_class_id=w.class_id, subject=subject, teacher=teacher, created_by=teacher,
                                         date=JOURNAL_DAY, lesson_number=n, topic="Дроби") for n in (1, 2)]
        answer = WorkType.objects.get(name="Ответ на уроке")
        work = Work.objects.create(lesson=lessons[0], work_type=answer, position=1)
        absence = Attendance.objects.create(lesson=lessons[1], student=w.student, status="absent", created_by=teacher)
        return {"j_subject": subject.pk, "j_lesson": lessons[0].pk, "j_work": work.pk, "j_absence": absence.pk, "j_work_type": answer.pk}

    if not w.journal_ids:
        w.journal_ids.update(_in_school(w.a, make))
    return w.journal_ids


def _j_cell(w: World, **extra: Any) -> dict[str, Any]:
    ids = _journal_ids(w)
    return {"work": ids["j_work"], "lesson": ids["j_lesson"], "student": w.student.pk, **extra}


def _control_ids(url: str, w: World) -> dict[str, int]:
    """For the journal-control rows (made on first use, on top of _journal_ids): lesson 5 of Monday
    2026-11-16 (past the 7-day lock) with a pending change request of A's teacher, her notebook entry,
    an extracurricular group she leads, and the 1st quarter (its period-mark window long closed)."""
    def make() -> dict[str, int]:
        from journal.models import ActivityGroup, ActivityMember, ChangeRequest, Lesson, NotebookEntry
        from schoolyear.models import StudyPeriod

        teacher = w.people[R.TEACHER]
        old = Lesson.objects.create(school_class_id=w.class_id, subject_id=ids["j_subject"], teacher=teacher, created_by=teacher,
                                    date=dt.date(2026, 11, 16), lesson_number=5, topic="Старая тема")
        request = ChangeRequest.objects.create(requested_by=teacher, school_class_id=w.class_id, subject_id=ids["j_subject"],
                                               lesson=old, target_date=old.date, changes=[{"op": "lesson", "topic": "Новая тема"}],
                                               description="Тема урока", reason="Опечатка")
        entry = NotebookEntry.objects.create(teacher=teacher, school_class_id=w.class_id, subject_id=ids["j_subject"],
                                             student=w.student, value=4, date=JOURNAL_DAY)
        group = ActivityGroup.objects.create(year_id=w.year_ids["year"], name="Шахматы", teacher=teacher)
        ActivityMember.objects.create(group=group, student=w.student)
        q1 = StudyPeriod.objects.get(scheme_id=w.year_ids["scheme"], number=1)
        return {"jc_old": old.pk, "jc_request": request.pk, "jc_entry": entry.pk, "jc_group": group.pk, "jc_q1": q1.pk}

    if "{jc_" not in url and url:
        return {}
    ids = _journal_ids(w)
    if not w.control_ids:
        w.control_ids.update(_in_school(w.a, make))
    return w.control_ids


def _jc(w: World) -> dict[str, int]:
    return {**_journal_ids(w), **_control_ids("", w)}


def _jc_topics_form(w: World) -> dict[str, Any]:
    return {"action": "save", "t-TOTAL_FORMS": "1", "t-INITIAL_FORMS": "0", "t-MIN_NUM_FORMS": "0", "t-MAX_NUM_FORMS": "400",
            "t-0-number": "1", "t-0-title": "Введение", "t-0-hours": "1"}


_J = "/api/v1/schools/{slug}/journal/"
_J_PAGE = "/s/{slug}/journal/"

# The curriculum and the timetable (R-Y03, R-Y04; roles.py: MANAGE_CURRICULUM / MANAGE_TIMETABLE belong to the
# school administrator, the director and the deputy). Every member reads the timetable, the bells and the events;
# staff read subjects, a teacher's week and the substitutions; the curriculum and the load of the whole school are
# for Perm.VIEW_PEOPLE holders and the planners; a class's curriculum also for its teachers and class teacher.
PLANNERS = frozenset({R.SCHOOL_ADMIN, R.DIRECTOR, R.DEPUTY})
TT_STAFF = MEMBERS - FAMILY
CURRICULUM_READERS = PEOPLE | PLANNERS
CLASS_CURRICULUM = CURRICULUM_READERS | {R.TEACHER, R.CLASS_TEACHER}
_CUR, _CUR_PAGE = "/api/v1/schools/{slug}/curriculum/", "/s/{slug}/curriculum/"
_TT, _TT_PAGE = "/api/v1/schools/{slug}/timetable/", "/s/{slug}/timetable/"


def _tt_ids(url: str, w: World) -> dict[str, int]:
    """School A's curriculum and timetable (made when a curriculum or timetable URL is called): maths in 5А
    (5 h, taught by A's teacher), an empty area and an unused subject, the 1st shift's bells (6 lessons) and an
    empty 2nd shift, maths on Monday 1st (substituted by the class teacher on 2026-09-07) and Tuesday 2nd, an event."""
    def make() -> dict[str, int]:
        from curriculum.models import CurriculumLine, EducationalArea, Subject, TeachingAssignment
        from timetable.models import Bell, BellSchedule, Event, Substitution, TimetableEntry

        year = current_year_in_schema()
        teacher = w.people[R.TEACHER]
        area = EducationalArea.objects.create(name="Математика и информатика")
        empty_area = EducationalArea.objects.create(name="Пустая область")
        maths = Subject.objects.get_or_create(name="Математика", defaults={"area": area})[0]
        unused = Subject.objects.create(name="Астрономия")
        line = CurriculumLine.objects.create(school_class_id=w.class_id, subject=maths, hours_per_week=5)
        assignment, _ = TeachingAssignment.objects.get_or_create(teacher=teacher, subject=maths, school_class_id=w.class_id, subgroup=None, defaults={"hours_per_week": 5})
        bells = BellSchedule.objects.create(year=year, shift=1, name="1 смена")
        Bell.objects.bulk_create([Bell(schedule=bells, number=n, starts_at=dt.time(7 + n, 30), ends_at=dt.time(8 + n, 15)) for n in range(1, 7)])
        bells2 = BellSchedule.objects.create(year=year, shift=2, name="2 смена")
        Bell.objects.create(schedule=bells2, number=1, starts_at=dt.time(15, 0), ends_at=dt.time(15, 45))
        entry = TimetableEntry.objects.create(school_class_id=w.class_id, weekday=1, lesson_number=1, subject=maths, teacher=teacher,
                                              room="21", valid_from=year.starts_on)
        entry2 = TimetableEntry.objects.create(school_class_id=w.class_id, weekday=2, lesson_number=2, subject=maths, teacher=teacher,
                                               room="21", valid_from=year.starts_on)
        substitution = Substitution.objects.create(date=dt.date(2026, 9, 7), entry=entry, absent_teacher=teacher,
                                                   substitute=w.people[R.CLASS_TEACHER], reason="Болезнь")
        event = Event.objects.create(title="Линейка", date=dt.date(2026, 12, 1))
        return {"tt_area": area.pk, "tt_area2": empty_area.pk, "tt_subject": maths.pk, "tt_subject2": unused.pk, "tt_line": line.pk,
                "tt_assignment": assignment.pk, "tt_bells2": bells2.pk, "tt_entry": entry.pk, "tt_entry2": entry2.pk,
                "tt_substitution": substitution.pk, "tt_event": event.pk, "tt_teacher": teacher.pk}

    if url and "curriculum/" not in url and "timetable/" not in url:
        return {}
    if not w.tt_ids:
        w.tt_ids.update(_in_school(w.a, make))
    return w.tt_ids


def _tt(w: World) -> dict[str, int]:
    return _tt_ids("", w)


_SIX_BELLS = "\n".join(f"{n} {7 + n:02d}:30-{8 + n:02d}:15" for n in range(1, 7))
_TT_ENTRY = lambda w: {"class_id": w.class_id, "weekday": 3, "lesson_number": 1, "subject_id": _tt(w)["tt_subject"],  # noqa: E731
                       "teacher_id": w.people[R.TEACHER].pk, "room": "22"}
_TT_ROWS = [
    Endpoint("page-curriculum-index", "GET", _CUR_PAGE, "school:curriculum-index", CLASS_CURRICULUM),
    Endpoint("page-curriculum-subjects", "GET", _CUR_PAGE + "subjects/", "school:curriculum-subjects", TT_STAFF),
    Endpoint("page-curriculum-subject-create", "POST", _CUR_PAGE + "subjects/", "school:curriculum-subjects", PLANNERS, ok=302,
             data=lambda w: {"action": "subject", "s-name": "Черчение"}),
    Endpoint("page-curriculum-subject", "GET", _CUR_PAGE + "subjects/{tt_subject}/", "school:curriculum-subject", TT_STAFF),
    Endpoint("page-curriculum-subject-save", "POST", _CUR_PAGE + "subjects/{tt_subject}/", "school:curriculum-subject", PLANNERS,
             ok=302, data=lambda w: {"action": "save", "name": "Математика", "short_name": "Мат."}),
    Endpoint("page-curriculum-area", "POST", _CUR_PAGE + "areas/{tt_area}/", "school:curriculum-area", PLANNERS, ok=302,
             data=lambda w: {"action": "rename", "name": "Математика и информатика (ФГОС)"}),
    Endpoint("page-curriculum-class", "GET", _CUR_PAGE + "classes/{cls}/", "school:curriculum-class", CLASS_CURRICULUM),
    Endpoint("page-curriculum-class-save", "POST", _CUR_PAGE + "classes/{cls}/", "school:curriculum-class", PLANNERS, ok=302,
             data=lambda w: {"action": "add", "subject": _tt(w)["tt_subject2"], "part": "elective", "hours": "1"}),
    Endpoint("page-curriculum-parallel", "GET", _CUR_PAGE + "parallels/5/", "school:curriculum-parallel", CURRICULUM_READERS),
    Endpoint("page-curriculum-parallel-apply", "POST", _CUR_PAGE + "parallels/5/", "school:curriculum-parallel", PLANNERS, ok=302,
             data=lambda w: {f"h_{_tt(w)['tt_subject']}_mandatory": "5"}),
    Endpoint("page-curriculum-load", "GET", _CUR_PAGE + "load/", "school:curriculum-load", CURRICULUM_READERS),
    Endpoint("page-curriculum-load-assign", "POST", _CUR_PAGE + "load/", "school:curriculum-load", PLANNERS, ok=302,
             data=lambda w: {"teacher": w.people[R.TEACHER].pk, "subject": _tt(w)["tt_subject"], "school_class": w.class_id,
                             "subgroup": "", "hours": "4"}),
    Endpoint("page-curriculum-assignment", "POST", _CUR_PAGE + "load/{tt_assignment}/", "school:curriculum-assignment", PLANNERS,
             ok=302, data=lambda w: {"action": "delete"}),
    Endpoint("page-timetable-index", "GET", _TT_PAGE, "school:timetable-index", MEMBERS),
    Endpoint("page-timetable-class", "GET", _TT_PAGE + "classes/{cls}/", "school:timetable-class", MEMBERS),
    Endpoint("page-timetable-edit", "GET", _TT_PAGE + "classes/{cls}/edit/", "school:timetable-edit", PLANNERS),
    Endpoint("page-timetable-edit-save", "POST", _TT_PAGE + "classes/{cls}/edit/", "school:timetable-edit", PLANNERS, ok=302,
             data=lambda w: {"weekday": "3", "lesson_number": "1", "shift": "1", "subject": _tt(w)["tt_subject"],
                             "teacher": w.people[R.TEACHER].pk, "room": "22"}),
    Endpoint("page-timetable-teacher", "GET", _TT_PAGE + "teachers/{tt_teacher}/", "school:timetable-teacher", TT_STAFF),
    Endpoint("page-timetable-check", "GET", _TT_PAGE + "check/", "school:timetable-check", CURRICULUM_READERS),
    Endpoint("page-timetable-bells", "GET", _TT_PAGE + "bells/", "school:timetable-bells", MEMBERS),
    Endpoint("page-timetable-bells-save", "POST", _TT_PAGE + "bells/", "school:timetable-bells", PLANNERS, ok=302,
             data=lambda w: {"shift": "1", "name": "1 смена", "bells": _SIX_BELLS}),
    Endpoint("page-timetable-events", "GET", _TT_PAGE + "events/", "school:timetable-events", MEMBERS),
    Endpoint("page-timetable-events-create", "POST", _TT_PAGE + "events/", "school:timetable-events", PLANNERS, ok=302,
             data=lambda w: {"kind": "school", "title": "Концерт", "date": "2026-12-20"}),
    Endpoint("page-timetable-event", "POST", _TT_PAGE + "events/{tt_event}/", "school:timetable-event", PLANNERS, ok=302,
             data=lambda w: {"action": "delete"}),
    Endpoint("page-timetable-substitutions", "GET", _TT_PAGE + "substitutions/", "school:timetable-substitutions", TT_STAFF),
    Endpoint("page-timetable-substitutions-create", "POST", _TT_PAGE + "substitutions/", "school:timetable-substitutions", PLANNERS,
             ok=302, data=lambda w: {"date": "2026-09-14", "entry": _tt(w)["tt_entry"], "substitute": w.people[R.CLASS_TEACHER].pk,
                                     "reason": "Болезнь"}),
    Endpoint("page-timetable-substitution", "POST", _TT_PAGE + "substitutions/{tt_substitution}/", "school:timetable-substitution",
             PLANNERS, ok=302),
    Endpoint("api-curriculum-areas", "GET", _CUR + "areas/", "api-curriculum-areas", TT_STAFF),
    Endpoint("api-curriculum-area-create", "POST", _CUR + "areas/", "api-curriculum-areas", PLANNERS, ok=201,
             data=lambda w: {"name": "Искусство"}),
    Endpoint("api-curriculum-area", "PATCH", _CUR + "areas/{tt_area}/", "api-curriculum-area", PLANNERS,
             data=lambda w: {"name": "Математика и информатика (ФГОС)"}),
    Endpoint("api-curriculum-area-delete", "DELETE", _CUR + "areas/{tt_area2}/", "api-curriculum-area", PLANNERS, ok=204),
    Endpoint("api-curriculum-subjects", "GET", _CUR + "subjects/", "api-curriculum-subjects", TT_STAFF),
    Endpoint("api-curriculum-subject-create", "POST", _CUR + "subjects/", "api-curriculum-subjects", PLANNERS, ok=201,
             data=lambda w: {"name": "Черчение"}),
    Endpoint("api-curriculum-subject", "PATCH", _CUR + "subjects/{tt_subject}/", "api-curriculum-subject", PLANNERS,
             data=lambda w: {"short_name": "Мат."}),
    Endpoint("api-curriculum-subject-delete", "DELETE", _CUR + "subjects/{tt_subject2}/", "api-curriculum-subject", PLANNERS, ok=204),
    Endpoint("api-curriculum-lines", "GET", _CUR + "lines/", "api-curriculum-lines", CURRICULUM_READERS),
    Endpoint("api-curriculum-line-create", "POST", _CUR + "lines/", "api-curriculum-lines", PLANNERS, ok=201,
             data=lambda w: {"class_id": w.class_id, "subject_id": _tt(w)["tt_subject2"], "hours_per_week": "1", "part": "elective"}),
    Endpoint("api-curriculum-line", "PATCH", _CUR + "lines/{tt_line}/", "api-curriculum-line", PLANNERS,
             data=lambda w: {"hours_per_week": "6"}),
    Endpoint("api-curriculum-line-delete", "DELETE", _CUR + "lines/{tt_line}/", "api-curriculum-line", PLANNERS, ok=204),
    Endpoint("api-curriculum-class", "GET", _CUR + "classes/{cls}/", "api-curriculum-class", CLASS_CURRICULUM),
    Endpoint("api-curriculum-parallel", "GET", _CUR + "parallels/5/", "api-curriculum-parallel", CURRICULUM_READERS),
    Endpoint("api-curriculum-parallel-apply", "POST", _CUR + "parallels/5/", "api-curriculum-parallel", PLANNERS,
             data=lambda w: {"lines": [{"subject_id": _tt(w)["tt_subject"], "hours_per_week": "5"}]}),
    Endpoint("api-curriculum-assignments", "GET", _CUR + "assignments/", "api-curriculum-assignments", TT_STAFF),
    Endpoint("api-curriculum-assign", "POST", _CUR + "assignments/", "api-curriculum-assignments", PLANNERS, ok=201,
             data=lambda w: {"teacher_id": w.people[R.TEACHER].pk, "subject_id": _tt(w)["tt_subject"], "class_id": w.class_id,
                             "hours_per_week": "4"}),
    Endpoint("api-curriculum-assignment", "PATCH", _CUR + "assignments/{tt_assignment}/", "api-curriculum-assignment", PLANNERS,
             data=lambda w: {"hours_per_week": "4"}),
    Endpoint("api-curriculum-assignment-delete", "DELETE", _CUR + "assignments/{tt_assignment}/", "api-curriculum-assignment",
             PLANNERS, ok=204),
    Endpoint("api-curriculum-check", "GET", _CUR + "check/", "api-curriculum-check", CURRICULUM_READERS),
    Endpoint("api-timetable-bells", "GET", _TT + "bells/", "api-timetable-bells", MEMBERS),
    Endpoint("api-timetable-bells-save", "POST", _TT + "bells/", "api-timetable-bells", PLANNERS, ok=201,
             data=lambda w: {"shift": 2, "bells": [{"number": 1, "starts_at": "14:00", "ends_at": "14:45"}]}),
    Endpoint("api-timetable-bell-schedule", "DELETE", _TT + "bells/{tt_bells2}/", "api-timetable-bell-schedule", PLANNERS, ok=204),
    Endpoint("api-timetable-entries", "GET", _TT + "entries/", "api-timetable-entries", MEMBERS),
    Endpoint("api-timetable-entry-create", "POST", _TT + "entries/", "api-timetable-entries", PLANNERS, ok=201, data=_TT_ENTRY),
    Endpoint("api-timetable-entry", "PATCH", _TT + "entries/{tt_entry2}/", "api-timetable-entry", PLANNERS,
             data=lambda w: {"room": "23"}),
    Endpoint("api-timetable-entry-delete", "DELETE", _TT + "entries/{tt_entry2}/", "api-timetable-entry", PLANNERS, ok=204),
    Endpoint("api-timetable-class-week", "GET", _TT + "week/classes/{cls}/", "api-timetable-class-week", MEMBERS),
    Endpoint("api-timetable-teacher-week", "GET", _TT + "week/teachers/{tt_teacher}/", "api-timetable-teacher-week", TT_STAFF),
    Endpoint("api-timetable-lessons", "GET", _TT + "lessons/", "api-timetable-lessons", TT_STAFF),
    Endpoint("api-timetable-check", "GET", _TT + "check/", "api-timetable-check", CURRICULUM_READERS),
    Endpoint("api-timetable-events", "GET", _TT + "events/", "api-timetable-events", MEMBERS),
    Endpoint("api-timetable-event-create", "POST", _TT + "events/", "api-timetable-events", PLANNERS, ok=201,
             data=lambda w: {"kind": "class", "class_id": w.class_id, "title": "Экскурсия", "date": "2026-12-15"}),
    Endpoint("api-timetable-event", "PATCH", _TT + "events/{tt_event}/", "api-timetable-event", PLANNERS,
             data=lambda w: {"title": "Торжественная линейка"}),
    Endpoint("api-timetable-event-delete", "DELETE", _TT + "events/{tt_event}/", "api-timetable-event", PLANNERS, ok=204),
    Endpoint("api-timetable-substitutions", "GET", _TT + "substitutions/", "api-timetable-substitutions", TT_STAFF),
    Endpoint("api-timetable-substitution-create", "POST", _TT + "substitutions/", "api-timetable-substitutions", PLANNERS, ok=201,
             data=lambda w: {"entry_id": _tt(w)["tt_entry"], "date": "2026-09-14", "substitute_id": w.people[R.CLASS_TEACHER].pk,
                             "reason": "Болезнь"}),
    Endpoint("api-timetable-substitution", "PATCH", _TT + "substitutions/{tt_substitution}/", "api-timetable-substitution", PLANNERS,
             data=lambda w: {"reason": "Курсы повышения квалификации"}),
    Endpoint("api-timetable-substitution-delete", "DELETE", _TT + "substitutions/{tt_substitution}/", "api-timetable-substitution",
             PLANNERS, ok=204),
]

SCHOOL_ENDPOINTS = [
    *_TT_ROWS,
    # the journal: the teacher's day, lessons, the grid, absences (R-J01..R-J07, R-A01)
    Endpoint("page-journal-home", "GET", _J_PAGE, "school:journal-home", JOURNAL_READERS),
    Endpoint("page-journal-today", "GET", _J_PAGE + "today/", "school:journal-today", MY_DAY),
    Endpoint("page-journal-lesson-new", "GET", _J_PAGE + "lessons/new/{cls}/{j_subject}/2026-11-25/3/",
             "school:journal-lesson-new", JOURNAL_WRITERS, district_admin=False),
    Endpoint("page-journal-lesson-create", "POST", _J_PAGE + "lessons/new/{cls}/{j_subject}/2026-11-25/3/",
             "school:journal-lesson-new", JOURNAL_WRITERS, ok=302, data=lambda w: {"topic": "Дроби"}, district_admin=False),
    Endpoint("page-journal-lesson", "GET", _J_PAGE + "lessons/{j_lesson}/", "school:journal-lesson", JOURNAL_READERS),
    Endpoint("page-journal-lesson-save", "POST", _J_PAGE + "lessons/{j_lesson}/", "school:journal-lesson", JOURNAL_WRITERS, ok=302,
             data=lambda w: {"topic": "Десятичные дроби", "version": 1}, district_admin=False),
    Endpoint("page-journal-grid", "GET", _J_PAGE + "{cls}/{j_subject}/", "school:journal-grid", JOURNAL_READERS),
    Endpoint("page-journal-absences", "GET", _J_PAGE + "absences/{cls}/", "school:journal-absences", ABSENCE_READERS),
    Endpoint("page-journal-absence-reason", "POST", _J_PAGE + "absences/{cls}/", "school:journal-absences", ABSENCE_SETTERS, ok=302,
             data=lambda w: {"attendance": _journal_ids(w)["j_absence"], "reason": "unexcused"}),
    Endpoint("api-journal-my-day", "GET", _J + "my-day/", "api-journal-my-day", MY_DAY),
    Endpoint("api-journal-work-types", "GET", _J + "work-types/", "api-journal-work-types", JOURNAL_READERS),
    Endpoint("api-journal-class-lessons", "GET", _J + "grid/{cls}/{j_subject}/lessons/", "api-journal-class-lessons", JOURNAL_READERS),
    Endpoint("api-journal-lesson-create", "POST", _J + "lessons/", "api-journal-lessons", JOURNAL_WRITERS, ok=201, district_admin=False,
             data=lambda w: {"school_class": w.class_id, "subject": _journal_ids(w)["j_subject"], "date": "2026-11-25", "lesson_number": 3}),
    Endpoint("api-journal-lesson", "GET", _J + "lessons/{j_lesson}/", "api-journal-lesson", JOURNAL_READERS),
    Endpoint("api-journal-lesson-patch", "PATCH", _J + "lessons/{j_lesson}/", "api-journal-lesson", JOURNAL_WRITERS, district_admin=False,
             data=lambda w: {"homework": "№ 245", "version": 1}),
    Endpoint("api-journal-works", "POST", _J + "lessons/{j_lesson}/works/", "api-journal-works", JOURNAL_WRITERS, ok=201,
             district_admin=False, data=lambda w: {"work_type": _journal_ids(w)["j_work_type"]}),
    Endpoint("api-journal-individual-homework", "PUT", _J + "lessons/{j_lesson}/individual-homework/", "api-journal-individual-homework",
             JOURNAL_WRITERS, district_admin=False, data=lambda w: {"student": w.student.pk, "text": "Карточка № 3"}),
    Endpoint("api-journal-mark", "PUT", _J + "marks/", "api-journal-marks", JOURNAL_WRITERS, district_admin=False,
             data=lambda w: _j_cell(w, value="5", version=0)),
    Endpoint("api-journal-mark-delete", "DELETE", _J + "marks/", "api-journal-marks", JOURNAL_WRITERS, district_admin=False,
             data=lambda w: _j_cell(w, version=0)),
    Endpoint("api-journal-attendance", "PUT", _J + "attendance/", "api-journal-attendance", JOURNAL_WRITERS, district_admin=False,
             data=lambda w: _j_cell(w, status="late")),
    Endpoint("api-journal-attendance-delete", "DELETE", _J + "attendance/", "api-journal-attendance", JOURNAL_WRITERS,
             district_admin=False, data=lambda w: _j_cell(w)),
    Endpoint("api-journal-attendance-taken", "POST", _J + "lessons/{j_lesson}/attendance-taken/", "api-journal-attendance-taken",
             JOURNAL_WRITERS, district_admin=False),
    Endpoint("api-journal-absences", "GET", _J + "absences/{cls}/", "api-journal-absences", ABSENCE_READERS),
    Endpoint("api-journal-absence-reason", "PUT", _J + "attendance/{j_absence}/reason/", "api-journal-absence-reason", ABSENCE_SETTERS,
             data=lambda w: {"reason": "unexcused"}),
    Endpoint("api-journal-grid", "GET", _J + "grid/{cls}/{j_subject}/", "api-journal-grid", JOURNAL_READERS),
    # pages: /s/<slug>/…
    Endpoint("page-home", "GET", "/s/{slug}/", "school:home", MEMBERS),
    Endpoint("page-staff", "GET", "/s/{slug}/staff/", "school:staff", ADMINS),
    Endpoint("page-staff-grant", "POST", "/s/{slug}/staff/", "school:staff", ADMINS, data=_grant_form),
    Endpoint("page-revoke", "POST", "/s/{slug}/staff/{membership}/revoke/", "school:revoke", ADMINS, ok=302,
             data=lambda w: {"reason": "перевод"}),
    Endpoint("page-overdue", "GET", "/s/{slug}/people/overdue/", "school:overdue", PEOPLE),
    Endpoint("page-classes", "GET", "/s/{slug}/classes/", "school:classes", CLASSES),
    Endpoint("page-class", "GET", "/s/{slug}/classes/{cls}/", "school:class_detail", CLASSES),
    Endpoint("page-slips", "POST", "/s/{slug}/classes/{cls}/slips/", "school:issue_slips", ISSUE,
             data=lambda w: {"person": [str(w.student.pk)]}),
    Endpoint("page-audit", "GET", "/s/{slug}/audit/", "school:audit", ADMINS),
    # API: /api/v1/schools/<slug>/…
    Endpoint("api-school", "GET", "/api/v1/schools/{slug}/", "api-school", MEMBERS),
    Endpoint("api-memberships", "GET", "/api/v1/schools/{slug}/memberships/", "api-memberships", PEOPLE),
    Endpoint("api-grant", "POST", "/api/v1/schools/{slug}/memberships/", "api-memberships", ADMINS, ok=201,
             data=_grant_form),
    Endpoint("api-revoke", "DELETE", "/api/v1/schools/{slug}/memberships/{membership}/", "api-membership", ADMINS,
             data=lambda w: {"reason": "перевод"}),
    Endpoint("api-overdue", "GET", "/api/v1/schools/{slug}/people/overdue/", "api-overdue", PEOPLE),
    Endpoint("api-classes", "GET", "/api/v1/schools/{slug}/classes/", "api-classes", CLASSES),
    Endpoint("api-slips", "POST", "/api/v1/schools/{slug}/classes/{cls}/slips/", "api-slips", ISSUE, ok=201,
             data=lambda w: {"person_ids": [w.student.pk]}),
    Endpoint("api-audit", "GET", "/api/v1/schools/{slug}/audit/", "api-school-audit", ADMINS),
    # spreadsheet import and export (R-Y07); the job's file is gone, so a confirmation ends "failed"
    Endpoint("page-import", "GET", "/s/{slug}/import/", "school:import-home", IMPORT_HOME),
    Endpoint("page-import-upload", "POST", "/s/{slug}/import/", "school:import-home", IMPORTERS, ok=302, data=_import_upload),
    Endpoint("page-import-job", "GET", "/s/{slug}/import/jobs/{job}/", "school:import-job", IMPORTERS),
    Endpoint("page-import-confirm", "POST", "/s/{slug}/import/jobs/{job}/confirm/", "school:import-confirm", IMPORTERS,
             ok=302, data=lambda w: {"mode": "all"}),
    Endpoint("api-import-jobs", "GET", "/api/v1/schools/{slug}/import/jobs/", "api-import-jobs", IMPORT_HOME),
    # A JSON body carries no file: past the access check it is refused as invalid (400).
    Endpoint("api-import-upload", "POST", "/api/v1/schools/{slug}/import/jobs/", "api-import-jobs", IMPORTERS, ok=400,
             data=lambda w: {"kind": "students"}),
    Endpoint("api-import-job", "GET", "/api/v1/schools/{slug}/import/jobs/{job}/", "api-import-job", IMPORTERS),
    Endpoint("api-import-confirm", "POST", "/api/v1/schools/{slug}/import/jobs/{job}/confirm/", "api-import-confirm",
             IMPORTERS, data=lambda w: {"mode": "all"}),
    Endpoint("api-import-template", "GET", "/api/v1/schools/{slug}/import/templates/students/", "api-import-template",
             IMPORTERS),
    Endpoint("api-import-export", "GET", "/api/v1/schools/{slug}/import/export/students/", "api-import-export", IMPORTERS),
    # the academic year (R-Y01) and closing it (R-Y05): members read, YEAR_ADMINS write
    Endpoint("page-year", "GET", "/s/{slug}/year/", "school:year-home", MEMBERS),
    Endpoint("page-year-edit", "POST", "/s/{slug}/year/", "school:year-home", YEAR_ADMINS, ok=302, data=_day_off_form),
    Endpoint("page-year-close", "GET", "/s/{slug}/year/close/", "school:year-close", YEAR_CLOSERS),
    Endpoint("page-year-close-confirm", "POST", "/s/{slug}/year/close/", "school:year-close", YEAR_CLOSERS, ok=302,
             data=lambda w: {**_close_order(w), "new_starts_on": "2027-09-01", "new_ends_on": "2028-05-25"}),
    Endpoint("api-year-list", "GET", "/api/v1/schools/{slug}/year/", "api-year-list", MEMBERS),
    # The world's year is open: past the access check a second open year is refused (400).
    Endpoint("api-year-create", "POST", "/api/v1/schools/{slug}/year/", "api-year-list", YEAR_ADMINS, ok=400,
             data=lambda w: {"starts_on": "2027-09-01", "ends_on": "2028-05-25"}),
    Endpoint("api-year-detail", "GET", "/api/v1/schools/{slug}/year/{year}/", "api-year-detail", MEMBERS),
    Endpoint("api-year-update", "PATCH", "/api/v1/schools/{slug}/year/{year}/", "api-year-detail", YEAR_ADMINS,
             data=lambda w: {"name": "2026–2027"}),
    Endpoint("api-year-periods", "GET", "/api/v1/schools/{slug}/year/{year}/periods/", "api-year-periods", MEMBERS),
    Endpoint("api-year-periods-create", "POST", "/api/v1/schools/{slug}/year/{year}/periods/", "api-year-periods", YEAR_ADMINS,
             ok=201, data=lambda w: {"kind": "half_year", "grades": [10, 11], "periods": [
                 {"starts_on": "2026-09-01", "ends_on": "2026-12-27"}, {"starts_on": "2027-01-11", "ends_on": "2027-05-25"}]}),
    Endpoint("api-year-scheme-put", "PUT", "/api/v1/schools/{slug}/year/{year}/periods/{scheme}/", "api-year-period-scheme",
             YEAR_ADMINS, data=lambda w: {"kind": "quarter", "grades": [1, 2, 3, 4, 5, 6, 7, 8, 9], "periods": [
                 {"starts_on": s.isoformat(), "ends_on": e.isoformat()} for s, e in _QUARTERS]}),
    Endpoint("api-year-scheme-delete", "DELETE", "/api/v1/schools/{slug}/year/{year}/periods/{scheme}/", "api-year-period-scheme",
             YEAR_ADMINS, ok=204),
    Endpoint("api-year-days-off", "GET", "/api/v1/schools/{slug}/year/{year}/days-off/", "api-year-days-off", MEMBERS),
    Endpoint("api-year-day-off-add", "POST", "/api/v1/schools/{slug}/year/{year}/days-off/", "api-year-days-off", YEAR_ADMINS,
             ok=201, data=lambda w: {k: v for k, v in _day_off_form(w).items() if k != "action"} | {"grades": [1]}),
    Endpoint("api-year-day-off-delete", "DELETE", "/api/v1/schools/{slug}/year/{year}/days-off/{day_off}/", "api-year-day-off",
             YEAR_ADMINS, ok=204),
    Endpoint("api-year-moved-days", "GET", "/api/v1/schools/{slug}/year/{year}/moved-days/", "api-year-moved-days", MEMBERS),
    Endpoint("api-year-moved-day-add", "POST", "/api/v1/schools/{slug}/year/{year}/moved-days/", "api-year-moved-days",
             YEAR_ADMINS, ok=201, data=lambda w: _moved_day()),
    Endpoint("api-year-moved-day-delete", "DELETE", "/api/v1/schools/{slug}/year/{year}/moved-days/{moved_day}/",
             "api-year-moved-day", YEAR_ADMINS, ok=204),
    Endpoint("api-year-week", "GET", "/api/v1/schools/{slug}/year/{year}/week/", "api-year-week", MEMBERS),
    Endpoint("api-year-week-set", "PUT", "/api/v1/schools/{slug}/year/{year}/week/", "api-year-week", YEAR_ADMINS,
             data=lambda w: {"weeks": [{"grade": 5, "days": 6}]}),
    Endpoint("api-year-calendar", "GET", "/api/v1/schools/{slug}/year/calendar/", "api-year-calendar", MEMBERS),
    Endpoint("api-year-close-preview", "GET", "/api/v1/schools/{slug}/year/close/", "api-year-close", YEAR_CLOSERS),
    Endpoint("api-year-close", "POST", "/api/v1/schools/{slug}/year/close/", "api-year-close", YEAR_CLOSERS,
             data=_close_order),
    # The world's year is open: past the access check reopening it is refused (page: message and 302; API: 400).
    Endpoint("page-year-reopen", "POST", "/s/{slug}/year/reopen/", "school:year-reopen", YEAR_CLOSERS, ok=302,
             data=lambda w: {"year": w.year_ids["year"], "reason": "Приказ об отмене приказа о переводе"}),
    Endpoint("api-year-reopen", "POST", "/api/v1/schools/{slug}/year/{year}/reopen/", "api-year-reopen", YEAR_CLOSERS,
             ok=400, data=lambda w: {"reason": "Приказ об отмене приказа о переводе"}),
    # classes, subgroups, students, parents, staff cards, movement, personal data (R-Y02, R-Y06, R-A06, R-A07)
    Endpoint("page-roster-class-new", "GET", "/s/{slug}/classes/new/", "school:roster-class-new", CLASS_ADMINS),
    Endpoint("page-roster-class-create", "POST", "/s/{slug}/classes/new/", "school:roster-class-new", CLASS_ADMINS, ok=302,
             data=lambda w: {"grade": 7, "letter": "В"}),
    Endpoint("page-roster-class-edit", "GET", "/s/{slug}/classes/{cls}/edit/", "school:roster-class-edit", CLASS_ADMINS),
    Endpoint("page-roster-class-save", "POST", "/s/{slug}/classes/{cls}/edit/", "school:roster-class-edit", CLASS_ADMINS, ok=302,
             data=lambda w: {"grade": 5, "letter": "А", "profile": "", "class_teacher_id": w.people[R.CLASS_TEACHER].pk}),
    Endpoint("page-roster-class-delete", "POST", "/s/{slug}/classes/{empty_cls}/edit/", "school:roster-class-edit", CLASS_ADMINS,
             ok=302, data=lambda w: {"action": "delete"}),
    Endpoint("page-roster-subgroups", "GET", "/s/{slug}/classes/{cls}/subgroups/", "school:roster-subgroups", CLASSES),
    Endpoint("page-roster-subgroup-create", "POST", "/s/{slug}/classes/{cls}/subgroups/", "school:roster-subgroups", SUBGROUPS,
             ok=302, data=lambda w: {"action": "create", "kind": "pe", "name": "Группа 1", "student": [str(w.student.pk)]}),
    Endpoint("page-roster-students", "GET", "/s/{slug}/students/", "school:roster-students", CLASSES),
    Endpoint("page-roster-student-new", "GET", "/s/{slug}/students/new/", "school:roster-student-new", MOVERS),
    Endpoint("page-roster-student-enrol", "POST", "/s/{slug}/students/new/", "school:roster-student-new", MOVERS, ok=302,
             data=lambda w: {**_NEW_STUDENT, "school_class": w.class_id}),
    Endpoint("page-roster-student", "GET", "/s/{slug}/students/{student}/", "school:roster-student", CLASSES),
    Endpoint("page-roster-student-edit", "GET", "/s/{slug}/students/{student}/edit/", "school:roster-student-edit", FAMILY_CARDS),
    Endpoint("page-roster-student-save", "POST", "/s/{slug}/students/{student}/edit/", "school:roster-student-edit", FAMILY_CARDS,
             ok=302, data=lambda w: {"surname": "Пеночкин", "name": "Саша", "sex": "m", "birth_date": "2015-01-01"}),
    Endpoint("page-roster-guardian-add", "POST", "/s/{slug}/students/{student}/guardians/", "school:roster-student-guardians",
             FAMILY_CARDS, ok=302, data=lambda w: {"action": "add", **_NEW_PARENT}),
    Endpoint("page-roster-transfer", "GET", "/s/{slug}/students/{student}/transfer/", "school:roster-student-transfer", MOVERS),
    Endpoint("page-roster-transfer-do", "POST", "/s/{slug}/students/{student}/transfer/", "school:roster-student-transfer", MOVERS,
             ok=302, data=lambda w: _move(w, "72", to_class=_other_class(w))),
    Endpoint("page-roster-leave", "GET", "/s/{slug}/students/{student}/leave/", "school:roster-student-leave", MOVERS),
    Endpoint("page-roster-leave-do", "POST", "/s/{slug}/students/{student}/leave/", "school:roster-student-leave", MOVERS, ok=302,
             data=lambda w: _move(w, "73")),
    Endpoint("page-roster-orders", "GET", "/s/{slug}/orders/", "school:roster-orders", PEOPLE),
    Endpoint("page-roster-parents", "GET", "/s/{slug}/parents/", "school:roster-parents", CLASSES),
    Endpoint("page-roster-parent", "GET", "/s/{slug}/parents/{parent}/", "school:roster-parent", CLASSES),
    Endpoint("page-roster-parent-save", "POST", "/s/{slug}/parents/{parent}/", "school:roster-parent", FAMILY_CARDS, ok=302,
             data=lambda w: {"surname": "Овсянкина", "name": "Раиса", "sex": "f", "birth_date": "1985-01-01"}),
    Endpoint("page-roster-staff-cards", "GET", "/s/{slug}/staff-cards/", "school:roster-staff-cards", PEOPLE),
    # Hiring grants a role, so it is the role-granting administration's (R-P03), with the card right.
    Endpoint("page-roster-staff-new", "GET", "/s/{slug}/staff-cards/new/", "school:roster-staff-new", ADMINS),
    Endpoint("page-roster-staff-hire", "POST", "/s/{slug}/staff-cards/new/", "school:roster-staff-new", ADMINS, ok=302,
             data=lambda w: dict(_NEW_STAFF)),
    Endpoint("page-roster-staff-card", "GET", "/s/{slug}/staff-cards/{staff}/", "school:roster-staff-card", PEOPLE),
    Endpoint("page-roster-staff-card-save", "POST", "/s/{slug}/staff-cards/{staff}/", "school:roster-staff-card", CARD_KEEPERS,
             ok=302, data=lambda w: {"surname": "Клестова", "name": "Тамара", "sex": "f", "birth_date": "1980-01-01",
                                     "position": "Учитель"}),
    Endpoint("page-roster-personal-data", "GET", "/s/{slug}/personal-data/", "school:roster-personal-data", CARD_KEEPERS),
    Endpoint("page-roster-personal-data-save", "POST", "/s/{slug}/personal-data/", "school:roster-personal-data", CARD_KEEPERS,
             ok=302, data=lambda w: {"action": "save", "collect_email": "on"}),
    Endpoint("api-classes-create", "POST", "/api/v1/schools/{slug}/classes/", "api-classes", CLASS_ADMINS, ok=201,
             data=lambda w: {"grade": 7, "letter": "В"}),
    Endpoint("api-roster-class", "GET", "/api/v1/schools/{slug}/classes/{cls}/", "api-roster-class", CLASSES),
    Endpoint("api-roster-class-patch", "PATCH", "/api/v1/schools/{slug}/classes/{cls}/", "api-roster-class", CLASS_ADMINS,
             data=lambda w: {"profile": "социально-экономический"}),
    Endpoint("api-roster-class-delete", "DELETE", "/api/v1/schools/{slug}/classes/{empty_cls}/", "api-roster-class", CLASS_ADMINS,
             ok=204),
    Endpoint("api-roster-subgroups", "GET", "/api/v1/schools/{slug}/classes/{cls}/subgroups/", "api-roster-subgroups", CLASSES),
    Endpoint("api-roster-subgroup-create", "POST", "/api/v1/schools/{slug}/classes/{cls}/subgroups/", "api-roster-subgroups",
             SUBGROUPS, ok=201, data=lambda w: {"kind": "pe", "name": "Группа 2", "student_ids": [w.student.pk]}),
    # 5А has one student: past the access check a split is refused (400).
    Endpoint("api-roster-split", "POST", "/api/v1/schools/{slug}/classes/{cls}/subgroups/split/", "api-roster-split", SUBGROUPS,
             ok=400, data=lambda w: {"kind": "informatics"}),
    Endpoint("api-roster-subgroup", "GET", "/api/v1/schools/{slug}/subgroups/{subgroup}/", "api-roster-subgroup", CLASSES),
    Endpoint("api-roster-subgroup-patch", "PATCH", "/api/v1/schools/{slug}/subgroups/{subgroup}/", "api-roster-subgroup",
             SUBGROUPS, data=lambda w: {"name": "Группа Б"}),
    Endpoint("api-roster-subgroup-delete", "DELETE", "/api/v1/schools/{slug}/subgroups/{subgroup}/", "api-roster-subgroup",
             SUBGROUPS, ok=204),
    Endpoint("api-roster-subgroup-members", "PUT", "/api/v1/schools/{slug}/subgroups/{subgroup}/members/",
             "api-roster-subgroup-members", SUBGROUPS, data=lambda w: {"student_ids": [w.student.pk]}),
    Endpoint("api-roster-students", "GET", "/api/v1/schools/{slug}/students/", "api-roster-students", CLASSES),
    Endpoint("api-roster-student-create", "POST", "/api/v1/schools/{slug}/students/", "api-roster-students", MOVERS, ok=201,
             data=lambda w: {**_NEW_STUDENT, "class_id": w.class_id}),
    Endpoint("api-roster-student", "GET", "/api/v1/schools/{slug}/students/{student}/", "api-roster-student", CLASSES),
    Endpoint("api-roster-student-patch", "PATCH", "/api/v1/schools/{slug}/students/{student}/", "api-roster-student",
             FAMILY_CARDS, data=lambda w: {"sex": "m", "birth_date": "2015-01-01"}),
    Endpoint("api-roster-guardians", "GET", "/api/v1/schools/{slug}/students/{student}/guardians/", "api-roster-guardians",
             CLASSES),
    Endpoint("api-roster-guardian-add", "POST", "/api/v1/schools/{slug}/students/{student}/guardians/", "api-roster-guardians",
             FAMILY_CARDS, ok=201, data=lambda w: dict(_NEW_PARENT)),
    Endpoint("api-roster-guardian-remove", "DELETE", "/api/v1/schools/{slug}/students/{student}/guardians/{parent}/",
             "api-roster-guardian", FAMILY_CARDS, ok=204),
    Endpoint("api-roster-parent", "GET", "/api/v1/schools/{slug}/parents/{parent}/", "api-roster-parent", CLASSES),
    Endpoint("api-roster-parent-patch", "PATCH", "/api/v1/schools/{slug}/parents/{parent}/", "api-roster-parent", FAMILY_CARDS,
             data=lambda w: {"sex": "f", "birth_date": "1985-01-01"}),
    Endpoint("api-roster-staff-cards", "GET", "/api/v1/schools/{slug}/staff-cards/", "api-roster-staff-cards", PEOPLE),
    Endpoint("api-roster-staff-hire", "POST", "/api/v1/schools/{slug}/staff-cards/", "api-roster-staff-cards", ADMINS, ok=201,
             data=lambda w: dict(_NEW_STAFF)),
    Endpoint("api-roster-staff-card", "GET", "/api/v1/schools/{slug}/staff-cards/{staff}/", "api-roster-staff-card", PEOPLE),
    Endpoint("api-roster-staff-card-put", "PUT", "/api/v1/schools/{slug}/staff-cards/{staff}/", "api-roster-staff-card",
             CARD_KEEPERS, data=lambda w: {"position": "Учитель"}),
    Endpoint("api-roster-orders", "GET", "/api/v1/schools/{slug}/orders/", "api-roster-orders", PEOPLE),
    Endpoint("api-roster-enrol", "POST", "/api/v1/schools/{slug}/movement/enrol/", "api-roster-enrol", MOVERS, ok=201,
             data=lambda w: {"login": w.b_student.login, "class_id": w.class_id, "order_number": "71", "order_date": "2026-11-20"}),
    Endpoint("api-roster-transfer", "POST", "/api/v1/schools/{slug}/movement/transfer/", "api-roster-transfer", MOVERS,
             data=lambda w: _move(w, "72", to_class_id=_other_class(w))),
    Endpoint("api-roster-leave", "POST", "/api/v1/schools/{slug}/movement/leave/", "api-roster-leave", MOVERS,
             data=lambda w: _move(w, "73")),
    Endpoint("api-roster-personal-data", "GET", "/api/v1/schools/{slug}/personal-data/", "api-roster-personal-data", CLASSES),
    Endpoint("api-roster-personal-data-put", "PUT", "/api/v1/schools/{slug}/personal-data/", "api-roster-personal-data",
             CARD_KEEPERS, data=lambda w: {"collect_phone": False, "collect_address": False, "collect_email": True,
                                           "collect_snils": False}),
    Endpoint("api-roster-personal-data-erase", "POST", "/api/v1/schools/{slug}/personal-data/erase/",
             "api-roster-personal-data-erase", CARD_KEEPERS, data=lambda w: {"field": "phone"}),
    # the journal's control and end-of-period work (R-J02, R-J05, R-J08..R-J13, R-J15)
    Endpoint("page-jc-home", "GET", _J_PAGE + "control/", "school:journal-control-home", JC_CONTROL),
    Endpoint("page-jc-lessons", "GET", _J_PAGE + "control/lessons/", "school:journal-control-lessons", JC_CONTROL),
    Endpoint("page-jc-absences", "GET", _J_PAGE + "control/absences/", "school:journal-control-absences", JC_CONTROL | {R.CLASS_TEACHER}),
    Endpoint("page-jc-ktp-status", "GET", _J_PAGE + "control/ktp/", "school:journal-control-ktp", JC_CONTROL | {R.METHODIST}),
    Endpoint("page-jc-short", "GET", _J_PAGE + "control/short/", "school:journal-control-short", JC_CONTROL),
    Endpoint("page-jc-requests", "GET", _J_PAGE + "requests/", "school:journal-requests", JC_WRITE),
    Endpoint("page-jc-request-new", "GET", _J_PAGE + "requests/new/", "school:journal-request-new", JC_WRITE),
    Endpoint("page-jc-request-form", "GET", _J_PAGE + "requests/new/{jc_old}/", "school:journal-request-file",
             JC_READ_ALL | {R.TEACHER}),
    Endpoint("page-jc-request-file", "POST", _J_PAGE + "requests/new/{jc_old}/", "school:journal-request-file", JC_TEACHER,
             ok=302, district_admin=False, data=lambda w: {"topic": "Исправленная тема", "reason": "Опечатка"}),
    Endpoint("page-jc-register", "GET", _J_PAGE + "requests/register/", "school:journal-request-register", JC_CONTROL),
    Endpoint("page-jc-request", "GET", _J_PAGE + "requests/{jc_request}/", "school:journal-request", JC_CONTROL | {R.TEACHER}),
    Endpoint("page-jc-request-approve", "POST", _J_PAGE + "requests/{jc_request}/", "school:journal-request", JC_CONTROL, ok=302,
             data=lambda w: {"action": "approve", "note": "Обосновано"}),
    Endpoint("page-jc-final-class", "GET", _J_PAGE + "final/class/{cls}/", "school:journal-final-class", JC_CLASS),
    Endpoint("page-jc-final", "GET", _J_PAGE + "final/{cls}/{j_subject}/", "school:journal-final-marks", JC_CLASS_SUBJECT),
    # The 1st quarter's window closed on 28.10: past the access check the page explains the dates (200).
    Endpoint("page-jc-final-set", "POST", _J_PAGE + "final/{cls}/{j_subject}/", "school:journal-final-marks", JC_FINAL,
             district_admin=False, data=lambda w: {"kind": "period", "period": _jc(w)["jc_q1"], f"mark_{w.student.pk}": "5"}),
    Endpoint("page-jc-external", "GET", _J_PAGE + "external/{j_lesson}/", "school:journal-external-mark", JC_TEACHER,
             district_admin=False),
    Endpoint("page-jc-external-set", "POST", _J_PAGE + "external/{j_lesson}/", "school:journal-external-mark", JC_TEACHER, ok=302,
             district_admin=False, data=lambda w: {"work": _jc(w)["j_work"], "student": w.student.pk, "value": "4",
                                                   "document": "Справка санатория № 7"}),
    Endpoint("page-jc-notebook", "GET", _J_PAGE + "notebook/", "school:journal-notebook", JC_WRITE),
    Endpoint("page-jc-notebook-add", "POST", _J_PAGE + "notebook/", "school:journal-notebook", JC_TEACHER, ok=302,
             district_admin=False, data=lambda w: {"action": "add", "class": w.class_id, "subject": _jc(w)["j_subject"],
                                                   "student": w.student.pk, "value": "3"}),
    Endpoint("page-jc-ktp-list", "GET", _J_PAGE + "ktp/", "school:journal-ktp-list", JC_KTP_READ),
    Endpoint("page-jc-ktp", "GET", _J_PAGE + "ktp/{cls}/{j_subject}/", "school:journal-ktp-plan", JC_CLASS_SUBJECT),
    Endpoint("page-jc-ktp-save", "POST", _J_PAGE + "ktp/{cls}/{j_subject}/", "school:journal-ktp-plan", JC_KTP_EDIT, ok=302,
             data=_jc_topics_form),
    Endpoint("page-jc-activities", "GET", _J_PAGE + "activities/", "school:journal-activities", JC_KTP_READ),
    Endpoint("page-jc-activity-create", "POST", _J_PAGE + "activities/", "school:journal-activities", JC_CONTROL, ok=302,
             data=lambda w: {"name": "Робототехника", "teacher": w.people[R.TEACHER].pk, "hours_per_week": "1"}),
    Endpoint("page-jc-activity", "GET", _J_PAGE + "activities/{jc_group}/", "school:journal-activity", JC_READ_ALL | {R.TEACHER}),
    Endpoint("page-jc-activity-session", "POST", _J_PAGE + "activities/{jc_group}/", "school:journal-activity", JC_TEACHER, ok=302,
             district_admin=False, data=lambda w: {"date": JOURNAL_DAY.isoformat(), "topic": "Дебюты", "absent": [w.student.pk]}),
    Endpoint("page-jc-settings", "GET", _J_PAGE + "settings/", "school:journal-settings", ADMINS),
    Endpoint("page-jc-settings-save", "POST", _J_PAGE + "settings/", "school:journal-settings", ADMINS, ok=302,
             data=lambda w: {"lock_days": "7", "round_up_from": "0.50", "period_mark_days_after": "3"}),
    Endpoint("api-jc-requests", "GET", _J + "change-requests/", "api-journal-control-requests", JC_WRITE),
    Endpoint("api-jc-request-file", "POST", _J + "change-requests/", "api-journal-control-requests", JC_TEACHER, ok=201,
             district_admin=False, data=lambda w: {"lesson": _jc(w)["jc_old"], "reason": "Опечатка",
                                                   "changes": [{"op": "lesson", "homework": "№ 5"}]}),
    Endpoint("api-jc-request", "GET", _J + "change-requests/{jc_request}/", "api-journal-control-request", JC_CONTROL | {R.TEACHER}),
    Endpoint("api-jc-request-approve", "POST", _J + "change-requests/{jc_request}/approve/", "api-journal-control-request-approve",
             JC_CONTROL, data=lambda w: {"note": "Обосновано"}),
    Endpoint("api-jc-request-reject", "POST", _J + "change-requests/{jc_request}/reject/", "api-journal-control-request-reject",
             JC_CONTROL, data=lambda w: {"note": "Не обосновано"}),
    Endpoint("api-jc-final", "GET", _J + "final-marks/{cls}/{j_subject}/", "api-journal-control-final-marks", JC_CLASS_SUBJECT),
    # The 1st quarter's window is closed: past the access check the mark is refused with 409 period_mark_window.
    Endpoint("api-jc-final-set", "POST", _J + "final-marks/{cls}/{j_subject}/", "api-journal-control-final-marks", JC_FINAL, ok=409,
             district_admin=False, data=lambda w: {"student": w.student.pk, "kind": "period", "period": _jc(w)["jc_q1"], "value": "5"}),
    Endpoint("api-jc-short", "GET", _J + "control/short/", "api-journal-control-short", JC_CONTROL),
    Endpoint("api-jc-lessons", "GET", _J + "control/lessons/", "api-journal-control-lessons", JC_CONTROL),
    Endpoint("api-jc-absences", "GET", _J + "control/absences/", "api-journal-control-absences", JC_CONTROL | {R.CLASS_TEACHER}),
    Endpoint("api-jc-late-reasons", "GET", _J + "control/absences/late-reasons/", "api-journal-control-late-reasons",
             JC_CONTROL | {R.CLASS_TEACHER}),
    Endpoint("api-jc-ktp-status", "GET", _J + "control/ktp/", "api-journal-control-ktp", JC_CONTROL | {R.METHODIST}),
    Endpoint("api-jc-external", "POST", _J + "external-marks/", "api-journal-control-external-marks", JC_TEACHER, ok=201,
             district_admin=False, data=lambda w: {"lesson": _jc(w)["j_lesson"], "work": _jc(w)["j_work"], "student": w.student.pk,
                                                   "value": "4", "document": "Справка санатория № 7"}),
    Endpoint("api-jc-notebook", "GET", _J + "notebook/", "api-journal-control-notebook", JC_WRITE),
    Endpoint("api-jc-notebook-add", "POST", _J + "notebook/", "api-journal-control-notebook", JC_TEACHER, ok=201, district_admin=False,
             data=lambda w: {"class_id": w.class_id, "subject_id": _jc(w)["j_subject"], "student": w.student.pk, "value": "3"}),
    Endpoint("api-jc-notebook-move", "POST", _J + "notebook/{jc_entry}/move/", "api-journal-control-notebook-move", JC_TEACHER,
             district_admin=False, data=lambda w: {"work": _jc(w)["j_work"]}),
    Endpoint("api-jc-ktp-template", "GET", _J + "ktp/template/", "api-journal-control-ktp-template", JC_KTP_READ),
    Endpoint("api-jc-ktp", "GET", _J + "ktp/{cls}/{j_subject}/", "api-journal-control-ktp-plan", JC_CLASS_SUBJECT),
    Endpoint("api-jc-ktp-put", "PUT", _J + "ktp/{cls}/{j_subject}/", "api-journal-control-ktp-plan", JC_KTP_EDIT,
             data=lambda w: {"topics": [{"number": 1, "title": "Введение"}]}),
    # A JSON body carries no file: past the access check the import is refused as invalid (400).
    Endpoint("api-jc-ktp-import", "POST", _J + "ktp/{cls}/{j_subject}/import/", "api-journal-control-ktp-import", JC_KTP_EDIT, ok=400),
    Endpoint("api-jc-activities", "GET", _J + "activities/", "api-journal-control-activities", JC_KTP_READ),
    Endpoint("api-jc-activity-create", "POST", _J + "activities/", "api-journal-control-activities", JC_CONTROL, ok=201,
             data=lambda w: {"name": "Робототехника", "teacher": w.people[R.TEACHER].pk}),
    Endpoint("api-jc-activity", "GET", _J + "activities/{jc_group}/", "api-journal-control-activity", JC_READ_ALL | {R.TEACHER}),
    Endpoint("api-jc-activity-session", "POST", _J + "activities/{jc_group}/sessions/", "api-journal-control-activity-sessions",
             JC_TEACHER, ok=201, district_admin=False, data=lambda w: {"date": JOURNAL_DAY.isoformat(), "topic": "Дебюты"}),
    Endpoint("api-jc-settings", "GET", _J + "settings/", "api-journal-control-settings", ADMINS),
    Endpoint("api-jc-settings-put", "PUT", _J + "settings/", "api-journal-control-settings", ADMINS,
             data=lambda w: {"lock_days": 7, "round_up_from": "0.60", "period_mark_days_after": 3, "use_weighted_average": True}),
]

# District endpoints: only the district administrator (R-P05); `allowed` stays empty.
DISTRICT_ENDPOINTS = [
    Endpoint("district-schools", "GET", "/district/", "district:schools"),
    Endpoint("district-create", "POST", "/district/", "district:schools", ok=302, data=_school_form),
    Endpoint("district-school", "GET", "/district/schools/{slug}/", "district:school"),
    Endpoint("district-rename", "POST", "/district/schools/{slug}/", "district:school", ok=302,
             data=lambda w: {"action": "rename", "full_name": A_FULL_NAME, "short_name": A_SHORT_NAME, "address": "ул. Мира, 1"}),
    Endpoint("district-audit", "GET", "/district/audit/", "district:audit"),
    Endpoint("api-district-schools", "GET", "/api/v1/district/schools/", "api-district-schools"),
    Endpoint("api-district-create", "POST", "/api/v1/district/schools/", "api-district-schools", ok=201, data=_school_form),
    Endpoint("api-district-school", "GET", "/api/v1/district/schools/{slug}/", "api-district-school"),
    Endpoint("api-district-rename", "PATCH", "/api/v1/district/schools/{slug}/", "api-district-school",
             data=lambda w: {"address": "ул. Мира, 1"}),
    Endpoint("api-district-status", "POST", "/api/v1/district/schools/{slug}/status/", "api-district-school-status",
             data=lambda w: {"status": "suspended", "reason": "ремонт"}),
    Endpoint("api-district-admins", "POST", "/api/v1/district/schools/{slug}/admins/", "api-district-school-admins",
             ok=201, data=lambda w: {"surname": "Новикова", "name": "Ольга", "role": R.SCHOOL_ADMIN}),
    Endpoint("api-district-audit", "GET", "/api/v1/district/audit/", "api-district-audit"),
]
STAFF_ENDPOINTS = [ep for ep in SCHOOL_ENDPOINTS if ep.staff_only]
MUTATING = frozenset({"POST", "PATCH", "PUT", "DELETE"})

# --- helpers ---------------------------------------------------------------------------------


def url_of(ep: Endpoint, w: World, school: School | None = None, membership_id: int | None = None,
           class_id: int | None = None) -> str:
    school = school or w.a
    return ep.url.format(slug=school.slug, membership=membership_id or w.victim.pk, cls=class_id or w.class_id, job=w.import_job,
                         **w.year_ids, **_roster_ids(ep.url, w), **(_journal_ids(w) if "{j_" in ep.url else {}), **_control_ids(ep.url, w),
                         **_tt_ids(ep.url, w))


def call(client: Client, ep: Endpoint, w: World, **where: Any) -> Any:
    url = url_of(ep, w, **where)
    data = ep.data(w) if ep.data else {}
    if ep.is_api:
        if ep.method == "GET":
            return client.get(url, HTTP_ACCEPT="application/json")
        return client.generic(ep.method, url, json.dumps(data), content_type="application/json",
                              HTTP_ACCEPT="application/json")
    if ep.method == "GET":
        return client.get(url)
    return client.post(url, data)


def text_of(response: Any) -> str:
    body = response.content.decode()
    if response.get("Content-Type", "").startswith("application/json") and body:
        body += json.dumps(response.json(), ensure_ascii=False)
    return body


def assert_error_json(response: Any, statuses: tuple[int, ...]) -> None:
    assert response.status_code in statuses, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    error = response.json()["error"]
    assert error["code"] and isinstance(error["code"], str)
    assert error["message"] and isinstance(error["message"], str)


def assert_refused(response: Any, ep: Endpoint, statuses: tuple[int, ...] = (403,)) -> None:
    if ep.is_api:
        assert_error_json(response, statuses)
    else:
        assert response.status_code in statuses, (response.status_code, response.get("Location"))


def state(w: World) -> tuple[Any, ...]:
    """What a mutating endpoint could have changed: a refused call changes none of it."""
    return (
        Membership.objects.current().count(),
        Person.objects.count(),
        ActivationCode.objects.count(),
        sorted(School.objects.values_list("slug", "full_name", "address", "status")),
        Membership.objects.get(pk=w.victim.pk).until,
    )


def refusals_of(person: Person, school: School | None) -> int:
    return AuditRecord.objects.filter(action="access.refused", actor=person, school=school).count()


def _params(endpoints: list[Endpoint]) -> list[Any]:
    return [pytest.param(ep, id=ep.name) for ep in endpoints]


# --- the table covers the URLconf ----------------------------------------------------------------


def _names(patterns: list[Any]) -> set[str]:
    names: set[str] = set()
    for p in patterns:
        if isinstance(p, URLPattern) and p.name:
            names.add(p.name)
        elif isinstance(p, URLResolver):
            names |= _names(p.url_patterns)
    return names


def _api_methods(patterns: list[Any]) -> set[tuple[str, str]]:
    found = set()
    for p in patterns:
        if isinstance(p, URLResolver):  # an app's own api_urls.py, included under schools/<slug>/
            found |= _api_methods(p.url_patterns)
            continue
        view_class = getattr(p.callback, "view_class", None) or getattr(p.callback, "cls", None)
        for method in ("get", "post", "put", "patch", "delete"):
            if view_class is not None and hasattr(view_class, method):
                found.add((p.name, method.upper()))
    return found


def _routes_exercised(urls: list[str]) -> set[tuple[str, str]]:
    """(route name, METHOD) of each "METHOD /url" an access table of another test file calls."""
    found = set()
    for entry in urls:
        method, url = entry.split(" ", 1)
        match = resolve(url)
        found.add((f"{match.namespace}:{match.url_name}" if match.namespace else match.url_name, method.upper()))
    return found


def proven_elsewhere() -> set[tuple[str, str]]:
    """Endpoints whose access rules are not role tables but membership of a conversation,
    guardianship of a child, a lesson's class (its files), a change request's author, a group's leader: their refusals (another school, another family, a student, anonymous)
    are proven in their own files, whose access tables are read here so that a new route of theirs
    without a refusal test still fails this file."""
    from tests import test_diary
    from tests import test_journal_requests_more as journal_requests
    from tests import test_journal_review_fixes as journal_review
    from tests import test_journal_settings_more as journal_settings
    from tests import test_lesson_attachments as lesson_files
    from tests import test_messaging_access as msg

    def messaging(tables: list[tuple[str, str, Any]], prefix: str) -> list[str]:
        return [f"{method} {prefix}{path.format(conv=1, reply=1, att=1, ann=1, report=1)}" for method, path, _ in tables]

    urls = (messaging(msg.OBJECT_PAGES + msg.OWN_PAGES, "/s/alpha/messages/")
            + messaging(msg.OBJECT_API + msg.OWN_API, "/api/v1/schools/alpha/messages/")
            + [f"GET /s/alpha/diary/1/{e[5:]}" if e.startswith("page:") else f"GET /api/v1/schools/alpha/diary/1/{e[4:]}"
               for e in test_diary.ENDPOINTS]
            + lesson_files.exercised_urls() + journal_requests.exercised_urls() + journal_settings.exercised_urls()
            + journal_review.exercised_urls())
    return _routes_exercised(urls)


def test_table_names_every_school_and_district_endpoint() -> None:
    """R-P01: every URL of school_urls.py, of schools/<slug>/ in api_urls.py, of district/urls.py and
    of /api/v1/district/ is in the table or in an access table of its own file (a new endpoint
    without an isolation test fails here)."""
    from config import api_urls, school_urls
    from district import urls as district_urls

    elsewhere = proven_elsewhere()
    elsewhere_routes = {route for route, _ in elsewhere}
    school_routes = {f"school:{n}" for n in _names(school_urls.urlpatterns)} | _names(api_urls.school_patterns)
    school_routes -= elsewhere_routes
    district_routes = {f"district:{n}" for n in _names(district_urls.urlpatterns)} | {
        n for n in _names(api_urls.urlpatterns) if n.startswith("api-district")
    }
    assert school_routes == {ep.route for ep in SCHOOL_ENDPOINTS}
    assert district_routes == {ep.route for ep in DISTRICT_ENDPOINTS}
    api_patterns = list(api_urls.school_patterns) + [
        p for p in api_urls.urlpatterns if isinstance(p, URLPattern) and (p.name or "").startswith("api-district")
    ]
    in_table = {(ep.route, ep.method) for ep in SCHOOL_ENDPOINTS + DISTRICT_ENDPOINTS if ep.is_api}
    in_table |= {(route, method) for route, method in elsewhere if route.startswith("api-")}
    assert _api_methods(api_patterns) == in_table


# --- anonymous ------------------------------------------------------------------------------------


@pytest.mark.parametrize("ep", _params(SCHOOL_ENDPOINTS + DISTRICT_ENDPOINTS))
def test_anonymous_is_sent_to_login_or_gets_json_error(ep: Endpoint, world: World) -> None:
    """R-A04: nothing of a school or of the district without signing in. Pages redirect to
    /login/, the API answers 401/403 with {"error": {"code", "message"}}."""
    before = state(world)
    response = call(Client(), ep, world)
    if ep.is_api:
        assert_error_json(response, (401, 403))
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
    for surname in A_SURNAMES:
        assert surname not in text_of(response)
    assert state(world) == before


# --- another school's strongest roles -----------------------------------------------------------------


@pytest.mark.parametrize("ep", _params(SCHOOL_ENDPOINTS))
def test_other_schools_admin_and_director_learn_nothing(ep: Endpoint, world: World, client_for: Any) -> None:
    """R-P01, R-P02: the school_admin + director of school B is a stranger in school A: 403/404, the body
    names neither school A nor any of its people, nothing changes, and the refusal is audited (R-A04)."""
    before = state(world)
    response = call(client_for(world.boss_b), ep, world)
    assert_refused(response, ep, (403, 404))
    body = text_of(response)
    for secret in [A_FULL_NAME, A_SHORT_NAME, *A_SURNAMES]:
        assert secret not in body, f"{secret!r} leaked by {ep.method} {url_of(ep, world)}"
    assert state(world) == before


@pytest.mark.parametrize("ep", _params(SCHOOL_ENDPOINTS))
def test_other_schools_refusal_is_audited(ep: Endpoint, world: World, client_for: Any) -> None:
    """R-A04: every refused attempt on another school is attributable to its account."""
    client = client_for(world.boss_b)
    assert refusals_of(world.boss_b, world.a) == 0
    assert_refused(call(client, ep, world), ep, (403, 404))
    record = AuditRecord.objects.get(action="access.refused", actor=world.boss_b, school=world.a)
    assert url_of(ep, world) in record.object_repr
    assert record.actor_label  # readable whatever happens to the account


@pytest.mark.parametrize("ep", _params([ep for ep in SCHOOL_ENDPOINTS if "{membership}" in ep.url or "{cls}" in ep.url]))
def test_school_a_objects_unreachable_through_school_b_urls(ep: Endpoint, world: World, client_for: Any) -> None:
    """R-P01: B's administrator naming A's ids under B's own address reaches B's rows or nothing:
    A's membership is not revoked, A's student gets no credentials, no A surname shows."""
    before = state(world)
    codes = ActivationCode.objects.filter(person=world.student).count()
    response = call(client_for(world.boss_b), ep, world, school=world.b)
    assert response.status_code in (200, 201, 302, 400, 403, 404)
    body = text_of(response)
    for secret in [A_FULL_NAME, A_SHORT_NAME, *A_SURNAMES]:
        assert secret not in body
    assert Membership.objects.get(pk=world.victim.pk).until is None
    assert ActivationCode.objects.filter(person=world.student).count() == codes
    if ep.method == "GET":
        assert state(world) == before


# --- inside the school: the role matrix ----------------------------------------------------------

MATRIX_ROLES = [*ALL_SCHOOL_ROLES, "district_admin"]


def _allowed(ep: Endpoint, role: str) -> bool:
    return (role == "district_admin" and ep.district_admin) or role in ep.allowed


def _matrix(refused_only: bool = False, endpoints: list[Endpoint] = SCHOOL_ENDPOINTS,
            roles: list[str] = MATRIX_ROLES) -> list[Any]:
    params = []
    for ep in endpoints:
        for role in roles:
            allowed = _allowed(ep, role)
            if refused_only and allowed:
                continue
            params.append(pytest.param(ep, role, allowed, id=f"{ep.name}-{role}"))
    return params


@pytest.mark.parametrize(("ep", "role", "allowed"), _matrix())
def test_role_matrix_inside_the_school(ep: Endpoint, role: str, allowed: bool, world: World, client_for: Any) -> None:
    """R-P04, R-A03: inside school A each role gets exactly the endpoints its duties need: members see
    the school home; people lists only for administration, HR and the secretary; classes and family
    credentials also for the class teacher of the class; staff roles and the audit log only for the
    school administrator and the director. The district administrator may everything (R-P05)."""
    person = world.people[role]
    before = state(world)
    response = call(client_for(person), ep, world)
    if allowed:
        assert response.status_code == ep.ok, (response.status_code, response.content[:500])
        if ep.method == "GET" and not ep.is_api:
            assert A_SHORT_NAME in response.content.decode()
    else:
        assert_refused(response, ep)
        assert state(world) == before


@pytest.mark.parametrize(("ep", "role", "allowed"), _matrix(refused_only=True))
def test_refusal_inside_the_school_is_audited(ep: Endpoint, role: str, allowed: bool, world: World, client_for: Any) -> None:
    """R-A04: a member refused on an endpoint beyond their role leaves an access.refused record
    naming them, the school and the address."""
    person = world.people[role]
    call(client_for(person), ep, world)
    records = AuditRecord.objects.filter(action="access.refused", actor=person, school=world.a)
    assert records.count() == 1
    assert url_of(ep, world) in records.get().object_repr


@pytest.mark.parametrize(("ep", "role", "allowed"), _matrix(refused_only=True, endpoints=STAFF_ENDPOINTS, roles=[R.PARENT, R.STUDENT]))
def test_families_refused_on_every_staff_endpoint(ep: Endpoint, role: str, allowed: bool, world: World, client_for: Any) -> None:
    """R-A02, R-A01: a parent or a student of school A is refused on every staff endpoint of school A,
    and sees no other family's or staff member's surname there."""
    person = world.people[role]
    response = call(client_for(person), ep, world)
    assert_refused(response, ep)
    body = text_of(response)
    for other_role, (surname, _) in A_PEOPLE.items():
        if other_role != role:
            assert surname not in body


def test_class_teacher_of_another_class_is_refused(world: World, make_person: Any, grant: Any, client_for: Any) -> None:
    """R-A02, R-A03: a class teacher sees and serves only their own class's families."""
    other = make_person("Воронова", "Галина")
    other_class = _in_school(world.a, lambda: make_class(6, "Б", class_teacher=other).pk)
    grant(other, R.CLASS_TEACHER, world.a, class_id=other_class)
    client = client_for(other)
    page = client.get(f"/s/{world.a.slug}/classes/{world.class_id}/")
    assert page.status_code == 403
    assert A_PEOPLE[R.STUDENT][0] not in page.content.decode()
    slips = client.post(f"/api/v1/schools/{world.a.slug}/classes/{world.class_id}/slips/",
                        {"person_ids": [world.student.pk]}, content_type="application/json")
    assert_error_json(slips, (403,))
    assert not ActivationCode.objects.filter(person=world.student).exists()
    listing = client.get(f"/api/v1/schools/{world.a.slug}/classes/")
    assert [row["id"] for row in listing.json()] == [other_class]


# --- district endpoints ---------------------------------------------------------------------------

DISTRICT_REFUSED = ["school_admin_and_director", R.DISTRICT_ANALYST, R.TEACHER]


@pytest.fixture
def district_people(world: World, make_person: Any, grant: Any) -> dict[str, Person]:
    boss_a = make_person("Кречетова", "Нина")
    grant(boss_a, R.SCHOOL_ADMIN, world.a)
    grant(boss_a, R.DIRECTOR, world.a)
    analyst = make_person("Сычёва", "Лидия")
    grant(analyst, R.DISTRICT_ANALYST)
    return {"school_admin_and_director": boss_a, R.DISTRICT_ANALYST: analyst, R.TEACHER: world.people[R.TEACHER],
            R.DISTRICT_ADMIN: world.people["district_admin"]}


@pytest.mark.parametrize("ep", _params(DISTRICT_ENDPOINTS))
@pytest.mark.parametrize("who", DISTRICT_REFUSED)
def test_district_endpoints_refuse_school_staff_and_the_analyst(ep: Endpoint, who: str, world: World,
                                                                  district_people: dict[str, Person], client_for: Any) -> None:
    """R-P05, R-A03: the district pages and API are the district administrator's: a school's
    administrator and director, a teacher and the district analyst (statistics only) are refused,
    change nothing, and the refusal is audited (R-A04)."""
    person = district_people[who]
    before = state(world)
    response = call(client_for(person), ep, world)
    assert_refused(response, ep)
    assert state(world) == before
    assert refusals_of(person, None) == 1
    if ep.url.startswith("/district/") and ep.method == "GET":
        assert "Школа Бета" not in response.content.decode()


@pytest.mark.parametrize("ep", _params(DISTRICT_ENDPOINTS))
def test_district_admin_may_use_district_endpoints(ep: Endpoint, world: World, district_people: dict[str, Person],
                                                   client_for: Any) -> None:
    """R-P05: the district administrator creates and runs schools."""
    response = call(client_for(district_people[R.DISTRICT_ADMIN]), ep, world)
    assert response.status_code == ep.ok, (response.status_code, response.content[:500])


# --- addresses that name no school ---------------------------------------------------------------

MISSING = ["/s/{slug}/", "/s/{slug}/staff/", "/s/{slug}/classes/1/", "/api/v1/schools/{slug}/",
           "/api/v1/schools/{slug}/memberships/", "/api/v1/schools/{slug}/audit/"]


@pytest.mark.parametrize("url", MISSING)
@pytest.mark.parametrize("slug", list(dict.fromkeys(
    ["nope", "school-template", "school_template", settings.ZHURNAL_TEMPLATE_SCHEMA, "public"])))
def test_unknown_school_is_404(url: str, slug: str, world: World, client_for: Any) -> None:
    """R-P01: an address naming no school is 404 for everybody, the district administrator included;
    the API answers in its JSON error shape."""
    for client in (Client(), client_for(world.people["district_admin"])):
        response = client.get(url.format(slug=slug), HTTP_ACCEPT="application/json" if url.startswith("/api/") else "text/html")
        assert response.status_code == 404
        if url.startswith("/api/"):
            assert_error_json(response, (404,))


@pytest.fixture
def template_row(world: World, grant: Any) -> School:
    """A School row pointing at the template schema: never made by the platform, made here to prove
    that even then the template is no school to anyone."""
    row = School.objects.create(schema_name=settings.ZHURNAL_TEMPLATE_SCHEMA, slug="school-template",
                                full_name="Шаблон школы (служебная схема)", short_name="Шаблон", municipal_code="TEMPLATE")
    grant(world.people[R.TEACHER], R.SCHOOL_ADMIN, row)
    return row


def test_template_schema_is_never_reachable(world: World, template_row: School, client_for: Any) -> None:
    """R-P01: the template schema (settings.ZHURNAL_TEMPLATE_SCHEMA) is never a school: not by address,
    not in anybody's school list, not in the district's lists."""
    assert template_row not in School.objects.real()
    teacher = client_for(world.people[R.TEACHER])
    district = client_for(world.people["district_admin"])
    for client in (Client(), teacher, district):
        for ep in SCHOOL_ENDPOINTS:
            response = call(client, ep, world, school=template_row)
            assert response.status_code == 404, (ep.name, response.status_code)
    home = teacher.get("/home/?all=1")
    assert home.status_code == 200
    assert "Шаблон" not in home.content.decode()
    me = teacher.get("/api/v1/me/")
    assert "school-template" not in me.content.decode()
    assert "Шаблон" not in district.get("/district/").content.decode()
    listing = district.get("/api/v1/district/schools/").json()
    assert "school-template" not in [row["slug"] for row in listing["results"]]
    assert district.get("/district/schools/school-template/").status_code == 404
    assert_error_json(district.get("/api/v1/district/schools/school-template/"), (404,))


def test_no_school_schema_is_touched_by_district_pages(world: World, client_for: Any) -> None:
    """R-P01: a request that names no school stays in the public schema."""
    seen: list[str] = []
    from django.db import connection as conn

    client = client_for(world.people["district_admin"])

    def spy(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(conn.schema_name)
        return execute(sql, params, many, context)

    with conn.execute_wrapper(spy):
        assert client.get("/district/").status_code == 200
        assert client.get("/api/v1/district/schools/").status_code == 200
    assert seen and set(seen) == {"public"}
