"""API of the curriculum app under /api/v1/schools/<slug>/curriculum/ (R-Y03): subjects and
educational areas, curriculum lines (one class or a whole parallel), teaching assignments
and the "hours without a teacher" check. Thin: the same services and selectors as the pages."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, TypeVar

from django.db import models
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Person
from accounts.roles import Perm
from core.access import access_school
from core.errors import NotFound, ValidationFailed
from roster.models import SchoolClass, Subgroup
from schoolyear.models import AcademicYear
from schoolyear.selectors import current_year

from . import selectors, services
from .access import access_class, access_overview, access_staff, reads_everything
from .models import CurriculumPart, EducationalArea, Subject

M = TypeVar("M", bound=models.Model)
def hours_field(**kwargs: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=4, decimal_places=1, min_value=Decimal("0.5"), max_value=Decimal(40), **kwargs)


def fetch(qs: models.QuerySet[M], pk: Any, *, field: str | None = None, message: str = "Не найдено.") -> M:
    """One object by id, or NotFound (an id in the path) / ValidationFailed on `field`
    (an id in the body)."""
    obj = qs.filter(pk=pk).first() if pk is not None else None
    if obj is None:
        if field:
            raise ValidationFailed(message, fields={field: [message]})
        raise NotFound(message)
    return obj


def data_of(serializer_class: type[serializers.Serializer], request: Request, *, partial: bool = False) -> dict[str, Any]:
    s = serializer_class(data=request.data, partial=partial)
    s.is_valid(raise_exception=True)
    return dict(s.validated_data)


def year_param(request: Request) -> AcademicYear | None:
    wanted = request.query_params.get("year_id", "")
    if wanted.isdigit():
        return fetch(AcademicYear.objects.all(), int(wanted), message="Учебный год не найден.")
    return current_year()


def int_param(request: Request, name: str) -> int | None:
    value = request.query_params.get(name, "")
    if value and not value.isdigit():
        raise ValidationFailed(f"Параметр {name} должен быть числом.", fields={name: ["Должно быть числом."]})
    return int(value) if value else None


# --- areas and subjects ---------------------------------------------------------------------------

class AreaOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class AreaIn(serializers.Serializer):
    name = serializers.CharField(max_length=120)


class AreaListView(APIView):
    @extend_schema(responses=AreaOut(many=True), summary="Образовательные области")
    def get(self, request: Request, school_slug: str) -> Response:
        access_staff(request)
        return Response(AreaOut(selectors.areas(), many=True).data)

    @extend_schema(request=AreaIn, responses={201: AreaOut}, summary="Добавить образовательную область")
    def post(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.MANAGE_CURRICULUM)
        area = services.create_area(request.user, school, data_of(AreaIn, request)["name"])  # type: ignore[arg-type]
        return Response(AreaOut(area).data, status=status.HTTP_201_CREATED)


class AreaDetailView(APIView):
    @extend_schema(request=AreaIn, responses=AreaOut, summary="Переименовать образовательную область")
    def patch(self, request: Request, school_slug: str, area_id: int) -> Response:
        school, _ = access_school(request, Perm.MANAGE_CURRICULUM)
        area = fetch(EducationalArea.objects.all(), area_id, message="Образовательная область не найдена.")
        area = services.rename_area(request.user, school, area, data_of(AreaIn, request)["name"])  # type: ignore[arg-type]
        return Response(AreaOut(area).data)

    @extend_schema(request=None, responses={204: None}, summary="Удалить образовательную область (без предметов)")
    def delete(self, request: Request, school_slug: str, area_id: int) -> Response:
        school, _ = access_school(request, Perm.MANAGE_CURRICULUM)
        area = fetch(EducationalArea.objects.all(), area_id, message="Образовательная область не найдена.")
        services.delete_area(request.user, school, area)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class SubjectOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    short_name = serializers.CharField()
    area_id = serializers.IntegerField(allow_null=True)
    area = serializers.CharField(source="area.name", allow_null=True, default=None)
    is_extracurricular = serializers.BooleanField()


class SubjectIn(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    short_name = serializers.CharField(max_length=30, required=False, allow_blank=True, default="")
    area_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    is_extracurricular = serializers.BooleanField(required=False, default=False)


def _subject_data(v: dict[str, Any], current: Subject | None = None) -> services.SubjectData:
    area_id = v["area_id"] if "area_id" in v else (current.area_id if current else None)
    area = fetch(EducationalArea.objects.all(), area_id, field="area_id", message="Образовательная область не найдена.") \
        if area_id is not None else None
    return services.SubjectData(
        name=v.get("name", current.name if current else ""), short_name=v.get("short_name", current.short_name if current else ""),
        area=area, is_extracurricular=v.get("is_extracurricular", current.is_extracurricular if current else False))


class SubjectListView(APIView):
    @extend_schema(responses=SubjectOut(many=True), summary="Предметы школы")
    def get(self, request: Request, school_slug: str) -> Response:
        access_staff(request)
        return Response(SubjectOut(selectors.subjects(), many=True).data)

    @extend_schema(request=SubjectIn, responses={201: SubjectOut}, summary="Добавить предмет")
    def post(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.MANAGE_CURRICULUM)
        subject = services.create_subject(request.user, school, _subject_data(data_of(SubjectIn, request)))  # type: ignore[arg-type]
        return Response(SubjectOut(subject).data, status=status.HTTP_201_CREATED)


class SubjectDetailView(APIView):
    @extend_schema(request=SubjectIn, responses=SubjectOut, summary="Изменить предмет")
    def patch(self, request: Request, school_slug: str, subject_id: int) -> Response:
        school, _ = access_school(request, Perm.MANAGE_CURRICULUM)
        subject = fetch(Subject.objects.select_related("area"), subject_id, message="Предмет не найден.")
        v = data_of(SubjectIn, request, partial=True)
        subject = services.update_subject(request.user, school, subject, _subject_data(v, subject))  # type: ignore[arg-type]
        return Response(SubjectOut(subject).data)

    @extend_schema(request=None, responses={204: None}, summary="Удалить предмет (если он нигде не используется)")
    def delete(self, request: Request, school_slug: str, subject_id: int) -> Response:
        school, _ = access_school(request, Perm.MANAGE_CURRICULUM)
        subject = fetch(Subject.objects.all(), subject_id, message="Предмет не найден.")
        services.delete_subject(request.user, school, subject)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- curriculum lines -------------------------------------------------------------------------------

class LineOut(serializers.Serializer):
    id = serializers.IntegerField()
    class_id = serializers.IntegerField(source="school_class_id")
    class_name = serializers.CharField(source="school_class.name")
    subject_id = serializers.IntegerField()
    subject = serializers.CharField(source="subject.name")
    part = serializers.ChoiceField(choices=CurriculumPart.choices)
    hours_per_week = serializers.DecimalField(max_digits=4, decimal_places=1)


class LineIn(serializers.Serializer):
    class_id = serializers.IntegerField()
    subject_id = serializers.IntegerField()
    part = serializers.ChoiceField(choices=CurriculumPart.choices, default=CurriculumPart.MANDATORY)
    hours_per_week = hours_field()


class LinePatch(serializers.Serializer):
    hours_per_week = hours_field()
    part = serializers.ChoiceField(choices=CurriculumPart.choices, required=False)


class TotalsOut(serializers.Serializer):
    mandatory = serializers.DecimalField(max_digits=5, decimal_places=1)
    elective = serializers.DecimalField(max_digits=5, decimal_places=1)
    extracurricular = serializers.DecimalField(max_digits=5, decimal_places=1)
    classroom = serializers.DecimalField(max_digits=5, decimal_places=1, help_text="Обязательная + формируемая часть")
    total = serializers.DecimalField(max_digits=5, decimal_places=1)
    max_allowed = serializers.IntegerField(help_text="Максимум аудиторной нагрузки по СанПиН 1.2.3685-21")
    over_limit = serializers.BooleanField()


class ClassPlanOut(serializers.Serializer):
    class_id = serializers.IntegerField(source="school_class.pk")
    class_name = serializers.CharField(source="school_class.name")
    lines = LineOut(many=True)
    totals = TotalsOut()


class LineListView(APIView):
    @extend_schema(parameters=[OpenApiParameter("class_id", int), OpenApiParameter("year_id", int)],
                   responses=LineOut(many=True), summary="Строки учебного плана (класса или всей школы)")
    def get(self, request: Request, school_slug: str) -> Response:
        class_id = int_param(request, "class_id")
        if class_id is not None:
            _, _, school_class = access_class(request, class_id)
            return Response(LineOut(selectors.lines().filter(school_class=school_class), many=True).data)
        access_overview(request)
        year = year_param(request)
        return Response(LineOut(selectors.lines().filter(school_class__year=year).order_by(
            "school_class__grade", "school_class__letter", "subject__name"), many=True).data)

    @extend_schema(request=LineIn, responses={201: LineOut}, summary="Часы предмета в классе (создать или изменить)")
    def post(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.MANAGE_CURRICULUM)
        v = data_of(LineIn, request)
        school_class = fetch(SchoolClass.objects.select_related("year"), v["class_id"], field="class_id", message="Класс не найден.")
        subject = fetch(Subject.objects.all(), v["subject_id"], field="subject_id", message="Предмет не найден.")
        line = services.set_line(request.user, school, school_class, subject, hours=v["hours_per_week"], part=v["part"])  # type: ignore[arg-type]
        return Response(LineOut(line).data, status=status.HTTP_201_CREATED)


class LineDetailView(APIView):
    @extend_schema(request=LinePatch, responses=LineOut, summary="Изменить часы строки учебного плана")
    def patch(self, request: Request, school_slug: str, line_id: int) -> Response:
        school, _ = access_school(request, Perm.MANAGE_CURRICULUM)
        line = fetch(selectors.lines(), line_id, message="Строка учебного плана не найдена.")
        v = data_of(LinePatch, request)
        line = services.update_line(request.user, school, line, hours=v["hours_per_week"], part=v.get("part"))  # type: ignore[arg-type]
        return Response(LineOut(line).data)

    @extend_schema(request=None, responses={204: None}, summary="Убрать предмет из учебного плана класса")
    def delete(self, request: Request, school_slug: str, line_id: int) -> Response:
        school, _ = access_school(request, Perm.MANAGE_CURRICULUM)
        line = fetch(selectors.lines(), line_id, message="Строка учебного плана не найдена.")
        services.delete_line(request.user, school, line)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class ClassPlanView(APIView):
    @extend_schema(responses=ClassPlanOut, summary="Учебный план класса с итогами по частям")
    def get(self, request: Request, school_slug: str, class_id: int) -> Response:
        _, _, school_class = access_class(request, class_id)
        return Response(ClassPlanOut(selectors.class_plan(school_class)).data)


class ParallelRowOut(serializers.Serializer):
    subject_id = serializers.IntegerField(source="subject.pk")
    subject = serializers.CharField(source="subject.name")
    part = serializers.CharField()
    hours = serializers.ListField(child=serializers.DecimalField(max_digits=4, decimal_places=1, allow_null=True))


class ClassRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ParallelOut(serializers.Serializer):
    grade = serializers.IntegerField()
    classes = ClassRefOut(many=True)
    rows = ParallelRowOut(many=True)
    totals = serializers.SerializerMethodField()

    def get_totals(self, obj: selectors.ParallelPlan) -> list[dict[str, Any]]:
        return [dict(TotalsOut(p.totals).data, class_id=p.school_class.pk) for p in obj.plans]


class PlanItemIn(serializers.Serializer):
    subject_id = serializers.IntegerField()
    part = serializers.ChoiceField(choices=CurriculumPart.choices, default=CurriculumPart.MANDATORY)
    hours_per_week = hours_field()


class ParallelIn(serializers.Serializer):
    lines = PlanItemIn(many=True, allow_empty=False)
    replace = serializers.BooleanField(default=False, help_text="Удалить у классов строки, которых нет в плане")


class ParallelView(APIView):
    @extend_schema(parameters=[OpenApiParameter("year_id", int)], responses=ParallelOut,
                   summary="Учебный план параллели: предметы × классы, итоги")
    def get(self, request: Request, school_slug: str, grade: int) -> Response:
        access_overview(request)
        year = year_param(request)
        if year is None:
            raise NotFound("Учебный год не открыт.")
        return Response(ParallelOut(selectors.parallel_plan(year, grade)).data)

    @extend_schema(request=ParallelIn, responses=ParallelOut, summary="Один план для всех классов параллели")
    def post(self, request: Request, school_slug: str, grade: int) -> Response:
        school, _ = access_school(request, Perm.MANAGE_CURRICULUM)
        year = year_param(request)
        if year is None:
            raise NotFound("Учебный год не открыт.")
        v = data_of(ParallelIn, request)
        subjects = Subject.objects.in_bulk([item["subject_id"] for item in v["lines"]])
        missing = sorted({item["subject_id"] for item in v["lines"]} - set(subjects))
        if missing:
            raise ValidationFailed("Предмет не найден.", fields={"lines": [f"Нет предмета с id {i}." for i in missing]})
        items = [services.PlanItem(subject=subjects[i["subject_id"]], hours=i["hours_per_week"], part=i["part"]) for i in v["lines"]]
        services.apply_to_parallel(request.user, school, year, grade, items, replace=v["replace"])  # type: ignore[arg-type]
        return Response(ParallelOut(selectors.parallel_plan(year, grade)).data)


# --- teaching assignments ------------------------------------------------------------------------

class AssignmentOut(serializers.Serializer):
    id = serializers.IntegerField()
    teacher_id = serializers.IntegerField()
    teacher = serializers.CharField(source="teacher.full_name")
    subject_id = serializers.IntegerField()
    subject = serializers.CharField(source="subject.name")
    class_id = serializers.IntegerField(source="school_class_id")
    class_name = serializers.CharField(source="school_class.name")
    subgroup_id = serializers.IntegerField(allow_null=True)
    subgroup = serializers.CharField(source="subgroup.name", allow_null=True, default=None)
    hours_per_week = serializers.DecimalField(max_digits=4, decimal_places=1)


class AssignmentIn(serializers.Serializer):
    teacher_id = serializers.IntegerField()
    subject_id = serializers.IntegerField()
    class_id = serializers.IntegerField()
    subgroup_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    hours_per_week = hours_field()


class AssignmentPatch(serializers.Serializer):
    hours_per_week = hours_field(required=False)
    teacher_id = serializers.IntegerField(required=False)


class AssignmentListView(APIView):
    @extend_schema(parameters=[OpenApiParameter("class_id", int), OpenApiParameter("teacher_id", int), OpenApiParameter("year_id", int)],
                   responses=AssignmentOut(many=True),
                   summary="Педагогическая нагрузка (учителю без права просмотра всей школы — только своя)")
    def get(self, request: Request, school_slug: str) -> Response:
        school, access = access_staff(request)
        qs = selectors.assignments().filter(school_class__year=year_param(request))
        if not reads_everything(access, school):
            qs = qs.filter(teacher_id=request.user.pk)
        for name, field in (("class_id", "school_class_id"), ("teacher_id", "teacher_id")):
            value = int_param(request, name)
            if value is not None:
                qs = qs.filter(**{field: value})
        return Response(AssignmentOut(qs, many=True).data)

    @extend_schema(request=AssignmentIn, responses={201: AssignmentOut}, summary="Назначить учителю предмет в классе или подгруппе")
    def post(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.MANAGE_CURRICULUM)
        v = data_of(AssignmentIn, request)
        school_class = fetch(SchoolClass.objects.select_related("year"), v["class_id"], field="class_id", message="Класс не найден.")
        data = services.AssignmentData(
            teacher=fetch(Person.objects.all(), v["teacher_id"], field="teacher_id", message="Учитель не найден."),
            subject=fetch(Subject.objects.all(), v["subject_id"], field="subject_id", message="Предмет не найден."),
            school_class=school_class, hours=v["hours_per_week"],
            subgroup=fetch(Subgroup.objects.all(), v["subgroup_id"], field="subgroup_id", message="Подгруппа не найдена.")
            if v["subgroup_id"] is not None else None,
        )
        assignment = services.assign_teacher(request.user, school, data)  # type: ignore[arg-type]
        return Response(AssignmentOut(selectors.assignments().get(pk=assignment.pk)).data, status=status.HTTP_201_CREATED)


class AssignmentDetailView(APIView):
    @extend_schema(request=AssignmentPatch, responses=AssignmentOut, summary="Изменить часы или передать другому учителю")
    def patch(self, request: Request, school_slug: str, assignment_id: int) -> Response:
        school, _ = access_school(request, Perm.MANAGE_CURRICULUM)
        assignment = fetch(selectors.assignments(), assignment_id, message="Назначение не найдено.")
        v = data_of(AssignmentPatch, request)
        teacher = fetch(Person.objects.all(), v["teacher_id"], field="teacher_id", message="Учитель не найден.") \
            if v.get("teacher_id") is not None else None
        services.update_assignment(request.user, school, assignment, hours=v.get("hours_per_week"), teacher=teacher)  # type: ignore[arg-type]
        return Response(AssignmentOut(selectors.assignments().get(pk=assignment.pk)).data)

    @extend_schema(request=None, responses={204: None}, summary="Снять назначение")
    def delete(self, request: Request, school_slug: str, assignment_id: int) -> Response:
        school, _ = access_school(request, Perm.MANAGE_CURRICULUM)
        assignment = fetch(selectors.assignments(), assignment_id, message="Назначение не найдено.")
        services.delete_assignment(request.user, school, assignment)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- the check ------------------------------------------------------------------------------------

class GapOut(serializers.Serializer):
    class_id = serializers.IntegerField(source="school_class.pk")
    class_name = serializers.CharField(source="school_class.name")
    subject_id = serializers.IntegerField(source="subject.pk")
    subject = serializers.CharField(source="subject.name")
    subgroup_id = serializers.IntegerField(source="subgroup.pk", allow_null=True, default=None)
    subgroup = serializers.CharField(source="subgroup.name", allow_null=True, default=None)
    planned = serializers.DecimalField(max_digits=5, decimal_places=1)
    assigned = serializers.DecimalField(source="covered", max_digits=5, decimal_places=1)
    missing = serializers.DecimalField(max_digits=5, decimal_places=1)
    surplus = serializers.DecimalField(max_digits=5, decimal_places=1)


class TeacherLoadOut(serializers.Serializer):
    teacher_id = serializers.IntegerField(source="teacher.pk")
    teacher = serializers.CharField(source="teacher.full_name")
    total = serializers.DecimalField(max_digits=5, decimal_places=1)
    rates = serializers.DecimalField(max_digits=5, decimal_places=2, help_text="В ставках (18 ч в неделю)")
    items = AssignmentOut(many=True)


class LoadCheckOut(serializers.Serializer):
    unassigned_hours = serializers.DecimalField(max_digits=6, decimal_places=1)
    unassigned = GapOut(many=True)
    surplus = GapOut(many=True)
    teachers = TeacherLoadOut(many=True)


class LoadCheckView(APIView):
    @extend_schema(parameters=[OpenApiParameter("year_id", int)], responses=LoadCheckOut,
                   summary="Часы учебного плана без учителя и нагрузка учителей")
    def get(self, request: Request, school_slug: str) -> Response:
        access_overview(request)
        return Response(LoadCheckOut(selectors.load_check(year_param(request))).data)
