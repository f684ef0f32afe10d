"""Forms of the curriculum pages: they only parse input; the services validate and write."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms

from .models import CurriculumLine, CurriculumPart, EducationalArea, Subject

HOURS_WIDGET = forms.NumberInput(attrs={"step": "0.5", "min": "0.5", "max": "40", "inputmode": "decimal"})


class AreaForm(forms.Form):
    name = forms.CharField(label="Образовательная область", max_length=120)


class SubjectForm(forms.Form):
    name = forms.CharField(label="Предмет", max_length=120)
    short_name = forms.CharField(label="Краткое название", max_length=30, required=False)
    area = forms.ModelChoiceField(label="Образовательная область", queryset=EducationalArea.objects.none(), required=False,
                                  empty_label="— не указана —")
    is_extracurricular = forms.BooleanField(label="Курс внеурочной деятельности", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = EducationalArea.objects.order_by("name")  # type: ignore[attr-defined]


class LineForm(forms.Form):
    subject = forms.ModelChoiceField(label="Предмет", queryset=Subject.objects.none())
    part = forms.ChoiceField(label="Часть учебного плана", choices=CurriculumPart.choices, initial=CurriculumPart.MANDATORY)
    hours = forms.DecimalField(label="Часов в неделю", min_value=Decimal("0.5"), max_value=Decimal(40), decimal_places=1,
                               widget=HOURS_WIDGET)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = Subject.objects.order_by("name")  # type: ignore[attr-defined]


class LineEditForm(forms.Form):
    line = forms.IntegerField(widget=forms.HiddenInput)
    hours = forms.DecimalField(label="Часов", min_value=Decimal("0.5"), max_value=Decimal(40), decimal_places=1, widget=HOURS_WIDGET)


class ParallelForm(forms.Form):
    """Bulk entry for a parallel: one hours field per subject and part, prefilled with the
    hours the parallel's classes agree on."""

    replace = forms.BooleanField(label="Удалить у классов параллели строки, которых нет в этом плане", required=False)

    def __init__(self, *args: Any, subjects: list[Subject], initial_hours: dict[tuple[int, str], Decimal], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rows: list[tuple[Subject, list[forms.BoundField]]] = []
        for subject in subjects:
            parts = [CurriculumPart.EXTRACURRICULAR] if subject.is_extracurricular else [CurriculumPart.MANDATORY, CurriculumPart.ELECTIVE]
            bound = []
            for part in parts:
                name = f"h_{subject.pk}_{part}"
                self.fields[name] = forms.DecimalField(label=f"{subject.name}: {CurriculumPart(part).label}", required=False,
                                                       min_value=Decimal("0.5"), max_value=Decimal(40), decimal_places=1,
                                                       initial=initial_hours.get((subject.pk, part)), widget=HOURS_WIDGET)
                bound.append(self[name])
            self.rows.append((subject, bound))

    def plan(self) -> list[tuple[int, str, Decimal]]:
        result = []
        for name, value in self.cleaned_data.items():
            if name.startswith("h_") and value:
                _, subject_id, part = name.split("_", 2)
                result.append((int(subject_id), part, value))
        return result


class AssignmentForm(forms.Form):
    teacher = forms.TypedChoiceField(label="Учитель", coerce=int, choices=())
    subject = forms.ModelChoiceField(label="Предмет", queryset=Subject.objects.none())
    school_class = forms.TypedChoiceField(label="Класс", coerce=int, choices=())
    subgroup = forms.TypedChoiceField(label="Подгруппа (если предмет ведётся по подгруппам)", coerce=int, choices=(),
                                      required=False, empty_value=None)
    hours = forms.DecimalField(label="Часов в неделю", min_value=Decimal("0.5"), max_value=Decimal(40), decimal_places=1,
                               widget=HOURS_WIDGET)

    def __init__(self, *args: Any, teachers: list[Any], classes: list[Any], subgroups: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["teacher"].choices = [("", "—")] + [(t.pk, t.full_name) for t in teachers]  # type: ignore[attr-defined]
        self.fields["subject"].queryset = Subject.objects.order_by("name")  # type: ignore[attr-defined]
        self.fields["school_class"].choices = [("", "—")] + [(c.pk, str(c)) for c in classes]  # type: ignore[attr-defined]
        self.fields["subgroup"].choices = [("", "весь класс")] + [(g.pk, str(g)) for g in subgroups]  # type: ignore[attr-defined]


class AssignmentEditForm(forms.Form):
    teacher = forms.TypedChoiceField(label="Учитель", coerce=int, choices=())
    hours = forms.DecimalField(label="Часов в неделю", min_value=Decimal("0.5"), max_value=Decimal(40), decimal_places=1,
                               widget=HOURS_WIDGET)

    def __init__(self, *args: Any, teachers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["teacher"].choices = [(t.pk, t.full_name) for t in teachers]  # type: ignore[attr-defined]


def line_initial(line: CurriculumLine) -> dict[str, Any]:
    return {"line": line.pk, "hours": line.hours_per_week}
