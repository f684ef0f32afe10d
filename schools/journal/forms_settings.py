"""Forms of the work types section of the journal settings page (R-J03) and of an extracurricular
group's members (R-J15). Shape only: the rules are in settings_service.py and activities.py."""

from __future__ import annotations

from decimal import Decimal

from django import forms

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class WorkTypeForm(forms.Form):
    name = forms.CharField(label="Вид работы", max_length=80)
    short_name = forms.CharField(label="Кратко", max_length=12, required=False)
    # The service checks the range and the one decimal (0.1–10), with a Russian message.
    weight = forms.DecimalField(label="Вес", max_digits=4, decimal_places=2, initial=Decimal("1.0"), localize=True,
                                widget=forms.TextInput(attrs={"inputmode": "decimal", "size": "4"}))  # «1,5» as typed in Russian
    requires_all_marks = forms.BooleanField(label="Контрольная: оценивается весь класс", required=False)
    is_active = forms.BooleanField(label="Действует", required=False, initial=True)
    order = forms.IntegerField(label="Порядок", min_value=0, max_value=999, required=False)
    reason = forms.CharField(label="Основание (приказ, решение педсовета)", max_length=500, required=False)
    # R-J03: the version the row was shown at; a type changed since is refused instead of overwritten
    version = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Основание", max_length=500, required=False)


class MemberAddForm(forms.Form):
    student = forms.TypedChoiceField(label="Обучающийся", coerce=int)
    on = forms.DateField(label="В группе с", widget=DATE)
    reason = forms.CharField(label="Основание (заявление родителя)", max_length=500, required=False)

    def __init__(self, *args: object, students: list[tuple[str, list[tuple[int, str]]]] | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["student"].choices = [("", "— выберите —"), *(students or [])]  # type: ignore[attr-defined]


class MemberLeaveForm(forms.Form):
    on = forms.DateField(label="Не в группе с", widget=DATE)
    reason = forms.CharField(label="Основание", max_length=500, required=False)
