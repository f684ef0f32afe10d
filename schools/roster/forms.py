"""Forms of the roster's pages. They only shape input; every rule lives in services.py."""

from __future__ import annotations

from typing import Any

from django import forms

from accounts.models import Sex
from accounts.services import PersonData

from .models import GuardianKind, OrderKind, SubgroupKind
from .services import CardData, ClassData, OrderData, StaffCardData

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
CARD_LABELS = {"phone": "Телефон", "address": "Домашний адрес", "email": "E-mail", "snils": "СНИЛС"}


class ClassForm(forms.Form):
    grade = forms.IntegerField(label="Параллель", min_value=1, max_value=11)
    letter = forms.CharField(label="Литера", max_length=4, help_text="Русская буква, например «А».")
    profile = forms.CharField(label="Профиль", max_length=100, required=False)
    class_teacher_id = forms.TypedChoiceField(label="Классный руководитель", required=False, coerce=int, empty_value=None)

    def __init__(self, *args: Any, staff: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "— не назначен —"), *((p.pk, p.full_name) for p in staff)]
        self.fields["class_teacher_id"].choices = choices  # type: ignore[attr-defined]

    def data_object(self) -> ClassData:
        d = self.cleaned_data
        return ClassData(grade=d["grade"], letter=d["letter"], profile=d.get("profile", ""), class_teacher_id=d.get("class_teacher_id"))


class SubgroupForm(forms.Form):
    kind = forms.ChoiceField(label="Вид", choices=SubgroupKind.choices)
    name = forms.CharField(label="Название", max_length=60, help_text="Например, «Английский, 1 группа».")


class SplitForm(forms.Form):
    kind = forms.ChoiceField(label="Вид", choices=SubgroupKind.choices)
    first_name = forms.CharField(label="Название первой группы", max_length=60, required=False)
    second_name = forms.CharField(label="Название второй группы", max_length=60, required=False)


class PersonForm(forms.Form):
    """The minimum every student, parent and staff member has (004 §V)."""

    surname = forms.CharField(label="Фамилия", max_length=100)
    name = forms.CharField(label="Имя", max_length=100)
    patronymic = forms.CharField(label="Отчество", max_length=100, required=False)
    sex = forms.ChoiceField(label="Пол", choices=[("", "—"), *Sex.choices])
    birth_date = forms.DateField(label="Дата рождения", widget=DATE)

    def person_data(self) -> PersonData:
        d = self.cleaned_data
        return PersonData(surname=d["surname"], name=d["name"], patronymic=d.get("patronymic", ""), sex=d["sex"],
                          birth_date=d["birth_date"], login=d.get("login", "") or "")

    @staticmethod
    def initial_of(person: Any) -> dict[str, Any]:
        return {"surname": person.surname, "name": person.name, "patronymic": person.patronymic, "sex": person.sex,
                "birth_date": person.birth_date}


class CardFieldsMixin(forms.Form):
    """Adds only the personal-card fields the school collects (R-A06): a switched-off field is
    not shown at all."""

    def add_card_fields(self, collected: list[str]) -> None:
        self.card_fields = collected
        for name in collected:
            field: forms.Field = forms.EmailField(max_length=254) if name == "email" else forms.CharField(max_length=300)
            field.label, field.required = CARD_LABELS[name], False
            self.fields[name] = field

    def card_data(self) -> CardData:
        return CardData(**{name: self.cleaned_data.get(name, "") or "" for name in self.card_fields})


class FamilyCardForm(PersonForm, CardFieldsMixin):
    def __init__(self, *args: Any, collected: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_card_fields(collected)


class OrderFieldsMixin(forms.Form):
    order_id = forms.TypedChoiceField(label="Зарегистрированный приказ", required=False, coerce=int, empty_value=None)
    order_number = forms.CharField(label="…или номер нового приказа", max_length=40, required=False)
    order_date = forms.DateField(label="Дата приказа", required=False, widget=DATE)
    on = forms.DateField(label="С даты", required=False, widget=DATE, help_text="Если пусто — с даты приказа.")

    def add_orders(self, orders: list[Any]) -> None:
        self.fields["order_id"].choices = [("", "— новый приказ —"), *((o.pk, str(o)) for o in orders)]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("order_id") and not (data.get("order_number") and data.get("order_date")):
            self.add_error("order_number", "Укажите номер и дату приказа или выберите зарегистрированный приказ.")
        return data

    def order(self, orders: dict[int, Any]) -> Any:
        d = self.cleaned_data
        if d.get("order_id"):
            return orders[d["order_id"]]
        return OrderData(number=d["order_number"], date=d["order_date"])


class NewStudentForm(FamilyCardForm, OrderFieldsMixin):
    login = forms.CharField(label="Логин (если у ребёнка уже есть учётная запись в районе)", max_length=64, required=False)
    school_class = forms.TypedChoiceField(label="Класс", coerce=int)
    field_order = ["surname", "name", "patronymic", "sex", "birth_date", "login", "school_class", "order_id", "order_number",
                   "order_date", "on"]

    def __init__(self, *args: Any, classes: list[Any], orders: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["school_class"].choices = [(c.pk, c.name) for c in classes]  # type: ignore[attr-defined]
        self.add_orders(orders)


class TransferForm(OrderFieldsMixin):
    to_class = forms.TypedChoiceField(label="В класс", coerce=int)
    field_order = ["to_class"]

    def __init__(self, *args: Any, classes: list[Any], orders: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_class"].choices = [(c.pk, c.name) for c in classes]  # type: ignore[attr-defined]
        self.add_orders(orders)


class LeaveForm(OrderFieldsMixin):
    def __init__(self, *args: Any, orders: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_orders(orders)
        self.fields["on"].label = "Выбывает с даты"


class GuardianForm(CardFieldsMixin):
    kind = forms.ChoiceField(label="Кем приходится", choices=GuardianKind.choices)
    existing_login = forms.CharField(label="Логин, если учётная запись уже есть", max_length=64, required=False)
    surname = forms.CharField(label="Фамилия", max_length=100, required=False)
    name = forms.CharField(label="Имя", max_length=100, required=False)
    patronymic = forms.CharField(label="Отчество", max_length=100, required=False)
    sex = forms.ChoiceField(label="Пол", choices=[("", "—"), *Sex.choices], required=False)
    birth_date = forms.DateField(label="Дата рождения", required=False, widget=DATE)

    def __init__(self, *args: Any, collected: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.add_card_fields(collected)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("existing_login") and not (data.get("surname") and data.get("name")):
            raise forms.ValidationError("Укажите ФИО, пол и дату рождения родителя или логин его учётной записи.")
        return data

    def person_data(self) -> PersonData:
        d = self.cleaned_data
        return PersonData(surname=d.get("surname", ""), name=d.get("name", ""), patronymic=d.get("patronymic", ""),
                          sex=d.get("sex", ""), birth_date=d.get("birth_date"))


class StaffCardForm(PersonForm):
    position = forms.CharField(label="Основная должность", max_length=100)
    category = forms.CharField(label="Категория", max_length=60, required=False)
    rank = forms.CharField(label="Разряд", max_length=30, required=False)
    functions = forms.CharField(label="Функции", max_length=300, required=False)
    diploma_speciality = forms.CharField(label="Специальность по диплому", max_length=200, required=False)
    hired_on = forms.DateField(label="Дата приказа о приёме", required=False, widget=DATE)
    hire_order_number = forms.CharField(label="Номер приказа о приёме", max_length=40, required=False)

    def card_object(self) -> StaffCardData:
        d = self.cleaned_data
        return StaffCardData(position=d["position"], category=d.get("category", ""), rank=d.get("rank", ""),
                             functions=d.get("functions", ""), diploma_speciality=d.get("diploma_speciality", ""),
                             hired_on=d.get("hired_on"), hire_order_number=d.get("hire_order_number", ""))

    @staticmethod
    def initial_of_card(card: Any) -> dict[str, Any]:
        if card is None:
            return {}
        return {name: getattr(card, name) for name in ("position", "category", "rank", "functions", "diploma_speciality",
                                                        "hired_on", "hire_order_number")}


class HireForm(StaffCardForm):
    role = forms.ChoiceField(label="Роль в системе")
    login = forms.CharField(label="Логин (если учётная запись в районе уже есть)", max_length=64, required=False)

    def __init__(self, *args: Any, roles: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = roles  # type: ignore[attr-defined]
        self.fields["hired_on"].required = True


class PersonalDataForm(forms.Form):
    collect_phone = forms.BooleanField(label="Телефон", required=False)
    collect_address = forms.BooleanField(label="Домашний адрес", required=False)
    collect_email = forms.BooleanField(label="E-mail", required=False)
    collect_snils = forms.BooleanField(label="СНИЛС", required=False)


LEAVE_KINDS = (OrderKind.LEAVE, OrderKind.GRADUATE)
TRANSFER_KINDS = (OrderKind.TRANSFER, OrderKind.PROMOTE, OrderKind.REPEAT)
