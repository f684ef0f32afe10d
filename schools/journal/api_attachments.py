"""The API of a lesson's files (R-J01, R-D01), under /api/v1/schools/<slug>/journal/:

* lessons/<id>/attachments/   GET the list (readers of the class's journal), POST a file (multipart:
                              `file`, `purpose` = material | homework; the lesson's teacher only);
* attachments/<id>/           GET the file (readers of the journal, the lesson's students and their
                              parents; everybody else 404), DELETE it (the lesson's teacher, within
                              the 7-day lock: 409 journal_locked past it).

Thin: authorise (journal.views.access_lesson, journal.views_attachments.access_lesson_file), then
journal.attachments, which applies the lesson's rules. Errors: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access import access_school
from core.errors import NotFound, PermissionDenied

from .attachments import add_lesson_attachment, delete_lesson_attachment, lesson_attachments
from .models import AttachmentPurpose, LessonAttachment
from .views import access_lesson
from .views_attachments import NO_FILE, access_lesson_file, file_response

TAGS = ["journal"]


def attachment_api_url(school_slug: str, attachment_id: int) -> str:
    return reverse("api-journal-lesson-attachment", kwargs={"school_slug": school_slug, "attachment_id": attachment_id})


class JournalLessonAttachmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    lesson = serializers.IntegerField(source="lesson_id")
    purpose = serializers.ChoiceField(choices=AttachmentPurpose.choices, help_text="material — материал урока, homework — к домашнему заданию")
    name = serializers.CharField()
    size = serializers.IntegerField(help_text="Байт")
    content_type = serializers.CharField(help_text="Тип, определённый по содержимому файла")
    uploaded_by = serializers.IntegerField(source="uploaded_by_id")
    uploaded_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField(help_text="Скачать (с проверкой доступа)")

    def get_url(self, obj: LessonAttachment) -> str:
        return attachment_api_url(self.context["school_slug"], obj.pk)


class JournalLessonAttachmentIn(serializers.Serializer):
    file = serializers.FileField(help_text="До 10 МБ: PDF, JPEG, PNG, GIF, WebP, TXT, DOC(X), XLS(X), PPTX, ODT, ODS")
    purpose = serializers.ChoiceField(choices=AttachmentPurpose.choices, default=AttachmentPurpose.HOMEWORK, required=False)


class LessonAttachmentListView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(tags=TAGS, summary="Файлы урока: материал и к домашнему заданию", responses=JournalLessonAttachmentOut(many=True))
    def get(self, request: Request, school_slug: str, lesson_id: int) -> Response:
        j, lesson = access_lesson(request, lesson_id)
        return Response(JournalLessonAttachmentOut(lesson_attachments(lesson), many=True, context={"school_slug": j.school.slug}).data)

    @extend_schema(tags=TAGS, summary="Приложить файл к уроку (учитель урока, в пределах срока блокировки)",
                   request={"multipart/form-data": JournalLessonAttachmentIn}, responses={201: JournalLessonAttachmentOut},
                   description="400 attachment_too_large / attachment_executable / attachment_type / attachment_mismatch / "
                               "attachment_count; 403 — не учитель этого урока; 409 journal_locked — урок старше срока (R-J07).")
    def post(self, request: Request, school_slug: str, lesson_id: int) -> Response:
        j, lesson = access_lesson(request, lesson_id)
        if not j.teaches:
            raise PermissionDenied("Файлы к уроку прикладывает учитель, который его ведёт.")
        # The file goes to the service as sent: its checks (messaging.files) answer in Russian.
        purpose = request.POST.get("purpose") or AttachmentPurpose.HOMEWORK
        attachment = add_lesson_attachment(request.user, j.school, lesson, request.FILES.get("file"), purpose)  # type: ignore[arg-type]
        return Response(JournalLessonAttachmentOut(attachment, context={"school_slug": j.school.slug}).data,
                        status=status.HTTP_201_CREATED)


class LessonAttachmentView(APIView):
    @extend_schema(tags=TAGS, summary="Скачать файл урока",
                   responses={(200, "application/octet-stream"): OpenApiResponse(description="Файл"), 404: None})
    def get(self, request: Request, school_slug: str, attachment_id: int) -> Any:
        _, attachment = access_lesson_file(request, attachment_id)
        return file_response(attachment)

    @extend_schema(tags=TAGS, summary="Удалить файл урока (учитель урока, в пределах срока блокировки)", responses={204: None})
    def delete(self, request: Request, school_slug: str, attachment_id: int) -> Response:
        attachment = LessonAttachment.objects.filter(pk=attachment_id).first()
        if attachment is None:
            access_school(request)  # an outsider is refused before anything is looked up
            raise NotFound(NO_FILE)
        j, lesson = access_lesson(request, attachment.lesson_id)
        if not j.teaches:
            raise PermissionDenied("Удалять файлы урока может учитель, который его ведёт.")
        attachment.lesson = lesson
        delete_lesson_attachment(request.user, j.school, attachment)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)
