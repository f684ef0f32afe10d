from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services as account_services
from accounts.models import Person
from accounts.roles import Perm
from core.access import access_school
from core.errors import PermissionDenied, ValidationFailed
from core.serializers import SlipOut

from . import selectors
from .views import _access_class


class ClassOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    grade = serializers.IntegerField()
    letter = serializers.CharField()
    class_teacher = serializers.CharField(source="class_teacher.full_name", allow_null=True, default=None)


class ClassListView(APIView):
    @extend_schema(responses=ClassOut(many=True), summary="Классы школы (классному руководителю — свои)")
    def get(self, request: Request, school_slug: str) -> Response:
        school, access = access_school(request)
        rows = list(selectors.classes())
        if not (access.can(Perm.VIEW_PEOPLE, school) or access.can(Perm.ISSUE_ACCOUNTS, school)):
            own = access.schools[school.pk].class_teacher_of if school.pk in access.schools else set()
            if not own:
                raise PermissionDenied()
            rows = [c for c in rows if c.pk in own]
        return Response(ClassOut(rows, many=True).data)


class SlipsIn(serializers.Serializer):
    person_ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=200)


class IssueSlipsView(APIView):
    @extend_schema(request=SlipsIn, responses={201: SlipOut(many=True)}, summary="Выдать бланки доступа семьям класса")
    def post(self, request: Request, school_slug: str, class_id: int) -> Response:
        school, access, school_class = _access_class(request, class_id)
        if not (access.can(Perm.ISSUE_ACCOUNTS, school) or access.is_class_teacher_of(school, class_id)):
            raise PermissionDenied()
        data = SlipsIn(data=request.data)
        data.is_valid(raise_exception=True)
        wanted = set(data.validated_data["person_ids"])
        outside = wanted - selectors.family_person_ids_of_classes([school_class.pk])
        if outside:
            raise ValidationFailed("Эти люди не из этого класса.", fields={"person_ids": [str(i) for i in sorted(outside)]})
        actor: Any = request.user
        with transaction.atomic():
            slips = [account_services.issue_slip(actor, p, school=school) for p in Person.objects.filter(pk__in=wanted).order_by("surname", "name")]
        return Response(SlipOut(slips, many=True).data, status=status.HTTP_201_CREATED)
