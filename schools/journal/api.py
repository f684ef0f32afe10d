"""The journal's API for the teacher's daily work, under /api/v1/schools/<slug>/journal/:
my day, lessons, works, marks, attendance, absence reasons, individual homework, the grid.

Thin, as the pages: each endpoint authorises first (core.access / journal.views' helpers),
shapes input with a serializer and calls journal.services, which checks the right and the
regulations' rules (R-J01..R-J07) again. Errors: {"error": {"code", "message", "fields"}};
409 for `journal_locked` (the 7-day lock) and `stale_version` (somebody saved first; the
current value comes back as `error.current`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.roles import Perm
from core.access import access_school
from core.api import error_body
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from curriculum.models import Subject
from roster.models import SchoolClass, Subgroup
from schoolyear.selectors import periods_for_grade

from . import rules, selectors, services
from .models import Attendance, Lesson, Mark, Work, WorkType
from .views import access_journal, access_lesson, grid_of, parse_date, period_range


def _actor(request: Request) -> Any:
    return request.user


def _valid(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


# --- shapes ------------------------------------------------------------------------------------

class JournalPersonRefOut(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    full_name = serializers.CharField()


class JournalWorkTypeOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    short_name = serializers.CharField()
    weight = serializers.DecimalField(max_digits=3, decimal_places=1)
    requires_all_marks = serializers.BooleanField(help_text="Оценивается весь класс (контрольная работа)")


class JournalWorkOut(serializers.Serializer):
    id = serializers.IntegerField()
    lesson = serializers.IntegerField(source="lesson_id")
    work_type = JournalWorkTypeOut()
    topic = serializers.CharField()
    position = serializers.IntegerField()


class JournalLessonOut(serializers.Serializer):
    id = serializers.IntegerField()
    school_class = serializers.IntegerField(source="school_class_id")
    subgroup = serializers.IntegerField(source="subgroup_id", allow_null=True)
    subject = serializers.IntegerField(source="subject_id")
    teacher = serializers.IntegerField(source="teacher_id")
    replaced_teacher = serializers.IntegerField(source="replaced_teacher_id", allow_null=True,
                                                help_text="Учитель по расписанию, если урок провёл замещающий (R-J06)")
    date = serializers.DateField()
    lesson_number = serializers.IntegerField()
    topic = serializers.CharField()
    ktp_topic = serializers.IntegerField(source="ktp_topic_id", allow_null=True)
    done = serializers.CharField()
    homework = serializers.CharField()
    entered_late = serializers.BooleanField(help_text="Впервые записан не в день урока (R-J05)")
    version = serializers.IntegerField()
    locked = serializers.SerializerMethodField(help_text="Старше срока блокировки: изменения только через заявку (R-J07)")
    works = serializers.SerializerMethodField()

    def get_locked(self, lesson: Lesson) -> bool:
        return bool(lesson.date < self.context["lock_from"])

    @extend_schema_field(JournalWorkOut(many=True))
    def get_works(self, lesson: Lesson) -> list[dict[str, Any]]:
        # Serialised once for all lessons by _lessons_out: a serializer per lesson deep-copies its
        # fields each time (two thirds of the grid API's time for 100 lessons).
        return list(self.context.get("works", {}).get(lesson.pk, []))


class JournalMarkOut(serializers.Serializer):
    work = serializers.IntegerField(source="work_id")
    student = serializers.IntegerField(source="student_id")
    kind = serializers.CharField()
    value = serializers.IntegerField(allow_null=True)
    display = serializers.CharField(help_text="Как в журнале: 1–5, «зач», «незач», «осв»")
    source_document = serializers.CharField()
    version = serializers.IntegerField()


class JournalAttendanceOut(serializers.Serializer):
    id = serializers.IntegerField()
    lesson = serializers.IntegerField(source="lesson_id")
    student = serializers.IntegerField(source="student_id")
    status = serializers.CharField(help_text="absent — отсутствовал, late — опоздал")
    reason = serializers.CharField()
    document = serializers.CharField()
    document_date = serializers.DateField(allow_null=True)


def _lock_from() -> dt.date:
    return rules.lock_boundary()


def _lessons_out(lessons: list[Lesson], works: list[Work] | None = None, lock_from: dt.date | None = None) -> list[dict[str, Any]]:
    if works is None:
        works = list(Work.objects.filter(lesson__in=lessons).select_related("work_type").order_by("lesson_id", "position")) if lessons else []
    by_lesson: dict[int, list[dict[str, Any]]] = {}
    for w, out in zip(works, JournalWorkOut(works, many=True).data, strict=True):
        by_lesson.setdefault(w.lesson_id, []).append(out)
    return list(JournalLessonOut(lessons, many=True, context={"lock_from": lock_from or _lock_from(), "works": by_lesson}).data)


# --- my day ------------------------------------------------------------------------------------

class JournalDayLessonOut(serializers.Serializer):
    date = serializers.DateField()
    lesson_number = serializers.IntegerField()
    starts_at = serializers.TimeField(allow_null=True)
    ends_at = serializers.TimeField(allow_null=True)
    school_class = serializers.IntegerField(source="school_class.pk")
    class_name = serializers.CharField(source="school_class.name")
    subject = serializers.IntegerField(source="subject.pk")
    subject_name = serializers.CharField(source="subject.name")
    subgroup = serializers.IntegerField(source="subgroup.pk", allow_null=True, default=None)
    room = serializers.CharField()
    replaces = JournalPersonRefOut(allow_null=True, help_text="Замена: учитель по расписанию (R-J06)")
    substitution_reason = serializers.CharField()
    in_timetable = serializers.BooleanField()
    lesson = serializers.IntegerField(source="lesson.pk", allow_null=True, default=None, help_text="Запись урока, если уже есть")
    missing = serializers.ListField(child=serializers.CharField(), help_text="Что ещё не заполнено")
    absent = serializers.IntegerField()
    late = serializers.IntegerField()
    marks = serializers.IntegerField()


class MyDayView(APIView):
    @extend_schema(summary="Мой день: уроки по расписанию (с заменами) и что не заполнено", responses=JournalDayLessonOut(many=True),
                   parameters=[OpenApiParameter("date", dt.date, description="По умолчанию — сегодня")])
    def get(self, request: Request, school_slug: str) -> Response:
        access_school(request, Perm.JOURNAL_WRITE)
        day = parse_date(request.query_params.get("date")) or rules.today()
        return Response(JournalDayLessonOut(selectors.teacher_day(_actor(request), day), many=True).data)


# --- lessons -------------------------------------------------------------------------------------

class JournalLessonIn(serializers.Serializer):
    school_class = serializers.IntegerField()
    subject = serializers.IntegerField()
    subgroup = serializers.IntegerField(required=False, allow_null=True)
    date = serializers.DateField()
    lesson_number = serializers.IntegerField(min_value=0, max_value=12)
    topic = serializers.CharField(required=False, allow_blank=True, max_length=500)
    done = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    homework = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    ktp_topic = serializers.IntegerField(required=False, allow_null=True, help_text="Тема КТП; null — снять")
    version = serializers.IntegerField(required=False, allow_null=True, min_value=0,
                                       help_text="Версия записи, на которой основано изменение; пусто или 0 — записи не было "
                                                 "(если она уже есть — 409 stale_version, её текущий вид в error.current)")


class JournalLessonPatchIn(serializers.Serializer):
    topic = serializers.CharField(required=False, allow_blank=True, max_length=500)
    done = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    homework = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    ktp_topic = serializers.IntegerField(required=False, allow_null=True)
    version = serializers.IntegerField(help_text="Версия записи, на которой основано изменение")


class JournalLessonFilterIn(serializers.Serializer):
    subgroup = serializers.IntegerField(required=False, allow_null=True)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


def _ktp(v: dict[str, Any]) -> int | None:
    if "ktp_topic" not in v:
        return None
    return v["ktp_topic"] or 0  # 0 clears


class ClassLessonListView(APIView):
    @extend_schema(summary="Уроки класса по предмету за период (по умолчанию — за учебный год)", responses=JournalLessonOut(many=True),
                   parameters=[JournalLessonFilterIn])
    def get(self, request: Request, school_slug: str, class_id: int, subject_id: int) -> Response:
        v = _valid(JournalLessonFilterIn, request.query_params)
        j = access_journal(request, class_id, subject_id, v.get("subgroup"))
        year = j.school_class.year
        start, end = v.get("date_from") or year.starts_on, v.get("date_to") or year.ends_on
        qs = Lesson.objects.filter(school_class=j.school_class, subject=j.subject, date__gte=start, date__lte=end)
        if j.subgroup:  # a subgroup's lessons and the whole class's; the class's journal lists every lesson
            qs = qs.filter(Q(subgroup=j.subgroup) | Q(subgroup__isnull=True))
        return Response(_lessons_out(list(qs.order_by("date", "lesson_number"))))


class LessonListView(APIView):
    @extend_schema(summary="Записать урок (или изменить запись того же урока, указав её версию)", request=JournalLessonIn,
                   responses={201: JournalLessonOut, 200: JournalLessonOut, 409: None},
                   description="409 stale_version — запись урока уже есть (или изменена) и версия не совпадает: "
                               "в error.current — запись, как она есть сейчас; 409 journal_locked — старше срока (R-J07).")
    def post(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.JOURNAL_WRITE)
        v = _valid(JournalLessonIn, request.data)
        school_class = SchoolClass.objects.select_related("year").filter(pk=v["school_class"]).first()
        subject = Subject.objects.filter(pk=v["subject"]).first()
        subgroup = Subgroup.objects.filter(pk=v["subgroup"]).first() if v.get("subgroup") else None
        if school_class is None or subject is None or (v.get("subgroup") and subgroup is None):
            raise ValidationFailed("Такого класса, предмета или подгруппы в школе нет.",
                                   fields={"school_class": ["Проверьте класс, предмет и подгруппу."]})
        existed = Lesson.objects.filter(school_class=school_class, subgroup=subgroup, subject=subject, date=v["date"],
                                        lesson_number=v["lesson_number"]).exists()
        try:  # no version means "I saw no record": an existing one is never silently overwritten
            lesson = services.record_lesson(_actor(request), school, services.LessonData(
                school_class=school_class, subject=subject, subgroup=subgroup, date=v["date"], lesson_number=v["lesson_number"],
                topic=v.get("topic"), done=v.get("done"), homework=v.get("homework"), ktp_topic_id=_ktp(v),
            ), expected_version=v.get("version") or 0)
        except Conflict as exc:
            if exc.code != "stale_version":
                raise
            current = Lesson.objects.filter(school_class=school_class, subgroup=subgroup, subject=subject, date=v["date"],
                                            lesson_number=v["lesson_number"]).first()
            body = error_body(exc.code, exc.message)
            body["error"]["current"] = _lessons_out([current])[0] if current else None
            return Response(body, status=status.HTTP_409_CONFLICT)
        return Response(_lessons_out([lesson])[0], status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED)


class JournalSheetRowOut(serializers.Serializer):
    student = JournalPersonRefOut()
    attendance = JournalAttendanceOut(allow_null=True)
    marks = JournalMarkOut(many=True, source="mark_list")
    individual_homework = serializers.CharField(source="homework")


class JournalLessonDetailOut(JournalLessonOut):
    students = serializers.SerializerMethodField()

    @extend_schema_field(JournalSheetRowOut(many=True))
    def get_students(self, lesson: Lesson) -> list[dict[str, Any]]:
        sheet: selectors.LessonSheet = self.context["sheet"]
        for row in sheet.rows:
            row.mark_list = list(row.marks.values())  # type: ignore[attr-defined]
        return list(JournalSheetRowOut(sheet.rows, many=True).data)


def _lesson_detail(lesson: Lesson) -> dict[str, Any]:
    sheet = selectors.lesson_sheet(lesson.school_class_id, lesson.date, lesson.subgroup_id, lesson)
    return dict(JournalLessonDetailOut(lesson, context={"lock_from": _lock_from(), "works": {lesson.pk: JournalWorkOut(sheet.works, many=True).data}, "sheet": sheet}).data)


class LessonDetailView(APIView):
    @extend_schema(summary="Урок: запись, работы, посещаемость, отметки и индивидуальные задания", responses=JournalLessonDetailOut)
    def get(self, request: Request, school_slug: str, lesson_id: int) -> Response:
        _, lesson = access_lesson(request, lesson_id)
        return Response(_lesson_detail(lesson))

    @extend_schema(summary="Изменить тему, что сделано, домашнее задание (с версией)", request=JournalLessonPatchIn, responses=JournalLessonOut)
    def patch(self, request: Request, school_slug: str, lesson_id: int) -> Response:
        j, lesson = access_lesson(request, lesson_id)
        v = _valid(JournalLessonPatchIn, request.data)
        saved = services.record_lesson(_actor(request), j.school, services.LessonData(
            school_class=lesson.school_class, subject=lesson.subject, subgroup=lesson.subgroup, date=lesson.date,
            lesson_number=lesson.lesson_number, topic=v.get("topic"), done=v.get("done"), homework=v.get("homework"),
            ktp_topic_id=_ktp(v)), expected_version=v["version"])
        return Response(_lessons_out([saved])[0])


# --- works ---------------------------------------------------------------------------------------

class JournalWorkIn(serializers.Serializer):
    work_type = serializers.IntegerField(help_text="Вид работы (см. work-types/)")
    topic = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class WorkListView(APIView):
    @extend_schema(summary="Добавить работу на уроке (столбец отметок)", request=JournalWorkIn, responses={201: JournalWorkOut})
    def post(self, request: Request, school_slug: str, lesson_id: int) -> Response:
        j, lesson = access_lesson(request, lesson_id)
        v = _valid(JournalWorkIn, request.data)
        work_type = WorkType.objects.filter(pk=v["work_type"], is_active=True).first()
        if work_type is None:
            raise ValidationFailed("Такого вида работы нет.", fields={"work_type": ["Такого вида работы нет."]})
        work = services.add_work(_actor(request), j.school, lesson, work_type, v["topic"])
        return Response(JournalWorkOut(work).data, status=status.HTTP_201_CREATED)


class WorkTypeListView(APIView):
    @extend_schema(summary="Виды работ и их веса", responses=JournalWorkTypeOut(many=True))
    def get(self, request: Request, school_slug: str) -> Response:
        school, access = access_school(request)
        if not (access.can(Perm.JOURNAL_WRITE, school) or access.can(Perm.JOURNAL_READ_ALL, school)):
            raise PermissionDenied("Виды работ видят те, кто ведёт или читает журнал.")
        return Response(JournalWorkTypeOut(WorkType.objects.filter(is_active=True), many=True).data)


# --- marks ---------------------------------------------------------------------------------------

class JournalMarkIn(serializers.Serializer):
    work = serializers.IntegerField()
    student = serializers.IntegerField()
    value = serializers.CharField(max_length=20, allow_blank=True, help_text="1–5, «зач», «незач», «осв»; пусто — удалить")
    version = serializers.IntegerField(min_value=0, help_text="Версия отметки, которую видел пользователь; 0 — отметки не было")


class JournalMarkDeleteIn(serializers.Serializer):
    work = serializers.IntegerField()
    student = serializers.IntegerField()
    version = serializers.IntegerField(min_value=0)


class JournalMarkSavedOut(serializers.Serializer):
    mark = JournalMarkOut(allow_null=True)
    version = serializers.IntegerField(help_text="Новая версия; 0 — отметки нет")


def _work(work_id: int) -> Work:
    work = Work.objects.select_related("lesson__school_class__year", "lesson__subject", "lesson__subgroup", "work_type").filter(pk=work_id).first()
    if work is None:
        raise NotFound("Работа не найдена.")
    return work


def _conflict(exc: Conflict, work: Work, student_id: int) -> Response:
    """409 with what is in the journal now, so the grid shows the other value."""
    current = Mark.objects.filter(work=work, student_id=student_id).first()
    body = error_body(exc.code, exc.message)
    body["error"]["current"] = {"value": current.display if current else "", "version": current.version if current else 0}
    return Response(body, status=status.HTTP_409_CONFLICT)


def _mark_saved(mark: Mark | None) -> dict[str, Any]:
    return {"mark": JournalMarkOut(mark).data if mark else None, "version": mark.version if mark else 0}


class MarkView(APIView):
    @extend_schema(summary="Поставить или изменить отметку (ячейка журнала)", request=JournalMarkIn,
                   responses={200: JournalMarkSavedOut, 409: None},
                   description="409 journal_locked — запись старше срока (R-J07); 409 stale_version — отметку уже изменили "
                               "(в error.current — что сейчас в журнале).")
    def put(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.JOURNAL_WRITE)
        v = _valid(JournalMarkIn, request.data)
        work = _work(v["work"])
        try:
            mark = services.record_mark(_actor(request), school, work, v["student"], v["value"], expected_version=v["version"])
        except Conflict as exc:
            if exc.code != "stale_version":
                raise
            return _conflict(exc, work, v["student"])
        return Response(_mark_saved(mark))

    @extend_schema(summary="Удалить отметку", request=JournalMarkDeleteIn, responses={200: JournalMarkSavedOut})
    def delete(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.JOURNAL_WRITE)
        v = _valid(JournalMarkDeleteIn, request.data)
        work = _work(v["work"])
        try:
            services.record_mark(_actor(request), school, work, v["student"], "", expected_version=v["version"])
        except Conflict as exc:
            if exc.code != "stale_version":
                raise
            return _conflict(exc, work, v["student"])
        return Response(_mark_saved(None))


# --- attendance ----------------------------------------------------------------------------------

class JournalAttendanceIn(serializers.Serializer):
    lesson = serializers.IntegerField()
    student = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Attendance.Status.choices, help_text="absent — отсутствовал, late — опоздал")


class JournalAttendanceDeleteIn(serializers.Serializer):
    lesson = serializers.IntegerField()
    student = serializers.IntegerField()


class JournalAttendanceSavedOut(serializers.Serializer):
    attendance = JournalAttendanceOut(allow_null=True)


def _lesson(lesson_id: int) -> Lesson:
    lesson = Lesson.objects.select_related("school_class__year", "subject", "subgroup").filter(pk=lesson_id).first()
    if lesson is None:
        raise NotFound("Урок не найден.")
    return lesson


class AttendanceView(APIView):
    @extend_schema(summary="Отметить отсутствие или опоздание", request=JournalAttendanceIn, responses={200: JournalAttendanceSavedOut})
    def put(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.JOURNAL_WRITE)
        v = _valid(JournalAttendanceIn, request.data)
        row = services.set_attendance(_actor(request), school, _lesson(v["lesson"]), v["student"], v["status"])
        return Response({"attendance": JournalAttendanceOut(row).data if row else None})

    @extend_schema(summary="Снять отметку об отсутствии или опоздании (присутствовал)", request=JournalAttendanceDeleteIn,
                   responses={200: JournalAttendanceSavedOut})
    def delete(self, request: Request, school_slug: str) -> Response:
        school, _ = access_school(request, Perm.JOURNAL_WRITE)
        v = _valid(JournalAttendanceDeleteIn, request.data)
        services.set_attendance(_actor(request), school, _lesson(v["lesson"]), v["student"], None)
        return Response({"attendance": None})


class JournalAbsenceFilterIn(serializers.Serializer):
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)


class JournalAbsenceOut(JournalAttendanceOut):
    date = serializers.DateField(source="lesson.date")
    lesson_number = serializers.IntegerField(source="lesson.lesson_number")
    subject = serializers.CharField(source="lesson.subject.name")
    student_name = serializers.CharField(source="student.full_name")


class AbsenceListView(APIView):
    @extend_schema(summary="Пропуски класса и их причины", responses=JournalAbsenceOut(many=True), parameters=[JournalAbsenceFilterIn])
    def get(self, request: Request, school_slug: str, class_id: int) -> Response:
        school, access = access_school(request)
        if not (access.is_class_teacher_of(school, class_id) or access.can(Perm.MANAGE_PEOPLE, school)
                or access.can(Perm.JOURNAL_READ_ALL, school)):
            raise PermissionDenied("Пропуски класса видит его классный руководитель и администрация.")
        v = _valid(JournalAbsenceFilterIn, request.query_params)
        end = v.get("date_to") or rules.today()
        start = v.get("date_from") or end - dt.timedelta(days=30)
        return Response(JournalAbsenceOut(selectors.class_absences(class_id, start, end), many=True).data)


class JournalAbsenceReasonIn(serializers.Serializer):
    reason = serializers.ChoiceField(choices=[("illness", "По болезни"), ("excused", "По уважительной причине"),
                                              ("unexcused", "Без уважительной причины")])
    document = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")
    document_date = serializers.DateField(required=False, allow_null=True, default=None)


class AbsenceReasonView(APIView):
    @extend_schema(summary="Причина пропуска с документом (классный руководитель)", request=JournalAbsenceReasonIn, responses=JournalAttendanceOut)
    def put(self, request: Request, school_slug: str, attendance_id: int) -> Response:
        school, access = access_school(request)
        entry = access.schools.get(school.pk)
        if not ((entry and entry.class_teacher_of) or access.can(Perm.MANAGE_PEOPLE, school)):
            raise PermissionDenied("Причину пропуска указывает классный руководитель этого класса.")
        v = _valid(JournalAbsenceReasonIn, request.data)
        attendance = Attendance.objects.select_related("lesson__school_class").filter(pk=attendance_id).first()
        if attendance is None:
            raise NotFound("Пропуск не найден.")
        row = services.set_absence_reason(_actor(request), school, attendance, v["reason"], document=v["document"],
                                          document_date=v["document_date"])
        return Response(JournalAttendanceOut(row).data)


# --- individual homework -----------------------------------------------------------------------------

class JournalIndividualHomeworkIn(serializers.Serializer):
    student = serializers.IntegerField()
    text = serializers.CharField(allow_blank=True, max_length=5000, help_text="Пусто — снять задание")


class JournalIndividualHomeworkOut(serializers.Serializer):
    student = serializers.IntegerField()
    text = serializers.CharField()


class IndividualHomeworkView(APIView):
    @extend_schema(summary="Индивидуальное домашнее задание ученику", request=JournalIndividualHomeworkIn, responses=JournalIndividualHomeworkOut)
    def put(self, request: Request, school_slug: str, lesson_id: int) -> Response:
        j, lesson = access_lesson(request, lesson_id)
        v = _valid(JournalIndividualHomeworkIn, request.data)
        row = services.set_individual_homework(_actor(request), j.school, lesson, v["student"], v["text"])
        return Response({"student": v["student"], "text": row.text if row else ""})


# --- the grid --------------------------------------------------------------------------------------------

class JournalGridRowOut(serializers.Serializer):
    student = JournalPersonRefOut()
    marks = JournalMarkOut(many=True)
    attendance = JournalAttendanceOut(many=True)
    count = serializers.IntegerField(help_text="Число отметок 1–5")
    plain = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True, help_text="Средний балл")
    weighted = serializers.DecimalField(max_digits=4, decimal_places=2, allow_null=True, help_text="Средневзвешенный балл")
    proposed = serializers.IntegerField(allow_null=True, help_text="Рекомендуемая отметка за период")
    short = serializers.BooleanField(help_text="Меньше отметок, чем нужно для аттестации (R-J12)")
    period_mark = serializers.CharField(allow_null=True)
    not_attending = serializers.ListField(child=serializers.IntegerField(), default=list,
                                          help_text="Уроки другой подгруппы среди столбцов: не уроки этого ученика")


class JournalGridOut(serializers.Serializer):
    school_class = serializers.IntegerField()
    subject = serializers.IntegerField()
    subgroup = serializers.IntegerField(allow_null=True)
    period = serializers.IntegerField(allow_null=True)
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    lock_from = serializers.DateField(help_text="Самая ранняя дата, которую ещё можно изменять")
    min_marks = serializers.IntegerField()
    can_write = serializers.BooleanField()
    lessons = JournalLessonOut(many=True)
    rows = JournalGridRowOut(many=True)


class GridView(APIView):
    @extend_schema(summary="Журнал класса по предмету: уроки, работы, отметки, посещаемость, средние", responses=JournalGridOut,
                   parameters=[OpenApiParameter("period", int), OpenApiParameter("subgroup", int),
                               OpenApiParameter("date_from", dt.date), OpenApiParameter("date_to", dt.date)])
    def get(self, request: Request, school_slug: str, class_id: int, subject_id: int) -> Response:
        subgroup = request.query_params.get("subgroup", "")
        j = access_journal(request, class_id, subject_id, int(subgroup) if subgroup.isdecimal() else None)
        year = j.school_class.year
        period, start, end = period_range(request, periods_for_grade(j.school_class.grade, year), year)
        grid, settings_row = grid_of(j, start, end, period)
        works = [w for ws in grid.works.values() for w in ws]
        rows = []
        for row in grid.rows:
            pm = row.period_mark
            rows.append({
                "student": row.student, "marks": [m for ms in row.cells.values() for m in ms], "attendance": list(row.attendance.values()),
                "count": row.count, "plain": row.plain, "weighted": row.weighted, "proposed": row.proposed, "short": row.short,
                "period_mark": ("н/а" if pm.not_assessed else (str(pm.value) if pm.value else pm.get_mark_kind_display())) if pm else None,
                "not_attending": [ls.pk for ls in grid.lessons if not grid.attends(ls, row.student.pk)],
            })
        lock_from = rules.today() - dt.timedelta(days=settings_row.lock_days)
        return Response({
            "school_class": j.school_class.pk, "subject": j.subject.pk, "subgroup": j.subgroup.pk if j.subgroup else None,
            "period": period.pk if period else None, "date_from": start, "date_to": end, "lock_from": lock_from,
            "min_marks": grid.min_marks, "can_write": j.can_write,
            "lessons": _lessons_out(grid.lessons, works, lock_from), "rows": JournalGridRowOut(rows, many=True).data,
        })

