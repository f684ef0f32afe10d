"""The one check every write about a year's data calls: a closed year stays readable
and unchangeable (R-Y05; 000 §2.13, 002 §5.2.1, 004 §III)."""

from __future__ import annotations

from core.errors import DomainError

from .models import AcademicYear, YearStatus


class YearClosed(DomainError):
    status = 409
    code = "year_closed"


def ensure_year_open(year: AcademicYear | int | None) -> None:
    if year is None:
        return
    status = year.status if isinstance(year, AcademicYear) else (
        AcademicYear.objects.filter(pk=year).values_list("status", flat=True).first()
    )
    if status == YearStatus.CLOSED:
        raise YearClosed("Учебный год закрыт: его данные можно только просматривать.")
