"""API of the journal's control and end-of-period work under /api/v1/schools/<slug>/journal/:
change requests (R-J08), period/year/exam/final marks (R-J11, R-J12), the deputy's control lists
(R-J05, R-J02, R-J12, R-J13), marks from elsewhere (R-J09), the teacher's own notebook (R-J10),
the КТП (R-J13), extracurricular groups (R-J15) and the journal settings.

Thin, like the pages: each endpoint authorises first with the helpers of views_control, shapes
its input with a serializer and calls the same services and selectors."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Perm
from core.access import access_school
from core.errors import NotFound, PermissionDenied, ValidationFailed
from curriculum.models import Subject
from roster.models import SchoolClass
from schoolyear.selectors import current_year

from . import activities, ktp, ktp_import, notebook, period_marks, rules, selectors, services, timeliness
from .ktp import TopicData
from .models import ChangeRequestStatus, FinalKind, JournalSettings, Lesson, NotebookEntry, Work
from .views_control import (
    absence_rows,
    access_change_request,
    access_class_subject,
    access_group,
    access_lesson,
    actor_of,
    create_group,
    date_range,
    file_request,
    final_sheet,
    final_text,
    groups_of,
    ktp_subgroup,
    late_reason_rows,
    lessons_to_check,
    may_set_final,
    notebook_of,
    parse_date,
    pick_period,
    reason_due,
    require_control,
    save_settings,
    sessions_of,
    year_periods,
)

PERIOD_PARAMS = [
    OpenApiParameter("kind", str, enum=list(FinalKind.values), description="period (по умолчанию), year, exam, final"),
    OpenApiParameter("period", int, description="Учебный период (для kind=period; по умолчанию — текущий)"),
]


# --- shapes -----------------------------------------------------------------------------------------

class CtlPersonOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    full_name = serializers.CharField()


class CtlNewWorkIn(serializers.Serializer):
    """new_lesson: a work of the forgotten lesson and its marks (R-J08, R-J03)."""

    work_type = serializers.IntegerField(help_text="Вид работы (включённый в настройках школы)")
    topic = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)
    marks = serializers.DictField(child=serializers.CharField(allow_blank=True, max_length=8), required=False, default=dict,
                                  help_text="Обучающийся (id) → отметка: 1–5, «зач», «незач», «осв»")


class CtlChangeItemIn(serializers.Serializer):
    """One change: a mark (work, student, value; empty value removes it; source_document for a mark
    from a hospital school or sanatorium, R-J09), attendance (student, status ""/absent/late), the
    lesson's texts (topic, done, homework), a forgotten lesson of the timetable (new_lesson:
    subgroup, lesson_number, topic, done, homework, works with their marks) or a period/year/exam/final mark past its window
    (period_mark: student, kind, period, value)."""

    op = serializers.ChoiceField(choices=list(services.CHANGE_OPS))
    work = serializers.IntegerField(required=False)
    student = serializers.IntegerField(required=False)
    value = serializers.CharField(required=False, allow_blank=True, allow_null=True, max_length=8)
    source_document = serializers.CharField(required=False, allow_blank=True, max_length=300,
                                            help_text="mark: документ-основание отметки из другого учреждения (R-J09)")
    status = serializers.ChoiceField(choices=["", "absent", "late"], required=False, allow_null=True)
    topic = serializers.CharField(required=False, allow_blank=True, max_length=500)
    done = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    homework = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    subgroup = serializers.IntegerField(required=False, allow_null=True, help_text="new_lesson: подгруппа урока или null")
    lesson_number = serializers.IntegerField(required=False, help_text="new_lesson: номер урока по расписанию")
    works = CtlNewWorkIn(many=True, required=False, help_text="new_lesson: работы урока с отметками")
    kind = serializers.ChoiceField(choices=FinalKind.choices, required=False, help_text="period_mark: period, year, exam, final")
    period = serializers.IntegerField(required=False, allow_null=True, help_text="period_mark: учебный период (для kind=period)")


class CtlChangeRequestIn(serializers.Serializer):
    lesson = serializers.IntegerField(required=False, allow_null=True,
                                      help_text="Урок, в который вносятся изменения (старше срока блокировки); без урока — "
                                                "school_class и subject (и date для new_lesson)")
    school_class = serializers.IntegerField(required=False, allow_null=True, help_text="Класс (заявка без записи урока)")
    subject = serializers.IntegerField(required=False, allow_null=True, help_text="Предмет (заявка без записи урока)")
    date = serializers.DateField(required=False, allow_null=True, help_text="Дата пропущенного урока (new_lesson)")
    changes = CtlChangeItemIn(many=True)
    reason = serializers.CharField(max_length=2000)
    description = serializers.CharField(required=False, allow_blank=True, default="", max_length=5000,
                                        help_text="Перечень изменений словами; пусто — составляется по changes")


class CtlChangeRequestOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    requested_at = serializers.DateTimeField()
    class_id = serializers.IntegerField(source="school_class_id")
    class_name = serializers.CharField(source="school_class.name")
    subject_id = serializers.IntegerField()
    subject_name = serializers.CharField(source="subject.name")
    teacher = CtlPersonOut(source="requested_by")
    lesson_id = serializers.IntegerField(allow_null=True)
    target_date = serializers.DateField()
    changes = serializers.JSONField()
    changes_text = serializers.ListField(child=serializers.CharField())
    description = serializers.CharField()
    reason = serializers.CharField()
    status = serializers.ChoiceField(choices=ChangeRequestStatus.choices)
    decided_by = CtlPersonOut(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    decision_note = serializers.CharField()


def _requests_out(rows: list[Any]) -> Any:
    for row, lines in zip(rows, selectors.describe_changes([r.changes for r in rows]), strict=True):
        row.changes_text = lines
    return CtlChangeRequestOut(rows, many=True).data


class CtlDecisionIn(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class CtlPeriodOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class CtlFinalMarkOut(serializers.Serializer):
    id = serializers.IntegerField()
    student_id = serializers.IntegerField()
    kind = serializers.CharField()
    period_id = serializers.IntegerField(allow_null=True)
    value = serializers.SerializerMethodField(help_text="1–5, зач, незач, осв или н/а")
    version = serializers.IntegerField()

    def get_value(self, obj: Any) -> str:
        return final_text(obj)


class CtlFinalRowOut(serializers.Serializer):
    student = CtlPersonOut()
    count = serializers.IntegerField(help_text="Текущих отметок за период")
    plain = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    weighted = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True)
    proposed = serializers.IntegerField(allow_null=True, help_text="По правилу округления школы")
    short = serializers.BooleanField(help_text="Меньше отметок, чем требуется (003 §2.3.1)")
    mark = CtlFinalMarkOut(allow_null=True)


class CtlFinalSheetOut(serializers.Serializer):
    class_id = serializers.IntegerField(source="school_class.pk")
    subject_id = serializers.IntegerField(source="subject.pk")
    kind = serializers.CharField()
    period = CtlPeriodOut(allow_null=True)
    window_opens = serializers.DateField()
    window_closes = serializers.DateField()
    is_open = serializers.BooleanField()
    min_marks = serializers.IntegerField()
    hours_per_week = serializers.DecimalField(max_digits=4, decimal_places=1)
    rows = CtlFinalRowOut(many=True)


class CtlFinalMarkIn(serializers.Serializer):
    student = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=FinalKind.choices, default=FinalKind.PERIOD)
    period = serializers.IntegerField(required=False, allow_null=True)
    value = serializers.CharField(max_length=8, help_text="1–5, «зач», «незач», «осв» или «н/а»")
    expected_version = serializers.IntegerField(required=False, allow_null=True, min_value=0,
                                                help_text="Версия отметки, которую видел пользователь; пусто или 0 — отметки не было "
                                                          "(если её тем временем выставили — 409 stale_version)")


class CtlFinalSavedOut(serializers.Serializer):
    mark = CtlFinalMarkOut()
    warnings = serializers.ListField(child=serializers.CharField())


# --- change requests (R-J08) ------------------------------------------------------------------------

class ChangeRequestListView(generics.GenericAPIView):
    serializer_class = CtlChangeRequestOut

    @extend_schema(summary="Заявки «Замена сведений в электронном журнале»: все (заместитель) или свои (учитель)",
                   parameters=[OpenApiParameter("status", str, enum=list(ChangeRequestStatus.values)),
                               OpenApiParameter("mine", bool, description="Только мои (для заместителя)")],
                   responses=CtlChangeRequestOut(many=True))
    def get(self, request: Request, school_slug: str) -> Any:
        school, access = access_school(request)
        control = access.can(Perm.JOURNAL_CONTROL, school)
        if not (control or access.can(Perm.JOURNAL_WRITE, school)):
            raise PermissionDenied()
        wanted = request.query_params.get("status") or None
        if wanted is not None and wanted not in ChangeRequestStatus.values:
            raise ValidationFailed("Состояние: pending, approved или rejected.", fields={"status": ["Недопустимое значение."]})
        mine = not control or request.query_params.get("mine") in ("1", "true")
        rows = selectors.change_requests(requested_by_id=actor_of(request).pk if mine else None, status=wanted)
        page = self.paginate_queryset(rows)  # type: ignore[arg-type]
        return self.get_paginated_response(_requests_out(list(page or [])))

    @extend_schema(summary="Подать заявку: изменение закрытой записи урока, пропущенный урок по расписанию или итоговые "
                           "отметки после срока", request=CtlChangeRequestIn, responses={201: CtlChangeRequestOut})
    def post(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.JOURNAL_WRITE)
        raw_lesson = request.data.get("lesson") if hasattr(request.data, "get") else None
        lesson = None
        if raw_lesson not in (None, ""):
            school, _, lesson = access_lesson(request, _lesson_id(request.data), write=True)
        data = CtlChangeRequestIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        school_class = subject = None
        if lesson is None:
            if not (v.get("school_class") and v.get("subject")):
                raise ValidationFailed("Укажите урок или класс и предмет.", fields={"lesson": ["Обязательное поле."]})
            if any(c["op"] == "new_lesson" for c in v["changes"]):
                # A substitute may ask for the lesson they taught: the service checks the slot is theirs in the timetable.
                school_class = SchoolClass.objects.select_related("year").filter(pk=v["school_class"]).first()
                subject = Subject.objects.filter(pk=v["subject"]).first()
                if school_class is None or subject is None:
                    raise NotFound("Класс или предмет не найден.")
            else:
                school, _, school_class, subject = access_class_subject(request, v["school_class"], v["subject"])
        filed = file_request(actor_of(request), school, lesson, [dict(c) for c in v["changes"]], reason=v["reason"],
                             description=v["description"], school_class=school_class, subject=subject, date=v.get("date"))
        return Response(_requests_out([filed])[0], status=status.HTTP_201_CREATED)


def _lesson_id(data: Any) -> int:
    raw = data.get("lesson") if hasattr(data, "get") else None
    if not isinstance(raw, int) and not str(raw or "").isdecimal():
        raise ValidationFailed("Укажите урок.", fields={"lesson": ["Обязательное поле."]})
    return int(raw)  # type: ignore[arg-type]


class ChangeRequestDetailView(APIView):
    @extend_schema(summary="Заявка на замену сведений", responses=CtlChangeRequestOut)
    def get(self, request: Request, school_slug: str, request_id: int) -> Response:
        _, _, found = access_change_request(request, request_id)
        return Response(_requests_out([found])[0])


def _decide(request: Request, request_id: int, decide: Callable[..., Any]) -> Response:
    school, _ = require_control(request)
    data = CtlDecisionIn(data=request.data)
    data.is_valid(raise_exception=True)
    return Response(_requests_out([decide(actor_of(request), school, request_id, data.validated_data["note"])])[0])


class ChangeRequestApproveView(APIView):
    @extend_schema(summary="Одобрить заявку: изменения вносятся в журнал и записываются в журнал действий",
                   request=CtlDecisionIn, responses=CtlChangeRequestOut)
    def post(self, request: Request, school_slug: str, request_id: int) -> Response:
        return _decide(request, request_id, services.approve_change_request)


class ChangeRequestRejectView(APIView):
    @extend_schema(summary="Отклонить заявку с указанием причины", request=CtlDecisionIn, responses=CtlChangeRequestOut)
    def post(self, request: Request, school_slug: str, request_id: int) -> Response:
        return _decide(request, request_id, services.reject_change_request)


# --- period, year, exam and final marks (R-J11, R-J12) ----------------------------------------------

class FinalMarksView(APIView):
    @extend_schema(summary="Итоговые отметки класса по предмету: текущие отметки, средние, предложенная отметка, окно ввода",
                   parameters=PERIOD_PARAMS, responses=CtlFinalSheetOut)
    def get(self, request: Request, school_slug: str, class_id: int, subject_id: int) -> Response:
        _, _, school_class, subject = access_class_subject(request, class_id, subject_id)
        sheet = final_sheet(school_class, subject, request.query_params.get("kind") or FinalKind.PERIOD,
                            request.query_params.get("period"))
        return Response(CtlFinalSheetOut(sheet).data)

    @extend_schema(summary="Выставить отметку за период, годовую, экзаменационную или итоговую", request=CtlFinalMarkIn,
                   responses=CtlFinalSavedOut)
    def post(self, request: Request, school_slug: str, class_id: int, subject_id: int) -> Response:
        school, access, school_class, subject = access_class_subject(request, class_id, subject_id)
        if not may_set_final(request, access, school, school_class, subject):
            raise PermissionDenied("Итоговые отметки выставляет учитель предмета в своём классе или классный руководитель.")
        data = CtlFinalMarkIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        period = None
        if v.get("period"):
            from schoolyear.selectors import periods_for_grade

            period = pick_period(periods_for_grade(school_class.grade, school_class.year), v["period"], rules.today())
        result = period_marks.set_period_mark(actor_of(request), school, school_class=school_class, subject=subject,
                                              student_id=v["student"], kind=v["kind"], value=v["value"], period=period,
                                              expected_version=v.get("expected_version") or 0)
        return Response(CtlFinalSavedOut({"mark": result.mark, "warnings": result.warnings}).data)


# --- the deputy's control lists ---------------------------------------------------------------------

class CtlShortRowOut(serializers.Serializer):
    student = CtlPersonOut()
    marks = serializers.IntegerField()


class CtlPeriodSubjectOut(serializers.Serializer):
    class_id = serializers.IntegerField(source="school_class.pk")
    class_name = serializers.CharField(source="school_class.name")
    subject_id = serializers.IntegerField(source="subject.pk")
    subject_name = serializers.CharField(source="subject.name")
    hours_per_week = serializers.DecimalField(max_digits=4, decimal_places=1)
    min_marks = serializers.IntegerField()
    students = serializers.IntegerField()
    marks_set = serializers.IntegerField(help_text="У скольких выставлена отметка за период")
    short = serializers.SerializerMethodField()

    def get_short(self, obj: Any) -> list[dict[str, Any]]:
        return [{"student": {"id": s.pk, "full_name": s.full_name}, "marks": n} for s, n in obj.short]


class ShortView(APIView):
    @extend_schema(summary="Кому не хватает текущих отметок для аттестации за период (R-J12)",
                   parameters=[OpenApiParameter("period", int), OpenApiParameter("all", bool, description="Все предметы, не только с нехваткой")],
                   responses=CtlPeriodSubjectOut(many=True))
    def get(self, request: Request, school_slug: str) -> Response:
        require_control(request)
        period = pick_period(year_periods(), request.query_params.get("period"), rules.today())
        rows = selectors.period_overview(period) if period else []
        if request.query_params.get("all") not in ("1", "true"):
            rows = [r for r in rows if r.short]
        return Response(CtlPeriodSubjectOut(rows, many=True).data)


class CtlLessonCheckOut(serializers.Serializer):
    lesson_id = serializers.IntegerField(source="lesson.pk", allow_null=True, help_text="Запись урока; null — урок расписания не записан")
    date = serializers.DateField()
    lesson_number = serializers.IntegerField()
    class_id = serializers.IntegerField(source="school_class.pk")
    class_name = serializers.CharField(source="school_class.name")
    subject_id = serializers.IntegerField(source="subject.pk")
    subject_name = serializers.CharField(source="subject.name")
    subgroup_id = serializers.IntegerField(source="subgroup.pk", allow_null=True)
    subgroup_name = serializers.CharField(source="subgroup.name", allow_null=True)
    teacher = CtlPersonOut(allow_null=True)
    in_timetable = serializers.BooleanField(help_text="Урок есть в расписании (с заменами); false — записан вне расписания")
    attendance_taken = serializers.BooleanField(help_text="Посещаемость отмечена (хотя бы «все присутствуют»)")
    entered_late = serializers.BooleanField(help_text="Запись урока впервые сохранена не в день урока")
    late_attendance = serializers.BooleanField(help_text="Посещаемость внесена не в день урока")
    late_marks = serializers.IntegerField(help_text="Отметок внесено не в день урока (кроме отметок из других организаций)")
    control_without_marks = serializers.IntegerField(help_text="Присутствовавших без отметки за контрольную работу")
    problems = serializers.ListField(child=serializers.CharField())


class LessonsCheckView(APIView):
    @extend_schema(summary="Незаполненные уроки (R-J05): уроки расписания без записи, без темы, домашнего задания или "
                           "посещаемости, контрольные без отметок, записи, посещаемость и отметки, внесённые не в день урока",
                   parameters=[OpenApiParameter("start", str, description="ГГГГ-ММ-ДД, по умолчанию 30 дней назад"),
                               OpenApiParameter("end", str), OpenApiParameter("teacher", int), OpenApiParameter("class", int)],
                   responses=CtlLessonCheckOut(many=True))
    def get(self, request: Request, school_slug: str) -> Response:
        require_control(request)
        q = request.query_params
        start, end = date_range(parse_date(q.get("start")), parse_date(q.get("end")))
        teacher = int(q["teacher"]) if str(q.get("teacher", "")).isdecimal() else None
        school_class = int(q["class"]) if str(q.get("class", "")).isdecimal() else None
        return Response(CtlLessonCheckOut(lessons_to_check(start, end, teacher_id=teacher, class_id=school_class), many=True).data)


class CtlAttendanceTakenOut(serializers.Serializer):
    lesson_id = serializers.IntegerField(source="pk")
    attendance_taken_at = serializers.DateTimeField(help_text="Когда посещаемость урока впервые отмечена")
    late = serializers.SerializerMethodField(help_text="Отмечена не в день урока (R-J05)")

    def get_late(self, obj: Any) -> bool:
        from django.utils import timezone

        return bool(obj.attendance_taken_at and timezone.localdate(obj.attendance_taken_at) > obj.date)


class AttendanceTakenView(APIView):
    @extend_schema(summary="«Все присутствуют»: посещаемость урока отмечена (отсутствующие, если есть, уже внесены), R-J05",
                   request=None, responses=CtlAttendanceTakenOut)
    def post(self, request: Request, school_slug: str, lesson_id: int) -> Response:
        school, _ = access_school(request, Perm.JOURNAL_WRITE)
        lesson = Lesson.objects.select_related("school_class__year", "subject", "subgroup").filter(pk=lesson_id).first()
        if lesson is None:
            raise NotFound("Урок не найден.")
        return Response(CtlAttendanceTakenOut(timeliness.confirm_attendance(actor_of(request), school, lesson)).data)


class CtlAbsenceOut(serializers.Serializer):
    attendance_id = serializers.IntegerField(source="pk")
    lesson_id = serializers.IntegerField()
    date = serializers.DateField(source="lesson.date")
    lesson_number = serializers.IntegerField(source="lesson.lesson_number")
    class_id = serializers.IntegerField(source="lesson.school_class_id")
    class_name = serializers.CharField(source="lesson.school_class.name")
    subject_name = serializers.CharField(source="lesson.subject.name")
    student = CtlPersonOut()
    due = serializers.SerializerMethodField(help_text="Последний день срока (2 рабочих дня после урока)")

    def get_due(self, obj: Any) -> str:
        return reason_due(obj.lesson.date).isoformat()


class AbsencesView(APIView):
    @extend_schema(summary="Пропуски без причины дольше 2 рабочих дней: вся школа (заместитель) или свои классы (классный руководитель)",
                   responses=CtlAbsenceOut(many=True))
    def get(self, request: Request, school_slug: str) -> Response:
        _, rows, _ = absence_rows(request)
        return Response(CtlAbsenceOut(rows, many=True).data)


class CtlLateReasonOut(serializers.Serializer):
    attendance_id = serializers.IntegerField(source="attendance.pk")
    lesson_id = serializers.IntegerField(source="attendance.lesson_id")
    date = serializers.DateField(source="attendance.lesson.date")
    lesson_number = serializers.IntegerField(source="attendance.lesson.lesson_number")
    class_id = serializers.IntegerField(source="attendance.lesson.school_class_id")
    class_name = serializers.CharField(source="attendance.lesson.school_class.name")
    subject_name = serializers.CharField(source="attendance.lesson.subject.name")
    student = CtlPersonOut(source="attendance.student")
    reason = serializers.CharField(source="attendance.reason")
    document = serializers.CharField(source="attendance.document")
    document_date = serializers.DateField(source="attendance.document_date")
    due = serializers.DateField(help_text="Последний день срока (2 рабочих дня после даты документа)")
    entered_on = serializers.DateField(help_text="День, когда причина внесена")
    entered_by = CtlPersonOut(source="attendance.reason_set_by", allow_null=True)


class LateReasonsView(APIView):
    @extend_schema(summary="Причины пропусков, внесённые позже 2 рабочих дней после даты документа: вся школа (заместитель) "
                           "или свои классы (классный руководитель)", responses=CtlLateReasonOut(many=True))
    def get(self, request: Request, school_slug: str) -> Response:
        _, rows, _ = late_reason_rows(request)
        return Response(CtlLateReasonOut(rows, many=True).data)


class CtlKtpStatusOut(serializers.Serializer):
    class_id = serializers.IntegerField(source="school_class.pk")
    class_name = serializers.CharField(source="school_class.name")
    subject_id = serializers.IntegerField(source="subject.pk")
    subject_name = serializers.CharField(source="subject.name")
    has_plan = serializers.BooleanField()
    overdue = serializers.BooleanField(help_text="Плана нет, а 15 октября прошло")
    topics_total = serializers.IntegerField(source="progress.topics_total")
    topics_delivered = serializers.IntegerField(source="progress.topics_delivered")
    programme_share = serializers.IntegerField(source="progress.programme_share")
    lessons_given = serializers.IntegerField(source="progress.lessons_given")
    hours_share = serializers.IntegerField(source="progress.hours_share")
    missed = serializers.IntegerField()
    subgroup_id = serializers.IntegerField(source="subgroup.pk", allow_null=True,
                                           help_text="Группа предмета, который ведётся по группам (её план или план класса)")
    subgroup_name = serializers.CharField(source="subgroup.name", allow_null=True)


class KtpStatusView(APIView):
    @extend_schema(summary="КТП: наличие по классам и предметам, доля программы и часов (R-J13)",
                   responses=CtlKtpStatusOut(many=True))
    def get(self, request: Request, school_slug: str) -> Response:
        school, access = access_school(request)
        if not (access.can(Perm.JOURNAL_CONTROL, school) or access.can(Perm.MANAGE_KTP, school)):
            raise PermissionDenied()
        year = current_year()
        rows = selectors.ktp_overview(year, on=rules.today()) if year else []
        return Response(CtlKtpStatusOut(rows, many=True).data)


# --- marks from elsewhere (R-J09) -------------------------------------------------------------------

class CtlExternalMarkIn(serializers.Serializer):
    lesson = serializers.IntegerField()
    work = serializers.IntegerField()
    student = serializers.IntegerField()
    value = serializers.CharField(max_length=8)
    document = serializers.CharField(max_length=300, help_text="Справка, ведомость или табель учреждения")


class CtlMarkOut(serializers.Serializer):
    id = serializers.IntegerField()
    work_id = serializers.IntegerField()
    student_id = serializers.IntegerField()
    display = serializers.CharField()
    source_document = serializers.CharField()
    version = serializers.IntegerField()


class ExternalMarkView(APIView):
    @extend_schema(summary="Отметка из лечебного или иного учреждения с документом-основанием", request=CtlExternalMarkIn,
                   responses={201: CtlMarkOut})
    def post(self, request: Request, school_slug: str) -> Response:
        access_school(request, Perm.JOURNAL_WRITE)
        school, _, lesson = access_lesson(request, _lesson_id(request.data), write=True)
        data = CtlExternalMarkIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        work = Work.objects.select_related("lesson__school_class", "lesson__subject").filter(pk=v["work"], lesson=lesson).first()
        if work is None:
            raise ValidationFailed("Работа не из этого урока.", fields={"work": ["Не из этого урока."]})
        mark = services.record_external_mark(actor_of(request), school, work, v["student"], v["value"], v["document"])
        if mark is None:
            raise ValidationFailed("Укажите отметку.", fields={"value": ["Обязательное поле."]})
        return Response(CtlMarkOut(mark).data, status=status.HTTP_201_CREATED)


# --- the notebook (R-J10): the teacher's own only ---------------------------------------------------

class CtlNoteOut(serializers.Serializer):
    id = serializers.IntegerField()
    student_id = serializers.IntegerField()
    value = serializers.IntegerField()
    note = serializers.CharField()
    date = serializers.DateField()


class CtlAssignmentOut(serializers.Serializer):
    class_id = serializers.IntegerField(source="school_class_id")
    class_name = serializers.CharField(source="school_class.name")
    subject_id = serializers.IntegerField()
    subject_name = serializers.CharField(source="subject.name")


class CtlNotebookOut(serializers.Serializer):
    assignments = CtlAssignmentOut(many=True)
    entries = CtlNoteOut(many=True)


class CtlNoteIn(serializers.Serializer):
    class_id = serializers.IntegerField()
    subject_id = serializers.IntegerField()
    student = serializers.IntegerField()
    value = serializers.CharField(max_length=2)
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=300)


class NotebookView(APIView):
    @extend_schema(summary="Мой блокнот: только записи самого учителя, ещё не перенесённые в журнал (R-J10)",
                   parameters=[OpenApiParameter("class_id", int), OpenApiParameter("subject_id", int)],
                   responses=CtlNotebookOut)
    def get(self, request: Request, school_slug: str) -> Response:
        access_school(request, Perm.JOURNAL_WRITE)
        view = notebook_of(actor_of(request), request.query_params.get("class_id"), request.query_params.get("subject_id"))
        return Response(CtlNotebookOut({"assignments": view.assignments, "entries": [e for e, _ in view.entries]}).data)

    @extend_schema(summary="Записать отметку в свой блокнот", request=CtlNoteIn, responses={201: CtlNoteOut})
    def post(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.JOURNAL_WRITE)
        data = CtlNoteIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        view = notebook_of(actor_of(request), v["class_id"], v["subject_id"])
        assert view.school_class is not None and view.subject is not None
        if v["student"] not in {s.pk for s in view.students}:
            raise ValidationFailed("Обучающийся не из этого класса.", fields={"student": ["Не из класса."]})
        entry = notebook.add_note(actor_of(request), school, school_class=view.school_class, subject=view.subject,
                                  student_id=v["student"], value=v["value"], note=v["note"])
        return Response(CtlNoteOut(entry).data, status=status.HTTP_201_CREATED)


class CtlNoteChangeIn(serializers.Serializer):
    value = serializers.CharField(required=False, max_length=2)
    note = serializers.CharField(required=False, allow_blank=True, max_length=300)


class NotebookEntryView(APIView):
    @extend_schema(summary="Исправить свою запись блокнота (записывается в журнал действий)", request=CtlNoteChangeIn,
                   responses=CtlNoteOut)
    def patch(self, request: Request, school_slug: str, entry_id: int) -> Response:
        school, _ = access_school(request, Perm.JOURNAL_WRITE)
        data = CtlNoteChangeIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        entry = notebook.change_note(actor_of(request), school, entry_id, value=v.get("value"), note=v.get("note"))
        return Response(CtlNoteOut(entry).data)

    @extend_schema(summary="Удалить свою запись блокнота (записывается в журнал действий)", responses={204: None})
    def delete(self, request: Request, school_slug: str, entry_id: int) -> Response:
        school, _ = access_school(request, Perm.JOURNAL_WRITE)
        notebook.delete_note(actor_of(request), school, entry_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class CtlMoveIn(serializers.Serializer):
    work = serializers.IntegerField(help_text="Работа урока того же класса и предмета, ещё открытого для записи")


class NotebookMoveView(APIView):
    @extend_schema(summary="Перенести запись блокнота в журнал одной операцией", request=CtlMoveIn, responses=CtlMarkOut)
    def post(self, request: Request, school_slug: str, entry_id: int) -> Response:
        school, _ = access_school(request, Perm.JOURNAL_WRITE)
        entry = NotebookEntry.objects.filter(pk=entry_id).first()
        if entry is None:
            raise NotFound("Запись блокнота не найдена.")
        if entry.teacher_id != actor_of(request).pk:
            raise PermissionDenied("Это чужой блокнот.")
        data = CtlMoveIn(data=request.data)
        data.is_valid(raise_exception=True)
        work = (Work.objects.select_related("lesson__school_class__year", "lesson__subject", "lesson__subgroup")
                .filter(pk=data.validated_data["work"]).first())
        if work is None:
            raise ValidationFailed("Работа не найдена.", fields={"work": ["Не найдена."]})
        mark = notebook.move_to_journal(actor_of(request), school, entry.pk, work)
        return Response(CtlMarkOut(mark).data)


# --- КТП (R-J13) ---------------------------------------------------------------------------------------

class CtlTopicIn(serializers.Serializer):
    number = serializers.IntegerField(min_value=1)
    title = serializers.CharField(max_length=500)
    hours = serializers.IntegerField(min_value=1, max_value=40, default=1)
    planned_date = serializers.DateField(required=False, allow_null=True)
    work_type_id = serializers.IntegerField(required=False, allow_null=True)


class CtlTopicOut(CtlTopicIn):
    id = serializers.IntegerField()
    given = serializers.IntegerField(help_text="Проведено уроков по теме")


class CtlKtpPlanIn(serializers.Serializer):
    topics = CtlTopicIn(many=True)


class CtlKtpProgressOut(serializers.Serializer):
    topics_total = serializers.IntegerField()
    topics_delivered = serializers.IntegerField()
    programme_share = serializers.IntegerField()
    planned_hours = serializers.IntegerField()
    lessons_given = serializers.IntegerField()
    curriculum_hours_to_date = serializers.DecimalField(max_digits=8, decimal_places=1)
    hours_share = serializers.IntegerField()
    missed_topics = serializers.SerializerMethodField()

    def get_missed_topics(self, obj: Any) -> list[int]:
        return [t.number for t in obj.missed_topics]


class CtlKtpPlanOut(serializers.Serializer):
    class_id = serializers.IntegerField()
    subject_id = serializers.IntegerField()
    subgroup_id = serializers.IntegerField(allow_null=True, help_text="Группа (?subgroup=) или null — план класса")
    own_plan = serializers.BooleanField(help_text="У группы свой план (false — показан план класса)")
    exists = serializers.BooleanField()
    topics = CtlTopicOut(many=True)
    progress = CtlKtpProgressOut()


SUBGROUP_PARAM = OpenApiParameter("subgroup", int, description="Группа предмета, который ведётся по группам (иначе — план класса)")


def _plan_out(school_class: Any, subject: Any, subgroup: Any = None) -> Any:
    topics, _ = selectors.ktp_topics(school_class.pk, subject.pk, subgroup.pk if subgroup else None)
    progress = ktp.progress(school_class, subject, subgroup=subgroup)
    own = progress.plan is not None and progress.plan.subgroup_id == (subgroup.pk if subgroup else None)
    return CtlKtpPlanOut({"class_id": school_class.pk, "subject_id": subject.pk, "subgroup_id": subgroup.pk if subgroup else None,
                          "own_plan": own, "exists": progress.plan is not None, "topics": topics, "progress": progress}).data


class KtpPlanView(APIView):
    @extend_schema(summary="КТП класса (или группы) по предмету с выполнением программы", parameters=[SUBGROUP_PARAM],
                   responses=CtlKtpPlanOut)
    def get(self, request: Request, school_slug: str, class_id: int, subject_id: int) -> Response:
        _, _, school_class, subject = access_class_subject(request, class_id, subject_id, for_ktp=True)
        return Response(_plan_out(school_class, subject, ktp_subgroup(school_class, request.query_params.get("subgroup"))))

    @extend_schema(summary="Заменить темы КТП класса (или группы)", parameters=[SUBGROUP_PARAM], request=CtlKtpPlanIn,
                   responses=CtlKtpPlanOut)
    def put(self, request: Request, school_slug: str, class_id: int, subject_id: int) -> Response:
        school, _, school_class, subject = access_class_subject(request, class_id, subject_id, for_ktp=True)
        subgroup = ktp_subgroup(school_class, request.query_params.get("subgroup"))
        ktp._may_edit(actor_of(request), school, school_class, subject, subgroup)
        data = CtlKtpPlanIn(data=request.data)
        data.is_valid(raise_exception=True)
        topics = [TopicData(number=t["number"], title=t["title"], hours=t["hours"], planned_date=t.get("planned_date"),
                            work_type_id=t.get("work_type_id")) for t in data.validated_data["topics"]]
        ktp.save_plan(actor_of(request), school, school_class=school_class, subject=subject, topics=topics, subgroup=subgroup)
        return Response(_plan_out(school_class, subject, subgroup))


class KtpTemplateView(APIView):
    @extend_schema(summary="Пустой шаблон КТП в XLSX (№, Тема, Часы, Дата, Вид работы)",
                   responses={(200, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"): bytes})
    def get(self, request: Request, school_slug: str) -> HttpResponse:
        school, access = access_school(request)
        if not (access.can(Perm.MANAGE_KTP, school) or access.can(Perm.JOURNAL_WRITE, school)):
            raise PermissionDenied()
        response = HttpResponse(ktp_import.template_workbook(),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = 'attachment; filename="ktp-shablon.xlsx"'
        return response


class KtpImportView(APIView):
    parser_classes = [MultiPartParser, FormParser, JSONParser]

    @extend_schema(summary="Загрузить КТП из XLSX (№, Тема, Часы, Дата, Вид работы); при ошибке — построчный список, ничего не записано",
                   request={"multipart/form-data": {"type": "object", "properties": {"file": {"type": "string", "format": "binary"}}}},
                   parameters=[SUBGROUP_PARAM], responses=CtlKtpPlanOut)
    def post(self, request: Request, school_slug: str, class_id: int, subject_id: int) -> Response:
        school, _, school_class, subject = access_class_subject(request, class_id, subject_id, for_ktp=True)
        subgroup = ktp_subgroup(school_class, request.query_params.get("subgroup"))
        ktp._may_edit(actor_of(request), school, school_class, subject, subgroup)
        upload = request.FILES.get("file")
        if upload is None:
            raise ValidationFailed("Приложите файл XLSX в поле file.", fields={"file": ["Обязательное поле."]})
        ktp_import.import_plan(actor_of(request), school, school_class=school_class, subject=subject, source=upload, subgroup=subgroup)
        return Response(_plan_out(school_class, subject, subgroup))


# --- extracurricular activities (R-J15) -------------------------------------------------------------

class CtlGroupOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    programme = serializers.CharField()
    teacher = CtlPersonOut()
    hours_per_week = serializers.DecimalField(max_digits=3, decimal_places=1)
    member_count = serializers.IntegerField(required=False)
    session_count = serializers.IntegerField(required=False)


class CtlGroupIn(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    teacher = serializers.IntegerField(help_text="Руководитель — сотрудник школы")
    programme = serializers.CharField(required=False, allow_blank=True, default="")
    hours_per_week = serializers.DecimalField(max_digits=3, decimal_places=1, default=Decimal(1))
    students = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


class CtlSessionOut(serializers.Serializer):
    id = serializers.IntegerField()
    date = serializers.DateField()
    topic = serializers.CharField()
    absent = serializers.SerializerMethodField()

    def get_absent(self, obj: Any) -> list[int]:
        return [a.student_id for a in obj.absences.all()]


class CtlGroupDetailOut(CtlGroupOut):
    members = CtlPersonOut(many=True)
    sessions = CtlSessionOut(many=True)


class CtlSessionIn(serializers.Serializer):
    date = serializers.DateField()
    topic = serializers.CharField(max_length=300)
    absent = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)


class ActivityListView(APIView):
    @extend_schema(summary="Группы внеурочной деятельности", responses=CtlGroupOut(many=True))
    def get(self, request: Request, school_slug: str) -> Response:
        school, access = access_school(request)
        if not (access.can(Perm.JOURNAL_READ_ALL, school) or access.can(Perm.JOURNAL_CONTROL, school)
                or access.can(Perm.MANAGE_CURRICULUM, school) or access.can(Perm.JOURNAL_WRITE, school)):
            raise PermissionDenied()
        return Response(CtlGroupOut(groups_of(request, access, school), many=True).data)

    @extend_schema(summary="Создать группу (заместитель директора)", request=CtlGroupIn, responses={201: CtlGroupOut})
    def post(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.MANAGE_CURRICULUM)
        data = CtlGroupIn(data=request.data)
        data.is_valid(raise_exception=True)
        group = create_group(request, school, current_year(), data.validated_data)
        return Response(CtlGroupOut(group).data, status=status.HTTP_201_CREATED)


def _group_out(group: Any) -> Any:
    from .views_settings import current_members  # today's members; the history: activities/<id>/members/

    members = current_members(group)
    return CtlGroupDetailOut({"id": group.pk, "name": group.name, "programme": group.programme, "teacher": group.teacher,
                              "hours_per_week": group.hours_per_week, "members": members, "sessions": sessions_of(group)}).data


class ActivityDetailView(APIView):
    @extend_schema(summary="Группа: участники и занятия (темы и отсутствующие; без отметок)", responses=CtlGroupDetailOut)
    def get(self, request: Request, school_slug: str, group_id: int) -> Response:
        _, _, group = access_group(request, group_id, lead=False)
        return Response(_group_out(group))


class ActivitySessionsView(APIView):
    @extend_schema(summary="Записать занятие (руководитель группы)", request=CtlSessionIn, responses={201: CtlSessionOut})
    def post(self, request: Request, school_slug: str, group_id: int) -> Response:
        school, _, group = access_group(request, group_id, lead=True)
        data = CtlSessionIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        session = activities.record_session(actor_of(request), school, group, date=v["date"], topic=v["topic"], absent_ids=v["absent"])
        return Response(CtlSessionOut(session).data, status=status.HTTP_201_CREATED)


# --- settings ---------------------------------------------------------------------------------------

class CtlSettingsSerializer(serializers.Serializer):
    lock_days = serializers.IntegerField(min_value=1, max_value=30, help_text="Срок внесения и исправления, дней (по положению 7)")
    round_up_from = serializers.DecimalField(max_digits=3, decimal_places=2, min_value=Decimal("0.01"), max_value=Decimal("0.99"),
                                             help_text="Дробная часть среднего, от которой отметка округляется вверх")
    period_mark_days_after = serializers.IntegerField(min_value=0, max_value=10)
    use_weighted_average = serializers.BooleanField()


class CtlSettingsIn(CtlSettingsSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class SettingsView(APIView):
    @extend_schema(summary="Настройки журнала школы", responses=CtlSettingsSerializer)
    def get(self, request: Request, school_slug: str) -> Response:
        access_school(request, Perm.MANAGE_SETTINGS)
        return Response(CtlSettingsSerializer(JournalSettings.current()).data)

    @extend_schema(summary="Изменить настройки журнала (записывается в журнал действий)", request=CtlSettingsIn,
                   responses=CtlSettingsSerializer)
    def put(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.MANAGE_SETTINGS)
        data = CtlSettingsIn(data=request.data)
        data.is_valid(raise_exception=True)
        row = save_settings(request, school, data.validated_data)
        return Response(CtlSettingsSerializer(row).data)

