from __future__ import annotations

from typing import Any

from rest_framework import serializers


class AuditOut(serializers.Serializer):
    id = serializers.IntegerField()
    at = serializers.DateTimeField()
    actor = serializers.CharField(source="actor_label")
    school = serializers.CharField(source="school.slug", allow_null=True, default=None)
    action = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    object_repr = serializers.CharField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)
    reason = serializers.CharField()
    ip = serializers.CharField(allow_null=True)


class AuditFilterIn(serializers.Serializer):
    action = serializers.CharField(required=False)
    actor = serializers.CharField(required=False)
    object = serializers.CharField(required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    school = serializers.CharField(required=False)


class SlipOut(serializers.Serializer):
    person_id = serializers.IntegerField(source="person.pk")
    full_name = serializers.CharField(source="person.full_name")
    login = serializers.CharField()
    code = serializers.CharField()
    expires_at = serializers.DateTimeField()


def audit_page(view: Any, request: Any, *, school_id: int | None, all_schools: bool) -> Any:
    from audit.selectors import filtered_log

    filters = AuditFilterIn(data=request.query_params)
    filters.is_valid(raise_exception=True)
    qs = filtered_log(school_id=school_id, all_schools=all_schools, filters=filters.validated_data)
    page = view.paginate_queryset(qs)
    return view.get_paginated_response(AuditOut(page, many=True).data)
