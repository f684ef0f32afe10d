from __future__ import annotations

from django import forms
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from accounts.roles import Perm
from core.access import access_district, access_school
from core.views import page

from .selectors import filtered_log


class AuditFilter(forms.Form):
    action = forms.CharField(label="Действие", required=False)
    actor = forms.CharField(label="Кто", required=False)
    object = forms.CharField(label="Объект", required=False)
    date_from = forms.DateField(label="С", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="По", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    school = forms.CharField(label="Школа (адрес)", required=False)


def _render(request: HttpRequest, *, school_id: int | None, all_schools: bool, title: str, school: object = None) -> HttpResponse:
    form = AuditFilter(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    page_obj = Paginator(filtered_log(school_id=school_id, all_schools=all_schools, filters=filters), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "audit/log.html", {
        "form": form, "page_obj": page_obj, "title": title, "school": school, "all_schools": all_schools, "query": query.urlencode(),
    })


@page
def school_log(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, _ = access_school(request, Perm.VIEW_AUDIT)
    return _render(request, school_id=school.pk, all_schools=False, title=f"Журнал действий: {school.short_name}", school=school)


@page
def district_log(request: HttpRequest) -> HttpResponse:
    access_district(request, Perm.VIEW_DISTRICT_AUDIT)
    return _render(request, school_id=None, all_schools=True, title="Журнал действий района")
