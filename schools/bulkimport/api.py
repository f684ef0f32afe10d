"""API: /api/v1/schools/<slug>/import/… — the same services as the pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import selectors, services
from .kinds import KINDS
from .models import ApplyMode
from .views import access_import, access_job, refuse_oversized, xlsx_response


class JobOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    file_name = serializers.CharField()
    file_size = serializers.IntegerField()
    message = serializers.CharField(help_text="Почему файл не принят или загрузка не выполнена")
    warnings = serializers.ListField(child=serializers.CharField())
    counts = serializers.JSONField(help_text="После проверки: new, update, unchanged, error; после загрузки ещё result")
    mode = serializers.CharField()
    total_rows = serializers.IntegerField()
    progress_done = serializers.IntegerField()
    progress_total = serializers.IntegerField()
    created_by = serializers.CharField(source="created_by.short_name")
    created_at = serializers.DateTimeField()
    checked_at = serializers.DateTimeField(allow_null=True)
    applied_at = serializers.DateTimeField(allow_null=True)


class RowError(serializers.Serializer):
    column = serializers.CharField()
    value = serializers.CharField()
    message = serializers.CharField()


class RowOut(serializers.Serializer):
    # DRF's metaclass takes declared fields off the class, so `label` and `errors` hide nothing.
    row = serializers.IntegerField(help_text="Номер строки в файле")
    label = serializers.CharField()  # type: ignore[assignment]
    status = serializers.ChoiceField(choices=["new", "update", "unchanged", "error"])
    errors = RowError(many=True, required=False)  # type: ignore[assignment]
    notes = serializers.ListField(child=serializers.CharField(), required=False)
    result = serializers.ChoiceField(choices=["created", "updated", "unchanged", "skipped"], required=False)
    why = serializers.CharField(required=False)


class JobDetailOut(JobOut):
    rows = RowOut(many=True)


class UploadIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=[(k.code, k.title) for k in KINDS.values()])
    file = serializers.FileField(required=False, help_text=".xlsx или .csv (UTF-8 или Windows-1251, «;» или «,»)")


class ConfirmIn(serializers.Serializer):
    mode = serializers.ChoiceField(choices=ApplyMode.choices, help_text="all — весь файл (только если ошибок нет); valid — только строки без ошибок")


class JobListView(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(responses=JobOut(many=True), summary="Последние загрузки списков")
    def get(self, request: Request, school_slug: str) -> Response:
        school = access_import(request)
        kinds = services.kinds_for(request.user, school)  # type: ignore[arg-type]
        return Response(JobOut(selectors.recent_jobs(kinds=[k.code for k in kinds]), many=True).data)

    @extend_schema(request={"multipart/form-data": UploadIn}, responses={201: JobDetailOut},
                   summary="Загрузить файл: проверка всех строк без записи (предпросмотр)")
    def post(self, request: Request, school_slug: str) -> Response:
        school = access_import(request)
        refuse_oversized(request)
        data = UploadIn(data=request.data)
        data.is_valid(raise_exception=True)
        actor: Any = request.user
        job = services.start_import(actor, school, data.validated_data["kind"], data.validated_data.get("file"))
        return Response(JobDetailOut(job).data, status=status.HTTP_201_CREATED)


class JobDetailView(APIView):
    @extend_schema(responses=JobDetailOut, summary="Состояние загрузки, ход выполнения и результат по каждой строке")
    def get(self, request: Request, school_slug: str, job_id: int) -> Response:
        _, job = access_job(request, job_id)
        return Response(JobDetailOut(job).data)


class JobConfirmView(APIView):
    @extend_schema(request=ConfirmIn, responses=JobDetailOut,
                   summary="Загрузить: весь файл или только строки без ошибок")
    def post(self, request: Request, school_slug: str, job_id: int) -> Response:
        school, job = access_job(request, job_id)
        data = ConfirmIn(data=request.data)
        data.is_valid(raise_exception=True)
        actor: Any = request.user
        job = services.confirm_import(actor, school, job.pk, data.validated_data["mode"])
        return Response(JobDetailOut(job).data)


_XLSX = {(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): OpenApiTypes.BINARY}


class TemplateView(APIView):
    @extend_schema(responses=_XLSX, summary="Шаблон XLSX для загрузки списка (столбцы, образец, пояснения)")
    def get(self, request: Request, school_slug: str, kind: str) -> HttpResponse:
        school = access_import(request)
        actor: Any = request.user
        return xlsx_response(*services.template_file(actor, school, kind))


class ExportView(APIView):
    @extend_schema(
        responses=_XLSX, summary="Выгрузить список в XLSX (столбцы шаблона)",
        parameters=[OpenApiParameter("class", int, description="Только этот класс (для списков обучающихся)")],
    )
    def get(self, request: Request, school_slug: str, kind: str) -> HttpResponse:
        school = access_import(request)
        raw = request.query_params.get("class") or ""
        actor: Any = request.user
        return xlsx_response(*services.export_file(actor, school, kind, class_id=int(raw) if raw.isdigit() else None))
