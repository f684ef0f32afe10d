"""Forms of the journal's control pages. They only parse input; every rule lives in the
journal's services (services.py, period_marks.py, notebook.py, ktp.py, activities.py,
settings_service.py)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django import forms

from .ktp import TopicData
from .models import MarkKind

ATTENDANCE_CHOICES = [("", "был"), ("absent", "Н — отсутствовал"), ("late", "О — опоздал")]


def _date(label: str, required: bool = True) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))


def mark_text(kind: str, value: int | None) -> str:
    """A journal mark as the teacher types it (5, зач, незач, осв)."""
    words: dict[str, str] = {MarkKind.GRADE: str(value or ""), MarkKind.PASS: "зач", MarkKind.FAIL: "незач", MarkKind.EXEMPT: "осв"}
    return words.get(kind, "")


class ChangeRequestForm(forms.Form):
    """«Замена сведений в электронном журнале» for one lesson: the new values next to the
    current ones (marks per work and student, attendance, topic, what was done, homework) and
    the reason. Fields `m_<work>_<student>` and `a_<student>` are added per lesson."""

    topic = forms.CharField(label="Тема урока", required=False, max_length=500)
    done = forms.CharField(label="Что сделано на уроке", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    homework = forms.CharField(label="Домашнее задание", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    source_document = forms.CharField(
        label="Документ-основание отметок (если они из другого учреждения)", required=False, max_length=300,
        help_text="Справка, ведомость или табель лечебного или иного учреждения (003 §2.3.5): записывается к каждой "
                  "изменённой отметке этой заявки.")
    comment = forms.CharField(label="Пояснение к перечню изменений", required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(label="Причина изменений", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="Что привело к необходимости изменений (003 §2.3.3.1).")

    def __init__(self, *args: Any, work_ids: Sequence[int] = (), student_ids: Sequence[int] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for student_id in student_ids:
            self.fields[f"a_{student_id}"] = forms.ChoiceField(label="Посещаемость", choices=ATTENDANCE_CHOICES, required=False)
            for work_id in work_ids:
                self.fields[f"m_{work_id}_{student_id}"] = forms.CharField(
                    label="Отметка", required=False, max_length=8, widget=forms.TextInput(attrs={"size": 4, "inputmode": "text"}))


NEW_LESSON_WORKS = 2  # work columns offered on the page of a forgotten lesson's request


def add_new_work_fields(form: forms.Form, work_types: Sequence[tuple[int, str]], student_ids: Sequence[int]) -> None:
    """A forgotten lesson's request (R-J08): `w<i>_type` and `w<i>_topic` for each offered work, and
    `m_<i>_<student>` for its marks (the same cell fields as ChangeRequestForm's)."""
    choices = [("", "— нет —"), *[(str(pk), name) for pk, name in work_types]]
    for i in range(1, NEW_LESSON_WORKS + 1):
        form.fields[f"w{i}_type"] = forms.ChoiceField(label=f"Работа {i}: вид", choices=choices, required=False)
        form.fields[f"w{i}_topic"] = forms.CharField(label=f"Работа {i}: тема", required=False, max_length=300)
        for student_id in student_ids:
            form.fields[f"m_{i}_{student_id}"] = forms.CharField(
                label="Отметка", required=False, max_length=8, widget=forms.TextInput(attrs={"size": 4, "inputmode": "text"}))


def new_work_changes(data: dict[str, Any], student_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The works a forgotten lesson's request carries, from add_new_work_fields' fields: a work with no
    type is skipped; marks typed under it are kept for the service to check (and refuse if wrong)."""
    works: list[dict[str, Any]] = []
    for i in range(1, NEW_LESSON_WORKS + 1):
        marks = {str(sid): data[f"m_{i}_{sid}"].strip() for sid in student_ids if (data.get(f"m_{i}_{sid}") or "").strip()}
        if not data.get(f"w{i}_type"):
            if marks:
                works.append({"work_type": 0, "topic": "", "marks": marks})  # refused: marks without a work
            continue
        works.append({"work_type": int(data[f"w{i}_type"]), "topic": (data.get(f"w{i}_topic") or "").strip(), "marks": marks})
    return works


class FinalChangeForm(forms.Form):
    """A change request for period (year, exam, final) marks past their window (R-J11, R-J08):
    `mark_<student>` holds the corrected value next to the current one; unchanged rows are skipped."""

    comment = forms.CharField(label="Пояснение к перечню изменений", required=False, max_length=2000,
                              widget=forms.Textarea(attrs={"rows": 2}))
    reason = forms.CharField(label="Причина изменений", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}),
                             help_text="Что привело к необходимости изменений (003 §2.3.3.1).")

    def __init__(self, *args: Any, student_ids: Sequence[int] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for student_id in student_ids:
            self.fields[f"mark_{student_id}"] = forms.CharField(required=False, max_length=8,
                                                                widget=forms.TextInput(attrs={"size": 4}))


class DecisionForm(forms.Form):
    action = forms.ChoiceField(choices=[("approve", "Одобрить"), ("reject", "Отклонить")])
    note = forms.CharField(label="Решение (обязательно при отказе)", required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))


class RangeForm(forms.Form):
    """Filters of the control lists (all optional)."""

    start = _date("С", required=False)
    end = _date("По", required=False)
    teacher = forms.TypedChoiceField(label="Учитель", coerce=int, required=False, empty_value=None)
    school_class = forms.TypedChoiceField(label="Класс", coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, teachers: Iterable[tuple[int, str]] = (), classes: Iterable[tuple[int, str]] = (),
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["teacher"].choices = [("", "все"), *teachers]  # type: ignore[attr-defined]
        self.fields["school_class"].choices = [("", "все"), *classes]  # type: ignore[attr-defined]


class FinalMarksForm(forms.Form):
    """Period (year, exam, final) marks of a class and subject: `mark_<student>` with the
    version it was based on in `v_<student>` (a concurrent change is refused, not overwritten)."""

    def __init__(self, *args: Any, student_ids: Sequence[int] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for student_id in student_ids:
            self.fields[f"mark_{student_id}"] = forms.CharField(required=False, max_length=8,
                                                                widget=forms.TextInput(attrs={"size": 4}))
            self.fields[f"v_{student_id}"] = forms.IntegerField(required=False, widget=forms.HiddenInput)


class ExternalMarkForm(forms.Form):
    """R-J09: a mark from a hospital school or sanatorium, with the document it rests on."""

    work = forms.TypedChoiceField(label="Работа", coerce=int)
    student = forms.TypedChoiceField(label="Обучающийся", coerce=int)
    value = forms.CharField(label="Отметка", max_length=8, help_text="1–5, «зач», «незач» или «осв».")
    document = forms.CharField(label="Документ-основание", max_length=300,
                               help_text="Справка, ведомость или табель, заверенные печатью учреждения (003 §2.3.5).")

    def __init__(self, *args: Any, works: Iterable[tuple[int, str]] = (), students: Iterable[tuple[int, str]] = (),
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["work"].choices = list(works)  # type: ignore[attr-defined]
        self.fields["student"].choices = list(students)  # type: ignore[attr-defined]


class NoteForm(forms.Form):
    student = forms.TypedChoiceField(label="Обучающийся", coerce=int)
    value = forms.CharField(label="Отметка", max_length=2)
    note = forms.CharField(label="Заметка", required=False, max_length=300)

    def __init__(self, *args: Any, students: Iterable[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["student"].choices = list(students)  # type: ignore[attr-defined]


class MoveForm(forms.Form):
    entry = forms.IntegerField(widget=forms.HiddenInput)
    work = forms.TypedChoiceField(label="В работу", coerce=int)

    def __init__(self, *args: Any, works: Iterable[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["work"].choices = list(works)  # type: ignore[attr-defined]


class TopicForm(forms.Form):
    number = forms.IntegerField(label="№", min_value=1, required=False, widget=forms.NumberInput(attrs={"style": "width:4em"}))
    title = forms.CharField(label="Тема", max_length=500, required=False)
    hours = forms.IntegerField(label="Часы", min_value=1, max_value=40, required=False, initial=1,
                               widget=forms.NumberInput(attrs={"style": "width:4em"}))
    planned_date = _date("Дата", required=False)
    work_type = forms.TypedChoiceField(label="Вид работы", coerce=int, required=False, empty_value=None)
    delete = forms.BooleanField(label="Удалить", required=False)

    def __init__(self, *args: Any, work_types: Iterable[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["work_type"].choices = [("", "—"), *work_types]  # type: ignore[attr-defined]


class BaseTopicFormSet(forms.BaseFormSet):  # type: ignore[type-arg]
    def topics(self) -> list[TopicData]:
        """The rows the user kept: a row with a title counts; its number defaults to its place."""
        result = []
        for place, form in enumerate(self.forms, start=1):
            data = form.cleaned_data
            if not data or data.get("delete") or not (data.get("title") or "").strip():
                continue
            result.append(TopicData(number=data.get("number") or place, title=data["title"], hours=data.get("hours") or 1,
                                    planned_date=data.get("planned_date"), work_type_id=data.get("work_type")))
        return result


TopicFormSet = forms.formset_factory(TopicForm, formset=BaseTopicFormSet, extra=5, max_num=400, absolute_max=420)


class KtpImportForm(forms.Form):
    file = forms.FileField(label="Файл XLSX", help_text="Столбцы: №, Тема, Часы, Дата, Вид работы; первая строка — заголовки.")


class GroupForm(forms.Form):
    name = forms.CharField(label="Название", max_length=200)
    teacher = forms.TypedChoiceField(label="Руководитель", coerce=int)
    programme = forms.CharField(label="Программа", required=False, widget=forms.Textarea(attrs={"rows": 2}))
    hours_per_week = forms.DecimalField(label="Часов в неделю", min_value=Decimal("0.5"), max_value=Decimal(10), decimal_places=1,
                                        initial=Decimal(1))
    students = forms.TypedMultipleChoiceField(label="Участники", coerce=int, required=False,
                                              widget=forms.SelectMultiple(attrs={"size": 10}))

    def __init__(self, *args: Any, teachers: Iterable[tuple[int, str]] = (), students: Iterable[Any] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["teacher"].choices = list(teachers)  # type: ignore[attr-defined]
        self.fields["students"].choices = list(students)  # type: ignore[attr-defined]


class SessionForm(forms.Form):
    date = _date("Дата занятия")
    topic = forms.CharField(label="Тема занятия", max_length=300)
    absent = forms.TypedMultipleChoiceField(label="Отсутствовали", coerce=int, required=False,
                                            widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args: Any, members: Iterable[tuple[int, str]] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["absent"].choices = list(members)  # type: ignore[attr-defined]


class SettingsForm(forms.Form):
    lock_days = forms.IntegerField(label="Срок внесения и исправления записей, дней", min_value=1, max_value=30,
                                   help_text="По положению — 7 дней (003 §2.3.2); позже — только через заявку.")
    round_up_from = forms.DecimalField(label="Округлять средний балл вверх от дробной части", min_value=Decimal("0.01"),
                                       max_value=Decimal("0.99"), decimal_places=2, help_text="0,60: 4,60 → 5, 4,59 → 4.")
    period_mark_days_after = forms.IntegerField(label="Итоговые отметки выставляются до … дней после периода", min_value=0,
                                                max_value=10)
    use_weighted_average = forms.BooleanField(label="Предлагать отметку по средневзвешенному баллу", required=False)
    reason = forms.CharField(label="Основание (приказ, решение педсовета)", required=False, max_length=500)
