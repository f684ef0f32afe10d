"""Reads about the school's years (inside the current school's schema)."""

from __future__ import annotations

from .models import AcademicYear, YearStatus


def current_year() -> AcademicYear | None:
    """The open year, or None when the school has not opened one yet."""
    return AcademicYear.objects.filter(status=YearStatus.OPEN).first()


def year_for_date(day: object) -> AcademicYear | None:
    return AcademicYear.objects.filter(starts_on__lte=day, ends_on__gte=day).first()
