"""The roster's API under /api/v1/schools/<slug>/: classes, subgroups, students, parents, staff
cards, movement orders and the personal-data setting. Thin: each endpoint authorises first
(roster.access / core.access), shapes input with a serializer and calls roster.services."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import services as account_services
from accounts.models import Person, Sex
from accounts.roles import Perm, Role
from core.access import access_school
from core.errors import PermissionDenied, ValidationFailed
from core.serializers import SlipOut
from schoolyear.selectors import current_year

from . import selectors, services
from .access import access_class, access_parent, access_staff, access_student, access_subgroup, require_class_readers
from .models import (
    Enrolment,
    GuardianKind,
    Guardianship,
    MovementOrder,
    OrderKind,
    PersonCard,
    SchoolClass,
    StaffCard,
    SubgroupKind,
)


def _actor(request: Request) -> Any:
    return request.user


# --- shared shapes ------------------------------------------------------------------------------

class PersonRefOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    full_name = serializers.CharField()


class PersonIn(serializers.Serializer):
    surname = serializers.CharField(max_length=100)
    name = serializers.CharField(max_length=100)
    patronymic = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    sex = serializers.ChoiceField(choices=Sex.choices)
    birth_date = serializers.DateField()


class CardIn(serializers.Serializer):
    """Personal-card fields; a value for a field the school does not collect is refused (R-A06)."""

    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    snils = serializers.CharField(max_length=20, required=False, allow_blank=True)


def _card(v: dict[str, Any]) -> services.CardData:
    return services.CardData(**{name: v[name] for name in selectors.CARD_FIELDS if name in v})


def _person_data(v: dict[str, Any]) -> account_services.PersonData:
    return account_services.PersonData(surname=v["surname"], name=v["name"], patronymic=v.get("patronymic", ""),
                                       sex=v["sex"], birth_date=v["birth_date"], login=v.get("login", "") or "")


def _card_out(person_id: int, collected: list[str], cards: dict[int, PersonCard] | None = None) -> dict[str, str]:
    card = cards.get(person_id) if cards is not None else selectors.card_of(person_id)
    return {name: getattr(card, name, "") if card else "" for name in collected}


class OrderIn(serializers.Serializer):
    order_id = serializers.IntegerField(required=False, allow_null=True, help_text="Зарегистрированный приказ")
    order_number = serializers.CharField(max_length=40, required=False, allow_blank=True, help_text="…или номер нового приказа")
    order_date = serializers.DateField(required=False, allow_null=True)
    order_note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    on = serializers.DateField(required=False, allow_null=True, help_text="С какой даты (по умолчанию — дата приказа)")


def _order(v: dict[str, Any]) -> MovementOrder | services.OrderData:
    if v.get("order_id"):
        order = MovementOrder.objects.filter(pk=v["order_id"]).first()
        if order is None:
            raise ValidationFailed("Такого приказа в школе нет.", fields={"order_id": ["Такого приказа в школе нет."]})
        return order
    if not (v.get("order_number") and v.get("order_date")):
        raise ValidationFailed("Укажите номер и дату приказа или order_id зарегистрированного.",
                               fields={"order_number": ["Обязательное поле."], "order_date": ["Обязательное поле."]})
    return services.OrderData(number=v["order_number"], date=v["order_date"], note=v.get("order_note", ""))


def _class(class_id: Any, field: str = "class_id") -> SchoolClass:
    school_class = SchoolClass.objects.select_related("year").filter(pk=class_id).first() if class_id else None
    if school_class is None:
        raise ValidationFailed("Такого класса в школе нет.", fields={field: ["Такого класса в школе нет."]})
    return school_class


def _student(student_id: Any) -> Person:
    person = Person.objects.filter(pk=student_id).first() if student_id and selectors.is_student_here(student_id) else None
    if person is None:
        raise ValidationFailed("Такого обучающегося в школе нет.", fields={"student_id": ["Такого обучающегося в школе нет."]})
    return person


# --- classes ----------------------------------------------------------------------------------------

class ClassOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    grade = serializers.IntegerField()
    letter = serializers.CharField()
    profile = serializers.CharField()
    year_id = serializers.IntegerField()
    class_teacher_id = serializers.IntegerField(allow_null=True)
    class_teacher = serializers.CharField(source="class_teacher.full_name", allow_null=True, default=None)
    student_count = serializers.IntegerField(required=False, default=None)


class ClassIn(serializers.Serializer):
    grade = serializers.IntegerField(min_value=1, max_value=11)
    letter = serializers.CharField(max_length=4)
    profile = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    class_teacher_id = serializers.IntegerField(required=False, allow_null=True, default=None)


class ClassListView(APIView):
    @extend_schema(responses=ClassOut(many=True), summary="Классы учебного года (классному руководителю — свои)",
                   parameters=[OpenApiParameter("year", int, description="id учебного года; по умолчанию текущий")])
    def get(self, request: Request, school_slug: str) -> Response:
        _, _, own = require_class_readers(request)
        year_param = request.query_params.get("year", "")
        year = current_year()
        rows = selectors.classes_of_year(int(year_param) if year_param.isdigit() else (year.pk if year else None))
        if own is not None:
            rows = [c for c in rows if c.pk in own]
        return Response(ClassOut(rows, many=True).data)

    @extend_schema(request=ClassIn, responses={201: ClassOut}, summary="Создать класс текущего учебного года")
    def post(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.MANAGE_CLASSES)
        data = ClassIn(data=request.data)
        data.is_valid(raise_exception=True)
        created = services.create_class(_actor(request), school, services.ClassData(**data.validated_data))
        return Response(ClassOut(created).data, status=status.HTTP_201_CREATED)


class ClassPatchIn(serializers.Serializer):
    grade = serializers.IntegerField(min_value=1, max_value=11, required=False)
    letter = serializers.CharField(max_length=4, required=False)
    profile = serializers.CharField(max_length=100, required=False, allow_blank=True)
    class_teacher_id = serializers.IntegerField(required=False, allow_null=True)


class ClassDetailView(APIView):
    @extend_schema(responses=ClassOut, summary="Класс")
    def get(self, request: Request, school_slug: str, class_id: int) -> Response:
        _, _, school_class = access_class(request, class_id)
        return Response(ClassOut(school_class).data)

    @extend_schema(request=ClassPatchIn, responses=ClassOut, summary="Изменить класс (литера, профиль, классный руководитель)")
    def patch(self, request: Request, school_slug: str, class_id: int) -> Response:
        school, _, school_class = access_class(request, class_id, "manage")
        data = ClassPatchIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        merged = services.ClassData(
            grade=v.get("grade", school_class.grade), letter=v.get("letter", school_class.letter),
            profile=v.get("profile", school_class.profile),
            class_teacher_id=v["class_teacher_id"] if "class_teacher_id" in v else school_class.class_teacher_id,
        )
        updated = services.update_class(_actor(request), school, school_class, merged)
        return Response(ClassOut(SchoolClass.objects.select_related("class_teacher").get(pk=updated.pk)).data)

    @extend_schema(responses={204: None}, summary="Удалить пустой класс")
    def delete(self, request: Request, school_slug: str, class_id: int) -> Response:
        school, _, school_class = access_class(request, class_id, "manage")
        services.delete_class(_actor(request), school, school_class)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- subgroups --------------------------------------------------------------------------------------

class SubgroupOut(serializers.Serializer):
    id = serializers.IntegerField(source="subgroup.pk")
    class_id = serializers.IntegerField(source="subgroup.school_class_id")
    kind = serializers.CharField(source="subgroup.kind")
    kind_label = serializers.CharField(source="subgroup.get_kind_display")
    name = serializers.CharField(source="subgroup.name")
    members = PersonRefOut(many=True)


class SubgroupIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SubgroupKind.choices)
    name = serializers.CharField(max_length=60)
    student_ids = serializers.ListField(child=serializers.IntegerField(), required=False, default=list, max_length=100)


class SplitIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=SubgroupKind.choices)
    names = serializers.ListField(child=serializers.CharField(max_length=60), min_length=2, max_length=2, required=False)
    first_group = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=100,
                                        help_text="Кто в первой группе; остальные — во второй. По умолчанию — первая половина списка.")


def _subgroup_out(subgroup_ids: list[int], class_id: int) -> list[dict[str, Any]]:
    rows = [r for r in selectors.subgroup_rows(class_id) if r.subgroup.pk in subgroup_ids]
    return SubgroupOut(rows, many=True).data  # type: ignore[return-value]


class SubgroupListView(APIView):
    @extend_schema(responses=SubgroupOut(many=True), summary="Подгруппы класса с составом")
    def get(self, request: Request, school_slug: str, class_id: int) -> Response:
        _, _, school_class = access_class(request, class_id)
        return Response(SubgroupOut(selectors.subgroup_rows(school_class.pk), many=True).data)

    @extend_schema(request=SubgroupIn, responses={201: SubgroupOut}, summary="Создать подгруппу (иностранный язык, информатика…)")
    def post(self, request: Request, school_slug: str, class_id: int) -> Response:
        school, _, school_class = access_class(request, class_id, "subgroups")
        data = SubgroupIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        subgroup = services.create_subgroup(_actor(request), school, school_class, kind=v["kind"], name=v["name"],
                                            student_ids=v["student_ids"])
        return Response(_subgroup_out([subgroup.pk], school_class.pk)[0], status=status.HTTP_201_CREATED)


class SplitView(APIView):
    @extend_schema(request=SplitIn, responses={201: SubgroupOut(many=True)}, summary="Разделить класс на две подгруппы")
    def post(self, request: Request, school_slug: str, class_id: int) -> Response:
        school, _, school_class = access_class(request, class_id, "subgroups")
        data = SplitIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        groups = services.split_class(_actor(request), school, school_class, kind=v["kind"],
                                      names=tuple(v["names"]) if v.get("names") else None,  # type: ignore[arg-type]
                                      first_group=v.get("first_group"))
        return Response(_subgroup_out([g.pk for g in groups], school_class.pk), status=status.HTTP_201_CREATED)


class SubgroupPatchIn(serializers.Serializer):
    name = serializers.CharField(max_length=60)


class MembersIn(serializers.Serializer):
    student_ids = serializers.ListField(child=serializers.IntegerField(), max_length=100)


class SubgroupDetailView(APIView):
    @extend_schema(responses=SubgroupOut, summary="Подгруппа и её состав")
    def get(self, request: Request, school_slug: str, subgroup_id: int) -> Response:
        _, _, subgroup = access_subgroup(request, subgroup_id)
        return Response(_subgroup_out([subgroup.pk], subgroup.school_class_id)[0])

    @extend_schema(request=SubgroupPatchIn, responses=SubgroupOut, summary="Переименовать подгруппу")
    def patch(self, request: Request, school_slug: str, subgroup_id: int) -> Response:
        school, _, subgroup = access_subgroup(request, subgroup_id, "subgroups")
        data = SubgroupPatchIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.rename_subgroup(_actor(request), school, subgroup, data.validated_data["name"])
        return Response(_subgroup_out([subgroup.pk], subgroup.school_class_id)[0])

    @extend_schema(responses={204: None}, summary="Удалить подгруппу")
    def delete(self, request: Request, school_slug: str, subgroup_id: int) -> Response:
        school, _, subgroup = access_subgroup(request, subgroup_id, "subgroups")
        services.delete_subgroup(_actor(request), school, subgroup)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SubgroupMembersView(APIView):
    @extend_schema(request=MembersIn, responses=SubgroupOut, summary="Задать состав подгруппы (обучающиеся класса)")
    def put(self, request: Request, school_slug: str, subgroup_id: int) -> Response:
        school, _, subgroup = access_subgroup(request, subgroup_id, "subgroups")
        data = MembersIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.set_subgroup_members(_actor(request), school, subgroup, data.validated_data["student_ids"])
        return Response(_subgroup_out([subgroup.pk], subgroup.school_class_id)[0])


# --- students -------------------------------------------------------------------------------------

class StudentOut(serializers.Serializer):
    id = serializers.IntegerField(source="person.pk")
    full_name = serializers.CharField(source="person.full_name")
    surname = serializers.CharField(source="person.surname")
    name = serializers.CharField(source="person.name")
    patronymic = serializers.CharField(source="person.patronymic")
    sex = serializers.CharField(source="person.sex")
    birth_date = serializers.DateField(source="person.birth_date", allow_null=True)
    login = serializers.CharField(source="person.login")
    class_id = serializers.IntegerField(source="school_class.pk", allow_null=True, default=None)
    class_name = serializers.CharField(source="school_class.name", allow_null=True, default=None)


class OrderRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    number = serializers.CharField()
    date = serializers.DateField()


class HistoryOut(serializers.Serializer):
    class_id = serializers.IntegerField(source="school_class_id")
    class_name = serializers.CharField(source="school_class.name")
    year = serializers.CharField(source="school_class.year.name")
    since = serializers.DateField()
    until = serializers.DateField(allow_null=True)
    order_in = OrderRefOut(allow_null=True)
    order_out = OrderRefOut(allow_null=True)


class GuardianOut(serializers.Serializer):
    parent_id = serializers.IntegerField()
    full_name = serializers.CharField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    login = serializers.CharField()
    card = serializers.DictField(child=serializers.CharField())


class StudentDetailOut(serializers.Serializer):
    id = serializers.IntegerField()
    surname = serializers.CharField()
    name = serializers.CharField()
    patronymic = serializers.CharField()
    sex = serializers.CharField()
    birth_date = serializers.DateField(allow_null=True)
    login = serializers.CharField()
    class_id = serializers.IntegerField(allow_null=True)
    class_name = serializers.CharField(allow_null=True)
    card = serializers.DictField(child=serializers.CharField(), help_text="Только поля, которые школа собирает")
    guardians = GuardianOut(many=True)
    history = HistoryOut(many=True)


def _guardians_out(student_id: int, collected: list[str]) -> list[dict[str, Any]]:
    rows = selectors.guardians_of(student_id)
    cards = {c.person_id: c for c in PersonCard.objects.filter(person_id__in=[p.pk for _, p in rows])}
    return [{"parent_id": p.pk, "full_name": p.full_name, "kind": g.kind, "kind_label": g.get_kind_display(), "login": p.login,
             "card": _card_out(p.pk, collected, cards)} for g, p in rows]


def _student_detail(student: Person) -> dict[str, Any]:
    collected = selectors.collected_fields()
    history = selectors.student_history(student.pk)
    current = next((e for e in history if e.until is None), None)
    return StudentDetailOut({
        "id": student.pk, "surname": student.surname, "name": student.name, "patronymic": student.patronymic,
        "sex": student.sex, "birth_date": student.birth_date, "login": student.login,
        "class_id": current.school_class_id if current else None, "class_name": current.school_class.name if current else None,
        "card": _card_out(student.pk, collected), "guardians": _guardians_out(student.pk, collected), "history": history,
    }).data


class NewStudentIn(PersonIn, CardIn, OrderIn):
    login = serializers.CharField(max_length=64, required=False, allow_blank=True, default="",
                                  help_text="Логин, если у ребёнка уже есть учётная запись в районе")
    class_id = serializers.IntegerField()


class StudentListView(generics.GenericAPIView):
    serializer_class = StudentOut

    @extend_schema(responses=StudentOut(many=True), summary="Обучающиеся (поиск, фильтр по классу)", parameters=[
        OpenApiParameter("q", str, description="Часть ФИО или логина"), OpenApiParameter("class_id", int),
        OpenApiParameter("left", bool, description="Выбывшие вместо обучающихся сейчас"),
    ])
    def get(self, request: Request, school_slug: str) -> Any:
        _, _, own = require_class_readers(request)
        params = request.query_params
        class_id = int(params["class_id"]) if params.get("class_id", "").isdigit() else None
        rows = selectors.student_rows(q=params.get("q", "")[:100], class_id=class_id, class_ids=own,
                                      left=params.get("left") in ("1", "true") and own is None)
        page = self.paginate_queryset(rows)  # type: ignore[arg-type]
        return self.get_paginated_response(StudentOut(page, many=True).data)

    @extend_schema(request=NewStudentIn, responses={201: StudentDetailOut}, summary="Зачислить нового обучающегося по приказу")
    def post(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.MOVEMENT)
        data = NewStudentIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        enrolment = services.enrol_student(_actor(request), school, _person_data(v), _class(v["class_id"]), order=_order(v),
                                           on=v.get("on"), card=_card(v))
        return Response(_student_detail(Person.objects.get(pk=enrolment.student_id)), status=status.HTTP_201_CREATED)


class PersonPatchIn(CardIn):
    surname = serializers.CharField(max_length=100, required=False)
    name = serializers.CharField(max_length=100, required=False)
    patronymic = serializers.CharField(max_length=100, required=False, allow_blank=True)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False)
    birth_date = serializers.DateField(required=False)


def _patch_family(request: Request, school: Any, person: Person) -> None:
    data = PersonPatchIn(data=request.data)
    data.is_valid(raise_exception=True)
    v = data.validated_data
    minimum = None
    if any(name in v for name in services.PERSON_MINIMUM):
        merged = {name: v.get(name, getattr(person, name)) for name in services.PERSON_MINIMUM}
        minimum = account_services.PersonData(**merged)
    services.save_family_card(_actor(request), school, person, data=minimum, card=_card(v))


class StudentDetailView(APIView):
    @extend_schema(responses=StudentDetailOut, summary="Обучающийся: карточка, родители, история классов с приказами")
    def get(self, request: Request, school_slug: str, student_id: int) -> Response:
        _, _, student = access_student(request, student_id)
        return Response(_student_detail(student))

    @extend_schema(request=PersonPatchIn, responses=StudentDetailOut, summary="Изменить карточку обучающегося")
    def patch(self, request: Request, school_slug: str, student_id: int) -> Response:
        school, _, student = access_student(request, student_id, "edit")
        _patch_family(request, school, student)
        return Response(_student_detail(Person.objects.get(pk=student.pk)))


# --- guardians and parents -------------------------------------------------------------------------

class GuardianIn(CardIn):
    kind = serializers.ChoiceField(choices=GuardianKind.choices)
    parent_id = serializers.IntegerField(required=False, allow_null=True, help_text="Родитель, уже известный школе")
    login = serializers.CharField(max_length=64, required=False, allow_blank=True, help_text="…или логин его учётной записи")
    surname = serializers.CharField(max_length=100, required=False)
    name = serializers.CharField(max_length=100, required=False)
    patronymic = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    sex = serializers.ChoiceField(choices=Sex.choices, required=False)
    birth_date = serializers.DateField(required=False)


def _parent_from(v: dict[str, Any]) -> Person | account_services.PersonData:
    if v.get("parent_id"):
        person = Person.objects.filter(pk=v["parent_id"]).first() if selectors.is_parent_here(v["parent_id"]) else None
        if person is None:
            raise ValidationFailed("Такого родителя в школе нет.", fields={"parent_id": ["Такого родителя в школе нет."]})
        return person
    if v.get("login") and not v.get("surname"):
        person = Person.objects.filter(login=Person.normalize_login(v["login"]), is_active=True).first()
        if person is None:
            raise ValidationFailed("Учётная запись с таким логином не найдена.", fields={"login": ["Не найдена."]})
        return person
    if not (v.get("surname") and v.get("name")):
        raise ValidationFailed("Укажите parent_id, login или ФИО, пол и дату рождения родителя.",
                               fields={"surname": ["Обязательное поле."], "name": ["Обязательное поле."]})
    return account_services.PersonData(surname=v["surname"], name=v["name"], patronymic=v.get("patronymic", ""),
                                       sex=v.get("sex", ""), birth_date=v.get("birth_date"), login=v.get("login", "") or "")


class GuardianListView(APIView):
    @extend_schema(responses=GuardianOut(many=True), summary="Родители (законные представители) обучающегося")
    def get(self, request: Request, school_slug: str, student_id: int) -> Response:
        _, _, student = access_student(request, student_id)
        return Response(GuardianOut(_guardians_out(student.pk, selectors.collected_fields()), many=True).data)

    @extend_schema(request=GuardianIn, responses={201: GuardianOut}, summary="Добавить родителя (нового или уже известного)")
    def post(self, request: Request, school_slug: str, student_id: int) -> Response:
        school, _, student = access_student(request, student_id, "edit")
        data = GuardianIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        link = services.add_guardian(_actor(request), school, student, _parent_from(v), kind=v["kind"], card=_card(v))
        row = next(r for r in _guardians_out(student.pk, selectors.collected_fields()) if r["parent_id"] == link.parent_id)
        return Response(GuardianOut(row).data, status=status.HTTP_201_CREATED)


class GuardianDetailView(APIView):
    @extend_schema(responses={204: None}, summary="Удалить связь родителя с обучающимся")
    def delete(self, request: Request, school_slug: str, student_id: int, parent_id: int) -> Response:
        school, _, student = access_student(request, student_id, "edit")
        link = Guardianship.objects.filter(student=student, parent_id=parent_id).first()
        if link is None:
            raise ValidationFailed("Этот человек не указан среди законных представителей обучающегося.",
                                   fields={"parent_id": ["Нет такой связи."]})
        services.remove_guardian(_actor(request), school, link)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ChildOut(serializers.Serializer):
    id = serializers.IntegerField()
    full_name = serializers.CharField()
    kind = serializers.CharField()
    class_name = serializers.CharField(allow_null=True)


class ParentOut(serializers.Serializer):
    id = serializers.IntegerField()
    surname = serializers.CharField()
    name = serializers.CharField()
    patronymic = serializers.CharField()
    sex = serializers.CharField()
    birth_date = serializers.DateField(allow_null=True)
    login = serializers.CharField()
    card = serializers.DictField(child=serializers.CharField())
    children = ChildOut(many=True)


def _parent_detail(parent: Person) -> dict[str, Any]:
    children = [{"id": child.pk, "full_name": child.full_name, "kind": g.kind,
                 "class_name": e.school_class.name if e else None} for g, child, e in selectors.children_rows(parent.pk)]
    return ParentOut({"id": parent.pk, "surname": parent.surname, "name": parent.name, "patronymic": parent.patronymic,
                      "sex": parent.sex, "birth_date": parent.birth_date, "login": parent.login,
                      "card": _card_out(parent.pk, selectors.collected_fields()), "children": children}).data


class ParentDetailView(APIView):
    @extend_schema(responses=ParentOut, summary="Родитель: карточка и дети в этой школе")
    def get(self, request: Request, school_slug: str, parent_id: int) -> Response:
        _, _, parent = access_parent(request, parent_id)
        return Response(_parent_detail(parent))

    @extend_schema(request=PersonPatchIn, responses=ParentOut, summary="Изменить карточку родителя")
    def patch(self, request: Request, school_slug: str, parent_id: int) -> Response:
        school, _, parent = access_parent(request, parent_id, "edit")
        _patch_family(request, school, parent)
        return Response(_parent_detail(Person.objects.get(pk=parent.pk)))


# --- staff cards (R-A07) -------------------------------------------------------------------------------

class StaffCardOut(serializers.Serializer):
    person_id = serializers.IntegerField()
    full_name = serializers.CharField()
    sex = serializers.CharField()
    birth_date = serializers.DateField(allow_null=True)
    roles = serializers.ListField(child=serializers.CharField())
    position = serializers.CharField()
    category = serializers.CharField()
    rank = serializers.CharField()
    functions = serializers.CharField()
    diploma_speciality = serializers.CharField()
    hired_on = serializers.DateField(allow_null=True)
    hire_order_number = serializers.CharField()


_CARD_NAMES = ("position", "category", "rank", "functions", "diploma_speciality", "hired_on", "hire_order_number")


def _staff_out(person: Person, card: StaffCard | None, roles: list[str]) -> dict[str, Any]:
    values = {name: getattr(card, name) if card else ("" if name != "hired_on" else None) for name in _CARD_NAMES}
    return StaffCardOut({"person_id": person.pk, "full_name": person.full_name, "sex": person.sex,
                         "birth_date": person.birth_date, "roles": roles, **values}).data


class StaffCardIn(serializers.Serializer):
    position = serializers.CharField(max_length=100)
    category = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    rank = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    functions = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    diploma_speciality = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    hired_on = serializers.DateField(required=False, allow_null=True, default=None)
    hire_order_number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")


class HireIn(PersonIn, StaffCardIn):
    login = serializers.CharField(max_length=64, required=False, allow_blank=True, default="")
    role = serializers.ChoiceField(choices=[(r, Role(r).label) for r in services.HIRE_ROLES], default=Role.TEACHER)


class StaffCardUpdateIn(StaffCardIn):
    surname = serializers.CharField(max_length=100, required=False)
    name = serializers.CharField(max_length=100, required=False)
    patronymic = serializers.CharField(max_length=100, required=False, allow_blank=True)
    sex = serializers.ChoiceField(choices=Sex.choices, required=False)
    birth_date = serializers.DateField(required=False)


def _staff_card_data(v: dict[str, Any]) -> services.StaffCardData:
    return services.StaffCardData(**{name: v[name] for name in _CARD_NAMES})


def _staff_roles(school: Any, person: Person) -> list[str]:
    row = next((r for r in selectors.staff_rows(school) if r.person.pk == person.pk), None)
    return row.roles if row else []


class StaffCardListView(APIView):
    @extend_schema(responses=StaffCardOut(many=True), summary="Сотрудники школы и их личные карты")
    def get(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.VIEW_PEOPLE)
        return Response([_staff_out(r.person, r.card, r.roles) for r in selectors.staff_rows(school)])

    @extend_schema(request=HireIn, responses={201: StaffCardOut}, summary="Принять сотрудника: карточка и роль с даты приказа")
    def post(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.MANAGE_PEOPLE)
        data = HireIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        card = services.hire_staff(_actor(request), school, _person_data(v), _staff_card_data(v), role=v["role"])
        person = Person.objects.get(pk=card.person_id)
        return Response(_staff_out(person, card, _staff_roles(school, person)), status=status.HTTP_201_CREATED)


class StaffCardDetailView(APIView):
    @extend_schema(responses=StaffCardOut, summary="Личная карта сотрудника")
    def get(self, request: Request, school_slug: str, person_id: int) -> Response:
        school, _, person = access_staff(request, person_id)
        return Response(_staff_out(person, StaffCard.objects.filter(person=person).first(), _staff_roles(school, person)))

    @extend_schema(request=StaffCardUpdateIn, responses=StaffCardOut, summary="Заполнить или изменить личную карту сотрудника")
    def put(self, request: Request, school_slug: str, person_id: int) -> Response:
        school, _, person = access_staff(request, person_id, "edit")
        data = StaffCardUpdateIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        minimum = None
        if any(name in v for name in services.PERSON_MINIMUM):
            minimum = account_services.PersonData(**{name: v.get(name, getattr(person, name)) for name in services.PERSON_MINIMUM})
        card = services.save_staff_card(_actor(request), school, person, _staff_card_data(v), data=minimum)
        person.refresh_from_db()
        return Response(_staff_out(person, card, _staff_roles(school, person)))


# --- orders and movement (R-Y06) --------------------------------------------------------------------

class MoveOut(serializers.Serializer):
    student_id = serializers.IntegerField()
    full_name = serializers.CharField()
    move = serializers.CharField(help_text="«5А → 5Б», «→ 5А» (зачисление), «5А →» (выбытие)")


class OrderOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_label = serializers.CharField()
    number = serializers.CharField()
    date = serializers.DateField()
    note = serializers.CharField()
    students = MoveOut(many=True)


class OrderListView(APIView):
    @extend_schema(responses=OrderOut(many=True), summary="Приказы о движении обучающихся",
                   parameters=[OpenApiParameter("kind", str, enum=OrderKind.values)])
    def get(self, request: Request, school_slug: str) -> Response:
        access_school(request, Perm.VIEW_PEOPLE)
        kind = request.query_params.get("kind", "")
        rows = selectors.order_rows(kind=kind if kind in OrderKind.values else "")
        return Response(OrderOut([{
            "id": r.order.pk, "kind": r.order.kind, "kind_label": r.order.get_kind_display(), "number": r.order.number,
            "date": r.order.date, "note": r.order.note,
            "students": [{"student_id": p.pk, "full_name": p.full_name, "move": move} for p, move in r.moves],
        } for r in rows], many=True).data)


class EnrolmentOut(serializers.Serializer):
    student_id = serializers.IntegerField()
    class_id = serializers.IntegerField(source="school_class_id")
    class_name = serializers.CharField(source="school_class.name")
    since = serializers.DateField()
    until = serializers.DateField(allow_null=True)
    order_in = OrderRefOut(allow_null=True)
    order_out = OrderRefOut(allow_null=True)


def _enrolment_out(enrolment: Enrolment) -> dict[str, Any]:
    fresh = Enrolment.objects.select_related("school_class", "order_in", "order_out").get(pk=enrolment.pk)
    return EnrolmentOut(fresh).data  # type: ignore[return-value]


class EnrolIn(OrderIn, CardIn):
    student_id = serializers.IntegerField(required=False, allow_null=True, help_text="Бывший обучающийся этой школы")
    login = serializers.CharField(max_length=64, required=False, allow_blank=True, help_text="…или логин учётной записи в районе")
    class_id = serializers.IntegerField()


class EnrolView(APIView):
    @extend_schema(request=EnrolIn, responses={201: EnrolmentOut}, summary="Зачислить уже известного человека по приказу")
    def post(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.MOVEMENT)
        data = EnrolIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        if v.get("student_id"):
            student = _student(v["student_id"])
        elif v.get("login"):
            found = Person.objects.filter(login=Person.normalize_login(v["login"]), is_active=True).first()
            if found is None:
                raise ValidationFailed("Учётная запись с таким логином не найдена.", fields={"login": ["Не найдена."]})
            student = found
        else:
            raise ValidationFailed("Укажите student_id или login (нового обучающегося зачисляют через POST students/).",
                                   fields={"student_id": ["Обязательное поле."]})
        enrolment = services.enrol_student(_actor(request), school, student, _class(v["class_id"]), order=_order(v),
                                           on=v.get("on"), card=_card(v))
        return Response(_enrolment_out(enrolment), status=status.HTTP_201_CREATED)


class TransferIn(OrderIn):
    student_id = serializers.IntegerField()
    to_class_id = serializers.IntegerField()


class TransferView(APIView):
    @extend_schema(request=TransferIn, responses=EnrolmentOut, summary="Перевести в другой класс по приказу")
    def post(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.MOVEMENT)
        data = TransferIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        enrolment = services.transfer_student(_actor(request), school, _student(v["student_id"]), _class(v["to_class_id"], "to_class_id"),
                                              order=_order(v), on=v.get("on"))
        return Response(_enrolment_out(enrolment))


class LeaveIn(OrderIn):
    student_id = serializers.IntegerField()


class LeaveView(APIView):
    @extend_schema(request=LeaveIn, responses=EnrolmentOut, summary="Выбытие из школы по приказу")
    def post(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.MOVEMENT)
        data = LeaveIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        enrolment = services.leave_school(_actor(request), school, _student(v["student_id"]), order=_order(v), on=v.get("on"))
        return Response(_enrolment_out(enrolment))


# --- the personal-data setting (R-A06) ---------------------------------------------------------------

class PersonalDataOut(serializers.Serializer):
    collect_phone = serializers.BooleanField()
    collect_address = serializers.BooleanField()
    collect_email = serializers.BooleanField()
    collect_snils = serializers.BooleanField()
    stored_not_collected = serializers.DictField(child=serializers.IntegerField(),
                                                 help_text="Сколько карточек ещё хранят отключённое поле")


class PersonalDataIn(serializers.Serializer):
    collect_phone = serializers.BooleanField()
    collect_address = serializers.BooleanField()
    collect_email = serializers.BooleanField()
    collect_snils = serializers.BooleanField()


def _settings_out() -> dict[str, Any]:
    settings = selectors.personal_data_settings()
    return PersonalDataOut({**{name: getattr(settings, name) for name in services.SETTINGS_AUDITED},
                            "stored_not_collected": selectors.stored_but_not_collected(settings)}).data


class PersonalDataView(APIView):
    @extend_schema(responses=PersonalDataOut, summary="Какие персональные данные собирает школа")
    def get(self, request: Request, school_slug: str) -> Response:
        require_class_readers(request)
        return Response(_settings_out())

    @extend_schema(request=PersonalDataIn, responses=PersonalDataOut, summary="Изменить состав персональных данных")
    def put(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.MANAGE_PEOPLE)
        data = PersonalDataIn(data=request.data)
        data.is_valid(raise_exception=True)
        services.update_personal_data_settings(_actor(request), school, **data.validated_data)
        return Response(_settings_out())


class EraseIn(serializers.Serializer):
    field = serializers.ChoiceField(choices=list(selectors.CARD_FIELDS))


class EraseOut(serializers.Serializer):
    field = serializers.CharField()
    erased = serializers.IntegerField()


class PersonalDataEraseView(APIView):
    @extend_schema(request=EraseIn, responses=EraseOut, summary="Удалить из всех карточек поле, которое школа больше не собирает")
    def post(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.MANAGE_PEOPLE)
        data = EraseIn(data=request.data)
        data.is_valid(raise_exception=True)
        erased = services.erase_personal_data_field(_actor(request), school, data.validated_data["field"])
        return Response({"field": data.validated_data["field"], "erased": erased})


# --- credential slips for a class's families (R-P03) ----------------------------------------------

class SlipsIn(serializers.Serializer):
    person_ids = serializers.ListField(child=serializers.IntegerField(), min_length=1, max_length=200)


class IssueSlipsView(APIView):
    @extend_schema(request=SlipsIn, responses={201: SlipOut(many=True)}, summary="Выдать бланки доступа семьям класса")
    def post(self, request: Request, school_slug: str, class_id: int) -> Response:
        school, access, school_class = access_class(request, class_id)
        if not (access.can(Perm.ISSUE_ACCOUNTS, school) or access.is_class_teacher_of(school, class_id)):
            raise PermissionDenied()
        data = SlipsIn(data=request.data)
        data.is_valid(raise_exception=True)
        wanted = set(data.validated_data["person_ids"])
        outside = wanted - selectors.family_person_ids_of_classes([school_class.pk])
        if outside:
            raise ValidationFailed("Эти люди не из этого класса.", fields={"person_ids": [str(i) for i in sorted(outside)]})
        actor: Any = request.user
        with transaction.atomic():
            slips = [account_services.issue_slip(actor, p, school=school) for p in Person.objects.filter(pk__in=wanted).order_by("surname", "name")]
        return Response(SlipOut(slips, many=True).data, status=status.HTTP_201_CREATED)
