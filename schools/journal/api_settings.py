"""API of the school's work types and their weights (R-J03: «work types carry weights that the
school sets»; seed migration 0002 gives the usual ones) under
/api/v1/schools/<slug>/journal/settings/work-types/.

Thin: each endpoint authorises first (Perm.MANAGE_SETTINGS, as the journal settings: the school's
e-journal administrator and the director), shapes its input with a serializer and calls
settings_service, which checks the right and the rules again and writes the audit record (before
and after). A weight is 0.1–10 with one decimal; a type in use is switched off, never deleted."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Perm
from core.access import access_school
from core.errors import NotFound

from . import settings_service
from .models import WorkType


class JsWorkTypeOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    short_name = serializers.CharField()
    weight = serializers.DecimalField(max_digits=3, decimal_places=1, help_text="Вес в средневзвешенном балле, 0,1–10")
    requires_all_marks = serializers.BooleanField(help_text="Контрольная работа: нужна отметка каждому присутствовавшему")
    is_active = serializers.BooleanField(help_text="Выключенный вид не берётся для новых работ; его отметки учитываются")
    order = serializers.IntegerField()
    version = serializers.IntegerField(help_text="Версия: передайте её при изменении (PATCH/PUT), чтобы не затереть чужую правку")


class JsWorkTypeIn(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    short_name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")
    # Range and one decimal are checked by the service (Russian message, field «weight»).
    weight = serializers.DecimalField(max_digits=6, decimal_places=3, help_text="0,1–10, один знак после запятой")
    requires_all_marks = serializers.BooleanField(required=False, default=False)
    is_active = serializers.BooleanField(required=False, default=True)
    order = serializers.IntegerField(required=False, allow_null=True, default=None)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500,
                                   help_text="Основание (приказ, решение педсовета) — в журнал действий")


class JsWorkTypeChangeIn(serializers.Serializer):
    """PATCH and PUT alike: only the fields sent change, the others stay as they are (R-J03)."""

    name = serializers.CharField(max_length=200, required=False)
    short_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    weight = serializers.DecimalField(max_digits=6, decimal_places=3, required=False, help_text="0,1–10, один знак после запятой")
    requires_all_marks = serializers.BooleanField(required=False)
    is_active = serializers.BooleanField(required=False)
    order = serializers.IntegerField(required=False)
    version = serializers.IntegerField(required=False, min_value=1,
                                       help_text="Версия, которую вы прочли; если вид работы с тех пор изменён — 409 stale_version")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500,
                                   help_text="Основание (приказ, решение педсовета) — в журнал действий")


class JsWorkTypeRemoveIn(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class JsWorkTypeRemovedOut(serializers.Serializer):
    deleted = serializers.BooleanField(help_text="true — удалён (не использовался); false — выключен (есть работы этого вида)")
    work_type = JsWorkTypeOut(allow_null=True)


def _data(v: dict[str, Any]) -> settings_service.WorkTypeData:
    return settings_service.WorkTypeData(name=v["name"], short_name=v["short_name"], weight=Decimal(v["weight"]),
                                         requires_all_marks=v["requires_all_marks"], is_active=v["is_active"], order=v["order"])


def _work_type(work_type_id: int) -> WorkType:
    found = WorkType.objects.filter(pk=work_type_id).first()
    if found is None:
        raise NotFound("Вид работы не найден.")
    return found


class WorkTypeSettingsView(APIView):
    @extend_schema(summary="Виды работ школы с весами (и выключенные)", responses=JsWorkTypeOut(many=True))
    def get(self, request: Request, school_slug: str) -> Response:
        access_school(request, Perm.MANAGE_SETTINGS)
        return Response(JsWorkTypeOut(settings_service.work_types(), many=True).data)

    @extend_schema(summary="Добавить вид работы (записывается в журнал действий)", request=JsWorkTypeIn,
                   responses={201: JsWorkTypeOut})
    def post(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.MANAGE_SETTINGS)
        data = JsWorkTypeIn(data=request.data)
        data.is_valid(raise_exception=True)
        row = settings_service.add_work_type(request.user, school, _data(data.validated_data),  # type: ignore[arg-type]
                                             reason=data.validated_data["reason"])
        return Response(JsWorkTypeOut(row).data, status=status.HTTP_201_CREATED)


_CHANGE_DOC = ("Изменить вид работы: название, вес, «контрольная», включён (в журнал действий: было и стало). "
               "PATCH и PUT одинаковы: меняются только переданные поля, остальные остаются как были. "
               "Передайте `version` из прочитанного вида работы: если его с тех пор изменили — 409 stale_version.")


class WorkTypeSettingView(APIView):
    def _change(self, request: Request, work_type_id: int) -> Response:
        school, _ = access_school(request, Perm.MANAGE_SETTINGS)
        work_type = _work_type(work_type_id)
        data = JsWorkTypeChangeIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = dict(data.validated_data)
        fields = {name: v[name] for name in settings_service.WORK_TYPE_FIELDS if name in v}
        if "weight" in fields:
            fields["weight"] = Decimal(fields["weight"])
        row = settings_service.update_work_type(request.user, school, work_type, fields=fields,  # type: ignore[arg-type]
                                                expected_version=v.get("version"), reason=v["reason"])
        return Response(JsWorkTypeOut(row).data)

    @extend_schema(summary="Изменить вид работы (частично)", description=_CHANGE_DOC, request=JsWorkTypeChangeIn,
                   responses=JsWorkTypeOut)
    def patch(self, request: Request, school_slug: str, work_type_id: int) -> Response:
        return self._change(request, work_type_id)

    @extend_schema(summary="Изменить вид работы (как PATCH: только переданные поля)", description=_CHANGE_DOC,
                   request=JsWorkTypeChangeIn, responses=JsWorkTypeOut)
    def put(self, request: Request, school_slug: str, work_type_id: int) -> Response:
        return self._change(request, work_type_id)

    @extend_schema(summary="Удалить неиспользованный вид работы или выключить использованный", request=JsWorkTypeRemoveIn,
                   responses=JsWorkTypeRemovedOut)
    def delete(self, request: Request, school_slug: str, work_type_id: int) -> Response:
        school, _ = access_school(request, Perm.MANAGE_SETTINGS)
        work_type = _work_type(work_type_id)
        data = JsWorkTypeRemoveIn(data=request.data)
        data.is_valid(raise_exception=True)
        deleted = settings_service.remove_work_type(request.user, school, work_type,  # type: ignore[arg-type]
                                                    reason=data.validated_data["reason"])
        kept = None if deleted else JsWorkTypeOut(WorkType.objects.get(pk=work_type_id)).data
        return Response({"deleted": deleted, "work_type": kept})
