"""API for the district administrator: /api/v1/district/…"""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Perm
from core.access import access_district
from core.serializers import AuditOut, SlipOut, audit_page
from tenants import services as school_services
from tenants.models import School, SchoolStatus

from .views import _appoint, _school


class SchoolOut(serializers.ModelSerializer):
    class Meta:
        model = School
        fields = ["slug", "full_name", "short_name", "municipal_code", "address", "director_name", "status", "created_at"]


class SchoolIn(serializers.Serializer):
    slug = serializers.CharField(max_length=40)
    full_name = serializers.CharField(max_length=300)
    short_name = serializers.CharField(max_length=120)
    municipal_code = serializers.CharField(max_length=20)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    director_name = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class RenameIn(serializers.Serializer):
    full_name = serializers.CharField(max_length=300)
    short_name = serializers.CharField(max_length=120)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    director_name = serializers.CharField(max_length=200, required=False, allow_blank=True)


class StatusIn(serializers.Serializer):
    status = serializers.ChoiceField(choices=SchoolStatus.choices)
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class AdminIn(serializers.Serializer):
    surname = serializers.CharField(max_length=100)
    name = serializers.CharField(max_length=100)
    patronymic = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=[("school_admin", "Администратор ЭЖ школы"), ("director", "Директор")])


class SchoolListView(generics.GenericAPIView):
    serializer_class = SchoolOut

    @extend_schema(responses=SchoolOut(many=True), summary="Школы района")
    def get(self, request: Request) -> Response:
        access_district(request, Perm.MANAGE_SCHOOLS)
        qs = School.objects.real().order_by("short_name")
        if request.query_params.get("status"):
            qs = qs.filter(status=request.query_params["status"])
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(SchoolOut(page, many=True).data)

    @extend_schema(request=SchoolIn, responses={201: SchoolOut}, summary="Создать школу")
    def post(self, request: Request) -> Response:
        access_district(request, Perm.MANAGE_SCHOOLS)
        data = SchoolIn(data=request.data)
        data.is_valid(raise_exception=True)
        school = school_services.create_school(request.user, school_services.SchoolData(**data.validated_data))  # type: ignore[arg-type]
        return Response(SchoolOut(school).data, status=status.HTTP_201_CREATED)


class SchoolDetailView(APIView):
    @extend_schema(responses=SchoolOut, summary="Школа")
    def get(self, request: Request, slug: str) -> Response:
        access_district(request, Perm.MANAGE_SCHOOLS)
        return Response(SchoolOut(_school(slug)).data)

    @extend_schema(request=RenameIn, responses=SchoolOut, summary="Переименовать школу")
    def patch(self, request: Request, slug: str) -> Response:
        access_district(request, Perm.MANAGE_SCHOOLS)
        school = _school(slug)
        payload = request.data if isinstance(request.data, dict) else {}
        data = RenameIn(data={"full_name": school.full_name, "short_name": school.short_name, **payload})
        data.is_valid(raise_exception=True)
        school = school_services.rename_school(request.user, school, **data.validated_data)  # type: ignore[arg-type]
        return Response(SchoolOut(school).data)


class SchoolStatusView(APIView):
    @extend_schema(request=StatusIn, responses=SchoolOut, summary="Приостановить, архивировать или вернуть школу")
    def post(self, request: Request, slug: str) -> Response:
        access_district(request, Perm.MANAGE_SCHOOLS)
        data = StatusIn(data=request.data)
        data.is_valid(raise_exception=True)
        school = school_services.set_school_status(request.user, _school(slug), data.validated_data["status"], reason=data.validated_data["reason"])  # type: ignore[arg-type]
        return Response(SchoolOut(school).data)


class SchoolAdminView(APIView):
    @extend_schema(request=AdminIn, responses={201: SlipOut}, summary="Назначить администратора школы и выдать бланк доступа")
    def post(self, request: Request, slug: str) -> Response:
        access_district(request, Perm.MANAGE_SCHOOLS)
        data = AdminIn(data=request.data)
        data.is_valid(raise_exception=True)
        slip = _appoint(request.user, _school(slug), data.validated_data)
        return Response(SlipOut(slip).data, status=status.HTTP_201_CREATED)


class DistrictAuditView(generics.GenericAPIView):
    serializer_class = AuditOut

    @extend_schema(responses=AuditOut(many=True), summary="Журнал действий района")
    def get(self, request: Request) -> Any:
        access_district(request, Perm.VIEW_DISTRICT_AUDIT)
        return audit_page(self, request, school_id=None, all_schools=True)
