"""Forms of the timetable pages: they parse input; the services validate and write."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms

from curriculum.models import Subject

from .models import EventKind
from .selectors import WEEKDAYS
from .services import BellTime

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
_BELL_LINE = re.compile(r"^\s*(?:(\d{1,2})\s*[.)]?\s+)?(\d{1,2})[:.](\d{2})\s*[-–—]\s*(\d{1,2})[:.](\d{2})\s*$")


def _subjects() -> Any:
    return Subject.objects.order_by("name")


class BellsForm(forms.Form):
    shift = forms.TypedChoiceField(label="Смена", coerce=int, choices=[(1, "1 смена"), (2, "2 смена")])
    name = forms.CharField(label="Название", max_length=60, required=False)
    bells = forms.CharField(
        label="Время уроков", widget=forms.Textarea(attrs={"rows": 9}),
        help_text="По строке на урок: «1 08:30-09:15» (номер можно не писать — тогда по порядку с 1).",
    )

    def clean_bells(self) -> list[BellTime]:
        result: list[BellTime] = []
        problems = []
        for i, raw in enumerate(line for line in self.cleaned_data["bells"].splitlines() if line.strip()):
            m = _BELL_LINE.match(raw)
            if m is None:
                problems.append(f"Строка «{raw.strip()}»: ожидается «1 08:30-09:15».")
                continue
            number = int(m.group(1)) if m.group(1) else (result[-1].number + 1 if result else 1)
            try:
                start, end = dt.time(int(m.group(2)), int(m.group(3))), dt.time(int(m.group(4)), int(m.group(5)))
            except ValueError:
                problems.append(f"Строка {i + 1}: неверное время.")
                continue
            result.append(BellTime(number, start, end))
        if problems:
            raise forms.ValidationError(problems)
        return result


def bells_text(schedule: Any) -> str:
    return "\n".join(f"{b.number} {b.starts_at:%H:%M}-{b.ends_at:%H:%M}" for b in schedule.bells.all())


class EntryForm(forms.Form):
    """The cell editor: one lesson of a class's week."""

    entry = forms.IntegerField(required=False, widget=forms.HiddenInput)
    weekday = forms.TypedChoiceField(label="День недели", coerce=int, choices=[(d, WEEKDAYS[d]) for d in range(1, 7)])
    lesson_number = forms.IntegerField(label="Урок №", min_value=0, max_value=12)
    shift = forms.TypedChoiceField(label="Смена", coerce=int, choices=[(1, "1"), (2, "2")], initial=1)
    subject = forms.ModelChoiceField(label="Предмет", queryset=Subject.objects.none())
    teacher = forms.TypedChoiceField(label="Учитель", coerce=int, choices=())
    subgroup = forms.TypedChoiceField(label="Подгруппа", coerce=int, choices=(), required=False, empty_value=None)
    room = forms.CharField(label="Кабинет", max_length=20, required=False)
    valid_from = forms.DateField(label="Действует с", required=False, widget=DATE, help_text="Пусто — с начала учебного года.")
    valid_to = forms.DateField(label="Действует по", required=False, widget=DATE, help_text="Пусто — до конца учебного года.")
    from_date = forms.DateField(label="Изменение действует с даты", required=False, widget=DATE,
                                help_text="Для изменения посреди года: прежний урок остаётся в прошедших неделях.")

    def __init__(self, *args: Any, teachers: list[Any], subgroups: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["subject"].queryset = _subjects()  # type: ignore[attr-defined]
        self.fields["teacher"].choices = [("", "—")] + [(t.pk, t.full_name) for t in teachers]  # type: ignore[attr-defined]
        self.fields["subgroup"].choices = [("", "весь класс")] + [(g.pk, g.name) for g in subgroups]  # type: ignore[attr-defined]


class EventForm(forms.Form):
    kind = forms.ChoiceField(label="Вид", choices=EventKind.choices, initial=EventKind.SCHOOL)
    school_class = forms.TypedChoiceField(label="Класс (для классного мероприятия)", coerce=int, choices=(), required=False,
                                          empty_value=None)
    title = forms.CharField(label="Название", max_length=200)
    date = forms.DateField(label="Дата", widget=DATE)
    starts_at = forms.TimeField(label="Начало", required=False, widget=TIME)
    place = forms.CharField(label="Место", max_length=100, required=False)

    def __init__(self, *args: Any, classes: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school_class"].choices = [("", "—")] + [(c.pk, str(c)) for c in classes]  # type: ignore[attr-defined]


class SubstitutionForm(forms.Form):
    entry = forms.TypedChoiceField(label="Урок", coerce=int, choices=())
    substitute = forms.TypedChoiceField(label="Кто заменяет", coerce=int, choices=())
    subject = forms.ModelChoiceField(label="Предмет замены (если другой)", queryset=Subject.objects.none(), required=False,
                                     empty_label="тот же предмет")
    reason = forms.CharField(label="Причина", max_length=200)

    def __init__(self, *args: Any, lessons: list[Any], teachers: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["entry"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (ls.entry.pk, f"{ls.lesson_number} урок, {ls.school_class}" + (f" ({ls.subgroup.name})" if ls.subgroup else "")
             + f": {ls.subject.name} — {ls.teacher.short_name}") for ls in lessons]
        self.fields["substitute"].choices = [("", "—")] + [(t.pk, t.full_name) for t in teachers]  # type: ignore[attr-defined]
        self.fields["subject"].queryset = _subjects()  # type: ignore[attr-defined]
