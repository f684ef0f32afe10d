"""Writes to the journal. Every path (pages, API, import, admin actions) calls these;
each checks the actor's right, the regulations' rules, writes and audits in one
transaction. Students and parents never write here (R-A01): they hold no journal right."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.roles import Perm
from accounts.selectors import access_for
from accounts.services import ensure_writable
from audit.services import record, snapshot
from core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from curriculum.models import Subject, TeachingAssignment
from roster.models import Enrolment, SchoolClass, Subgroup, SubgroupMember
from schoolyear.guards import ensure_year_open

from . import rules
from .models import Attendance, ChangeRequest, ChangeRequestStatus, IndividualHomework, Lesson, Mark, Work, WorkType

if TYPE_CHECKING:
    from accounts.models import Person
    from tenants.models import School

LESSON_AUDITED = ["school_class", "subgroup", "subject", "teacher", "replaced_teacher", "date", "lesson_number", "topic",
                  "ktp_topic", "done", "homework"]
MARK_AUDITED = ["work", "student", "kind", "value", "source_document"]


# --- who may write -------------------------------------------------------------------------

def substitution_for(actor_id: int, school_class_id: int, subject_id: int, date: dt.date, lesson_number: int) -> Any:
    """The substitution that makes `actor` the teacher of that lesson on that date (R-J06)."""
    from django.db.models import Q

    from timetable.models import Substitution

    # The substitute may teach the timetable's subject or the one named on the substitution.
    return (Substitution.objects.filter(date=date, substitute_id=actor_id, entry__school_class_id=school_class_id,
                                        entry__lesson_number=lesson_number)
            .filter(Q(entry__subject_id=subject_id) | Q(subject_id=subject_id)).first())


def teaches(actor_id: int, school_class_id: int, subject_id: int, subgroup_id: int | None = None) -> bool:
    from django.db.models import Q

    qs = TeachingAssignment.objects.filter(teacher_id=actor_id, school_class_id=school_class_id, subject_id=subject_id)
    if subgroup_id is not None:
        # A teacher of the whole class may write a subgroup's lesson too.
        qs = qs.filter(Q(subgroup_id=subgroup_id) | Q(subgroup__isnull=True))
    return qs.exists()


def _require_writer(actor: Person, school: School) -> None:
    if not access_for(actor).can(Perm.JOURNAL_WRITE, school):
        raise PermissionDenied("Вести журнал могут только учителя школы.")
    ensure_writable(school)


def _require_teacher_of(actor: Person, school: School, school_class: SchoolClass, subject: Subject,
                        subgroup: Subgroup | None, date: dt.date, lesson_number: int) -> Any:
    """The actor teaches this class and subject, or substitutes for this very lesson.
    Returns the substitution when it is one."""
    _require_writer(actor, school)
    if teaches(actor.pk, school_class.pk, subject.pk, subgroup.pk if subgroup else None):
        return None
    substitution = substitution_for(actor.pk, school_class.pk, subject.pk, date, lesson_number)
    if substitution is not None:
        return substitution
    raise PermissionDenied(f"Вы не ведёте «{subject}» в {school_class} и не замещаете этот урок.")


# --- lessons ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class LessonData:
    school_class: SchoolClass
    subject: Subject
    date: dt.date
    lesson_number: int
    subgroup: Subgroup | None = None
    topic: str | None = None
    done: str | None = None
    homework: str | None = None
    ktp_topic_id: int | None = None


def _ensure_school_day(school_class: SchoolClass, date: dt.date) -> None:
    from schoolyear.calendar_service import SchoolCalendar

    year = school_class.year
    if not (year.starts_on <= date <= year.ends_on):
        raise ValidationFailed("Дата вне учебного года класса.", code="outside_year", fields={"date": ["Вне учебного года."]})
    if not SchoolCalendar.for_year(year).is_school_day(date, school_class.grade):
        raise ValidationFailed(f"{date:%d.%m.%Y} — не учебный день для {school_class} (выходной, праздник или каникулы).",
                               code="not_a_school_day", fields={"date": ["Не учебный день."]})


def record_lesson(actor: Person, school: School, data: LessonData, *, expected_version: int | None = None,
                  bypass_lock: bool = False) -> Lesson:
    """Creates or updates the lesson record (R-J01). The first entry made after the lesson's
    day is marked late (R-J05). A save based on a stale version is refused (no silent overwrite)."""
    if data.subgroup is not None and data.subgroup.school_class_id != data.school_class.pk:
        raise ValidationFailed("Подгруппа из другого класса.", fields={"subgroup": ["Не из этого класса."]})
    if data.lesson_number < 0 or data.lesson_number > 12:
        raise ValidationFailed("Номер урока от 0 до 12.", fields={"lesson_number": ["От 0 до 12."]})
    substitution = _require_teacher_of(actor, school, data.school_class, data.subject, data.subgroup, data.date, data.lesson_number) \
        if not bypass_lock else None
    ensure_year_open(data.school_class.year_id)
    if not bypass_lock:
        rules.ensure_not_locked(data.date)
    _ensure_school_day(data.school_class, data.date)
    if data.ktp_topic_id:
        from .ktp import check_topic_matches

        check_topic_matches(data.school_class.pk, data.subject.pk, data.ktp_topic_id)
    for name in ("topic", "done", "homework"):
        value = getattr(data, name)
        if value is not None and len(value) > 5000:
            raise ValidationFailed("Слишком длинный текст.", fields={name: ["Не больше 5000 знаков."]})
    with transaction.atomic():
        lesson = (Lesson.objects.select_for_update()
                  .filter(school_class=data.school_class, subgroup=data.subgroup, subject=data.subject, date=data.date,
                          lesson_number=data.lesson_number).first())
        before = snapshot(lesson, LESSON_AUDITED) if lesson else None
        if lesson is None:
            lesson = Lesson(school_class=data.school_class, subgroup=data.subgroup, subject=data.subject, date=data.date,
                            lesson_number=data.lesson_number, teacher=actor, created_by=actor,
                            entered_late=data.date < rules.today())
            if substitution is not None:
                lesson.replaced_teacher_id = substitution.absent_teacher_id
        elif expected_version is not None and expected_version != lesson.version:
            raise Conflict("Урок уже изменил другой пользователь. Обновите страницу и повторите.", code="stale_version")
        else:
            lesson.version += 1
        for name in ("topic", "done", "homework"):
            value = getattr(data, name)
            if value is not None:
                setattr(lesson, name, value.strip())
        if data.ktp_topic_id is not None:
            lesson.ktp_topic_id = data.ktp_topic_id or None
        try:
            lesson.save()
        except IntegrityError as exc:  # a concurrent first save of the same slot
            raise Conflict("Урок уже создан другим пользователем. Обновите страницу.", code="stale_version") from exc
        record(actor=actor, action="journal.lesson.save", school=school, obj=lesson, before=before,
               after=snapshot(lesson, LESSON_AUDITED))
    return lesson


def add_work(actor: Person, school: School, lesson: Lesson, work_type: WorkType, topic: str = "") -> Work:
    _require_teacher_of(actor, school, lesson.school_class, lesson.subject, lesson.subgroup, lesson.date, lesson.lesson_number)
    ensure_year_open(lesson.school_class.year_id)
    rules.ensure_not_locked(lesson.date)
    rules.ensure_marks_allowed(lesson.school_class.grade, lesson.subject)
    if not work_type.is_active:  # switched off by the school: its old works keep counting, no new ones
        raise ValidationFailed(f"Вид работы «{work_type.name}» отключён в настройках школы.", code="work_type_inactive",
                               fields={"work_type": ["Вид работы отключён."]})
    with transaction.atomic():
        # R-J03: read again under lock, so a type deleted or switched off meanwhile is not taken
        # (remove_work_type locks the same row: it then sees this work and switches the type off)
        locked = WorkType.objects.select_for_update().filter(pk=work_type.pk).first()
        if locked is None:
            raise ValidationFailed("Вид работы удалён в настройках школы. Обновите страницу.", code="work_type_inactive",
                                   fields={"work_type": ["Вид работы удалён."]})
        if not locked.is_active:
            raise ValidationFailed(f"Вид работы «{locked.name}» отключён в настройках школы.", code="work_type_inactive",
                                   fields={"work_type": ["Вид работы отключён."]})
        work_type = locked
        position = (lesson.works.order_by("-position").values_list("position", flat=True).first() or 0) + 1
        work = Work.objects.create(lesson=lesson, work_type=work_type, topic=topic.strip()[:300], position=position)
        record(actor=actor, action="journal.work.add", school=school, obj=work,
               after={"lesson": lesson.pk, "work_type": work_type.name, "topic": work.topic})
    return work


# --- students of a lesson ----------------------------------------------------------------------

def students_of_lesson_ids(lesson: Lesson) -> set[int]:
    """Students enrolled in the lesson's class on its date (and in its subgroup, if any)."""
    from django.db.models import Q

    ids = set(Enrolment.objects.filter(school_class_id=lesson.school_class_id, since__lte=lesson.date)
              .filter(Q(until__isnull=True) | Q(until__gte=lesson.date)).values_list("student_id", flat=True))
    if lesson.subgroup_id:
        ids &= set(SubgroupMember.objects.filter(subgroup_id=lesson.subgroup_id).values_list("student_id", flat=True))
    return ids


def _is_student_of(lesson: Lesson, student_id: int) -> bool:
    """Whether one student is of the lesson (one query: enrolled that day, and in its subgroup)."""
    from django.db.models import Q

    qs = (Enrolment.objects.filter(school_class_id=lesson.school_class_id, student_id=student_id, since__lte=lesson.date)
          .filter(Q(until__isnull=True) | Q(until__gte=lesson.date)))
    if lesson.subgroup_id:
        qs = qs.filter(student_id__in=SubgroupMember.objects.filter(subgroup_id=lesson.subgroup_id).values("student_id"))
    return qs.exists()


def _ensure_student_of(lesson: Lesson, student_id: int) -> None:
    if not isinstance(student_id, int) or not _is_student_of(lesson, student_id):
        raise ValidationFailed("Этот обучающийся не учился в классе (подгруппе) в день урока.", code="not_in_class",
                               fields={"student": ["Не в классе в этот день."]})


# --- marks -------------------------------------------------------------------------------------

def record_mark(actor: Person, school: School, work: Work, student_id: int, value: object, *,
                expected_version: int | None = None, source_document: str = "", bypass_lock: bool = False) -> Mark | None:
    """Puts a mark in the column of the day the work was done (R-J03). `value` empty deletes it.
    Past the lock only an approved change request may change it (bypass_lock, R-J08)."""
    lesson = work.lesson
    if not bypass_lock:
        _require_teacher_of(actor, school, lesson.school_class, lesson.subject, lesson.subgroup, lesson.date, lesson.lesson_number)
        rules.ensure_not_locked(lesson.date)
    ensure_year_open(lesson.school_class.year_id)
    rules.ensure_marks_allowed(lesson.school_class.grade, lesson.subject)
    _ensure_student_of(lesson, student_id)
    delete = value is None or str(value).strip() == ""
    kind, number = (None, None) if delete else rules.parse_mark(value)
    if not delete and Attendance.objects.filter(lesson=lesson, student_id=student_id, status=Attendance.Status.ABSENT).exists() \
            and not source_document:
        raise ValidationFailed("Обучающийся отсутствовал на уроке: сначала снимите отметку «Н».", code="absent",
                               fields={"value": ["Отсутствовал."]})
    with transaction.atomic():
        mark = Mark.objects.select_for_update().filter(work=work, student_id=student_id).first()
        if mark is not None and expected_version is not None and mark.version != expected_version:
            raise Conflict("Эту отметку уже изменил другой пользователь. Обновите страницу и повторите.", code="stale_version")
        if mark is None and expected_version not in (None, 0):
            raise Conflict("Эту отметку уже удалил другой пользователь. Обновите страницу.", code="stale_version")
        before = snapshot(mark, MARK_AUDITED) if mark else None
        if delete:
            if mark is None:
                return None
            mark.delete()
            record(actor=actor, action="journal.mark.delete", school=school, object_type="journal.mark",
                   object_id=str(before and mark.pk), object_repr=f"{lesson}", before=before)
            return None
        if mark is None:
            mark = Mark(work=work, student_id=student_id, created_by=actor)
        else:
            mark.version += 1
        assert kind is not None
        mark.kind, mark.value = kind, number
        if source_document:
            mark.source_document = source_document.strip()[:300]
        if mark.pk is None:  # a first save may race another one on the unique (work, student)
            try:
                with transaction.atomic():
                    mark.save()
            except IntegrityError as exc:
                raise Conflict("Отметку одновременно поставил другой пользователь. Обновите страницу.", code="stale_version") from exc
        else:  # the row is locked (select_for_update above): no savepoint needed
            mark.save()
        record(actor=actor, action="journal.mark.save", school=school, obj=mark, object_repr=f"{lesson}: {mark.display}",
               before=before, after=snapshot(mark, MARK_AUDITED))
    return mark


def ensure_no_mark(work: Work, student_id: int, what: str) -> None:
    """A mark put from elsewhere (a hospital's document, the notebook) goes into an empty cell only:
    it never silently replaces a mark already in the journal."""
    current = Mark.objects.filter(work=work, student_id=student_id).first()
    if current is not None:
        raise Conflict(f"У обучающегося уже есть отметка «{current.display}» за эту работу: {what} не заменяет её. "
                       "Выберите другую работу или сначала измените отметку в журнале.", code="mark_exists")


def record_external_mark(actor: Person, school: School, work: Work, student_id: int, value: object, document: str) -> Mark | None:
    """R-J09 (003 §2.3.5): a mark from a hospital school or sanatorium, with the document it rests on.
    Into an empty cell only (an existing mark is refused, not overwritten); past the 7-day lock it
    goes through a change request whose mark change carries the document."""
    if not document.strip():
        raise ValidationFailed("Укажите документ, на основании которого выставлена отметка (справка, ведомость, табель).",
                               fields={"source_document": ["Обязательное поле."]})
    if value is None or str(value).strip() == "":
        raise ValidationFailed("Укажите отметку.", fields={"value": ["Обязательное поле."]})
    lesson = work.lesson
    _require_teacher_of(actor, school, lesson.school_class, lesson.subject, lesson.subgroup, lesson.date, lesson.lesson_number)
    ensure_no_mark(work, student_id, "отметка из другого учреждения")
    return record_mark(actor, school, work, student_id, value, source_document=document, expected_version=0)


# --- individual homework -----------------------------------------------------------------------

def set_individual_homework(actor: Person, school: School, lesson: Lesson, student_id: int, text: str) -> IndividualHomework | None:
    """Homework for one student besides the class's (R-J01; 004 §VIII «общее и индивидуальное
    домашнее задание»). The lesson's rules apply: its teacher or substitute, the 7-day lock, an
    open year, a student of the lesson. Empty text removes it."""
    _require_teacher_of(actor, school, lesson.school_class, lesson.subject, lesson.subgroup, lesson.date, lesson.lesson_number)
    ensure_year_open(lesson.school_class.year_id)
    rules.ensure_not_locked(lesson.date)
    _ensure_student_of(lesson, student_id)
    text = (text or "").strip()
    if len(text) > 5000:
        raise ValidationFailed("Слишком длинный текст.", fields={"text": ["Не больше 5000 знаков."]})
    with transaction.atomic():
        row = IndividualHomework.objects.select_for_update().filter(lesson=lesson, student_id=student_id).first()
        before = {"text": row.text} if row else None
        if not text:
            if row is None:
                return None
            row.delete()
            record(actor=actor, action="journal.individual_homework.delete", school=school,
                   object_type="journal.individualhomework", object_repr=f"{lesson} / {student_id}", before=before)
            return None
        if row is not None and row.text == text:
            return row
        row = row or IndividualHomework(lesson=lesson, student_id=student_id)
        row.text = text
        row.save()
        record(actor=actor, action="journal.individual_homework.save", school=school, obj=row,
               object_repr=f"{lesson} / {student_id}", before=before, after={"text": text})
    return row


# --- attendance --------------------------------------------------------------------------------

def set_attendance(actor: Person, school: School, lesson: Lesson, student_id: int, status: str | None, *,
                   bypass_lock: bool = False) -> Attendance | None:
    """Absent ("absent"), late ("late") or present (None) at a lesson (R-J02)."""
    if not bypass_lock:
        _require_teacher_of(actor, school, lesson.school_class, lesson.subject, lesson.subgroup, lesson.date, lesson.lesson_number)
        rules.ensure_not_locked(lesson.date)
    ensure_year_open(lesson.school_class.year_id)
    _ensure_student_of(lesson, student_id)
    if status not in (None, "", Attendance.Status.ABSENT, Attendance.Status.LATE):
        raise ValidationFailed("Посещаемость: «absent», «late» или пусто.", fields={"status": ["Недопустимое значение."]})
    with transaction.atomic():
        Lesson.objects.filter(pk=lesson.pk, attendance_taken_at__isnull=True).update(attendance_taken_at=timezone.now())  # R-J05
        row = Attendance.objects.select_for_update().filter(lesson=lesson, student_id=student_id).first()
        before = {"status": row.status, "reason": row.reason} if row else None
        if not status:
            if row is None:
                return None
            row.delete()
            record(actor=actor, action="journal.attendance.clear", school=school, object_type="journal.attendance",
                   object_repr=f"{lesson} / {student_id}", before=before)
            return None
        if status == Attendance.Status.ABSENT and Mark.objects.filter(work__lesson=lesson, student_id=student_id, source_document="").exists():
            raise ValidationFailed("У обучающегося есть отметка за этот урок: отсутствовавшему её поставить нельзя.",
                                   code="has_mark", fields={"status": ["Есть отметка."]})
        if row is None:
            row = Attendance(lesson=lesson, student_id=student_id, created_by=actor)
        row.status = status
        row.save()
        record(actor=actor, action="journal.attendance.save", school=school, obj=row, object_repr=f"{lesson} / {student_id}",
               before=before, after={"status": row.status})
    return row


def set_absence_reason(actor: Person, school: School, attendance: Attendance, reason: str, *, document: str = "",
                       document_date: dt.date | None = None) -> Attendance:
    """The class teacher records why a student was absent, with the document (R-J02; 004 §VIII:
    no later than 2 working days after the document; late entries are shown to the deputy)."""
    from .models import AbsenceReason

    access = access_for(actor)
    school_class = attendance.lesson.school_class
    if not (access.is_class_teacher_of(school, school_class.pk) or access.can(Perm.MANAGE_PEOPLE, school)):
        raise PermissionDenied("Причину пропуска указывает классный руководитель этого класса.")
    ensure_writable(school)
    ensure_year_open(school_class.year_id)
    if reason not in AbsenceReason.values:
        raise ValidationFailed("Причина: по болезни, по уважительной или без уважительной причины.", fields={"reason": ["Недопустимое значение."]})
    if reason in (AbsenceReason.ILLNESS, AbsenceReason.EXCUSED) and not document.strip():
        raise ValidationFailed("Укажите подтверждающий документ.", fields={"document": ["Обязательное поле."]})
    if document_date and document_date > rules.today():
        raise ValidationFailed("Дата документа в будущем.", fields={"document_date": ["Дата в будущем."]})
    if attendance.status != Attendance.Status.ABSENT:
        raise ValidationFailed("Причину указывают только для пропуска.", fields={"reason": ["Это не пропуск."]})
    with transaction.atomic():
        # The class teacher's document fields, all three, before and after (R-J02; 003 §3.3.4).
        before = {"reason": attendance.reason, "document": attendance.document,
                  "document_date": attendance.document_date.isoformat() if attendance.document_date else None}
        attendance.reason = reason
        attendance.document = document.strip()[:300]
        attendance.document_date = document_date
        attendance.reason_set_by = actor
        attendance.reason_set_at = timezone.now()
        attendance.save(update_fields=["reason", "document", "document_date", "reason_set_by", "reason_set_at"])
        record(actor=actor, action="journal.absence_reason", school=school, obj=attendance, before=before,
               after={"reason": reason, "document": attendance.document,
                      "document_date": document_date.isoformat() if document_date else None})
    return attendance


# --- change requests (R-J08) --------------------------------------------------------------------

CHANGE_OPS = ("mark", "attendance", "lesson", "new_lesson", "period_mark")
# The keys each operation may carry ("was" is the value before, added for the register's «было → стало»).
CHANGE_KEYS: dict[str, frozenset[str]] = {
    "mark": frozenset({"op", "work", "student", "value", "source_document", "was"}),
    "attendance": frozenset({"op", "student", "status", "was"}),
    "lesson": frozenset({"op", "topic", "done", "homework", "was"}),
    # A lesson of the timetable that has no record yet (forgotten past the lock): the request's class,
    # subject and date, plus the subgroup and the lesson number; the approval creates the record.
    # `works`: the lesson's works with their marks, [{"work_type": id, "topic": "", "marks": {"<student>": "5"}}].
    "new_lesson": frozenset({"op", "subgroup", "lesson_number", "topic", "done", "homework", "works"}),
    # A period, year, exam or final mark past its window (R-J11).
    "period_mark": frozenset({"op", "student", "kind", "period", "value", "was"}),
}
LESSON_TEXTS = ("topic", "done", "homework")
NEW_WORK_KEYS = frozenset({"work_type", "topic", "marks"})
MAX_NEW_WORKS = 10
NOT_ASSESSED = {"н/а", "на", "н\\а"}


@dataclass(frozen=True)
class RequestTarget:
    """What a change request is about: a class and subject on a date, and the lesson record when
    there is one (none for a forgotten lesson or for period marks only)."""

    school_class: SchoolClass
    subject: Subject
    date: dt.date
    lesson: Lesson | None = None


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _bad(n: int, text: str, key: str, code: str = "bad_change") -> ValidationFailed:
    return ValidationFailed(f"Изменение {n}: {text}", code=code, fields={"changes": [f"{n}: {key}"]})


def _clean_texts(n: int, change: dict[str, Any], item: dict[str, Any]) -> None:
    for name in LESSON_TEXTS:
        text = change.get(name)
        if text is None:
            continue
        if not isinstance(text, str) or len(text) > 5000:
            raise _bad(n, f"поле «{name}» — текст не длиннее 5000 знаков.", name)
        item[name] = text


def _clean_new_lesson(n: int, target: RequestTarget, change: dict[str, Any]) -> tuple[dict[str, Any], Lesson]:
    """The slot of a forgotten lesson, and an unsaved Lesson standing for it (to know its students)."""
    if target.lesson is not None:
        raise _bad(n, "запись этого урока уже есть: меняйте её тему, а не создавайте урок.", "op")
    subgroup_id = change.get("subgroup")
    if subgroup_id is not None and (not _is_id(subgroup_id) or not Subgroup.objects.filter(
            pk=subgroup_id, school_class=target.school_class).exists()):
        raise _bad(n, "подгруппа не из этого класса.", "subgroup")
    number = change.get("lesson_number")
    if not isinstance(number, int) or isinstance(number, bool) or not 0 <= number <= 12:
        raise _bad(n, "номер урока от 0 до 12.", "lesson_number")
    item: dict[str, Any] = {"op": "new_lesson", "subgroup": subgroup_id, "lesson_number": number}
    _clean_texts(n, change, item)
    if not str(item.get("topic") or "").strip():
        raise _bad(n, "укажите тему урока.", "topic")
    slot = Lesson(school_class=target.school_class, subject=target.subject, subgroup_id=subgroup_id, date=target.date,
                  lesson_number=number)
    return item, slot


def _clean_new_works(n: int, target: RequestTarget, raw: Any, students: set[int]) -> list[dict[str, Any]]:
    """The works of a forgotten lesson and their marks (R-J08, R-J03), checked as add_work and record_mark
    check them: marks allowed in the class (R-J04), a work type switched on, a mark on the scale for a
    student of the class (subgroup) on that day. Absences are checked against the request's attendance
    by the caller. Normalised: {"work_type": id, "topic": text, "marks": {"<student>": "5"}}."""
    if not isinstance(raw, list) or len(raw) > MAX_NEW_WORKS:
        raise _bad(n, f"работы урока — список (не больше {MAX_NEW_WORKS}).", "works")
    if not raw:
        return []
    try:
        rules.ensure_marks_allowed(target.school_class.grade, target.subject)
    except ValidationFailed as exc:
        raise _bad(n, exc.message, "works", exc.code) from exc
    for work in raw:
        if not isinstance(work, dict) or not _is_id(work.get("work_type")):
            raise _bad(n, "у работы укажите вид работы (work_type).", "work_type")
    types = {t.pk: t for t in WorkType.objects.filter(pk__in=[w["work_type"] for w in raw])}
    works: list[dict[str, Any]] = []
    for w_n, work in enumerate(raw, start=1):
        unknown = sorted(str(k) for k in work if k not in NEW_WORK_KEYS)
        if unknown:
            raise _bad(n, f"работа {w_n}: неизвестные поля: {', '.join(unknown)}.", unknown[0])
        work_type = types.get(work["work_type"])
        if work_type is None:
            raise _bad(n, f"работа {w_n}: нет такого вида работы.", "work_type")
        if not work_type.is_active:
            raise _bad(n, f"работа {w_n}: вид работы «{work_type.name}» отключён в настройках школы.", "work_type",
                       "work_type_inactive")
        topic = work.get("topic") or ""
        if not isinstance(topic, str) or len(topic) > 300:
            raise _bad(n, f"работа {w_n}: тема работы — текст не длиннее 300 знаков.", "topic")
        marks_in = work.get("marks") or {}
        if not isinstance(marks_in, dict):
            raise _bad(n, f"работа {w_n}: отметки — объект «обучающийся → отметка».", "marks")
        marks: dict[str, str] = {}
        for key, value in marks_in.items():
            student = int(key) if isinstance(key, str) and key.isdecimal() else key
            if not _is_id(student) or student not in students:
                raise _bad(n, f"работа {w_n}: обучающийся {key} не из этого класса (подгруппы) в день урока.", "student")
            if (value is not None and not isinstance(value, str | int)) or isinstance(value, bool):
                raise _bad(n, f"работа {w_n}: отметка — строка или число.", "value")
            text = "" if value is None else str(value).strip()
            if not text:
                continue
            try:
                rules.parse_mark(text)
            except ValidationFailed as exc:
                raise _bad(n, f"работа {w_n}: {exc.message}", "value", exc.code) from exc
            marks[str(student)] = text
        works.append({"work_type": work_type.pk, "topic": topic.strip(), "marks": marks})
    return works


def _clean_period_mark(n: int, target: RequestTarget, change: dict[str, Any], students: set[int],
                       periods: dict[int, Any], on: dt.date | None) -> dict[str, Any]:
    """A period (year, exam, final) mark checked key by key as set_period_mark checks it; when
    filing (`on`), only past its window: inside it the teacher sets it without a request."""
    from .models import FinalKind
    from .period_marks import window

    if not _is_id(change.get("student")) or change["student"] not in students:
        raise _bad(n, "обучающийся не из этого класса.", "student")
    kind = change.get("kind")
    if kind not in FinalKind.values:
        raise _bad(n, "вид итоговой отметки: period, year, exam или final.", "kind")
    period_id = change.get("period")
    period = None
    if kind == FinalKind.PERIOD:
        if not _is_id(period_id) or period_id not in periods:
            raise _bad(n, "учебный период не относится к этому классу.", "period")
        period = periods[period_id]
    elif period_id is not None:
        raise _bad(n, "годовая, экзаменационная и итоговая отметки ставятся без периода.", "period")
    raw = change.get("value")
    if not isinstance(raw, str | int) or isinstance(raw, bool) or not str(raw).strip():
        raise _bad(n, "укажите отметку (1–5, «зач», «незач», «осв» или «н/а»).", "value")
    value = str(raw).strip().lower()
    if value not in NOT_ASSESSED:
        try:
            rules.parse_mark(value)
        except ValidationFailed as exc:
            raise _bad(n, exc.message, "value", exc.code) from exc
    if on is not None:
        start, end = window(target.school_class, kind, period)
        if on <= end:
            raise _bad(n, f"срок этой отметки ({start:%d.%m.%Y}–{end:%d.%m.%Y}) ещё не прошёл: выставьте её сами.", "value",
                       "not_locked")
    return {"op": "period_mark", "student": change["student"], "kind": kind, "period": period_id if period else None,
            "value": value}


def _clean_changes(target: RequestTarget, changes: Any, *, on: dt.date | None = None) -> list[dict[str, Any]]:
    """Checks a request's changes as a whole and returns them normalised, with only the known keys
    of each operation: an unknown key, a value of the wrong type, a student or work not of this
    lesson, a repeated change or contradictory ones (a mark and an absence of one student) are
    refused with the number of the change, before anything is stored or applied. `on` is the
    filing day (the period marks' windows are checked then; an approval applies past them)."""
    if not isinstance(changes, list) or not changes:
        raise ValidationFailed("Перечислите изменения.", fields={"changes": ["Пустой список."]})
    if len(changes) > 500:
        raise ValidationFailed("Слишком много изменений в одной заявке (не больше 500).", fields={"changes": ["Больше 500."]})
    for n, change in enumerate(changes, start=1):
        if not isinstance(change, dict):
            raise _bad(n, "ожидается объект с полем «op».", "op")
        if change.get("op") not in CHANGE_OPS:
            raise _bad(n, f"неизвестная операция (допустимо: {', '.join(CHANGE_OPS)}).", "op")
        unknown = sorted(str(k) for k in change if k not in CHANGE_KEYS[change["op"]])
        if unknown:
            raise _bad(n, f"неизвестные поля для «{change['op']}»: {', '.join(unknown)}.", unknown[0])
    new_lessons = [n for n, c in enumerate(changes, start=1) if c["op"] == "new_lesson"]
    if len(new_lessons) > 1:
        raise _bad(new_lessons[1], "в заявке может быть только один новый урок.", "duplicate")
    lesson = target.lesson
    new_item: dict[str, Any] | None = None
    if new_lessons:
        new_item, lesson = _clean_new_lesson(new_lessons[0], target, changes[new_lessons[0] - 1])
    students = students_of_lesson_ids(lesson) if lesson is not None else set()
    if new_item is not None and "works" in changes[new_lessons[0] - 1]:
        new_item["works"] = _clean_new_works(new_lessons[0], target, changes[new_lessons[0] - 1]["works"], students)
    work_ids = set(Work.objects.filter(lesson=target.lesson).values_list("pk", flat=True)) if target.lesson else set()
    year_students: set[int] | None = None
    periods: dict[int, Any] = {}
    clean: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    for n, change in enumerate(changes, start=1):
        op = change["op"]
        item: dict[str, Any] = {"op": op}
        key: tuple[Any, ...]
        if op == "new_lesson":
            assert new_item is not None
            clean.append(new_item)
            continue
        if op == "period_mark":
            if year_students is None:
                year_students, periods = _class_year(target.school_class)
            item = _clean_period_mark(n, target, change, year_students, periods, on)
            key = ("period_mark", item["student"], item["kind"], item["period"])
        elif lesson is None:
            raise _bad(n, "заявка не называет урок: в ней можно менять только итоговые отметки или записать пропущенный урок.", "op")
        elif op == "lesson" and new_item is not None:
            raise _bad(n, "тему и задание нового урока указывают в нём самом.", "op")
        if op in ("mark", "attendance"):
            if not _is_id(change.get("student")) or change["student"] not in students:
                raise _bad(n, "обучающийся не из этого класса (подгруппы) в день урока.", "student")
            item["student"] = change["student"]
        if op == "mark":
            if not _is_id(change.get("work")) or change["work"] not in work_ids:
                raise _bad(n, "работа не из этого урока.", "work")
            raw = change.get("value")
            if (raw is not None and not isinstance(raw, str | int)) or isinstance(raw, bool):
                raise _bad(n, "отметка — строка или число.", "value")
            value = "" if raw is None else str(raw).strip()
            if value:
                try:
                    rules.parse_mark(value)
                except ValidationFailed as exc:
                    raise _bad(n, exc.message, "value", exc.code) from exc
            item.update(work=change["work"], value=value)
            document = change.get("source_document")
            if document is not None and (not isinstance(document, str) or len(document) > 300):
                raise _bad(n, "документ-основание — текст не длиннее 300 знаков.", "source_document")
            if document and document.strip():
                item["source_document"] = document.strip()  # R-J09: a mark from a hospital school rests on it
            key = ("mark", item["work"], item["student"])
        elif op == "attendance":
            status = change.get("status") or ""
            if status not in ("", Attendance.Status.ABSENT, Attendance.Status.LATE):
                raise _bad(n, "посещаемость «absent», «late» или пусто.", "status")
            item["status"] = str(status)
            key = ("attendance", item["student"])
        elif op == "lesson":
            _clean_texts(n, change, item)
            if not any(name in item for name in LESSON_TEXTS):
                raise _bad(n, "укажите тему, что сделано или домашнее задание.", "lesson")
            key = ("lesson",)
        if "was" in change:
            was = change["was"]
            ok = (isinstance(was, dict) and all(k in LESSON_TEXTS and isinstance(v, str) for k, v in was.items())) if op == "lesson" \
                else isinstance(was, str | type(None))
            if not ok:
                raise _bad(n, "поле «was» неверного вида.", "was")
            item["was"] = was if was is not None else ""
        if key in seen:
            raise _bad(n, "это изменение уже есть в заявке.", "duplicate")
        seen.add(key)
        clean.append(item)
    absent = {c["student"] for c in clean if c["op"] == "attendance" and c["status"] == Attendance.Status.ABSENT}
    for n, c in enumerate(clean, start=1):
        if c["op"] == "mark" and c["value"] and c["student"] in absent and not c.get("source_document"):
            raise _bad(n, "отметка обучающемуся, которого та же заявка отмечает отсутствующим (без документа-основания).", "student")
    for w_n, work in enumerate((new_item or {}).get("works") or [], start=1):
        marked_absent = sorted(int(s) for s in work["marks"] if int(s) in absent)
        if marked_absent:
            raise _bad(new_lessons[0], f"работа {w_n}: отметка обучающемуся, которого та же заявка отмечает отсутствующим.",
                       "student", "absent")
    return clean


def _class_year(school_class: SchoolClass) -> tuple[set[int], dict[int, Any]]:
    """The class's students over its year and the study periods of its grade (for period marks)."""
    from schoolyear.models import StudyPeriod

    year = school_class.year
    students = set(Enrolment.objects.filter(school_class=school_class, since__lte=year.ends_on)
                   .exclude(until__lt=year.starts_on).values_list("student_id", flat=True))
    periods = {p.pk: p for p in StudyPeriod.objects.select_related("scheme")
               .filter(scheme__year_id=school_class.year_id, scheme__grades__contains=[school_class.grade])}
    return students, periods


FINAL_WORDS = {"year": "год", "exam": "экзамен", "final": "итоговая"}


def period_mark_change_text(change: dict[str, Any], who: str, periods: dict[int, str] | None = None) -> str:
    """A `period_mark` change in the words of the register: «Иванов И.: отметка за 1 четверть: 3 → 4».
    `periods` ({id: name}, loaded once for a list, R-J08) spares the query per change."""
    from schoolyear.models import StudyPeriod

    if change.get("kind") == "period":
        period_id = change.get("period") or 0
        if periods is not None:
            name = periods.get(period_id) or "период"
        else:
            name = StudyPeriod.objects.filter(pk=period_id).values_list("name", flat=True).first() or "период"
    else:
        name = FINAL_WORDS.get(str(change.get("kind")), "период")
    return f"{who}: отметка за {name}: {change.get('was') or '—'} → {change.get('value') or '—'}"


def new_lesson_change_text(change: dict[str, Any], names: dict[int, str] | None = None,
                           work_types: dict[int, str] | None = None) -> str:
    """A `new_lesson` change in words: «Новый урок 3: тема «Дроби»; домашнее задание «№ 5»; работа
    «Ответ на уроке — Дроби»: Иванов И. 5, Петров П. 4»."""
    labels = {"topic": "тема", "done": "что сделано", "homework": "домашнее задание"}
    parts = [f"{label} «{change[name]}»" for name, label in labels.items() if change.get(name)]
    works = change.get("works")
    for work in works if isinstance(works, list) else []:
        if not isinstance(work, dict):
            continue
        name = (work_types or {}).get(work.get("work_type") or 0, "работа")
        what = f"{name} — {work['topic']}" if work.get("topic") else name
        marks = work.get("marks") if isinstance(work.get("marks"), dict) else {}
        listed = ", ".join(f"{(names or {}).get(int(s) if str(s).isdecimal() else 0, str(s))} {v}" for s, v in (marks or {}).items())
        parts.append(f"работа «{what}»" + (f": {listed}" if listed else ": без отметок"))
    return f"Новый урок {change.get('lesson_number')}" + (": " + "; ".join(parts) if parts else "")


def _apply_order(change: dict[str, Any]) -> int:
    """The order an approval applies changes in, whatever order they were listed: a forgotten
    lesson's record first, the lesson's texts, attendance cleared or set to «late», marks removed,
    absences set (a student marked absent loses the mark first), then marks set (a student marked
    present gets it after), and period marks last."""
    op = change.get("op")
    if op == "new_lesson":
        return -1
    if op == "lesson":
        return 0
    if op == "attendance":
        return 3 if change.get("status") == Attendance.Status.ABSENT else 1
    if op == "period_mark":
        return 5
    return 2 if not str(change.get("value") or "").strip() else 4


def _timetable_slot(actor: Person, target: RequestTarget, new: dict[str, Any]) -> Any:
    """R-J06, R-J08: the timetable has this lesson for the actor on that date (substitutions
    included: a substitute may ask for the lesson they taught)."""
    from timetable.selectors import lessons_on

    for slot in lessons_on(target.date, teacher=actor):
        if (slot.school_class.pk == target.school_class.pk and slot.subject.pk == target.subject.pk
                and slot.lesson_number == new["lesson_number"]
                and (slot.subgroup.pk if slot.subgroup else None) == new["subgroup"]):
            return slot
    raise ValidationFailed(
        f"В расписании {target.date:%d.%m.%Y} у вас нет урока {new['lesson_number']} «{target.subject}» в {target.school_class}.",
        code="not_in_timetable", fields={"lesson_number": ["Нет в вашем расписании."]})


def _require_period_marks_right(actor: Person, school: School, school_class: SchoolClass, subject: Subject) -> None:
    access = access_for(actor)
    if not (teaches(actor.pk, school_class.pk, subject.pk) or access.is_class_teacher_of(school, school_class.pk)):
        raise PermissionDenied("Итоговые отметки выставляет учитель предмета в своём классе или классный руководитель.")


def file_change_request(actor: Person, school: School, lesson: Lesson | None = None, *, changes: list[dict[str, Any]],
                        description: str, reason: str, school_class: SchoolClass | None = None,
                        subject: Subject | None = None, date: dt.date | None = None) -> ChangeRequest:
    """«Замена сведений в электронном журнале» (003 §2.3.3.1): for a record past the lock. Without
    `lesson`, the request names the class and subject and either a forgotten lesson of the timetable
    (a `new_lesson` change on `date`, past the lock) or period marks past their window (R-J11)."""
    if lesson is not None:
        school_class, subject, date = lesson.school_class, lesson.subject, lesson.date
        _require_teacher_of(actor, school, school_class, subject, lesson.subgroup, lesson.date, lesson.lesson_number)
        if lesson.date >= rules.lock_boundary():
            raise ValidationFailed("Эта запись ещё не закрыта: исправьте её в журнале сами.", code="not_locked")
    else:
        _require_writer(actor, school)
        if school_class is None or subject is None:
            raise ValidationFailed("Укажите урок или класс и предмет.", fields={"lesson": ["Обязательное поле."]})
    ensure_year_open(school_class.year_id)
    if not reason.strip() or not description.strip():
        raise ValidationFailed("Укажите перечень изменений и причину.", fields={
            **({"reason": ["Обязательное поле."]} if not reason.strip() else {}),
            **({"description": ["Обязательное поле."]} if not description.strip() else {})})
    ops = {c.get("op") for c in changes if isinstance(c, dict)} if isinstance(changes, list) else set()
    if lesson is None and "new_lesson" in ops and date is None:
        raise ValidationFailed("Укажите дату пропущенного урока.", fields={"date": ["Обязательное поле."]})
    target = RequestTarget(school_class, subject, date or rules.today(), lesson)
    today = rules.today()
    clean = _clean_changes(target, changes, on=today)
    new = next((c for c in clean if c["op"] == "new_lesson"), None)
    if new is not None:
        _timetable_slot(actor, target, new)
        if target.date >= rules.lock_boundary():
            raise ValidationFailed("Этот урок ещё можно записать в журнале самому.", code="not_locked")
        _ensure_school_day(school_class, target.date)
        if Lesson.objects.filter(school_class=school_class, subgroup_id=new["subgroup"], subject=subject, date=target.date,
                                 lesson_number=new["lesson_number"]).exists():
            raise ValidationFailed("Запись этого урока уже есть: подайте заявку на её изменение.", code="lesson_exists")
    if "period_mark" in ops:
        _require_period_marks_right(actor, school, school_class, subject)
        rules.ensure_marks_allowed(school_class.grade, subject)
    if lesson is None and new is None:
        target = RequestTarget(school_class, subject, _period_marks_date(school_class, clean), None)
    with transaction.atomic():
        request = ChangeRequest.objects.create(
            requested_by=actor, school_class=school_class, subject=subject, lesson=lesson,
            target_date=target.date, changes=clean, description=description.strip(), reason=reason.strip(),
        )
        record(actor=actor, action="journal.change_request.file", school=school, obj=request,
               after={"changes": clean, "reason": request.reason})
    return request


def _period_marks_date(school_class: SchoolClass, changes: list[dict[str, Any]]) -> dt.date:
    """The date a request of period marks is «на»: the day the first mark's period (or year) ends."""
    from schoolyear.models import StudyPeriod

    from .period_marks import window

    first = changes[0]
    period = StudyPeriod.objects.filter(pk=first["period"]).first() if first.get("period") else None
    return window(school_class, first["kind"], period)[0]


def _decide(actor: Person, school: School, request_id: int) -> ChangeRequest:
    if not access_for(actor).can(Perm.JOURNAL_CONTROL, school):
        raise PermissionDenied("Заявки рассматривает заместитель директора.")
    ensure_writable(school)
    request = (ChangeRequest.objects.select_for_update(of=("self",))
               .select_related("lesson__school_class", "school_class__year", "subject").filter(pk=request_id).first())
    if request is None:
        raise NotFound("Заявка не найдена.")
    if request.status != ChangeRequestStatus.PENDING:
        raise ValidationFailed("Заявка уже рассмотрена: её нельзя изменить. Подайте новую.", code="already_decided")
    return request


def approve_change_request(actor: Person, school: School, request_id: int, note: str = "") -> ChangeRequest:
    """003 §2.3.3.2: the deputy applies the changes (each logged with the request) and marks it.
    All or nothing: the changes are checked again as a whole, applied in a safe order (see
    _apply_order: "mark, then clear the absence" works as listed either way), and any refusal
    rolls every change back, naming the change that failed. A forgotten lesson is created first
    (its teacher is the one who asked); period marks are set past their window."""
    with transaction.atomic():
        request = _decide(actor, school, request_id)
        lesson = request.lesson
        ensure_year_open(request.school_class.year_id)
        target = RequestTarget(request.school_class, request.subject, request.target_date, lesson)
        try:
            changes = _clean_changes(target, request.changes)
        except ValidationFailed as exc:
            raise ValidationFailed(f"Заявку нельзя применить: {exc.message}", code=exc.code, fields=exc.fields) from exc
        numbered = sorted(enumerate(changes, start=1), key=lambda pair: (_apply_order(pair[1]), pair[0]))
        for n, change in numbered:
            try:
                if change["op"] == "new_lesson":
                    lesson = _create_requested_lesson(actor, school, request, change)
                    _create_requested_works(actor, school, request, lesson, change.get("works") or [])
                elif change["op"] == "period_mark":
                    _apply_period_mark(actor, school, request, change)
                else:
                    assert lesson is not None
                    _apply_change(actor, school, lesson, change)
            except DomainError as exc:
                raise ValidationFailed(f"Заявку нельзя применить, ничего не изменено. Изменение {n}: {exc.message}",
                                       code=exc.code, fields={"changes": [f"{n}: {exc.code}"]}) from exc
        request.status = ChangeRequestStatus.APPROVED
        request.lesson = lesson
        request.decided_by, request.decided_at, request.decision_note = actor, timezone.now(), note.strip()
        request.save(update_fields=["status", "lesson", "decided_by", "decided_at", "decision_note"])
        record(actor=actor, action="journal.change_request.approve", school=school, obj=request, reason=note,
               after={"status": request.status})
    return request


def _create_requested_lesson(actor: Person, school: School, request: ChangeRequest, change: dict[str, Any]) -> Lesson:
    """The record of a forgotten lesson (R-J08): its teacher is the one who asked (and the teacher
    they substituted, R-J06), it is marked late (R-J05); the lock does not apply, the rest does."""
    school_class, subject, date = request.school_class, request.subject, request.target_date
    _ensure_school_day(school_class, date)
    slot = {"school_class": school_class, "subgroup_id": change["subgroup"], "subject": subject, "date": date,
            "lesson_number": change["lesson_number"]}
    if Lesson.objects.filter(**slot).exists():
        raise ValidationFailed("Запись этого урока уже сделана: подайте заявку на её изменение.", code="lesson_exists")
    substitution = substitution_for(request.requested_by_id, school_class.pk, subject.pk, date, change["lesson_number"])
    # R-J05: the request lists only the absent and the late, so its attendance is taken here (late by nature)
    lesson = Lesson(**slot, teacher_id=request.requested_by_id, created_by=actor, entered_late=True,
                    replaced_teacher_id=substitution.absent_teacher_id if substitution is not None else None,
                    attendance_taken_at=timezone.now(),
                    **{name: str(change.get(name) or "").strip() for name in LESSON_TEXTS})
    try:
        with transaction.atomic():
            lesson.save()
    except IntegrityError as exc:
        raise Conflict("Урок уже создан другим пользователем.", code="stale_version") from exc
    record(actor=actor, action="journal.lesson.save", school=school, obj=lesson, before=None,
           after=snapshot(lesson, LESSON_AUDITED), reason=f"Заявка №{request.pk}")
    assert lesson.attendance_taken_at is not None
    record(actor=actor, action="journal.attendance.taken", school=school, obj=lesson, before={"attendance_taken_at": None},
           after={"attendance_taken_at": lesson.attendance_taken_at.isoformat(), "late": True}, reason=f"Заявка №{request.pk}")
    return lesson


def _create_requested_works(actor: Person, school: School, request: ChangeRequest, lesson: Lesson,
                            works: list[dict[str, Any]]) -> None:
    """The forgotten lesson's works and their marks (R-J08, R-J03): each work audited as add_work does,
    each mark through record_mark past the lock (its own audit); checked again by _clean_new_works."""
    types = {t.pk: t for t in WorkType.objects.filter(pk__in=[w["work_type"] for w in works])} if works else {}
    for position, data in enumerate(works, start=1):
        work = Work.objects.create(lesson=lesson, work_type=types[data["work_type"]], topic=data["topic"][:300], position=position)
        record(actor=actor, action="journal.work.add", school=school, obj=work, reason=f"Заявка №{request.pk}",
               after={"lesson": lesson.pk, "work_type": work.work_type.name, "topic": work.topic})
        for student, value in data["marks"].items():
            record_mark(actor, school, work, int(student), value, bypass_lock=True)


def _apply_period_mark(actor: Person, school: School, request: ChangeRequest, change: dict[str, Any]) -> None:
    from schoolyear.models import StudyPeriod

    from .period_marks import set_period_mark

    period = StudyPeriod.objects.select_related("scheme").filter(pk=change["period"]).first() if change.get("period") else None
    set_period_mark(actor, school, school_class=request.school_class, subject=request.subject, student_id=change["student"],
                    kind=change["kind"], value=change["value"], period=period, by_request=request.pk,
                    expected_text=change.get("was"))  # «было» as filed: a mark changed since refuses (R-J11, R-J08)


def _apply_change(actor: Person, school: School, lesson: Lesson, change: dict[str, Any]) -> None:
    if change["op"] == "mark":
        work = Work.objects.get(pk=change["work"], lesson=lesson)
        record_mark(actor, school, work, change["student"], change.get("value"), bypass_lock=True,
                    source_document=change.get("source_document") or "")
    elif change["op"] == "attendance":
        set_attendance(actor, school, lesson, change["student"], change.get("status") or None, bypass_lock=True)
    else:
        record_lesson(actor, school, LessonData(
            school_class=lesson.school_class, subject=lesson.subject, subgroup=lesson.subgroup, date=lesson.date,
            lesson_number=lesson.lesson_number, topic=change.get("topic"), done=change.get("done"),
            homework=change.get("homework")), bypass_lock=True)


def reject_change_request(actor: Person, school: School, request_id: int, note: str) -> ChangeRequest:
    if not note.strip():
        raise ValidationFailed("Укажите причину отказа.", fields={"note": ["Обязательное поле."]})
    with transaction.atomic():
        request = _decide(actor, school, request_id)
        request.status = ChangeRequestStatus.REJECTED
        request.decided_by, request.decided_at, request.decision_note = actor, timezone.now(), note.strip()
        request.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        record(actor=actor, action="journal.change_request.reject", school=school, obj=request, reason=note,
               after={"status": request.status})
    return request
