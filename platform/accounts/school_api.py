"""API inside a school: /api/v1/schools/<slug>/… — roles, overdue accounts, audit, school info."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.access import access_school
from core.errors import NotFound, ValidationFailed
from core.serializers import AuditOut, SlipOut, audit_page

from . import selectors, services
from .models import Membership, Person
from .roles import Perm, Role


class SchoolInfoOut(serializers.Serializer):
    slug = serializers.CharField()
    full_name = serializers.CharField()
    short_name = serializers.CharField()
    status = serializers.CharField()
    my_roles = serializers.ListField(child=serializers.CharField())


class SchoolInfoView(APIView):
    @extend_schema(responses=SchoolInfoOut, summary="Школа и мои роли в ней")
    def get(self, request: Request, school_slug: str) -> Response:
        school, access = access_school(request)
        return Response({"slug": school.slug, "full_name": school.full_name, "short_name": school.short_name,
                         "status": school.status, "my_roles": sorted(access.roles_in(school))})


class MembershipOut(serializers.Serializer):
    id = serializers.IntegerField()
    person_id = serializers.IntegerField()
    full_name = serializers.CharField(source="person.full_name")
    login = serializers.CharField(source="person.login")
    role = serializers.CharField()
    class_id = serializers.IntegerField(allow_null=True)
    since = serializers.DateField()
    until = serializers.DateField(allow_null=True)


class GrantIn(serializers.Serializer):
    login = serializers.CharField(max_length=64, required=False, help_text="Логин существующей учётной записи")
    surname = serializers.CharField(max_length=100, required=False)
    name = serializers.CharField(max_length=100, required=False)
    patronymic = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=Role.choices)
    class_id = serializers.IntegerField(required=False, allow_null=True)
    since = serializers.DateField(required=False, allow_null=True)
    until = serializers.DateField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs.get("login") and not (attrs.get("surname") and attrs.get("name")):
            raise serializers.ValidationError("Укажите login существующей учётной записи или surname и name нового человека.")
        return attrs


class GrantOut(serializers.Serializer):
    membership = MembershipOut()
    slip = SlipOut(allow_null=True)


class MembershipListView(generics.GenericAPIView):
    serializer_class = MembershipOut

    @extend_schema(responses=MembershipOut(many=True), summary="Люди школы и их роли")
    def get(self, request: Request, school_slug: str) -> Any:
        school, _ = access_school(request, Perm.VIEW_PEOPLE)
        qs = selectors.people_of_school(school)
        if request.query_params.get("role"):
            qs = qs.filter(role=request.query_params["role"])
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(MembershipOut(page, many=True).data)

    @extend_schema(request=GrantIn, responses={201: GrantOut}, summary="Назначить роль (новому или существующему человеку)")
    def post(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request)
        data = GrantIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        actor: Any = request.user
        with transaction.atomic():
            slip = None
            if v.get("login"):
                person = Person.objects.filter(login=Person.normalize_login(v["login"])).first()
                if person is None:
                    raise NotFound("Учётная запись с таким логином не найдена.")
                membership = services.grant_role(actor, person, v["role"], school=school, class_id=v.get("class_id"), since=v.get("since"), until=v.get("until"))
            else:
                # Check the grant first, so that no account is created for a refused role.
                ok, why = services.can_grant(actor, v["role"], school, v.get("class_id"))
                if not ok:
                    from core.errors import PermissionDenied

                    raise PermissionDenied(why)
                person = services.create_person(actor, services.PersonData(
                    surname=v["surname"], name=v["name"], patronymic=v["patronymic"], email=v["email"]), school=school)
                membership = services.grant_role(actor, person, v["role"], school=school, class_id=v.get("class_id"), since=v.get("since"), until=v.get("until"))
                slip = services.issue_slip(actor, person, school=school)
        return Response({"membership": MembershipOut(membership).data, "slip": SlipOut(slip).data if slip else None}, status=status.HTTP_201_CREATED)


class RevokeIn(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class MembershipDetailView(APIView):
    @extend_schema(request=RevokeIn, responses=MembershipOut, summary="Снять роль")
    def delete(self, request: Request, school_slug: str, membership_id: int) -> Response:
        school, _ = access_school(request)
        membership = Membership.objects.filter(pk=membership_id, school=school).select_related("person").first()
        if membership is None:
            raise NotFound("Роль не найдена.")
        data = RevokeIn(data=request.data if isinstance(request.data, dict) else {})
        data.is_valid(raise_exception=True)
        revoked = services.revoke_role(request.user, membership, reason=data.validated_data["reason"])  # type: ignore[arg-type]
        return Response(MembershipOut(revoked).data)


class OverdueOut(MembershipOut):
    handover_due = serializers.DateField()


class OverdueView(APIView):
    @extend_schema(responses=OverdueOut(many=True), summary="Учётные записи, не выданные в срок (3 рабочих дня)")
    def get(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.VIEW_PEOPLE)
        return Response(OverdueOut(selectors.overdue_accounts(school), many=True).data)


class SchoolAuditView(generics.GenericAPIView):
    serializer_class = AuditOut

    @extend_schema(responses=AuditOut(many=True), summary="Журнал действий школы")
    def get(self, request: Request, school_slug: str) -> Any:
        school, _ = access_school(request, Perm.VIEW_AUDIT)
        return audit_page(self, request, school_id=school.pk, all_schools=False)


__all__ = ["ValidationFailed"]
