"""API: who am I, tokens, sessions, activation."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django_otp import match_token
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import PermissionDenied, ValidationFailed

from . import services
from .models import ApiToken, PersonSession
from .selectors import access_for


class MySchoolOut(serializers.Serializer):
    school = serializers.CharField(allow_null=True)
    school_name = serializers.CharField(allow_null=True)
    roles = serializers.ListField(child=serializers.CharField())


class MeOut(serializers.Serializer):
    id = serializers.IntegerField()
    login = serializers.CharField()
    surname = serializers.CharField()
    name = serializers.CharField()
    patronymic = serializers.CharField()
    district_roles = serializers.ListField(child=serializers.CharField())
    schools = MySchoolOut(many=True)
    two_factor_required = serializers.BooleanField()


class MeView(APIView):
    @extend_schema(responses=MeOut, summary="Кто я и где у меня роли")
    def get(self, request: Request) -> Response:
        person: Any = request.user
        access = access_for(person)
        return Response({
            "id": person.pk, "login": person.login, "surname": person.surname, "name": person.name,
            "patronymic": person.patronymic, "district_roles": sorted(access.district_roles),
            "schools": [{"school": e.school.slug, "school_name": e.school.short_name, "roles": sorted(e.roles)} for e in access.school_list],
            "two_factor_required": access.needs_two_factor,
        })


class TokenIn(serializers.Serializer):
    login = serializers.CharField(max_length=64)
    password = serializers.CharField(max_length=128)
    otp = serializers.CharField(max_length=16, required=False, allow_blank=True)
    name = serializers.CharField(max_length=100, required=False, default="API")


class TokenOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    token = serializers.CharField(required=False)
    prefix = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_used_at = serializers.DateTimeField(allow_null=True)


def _token_row(token: ApiToken, key: str | None = None) -> dict[str, Any]:
    row = {"id": token.pk, "name": token.name, "prefix": token.key_prefix, "created_at": token.created_at, "last_used_at": token.last_used_at}
    if key:
        row["token"] = key
    return row


class ObtainTokenView(APIView):
    """Sign in through the API: login, password and, for admin roles, a 2FA code."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=TokenIn, responses={201: TokenOut}, summary="Получить токен API")
    def post(self, request: Request) -> Response:
        data = TokenIn(data=request.data)
        data.is_valid(raise_exception=True)
        person: Any = authenticate(request._request, username=data.validated_data["login"], password=data.validated_data["password"])
        if getattr(request._request, "axes_locked_out", False):
            from .views import lockout_response

            return lockout_response(request._request)  # type: ignore[return-value]
        if person is None:
            raise ValidationFailed("Неверный логин или пароль.", code="bad_credentials")
        verified = False
        if access_for(person).needs_two_factor:
            code = (data.validated_data.get("otp") or "").strip()
            if not code:
                raise PermissionDenied("Для вашей роли нужен код подтверждения (поле otp).", code="otp_required")
            if match_token(person, code) is None:
                raise PermissionDenied("Код подтверждения не подошёл.", code="bad_otp")
            verified = True
        token, key = services.create_api_token(person, data.validated_data["name"], otp_verified=verified)
        return Response(_token_row(token, key), status=status.HTTP_201_CREATED)


class TokenListView(APIView):
    @extend_schema(responses=TokenOut(many=True), summary="Мои токены")
    def get(self, request: Request) -> Response:
        tokens = ApiToken.objects.filter(person_id=int(request.user.pk or 0), revoked_at__isnull=True).order_by("-created_at")
        return Response([_token_row(t) for t in tokens])


class TokenDetailView(APIView):
    @extend_schema(responses={204: None}, summary="Отозвать токен")
    def delete(self, request: Request, token_id: int) -> Response:
        services.revoke_api_token(request.user, token_id)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class SessionOut(serializers.Serializer):
    key = serializers.CharField()
    ip = serializers.CharField(allow_null=True)
    user_agent = serializers.CharField()
    created_at = serializers.DateTimeField()
    last_activity = serializers.DateTimeField()
    current = serializers.BooleanField()


class SessionListView(APIView):
    @extend_schema(responses=SessionOut(many=True), summary="Мои сеансы")
    def get(self, request: Request) -> Response:
        current = request.session.session_key if hasattr(request, "session") else None
        rows = PersonSession.objects.filter(person_id=int(request.user.pk or 0)).order_by("-last_activity")
        return Response([
            {"key": s.session_key, "ip": s.ip, "user_agent": s.user_agent, "created_at": s.created_at,
             "last_activity": s.last_activity, "current": s.session_key == current}
            for s in rows
        ])


class SessionDetailView(APIView):
    @extend_schema(responses={204: None}, summary="Завершить сеанс")
    def delete(self, request: Request, key: str) -> Response:
        services.end_session(request.user, key)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class ActivateIn(serializers.Serializer):
    login = serializers.CharField(max_length=64)
    code = serializers.CharField(max_length=20)
    password = serializers.CharField(max_length=128)


class ActivateView(APIView):
    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=ActivateIn, responses={204: None}, summary="Активировать учётную запись кодом с бланка")
    def post(self, request: Request) -> Response:
        data = ActivateIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.activate_account(data.validated_data["login"], data.validated_data["code"], data.validated_data["password"])
        return Response(status=status.HTTP_204_NO_CONTENT)
