"""The diary's API for a mobile client (R-D01, R-D04, R-D05): the family's children across the
district, a child's week, marks by subject, homework and the forecast. Read-only; each endpoint
authorises first (diary.access: the child must be the reader or the reader's own child, else 403
recorded as access.refused) and reads through diary.selectors, as the pages do. The teacher's
notebook never appears here (R-J10)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import ValidationFailed
from journal import rules
from journal.api_attachments import attachment_api_url

from . import selectors
from .access import access_child
from .family import family_children
from .forecast import advice

HOMEWORK_DAYS = 7
MAX_RANGE_DAYS = 62


def _date(request: Request, name: str) -> dt.date | None:
    raw = request.query_params.get(name)
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationFailed("Дата в формате ГГГГ-ММ-ДД.", fields={name: ["Неверная дата."]}) from None


# --- shapes -------------------------------------------------------------------------------------

class DiaryChildOut(serializers.Serializer):
    school = serializers.CharField(source="school_slug", help_text="Адрес школы в API: /api/v1/schools/<school>/diary/<id>/…")
    school_name = serializers.CharField()
    id = serializers.IntegerField(source="child_id")
    name = serializers.CharField()
    class_name = serializers.CharField()
    is_self = serializers.BooleanField(help_text="Это сам читающий (обучающийся)")


class DiaryMarkOut(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField(help_text="«5», «зач», «незач», «осв»")
    value = serializers.IntegerField(allow_null=True)
    kind = serializers.CharField()
    work_type = serializers.CharField(help_text="За какую работу")
    weight = serializers.DecimalField(max_digits=3, decimal_places=1)
    topic = serializers.CharField()
    date = serializers.DateField()
    subject_id = serializers.IntegerField()
    subject = serializers.CharField()
    lesson_id = serializers.IntegerField()


class DiaryFileOut(serializers.Serializer):
    id = serializers.IntegerField()
    purpose = serializers.CharField(help_text="material — материал урока, homework — к домашнему заданию")
    name = serializers.CharField()
    size = serializers.IntegerField(help_text="Байт")
    url = serializers.SerializerMethodField(help_text="Скачать (с проверкой доступа)")

    def get_url(self, obj: selectors.DiaryFile) -> str:
        return attachment_api_url(self.context["school_slug"], obj.id)


class DiaryLessonOut(serializers.Serializer):
    date = serializers.DateField()
    number = serializers.IntegerField()
    subject_id = serializers.IntegerField()
    subject = serializers.CharField()
    teacher = serializers.CharField()
    room = serializers.CharField()
    subgroup = serializers.CharField()
    starts_at = serializers.TimeField(allow_null=True)
    ends_at = serializers.TimeField(allow_null=True)
    substitution = serializers.CharField()
    in_timetable = serializers.BooleanField()
    lesson_id = serializers.IntegerField(allow_null=True, help_text="Запись урока в журнале (null — урок ещё не записан)")
    topic = serializers.CharField()
    homework = serializers.CharField()
    individual_homework = serializers.CharField()
    attendance = serializers.CharField(help_text="«absent», «late» или пусто")
    absence_reason = serializers.CharField()
    marks = DiaryMarkOut(many=True)
    files = DiaryFileOut(many=True, help_text="Файлы урока: материал и к домашнему заданию (R-J01)")


class DiaryDayOut(serializers.Serializer):
    date = serializers.DateField()
    is_school_day = serializers.BooleanField()
    reason = serializers.CharField(help_text="Почему нет уроков или что особенного в этот день")
    lessons = DiaryLessonOut(many=True)


class DiaryWeekOut(serializers.Serializer):
    child = serializers.IntegerField()
    school_class = serializers.CharField()
    monday = serializers.DateField()
    previous = serializers.DateField()
    next = serializers.DateField()
    days = DiaryDayOut(many=True)


class ForecastOut(serializers.Serializer):
    count = serializers.IntegerField()
    plain = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True, help_text="Средний балл")
    weighted = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True, help_text="Средневзвешенный балл")
    basis = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True, help_text="Балл, по которому журнал предлагает отметку")
    expected = serializers.IntegerField(allow_null=True, help_text="Ожидаемая отметка за период (правило округления журнала)")
    next_mark = serializers.IntegerField(allow_null=True)
    fives_needed = serializers.IntegerField(allow_null=True, help_text="Сколько ещё «5» обычного веса до следующей отметки")
    fours_needed = serializers.IntegerField(allow_null=True, help_text="Сколько ещё «4» обычного веса до следующей отметки")
    min_marks = serializers.IntegerField()
    short_of_marks = serializers.IntegerField()
    advice = serializers.CharField()


class SubjectMarksOut(serializers.Serializer):
    subject_id = serializers.IntegerField()
    subject = serializers.CharField()
    marks = DiaryMarkOut(many=True)
    period_mark = serializers.CharField(help_text="Отметка за период, как только учитель её сохранил; пусто — ещё нет")
    forecast = ForecastOut(allow_null=True, help_text="Только для текущего периода")


class ResultRowOut(serializers.Serializer):
    subject_id = serializers.IntegerField()
    subject = serializers.CharField()
    periods = serializers.ListField(child=serializers.CharField(), help_text="По периодам, в порядке `periods`")
    year = serializers.CharField()
    exam = serializers.CharField()
    final = serializers.CharField()


class PeriodOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    name = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class DiaryYearOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField(help_text="«2025/2026»")
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class DiaryMarksOut(serializers.Serializer):
    child = serializers.IntegerField()
    year = DiaryYearOut(help_text="Учебный год, за который отметки")
    years = DiaryYearOut(many=True, help_text="Учебные годы ребёнка в этой школе (для `?year=`), от раннего к позднему")
    school_class = serializers.CharField(help_text="Класс ребёнка в этом учебном году")
    periods = PeriodOut(many=True)
    period = serializers.IntegerField(allow_null=True, help_text="null — весь год")
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    is_current = serializers.BooleanField()
    subjects = SubjectMarksOut(many=True)
    results = ResultRowOut(many=True)


class HomeworkOut(serializers.Serializer):
    child = serializers.IntegerField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    lessons = DiaryLessonOut(many=True)


class SubjectForecastOut(serializers.Serializer):
    subject_id = serializers.IntegerField()
    subject = serializers.CharField()
    period_mark = serializers.CharField()
    forecast = ForecastOut()


class DiaryForecastOut(serializers.Serializer):
    child = serializers.IntegerField()
    period = serializers.IntegerField(allow_null=True)
    is_current = serializers.BooleanField()
    subjects = SubjectForecastOut(many=True)


def _forecast(s: selectors.SubjectMarks) -> dict[str, Any] | None:
    f = s.forecast
    if f is None:
        return None
    return {**f.__dict__, "short_of_marks": f.short_of_marks, "advice": advice(f)}


# --- endpoints ------------------------------------------------------------------------------------

class DiaryChildrenView(APIView):
    @extend_schema(summary="Дети, чей дневник доступен: во всех школах района, где вы родитель или обучающийся",
                   responses=DiaryChildOut(many=True), tags=["diary"])
    def get(self, request: Request) -> Response:
        return Response(DiaryChildOut(family_children(request.user), many=True).data)


class DiaryWeekView(APIView):
    @extend_schema(summary="Неделя в дневнике: расписание, темы, домашние задания, отметки с работами, пропуски и опоздания",
                   parameters=[OpenApiParameter("date", dt.date, description="Любой день недели (по умолчанию сегодня)")],
                   responses=DiaryWeekOut, tags=["diary"])
    def get(self, request: Request, school_slug: str, child_id: int) -> Response:
        today = rules.today()
        day = _date(request, "date") or today
        school, _access, child = access_child(request, child_id, day, selectors.CALENDAR)
        week = selectors.diary_week(child, day, today)
        return Response(DiaryWeekOut({"child": child.student.pk, "school_class": child.school_class.name, "monday": week.monday,
                                      "previous": week.previous, "next": week.next, "days": week.days},
                                     context={"school_slug": school.slug}).data)


def _year(request: Request) -> int | None:
    try:
        return selectors.year_choice(request.query_params.get("year", ""))
    except ValueError:
        raise ValidationFailed("Учебный год — числовой id из списка `years`.", fields={"year": ["Неверный учебный год."]}) from None


def _period(request: Request, child: selectors.Child, *, whole_year: bool = True) -> tuple[int | None, bool]:
    """`?period=`, refused with a validation error when it is not a period of the child's year."""
    raw = request.query_params.get("period", "")
    choice = selectors.period_choice(child, raw)
    if choice is None or (choice[1] and not whole_year):
        raise ValidationFailed("Такого учебного периода в этом учебном году нет.", code="unknown_period",
                               fields={"period": ["Выберите id из списка `periods`" + (" или «year»." if whole_year else ".")]})
    return choice


class DiaryMarksView(APIView):
    @extend_schema(summary="Отметки по предметам за период, средние, прогноз; отметки за периоды, год, экзамен, итоговые",
                   parameters=[OpenApiParameter("period", str, description="Id учебного периода или «year»; по умолчанию текущий; "
                                                                            "неизвестный — ошибка 400"),
                               OpenApiParameter("year", int, description="Id прошлого учебного года ребёнка в этой школе (см. `years`); "
                                                                         "по умолчанию текущий")],
                   responses=DiaryMarksOut, tags=["diary"])
    def get(self, request: Request, school_slug: str, child_id: int) -> Response:
        today = rules.today()
        _school, _access, child = access_child(request, child_id, today, selectors.MARKS, year_id=_year(request))
        period_id, whole_year = _period(request, child)
        data = selectors.diary_marks(child, period_id, today, whole_year=whole_year)
        subjects = [{"subject_id": s.subject_id, "subject": s.subject, "marks": s.marks, "period_mark": s.period_mark,
                     "forecast": _forecast(s) if data.is_current else None} for s in data.subjects]
        return Response(DiaryMarksOut({
            "child": child.student.pk, "year": child.year, "years": child.years, "school_class": child.school_class.name,
            "periods": data.periods, "period": data.period.pk if data.period else None,
            "date_from": data.start, "date_to": data.end, "is_current": data.is_current, "subjects": subjects, "results": data.results,
        }).data)


class DiaryHomeworkView(APIView):
    @extend_schema(summary="Домашние задания (классные и личные) за период дат",
                   parameters=[OpenApiParameter("date_from", dt.date, description="По умолчанию неделю назад"),
                               OpenApiParameter("date_to", dt.date, description="По умолчанию через неделю; не больше 62 дней")],
                   responses=HomeworkOut, tags=["diary"])
    def get(self, request: Request, school_slug: str, child_id: int) -> Response:
        today = rules.today()
        start = _date(request, "date_from") or today - dt.timedelta(days=HOMEWORK_DAYS)
        end = _date(request, "date_to") or today + dt.timedelta(days=HOMEWORK_DAYS)
        if end < start or (end - start).days > MAX_RANGE_DAYS:
            raise ValidationFailed(f"Период — от 0 до {MAX_RANGE_DAYS} дней.", fields={"date_to": ["Неверный период."]})
        school, _access, child = access_child(request, child_id, today)
        return Response(HomeworkOut({"child": child.student.pk, "date_from": start, "date_to": end,
                                     "lessons": selectors.homework(child, start, end)}, context={"school_slug": school.slug}).data)


class DiaryForecastView(APIView):
    @extend_schema(summary="Прогноз отметки за период по каждому предмету и что нужно для следующей отметки (R-D04)",
                   parameters=[OpenApiParameter("period", int, description="Id учебного периода; по умолчанию текущий; "
                                                                            "неизвестный — ошибка 400")],
                   responses=DiaryForecastOut, tags=["diary"])
    def get(self, request: Request, school_slug: str, child_id: int) -> Response:
        today = rules.today()
        _school, _access, child = access_child(request, child_id, today, selectors.MARKS)
        period_id, _whole_year = _period(request, child, whole_year=False)
        data = selectors.diary_marks(child, period_id, today)
        return Response(DiaryForecastOut({
            "child": child.student.pk, "period": data.period.pk if data.period else None, "is_current": data.is_current,
            "subjects": [{"subject_id": s.subject_id, "subject": s.subject, "period_mark": s.period_mark, "forecast": _forecast(s)}
                         for s in data.subjects],
        }).data)
