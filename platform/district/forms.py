from django import forms

from tenants.models import SchoolStatus


class SchoolForm(forms.Form):
    slug = forms.CharField(label="Короткий адрес (латиницей)", max_length=40, help_text="Например, school-7: страницы школы будут по адресу /s/school-7/")
    full_name = forms.CharField(label="Полное наименование", max_length=300)
    short_name = forms.CharField(label="Краткое наименование", max_length=120)
    municipal_code = forms.CharField(label="Код в муниципалитете", max_length=20)
    address = forms.CharField(label="Адрес", max_length=300, required=False)
    director_name = forms.CharField(label="Директор (ФИО)", max_length=200, required=False)


class RenameForm(forms.Form):
    full_name = forms.CharField(label="Полное наименование", max_length=300)
    short_name = forms.CharField(label="Краткое наименование", max_length=120)
    address = forms.CharField(label="Адрес", max_length=300, required=False)
    director_name = forms.CharField(label="Директор (ФИО)", max_length=200, required=False)


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="Новое состояние", choices=SchoolStatus.choices)
    reason = forms.CharField(label="Причина", max_length=500, required=False)


class AdminForm(forms.Form):
    surname = forms.CharField(label="Фамилия", max_length=100)
    name = forms.CharField(label="Имя", max_length=100)
    patronymic = forms.CharField(label="Отчество", max_length=100, required=False)
    email = forms.EmailField(label="E-mail", required=False)
    role = forms.ChoiceField(label="Роль", choices=[("school_admin", "Администратор ЭЖ школы"), ("director", "Директор")])
