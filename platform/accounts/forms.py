from __future__ import annotations

from django import forms

from .roles import Role


class LoginForm(forms.Form):
    login = forms.CharField(label="Логин", max_length=64, widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True, "autocapitalize": "none"}))
    password = forms.CharField(label="Пароль", max_length=128, widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class OtpForm(forms.Form):
    token = forms.CharField(
        label="Код из приложения или резервный код", max_length=16,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}),
    )


class ActivationForm(forms.Form):
    login = forms.CharField(label="Логин с бланка", max_length=64)
    code = forms.CharField(label="Код активации с бланка", max_length=20)
    password = forms.CharField(label="Новый пароль", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label="Пароль ещё раз", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", "Пароли не совпадают.")
        return data


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label="Текущий пароль", widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    password = forms.CharField(label="Новый пароль", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password2 = forms.CharField(label="Новый пароль ещё раз", widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self) -> dict:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password2"):
            self.add_error("password2", "Пароли не совпадают.")
        return data


class PersonForm(forms.Form):
    surname = forms.CharField(label="Фамилия", max_length=100)
    name = forms.CharField(label="Имя", max_length=100)
    patronymic = forms.CharField(label="Отчество", max_length=100, required=False)
    email = forms.EmailField(label="E-mail", required=False)


class GrantForm(PersonForm):
    """Grant a role to a new person (by name) or to an existing one (by login)."""

    existing_login = forms.CharField(label="…или логин существующей учётной записи", max_length=64, required=False)
    role = forms.ChoiceField(label="Роль", choices=())
    class_id = forms.IntegerField(label="Класс (для классного руководителя)", required=False)
    since = forms.DateField(label="С даты (дата приказа)", required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: object, roles: list[str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["role"].choices = [(r, Role(r).label) for r in roles]  # type: ignore[attr-defined]
        for name in ("surname", "name"):
            self.fields[name].required = False

    def clean(self) -> dict:
        data = super().clean() or {}
        if not data.get("existing_login") and not (data.get("surname") and data.get("name")):
            raise forms.ValidationError("Укажите фамилию и имя нового сотрудника или логин существующей учётной записи.")
        return data
