"""The person's messages across every school where they hold a role (a parent with children in
two schools, a teacher in two schools): one page at /messages/ and /api/v1/messages/summary/.

This is the one messaging read that visits several school schemas in one request. It visits
only the person's own schools (from their memberships), one after the other, never joining two
schemas, and returns the connection to `public` whatever happens. Cost: five queries per
school (schema switch, inbox, names, unread messages, unread announcements), whatever the
number of messages."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.selectors import access_for
from core.views import page
from tenants.db import use_public, use_school

from . import selectors
from .api import MsgConversationRowOut

PER_SCHOOL = 5


@dataclass
class SchoolSummary:
    school: Any
    unread: int
    announcements: int
    rows: list[selectors.InboxRow] = field(default_factory=list)


def summary(person: Any, *, rows_per_school: int = PER_SCHOOL) -> list[SchoolSummary]:
    access = access_for(person)
    result = []
    try:
        for entry in access.school_list:
            if entry.school.status == "archived" or not entry.roles:
                continue
            use_school(entry.school)
            result.append(SchoolSummary(
                school=entry.school, unread=selectors.unread_count(person.pk),
                announcements=selectors.unread_announcements(person, access, entry.school),
                rows=selectors.inbox(person.pk, limit=rows_per_school) if rows_per_school else [],
            ))
    finally:
        use_public()
    return result


@page
def all_schools(request: HttpRequest) -> HttpResponse:
    return render(request, "messaging/all_schools.html", {"summaries": summary(request.user)})


class MsgSchoolSummaryOut(serializers.Serializer):
    school_slug = serializers.CharField(source="school.slug")
    school_name = serializers.CharField(source="school.short_name")
    unread = serializers.IntegerField(help_text="Непрочитанных сообщений")
    announcements = serializers.IntegerField(help_text="Непрочитанных объявлений")
    conversations = MsgConversationRowOut(many=True, source="rows", help_text="Последние переписки")


class SummaryView(APIView):
    @extend_schema(tags=["messages"], summary="Сообщения во всех моих школах: непрочитанные и последние переписки",
                   responses=MsgSchoolSummaryOut(many=True))
    def get(self, request: Request) -> Response:
        return Response(MsgSchoolSummaryOut(summary(request.user), many=True).data)
