from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms

from .models import NotifySettings
from .services import ADMINISTRATION_FIELDS, CHANNEL_FIELDS, FAMILY_FIELDS, STAFF_FIELDS, SUMMARY_TIMES

# The settings page's sections, each shown when one of its fields applies to the person.
GROUPS = [
    ("Семье: дневник ребёнка", [f for f in FAMILY_FIELDS if f != "by_push"]),
    ("По работе в школе", [*STAFF_FIELDS, *ADMINISTRATION_FIELDS]),
    ("Как присылать", [*CHANNEL_FIELDS, "by_push"]),
]


class SettingsForm(forms.ModelForm):
    """The person's settings: only the fields of their roles (`fields`, services.fields_for)."""

    summary_time = forms.TypedChoiceField(
        label="Время вечерней сводки", choices=[(t.strftime("%H:%M"), t.strftime("%H:%M")) for t in SUMMARY_TIMES],
        coerce=lambda v: dt.time.fromisoformat(v))

    class Meta:
        model = NotifySettings
        fields = ["daily_summary", "summary_time", "any_absence_now", "unexcused_absence_now", "final_marks_now", "messages_now",
                  "staff_messages_now", "abuse_reports_now", "in_app", "by_email", "by_push"]
        labels = {
            "daily_summary": "Присылать сводку за день (отметки, пропуски, домашние задания)",
            "any_absence_now": "Сразу сообщать о любом пропуске (как только учитель отметит «Н»)",
            "unexcused_absence_now": "Сразу сообщать, когда классный руководитель укажет, что пропуск без уважительной причины",
            "final_marks_now": "Сразу сообщать об итоговых отметках (за четверть, год, экзамен)",
            "messages_now": "Сообщать о новых сообщениях и объявлениях школы",
            "staff_messages_now": "Сообщать о новых сообщениях и объявлениях в школе, где я работаю",
            "abuse_reports_now": "Сообщать о жалобах на сообщения (администрации школы)",
            "in_app": "Показывать оповещения в личном кабинете",
            "by_email": "Присылать на электронную почту",
            "by_push": "Присылать push-уведомления в браузер",
        }
        help_texts = {
            "in_app": "Оповещение, которое не дошло ни письмом, ни push-уведомлением, всё равно появится в личном кабинете.",
            "by_email": "Письма идут только на подтверждённый адрес (раздел «Электронная почта» выше).",
            "abuse_reports_now": "Открытые жалобы всё равно видны на вкладке «Жалобы и настройки» в сообщениях школы.",
        }

    def __init__(self, *args: Any, fields: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if fields is not None:
            for name in list(self.fields):
                if name not in fields:
                    del self.fields[name]
        if self.instance and self.instance.summary_time and "summary_time" in self.fields:
            self.initial["summary_time"] = self.instance.summary_time.strftime("%H:%M")

    def groups(self) -> list[tuple[str, list[forms.BoundField]]]:
        """(title, the bound fields of the person's roles) for each section that has any."""
        result = [(title, [self[f] for f in names if f in self.fields]) for title, names in GROUPS]
        return [(title, bound) for title, bound in result if bound]


class EmailForm(forms.Form):
    email = forms.EmailField(label="Адрес электронной почты", max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}))
