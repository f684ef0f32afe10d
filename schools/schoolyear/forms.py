"""Forms of the year pages. They only parse input; every rule lives in services.py."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import DayOffKind, PeriodKind
from .selectors import GRADES
from .services import PeriodDates

GRADE_CHOICES = [(g, str(g)) for g in GRADES]
MAX_PERIODS = 4


def _date(label: str, required: bool = True, help_text: str = "") -> forms.DateField:
    return forms.DateField(label=label, required=required, help_text=help_text,
                           widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


def _grades_field(label: str, required: bool, help_text: str = "") -> forms.TypedMultipleChoiceField:
    return forms.TypedMultipleChoiceField(label=label, choices=GRADE_CHOICES, coerce=int, required=required,
                                          widget=forms.CheckboxSelectMultiple(attrs={"class": "grades"}), help_text=help_text)


class YearForm(forms.Form):
    name = forms.CharField(label="Название", max_length=20, required=False, help_text="Например, 2026/2027; пусто — по датам.")
    starts_on = _date("Начало учебного года")
    ends_on = _date("Окончание учебного года")


class SchemeForm(forms.Form):
    """A scheme of study periods for some parallels, with up to four periods' dates."""

    kind = forms.ChoiceField(label="Тип периодов", choices=PeriodKind.choices)
    grades = _grades_field("Параллели", required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(1, MAX_PERIODS + 1):
            self.fields[f"p{i}_starts_on"] = _date(f"{i}-й период: начало", required=False)
            self.fields[f"p{i}_ends_on"] = _date(f"{i}-й период: окончание", required=False)

    def period_rows(self) -> list[tuple[Any, Any]]:
        """The bound start and end fields of each period, for the page's table."""
        return [(self[f"p{i}_starts_on"], self[f"p{i}_ends_on"]) for i in range(1, MAX_PERIODS + 1)]

    def periods(self) -> list[PeriodDates]:
        """The periods the user filled in (a row with either date counts)."""
        data = self.cleaned_data
        rows = [PeriodDates(data.get(f"p{i}_starts_on"), data.get(f"p{i}_ends_on")) for i in range(1, MAX_PERIODS + 1)]
        return [p for p in rows if p.starts_on or p.ends_on]


class DayOffForm(forms.Form):
    kind = forms.ChoiceField(label="Вид", choices=DayOffKind.choices)
    name = forms.CharField(label="Название", max_length=100, required=False, help_text="Например, «Осенние каникулы».")
    starts_on = _date("С")
    ends_on = _date("По")
    grades = _grades_field("Только для параллелей", required=False, help_text="Не отмечено — для всей школы.")


class MovedDayForm(forms.Form):
    works_on = _date("Учебный день (суббота, праздник…)")
    replaces = _date("Занятия какого дня в него переносятся")
    reason = forms.CharField(label="Основание", max_length=200, required=False, help_text="Например, приказ директора.")
    grades = _grades_field("Только для параллелей", required=False, help_text="Не отмечено — для всей школы.")


class WeekForm(forms.Form):
    """Days in the school week, one field per parallel."""

    def __init__(self, *args: Any, week: dict[int, int] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for g in GRADES:
            self.fields[f"grade_{g}"] = forms.TypedChoiceField(
                label=f"{g} кл.", choices=[(5, "5 дней"), (6, "6 дней")], coerce=int,
                initial=(week or {}).get(g, 5))

    def weeks(self) -> dict[int, int]:
        return {g: self.cleaned_data[f"grade_{g}"] for g in GRADES}


class CloseForm(forms.Form):
    year = forms.IntegerField(widget=forms.HiddenInput)  # the year previewed: a second submit finds it closed
    order_number = forms.CharField(label="Номер приказа директора о переводе", max_length=40)
    order_date = _date("Дата приказа")
    new_name = forms.CharField(label="Название нового года", max_length=20, required=False)
    new_starts_on = _date("Начало нового года")
    new_ends_on = _date("Окончание нового года")
    graduation_order_number = forms.CharField(label="Отдельный приказ о выпуске: номер", max_length=40, required=False,
                                              help_text="Если выпуск оформлен отдельным приказом.")
    graduation_order_date = _date("Отдельный приказ о выпуске: дата", required=False)
    repeat_order_number = forms.CharField(label="Отдельный приказ о повторном обучении: номер", max_length=40, required=False)
    repeat_order_date = _date("Отдельный приказ о повторном обучении: дата", required=False)
    leaving_order_number = forms.CharField(label="Приказ о выбытии по окончании года: номер", max_length=40, required=False,
                                           help_text="Для отмеченных выбывающих (например, после 9 класса).")
    leaving_order_date = _date("Приказ о выбытии по окончании года: дата", required=False)
