"""Files of a lesson record (R-J01: homework «с файлами»; R-D01: the diary shows them): material of
the lesson and files for its homework.

A file is part of the lesson record, so it is written and removed under the lesson's own rules
(journal.services): the class and subject's teacher or the lesson's substitute (R-J06), an open
year, the 7-day lock (R-J07); students and parents hold no journal right and never upload (R-A01).
Which files are accepted is messaging.files' single list (signature checks, executables refused,
10 MB); the file lives under the school's own folder (LessonAttachment.file's upload_to) and is
served only by an access-checked view (journal.views_attachments), never from MEDIA_URL."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.roles import FAMILY_ROLES, Perm, Role
from audit.services import record
from core.errors import ValidationFailed
from messaging.files import ALLOWED_TEXT, MAX_FILE_BYTES, check_file
from roster.models import Enrolment, Guardianship, SubgroupMember
from schoolyear.guards import ensure_year_open

from . import rules, services
from .models import AttachmentPurpose, Lesson, LessonAttachment

if TYPE_CHECKING:
    from accounts.models import Person
    from accounts.selectors import Access
    from tenants.models import School

MAX_FILES_PER_LESSON = 5
FIELD = "file"
FILES_HINT = (f"До {MAX_FILES_PER_LESSON} файлов к уроку, каждый до {MAX_FILE_BYTES // (1024 * 1024)} МБ: {ALLOWED_TEXT}. "
              "Программы и сценарии не принимаются.")


def _snapshot(attachment: LessonAttachment) -> dict[str, Any]:
    return {"lesson": attachment.lesson_id, "purpose": attachment.purpose, "name": attachment.name, "size": attachment.size,
            "content_type": attachment.content_type, "path": attachment.file.name}


def _ensure_lesson_writable(actor: Person, school: School, lesson: Lesson) -> None:
    """Exactly the checks of editing the lesson itself (services.record_lesson)."""
    services._require_teacher_of(actor, school, lesson.school_class, lesson.subject, lesson.subgroup, lesson.date,
                                 lesson.lesson_number)
    ensure_year_open(lesson.school_class.year_id)
    rules.ensure_not_locked(lesson.date)


def add_lesson_attachment(actor: Person, school: School, lesson: Lesson, upload: Any,
                          purpose: str = AttachmentPurpose.HOMEWORK) -> LessonAttachment:
    """Attaches a file to a recorded lesson: its material or a file for its homework. At most
    MAX_FILES_PER_LESSON files a lesson, each checked by messaging.files (type by content, no
    programs, at most 10 MB)."""
    if purpose not in AttachmentPurpose.values:
        raise ValidationFailed("Укажите, к чему файл: материал урока или домашнее задание.", code="bad_purpose",
                               fields={"purpose": ["Допустимо: material, homework."]})
    if lesson.pk is None:
        raise ValidationFailed("Сначала сохраните урок, затем прикладывайте файлы.", code="lesson_not_saved")
    _ensure_lesson_writable(actor, school, lesson)
    if upload is None:
        raise ValidationFailed("Выберите файл.", code="no_file", fields={FIELD: ["Файл не выбран."]})
    checked = check_file(upload, field=FIELD)
    with transaction.atomic():
        # The lesson's row is the lock: two uploads at once cannot both pass the count.
        Lesson.objects.select_for_update().filter(pk=lesson.pk).values_list("pk", flat=True).first()
        if LessonAttachment.objects.filter(lesson_id=lesson.pk).count() >= MAX_FILES_PER_LESSON:
            msg = f"К уроку можно приложить не больше {MAX_FILES_PER_LESSON} файлов: удалите ненужный и повторите."
            raise ValidationFailed(msg, code="attachment_count", fields={FIELD: [msg]})
        attachment = LessonAttachment(lesson=lesson, purpose=purpose, name=checked.name, size=checked.size,
                                      content_type=checked.content_type, uploaded_by=actor)
        attachment.schema_name = school.schema_name  # type: ignore[attr-defined]  # read by lesson_file_path
        attachment.file.save(checked.name, checked.upload, save=False)
        try:
            attachment.save()
            record(actor=actor, action="journal.lesson.attachment.add", school=school, obj=attachment,
                   object_repr=f"{lesson}: {attachment.name}", after=_snapshot(attachment))
        except BaseException:
            attachment.file.delete(save=False)
            raise
    return attachment


def delete_lesson_attachment(actor: Person, school: School, attachment: LessonAttachment) -> None:
    """Removes a lesson's file: by who may write the lesson, within the 7-day lock (past it, the
    record changes only through a change request, R-J08). The stored file goes once committed."""
    lesson = attachment.lesson
    _ensure_lesson_writable(actor, school, lesson)
    with transaction.atomic():
        row = LessonAttachment.objects.select_for_update().filter(pk=attachment.pk, lesson_id=lesson.pk).first()
        if row is None:
            return
        before = _snapshot(row)
        storage, path = row.file.storage, row.file.name or ""
        row.delete()
        record(actor=actor, action="journal.lesson.attachment.delete", school=school, object_type="journal.lessonattachment",
               object_id=str(attachment.pk), object_repr=f"{lesson}: {before['name']}", before=before)
        if path:
            transaction.on_commit(lambda: storage.delete(path))


# --- reads ----------------------------------------------------------------------------------------

def lesson_attachments(lesson: Lesson) -> list[LessonAttachment]:
    if lesson.pk is None:
        return []
    return list(LessonAttachment.objects.filter(lesson_id=lesson.pk).order_by("purpose", "pk"))


def _students_of(lesson: Lesson) -> QuerySet[Enrolment]:
    """Enrolments of the lesson's students: in its class on its date, and in its subgroup if any."""
    qs = (Enrolment.objects.filter(school_class_id=lesson.school_class_id, since__lte=lesson.date)
          .filter(Q(until__isnull=True) | Q(until__gte=lesson.date)))
    if lesson.subgroup_id:
        qs = qs.filter(student_id__in=SubgroupMember.objects.filter(subgroup_id=lesson.subgroup_id).values("student_id"))
    return qs


def family_may_read(access: Access, school: School, person_id: int, lesson: Lesson) -> bool:
    """R-A02: the student of the lesson themself, or a legal representative of one of its students."""
    roles = access.roles_in(school) & FAMILY_ROLES
    if Role.STUDENT in roles and _students_of(lesson).filter(student_id=person_id).exists():
        return True
    if Role.PARENT in roles:
        children = Guardianship.objects.filter(parent_id=person_id).values("student_id")
        return _students_of(lesson).filter(student_id__in=children).exists()
    return False


def staff_may_read(access: Access, school: School, person_id: int, lesson: Lesson) -> bool:
    """Whoever reads that class's journal: its teacher or the lesson's substitute, the class teacher,
    the administration and methodists (journal.views.access_lesson's rule)."""
    if access.can(Perm.JOURNAL_READ_ALL, school) or access.is_class_teacher_of(school, lesson.school_class_id):
        return True
    return access.can(Perm.JOURNAL_WRITE, school) and (
        services.teaches(person_id, lesson.school_class_id, lesson.subject_id, lesson.subgroup_id)
        or services.substitution_for(person_id, lesson.school_class_id, lesson.subject_id, lesson.date, lesson.lesson_number) is not None)


# --- files left behind -------------------------------------------------------------------------------

ORPHAN_MIN_AGE = dt.timedelta(days=1)


def sweep_orphan_files(schema_name: str, now: dt.datetime | None = None) -> list[str]:
    """In the current school: stored lesson files that no LessonAttachment names (the upload's
    transaction was rolled back by an outer error after the file was written, or a process died
    between the two) are deleted once older than a day — never a file a running upload may still
    commit. Lesson files are children's school work: kept only while the journal holds them."""
    storage = LessonAttachment._meta.get_field("file").storage
    root = f"journal/{schema_name}"
    if not storage.exists(root):
        return []
    known = set(LessonAttachment.objects.values_list("file", flat=True))
    cutoff = (now or timezone.now()) - ORPHAN_MIN_AGE
    deleted = []
    lesson_dirs, _ = storage.listdir(root)
    for lesson_dir in lesson_dirs:
        _, files = storage.listdir(f"{root}/{lesson_dir}")
        for name in files:
            path = f"{root}/{lesson_dir}/{name}"
            if path not in known and storage.get_modified_time(path) < cutoff:
                storage.delete(path)
                deleted.append(path)
    return deleted
