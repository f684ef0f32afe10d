"""Files of a lesson record: lesson material and homework files (R-J01 «домашнее задание … с файлами»),
shown in the families' diary (R-D01), written only by the lesson's teacher (R-A01), under the lesson's
own rules (the 7-day lock R-J07, an open year), served only through an access-checked view (R-A02).

"Today" is Wednesday 2026-11-25; the set-up `jw` comes from tests/test_journal_pages.py, with a
family added: `parent` is Ученик0's mother, `other_parent` the mother of a 6Б student `stranger`,
`teacher_b` teaches in school B only."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Person
from accounts.roles import Role
from audit.models import AuditRecord
from journal.attachments import MAX_FILES_PER_LESSON
from journal.models import Lesson, LessonAttachment
from roster.models import Enrolment, Guardianship
from schoolyear.models import AcademicYear
from tenants.db import use_public, use_school
from tests import test_journal_pages as pages
from tests.test_journal_pages import JW, NINE_DAYS_AGO, YESTERDAY, D

pytestmark = pytest.mark.django_db
jw, _today = pages.jw, pages._today

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200 + b"This program cannot be run in DOS mode."


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path / "media")


@dataclass
class World:
    jw: JW
    lesson: Lesson  # yesterday's maths in 5А, taught by jw.teacher
    old: Lesson  # nine days ago: past the 7-day lock
    parent: Person  # of Ученик0 (5А)
    child: Person
    other_parent: Person  # of `stranger` (6Б)
    stranger: Person
    teacher_b: Person  # school B only
    school_b: Any

    def url(self, path: str) -> str:
        return self.jw.url(path)

    def api(self, path: str) -> str:
        return self.jw.api(path)


@pytest.fixture
def w(school_b: Any, jw: JW, make_person: Any, grant: Any) -> World:
    other_parent, stranger, teacher_b = make_person("Чужая", "Мама"), make_person("Чужой", "Ученик"), make_person("Бетова", "Нина")
    use_school(jw.school)
    Guardianship.objects.create(parent=jw.parent, student=jw.students[0], kind="mother")
    Enrolment.objects.create(student=stranger, school_class=jw.other_cls, since=D(2026, 9, 1))
    Guardianship.objects.create(parent=other_parent, student=stranger, kind="mother")
    lesson = jw.lesson(YESTERDAY, 2, topic="Дроби", homework="№ 101")
    old = jw.lesson(NINE_DAYS_AGO, 2, topic="Старая")
    use_public()
    grant(other_parent, Role.PARENT, jw.school)
    grant(stranger, Role.STUDENT, jw.school, class_id=jw.other_cls.pk)
    grant(teacher_b, Role.TEACHER, school_b)
    use_school(jw.school)
    return World(jw, lesson, old, jw.parent, jw.students[0], other_parent, stranger, teacher_b, school_b)


def client_of(w: World, person: Person | None) -> Any:
    """A signed-in client (staff 2FA-verified) that selects the school's schema again after each request."""
    from tests.conftest import verified_client

    client = verified_client(person) if person is not None else Client()
    return pages.InSchool(client, w.jw.school)


def pdf(name: str = "задание.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def api_upload(client: Any, w: World, lesson: Lesson, upload: Any, purpose: str = "homework") -> Any:
    return client.post(w.api(f"lessons/{lesson.pk}/attachments/"), {"file": upload, "purpose": purpose}, HTTP_ACCEPT="application/json")


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:300])
    error = response.json()["error"]
    assert error["code"] == code, error
    return dict(error)


def stored(w: World, lesson: Lesson | None = None, name: str = "задание.pdf") -> LessonAttachment:
    """An attachment written directly (set-up for the reading and deleting tests)."""
    att = LessonAttachment(lesson=lesson or w.lesson, purpose="homework", name=name, size=len(PDF), content_type="application/pdf",
                           uploaded_by=w.jw.teacher)
    att.file.save(name, SimpleUploadedFile(name, PDF), save=False)
    att.save()
    return att


# --- upload ---------------------------------------------------------------------------------------------


def test_teacher_attaches_a_homework_file_on_the_lesson_page(w: World) -> None:
    """R-J01: the lesson's teacher attaches a file from the lesson page; it is stored under the school's
    own folder with none of the uploader's name in the path, listed on the page, audited with what was
    added, and downloaded as an attachment with the recognised type and nosniff."""
    client = client_of(w, w.jw.teacher)
    response = client.post(w.url(f"lessons/{w.lesson.pk}/files/"), {"file": pdf(), "purpose": "homework"})
    assert response.status_code == 302 and response["Location"].endswith(f"/lessons/{w.lesson.pk}/#files")
    att = LessonAttachment.objects.get()
    assert (att.lesson_id, att.purpose, att.name, att.size, att.content_type) == (w.lesson.pk, "homework", "задание.pdf", len(PDF),
                                                                                   "application/pdf")
    assert att.uploaded_by_id == w.jw.teacher.pk
    path = att.file.name or ""
    assert path.startswith(f"journal/{w.jw.school.schema_name}/{w.lesson.pk}/") and "задание" not in path
    page = client.get(w.url(f"lessons/{w.lesson.pk}/")).content.decode()
    assert "задание.pdf" in page and f"/journal/files/{att.pk}/" in page and "Приложить файл" in page
    assert "приложен к уроку" in page
    audit = AuditRecord.objects.get(action="journal.lesson.attachment.add")
    assert audit.actor_id == w.jw.teacher.pk and audit.before is None and audit.after is not None
    assert audit.after["name"] == "задание.pdf" and audit.after["lesson"] == w.lesson.pk and audit.after["purpose"] == "homework"
    got = client.get(w.url(f"files/{att.pk}/"))
    assert got.status_code == 200 and b"".join(got.streaming_content) == PDF
    assert got["Content-Type"] == "application/pdf" and got["X-Content-Type-Options"] == "nosniff"
    assert got["Content-Disposition"].startswith("attachment")


def test_api_uploads_lists_and_downloads(w: World) -> None:
    """R-J01 through the API: multipart upload (201), the lesson's list, the file by its URL."""
    client = client_of(w, w.jw.teacher)
    response = api_upload(client, w, w.lesson, SimpleUploadedFile("схема.png", PNG), purpose="material")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["name"] == "схема.png" and data["purpose"] == "material" and data["content_type"] == "image/png"
    assert data["url"] == w.api(f"attachments/{data['id']}/")
    listed = client.get(w.api(f"lessons/{w.lesson.pk}/attachments/"), HTTP_ACCEPT="application/json").json()
    assert [a["id"] for a in listed] == [data["id"]]
    got = client.get(data["url"])
    assert got.status_code == 200 and b"".join(got.streaming_content) == PNG
    assert got["X-Content-Type-Options"] == "nosniff" and got["Content-Disposition"].startswith("attachment")


def test_oversized_file_is_refused_in_russian(w: World) -> None:
    """R-J01 bad input: over 10 MB is refused (API 400 attachment_too_large; the page says why); nothing stored."""
    big = pdf("скан.pdf", PDF + b"0" * (10 * 1024 * 1024))
    error = error_of(api_upload(client_of(w, w.jw.teacher), w, w.lesson, big), 400, "attachment_too_large")
    assert "больше 10 МБ" in error["message"] and "file" in error["fields"]
    client = client_of(w, w.jw.teacher)
    big.seek(0)
    page = client.post(w.url(f"lessons/{w.lesson.pk}/files/"), {"file": big}, follow=True).content.decode()
    assert "Файл не приложен" in page and "больше 10 МБ" in page
    assert not LessonAttachment.objects.exists()


@pytest.mark.parametrize(("name", "content", "code"), [
    ("setup.exe", PDF, "attachment_executable"),  # a program by its name
    ("задание.pdf", EXE, "attachment_executable"),  # MZ: a program renamed to .pdf
    ("фото.png", PDF, "attachment_mismatch"),  # content not what the name says
    ("архив.rar", b"Rar!\x1a\x07\x00", "attachment_type"),
])
def test_programs_and_disguised_files_are_refused(w: World, name: str, content: bytes, code: str) -> None:
    """R-J01: the checks of messaging.files apply to lesson files: no programs whatever their name, the
    content must be what the name says."""
    error_of(api_upload(client_of(w, w.jw.teacher), w, w.lesson, SimpleUploadedFile(name, content)), 400, code)
    assert not LessonAttachment.objects.exists()
    assert not default_storage.exists(f"journal/{w.jw.school.schema_name}")


def test_a_lesson_holds_at_most_five_files(w: World) -> None:
    """R-J01: at most 5 files a lesson; the sixth is refused with a Russian message."""
    client = client_of(w, w.jw.teacher)
    for n in range(MAX_FILES_PER_LESSON):
        assert api_upload(client, w, w.lesson, pdf(f"{n}.pdf")).status_code == 201
    error = error_of(api_upload(client, w, w.lesson, pdf("6.pdf")), 400, "attachment_count")
    assert "не больше 5 файлов" in error["message"]
    page = client.get(w.url(f"lessons/{w.lesson.pk}/")).content.decode()
    assert "это предел" in page and 'data-testid="lesson-file-form"' not in page


def test_wrong_teacher_and_readers_may_not_upload(w: World) -> None:
    """R-A01: another teacher of the school (not this class and subject), the deputy who reads the
    journal, and a teacher of another school are refused (403); nothing is stored."""
    for person in (w.jw.other, w.jw.deputy, w.jw.class_teacher, w.teacher_b):
        client = client_of(w, person)
        assert client.post(w.url(f"lessons/{w.lesson.pk}/files/"), {"file": pdf()}).status_code == 403, person
        error_of(api_upload(client, w, w.lesson, pdf()), 403, "forbidden")
    assert not LessonAttachment.objects.exists()


def test_students_and_parents_never_upload(w: World) -> None:
    """R-A01: a student and a parent never write to the journal: 403 on the page and through the API."""
    for person in (w.child, w.parent):
        client = client_of(w, person)
        assert client.post(w.url(f"lessons/{w.lesson.pk}/files/"), {"file": pdf()}).status_code == 403
        error_of(api_upload(client, w, w.lesson, pdf()), 403, "forbidden")
    att = stored(w)
    for person in (w.child, w.parent):
        client = client_of(w, person)
        assert client.post(w.url(f"files/{att.pk}/delete/")).status_code == 403
        assert client.delete(w.api(f"attachments/{att.pk}/"), HTTP_ACCEPT="application/json").status_code == 403
    assert LessonAttachment.objects.filter(lesson=w.lesson).count() == 1


def test_substitute_attaches_to_the_lesson_they_teach(w: World) -> None:
    """R-J06: the substitute writes the lesson they replace, files included."""
    today_lesson = w.jw.lesson(pages.TODAY, 3)
    assert api_upload(client_of(w, w.jw.other), w, today_lesson, pdf()).status_code == 201


# --- the lesson's rules ---------------------------------------------------------------------------------


def test_seven_day_lock_refuses_upload_and_delete(w: World) -> None:
    """R-J07: a file is part of the lesson record: past the 7-day lock it is neither added nor removed
    (409 journal_locked; the page says to file a change request)."""
    client = client_of(w, w.jw.teacher)
    error = error_of(api_upload(client, w, w.old, pdf()), 409, "journal_locked")
    assert "Замена сведений" in error["message"]
    page = client.post(w.url(f"lessons/{w.old.pk}/files/"), {"file": pdf()}, follow=True).content.decode()
    assert "Файл не приложен" in page and "старше 7 дней" in page
    att = stored(w, w.old)
    error_of(client.delete(w.api(f"attachments/{att.pk}/"), HTTP_ACCEPT="application/json"), 409, "journal_locked")
    page = client.post(w.url(f"files/{att.pk}/delete/"), follow=True).content.decode()
    assert "Файл не удалён" in page
    assert list(LessonAttachment.objects.values_list("pk", flat=True)) == [att.pk]
    assert not AuditRecord.objects.filter(action__startswith="journal.lesson.attachment").exists()


def test_closed_year_refuses_files(w: World) -> None:
    """R-Y05: a closed year's lessons stay as they are, files included."""
    AcademicYear.objects.filter(pk=w.jw.cls.year_id).update(status="closed")
    error_of(api_upload(client_of(w, w.jw.teacher), w, w.lesson, pdf()), 409, "year_closed")


def test_delete_within_the_window_is_audited_and_removes_the_file(w: World, django_capture_on_commit_callbacks: Any) -> None:
    """R-J01: the lesson's teacher removes a file within the lock window; the audit keeps what it was."""
    client = client_of(w, w.jw.teacher)
    att_id = api_upload(client, w, w.lesson, pdf()).json()["id"]
    path = LessonAttachment.objects.get(pk=att_id).file.name or ""
    assert default_storage.exists(path)
    with django_capture_on_commit_callbacks(execute=True):
        assert client.delete(w.api(f"attachments/{att_id}/"), HTTP_ACCEPT="application/json").status_code == 204
    assert not LessonAttachment.objects.exists() and not default_storage.exists(path)
    audit = AuditRecord.objects.get(action="journal.lesson.attachment.delete")
    assert audit.before is not None and audit.before["name"] == "задание.pdf" and audit.after is None and audit.object_id == str(att_id)
    att = stored(w)
    assert client.post(w.url(f"files/{att.pk}/delete/")).status_code == 302
    assert not LessonAttachment.objects.exists()


# --- who downloads (R-A02) and the access table for the lead's isolation table ---------------------------


def test_download_access_table(w: World) -> None:
    """R-A02: the class's journal readers, the lesson's student and that student's parent download the
    file; another family, a student of another class, a teacher who does not teach the class and a
    teacher of another school get 404 (the same as for a missing id); anonymous: sign-in / 401."""
    att = stored(w)
    allowed = {"teacher": w.jw.teacher, "deputy": w.jw.deputy, "methodist": w.jw.methodist, "class_teacher": w.jw.class_teacher,
               "parent": w.parent, "student": w.child}
    refused = {"other_teacher": w.jw.other, "other_parent": w.other_parent, "other_student": w.stranger, "teacher_b": w.teacher_b}
    for label, person in allowed.items():
        client = client_of(w, person)
        assert client.get(w.url(f"files/{att.pk}/")).status_code == 200, label
        assert client.get(w.api(f"attachments/{att.pk}/")).status_code == 200, label
    for label, person in refused.items():
        client = client_of(w, person)
        assert client.get(w.url(f"files/{att.pk}/")).status_code == 404, label
        assert client.get(w.api(f"attachments/{att.pk}/"), HTTP_ACCEPT="application/json").status_code == 404, label
        assert client.get(w.url(f"files/{att.pk + 1000}/")).status_code == 404, label
    anonymous = client_of(w, None)
    page = anonymous.get(w.url(f"files/{att.pk}/"))
    assert page.status_code == 302 and "/login/" in page["Location"]
    assert anonymous.get(w.api(f"attachments/{att.pk}/"), HTTP_ACCEPT="application/json").status_code == 401
    assert AuditRecord.objects.filter(action="access.refused", actor=w.other_parent).exists()


def test_another_schools_teacher_sees_nothing_of_the_file(w: World) -> None:
    """Tenant isolation: a teacher of school B gets 404 for school A's file, by either school's address,
    and may neither list nor upload nor delete."""
    att = stored(w)
    client = client_of(w, w.teacher_b)
    assert client.get(f"/s/{w.school_b.slug}/journal/files/{att.pk}/").status_code == 404
    assert client.get(f"/api/v1/schools/{w.school_b.slug}/journal/attachments/{att.pk}/",
                      HTTP_ACCEPT="application/json").status_code == 404
    assert client.get(w.api(f"lessons/{w.lesson.pk}/attachments/"), HTTP_ACCEPT="application/json").status_code == 403
    assert client.delete(w.api(f"attachments/{att.pk}/"), HTTP_ACCEPT="application/json").status_code == 403
    assert LessonAttachment.objects.filter(pk=att.pk).exists()


# The new routes × who → status. A fresh file per call, so a permitted delete does not change the next
# row. «404» for reading: whoever may not read the lesson learns nothing, not even that the file exists.
WHO = ("teacher", "deputy", "class_teacher", "other_teacher", "parent", "other_parent", "student", "other_student", "teacher_b",
       "anonymous")
ROUTES: list[tuple[str, str, str, str, tuple[int, ...]]] = [
    # route name, method, page|api, path, statuses in the order of WHO
    ("school:journal-lesson-file", "GET", "page", "files/{att}/", (200, 200, 200, 404, 200, 404, 200, 404, 404, 302)),
    ("api-journal-lesson-attachment", "GET", "api", "attachments/{att}/", (200, 200, 200, 404, 200, 404, 200, 404, 404, 401)),
    ("api-journal-lesson-attachments", "GET", "api", "lessons/{lesson}/attachments/", (200, 200, 200, 403, 403, 403, 403, 403, 403, 401)),
    # Uploads without a file: the teacher gets the Russian «choose a file» (page: back to the lesson).
    ("school:journal-lesson-files", "POST", "page", "lessons/{lesson}/files/", (302, 403, 403, 403, 403, 403, 403, 403, 403, 302)),
    ("api-journal-lesson-attachments", "POST", "api", "lessons/{lesson}/attachments/", (400, 403, 403, 403, 403, 403, 403, 403, 403, 401)),
    ("school:journal-lesson-file-delete", "POST", "page", "files/{att}/delete/", (302, 403, 403, 403, 403, 403, 403, 403, 403, 302)),
    ("api-journal-lesson-attachment", "DELETE", "api", "attachments/{att}/", (204, 403, 403, 403, 403, 403, 403, 403, 403, 401)),
]


def exercised_urls(slug: str = "alpha") -> list[str]:
    """ "METHOD /url" of each row above, for tests/test_isolation.py's check that every route has an access table."""
    return [f"{method} " + (f"/s/{slug}/journal/" if kind == "page" else f"/api/v1/schools/{slug}/journal/") + path.format(att=1, lesson=1)
            for _route, method, kind, path, _codes in ROUTES]


@pytest.mark.parametrize(("route", "method", "kind", "path", "codes"), [pytest.param(*row, id=f"{row[1]} {row[0]}") for row in ROUTES])
def test_route_access_table(w: World, route: str, method: str, kind: str, path: str, codes: tuple[int, ...]) -> None:
    """R-A01, R-A02, R-P01: each new route (journal-lesson-file, journal-lesson-files, journal-lesson-file-delete,
    api-journal-lesson-attachments, api-journal-lesson-attachment) × who may and who may not."""
    people: dict[str, Person | None] = {
        "teacher": w.jw.teacher, "deputy": w.jw.deputy, "class_teacher": w.jw.class_teacher, "other_teacher": w.jw.other,
        "parent": w.parent, "other_parent": w.other_parent, "student": w.child, "other_student": w.stranger, "teacher_b": w.teacher_b,
        "anonymous": None}
    for who, code in zip(WHO, codes, strict=True):
        att = stored(w)
        url = (w.url if kind == "page" else w.api)(path.format(att=att.pk, lesson=w.lesson.pk))
        response = client_of(w, people[who]).generic(method, url, HTTP_ACCEPT="application/json")
        assert response.status_code == code, (route, method, who, response.status_code)
        removed = who == "teacher" and (method == "DELETE" or path.endswith("delete/"))
        assert LessonAttachment.objects.filter(pk=att.pk).exists() != removed, (route, method, who)


# --- the diary (R-D01) -------------------------------------------------------------------------------------


def _family_client(person: Person) -> Client:
    client = Client()
    client.force_login(person)
    client.get("/diary/")  # the family list is kept in the session, as after signing in
    return client


def test_diary_week_shows_the_files_as_links(w: World) -> None:
    """R-D01: the diary's week shows the homework's files and the lesson's material as links to the
    access-checked download; the week API lists them with their URLs."""
    hw, material = stored(w, name="задание.pdf"), stored(w, name="конспект.pdf")
    LessonAttachment.objects.filter(pk=material.pk).update(purpose="material")
    use_public()
    client = _family_client(w.parent)
    html = client.get(f"/s/{w.jw.school.slug}/diary/{w.child.pk}/?week=2026-11-23").content.decode()
    assert 'data-testid="homework-files"' in html and 'data-testid="material-files"' in html
    assert f'href="/s/{w.jw.school.slug}/journal/files/{hw.pk}/"' in html and "задание.pdf" in html
    assert f'href="/s/{w.jw.school.slug}/journal/files/{material.pk}/"' in html and "конспект.pdf" in html
    data = client.get(f"/api/v1/schools/{w.jw.school.slug}/diary/{w.child.pk}/week/?date=2026-11-24").json()
    lesson = next(ls for d in data["days"] for ls in d["lessons"] if ls["lesson_id"] == w.lesson.pk)
    assert [(f["name"], f["purpose"], f["url"]) for f in lesson["files"]] == [
        ("задание.pdf", "homework", f"/api/v1/schools/{w.jw.school.slug}/journal/attachments/{hw.pk}/"),
        ("конспект.pdf", "material", f"/api/v1/schools/{w.jw.school.slug}/journal/attachments/{material.pk}/")]
    homework = client.get(f"/api/v1/schools/{w.jw.school.slug}/diary/{w.child.pk}/homework/").json()
    assert any(ls["files"] for ls in homework["lessons"])
    assert client.get(f"/s/{w.jw.school.slug}/journal/files/{hw.pk}/").status_code == 200


def test_diary_week_queries_do_not_grow_with_files(w: World) -> None:
    """R-D01, issue 6: the diary's week (page and API) costs the same number of SQL queries, at most 10,
    with one file as with nine on two lessons: the files come in the lessons' own query."""
    use_school(w.jw.school)
    stored(w)
    use_public()
    client = _family_client(w.parent)
    urls = [f"/s/{w.jw.school.slug}/diary/{w.child.pk}/?week=2026-11-23", f"/api/v1/schools/{w.jw.school.slug}/diary/{w.child.pk}/week/",
            f"/api/v1/schools/{w.jw.school.slug}/diary/{w.child.pk}/homework/"]
    counts: dict[str, list[int]] = {url: [] for url in urls}
    for more in (False, True):
        if more:
            use_school(w.jw.school)
            monday = w.jw.lesson(D(2026, 11, 23), 1, homework="Прочитать")
            for n in range(4):
                stored(w, name=f"{n}.pdf")
                stored(w, monday, name=f"п{n}.pdf")
            use_public()
        for url in urls:
            client.get(url)
            with CaptureQueriesContext(connection) as ctx:
                response = client.get(url)
            assert response.status_code == 200, url
            counts[url].append(len(ctx.captured_queries))
    for url, (few, many) in counts.items():
        assert few == many and many <= 10, (url, few, many)
    html = client.get(urls[0]).content.decode()
    assert html.count('data-testid="lesson-file"') == 9


def test_openapi_documents_the_file_endpoints(w: World) -> None:
    """The API's schema lists the new endpoints with their multipart upload."""
    client = client_of(w, w.jw.teacher)
    schema = json.loads(client.get("/api/schema/", HTTP_ACCEPT="application/json").content)
    paths = schema["paths"]
    upload = paths["/api/v1/schools/{school_slug}/journal/lessons/{lesson_id}/attachments/"]
    assert "multipart/form-data" in upload["post"]["requestBody"]["content"]
    assert {"get", "delete"} <= set(paths["/api/v1/schools/{school_slug}/journal/attachments/{attachment_id}/"])


# --- files left behind --------------------------------------------------------------------------------------

def test_orphan_lesson_files_older_than_a_day_are_swept(w: World, settings: Any) -> None:
    """R-J01 (and 152-ФЗ: children's work kept only while the journal holds it): a stored file no
    attachment names — its upload rolled back by an outer error — is deleted by the nightly sweep
    once older than a day; files of attachments and fresh orphans (an upload still committing) stay."""
    import os
    import time

    from journal import tasks

    use_school(w.jw.school)
    kept = stored(w)
    schema = w.jw.school.schema_name
    old_orphan = default_storage.save(f"journal/{schema}/{w.lesson.pk}/old.pdf", SimpleUploadedFile("old.pdf", PDF))
    fresh_orphan = default_storage.save(f"journal/{schema}/{w.lesson.pk}/fresh.pdf", SimpleUploadedFile("fresh.pdf", PDF))
    two_days_ago = time.time() - 2 * 24 * 3600
    for path in (old_orphan, kept.file.name):
        os.utime(default_storage.path(path), (two_days_ago, two_days_ago))
    use_public()
    assert settings.CELERY_BEAT_SCHEDULE["journal-sweep-lesson-files"]["task"] == tasks.sweep_lesson_files.name
    assert tasks.sweep_lesson_files.run() == {"deleted": 1}
    assert not default_storage.exists(old_orphan)
    assert default_storage.exists(fresh_orphan) and default_storage.exists(kept.file.name)
    assert tasks.sweep_lesson_files.run() == {"deleted": 0}
