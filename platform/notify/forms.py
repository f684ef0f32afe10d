from __future__ import annotations

from django import forms

from .models import NotifySettings
from .services import SUMMARY_TIMES


class SettingsForm(forms.ModelForm):
    summary_time = forms.TypedChoiceField(
        label="Время вечерней сводки", choices=[(t.strftime("%H:%M"), t.strftime("%H:%M")) for t in SUMMARY_TIMES],
        coerce=lambda v: __import__("datetime").time.fromisoformat(v))

    class Meta:
        model = NotifySettings
        fields = ["daily_summary", "summary_time", "any_absence_now", "unexcused_absence_now", "final_marks_now", "messages_now",
                  "in_app", "by_email", "by_push"]
        labels = {
            "daily_summary": "Присылать сводку за день (отметки, пропуски, домашние задания)",
            "any_absence_now": "Сразу сообщать о любом пропуске (как только учитель отметит «Н»)",
            "unexcused_absence_now": "Сразу сообщать, когда классный руководитель укажет, что пропуск без уважительной причины",
            "final_marks_now": "Сразу сообщать об итоговых отметках (за четверть, год, экзамен)",
            "messages_now": "Сообщать о новых сообщениях и объявлениях школы",
            "in_app": "Показывать оповещения в личном кабинете",
            "by_email": "Присылать на электронную почту",
            "by_push": "Присылать push-уведомления в браузер",
        }
        help_texts = {"in_app": "Оповещение, которое не дошло ни письмом, ни push-уведомлением, всё равно появится в личном кабинете."}

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        if self.instance and self.instance.summary_time:
            self.initial["summary_time"] = self.instance.summary_time.strftime("%H:%M")


class EmailForm(forms.Form):
    email = forms.EmailField(label="Адрес электронной почты", max_length=254,
                             widget=forms.EmailInput(attrs={"autocomplete": "email", "inputmode": "email"}))
