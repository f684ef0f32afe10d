"""Forms of the journal's pages. They only shape input; every rule lives in services.py."""

from __future__ import annotations

from typing import Any

from django import forms

from .models import AbsenceReason, KtpTopic, WorkType

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class LessonForm(forms.Form):
    """The lesson record (R-J01): topic (suggested from the КТП), what was done, homework for all."""

    ktp_topic = forms.TypedChoiceField(label="Тема по КТП", required=False, coerce=int, empty_value=None)
    topic = forms.CharField(label="Тема урока", max_length=500, required=False,
                            widget=forms.TextInput(attrs={"data-testid": "lesson-topic"}))
    done = forms.CharField(label="Что сделано на уроке", max_length=5000, required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))
    homework = forms.CharField(label="Домашнее задание для всех", max_length=5000, required=False,
                               widget=forms.Textarea(attrs={"rows": 2, "data-testid": "lesson-homework"}))
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, topics: list[KtpTopic], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["ktp_topic"]
        field.choices = [(0, "— без темы из плана —"), *((t.pk, f"{t.number}. {t.title}") for t in topics)]
        if not topics:
            field.widget = forms.HiddenInput()
        self.titles = {t.pk: t.title for t in topics}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        # A topic chosen from the plan with no wording of one's own takes the plan's wording.
        if data.get("ktp_topic") and not (data.get("topic") or "").strip():
            data["topic"] = self.titles.get(data["ktp_topic"], "")
        return data


class WorkForm(forms.Form):
    """A work done in the lesson: a column of marks with its type (and so its weight) and topic."""

    work_type = forms.ModelChoiceField(label="Вид работы", queryset=WorkType.objects.none(), empty_label=None,
                                       widget=forms.Select(attrs={"data-testid": "work-type"}))
    topic = forms.CharField(label="Тема работы", max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["work_type"].queryset = WorkType.objects.filter(is_active=True)  # type: ignore[attr-defined]


class AbsenceReasonForm(forms.Form):
    """The class teacher's reason for an absence, with the supporting document (R-J02)."""

    reason = forms.ChoiceField(label="Причина", choices=AbsenceReason.choices)
    document = forms.CharField(label="Документ", max_length=300, required=False,
                               help_text="Справка, заявление родителей, приказ…")
    document_date = forms.DateField(label="Дата документа", required=False, widget=DATE)

