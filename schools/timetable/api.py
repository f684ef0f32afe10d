"""API of the timetable app under /api/v1/schools/<slug>/timetable/ (R-Y04): bells, timetable
entries (validated on save), the week and the lessons of a date with substitutions applied,
the check against the curriculum, events and substitutions. Thin over services/selectors."""

from __future__ import annotations

import datetime as dt
from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import Person
from accounts.roles import Perm
from core.access import access_school
from core.errors import ValidationFailed
from curriculum.api import data_of, fetch, int_param, year_param
from curriculum.models import Subject
from roster.models import SchoolClass, Subgroup

from . import selectors, services
from .access import access_class, access_report, access_staff, access_teacher
from .models import BellSchedule, Event, EventKind, Substitution, TimetableEntry


def date_param(request: Request, name: str, *, required: bool = False) -> dt.date | None:
    value = request.query_params.get(name, "")
    if not value:
        if required:
            raise ValidationFailed(f"Укажите параметр {name} (ГГГГ-ММ-ДД).", fields={name: ["Обязательный параметр."]})
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ValidationFailed(f"Параметр {name}: дата в виде ГГГГ-ММ-ДД.", fields={name: ["Неверная дата."]}) from exc


def _person(pk: Any, field: str) -> Person:
    return fetch(Person.objects.all(), pk, field=field, message="Сотрудник не найден.")


# --- bells -----------------------------------------------------------------------------------------

class BellOut(serializers.Serializer):
    number = serializers.IntegerField(min_value=0, max_value=12)
    starts_at = serializers.TimeField(format="%H:%M")
    ends_at = serializers.TimeField(format="%H:%M")


class BellScheduleOut(serializers.Serializer):
    id = serializers.IntegerField()
    year_id = serializers.IntegerField()
    shift = serializers.IntegerField()
    name = serializers.CharField()
    bells = BellOut(many=True, source="bells.all")


class BellScheduleIn(serializers.Serializer):
    shift = serializers.IntegerField(min_value=1, max_value=2, default=1)
    name = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    bells = BellOut(many=True, allow_empty=False)


class BellListView(APIView):
    @extend_schema(parameters=[OpenApiParameter("year_id", int)], responses=BellScheduleOut(many=True), summary="Расписание звонков")
    def get(self, request: Request, school_slug: str) -> Response:
        access_school(request)
        return Response(BellScheduleOut(selectors.bell_schedules(year_param(request)), many=True).data)

    @extend_schema(parameters=[OpenApiParameter("year_id", int)], request=BellScheduleIn, responses={201: BellScheduleOut},
                   summary="Задать (заменить) звонки смены")
    def post(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.MANAGE_TIMETABLE)
        year = year_param(request)
        if year is None:
            raise ValidationFailed("Учебный год не открыт.")
        v = data_of(BellScheduleIn, request)
        schedule = services.save_bell_schedule(
            request.user, school, year=year, shift=v["shift"], name=v["name"],  # type: ignore[arg-type]
            bells=[services.BellTime(b["number"], b["starts_at"], b["ends_at"]) for b in v["bells"]])
        return Response(BellScheduleOut(BellSchedule.objects.prefetch_related("bells").get(pk=schedule.pk)).data,
                        status=status.HTTP_201_CREATED)


class BellScheduleView(APIView):
    @extend_schema(request=None, responses={204: None}, summary="Удалить звонки смены (если в ней нет уроков)")
    def delete(self, request: Request, school_slug: str, schedule_id: int) -> Response:
        school, _ = access_school(request, Perm.MANAGE_TIMETABLE)
        schedule = fetch(BellSchedule.objects.all(), schedule_id, message="Расписание звонков не найдено.")
        services.delete_bell_schedule(request.user, school, schedule)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- entries ---------------------------------------------------------------------------------------

class EntryOut(serializers.Serializer):
    id = serializers.IntegerField()
    class_id = serializers.IntegerField(source="school_class_id")
    class_name = serializers.CharField(source="school_class.name")
    subgroup_id = serializers.IntegerField(allow_null=True)
    subgroup = serializers.CharField(source="subgroup.name", allow_null=True, default=None)
    weekday = serializers.IntegerField()
    lesson_number = serializers.IntegerField()
    shift = serializers.IntegerField()
    subject_id = serializers.IntegerField()
    subject = serializers.CharField(source="subject.name")
    teacher_id = serializers.IntegerField()
    teacher = serializers.CharField(source="teacher.full_name")
    room = serializers.CharField()
    valid_from = serializers.DateField()
    valid_to = serializers.DateField(allow_null=True)


class EntryIn(serializers.Serializer):
    class_id = serializers.IntegerField()
    weekday = serializers.IntegerField(min_value=1, max_value=6, help_text="1 — понедельник … 6 — суббота")
    lesson_number = serializers.IntegerField(min_value=0, max_value=12)
    shift = serializers.IntegerField(min_value=1, max_value=2, default=1)
    subject_id = serializers.IntegerField()
    teacher_id = serializers.IntegerField()
    subgroup_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    room = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    valid_from = serializers.DateField(required=False, allow_null=True, default=None)
    valid_to = serializers.DateField(required=False, allow_null=True, default=None)


class EntryPatch(EntryIn):
    from_date = serializers.DateField(required=False, allow_null=True, default=None,
                                      help_text="Изменение с этой даты: прежний урок остаётся в прошедших неделях")


def _entry_data(v: dict[str, Any], school_class: SchoolClass, current: TimetableEntry | None = None) -> services.EntryData:
    def pick(name: str, default: Any) -> Any:
        return v[name] if name in v else default

    subject_id = pick("subject_id", current.subject_id if current else None)
    teacher_id = pick("teacher_id", current.teacher_id if current else None)
    subgroup_id = pick("subgroup_id", current.subgroup_id if current else None)
    return services.EntryData(
        school_class=school_class, weekday=pick("weekday", current.weekday if current else 0),
        lesson_number=pick("lesson_number", current.lesson_number if current else 0),
        subject=fetch(Subject.objects.all(), subject_id, field="subject_id", message="Предмет не найден."),
        teacher=_person(teacher_id, "teacher_id"),
        subgroup=fetch(Subgroup.objects.all(), subgroup_id, field="subgroup_id", message="Подгруппа не найдена.")
        if subgroup_id is not None else None,
        room=pick("room", current.room if current else ""), shift=pick("shift", current.shift if current else 1),
        valid_from=pick("valid_from", current.valid_from if current else None),
        valid_to=pick("valid_to", current.valid_to if current else None),
    )


class EntryListView(APIView):
    @extend_schema(parameters=[OpenApiParameter("class_id", int), OpenApiParameter("teacher_id", int),
                               OpenApiParameter("on", dt.date, description="Уроки, действующие в этот день"),
                               OpenApiParameter("week", dt.date, description="Уроки, действующие в неделю с этого понедельника"),
                               OpenApiParameter("year_id", int)],
                   responses=EntryOut(many=True), summary="Уроки недельного расписания")
    def get(self, request: Request, school_slug: str) -> Response:
        access_school(request)
        qs = selectors.entries().filter(school_class__year=year_param(request)).order_by(
            "school_class__grade", "school_class__letter", "weekday", "shift", "lesson_number", "subgroup__name")
        for name, field in (("class_id", "school_class_id"), ("teacher_id", "teacher_id")):
            value = int_param(request, name)
            if value is not None:
                qs = qs.filter(**{field: value})
        on, week = date_param(request, "on"), date_param(request, "week")
        if on is not None:
            qs = qs.filter(selectors.valid_on(on))
        if week is not None:
            monday = selectors.monday_of(week)
            qs = qs.filter(selectors.valid_between(monday, monday + dt.timedelta(days=6)))
        return Response(EntryOut(qs, many=True).data)

    @extend_schema(request=EntryIn, responses={201: EntryOut},
                   summary="Поставить урок (проверяются накладки, учебный план, нагрузка, неделя, звонки)")
    def post(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.MANAGE_TIMETABLE)
        v = data_of(EntryIn, request)
        school_class = fetch(SchoolClass.objects.select_related("year"), v["class_id"], field="class_id", message="Класс не найден.")
        entry = services.create_entry(request.user, school, _entry_data(v, school_class))  # type: ignore[arg-type]
        return Response(EntryOut(selectors.entries().get(pk=entry.pk)).data, status=status.HTTP_201_CREATED)


class EntryDetailView(APIView):
    @extend_schema(request=EntryPatch, responses=EntryOut, summary="Изменить урок (целиком или с даты)")
    def patch(self, request: Request, school_slug: str, entry_id: int) -> Response:
        school, _ = access_school(request, Perm.MANAGE_TIMETABLE)
        entry = fetch(selectors.entries().select_related("school_class__year"), entry_id, message="Урок не найден.")
        v = data_of(EntryPatch, request, partial=True)
        v.pop("class_id", None)
        result = services.update_entry(request.user, school, entry, _entry_data(v, entry.school_class, entry),  # type: ignore[arg-type]
                                       from_date=v.get("from_date"))
        return Response(EntryOut(selectors.entries().get(pk=result.pk)).data)

    @extend_schema(request=None, responses={204: None}, summary="Убрать урок из расписания")
    def delete(self, request: Request, school_slug: str, entry_id: int) -> Response:
        school, _ = access_school(request, Perm.MANAGE_TIMETABLE)
        entry = fetch(selectors.entries().select_related("school_class__year"), entry_id, message="Урок не найден.")
        services.delete_entry(request.user, school, entry)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- lessons that run: a date, a week ----------------------------------------------------------------

class LessonOut(serializers.Serializer):
    date = serializers.DateField()
    entry_id = serializers.IntegerField(source="entry.pk")
    class_id = serializers.IntegerField(source="school_class.pk")
    class_name = serializers.CharField(source="school_class.name")
    subgroup_id = serializers.IntegerField(source="subgroup.pk", allow_null=True, default=None)
    subgroup = serializers.CharField(source="subgroup.name", allow_null=True, default=None)
    lesson_number = serializers.IntegerField()
    shift = serializers.IntegerField()
    starts_at = serializers.TimeField(format="%H:%M", allow_null=True)
    ends_at = serializers.TimeField(format="%H:%M", allow_null=True)
    subject_id = serializers.IntegerField(source="subject.pk")
    subject = serializers.CharField(source="subject.name")
    teacher_id = serializers.IntegerField(source="teacher.pk")
    teacher = serializers.CharField(source="teacher.full_name")
    planned_teacher_id = serializers.IntegerField(source="planned_teacher.pk")
    room = serializers.CharField()
    substitution_id = serializers.IntegerField(source="substitution.pk", allow_null=True, default=None)


class EventOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=EventKind.choices)
    class_id = serializers.IntegerField(source="school_class_id", allow_null=True)
    class_name = serializers.CharField(source="school_class.name", allow_null=True, default=None)
    title = serializers.CharField()
    date = serializers.DateField()
    starts_at = serializers.TimeField(format="%H:%M", allow_null=True)
    place = serializers.CharField()
    late = serializers.SerializerMethodField(help_text="Внесено позже срока 004 §VII (школьное — за 2 недели, классное — за неделю)")

    def get_late(self, obj: Event) -> bool:
        return selectors.event_is_late(obj)


class DayOut(serializers.Serializer):
    date = serializers.DateField()
    weekday = serializers.IntegerField(help_text="Чьё расписание идёт (перенесённый день — того дня, который он заменяет)")
    is_school_day = serializers.BooleanField()
    reason = serializers.CharField()
    lessons = LessonOut(many=True)
    events = EventOut(many=True)


class WeekOut(serializers.Serializer):
    monday = serializers.DateField()
    days = DayOut(many=True)


def _who(request: Request) -> SchoolClass | Person:
    """?class_id= (any member) or ?teacher_id= (staff, or the teacher themself)."""
    class_id, teacher_id = int_param(request, "class_id"), int_param(request, "teacher_id")
    if class_id is not None and teacher_id is not None:
        raise ValidationFailed("Укажите class_id или teacher_id, не оба.", fields={"class_id": ["Укажите класс или учителя."]})
    if class_id is not None:
        return access_class(request, class_id)[2]
    return access_teacher(request, teacher_id or 0)[2]


def _week(request: Request, who: SchoolClass | Person) -> Response:
    monday = date_param(request, "monday") or selectors.reference_day(year_param(request))
    return Response(WeekOut(selectors.week_of(who, monday)).data)


MONDAY = OpenApiParameter("monday", dt.date, description="Любой день недели; по умолчанию — текущая")


class ClassWeekView(APIView):
    @extend_schema(parameters=[MONDAY], responses=WeekOut, summary="Неделя класса: уроки с заменами, выходные, мероприятия")
    def get(self, request: Request, school_slug: str, class_id: int) -> Response:
        return _week(request, access_class(request, class_id)[2])


class TeacherWeekView(APIView):
    @extend_schema(parameters=[MONDAY], responses=WeekOut, summary="Неделя учителя: свои уроки и замены")
    def get(self, request: Request, school_slug: str, person_id: int) -> Response:
        return _week(request, access_teacher(request, person_id)[2])


class LessonsView(APIView):
    @extend_schema(parameters=[OpenApiParameter("date", dt.date, description="По умолчанию — сегодня"), OpenApiParameter("class_id", int),
                               OpenApiParameter("teacher_id", int)],
                   responses=LessonOut(many=True),
                   summary="Уроки, которые идут в этот день, с заменами (класса, учителя или всей школы — сотрудникам)")
    def get(self, request: Request, school_slug: str) -> Response:
        access_school(request)
        day = date_param(request, "date") or selectors.reference_day(year_param(request))
        if request.query_params.get("class_id") or request.query_params.get("teacher_id"):
            who = _who(request)
            kwargs: dict[str, Any] = {"school_class": who} if isinstance(who, SchoolClass) else {"teacher": who}
            return Response(LessonOut(selectors.lessons_on(day, **kwargs), many=True).data)
        access_staff(request)
        return Response(LessonOut(selectors.lessons_on(day), many=True).data)


# --- the check -------------------------------------------------------------------------------------

class ReportRowOut(serializers.Serializer):
    class_id = serializers.IntegerField(source="cover.school_class.pk")
    class_name = serializers.CharField(source="cover.school_class.name")
    subject_id = serializers.IntegerField(source="cover.subject.pk")
    subject = serializers.CharField(source="cover.subject.name")
    subgroup_id = serializers.IntegerField(source="cover.subgroup.pk", allow_null=True, default=None)
    planned = serializers.DecimalField(source="cover.planned", max_digits=5, decimal_places=1)
    min_lessons = serializers.IntegerField(source="required", help_text="Уроков в неделю нужно не меньше")
    max_lessons = serializers.IntegerField(source="allowed", help_text="Уроков в неделю можно не больше")
    scheduled = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["ok", "under", "over"])
    message = serializers.CharField()


class ProblemOut(serializers.Serializer):
    entry_id = serializers.IntegerField(source="entry.pk")
    message = serializers.CharField()


class ReportOut(serializers.Serializer):
    on = serializers.DateField()
    ok = serializers.BooleanField()
    rows = ReportRowOut(many=True)
    problems = ProblemOut(many=True)


class CheckView(APIView):
    @extend_schema(parameters=[OpenApiParameter("on", dt.date), OpenApiParameter("class_id", int), OpenApiParameter("year_id", int)],
                   responses=ReportOut, summary="Сверка расписания с учебным планом: чего не хватает, что сверх плана, ошибки")
    def get(self, request: Request, school_slug: str) -> Response:
        access_report(request)
        class_id = int_param(request, "class_id")
        school_class = fetch(SchoolClass.objects.all(), class_id, message="Класс не найден.") if class_id is not None else None
        report = selectors.timetable_report(year_param(request), on=date_param(request, "on"), school_class=school_class)
        return Response(ReportOut(report).data)


# --- events ----------------------------------------------------------------------------------------

class EventIn(serializers.Serializer):
    kind = serializers.ChoiceField(choices=EventKind.choices, default=EventKind.SCHOOL)
    class_id = serializers.IntegerField(required=False, allow_null=True, default=None)
    title = serializers.CharField(max_length=200)
    date = serializers.DateField()
    starts_at = serializers.TimeField(required=False, allow_null=True, default=None)
    place = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")


def _event_data(v: dict[str, Any], current: Event | None = None) -> services.EventData:
    def pick(name: str, default: Any) -> Any:
        return v[name] if name in v else default

    class_id = pick("class_id", current.school_class_id if current else None)
    return services.EventData(
        title=pick("title", current.title if current else ""), date=pick("date", current.date if current else None),
        kind=pick("kind", current.kind if current else EventKind.SCHOOL),
        school_class=fetch(SchoolClass.objects.select_related("year"), class_id, field="class_id", message="Класс не найден.")
        if class_id is not None else None,
        starts_at=pick("starts_at", current.starts_at if current else None), place=pick("place", current.place if current else ""),
    )


class EventListView(APIView):
    @extend_schema(parameters=[OpenApiParameter("from", dt.date), OpenApiParameter("to", dt.date), OpenApiParameter("class_id", int)],
                   responses=EventOut(many=True), summary="Школьные и классные мероприятия")
    def get(self, request: Request, school_slug: str) -> Response:
        access_school(request)
        qs = selectors.events(start=date_param(request, "from"), end=date_param(request, "to"), school_class=int_param(request, "class_id"))
        return Response(EventOut(qs, many=True).data)

    @extend_schema(request=EventIn, responses={201: EventOut}, summary="Добавить мероприятие (дата — внутри учебного года)")
    def post(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.MANAGE_TIMETABLE)
        event = services.create_event(request.user, school, _event_data(data_of(EventIn, request)))  # type: ignore[arg-type]
        return Response(EventOut(event).data, status=status.HTTP_201_CREATED)


class EventDetailView(APIView):
    @extend_schema(request=EventIn, responses=EventOut, summary="Изменить мероприятие")
    def patch(self, request: Request, school_slug: str, event_id: int) -> Response:
        school, _ = access_school(request, Perm.MANAGE_TIMETABLE)
        event = fetch(Event.objects.select_related("school_class__year"), event_id, message="Мероприятие не найдено.")
        v = data_of(EventIn, request, partial=True)
        event = services.update_event(request.user, school, event, _event_data(v, event))  # type: ignore[arg-type]
        return Response(EventOut(event).data)

    @extend_schema(request=None, responses={204: None}, summary="Удалить мероприятие")
    def delete(self, request: Request, school_slug: str, event_id: int) -> Response:
        school, _ = access_school(request, Perm.MANAGE_TIMETABLE)
        event = fetch(Event.objects.select_related("school_class__year"), event_id, message="Мероприятие не найдено.")
        services.delete_event(request.user, school, event)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- substitutions -----------------------------------------------------------------------------------

class SubstitutionOut(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateField()
    entry_id = serializers.IntegerField()
    class_id = serializers.IntegerField(source="entry.school_class_id")
    class_name = serializers.CharField(source="entry.school_class.name")
    lesson_number = serializers.IntegerField(source="entry.lesson_number")
    subject_id = serializers.SerializerMethodField()
    absent_teacher_id = serializers.IntegerField()
    absent_teacher = serializers.CharField(source="absent_teacher.full_name")
    substitute_id = serializers.IntegerField()
    substitute = serializers.CharField(source="substitute.full_name")
    reason = serializers.CharField()

    def get_subject_id(self, obj: Substitution) -> int:
        return obj.subject_id or obj.entry.subject_id


class SubstitutionIn(serializers.Serializer):
    entry_id = serializers.IntegerField()
    date = serializers.DateField()
    substitute_id = serializers.IntegerField()
    reason = serializers.CharField(max_length=200)
    subject_id = serializers.IntegerField(required=False, allow_null=True, default=None,
                                          help_text="Если замещающий ведёт другой предмет")


class SubstitutionPatch(serializers.Serializer):
    substitute_id = serializers.IntegerField(required=False)
    reason = serializers.CharField(max_length=200, required=False)
    subject_id = serializers.IntegerField(required=False, allow_null=True)


def _subject_or_none(pk: Any) -> Subject | None:
    return fetch(Subject.objects.all(), pk, field="subject_id", message="Предмет не найден.") if pk is not None else None


class SubstitutionListView(APIView):
    @extend_schema(parameters=[OpenApiParameter("date", dt.date), OpenApiParameter("from", dt.date), OpenApiParameter("to", dt.date),
                               OpenApiParameter("teacher_id", int)],
                   responses=SubstitutionOut(many=True), summary="Замены уроков")
    def get(self, request: Request, school_slug: str) -> Response:
        access_staff(request)
        qs = selectors.substitutions(day=date_param(request, "date"), start=date_param(request, "from"), end=date_param(request, "to"),
                                     teacher=int_param(request, "teacher_id"))
        return Response(SubstitutionOut(qs, many=True).data)

    @extend_schema(request=SubstitutionIn, responses={201: SubstitutionOut}, summary="Назначить замену урока на дату")
    def post(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.MANAGE_TIMETABLE)
        v = data_of(SubstitutionIn, request)
        entry = fetch(selectors.entries().select_related("school_class__year"), v["entry_id"], field="entry_id", message="Урок не найден.")
        sub = services.create_substitution(request.user, school, entry=entry, date=v["date"],  # type: ignore[arg-type]
                                           substitute=_person(v["substitute_id"], "substitute_id"), reason=v["reason"],
                                           subject=_subject_or_none(v["subject_id"]))
        return Response(SubstitutionOut(selectors.substitutions().get(pk=sub.pk)).data, status=status.HTTP_201_CREATED)


class SubstitutionDetailView(APIView):
    @extend_schema(request=SubstitutionPatch, responses=SubstitutionOut, summary="Изменить замену")
    def patch(self, request: Request, school_slug: str, substitution_id: int) -> Response:
        school, _ = access_school(request, Perm.MANAGE_TIMETABLE)
        sub = fetch(selectors.substitutions().select_related("entry__school_class__year"), substitution_id, message="Замена не найдена.")
        v = data_of(SubstitutionPatch, request)
        services.update_substitution(
            request.user, school, sub,  # type: ignore[arg-type]
            substitute=_person(v["substitute_id"], "substitute_id") if "substitute_id" in v else sub.substitute,
            reason=v.get("reason", sub.reason),
            subject=_subject_or_none(v["subject_id"]) if "subject_id" in v else sub.subject)
        return Response(SubstitutionOut(selectors.substitutions().get(pk=sub.pk)).data)

    @extend_schema(request=None, responses={204: None}, summary="Отменить замену")
    def delete(self, request: Request, school_slug: str, substitution_id: int) -> Response:
        school, _ = access_school(request, Perm.MANAGE_TIMETABLE)
        sub = fetch(Substitution.objects.select_related("entry__school_class__year"), substitution_id, message="Замена не найдена.")
        services.delete_substitution(request.user, school, sub)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)
