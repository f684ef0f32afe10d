"""Messages inside the platform (R-D06; 000 §1.4.7, 001 §2.1, 002 §4.4–4.5): who may write to
whom (each rule both ways), attachments with type and size limits checked by content, read
marks, announcements that reach exactly the right people, the abuse report, the audit trail
without message text, the signal for notifications, and constant query counts.

Access of every page and endpoint by outsiders is in tests/test_messaging_access.py; both
files share the world built here (`mw`)."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import Person
from accounts.roles import Role
from audit.models import AuditRecord
from core.errors import Conflict, DomainError, PermissionDenied, ValidationFailed
from curriculum.models import Subject, TeachingAssignment
from messaging import rules, selectors, services, signals
from messaging.models import AbuseReport, Announcement, Conversation, Message, MessagingSettings, Participant
from roster.models import Enrolment, Guardianship, SchoolClass
from tenants.db import use_public, use_school
from tests.conftest import make_class
from tests.test_journal_pages import InSchool

pytestmark = pytest.mark.django_db
D = dt.date

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200 + b"This program cannot be run in DOS mode."
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def docx_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return buf.getvalue()


@dataclass
class MW:
    """School A: 5А (class teacher `ct`; maths by `teacher`; Thursday physics in the timetable by
    `tt_teacher`), 6Б (maths by `other_teacher`). Families: `parent` of `student` (5А), `parent2`
    of `student2` (5А), `parent3` of `student3` (6Б). Staff: `director`, `secretary`.
    School B: `teacher_b`, `parent_b`."""

    school: Any
    school_b: Any
    cls: SchoolClass
    cls_6b: SchoolClass
    teacher: Person
    tt_teacher: Person
    other_teacher: Person
    ct: Person
    director: Person
    secretary: Person
    parent: Person
    parent2: Person
    parent3: Person
    student: Person
    student2: Person
    student3: Person
    teacher_b: Person
    parent_b: Person

    def url(self, path: str = "") -> str:
        return f"/s/{self.school.slug}/messages/{path}"

    def api(self, path: str = "") -> str:
        return f"/api/v1/schools/{self.school.slug}/messages/{path}"


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def mw(school_a: Any, school_b: Any, make_person: Any, grant: Any) -> MW:
    from timetable.models import TimetableEntry

    p = {name: make_person(surname, first) for name, surname, first in [
        ("teacher", "Лебедева", "Ольга"), ("tt_teacher", "Физиков", "Пётр"), ("other_teacher", "Грачёв", "Павел"),
        ("ct", "Классова", "Вера"), ("director", "Соколова", "Елена"), ("secretary", "Секретова", "Анна"),
        ("parent", "Мамина", "Ирина"), ("parent2", "Папин", "Олег"), ("parent3", "Тётина", "Зоя"),
        ("student", "Ученик", "Артём"), ("student2", "Ученица", "Дарья"), ("student3", "Шестов", "Иван"),
        ("teacher_b", "Бетова", "Нина"), ("parent_b", "Бетов", "Игорь"),
    ]}
    use_school(school_a)
    cls, cls_6b = make_class(5, "А", class_teacher=p["ct"]), make_class(6, "Б")
    maths, physics = Subject.objects.create(name="Математика"), Subject.objects.create(name="Физика")
    TeachingAssignment.objects.create(teacher=p["teacher"], subject=maths, school_class=cls, hours_per_week=Decimal(5))
    TeachingAssignment.objects.create(teacher=p["other_teacher"], subject=maths, school_class=cls_6b, hours_per_week=Decimal(5))
    TimetableEntry.objects.create(school_class=cls, weekday=4, lesson_number=1, subject=physics, teacher=p["tt_teacher"],
                                  valid_from=D(2026, 9, 1))
    for student, parent, c in (("student", "parent", cls), ("student2", "parent2", cls), ("student3", "parent3", cls_6b)):
        Enrolment.objects.create(student=p[student], school_class=c, since=D(2026, 9, 1))
        Guardianship.objects.create(parent=p[parent], student=p[student], kind="mother")
    use_public()
    for name in ("teacher", "tt_teacher", "other_teacher"):
        grant(p[name], Role.TEACHER, school_a)
    grant(p["ct"], Role.CLASS_TEACHER, school_a, class_id=cls.pk)
    grant(p["director"], Role.DIRECTOR, school_a)
    grant(p["secretary"], Role.SECRETARY, school_a)
    for name in ("parent", "parent2", "parent3"):
        grant(p[name], Role.PARENT, school_a)
    for name in ("student", "student2", "student3"):
        grant(p[name], Role.STUDENT, school_a)
    grant(p["teacher_b"], Role.TEACHER, school_b)
    grant(p["parent_b"], Role.PARENT, school_b)
    use_school(school_a)
    return MW(school=school_a, school_b=school_b, cls=cls, cls_6b=cls_6b, **p)


@pytest.fixture
def as_(mw: MW, client_for: Any) -> Any:
    return lambda person: InSchool(client_for(person), mw.school)


def fresh(person: Person) -> Person:
    person.__dict__.pop("_zhurnal_access", None)
    return person


def write(mw: MW, author: Person, to: list[Person], body: str = "Здравствуйте!", **kw: Any) -> Conversation:
    return services.start_conversation(fresh(author), mw.school, recipient_ids=[p.pk for p in to], subject=kw.pop("subject", ""),
                                       body=body, **kw)


def may_write(mw: MW, author: Person, target: Person) -> bool:
    try:
        write(mw, author, [target])
    except PermissionDenied:
        return False
    return True


# --- who may write to whom ----------------------------------------------------------------------------

def test_parent_writes_to_the_childs_teachers_class_teacher_and_administration(mw: MW) -> None:
    """R-D06, 002 §4.4: a parent writes to the teachers of their child (by the teaching load and by the
    timetable), the class teacher and the administration — and to nobody else."""
    for target in (mw.teacher, mw.tt_teacher, mw.ct, mw.director):
        assert may_write(mw, mw.parent, target), target
    for target in (mw.other_teacher, mw.parent2, mw.parent3, mw.student2, mw.teacher_b, mw.parent_b):
        assert not may_write(mw, mw.parent, target), target


def test_staff_write_to_anyone_in_their_school_but_not_outside(mw: MW) -> None:
    """R-D06: staff write to anyone of their school — the other direction of every family rule."""
    for author, target in ((mw.teacher, mw.parent), (mw.other_teacher, mw.parent), (mw.secretary, mw.student),
                           (mw.tt_teacher, mw.parent3), (mw.director, mw.student2), (mw.teacher, mw.other_teacher)):
        assert may_write(mw, author, target), (author, target)
    assert not may_write(mw, mw.teacher, mw.teacher_b)
    assert not may_write(mw, mw.teacher, mw.parent_b)


def test_student_writes_to_their_teachers_and_administration_not_to_classmates_or_parents(mw: MW) -> None:
    """R-D06, 002 §4.5: a student writes to their teachers, class teacher and the administration."""
    for target in (mw.teacher, mw.tt_teacher, mw.ct, mw.director):
        assert may_write(mw, mw.student, target), target
    for target in (mw.student2, mw.parent2, mw.parent, mw.other_teacher, mw.student3, mw.secretary):
        assert not may_write(mw, mw.student, target), target


def test_parents_write_to_each_other_only_when_the_school_allows_it(mw: MW) -> None:
    """R-D06: parent to parent is off by default; the school's setting allows it within the child's class."""
    assert not may_write(mw, mw.parent, mw.parent2)
    services.set_settings(fresh(mw.director), mw.school, parents_may_write_parents=True)
    assert MessagingSettings.current().parents_may_write_parents
    assert may_write(mw, mw.parent, mw.parent2)
    assert may_write(mw, mw.parent2, mw.parent)
    assert not may_write(mw, mw.parent, mw.parent3)  # another class
    assert not may_write(mw, mw.student, mw.student2)  # students are not parents
    with pytest.raises(PermissionDenied):
        services.set_settings(fresh(mw.teacher), mw.school, parents_may_write_parents=False)


def test_a_participant_may_answer_whoever_wrote_to_them(mw: MW) -> None:
    """R-D06: the secretary is outside a parent's circle, but the parent answers the secretary's message."""
    assert not may_write(mw, mw.parent, mw.secretary)
    conv = write(mw, mw.secretary, [mw.parent], "Принесите, пожалуйста, справку.")
    services.send_message(fresh(mw.parent), mw.school, conv, body="Хорошо, завтра принесу.")
    assert conv.messages.count() == 2
    with pytest.raises(PermissionDenied):
        services.send_message(fresh(mw.parent2), mw.school, conv, body="Я тоже тут")


def test_teacher_who_left_is_no_longer_in_the_circle(mw: MW) -> None:
    """R-D06: only people holding a current role in the school receive messages."""
    from accounts.models import Membership

    Membership.objects.filter(person=mw.teacher).update(since=D(2025, 9, 1), until=D(2026, 1, 1))
    assert not may_write(mw, mw.parent, mw.teacher)


def test_refused_recipient_over_the_api_is_audited_and_nothing_is_written(mw: MW, as_: Any) -> None:
    """R-D06 bad input: a message to someone outside the circle is refused with a Russian message,
    recorded as an access attempt, and nothing is written."""
    response = as_(mw.parent).post(mw.api("conversations/"), {"recipients": [mw.parent2.pk], "body": "Привет"},
                                   content_type="application/json")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "recipient_not_allowed"
    assert "не можете" in response.json()["error"]["message"]
    assert Conversation.objects.count() == 0
    use_public()
    assert AuditRecord.objects.filter(action="access.refused", actor=mw.parent, school=mw.school).count() == 1


def test_recipient_picker_shows_the_circle_with_reasons(mw: MW, as_: Any) -> None:
    """R-D06: the new-message page offers exactly the parent's circle, with why each person is there."""
    html = as_(mw.parent).get(mw.url("new/")).content.decode()
    for person in (mw.teacher, mw.tt_teacher, mw.ct, mw.director):
        assert person.full_name in html
    for person in (mw.other_teacher, mw.parent2, mw.secretary):
        assert person.full_name not in html
    assert "учитель (Математика, 5А)" in html and "классный руководитель 5А" in html
    data = as_(mw.student).get(mw.api("recipients/")).json()
    assert {row["person"]["id"] for row in data} == {mw.teacher.pk, mw.tt_teacher.pk, mw.ct.pk, mw.director.pk}
    staff_view = as_(mw.teacher).get(mw.api(f"recipients/?class_id={mw.cls.pk}")).json()
    assert {row["person"]["id"] for row in staff_view} == {mw.student.pk, mw.student2.pk, mw.parent.pk, mw.parent2.pk}


# --- sending on the pages and the API -------------------------------------------------------------------

def test_parent_writes_to_class_teacher_on_the_phone_page_and_teacher_answers(mw: MW, as_: Any) -> None:
    """R-D06: the demo scenario — a parent writes to the class teacher, the teacher reads and answers."""
    parent = as_(mw.parent)
    response = parent.post(mw.url("new/"), {"recipients": [mw.ct.pk], "subject": "Экскурсия", "body": "Можно ли Артёму не ехать?"})
    assert response.status_code == 302
    conv = Conversation.objects.get()
    inbox = as_(mw.ct).get(mw.url()).content.decode()
    assert "Экскурсия" in inbox and 'data-testid="unread">1<' in inbox
    page = as_(mw.ct).post(mw.url(f"{conv.pk}/"), {"body": "Можно, напишите заявление."})
    assert page.status_code == 302
    html = parent.get(mw.url(f"{conv.pk}/")).content.decode()
    assert "Можно, напишите заявление." in html and "прочитано" in html
    home = as_(mw.ct).get(f"/s/{mw.school.slug}/").content.decode()
    assert 'data-testid="tile-messages"' in home


def test_api_start_reply_read_and_list(mw: MW, as_: Any) -> None:
    """R-D06 API: start a conversation, answer, mark read, list with unread counts."""
    parent, teacher = as_(mw.parent), as_(mw.teacher)
    created = parent.post(mw.api("conversations/"), {"recipients": [mw.teacher.pk], "subject": "Д/з", "body": "Что задано?"},
                          content_type="application/json")
    assert created.status_code == 201, created.content
    conv_id = created.json()["conversation_id"]
    rows = teacher.get(mw.api("conversations/")).json()
    assert rows[0]["id"] == conv_id and rows[0]["unread"] == 1 and rows[0]["preview"] == "Что задано?"
    assert teacher.get(mw.api("unread/")).json()["messages"] == 1
    assert teacher.post(mw.api(f"conversations/{conv_id}/read/")).json() == {"changed": True}
    assert teacher.get(mw.api("unread/")).json()["messages"] == 0
    reply = teacher.post(mw.api(f"conversations/{conv_id}/messages/"), {"body": "Номер 5 на с. 40"}, content_type="application/json")
    assert reply.status_code == 201
    detail = parent.get(mw.api(f"conversations/{conv_id}/")).json()
    assert [m["body"] for m in detail["messages"]] == ["Что задано?", "Номер 5 на с. 40"]
    assert detail["messages"][0]["read_by"] == 1 and detail["messages"][1]["read_by"] == 0


def test_empty_and_overlong_messages_are_refused(mw: MW) -> None:
    with pytest.raises(ValidationFailed):
        write(mw, mw.parent, [mw.teacher], "   ")
    with pytest.raises(ValidationFailed):
        write(mw, mw.parent, [mw.teacher], "я" * (services.MAX_BODY + 1))
    with pytest.raises(ValidationFailed):
        write(mw, mw.parent, [])


# --- attachments -----------------------------------------------------------------------------------------

def test_exe_renamed_to_pdf_is_refused_by_its_content(mw: MW, as_: Any) -> None:
    """R-D06 bad input: an executable with a .pdf name is recognised by its content and refused."""
    upload = SimpleUploadedFile("домашка.pdf", EXE, content_type="application/pdf")
    response = as_(mw.parent).post(mw.api("conversations/"), {"recipients": [mw.teacher.pk], "body": "Файл", "attachments": [upload]})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "attachment_executable" and "исполняемая программа" in error["message"]
    assert Message.objects.count() == 0


def test_executable_names_other_types_and_mismatched_content_are_refused(mw: MW) -> None:
    cases = [("setup.exe", PDF, "attachment_executable"), ("script.sh", b"echo hi", "attachment_executable"),
             ("run.txt", b"#!/bin/sh\nrm -rf /", "attachment_executable"), ("photo.png", PDF, "attachment_mismatch"),
             ("архив.rar", b"Rar!\x1a\x07\x00", "attachment_type"), ("пустой.pdf", b"", "attachment_empty"),
             ("fake.docx", b"PK\x03\x04not a zip", "attachment_mismatch")]
    for name, content, code in cases:
        with pytest.raises(ValidationFailed) as caught:
            write(mw, mw.parent, [mw.teacher], files=[SimpleUploadedFile(name, content)])
        assert caught.value.code == code, name
    assert Message.objects.count() == 0


def test_oversized_file_is_refused_with_a_clear_message(mw: MW, as_: Any) -> None:
    """R-D06 bad input: a file over 10 MB is refused, in Russian, on the page too."""
    big = SimpleUploadedFile("скан.pdf", PDF + b"0" * (10 * 1024 * 1024), content_type="application/pdf")
    html = as_(mw.parent).post(mw.url("new/"), {"recipients": [mw.teacher.pk], "body": "Скан", "attachments": [big]}).content.decode()
    assert "больше 10 МБ" in html and Message.objects.count() == 0


def test_allowed_files_are_stored_per_school_and_served_only_to_participants(mw: MW, as_: Any) -> None:
    """R-D06: a PDF, a photo and a Word file go through; the file lives under the school's own path and
    is served by an access-checked view, never a public media URL."""
    files = [SimpleUploadedFile("справка.pdf", PDF), SimpleUploadedFile("фото.png", PNG), SimpleUploadedFile("заявление.docx", docx_bytes())]
    conv = write(mw, mw.parent, [mw.ct], "Справка во вложении", files=files)
    atts = list(Message.objects.get(conversation=conv).attachments.order_by("pk"))
    assert [a.name for a in atts] == ["справка.pdf", "фото.png", "заявление.docx"]
    assert [a.content_type for a in atts][:2] == ["application/pdf", "image/png"]
    assert all(a.file.name.startswith(f"messaging/{mw.school.schema_name}/") for a in atts)
    assert "справка" not in atts[0].file.name
    got = as_(mw.ct).get(mw.url(f"files/{atts[0].pk}/"))
    assert got.status_code == 200 and b"".join(got.streaming_content) == PDF
    assert got["X-Content-Type-Options"] == "nosniff" and "attachment" in got["Content-Disposition"]
    api = as_(mw.parent).get(mw.api(f"attachments/{atts[0].pk}/"))
    assert api.status_code == 200
    for outsider in (mw.parent2, mw.teacher, mw.director, mw.student):
        assert as_(outsider).get(mw.url(f"files/{atts[0].pk}/")).status_code == 403
        assert as_(outsider).get(mw.api(f"attachments/{atts[0].pk}/")).status_code == 403


# --- read marks ----------------------------------------------------------------------------------------------

def test_read_marks_move_when_the_conversation_is_opened(mw: MW, as_: Any) -> None:
    """R-D06: read marks — the author sees "доставлено" until the reader opens the conversation."""
    conv = write(mw, mw.teacher, [mw.parent, mw.ct], "Собрание в четверг")  # two families would be two conversations
    assert selectors.unread_count(mw.parent.pk) == 1
    assert selectors.unread_count(mw.teacher.pk) == 0  # one's own message is not unread
    view = selectors.conversation_view(conv, mw.teacher.pk)
    assert view.rows[0].read_label == "доставлено"
    as_(mw.parent).get(mw.url(f"{conv.pk}/"))
    assert selectors.unread_count(mw.parent.pk) == 0
    assert selectors.conversation_view(conv, mw.teacher.pk).rows[0].read_label == "прочитали 1 из 2"
    as_(mw.ct).get(mw.url(f"{conv.pk}/"))
    assert selectors.conversation_view(conv, mw.teacher.pk).rows[0].read_label == "прочитано"
    assert not services.mark_read(fresh(mw.parent), mw.school, conv)  # nothing new: no write, no audit


# --- announcements ----------------------------------------------------------------------------------------------

def _readers(mw: MW, item: Announcement) -> set[int]:
    from accounts.selectors import access_for

    people = [mw.teacher, mw.tt_teacher, mw.other_teacher, mw.ct, mw.director, mw.secretary, mw.parent, mw.parent2,
              mw.parent3, mw.student, mw.student2, mw.student3]
    return {p.pk for p in people if selectors.announcements_for(p, access_for(fresh(p)), mw.school).filter(pk=item.pk).exists()}


def test_class_teacher_announcement_reaches_exactly_the_class_and_its_parents(mw: MW) -> None:
    """R-D06: a class teacher's announcement goes to their class's students and parents, and nobody
    else of the families; the administration sees it too."""
    item = services.publish_announcement(fresh(mw.ct), mw.school, audience="class", class_id=mw.cls.pk, title="Экскурсия",
                                         body="В пятницу едем в музей.")
    assert selectors.announcement_recipient_ids(item, mw.school) == {mw.student.pk, mw.student2.pk, mw.parent.pk, mw.parent2.pk}
    assert _readers(mw, item) == {mw.ct.pk, mw.director.pk, mw.student.pk, mw.student2.pk, mw.parent.pk, mw.parent2.pk}


def test_administration_announcement_to_the_whole_school_and_to_a_class(mw: MW) -> None:
    """R-D06: the administration addresses the whole school (every current member, not another
    school's people) or any class."""
    item = services.publish_announcement(fresh(mw.director), mw.school, audience="school", class_id=None, title="Каникулы",
                                         body="С 28 декабря.")
    everyone = {p.pk for p in (mw.teacher, mw.tt_teacher, mw.other_teacher, mw.ct, mw.secretary, mw.parent, mw.parent2,
                               mw.parent3, mw.student, mw.student2, mw.student3)}
    assert selectors.announcement_recipient_ids(item, mw.school) == everyone
    assert _readers(mw, item) == everyone | {mw.director.pk}
    to_6b = services.publish_announcement(fresh(mw.director), mw.school, audience="class", class_id=mw.cls_6b.pk, title="6Б",
                                          body="Собрание.")
    assert selectors.announcement_recipient_ids(to_6b, mw.school) == {mw.student3.pk, mw.parent3.pk}
    assert _readers(mw, to_6b) == {mw.director.pk, mw.student3.pk, mw.parent3.pk}


def test_who_may_not_publish_announcements(mw: MW) -> None:
    """R-D06: a class teacher only to their own class; teachers, secretaries and families not at all."""
    cases = [(mw.ct, "school", None), (mw.ct, "class", mw.cls_6b.pk), (mw.teacher, "class", mw.cls.pk),
             (mw.secretary, "school", None), (mw.parent, "class", mw.cls.pk), (mw.student, "school", None)]
    for author, audience, class_id in cases:
        with pytest.raises(PermissionDenied):
            services.publish_announcement(fresh(author), mw.school, audience=audience, class_id=class_id, title="Т", body="Текст")
    assert Announcement.objects.count() == 0


def test_announcement_pages_read_marks_and_api(mw: MW, as_: Any) -> None:
    """R-D06: the class teacher publishes on the page; the parent sees it as new, opening marks it read,
    and the author sees how many of the addressed read it."""
    response = as_(mw.ct).post(mw.url("announcements/new/"), {"audience": "class", "class_id": mw.cls.pk, "title": "Форма",
                                                              "body": "Завтра парадная форма."})
    assert response.status_code == 302
    item = Announcement.objects.get()
    rows = as_(mw.parent).get(mw.api("announcements/")).json()
    assert rows[0]["id"] == item.pk and rows[0]["read"] is False and rows[0]["class_name"] == "5А"
    assert as_(mw.parent).get(mw.api("unread/")).json()["announcements"] == 1
    assert as_(mw.parent).post(mw.api(f"announcements/{item.pk}/read/")).json() == {"changed": True}
    assert as_(mw.parent).get(mw.api("unread/")).json()["announcements"] == 0
    as_(mw.student).get(mw.url("announcements/"))  # the list marks what it shows as read
    html = as_(mw.ct).get(mw.url(f"announcements/{item.pk}/")).content.decode()
    assert "Прочитали 2 из 4" in html
    assert as_(mw.parent3).get(mw.url(f"announcements/{item.pk}/")).status_code == 403
    assert as_(mw.parent3).get(mw.api(f"announcements/{item.pk}/")).status_code == 403
    assert "Форма" not in as_(mw.parent3).get(mw.url("announcements/")).content.decode()
    created = as_(mw.director).post(mw.api("announcements/"), {"audience": "school", "title": "Всем", "body": "Текст"},
                                    content_type="application/json")
    assert created.status_code == 201
    refused = as_(mw.teacher).post(mw.api("announcements/"), {"audience": "school", "title": "Всем", "body": "Текст"},
                                   content_type="application/json")
    assert refused.status_code == 403


# --- abuse reports ---------------------------------------------------------------------------------------------------

def test_report_abuse_reaches_the_administration_with_the_reporter(mw: MW, as_: Any) -> None:
    """R-D06: the report button sends the message to the school administration with the reporter recorded."""
    conv = write(mw, mw.teacher, [mw.parent], "Грубое сообщение", files=[SimpleUploadedFile("a.pdf", PDF)])
    message = Message.objects.get(conversation=conv)
    response = as_(mw.parent).post(mw.url(f"m/{message.pk}/report/"), {"reason": "Оскорбление"})
    assert response.status_code == 302
    report = AbuseReport.objects.get()
    assert report.reporter_id == mw.parent.pk and report.message_id == message.pk and report.reason == "Оскорбление"
    html = as_(mw.director).get(mw.url("reports/")).content.decode()
    assert "Грубое сообщение" in html and mw.parent.full_name in html and mw.teacher.full_name in html
    att = message.attachments.get()
    assert as_(mw.director).get(mw.url(f"files/{att.pk}/")).status_code == 200  # reported: the administration may open it
    assert as_(mw.director).get(mw.url(f"{conv.pk}/")).status_code == 403  # but not the whole conversation
    api_rows = as_(mw.director).get(mw.api("reports/?open=1")).json()
    assert api_rows[0]["reporter"]["id"] == mw.parent.pk
    assert as_(mw.director).post(mw.api(f"reports/{report.pk}/resolve/"), {"resolution": "Беседа с учителем"},
                                 content_type="application/json").status_code == 200
    report.refresh_from_db()
    assert report.resolved_by_id == mw.director.pk
    assert as_(mw.director).get(mw.api("reports/?open=1")).json() == []
    for person in (mw.teacher, mw.secretary, mw.parent):
        assert as_(person).get(mw.url("reports/")).status_code == 403
        assert as_(person).get(mw.api("reports/")).status_code == 403


def test_report_rules(mw: MW, as_: Any) -> None:
    conv = write(mw, mw.teacher, [mw.parent], "Текст")
    message = Message.objects.get(conversation=conv)
    with pytest.raises(ValidationFailed):
        services.report_abuse(fresh(mw.teacher), mw.school, message)  # one's own message
    with pytest.raises(PermissionDenied):
        services.report_abuse(fresh(mw.parent2), mw.school, message)  # not a participant
    services.report_abuse(fresh(mw.parent), mw.school, message)
    with pytest.raises(Conflict):
        services.report_abuse(fresh(mw.parent), mw.school, message)
    api = as_(mw.parent).post(mw.api(f"messages/{message.pk}/report/"), {}, content_type="application/json")
    assert api.status_code == 409 and api.json()["error"]["code"] == "already_reported"
    assert as_(mw.parent2).post(mw.api(f"messages/{message.pk}/report/"), {}, content_type="application/json").status_code == 403


# --- audit and signals -----------------------------------------------------------------------------------------------

def test_every_write_is_audited_without_the_text(mw: MW, django_capture_on_commit_callbacks: Any) -> None:
    """R-D06 with 152-ФЗ: writes are audited with ids and metadata; the message text never enters the log."""
    secret = "Секретный текст про здоровье ребёнка"
    received: list[dict[str, Any]] = []

    def receiver(**kwargs: Any) -> None:
        received.append(kwargs)

    signals.message_sent.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            conv = write(mw, mw.parent, [mw.teacher], secret, subject="Здоровье")
    finally:
        signals.message_sent.disconnect(receiver)
    assert received and received[0]["recipient_ids"] == [mw.teacher.pk] and received[0]["conversation_id"] == conv.pk
    assert "body" not in received[0]
    message = Message.objects.get()
    services.report_abuse(fresh(mw.teacher), mw.school, message, reason="проверка")
    services.publish_announcement(fresh(mw.director), mw.school, audience="school", class_id=None, title="Т", body=secret)
    use_public()
    actions = set(AuditRecord.objects.filter(school=mw.school).values_list("action", flat=True))
    assert {"messaging.conversation_started", "messaging.message_sent", "messaging.abuse_reported",
            "messaging.announcement_published"} <= actions
    for entry in AuditRecord.objects.filter(action__startswith="messaging."):
        dumped = f"{entry.before} {entry.after} {entry.object_repr} {entry.reason}"
        assert "Секретный" not in dumped and "проверка" not in dumped
    sent = AuditRecord.objects.get(action="messaging.message_sent")
    assert sent.after["recipients"] == [mw.teacher.pk] and sent.after["conversation"] == conv.pk


def test_signals_run_in_the_school_schema_whatever_the_connection_selects_at_commit(mw: MW,
                                                                                  django_capture_on_commit_callbacks: Any) -> None:
    """For notifications: the receivers run inside the school's schema even when the outer transaction
    (seed_demo, an import) ends after the connection went back to public; the connection is restored."""
    from tenants.db import current_schema

    seen: list[str] = []

    def receiver(**kwargs: Any) -> None:
        seen.append(current_schema())

    signals.message_sent.connect(receiver)
    signals.announcement_published.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            write(mw, mw.teacher, [mw.parent], "Текст")
            services.publish_announcement(fresh(mw.director), mw.school, audience="school", class_id=None, title="Т", body="т")
            use_public()
    finally:
        signals.message_sent.disconnect(receiver)
        signals.announcement_published.disconnect(receiver)
    assert seen == [mw.school.schema_name, mw.school.schema_name]
    assert current_schema() == "public"


# --- query counts ---------------------------------------------------------------------------------------------------

def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content[:300]
    return len(ctx.captured_queries)


def test_inbox_and_conversation_query_counts_do_not_grow(mw: MW, as_: Any, django_assert_max_num_queries: Any) -> None:
    """R-D06: the inbox and a conversation cost the same number of queries for 2 or 40 rows."""
    teacher = as_(mw.teacher)
    conv = write(mw, mw.parent, [mw.teacher], "Первое", files=[SimpleUploadedFile("a.pdf", PDF)])
    write(mw, mw.ct, [mw.teacher, mw.parent], "Второе")
    teacher.get(mw.url())  # the first request of a session writes its activity stamp
    inbox_small, conv_small = _queries(teacher, mw.url()), _queries(teacher, mw.url(f"{conv.pk}/"))
    api_small = _queries(teacher, mw.api("conversations/"))
    api_conv_small = _queries(teacher, mw.api(f"conversations/{conv.pk}/"))
    for i in range(38):
        write(mw, mw.director, [mw.teacher, mw.secretary], f"Сообщение {i}")
        services.send_message(fresh(mw.parent), mw.school, conv, body=f"Ещё {i}", files=[SimpleUploadedFile(f"{i}.pdf", PDF)])
    assert _queries(teacher, mw.url()) == inbox_small
    assert _queries(teacher, mw.url(f"{conv.pk}/")) == conv_small
    assert _queries(teacher, mw.api("conversations/")) == api_small
    assert _queries(teacher, mw.api(f"conversations/{conv.pk}/")) == api_conv_small
    with django_assert_max_num_queries(20):
        teacher.get(mw.url())
    with django_assert_max_num_queries(22):
        teacher.get(mw.url(f"{conv.pk}/"))


def test_announcement_list_query_count_does_not_grow(mw: MW, as_: Any) -> None:
    services.publish_announcement(fresh(mw.director), mw.school, audience="school", class_id=None, title="1", body="т")
    parent = as_(mw.parent)
    parent.get(mw.url("announcements/"))  # marks the first one read (and stamps the session)
    small = _queries(parent, mw.url("announcements/"))
    for i in range(20):
        services.publish_announcement(fresh(mw.ct), mw.school, audience="class", class_id=mw.cls.pk, title=f"{i}", body="т")
    parent.get(mw.url("announcements/"))
    assert _queries(parent, mw.url("announcements/")) == small


def test_rules_circle_costs_constant_queries(mw: MW) -> None:
    from accounts.selectors import access_for

    parent = fresh(mw.parent)
    access = access_for(parent)
    rules.circle_of(parent, access, mw.school)  # creates the school's settings row once
    with CaptureQueriesContext(connection) as ctx:
        rules.circle_of(parent, access, mw.school)
    first = len(ctx.captured_queries)
    for i in range(10):
        s = Person.objects.create_user(login=f"extra{i}", surname="Доп", name=f"{i}")
        Enrolment.objects.create(student=s, school_class=mw.cls, since=D(2026, 9, 1))
        Guardianship.objects.create(parent=parent, student=s)
    with CaptureQueriesContext(connection) as ctx:
        rules.circle_of(parent, access, mw.school)
    assert len(ctx.captured_queries) == first
    assert Participant.objects.count() == 0


# --- across schools ----------------------------------------------------------------------------------------------------

def test_parent_in_two_schools_sees_both_inboxes_on_one_page(mw: MW, client_for: Any, grant: Any, make_person: Any) -> None:
    """R-D06, R-P02: a parent with children in two schools writes to teachers of both and sees one
    summary; the connection is back in `public` afterwards; the cost grows with schools, not messages."""
    from tenants.db import current_schema

    child_b = make_person("Бетова", "Алиса")
    use_school(mw.school_b)
    cls_b = make_class(8, "А", class_teacher=mw.teacher_b)
    Enrolment.objects.create(student=child_b, school_class=cls_b, since=D(2026, 9, 1))
    Guardianship.objects.create(parent=mw.parent, student=child_b)
    use_public()
    grant(mw.parent, Role.PARENT, mw.school_b)
    use_school(mw.school_b)
    services.start_conversation(fresh(mw.parent), mw.school_b, recipient_ids=[mw.teacher_b.pk], subject="", body="Вопрос в школе Б")
    services.start_conversation(fresh(mw.teacher_b), mw.school_b, recipient_ids=[mw.parent.pk], subject="", body="Ответ из школы Б")
    use_school(mw.school)
    write(mw, mw.ct, [mw.parent], "Из школы А")
    use_public()
    client = client_for(mw.parent)
    client.get("/messages/")
    with CaptureQueriesContext(connection) as small:
        html = client.get("/messages/").content.decode()
    assert current_schema() == "public"
    assert "Из школы А" in html and "Ответ из школы Б" in html
    assert 'data-testid="unread-alpha">1<' in html and 'data-testid="unread-beta">1<' in html
    summary = client.get("/api/v1/messages/summary/").json()
    assert {s["school_slug"]: s["unread"] for s in summary} == {"alpha": 1, "beta": 1}
    use_school(mw.school)
    for i in range(15):
        write(mw, mw.ct, [mw.parent], f"Ещё {i}")
    use_public()
    with CaptureQueriesContext(connection) as large:
        client.get("/messages/")
    assert len(large.captured_queries) == len(small.captured_queries)
    assert 'data-testid="messages-all"' in client.get("/home/?all=1").content.decode()  # the school switcher links it
    assert 'data-testid="nav-messages"' in html
    assert client_for(mw.teacher_b).get("/messages/").status_code == 200


# --- the API is documented; a read-only school takes no message ---------------------------------------------------------

def test_openapi_documents_the_messaging_endpoints(mw: MW, as_: Any) -> None:
    """R-D06, issue 6 item 8: the mobile client's messaging API is in the OpenAPI schema."""
    schema = as_(mw.teacher).get("/api/schema/?format=json").json()
    paths = [p for p in schema["paths"] if "/messages/" in p]
    for part in ("conversations/", "conversations/{conversation_id}/", "conversations/{conversation_id}/messages/",
                 "conversations/{conversation_id}/read/", "recipients/", "unread/", "messages/{message_id}/report/",
                 "attachments/{attachment_id}/", "announcements/", "announcements/{announcement_id}/read/", "reports/"):
        assert any(p.endswith("/messages/" + part) for p in paths), part
    assert "/api/v1/messages/summary/" in schema["paths"]
    start = next(v for p, v in schema["paths"].items() if p.endswith("/messages/conversations/"))
    assert {"application/json", "multipart/form-data"} <= set(start["post"]["requestBody"]["content"])


def test_suspended_school_takes_no_new_message(mw: MW) -> None:
    """A suspended school is read-only: nothing is sent, read marks are not moved."""
    conv = write(mw, mw.teacher, [mw.parent], "До приостановки")
    mw.school.status = "suspended"
    mw.school.save()
    with pytest.raises(DomainError) as caught:
        services.send_message(fresh(mw.parent), mw.school, conv, body="После")
    assert caught.value.code == "school_read_only"
    assert not services.mark_read(fresh(mw.parent), mw.school, conv)
    assert Message.objects.count() == 1
