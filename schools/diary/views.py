"""Pages of the diary (R-D01): the family's entry page (/diary/), a child's week and marks
(/s/<slug>/diary/<child>/…). Phone-first; printable (the print style hides the navigation).
Thin: access.access_child authorises, selectors build the page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from core.errors import NotFound
from core.views import page
from journal import rules

from . import selectors
from .access import access_child
from .family import FamilyChild, Here, cached_children


def parse_date(value: Any) -> dt.date | None:
    try:
        return dt.date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def child_url(child: FamilyChild, view: str = "diary-week") -> str:
    return reverse(f"school:{view}", args=[child.school_slug, child.child_id])


@page
def family_home(request: HttpRequest) -> HttpResponse:
    """Every child the person may read, in every school; one child opens straight away."""
    children = cached_children(request, refresh=True)
    if len(children) == 1 and not request.GET.get("all"):
        return redirect(child_url(children[0]))
    return render(request, "diary/home.html", {"children": [(c, child_url(c)) for c in children]})


def _switch(request: HttpRequest, school_slug: str, child: selectors.Child, view: str) -> list[dict[str, Any]]:
    """The one-tap child switch: the same page for each of the family's children (the list kept in
    the session, read again when the page's family stamp says it is out of date)."""
    child_id = child.student.pk
    here = Here(school_slug, child.family_stamp)
    return [{"child": c, "url": child_url(c, view), "current": c.school_slug == school_slug and c.child_id == child_id}
            for c in cached_children(request, here=here)]


@page
def week(request: HttpRequest, school_slug: str, child_id: int) -> HttpResponse:
    """The child's week: lessons by day with topics, homework, marks with their works, absences
    and lateness; `?week=YYYY-MM-DD` any day of another week (the coming week: its timetable)."""
    today = rules.today()
    day = parse_date(request.GET.get("week")) or today
    school, _access, child = access_child(request, child_id, day, selectors.CALENDAR)
    diary = selectors.diary_week(child, day, today)
    return render(request, "diary/week.html", {
        "school": school, "child": child, "week": diary, "switch": _switch(request, school_slug, child, "diary-week"),
        "coming": diary.monday + dt.timedelta(days=7) if diary.is_current else None, "tab": "week",
    })


@page
def marks(request: HttpRequest, school_slug: str, child_id: int) -> HttpResponse:
    """Marks by subject for a study period (`?period=<id>`, the current one by default; `?period=year`
    the whole year), averages, the forecast, and period, year, exam and final marks; `?year=<id>` a
    past academic year of the child in this school (R-D01: the past periods too). An unknown period
    or year is 404, never another period under the wrong label."""
    today = rules.today()
    try:
        year_id = selectors.year_choice(request.GET.get("year", ""))
    except ValueError:
        raise NotFound("Такого учебного года нет.") from None
    school, _access, child = access_child(request, child_id, today, selectors.MARKS, year_id=year_id)
    choice = selectors.period_choice(child, request.GET.get("period", ""))
    if choice is None:
        raise NotFound("Такого учебного периода в этом учебном году нет.")
    period_id, whole_year = choice
    data = selectors.diary_marks(child, period_id, today, whole_year=whole_year)
    return render(request, "diary/marks.html", {
        "school": school, "child": child, "data": data, "switch": _switch(request, school_slug, child, "diary-marks"),
        "tab": "marks", "whole_year": whole_year, "year_query": f"year={child.year.pk}&" if year_id is not None else "",
    })
