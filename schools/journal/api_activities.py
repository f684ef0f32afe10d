"""API of an extracurricular group's members (R-J15), dated with their history, under
/api/v1/schools/<slug>/journal/activities/<group_id>/members/.

Thin: authorises first with views_control.access_group (the leader, the deputy and readers of
every journal may look), then activities.add_member / remove_member check who may change the
membership (the leader or the deputy who forms groups) and write the audit record."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from . import activities, rules
from .views_control import access_group
from .views_settings import MemberRow, memberships


class JaMemberOut(serializers.Serializer):
    student = serializers.IntegerField(source="member.student_id")
    full_name = serializers.CharField(source="student.full_name")
    since = serializers.DateField(source="member.since", allow_null=True, help_text="null — с начала работы группы")
    until = serializers.DateField(source="member.until", allow_null=True, help_text="Последний день в группе; null — в группе")
    current = serializers.BooleanField(help_text="В группе сегодня")


class JaMemberAddIn(serializers.Serializer):
    student = serializers.IntegerField(help_text="Обучающийся школы в учебном году группы")
    on = serializers.DateField(help_text="Первый день в группе")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class JaMemberLeaveIn(serializers.Serializer):
    on = serializers.DateField(help_text="С этого дня не в группе (последний день — накануне)")
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


def _row(group_id: int, student_id: int) -> dict[str, object]:
    from .models import ActivityGroup

    group = ActivityGroup.objects.get(pk=group_id)
    rows: list[MemberRow] = [r for r in memberships(group, rules.today()) if r.student.pk == student_id]
    rows.sort(key=lambda r: (r.member.until is not None, r.member.pk))
    return dict(JaMemberOut(rows[0]).data) if rows else {}


class ActivityMembersView(APIView):
    @extend_schema(summary="Участники группы внеурочной деятельности: с какого и по какое число (история сохраняется)",
                   responses=JaMemberOut(many=True))
    def get(self, request: Request, school_slug: str, group_id: int) -> Response:
        _, _, group = access_group(request, group_id, lead=False)
        return Response(JaMemberOut(memberships(group, rules.today()), many=True).data)

    @extend_schema(summary="Добавить участника с даты (руководитель группы или заместитель директора)", request=JaMemberAddIn,
                   responses={201: JaMemberOut})
    def post(self, request: Request, school_slug: str, group_id: int) -> Response:
        school, _, group = access_group(request, group_id, lead=False)
        data = JaMemberAddIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        activities.add_member(request.user, school, group, student_id=v["student"], on=v["on"], reason=v["reason"])  # type: ignore[arg-type]
        return Response(_row(group.pk, v["student"]), status=status.HTTP_201_CREATED)


class ActivityMemberLeaveView(APIView):
    @extend_schema(summary="Участник выходит из группы с даты; прежние занятия и пропуски остаются за ним",
                   request=JaMemberLeaveIn, responses=JaMemberOut)
    def post(self, request: Request, school_slug: str, group_id: int, student_id: int) -> Response:
        school, _, group = access_group(request, group_id, lead=False)
        data = JaMemberLeaveIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        closed = activities.remove_member(request.user, school, group, student_id=student_id, on=v["on"],  # type: ignore[arg-type]
                                          reason=v["reason"])
        if closed is None:  # added by mistake on that very day: removed outright (audited)
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(_row(group.pk, student_id))
