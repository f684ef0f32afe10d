"""API of the academic year: /api/v1/schools/<slug>/year/… (R-Y01, R-Y05). Every member
reads the calendar; writes need Perm.SETUP_YEAR and go through services.py."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Perm
from core.access import access_school
from core.errors import NotFound, PermissionDenied, ValidationFailed

from . import selectors, services
from .calendar_service import SchoolCalendar
from .models import AcademicYear, DayOff, DayOffKind, MovedDay, PeriodKind, PeriodScheme
from .selectors import GRADES
from .views import close_from

MAX_CALENDAR_DAYS = 400


def _year(year_id: int) -> AcademicYear:
    year = AcademicYear.objects.filter(pk=year_id).first()
    if year is None:
        raise NotFound("Учебный год не найден.")
    return year


def _actor(request: Request) -> Any:
    return request.user


# --- serializers ------------------------------------------------------------------------------

class YearOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    status = serializers.CharField()
    closed_at = serializers.DateTimeField(allow_null=True)
    close_order_number = serializers.CharField()
    close_order_date = serializers.DateField(allow_null=True)


class YearIn(serializers.Serializer):
    name = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class YearPatchIn(serializers.Serializer):
    name = serializers.CharField(max_length=20, required=False, allow_blank=True)
    starts_on = serializers.DateField(required=False)
    ends_on = serializers.DateField(required=False)


class StudyPeriodOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    name = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class PeriodSchemeOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    grades = serializers.ListField(child=serializers.IntegerField())
    periods = StudyPeriodOut(many=True, source="periods.all")


class StudyPeriodIn(serializers.Serializer):
    name = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class PeriodSchemeIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=PeriodKind.choices)
    grades = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=11), min_length=1, max_length=11)
    periods = StudyPeriodIn(many=True)


class PeriodSchemeSavedOut(PeriodSchemeOut):
    warnings = serializers.ListField(child=serializers.CharField())


class DayOffOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    name = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    grades = serializers.ListField(child=serializers.IntegerField(), help_text="Пусто — вся школа")


class DayOffIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=DayOffKind.choices, default=DayOffKind.VACATION)
    name = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()
    grades = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=11), required=False, default=list)


class DayOffSavedOut(DayOffOut):
    warnings = serializers.ListField(child=serializers.CharField())


class MovedDayOut(serializers.Serializer):
    id = serializers.IntegerField()
    works_on = serializers.DateField(help_text="Учебный день, на который переносятся занятия")
    replaces = serializers.DateField(help_text="День, занятия которого переносятся (в этот день занятий нет)")
    reason = serializers.CharField()
    grades = serializers.ListField(child=serializers.IntegerField(), help_text="Пусто — вся школа")


class MovedDayIn(serializers.Serializer):
    works_on = serializers.DateField()
    replaces = serializers.DateField()
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    grades = serializers.ListField(child=serializers.IntegerField(min_value=1, max_value=11), required=False, default=list,
                                   help_text="Только для этих параллелей; пусто — вся школа")


class WeekLengthRow(serializers.Serializer):
    grade = serializers.IntegerField(min_value=1, max_value=11)
    days = serializers.IntegerField(min_value=5, max_value=6)


class WeekIn(serializers.Serializer):
    weeks = WeekLengthRow(many=True, allow_empty=False)


class YearDetailOut(YearOut):
    schemes = PeriodSchemeOut(many=True)
    days_off = DayOffOut(many=True)
    moved_days = MovedDayOut(many=True)
    weeks = WeekLengthRow(many=True)


def _weeks(week: dict[int, int]) -> list[dict[str, int]]:
    return [{"grade": g, "days": week[g]} for g in GRADES]


def _year_query(request: Request) -> AcademicYear:
    """?year=<id>, or the open year."""
    raw = request.query_params.get("year", "")
    if raw:
        if not raw.isdigit():
            raise ValidationFailed("year — номер учебного года.", fields={"year": ["Ожидается число."]})
        return _year(int(raw))
    year = selectors.current_year()
    if year is None:
        raise NotFound("Открытого учебного года нет.")
    return year


# --- years ------------------------------------------------------------------------------------------

class YearListView(APIView):
    @extend_schema(responses=YearOut(many=True), summary="Учебные годы школы")
    def get(self, request: Request, school_slug: str) -> Response:
        access_school(request)
        return Response(YearOut(selectors.years(), many=True).data)

    @extend_schema(request=YearIn, responses={201: YearOut}, summary="Создать учебный год (когда открытого нет)")
    def post(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.SETUP_YEAR)
        data = YearIn(data=request.data)
        data.is_valid(raise_exception=True)
        year = services.create_year(_actor(request), school, **data.validated_data)
        return Response(YearOut(year).data, status=status.HTTP_201_CREATED)


class YearDetailView(APIView):
    @extend_schema(responses=YearDetailOut, summary="Учебный год: периоды, каникулы, переносы, учебная неделя")
    def get(self, request: Request, school_slug: str, year_id: int) -> Response:
        access_school(request)
        overview = selectors.year_overview(_year(year_id))
        body = {**YearOut(overview.year).data, "schemes": PeriodSchemeOut(overview.schemes, many=True).data,
                "days_off": DayOffOut(overview.days_off, many=True).data,
                "moved_days": MovedDayOut(overview.moved_days, many=True).data, "weeks": _weeks(overview.week)}
        return Response(body)

    @extend_schema(request=YearPatchIn, responses=YearOut, summary="Изменить название или даты открытого года")
    def patch(self, request: Request, school_slug: str, year_id: int) -> Response:
        school, _ = access_school(request, Perm.SETUP_YEAR)
        year = _year(year_id)
        data = YearPatchIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = {"name": year.name, "starts_on": year.starts_on, "ends_on": year.ends_on, **data.validated_data}
        return Response(YearOut(services.update_year(_actor(request), school, year, **v)).data)


# --- study periods --------------------------------------------------------------------------------

def _save_scheme(request: Request, school: Any, year: AcademicYear, scheme: PeriodScheme | None) -> dict[str, Any]:
    data = PeriodSchemeIn(data=request.data)
    data.is_valid(raise_exception=True)
    v = data.validated_data
    result = services.save_scheme(_actor(request), school, year, kind=v["kind"], grades=v["grades"], scheme=scheme,
                                  periods=[services.PeriodDates(p["starts_on"], p["ends_on"], p["name"]) for p in v["periods"]])
    return {**PeriodSchemeOut(result.scheme).data, "warnings": result.warnings}


class SchemeListView(APIView):
    @extend_schema(responses=PeriodSchemeOut(many=True), summary="Схемы учебных периодов года с периодами")
    def get(self, request: Request, school_slug: str, year_id: int) -> Response:
        access_school(request)
        return Response(PeriodSchemeOut(selectors.schemes_of(_year(year_id)), many=True).data)

    @extend_schema(request=PeriodSchemeIn, responses={201: PeriodSchemeSavedOut},
                   summary="Создать схему периодов для параллелей (четверти 4, триместры 3, полугодия 2)")
    def post(self, request: Request, school_slug: str, year_id: int) -> Response:
        school, _ = access_school(request, Perm.SETUP_YEAR)
        return Response(_save_scheme(request, school, _year(year_id), None), status=status.HTTP_201_CREATED)


def _scheme(year: AcademicYear, scheme_id: int) -> PeriodScheme:
    scheme = PeriodScheme.objects.filter(pk=scheme_id, year=year).first()
    if scheme is None:
        raise NotFound("Схема периодов не найдена.")
    return scheme


class SchemeDetailView(APIView):
    @extend_schema(request=PeriodSchemeIn, responses=PeriodSchemeSavedOut, summary="Заменить тип, параллели и даты периодов схемы")
    def put(self, request: Request, school_slug: str, year_id: int, scheme_id: int) -> Response:
        school, _ = access_school(request, Perm.SETUP_YEAR)
        year = _year(year_id)
        return Response(_save_scheme(request, school, year, _scheme(year, scheme_id)))

    @extend_schema(request=None, responses={204: None}, summary="Удалить схему периодов")
    def delete(self, request: Request, school_slug: str, year_id: int, scheme_id: int) -> Response:
        school, _ = access_school(request, Perm.SETUP_YEAR)
        services.delete_scheme(_actor(request), school, _scheme(_year(year_id), scheme_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- days off, moved days, week ------------------------------------------------------------------------

class DayOffListView(APIView):
    @extend_schema(responses=DayOffOut(many=True), summary="Каникулы и дополнительные выходные года")
    def get(self, request: Request, school_slug: str, year_id: int) -> Response:
        access_school(request)
        return Response(DayOffOut(DayOff.objects.filter(year=_year(year_id)).order_by("starts_on", "id"), many=True).data)

    @extend_schema(request=DayOffIn, responses={201: DayOffSavedOut}, summary="Добавить каникулы или выходной (всей школе или параллелям)")
    def post(self, request: Request, school_slug: str, year_id: int) -> Response:
        school, _ = access_school(request, Perm.SETUP_YEAR)
        data = DayOffIn(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.add_day_off(_actor(request), school, _year(year_id), **data.validated_data)
        return Response({**DayOffOut(result.day_off).data, "warnings": result.warnings}, status=status.HTTP_201_CREATED)


class DayOffDetailView(APIView):
    @extend_schema(request=None, responses={204: None}, summary="Удалить каникулы или выходной")
    def delete(self, request: Request, school_slug: str, year_id: int, day_off_id: int) -> Response:
        school, _ = access_school(request, Perm.SETUP_YEAR)
        day_off = DayOff.objects.filter(pk=day_off_id, year=_year(year_id)).first()
        if day_off is None:
            raise NotFound("Запись о каникулах не найдена.")
        services.delete_day_off(_actor(request), school, day_off)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MovedDayListView(APIView):
    @extend_schema(responses=MovedDayOut(many=True), summary="Переносы учебных дней года")
    def get(self, request: Request, school_slug: str, year_id: int) -> Response:
        access_school(request)
        return Response(MovedDayOut(MovedDay.objects.filter(year=_year(year_id)).order_by("works_on"), many=True).data)

    @extend_schema(request=MovedDayIn, responses={201: MovedDayOut},
                   summary="Перенести учебный день (не позднее чем за 3 рабочих дня)")
    def post(self, request: Request, school_slug: str, year_id: int) -> Response:
        school, _ = access_school(request, Perm.SETUP_YEAR)
        data = MovedDayIn(data=request.data)
        data.is_valid(raise_exception=True)
        moved = services.add_moved_day(_actor(request), school, _year(year_id), **data.validated_data)
        return Response(MovedDayOut(moved).data, status=status.HTTP_201_CREATED)


class MovedDayDetailView(APIView):
    @extend_schema(request=None, responses={204: None}, summary="Отменить перенос учебного дня")
    def delete(self, request: Request, school_slug: str, year_id: int, moved_day_id: int) -> Response:
        school, _ = access_school(request, Perm.SETUP_YEAR)
        moved = MovedDay.objects.filter(pk=moved_day_id, year=_year(year_id)).first()
        if moved is None:
            raise NotFound("Перенос не найден.")
        services.delete_moved_day(_actor(request), school, moved)
        return Response(status=status.HTTP_204_NO_CONTENT)


class WeekView(APIView):
    @extend_schema(responses=WeekLengthRow(many=True), summary="Дней в учебной неделе по параллелям")
    def get(self, request: Request, school_slug: str, year_id: int) -> Response:
        access_school(request)
        return Response(_weeks(selectors.week_lengths_of(_year(year_id))))

    @extend_schema(request=WeekIn, responses=WeekLengthRow(many=True), summary="Задать 5- или 6-дневную неделю параллелям")
    def put(self, request: Request, school_slug: str, year_id: int) -> Response:
        school, _ = access_school(request, Perm.SETUP_YEAR)
        data = WeekIn(data=request.data)
        data.is_valid(raise_exception=True)
        weeks = services.set_week_lengths(_actor(request), school, _year(year_id),
                                          {row["grade"]: row["days"] for row in data.validated_data["weeks"]})
        return Response(_weeks(weeks))


# --- the calendar --------------------------------------------------------------------------------------

CalendarQuery = type("CalendarQuery", (serializers.Serializer,), {
    "from": serializers.DateField(required=False, help_text="Первый день; по умолчанию — начало учебного года"),
    "to": serializers.DateField(required=False, help_text="Последний день; по умолчанию — окончание учебного года"),
    "grade": serializers.IntegerField(min_value=1, max_value=11, required=False, help_text="Параллель; без неё — школа в целом"),
    "year": serializers.IntegerField(required=False, help_text="Учебный год; по умолчанию — содержащий from"),
})


class SchoolDayOut(serializers.Serializer):
    date = serializers.DateField()
    timetable_weekday = serializers.IntegerField(help_text="Расписание какого дня недели (1 — понедельник)")
    note = serializers.CharField(help_text="Перенос или рабочая суббота; пусто — обычный день")


class SchoolCalendarOut(serializers.Serializer):
    year = serializers.IntegerField()
    grade = serializers.IntegerField(allow_null=True)
    count = serializers.IntegerField()
    school_days = SchoolDayOut(many=True)


class CalendarView(APIView):
    @extend_schema(parameters=[CalendarQuery], responses=SchoolCalendarOut, summary="Учебные дни за период (для параллели)")
    def get(self, request: Request, school_slug: str) -> Response:
        access_school(request)
        query = CalendarQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        grade = q.get("grade")
        days = [d for d in (q.get("from"), q.get("to")) if d]
        year: AcademicYear | None
        if q.get("year"):
            year = _year(q["year"])
        else:  # the year of `from` (or of `to`), or the open one
            year = next((y for y in map(selectors.year_for_date, days) if y), None) if days else selectors.current_year()
        if year is None:
            raise NotFound("Нет учебного года, в который попадают эти даты.")
        start, end = q.get("from") or year.starts_on, q.get("to") or year.ends_on
        if end < start or (end - start).days > MAX_CALENDAR_DAYS:
            raise ValidationFailed(f"Период: from не позже to и не длиннее {MAX_CALENDAR_DAYS} дней.", fields={"to": ["Неверный период."]})
        calendar = SchoolCalendar.for_year(year)
        days = [{"date": d.date, "timetable_weekday": d.timetable_weekday, "note": d.reason}
                for d in calendar.days(start, end, grade) if d.school_day]
        return Response({"year": year.pk, "grade": grade, "count": len(days), "school_days": days})


# --- closing the year ----------------------------------------------------------------------------------

class CloseClassPlanOut(serializers.Serializer):
    class_id = serializers.IntegerField(source="school_class.pk")
    name = serializers.CharField(source="school_class.name")
    students = serializers.IntegerField(source="student_count")
    promoted = serializers.IntegerField(source="promoted_count")
    graduates = serializers.IntegerField(source="graduate_count")
    repeating = serializers.IntegerField(source="repeat_count")
    leaving = serializers.IntegerField(source="leave_count")
    target = serializers.CharField(help_text="Класс нового года; пусто — выпуск")


class ClosePreviewOut(serializers.Serializer):
    year = YearOut()
    promoted = serializers.IntegerField()
    graduates = serializers.IntegerField()
    repeating = serializers.IntegerField()
    leaving = serializers.IntegerField()
    classes = CloseClassPlanOut(many=True)
    new_classes = serializers.ListField(child=serializers.CharField())
    unknown_repeaters = serializers.ListField(child=serializers.IntegerField())
    warnings = serializers.ListField(child=serializers.CharField())
    new_year = serializers.DictField()


class CloseIn(serializers.Serializer):
    year = serializers.IntegerField(help_text="Закрываемый (открытый) учебный год: повторный запрос найдёт его закрытым")
    order_number = serializers.CharField(max_length=40, help_text="Номер приказа директора о переводе")
    order_date = serializers.DateField()
    repeaters = serializers.ListField(child=serializers.IntegerField(), required=False, default=list,
                                      help_text="Обучающиеся, оставляемые на повторное обучение")
    new_name = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    new_starts_on = serializers.DateField(required=False, help_text="По умолчанию — те же даты через год")
    new_ends_on = serializers.DateField(required=False)
    graduation_order_number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    graduation_order_date = serializers.DateField(required=False, allow_null=True, default=None)
    repeat_order_number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="")
    repeat_order_date = serializers.DateField(required=False, allow_null=True, default=None)
    leavers = serializers.ListField(child=serializers.IntegerField(), required=False, default=list,
                                    help_text="Обучающиеся, выбывающие по окончании года (например, после 9 класса)")
    leaving_order_number = serializers.CharField(max_length=40, required=False, allow_blank=True, default="",
                                                 help_text="Приказ о выбытии выбывающих: номер")
    leaving_order_date = serializers.DateField(required=False, allow_null=True, default=None)


class CloseOrderOut(serializers.Serializer):
    kind = serializers.CharField()
    number = serializers.CharField()
    date = serializers.DateField()


class CloseOut(serializers.Serializer):
    closed_year = serializers.CharField()
    new_year = serializers.CharField()
    new_year_id = serializers.IntegerField()
    continued = serializers.DictField(child=serializers.CharField())
    classes_created = serializers.ListField(child=serializers.CharField())
    promoted = serializers.IntegerField()
    graduated = serializers.IntegerField()
    repeating = serializers.IntegerField()
    left = serializers.IntegerField()
    memberships_ended = serializers.IntegerField()
    curriculum_lines = serializers.IntegerField()
    assignments = serializers.IntegerField()
    orders = CloseOrderOut(many=True)
    warnings = serializers.ListField(child=serializers.CharField())


def _require_close(request: Request, school: Any) -> None:
    if not services.may_close_year(_actor(request), school):
        raise PermissionDenied("Закрыть учебный год может администратор ЭЖ или директор: нужны права на приказы о движении обучающихся.")


def _open_year() -> AcademicYear:
    year = selectors.current_year()
    if year is None:
        raise NotFound("Открытого учебного года нет.")
    return year


class CloseView(APIView):
    @extend_schema(responses=ClosePreviewOut, summary="Что произойдёт при закрытии года (?repeaters=1,2&leavers=3)")
    def get(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.SETUP_YEAR)
        _require_close(request, school)
        year = _open_year()
        repeaters = {int(x) for x in request.query_params.get("repeaters", "").split(",") if x.strip().isdigit()}
        leavers = {int(x) for x in request.query_params.get("leavers", "").split(",") if x.strip().isdigit()}
        plan = selectors.close_plan(year, repeaters, today=services.today(), leavers=leavers)
        nxt = services.default_next_year(year)
        return Response({
            "year": YearOut(year).data, "promoted": plan.promoted, "graduates": plan.graduates, "repeating": plan.repeating, "leaving": plan.leaving,
            "classes": CloseClassPlanOut(plan.classes, many=True).data, "new_classes": plan.new_classes,
            "unknown_repeaters": plan.unknown_repeaters, "warnings": plan.warnings,
            "new_year": {"name": nxt.name, "starts_on": nxt.starts_on.isoformat(), "ends_on": nxt.ends_on.isoformat()},
        })

    @extend_schema(request=CloseIn, responses=CloseOut, summary="Закрыть учебный год по приказу директора и открыть следующий")
    def post(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.SETUP_YEAR)
        _require_close(request, school)
        data = CloseIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        summary = close_from(_actor(request), school, _year(v["year"]), v, set(v["repeaters"]), set(v["leavers"]))
        return Response({**summary.as_dict(), "new_year_id": summary.new_year.pk, "warnings": summary.warnings})


class ReopenIn(serializers.Serializer):
    reason = serializers.CharField(max_length=300, help_text="Основание: приказ директора об отмене приказа о переводе")


class ReopenOut(serializers.Serializer):
    year = YearOut()
    removed_year = serializers.CharField()
    enrolments_restored = serializers.IntegerField()
    orders_cancelled = serializers.ListField(child=serializers.CharField())
    roles_restored = serializers.IntegerField()


class ReopenView(APIView):
    @extend_schema(request=ReopenIn, responses=ReopenOut,
                   summary="Отменить закрытие учебного года (пока в следующем году нет записей журнала и приказов)")
    def post(self, request: Request, school_slug: str, year_id: int) -> Response:
        school, _ = access_school(request, Perm.SETUP_YEAR)
        data = ReopenIn(data=request.data)
        data.is_valid(raise_exception=True)
        summary = services.reopen_year(_actor(request), school, _year(year_id), reason=data.validated_data["reason"])
        return Response({"year": YearOut(summary.year).data, "removed_year": summary.removed_year,
                         "enrolments_restored": summary.enrolments_restored, "orders_cancelled": summary.orders_cancelled,
                         "roles_restored": summary.roles_restored})
