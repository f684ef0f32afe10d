"""Pages for a lesson's files (R-J01, R-D01), under /s/<slug>/journal/:

* lessons/<id>/files/            POST: attach a file (the lesson page's upload form);
* files/<id>/                    GET: download it, access-checked;
* files/<id>/delete/             POST: remove it.

Who downloads: staff who read that class's journal, the lesson's own students and their parents;
everybody else gets 404 (the refusal is audited), whether the file exists or not. The file is
sent as an attachment with the content type recognised at upload and `nosniff`; never through
MEDIA_URL. Writes go through journal.attachments, which checks the lesson's rules again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from core.access import access_school, record_denied
from core.errors import NotFound, PermissionDenied
from core.views import page

from .attachments import add_lesson_attachment, delete_lesson_attachment, family_may_read, staff_may_read
from .models import LessonAttachment
from .views import _attempt, access_lesson

if TYPE_CHECKING:
    from tenants.models import School

NO_FILE = "Файл не найден."


def access_lesson_file(request: HttpRequest, attachment_id: int) -> tuple[School, LessonAttachment]:
    """The file, if the reader may read its lesson; otherwise 404 for everybody alike (another
    school's teacher, another family's parent, a missing id) so nothing is learnt by trying ids."""
    try:
        school, access = access_school(request)
    except PermissionDenied:
        raise NotFound(NO_FILE) from None
    attachment = (LessonAttachment.objects.select_related("lesson").filter(pk=attachment_id).first())
    user: Any = request.user
    if attachment is not None and (staff_may_read(access, school, user.pk, attachment.lesson)
                                   or family_may_read(access, school, user.pk, attachment.lesson)):
        return school, attachment
    record_denied(request, PermissionDenied("Файл урока недоступен."), "lesson_attachment")
    raise NotFound(NO_FILE)


def file_response(attachment: LessonAttachment) -> FileResponse:
    """Always a download, with the type recognised at upload; the browser is told not to guess."""
    response = FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.name,
                            content_type=attachment.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


def _back(school: School, lesson_id: int) -> HttpResponse:
    return redirect(reverse("school:journal-lesson", kwargs={"school_slug": school.slug, "lesson_id": lesson_id}) + "#files")


@page
def lesson_file(request: HttpRequest, school_slug: str, attachment_id: int) -> Any:
    _, attachment = access_lesson_file(request, attachment_id)
    return file_response(attachment)


@page
@require_POST
def lesson_files(request: HttpRequest, school_slug: str, lesson_id: int) -> HttpResponse:
    """The lesson page's upload form: the lesson's teacher or substitute only (families: 403)."""
    j, lesson = access_lesson(request, lesson_id)
    if not j.teaches:
        raise PermissionDenied("Файлы к уроку прикладывает учитель, который его ведёт.")
    upload = request.FILES.get("file")
    saved, exc = _attempt(add_lesson_attachment, request.user, j.school, lesson, upload,
                          request.POST.get("purpose") or "homework")
    if exc is not None:
        messages.error(request, f"Файл не приложен. {exc.message}")
    else:
        messages.success(request, f"Файл «{saved.name}» приложен к уроку.")
    return _back(j.school, lesson.pk)


@page
@require_POST
def lesson_file_delete(request: HttpRequest, school_slug: str, attachment_id: int) -> HttpResponse:
    access_school(request)  # an outsider is refused before anything is looked up
    attachment = LessonAttachment.objects.filter(pk=attachment_id).first()
    if attachment is None:
        raise NotFound(NO_FILE)
    j, lesson = access_lesson(request, attachment.lesson_id)
    if not j.teaches:
        raise PermissionDenied("Удалять файлы урока может учитель, который его ведёт.")
    attachment.lesson = lesson
    _, exc = _attempt(delete_lesson_attachment, request.user, j.school, attachment)
    if exc is not None:
        messages.error(request, f"Файл не удалён. {exc.message}")
    else:
        messages.success(request, f"Файл «{attachment.name}» удалён.")
    return _back(j.school, lesson.pk)
