"""API for the mobile client: notification settings, e-mail and its confirmation, the notices
list with the unread count, read marks (families and staff: any current role), Web Push
subscriptions (family persons only). Settings show and take only the fields that apply to the
person's roles (services.fields_for)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import push, selectors, services
from .models import ContactEmail, Notice, NotifySettings


def _family(request: Request) -> Any:
    person: Any = request.user
    services.ensure_family(person)
    return person


def _recipient(request: Request) -> Any:
    person: Any = request.user
    services.ensure_recipient(person)
    return person


FIELD_HELP = {
    "daily_summary": "Семье.", "summary_time": "Семье. С 14:00 до 22:30, каждые полчаса.", "any_absence_now": "Семье.",
    "unexcused_absence_now": "Семье.", "final_marks_now": "Семье.", "messages_now": "Семье.", "by_push": "Семье.",
    "staff_messages_now": "Сотруднику школы.", "abuse_reports_now": "Директору, заместителю, администратору ЭЖ.",
}


class SettingsSerializer(serializers.ModelSerializer):
    summary_time = serializers.TimeField(format="%H:%M", required=False, help_text=FIELD_HELP["summary_time"])

    class Meta:
        model = NotifySettings
        fields = services.SETTINGS_FIELDS
        extra_kwargs = {f: {"required": False, "help_text": h} for f, h in FIELD_HELP.items() if f != "summary_time"}


class SettingsOut(SettingsSerializer):
    """Only the fields of the person's roles are present (`applies`: the list of them)."""

    applies = serializers.ListField(child=serializers.CharField(), read_only=True,
                                    help_text="Поля, которые относятся к ролям человека (остальных в ответе нет).")

    class Meta(SettingsSerializer.Meta):
        fields = [*services.SETTINGS_FIELDS, "applies"]


def _settings_out(person: Any, row: NotifySettings) -> dict[str, Any]:
    applies = services.fields_for(person)
    data = SettingsSerializer(row).data
    return {**{f: data[f] for f in applies}, "applies": applies}


class SettingsPatch(SettingsSerializer):
    class Meta(SettingsSerializer.Meta):
        extra_kwargs = {f: {"required": False} for f in services.SETTINGS_FIELDS}


class NotifySettingsView(APIView):
    @extend_schema(responses=SettingsOut, summary="Мои настройки оповещений (только то, что относится к моим ролям)")
    def get(self, request: Request) -> Response:
        person = _recipient(request)
        return Response(_settings_out(person, services.settings_for(person)))

    @extend_schema(request=SettingsPatch, responses=SettingsOut,
                   summary="Изменить каналы, время сводки, что присылать (поле не своей роли — ошибка 400)")
    def patch(self, request: Request) -> Response:
        person = _recipient(request)
        data = SettingsPatch(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        row = services.update_settings(person, dict(data.validated_data))
        return Response(_settings_out(person, row))


class EmailOut(serializers.Serializer):
    email = serializers.EmailField(allow_null=True)
    confirmed = serializers.BooleanField()
    bounced = serializers.BooleanField()


class EmailIn(serializers.Serializer):
    email = serializers.EmailField(max_length=254)


def _email_row(contact: ContactEmail | None) -> dict[str, Any]:
    if contact is None:
        return {"email": None, "confirmed": False, "bounced": False}
    return {"email": contact.address, "confirmed": contact.confirmed_at is not None, "bounced": contact.bounced_at is not None}


class EmailView(APIView):
    @extend_schema(responses=EmailOut, summary="Мой адрес для оповещений")
    def get(self, request: Request) -> Response:
        return Response(_email_row(selectors.contact_of(_recipient(request))))

    @extend_schema(request=EmailIn, responses={202: EmailOut},
                   summary="Указать адрес: на него уйдёт письмо со ссылкой; до подтверждения других писем не будет")
    def post(self, request: Request) -> Response:
        person = _recipient(request)
        data = EmailIn(data=request.data)
        data.is_valid(raise_exception=True)
        contact = services.set_email(person, data.validated_data["email"])
        return Response(_email_row(contact), status=status.HTTP_202_ACCEPTED)

    @extend_schema(responses={204: None}, summary="Удалить адрес")
    def delete(self, request: Request) -> Response:
        services.remove_email(_recipient(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailConfirmIn(serializers.Serializer):
    token = serializers.CharField(max_length=500)


class EmailConfirmView(APIView):
    @extend_schema(request=EmailConfirmIn, responses=EmailOut, summary="Подтвердить адрес ключом из письма")
    def post(self, request: Request) -> Response:
        data = EmailConfirmIn(data=request.data)
        data.is_valid(raise_exception=True)
        contact = services.confirm_email(data.validated_data["token"], request.user)  # type: ignore[arg-type]
        return Response(_email_row(contact))


class NoticeSerializer(serializers.ModelSerializer):
    read = serializers.SerializerMethodField()

    class Meta:
        model = Notice
        fields = ["id", "kind", "title", "body", "payload", "created_at", "read", "read_at"]

    def get_read(self, obj: Notice) -> bool:
        return obj.read_at is not None


class NoticePage(serializers.Serializer):
    count = serializers.IntegerField()
    unread = serializers.IntegerField()
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = NoticeSerializer(many=True)


class NoticeListView(APIView):
    @extend_schema(responses=NoticePage, summary="Мои оповещения (новые сначала) и число непрочитанных",
                   parameters=[OpenApiParameter("unread", bool, description="только непрочитанные"),
                               OpenApiParameter("limit", int), OpenApiParameter("offset", int)])
    def get(self, request: Request) -> Response:
        person = _recipient(request)
        qs = selectors.notices_of(person, unread_only=request.query_params.get("unread") in ("1", "true"))
        paginator = LimitOffsetPagination()
        rows = paginator.paginate_queryset(qs, request, view=self) or []
        return Response({"count": paginator.count, "unread": selectors.unread_count(person),
                         "next": paginator.get_next_link(), "previous": paginator.get_previous_link(),
                         "results": NoticeSerializer(rows, many=True).data})


class NoticeReadView(APIView):
    @extend_schema(request=None, responses=NoticeSerializer, summary="Отметить оповещение прочитанным")
    def post(self, request: Request, notice_id: int) -> Response:
        return Response(NoticeSerializer(services.mark_read(_recipient(request), notice_id)).data)


class ReadAllOut(serializers.Serializer):
    marked = serializers.IntegerField()


class NoticeReadAllView(APIView):
    @extend_schema(request=None, responses=ReadAllOut, summary="Отметить все оповещения прочитанными")
    def post(self, request: Request) -> Response:
        return Response({"marked": services.mark_all_read(_recipient(request))})


class PushKeysIn(serializers.Serializer):
    p256dh = serializers.CharField(max_length=200)
    auth = serializers.CharField(max_length=100)


class PushSubscriptionIn(serializers.Serializer):
    endpoint = serializers.URLField(max_length=1000)
    keys = PushKeysIn()


class PushEndpointIn(serializers.Serializer):
    endpoint = serializers.URLField(max_length=1000)


class PushKeyOut(serializers.Serializer):
    enabled = serializers.BooleanField()
    public_key = serializers.CharField(allow_blank=True)


class PushSubscriptionView(APIView):
    @extend_schema(responses=PushKeyOut, summary="Включён ли push на сервере и его открытый ключ (VAPID)")
    def get(self, request: Request) -> Response:
        _family(request)
        enabled = push.configured()
        return Response({"enabled": enabled, "public_key": push.public_key() if enabled else ""})

    @extend_schema(request=PushSubscriptionIn, responses={201: None}, summary="Сохранить подписку браузера (PushManager)")
    def post(self, request: Request) -> Response:
        person = _family(request)
        data = PushSubscriptionIn(data=request.data)
        data.is_valid(raise_exception=True)
        keys = data.validated_data["keys"]
        services.add_push_subscription(person, data.validated_data["endpoint"], keys["p256dh"], keys["auth"],
                                       request.headers.get("User-Agent", ""))
        return Response(status=status.HTTP_201_CREATED)

    @extend_schema(request=PushEndpointIn, responses={204: None}, summary="Удалить подписку браузера")
    def delete(self, request: Request) -> Response:
        person = _family(request)
        data = PushEndpointIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.remove_push_subscription(person, data.validated_data["endpoint"])
        return Response(status=status.HTTP_204_NO_CONTENT)
