"""The messaging API for the mobile client under /api/v1/schools/<slug>/messages/ (R-D06):
conversations, messages, sending (JSON or multipart with files), read marks, announcements,
abuse reports, attachments. Thin, as the pages: authorise (messaging.access), then call
services/selectors. Errors: {"error": {"code", "message", "fields"}}."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import rules, selectors, services
from .access import (
    access_announcement,
    access_attachment,
    access_conversation,
    access_message,
    access_messaging,
    access_report,
    access_reports,
    me,
)
from .models import Attachment, Audience

TAGS = ["messages"]


def _int_param(request: Request, name: str, default: int, *, low: int = 0, high: int = 200) -> int:
    try:
        return min(max(int(request.query_params.get(name, default)), low), high)
    except (TypeError, ValueError):
        return default


# --- shapes --------------------------------------------------------------------------------------

class MsgPersonOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    full_name = serializers.CharField()
    short_name = serializers.CharField()


class MsgAttachmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    content_type = serializers.CharField()
    size = serializers.IntegerField()
    url = serializers.SerializerMethodField()

    def get_url(self, obj: Attachment) -> str:
        return f"/api/v1/schools/{self.context['school'].slug}/messages/attachments/{obj.pk}/"


class MsgConversationRowOut(serializers.Serializer):
    id = serializers.IntegerField(source="conversation.pk")
    subject = serializers.CharField(source="conversation.subject")
    title = serializers.CharField()
    last_message_at = serializers.DateTimeField(source="conversation.last_message_at")
    unread = serializers.IntegerField()
    preview = serializers.CharField()
    last_author_id = serializers.IntegerField(allow_null=True)
    others = MsgPersonOut(many=True)


class MsgMessageOut(serializers.Serializer):
    id = serializers.IntegerField(source="message.pk")
    author = MsgPersonOut(allow_null=True)
    body = serializers.CharField(source="message.body")
    created_at = serializers.DateTimeField(source="message.created_at")
    attachments = serializers.SerializerMethodField()
    read_by = serializers.IntegerField(help_text="Сколько других участников прочитали")
    of = serializers.IntegerField(help_text="Сколько других участников в переписке")
    reported = serializers.BooleanField(help_text="Вы уже пожаловались на это сообщение")

    def get_attachments(self, row: Any) -> list[dict[str, Any]]:
        return MsgAttachmentOut(row.message.attachments.all(), many=True, context=self.context).data  # type: ignore[return-value]


class MsgConversationOut(serializers.Serializer):
    id = serializers.IntegerField(source="conversation.pk")
    subject = serializers.CharField(source="conversation.subject")
    participants = serializers.SerializerMethodField()
    messages = MsgMessageOut(many=True, source="rows")
    more_before = serializers.BooleanField()

    def get_participants(self, view: Any) -> list[dict[str, Any]]:
        return [{"id": p.person_id, "full_name": view.persons[p.person_id].full_name, "last_read_at": p.last_read_at}
                for p in view.participants if p.person_id in view.persons]


class MsgStartIn(serializers.Serializer):
    recipients = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=services.MAX_RECIPIENTS)
    subject = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    body = serializers.CharField(max_length=services.MAX_BODY)
    attachments = serializers.ListField(child=serializers.FileField(), required=False, default=list,
                                        help_text="Файлы (multipart/form-data)")


class MsgReplyIn(serializers.Serializer):
    body = serializers.CharField(max_length=services.MAX_BODY)
    attachments = serializers.ListField(child=serializers.FileField(), required=False, default=list,
                                        help_text="Файлы (multipart/form-data)")


class MsgSentOut(serializers.Serializer):
    conversation_id = serializers.IntegerField()
    message_id = serializers.IntegerField()


class MsgStartedOut(MsgSentOut):
    conversation_ids = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="Все созданные переписки: сообщение нескольким семьям, которым школа не разрешает переписку между "
                  "родителями, уходит каждой семье отдельной перепиской (conversation_id — первая из них)")


class MsgReadOut(serializers.Serializer):
    changed = serializers.BooleanField()


class MsgCandidateOut(serializers.Serializer):
    person = MsgPersonOut()
    reasons = serializers.ListField(child=serializers.CharField())


class MsgAnnouncementOut(serializers.Serializer):
    id = serializers.IntegerField(source="announcement.pk")
    title = serializers.CharField(source="announcement.title")
    body = serializers.CharField(source="announcement.body")
    audience = serializers.CharField(source="announcement.audience")
    class_id = serializers.IntegerField(source="announcement.school_class_id", allow_null=True)
    class_name = serializers.SerializerMethodField()
    author = MsgPersonOut(allow_null=True)
    created_at = serializers.DateTimeField(source="announcement.created_at")
    read = serializers.BooleanField()

    def get_class_name(self, row: Any) -> str | None:
        c = row.announcement.school_class
        return c.name if c else None


class MsgAnnouncementIn(serializers.Serializer):
    audience = serializers.ChoiceField(choices=Audience.choices)
    class_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=services.MAX_BODY)


class MsgCreatedOut(serializers.Serializer):
    id = serializers.IntegerField()


class MsgReportIn(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class MsgReportOut(serializers.Serializer):
    id = serializers.IntegerField(source="report.pk")
    message_id = serializers.IntegerField(source="report.message_id")
    body = serializers.CharField(source="report.message.body")
    author = MsgPersonOut(allow_null=True)
    reporter = MsgPersonOut(allow_null=True)
    reason = serializers.CharField(source="report.reason")
    created_at = serializers.DateTimeField(source="report.created_at")
    resolved_at = serializers.DateTimeField(source="report.resolved_at", allow_null=True)
    resolution = serializers.CharField(source="report.resolution")


class MsgResolveIn(serializers.Serializer):
    resolution = serializers.CharField(max_length=500)


class MsgUnreadOut(serializers.Serializer):
    messages = serializers.IntegerField()
    announcements = serializers.IntegerField()
    open_reports = serializers.IntegerField(allow_null=True, help_text="Открытые жалобы на сообщения; только для администрации, "
                                                                       "у остальных null")


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _data(request: Request) -> Any:
    """JSON as is; a multipart form with its lists (recipients, attachments) kept as lists."""
    raw: Any = request.data
    if hasattr(raw, "getlist"):
        data: dict[str, Any] = {key: raw.get(key) for key in raw}
        for key in ("recipients", "attachments"):
            if key in raw:
                data[key] = raw.getlist(key)
        return data
    return raw


PARSERS = [JSONParser, MultiPartParser, FormParser]


# --- conversations --------------------------------------------------------------------------------

class ConversationListView(APIView):
    parser_classes = PARSERS

    @extend_schema(tags=TAGS, summary="Мои переписки (новые сверху)", responses=MsgConversationRowOut(many=True),
                   parameters=[OpenApiParameter("limit", int), OpenApiParameter("offset", int)])
    def get(self, request: Request, school_slug: str) -> Response:
        access_messaging(request)
        rows = selectors.inbox(me(request), limit=_int_param(request, "limit", 50, low=1), offset=_int_param(request, "offset", 0, high=10**6))
        return Response(MsgConversationRowOut(rows, many=True).data)

    @extend_schema(tags=TAGS, summary="Начать переписку", request={"application/json": MsgStartIn, "multipart/form-data": MsgStartIn},
                   responses={201: MsgStartedOut})
    def post(self, request: Request, school_slug: str) -> Response:
        school, _, _ = access_messaging(request)
        v = _valid(MsgStartIn, _data(request))
        started = services.start_conversations(request.user, school, recipient_ids=v["recipients"], subject=v["subject"],  # type: ignore[arg-type]
                                               body=v["body"], files=v["attachments"])
        message_id = started[0].messages.order_by("-pk").values_list("pk", flat=True).first()
        return Response({"conversation_id": started[0].pk, "message_id": message_id, "conversation_ids": [c.pk for c in started]},
                        status=status.HTTP_201_CREATED)


class ConversationDetailView(APIView):
    @extend_schema(tags=TAGS, summary="Переписка: сообщения с файлами и отметками о прочтении", responses=MsgConversationOut,
                   parameters=[OpenApiParameter("limit", int, description="Сколько последних сообщений (до 200)")])
    def get(self, request: Request, school_slug: str, conversation_id: int) -> Response:
        school, _, conversation = access_conversation(request, conversation_id)
        view = selectors.conversation_view(conversation, me(request), limit=_int_param(request, "limit", 200, low=1))
        return Response(MsgConversationOut(view, context={"school": school}).data)


class MessageCreateView(APIView):
    parser_classes = PARSERS

    @extend_schema(tags=TAGS, summary="Ответить в переписке", request={"application/json": MsgReplyIn, "multipart/form-data": MsgReplyIn},
                   responses={201: MsgSentOut})
    def post(self, request: Request, school_slug: str, conversation_id: int) -> Response:
        school, _, conversation = access_conversation(request, conversation_id)
        v = _valid(MsgReplyIn, _data(request))
        message = services.send_message(request.user, school, conversation, body=v["body"], files=v["attachments"])  # type: ignore[arg-type]
        return Response({"conversation_id": conversation.pk, "message_id": message.pk}, status=status.HTTP_201_CREATED)


class ConversationReadView(APIView):
    @extend_schema(tags=TAGS, summary="Отметить переписку прочитанной", request=None, responses=MsgReadOut)
    def post(self, request: Request, school_slug: str, conversation_id: int) -> Response:
        school, _, conversation = access_conversation(request, conversation_id)
        return Response({"changed": services.mark_read(request.user, school, conversation)})  # type: ignore[arg-type]


class RecipientsView(APIView):
    @extend_schema(tags=TAGS, summary="Кому я могу написать", responses=MsgCandidateOut(many=True),
                   parameters=[OpenApiParameter("q", str, description="Поиск по ФИО"),
                               OpenApiParameter("class_id", int, description="Для сотрудников: обучающиеся и родители класса")])
    def get(self, request: Request, school_slug: str) -> Response:
        school, access, _ = access_messaging(request)
        circle = rules.circle_of(request.user, access, school)  # type: ignore[arg-type]
        class_id = request.query_params.get("class_id")
        found = selectors.candidates(circle, school, q=request.query_params.get("q", "")[:60],
                                     class_id=int(class_id) if class_id and class_id.isdigit() else None)
        return Response(MsgCandidateOut(found, many=True).data)


class UnreadView(APIView):
    @extend_schema(tags=TAGS, summary="Сколько непрочитанных сообщений и объявлений", responses=MsgUnreadOut)
    def get(self, request: Request, school_slug: str) -> Response:
        school, access, roles = access_messaging(request)
        return Response({"messages": selectors.unread_count(me(request)),
                         "announcements": selectors.unread_announcements(request.user, access, school),  # type: ignore[arg-type]
                         "open_reports": selectors.open_report_count() if rules.is_admin(roles) else None})


class ReportMessageView(APIView):
    @extend_schema(tags=TAGS, summary="Пожаловаться на сообщение администрации школы", request=MsgReportIn, responses={201: MsgCreatedOut})
    def post(self, request: Request, school_slug: str, message_id: int) -> Response:
        school, _, message = access_message(request, message_id)
        v = _valid(MsgReportIn, request.data)
        report = services.report_abuse(request.user, school, message, reason=v["reason"])  # type: ignore[arg-type]
        return Response({"id": report.pk}, status=status.HTTP_201_CREATED)


class AttachmentView(APIView):
    @extend_schema(tags=TAGS, summary="Скачать файл сообщения", responses={(200, "application/octet-stream"): OpenApiResponse(description="Файл")})
    def get(self, request: Request, school_slug: str, attachment_id: int) -> Any:
        _, att = access_attachment(request, attachment_id)
        response = FileResponse(att.file.open("rb"), as_attachment=True, filename=att.name, content_type=att.content_type)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


# --- announcements ------------------------------------------------------------------------------------

class AnnouncementListView(APIView):
    @extend_schema(tags=TAGS, summary="Объявления для меня (новые сверху)", responses=MsgAnnouncementOut(many=True),
                   parameters=[OpenApiParameter("limit", int)])
    def get(self, request: Request, school_slug: str) -> Response:
        school, access, _ = access_messaging(request)
        rows = selectors.announcement_rows(selectors.announcements_for(request.user, access, school), me(request),  # type: ignore[arg-type]
                                           limit=_int_param(request, "limit", 50, low=1))
        return Response(MsgAnnouncementOut(rows, many=True).data)

    @extend_schema(tags=TAGS, summary="Опубликовать объявление (администрация — школе или классу; классный руководитель — своему классу)",
                   request=MsgAnnouncementIn, responses={201: MsgCreatedOut})
    def post(self, request: Request, school_slug: str) -> Response:
        school, _, _ = access_messaging(request)
        v = _valid(MsgAnnouncementIn, request.data)
        item = services.publish_announcement(request.user, school, audience=v["audience"], class_id=v["class_id"],  # type: ignore[arg-type]
                                             title=v["title"], body=v["body"])
        return Response({"id": item.pk}, status=status.HTTP_201_CREATED)


class AnnouncementDetailView(APIView):
    @extend_schema(tags=TAGS, summary="Объявление", responses=MsgAnnouncementOut)
    def get(self, request: Request, school_slug: str, announcement_id: int) -> Response:
        school, access, item = access_announcement(request, announcement_id)
        rows = selectors.announcement_rows(selectors.announcements_for(request.user, access, school).filter(pk=item.pk), me(request))  # type: ignore[arg-type]
        return Response(MsgAnnouncementOut(rows[0]).data)


class AnnouncementReadView(APIView):
    @extend_schema(tags=TAGS, summary="Отметить объявление прочитанным", request=None, responses=MsgReadOut)
    def post(self, request: Request, school_slug: str, announcement_id: int) -> Response:
        school, _, item = access_announcement(request, announcement_id)
        return Response({"changed": services.mark_announcement_read(request.user, school, item)})  # type: ignore[arg-type]


# --- the administration ----------------------------------------------------------------------------------

class ReportListView(APIView):
    @extend_schema(tags=TAGS, summary="Жалобы на сообщения (администрация)", responses=MsgReportOut(many=True),
                   parameters=[OpenApiParameter("open", bool, description="Только не рассмотренные")])
    def get(self, request: Request, school_slug: str) -> Response:
        access_reports(request)
        rows = selectors.report_rows(open_only=request.query_params.get("open") in ("1", "true"))
        return Response(MsgReportOut(rows, many=True).data)


class ReportResolveView(APIView):
    @extend_schema(tags=TAGS, summary="Закрыть жалобу (администрация)", request=MsgResolveIn, responses=MsgCreatedOut)
    def post(self, request: Request, school_slug: str, report_id: int) -> Response:
        school, _, report = access_report(request, report_id)
        v = _valid(MsgResolveIn, request.data)
        services.resolve_report(request.user, school, report, resolution=v["resolution"])  # type: ignore[arg-type]
        return Response({"id": report.pk})
