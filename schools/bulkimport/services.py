"""Importing a spreadsheet (R-Y07), pretix's way: every row is checked and every problem
reported before anything is written.

1. `start_import` stores the file (MEDIA_ROOT/imports/<schema>/…) as an ImportJob and
   checks it: the file as a whole (size, format, encoding, header), then each row.
2. The check decides every row and writes nothing. Students with parents (the long lists)
   have a planner (kinds/students_bulk.py): what the database holds about the file's people
   is read in a fixed number of queries and each row is decided in Python with the services'
   own rules, later rows seeing what earlier accepted rows add. The other kinds are a dry
   run: every row goes through the very services that will write it (roster, curriculum,
   timetable, accounts) inside one transaction that is rolled back. Either way the preview
   shows exactly what the services would refuse, including conflicts between rows of the
   same file (the same parent twice, two lessons in one slot). Each row is marked new /
   update / unchanged / error.
3. `confirm_import` decides the same rows again and writes them: mode "all" (refused while
   any row has an error; all or nothing) or "valid" (rows with errors are skipped and listed
   with why). A planner writes in bulk (a few INSERTs, the services' audit records in one);
   the other kinds write row by row through the services. The job itself is audited too
   (who, file, counts).
Files of more than BULKIMPORT_ASYNC_ROWS rows (500) are checked and imported by a Celery
task (tasks.py), with progress on the job. An unexpected error leaves the job «failed» with a
Russian message, in the task as inline (never a 500, never «checking» for ever); a job whose
process was killed is marked failed by a periodic sweep (`fail_abandoned`).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.roles import Perm
from accounts.selectors import access_for
from accounts.services import ensure_writable
from audit.services import batched, record
from core.errors import Conflict, DomainError, NotFound, PermissionDenied, ValidationFailed
from tenants.db import current_schema, use_public, use_school

from .kinds import KINDS, get_kind
from .kinds.base import Kind, Outcome, Planner, RowRejected
from .models import ApplyMode, ImportJob, JobStatus
from .progress import Progress
from .readers import ReadError, Table, check_size, read_table
from .schemas import Column, Row, match_header

if TYPE_CHECKING:
    from accounts.models import Person
    from tenants.models import School

logger = logging.getLogger(__name__)

DEFAULT_ASYNC_ROWS = 500
# pg_advisory_xact_lock(IMPORT_LOCK, hashtext(schema)): one import of a school writes at a time.
IMPORT_LOCK = 0x5A4A_0007
# A deadlock or a serialization failure: the database chose this import to give way; nothing is written.
RETRYABLE_SQLSTATES = {"40P01", "40001"}
FAILED = "Загрузка прервана из-за внутренней ошибки. Попробуйте ещё раз или обратитесь к администратору."
RUNNING = (JobStatus.CHECKING, JobStatus.APPLYING)
DEFAULT_STUCK_MINUTES = 30
# A running job silent for BULKIMPORT_STUCK_MINUTES (its process was killed): what the sweep tells the user.
ABANDONED = {
    JobStatus.CHECKING: "Проверка файла прервана: она не подавала признаков работы {minutes} мин. (вероятно, сбой на "
                        "сервере). Загрузите файл снова.",
    JobStatus.APPLYING: "Загрузка прервана: она не подавала признаков работы {minutes} мин. (вероятно, сбой на сервере), "
                        "ничего не записано. Загрузите файл снова.",
}
JOB_AUDITED = ["kind", "file_name", "file_size", "status", "mode", "total_rows", "counts"]


def async_rows() -> int:
    return int(getattr(settings, "BULKIMPORT_ASYNC_ROWS", DEFAULT_ASYNC_ROWS))


def stuck_minutes() -> int:
    return int(getattr(settings, "BULKIMPORT_STUCK_MINUTES", DEFAULT_STUCK_MINUTES))


DEFAULT_FILE_DAYS = 7
UNCONFIRMED = ("Файл удалён: проверенную загрузку не подтвердили за {days} дн., а списки с персональными данными "
               "не хранятся дольше. Чтобы загрузить их, загрузите файл снова.")


def file_days() -> int:
    return int(getattr(settings, "BULKIMPORT_FILE_DAYS", DEFAULT_FILE_DAYS))


# --- who may --------------------------------------------------------------------------------

def ensure_may(actor: Person, school: School, kind: Kind) -> None:
    """The permissions of what is imported (the same for an export: it is the file one would
    import); lists of people (students with parents, staff) also need Perm.IMPORT_DATA. The
    set-up lists (subgroups, curriculum, load, timetable) need only their own permissions:
    004 §VI–§VII make the deputy director responsible for them."""
    access = access_for(actor)
    if kind.people_list and not access.can(Perm.IMPORT_DATA, school):
        raise PermissionDenied(f"Загружать и выгружать список «{kind.title}» могут администратор ЭЖ школы и директор.")
    missing = [Perm(p).label for p in kind.perms if not access.can(p, school)]
    if missing:
        raise PermissionDenied(f"Для списка «{kind.title}» не хватает прав: " + "; ".join(missing) + ".")


def kinds_for(actor: Person, school: School) -> list[Kind]:
    access = access_for(actor)
    importer = access.can(Perm.IMPORT_DATA, school)
    return [k for k in KINDS.values() if (importer or not k.people_list) and all(access.can(p, school) for p in k.perms)]


def ensure_may_open(actor: Person, school: School) -> list[Kind]:
    """The import pages and API: somebody who may import or export at least one kind of list."""
    kinds = kinds_for(actor, school)
    if not kinds:
        raise PermissionDenied("Загружать и выгружать списки могут администратор ЭЖ школы, директор и заместитель директора.")
    return kinds


# --- upload and check -------------------------------------------------------------------------

def start_import(actor: Person, school: School, kind_code: str, upload: UploadedFile | None) -> ImportJob:
    """Stores the file as a job and checks it (inline, or by a task for a long file).
    Called outside any transaction: a task must see the committed job."""
    kind = get_kind(kind_code)
    ensure_may(actor, school, kind)
    ensure_writable(school)
    if upload is None or not upload.name:
        raise ValidationFailed("Приложите файл .xlsx или .csv.", fields={"file": ["Приложите файл .xlsx или .csv."]})
    try:
        check_size(upload.size or 0)
    except ReadError as exc:
        raise ValidationFailed(exc.message, fields={"file": [exc.message]}) from exc
    name = upload.name.rsplit("/", 1)[-1][:200]
    with transaction.atomic():
        job = ImportJob.objects.create(kind=kind.code, file_name=name, file_size=upload.size or 0, created_by=actor)
        job.file.save(name, upload, save=False)
        job.save(update_fields=["file"])
        record(actor=actor, action="import.upload", school=school, obj=job, after=_job_snapshot(job))
    try:
        _check_upload(job, kind, actor, school)
    except Exception:
        # The task's failure handler, inline: the job is «failed» with a message the page and
        # the API show (never «checking» for ever, never a 500 for the user).
        logger.exception("import job %s: the check failed", job.pk)
        fail_stuck(job.pk, FAILED)
    job.refresh_from_db()
    return job


def _check_upload(job: ImportJob, kind: Kind, actor: Person, school: School) -> None:
    """The stored file read and checked inline, or handed to a task when it is long."""
    try:
        table = read_table(job.file.path)
        header_rows = len(_data_rows(kind, table))
    except ReadError as exc:
        _reject(job, exc.message)
        return
    if header_rows == 0:
        _reject(job, "Под строкой заголовков нет ни одной строки с данными.")
        return
    job.file_format, job.encoding, job.delimiter = table.file_format, table.encoding, table.delimiter
    job.total_rows = job.progress_total = header_rows
    job.save(update_fields=["file_format", "encoding", "delimiter", "total_rows", "progress_total"])
    if header_rows > async_rows():
        from .tasks import check_import

        check_import.delay(job.pk)
        return
    # A savepoint: a statement the database refused mid-check leaves the connection usable for
    # marking the job failed.
    with transaction.atomic():
        _check(job, actor, school, table)


def _reject(job: ImportJob, message: str) -> None:
    job.status = JobStatus.REJECTED
    job.message = message
    job.save(update_fields=["status", "message"])
    _drop_file(job)


def _data_rows(kind: Kind, table: Table) -> list[tuple[int, list[Any]]]:
    accepted, refused = kind.columns()
    return match_header(table, accepted, refused)[1]


def check_job(job_id: int) -> None:
    """The check of a stored job (the task's body)."""
    job = ImportJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.status != JobStatus.CHECKING:
        return  # already checked (a redelivered task) or gone
    school = _current_school()
    try:
        table = read_table(job.file.path)
    except (ReadError, OSError, ValueError) as exc:
        _reject(job, getattr(exc, "message", "Файл загрузки не найден: загрузите его снова."))
        return
    _check(job, job.created_by, school, table)


def _check(job: ImportJob, actor: Person, school: School, table: Table) -> None:
    kind = get_kind(job.kind)
    try:
        result = _run(job, kind, actor, school, table, write=False)
    except ReadError as exc:
        _reject(job, exc.message)
        return
    job.rows, job.warnings = result.rows, result.warnings
    job.counts = dict(Counter(r["status"] for r in result.rows))
    job.total_rows = job.progress_total = job.progress_done = len(result.rows)
    job.checked_at = timezone.now()
    # Only a job still being checked becomes «ready»: the sweep (fail_abandoned) may have marked
    # a long-silent check «failed» meanwhile, and its message stands (R-Y07).
    saved = ImportJob.objects.filter(pk=job.pk, status=JobStatus.CHECKING).update(
        rows=job.rows, warnings=job.warnings, counts=job.counts, total_rows=job.total_rows, progress_total=job.progress_total,
        progress_done=job.progress_done, status=JobStatus.READY, checked_at=job.checked_at)
    if saved:
        job.status = JobStatus.READY
    else:
        job.refresh_from_db(fields=["status", "message"])


# --- the run shared by the check and the import ------------------------------------------------

class _Result:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.warnings: list[str] = []
        # A planner's writes, made by the import once it decides to write (None: written row by row).
        self.commit: Callable[[], None] | None = None

    @property
    def errors(self) -> int:
        return sum(1 for r in self.rows if r["status"] == "error")


class _DryRun(Exception):
    pass


def _run(job: ImportJob, kind: Kind, actor: Person, school: School, table: Table, *, write: bool) -> _Result:
    """Every data row through `kind.parse` and then either the kind's planner (the whole file
    decided at once against what the database holds; nothing is written here, the import calls
    `result.commit`) or `kind.apply` (the services), each row in a savepoint, all in one
    transaction that a check (write=False) rolls back."""
    accepted, refused = kind.columns()
    header, data_rows = match_header(table, accepted, refused)
    columns: dict[str, Column] = {c.key: c for c in accepted}
    result = _Result()
    if header.unknown:
        result.warnings.append("Столбцы не распознаны и не загружаются: " + ", ".join(f"«{t}»" for t in header.unknown) + ".")
    progress = Progress(job.pk, current_schema(), len(data_rows)) if len(data_rows) > async_rows() else None
    try:
        planner = kind.planner(actor, school)
        if planner is not None:
            _plan(kind, planner, header, columns, data_rows, result, progress)
            return result
        with transaction.atomic():
            ctx = kind.prepare(actor, school)
            seen: dict[Any, int] = {}
            for done, (number, values) in enumerate(data_rows, start=1):
                row = Row(number, values, header, columns)
                data = kind.parse(row, ctx)
                result.rows.append(_one_row(kind, row, data, seen, partial(_apply_row, kind, actor, school, row, data, ctx,
                                                                           write=write)))
                if progress is not None:
                    progress.tick(done)
            if not write:
                raise _DryRun
    except _DryRun:
        pass
    finally:
        if progress is not None:
            progress.finish()
    return result


def _plan(kind: Kind, planner: Planner, header: Any, columns: dict[str, Column], data_rows: list[tuple[int, list[Any]]],
          result: _Result, progress: Progress | None) -> None:
    """R-Y07 in bulk: all rows read and parsed, what they need read from the database at once,
    then each row decided in file order against it (no writes)."""
    rows = [Row(number, values, header, columns) for number, values in data_rows]
    parsed = [(row, kind.parse(row, None)) for row in rows]
    planner.load([(row, data) for row, data in parsed if not row.errors])
    seen: dict[Any, int] = {}
    for done, (row, data) in enumerate(parsed, start=1):
        result.rows.append(_one_row(kind, row, data, seen, partial(planner.apply, row, data)))
        if progress is not None:
            progress.tick(done)
    result.commit = planner.write


def _apply_row(kind: Kind, actor: Person, school: School, row: Row, data: Any, ctx: Any, *, write: bool) -> Outcome:
    """A row through the services in a savepoint (rolled back on any refusal, so a row is all or nothing)."""
    try:
        # The row's audit records go in one INSERT at its end, inside its savepoint; a dry
        # run (the check, rolled back anyway) skips them.
        with transaction.atomic(), batched(keep=write):
            outcome = kind.apply(actor, school, row, data, ctx)
            if row.errors:
                raise RowRejected
        ok = True
        return outcome
    except BaseException:
        ok = False
        raise
    finally:
        finished = getattr(ctx, "row_finished", None)
        if finished is not None:
            finished(ok)


def _one_row(kind: Kind, row: Row, data: Any, seen: dict[Any, int], attempt: Callable[[], Outcome]) -> dict[str, Any]:
    """One parsed row: refuse a repeat of an earlier row, then `attempt` it (the services or the
    planner); a refusal is put on the row with its columns."""
    entry: dict[str, Any] = {"row": row.number, "label": kind.label(row)}
    keys = [] if row.errors else kind.row_keys(data, row)
    repeated = next((seen[k] for k in keys if k in seen), None)
    if repeated is not None:
        row.error(None, f"Повторяет строку {repeated} файла.")
    if not row.errors:
        try:
            outcome = attempt()
            entry["status"] = outcome.status
            row.notes.extend(outcome.notes)
            seen.update(dict.fromkeys(keys, row.number))
        except RowRejected:
            pass
        except DomainError as exc:
            row.service_error(exc)
    if row.errors:
        entry["status"] = "error"
        entry["errors"] = row.errors
    if row.notes:
        entry["notes"] = row.notes
    return entry


# --- confirm and import -----------------------------------------------------------------------

def confirm_import(actor: Person, school: School, job_id: int, mode: str) -> ImportJob:
    """The user's decision after the preview. Called outside any transaction."""
    with transaction.atomic():
        job = ImportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None:
            raise NotFound("Загрузка не найдена.")
        kind = get_kind(job.kind)
        ensure_may(actor, school, kind)
        ensure_writable(school)
        if mode not in ApplyMode.values:
            raise ValidationFailed("Выберите: загрузить весь файл или только строки без ошибок.", fields={"mode": ["Неизвестный режим."]})
        if job.status != JobStatus.READY:
            raise Conflict(f"Эту загрузку нельзя подтвердить: {job.get_status_display().lower()}.")
        if mode == ApplyMode.ALL and job.error_rows:
            raise ValidationFailed(
                f"В файле есть строки с ошибками ({job.error_rows}): исправьте их и загрузите файл снова "
                "или подтвердите загрузку только строк без ошибок.", code="has_errors")
        if job.valid_rows == 0:
            raise ValidationFailed("В файле нет ни одной строки без ошибок: загружать нечего.", code="nothing_valid")
        job.status, job.mode, job.applied_by = JobStatus.APPLYING, mode, actor
        job.progress_done, job.message, job.alive_at = 0, "", timezone.now()
        job.save(update_fields=["status", "mode", "applied_by", "progress_done", "message", "alive_at"])
    # The task's failure handler, inline: an unexpected error (or a broker that refused the
    # task) leaves the job «failed» with a message the page shows (never «applying» for ever,
    # never a 500 for the user).
    try:
        if job.total_rows > async_rows():
            from .tasks import apply_import

            apply_import.delay(job.pk)
        else:
            apply_job(job.pk)
    except Exception:
        logger.exception("import job %s failed", job.pk)
        fail_stuck(job.pk, FAILED)
    job.refresh_from_db()
    return job


def apply_job(job_id: int) -> None:
    """The import of a confirmed job (the task's body, or inline for a short file)."""
    job = ImportJob.objects.select_related("applied_by").filter(pk=job_id).first()
    if job is None or job.status != JobStatus.APPLYING or job.applied_by is None:
        return  # done already (a redelivered task) or gone
    actor, school, kind = job.applied_by, _current_school(), get_kind(job.kind)
    try:
        ensure_may(actor, school, kind)
        ensure_writable(school)
        table = read_table(job.file.path)
    except (DomainError, ReadError, OSError, ValueError) as exc:
        _fail(job, getattr(exc, "message", "Файл загрузки не найден: загрузите его снова."))
        return
    applied = False
    try:
        with transaction.atomic():
            _lock_school_imports()
            # Re-read under the school's import lock: the sweep (fail_abandoned) marks a silent
            # «applying» job failed only while it holds that same lock, so once this import has it,
            # whatever the sweep decided is committed and seen here. A job no longer «applying»
            # (failed by the sweep while queued) is not imported (R-Y07). The row itself is not
            # locked FOR UPDATE: the progress connection writes to it while the import runs, and
            # would wait on this transaction for ever.
            if not ImportJob.objects.filter(pk=job.pk, status=JobStatus.APPLYING).exists():
                return
            result = _run(job, kind, actor, school, table, write=True)
            if job.mode == ApplyMode.ALL and result.errors:
                # The data changed since the check: nothing is written, the new problems are shown.
                transaction.set_rollback(True)
            else:
                if result.commit is not None:
                    result.commit()
                _finish(job, actor, school, result)
                applied = True
    except ReadError as exc:
        _fail(job, exc.message)
        return
    except (DomainError, IntegrityError, OperationalError) as exc:
        # A bulk write refused (the school changed while it ran: a class, a login, an enrolment
        # made meanwhile; or the database broke a deadlock by stopping this import): nothing is
        # written; confirming again decides the rows anew.
        if isinstance(exc, OperationalError) and _sqlstate(exc) not in RETRYABLE_SQLSTATES:
            raise
        why = f" ({exc.message})" if isinstance(exc, DomainError) else ""
        job.status, job.mode = JobStatus.READY, ""
        job.message = f"Во время загрузки данные в школе изменились{why}: ничего не загружено. Подтвердите загрузку ещё раз."
        job.save(update_fields=["status", "mode", "message"])
        return
    if not applied:
        job.rows, job.warnings = result.rows, result.warnings
        job.counts = dict(Counter(r["status"] for r in result.rows))
        job.status, job.mode = JobStatus.READY, ""
        job.message = (f"После проверки данные в школе изменились: строк с ошибками стало {result.errors}. "
                       "Ничего не загружено; посмотрите ошибки ниже.")
        job.save(update_fields=["rows", "warnings", "counts", "status", "mode", "message"])
        return
    _drop_file(job)


def _lock_school_imports() -> None:
    """Until the import's transaction ends, no other import of this school reads or writes:
    two imports of one school run one after the other (the second decides its rows against
    what the first wrote)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", [IMPORT_LOCK, current_schema()])


def _sqlstate(exc: BaseException) -> str | None:
    cause = exc.__cause__
    return getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)


_RESULT_OF = {"new": "created", "update": "updated", "unchanged": "unchanged"}


def _finish(job: ImportJob, actor: Person, school: School, result: _Result) -> None:
    """Marks every row with what happened to it (nothing is dropped silently) and audits
    the job in the import's own transaction."""
    for entry in result.rows:
        if entry["status"] == "error":
            entry["result"] = "skipped"
            entry["why"] = "; ".join(_error_text(e) for e in entry.get("errors", []))
        else:
            entry["result"] = _RESULT_OF[entry["status"]]
    job.rows, job.warnings = result.rows, result.warnings
    counts = dict(Counter(r["status"] for r in result.rows))
    counts["result"] = dict(Counter(r["result"] for r in result.rows))
    job.counts = counts
    job.status, job.applied_at = JobStatus.DONE, timezone.now()
    job.progress_done = job.progress_total = len(result.rows)
    job.save(update_fields=["rows", "warnings", "counts", "status", "applied_at", "progress_done", "progress_total"])
    record(actor=actor, action="import.apply", school=school, obj=job, after=_job_snapshot(job))


def _error_text(error: dict[str, str]) -> str:
    where = f"«{error['column']}»" if error.get("column") else ""
    value = f" = «{error['value']}»" if error.get("value") else ""
    return f"{where}{value}: {error['message']}" if where else error["message"]


def _fail(job: ImportJob, message: str) -> None:
    job.status, job.message = JobStatus.FAILED, message
    job.save(update_fields=["status", "message"])


def _drop_file(job: ImportJob) -> None:
    """The stored file holds personal data: it goes once it is no longer needed."""
    if job.file:
        job.file.delete(save=False)
        ImportJob.objects.filter(pk=job.pk).update(file="")


def _job_snapshot(job: ImportJob) -> dict[str, Any]:
    snap = {name: getattr(job, name) for name in JOB_AUDITED}
    snap.pop("counts", None)
    if job.counts.get("result"):
        snap["result"] = job.counts["result"]
    return snap


def _current_school() -> School:
    from tenants.models import School

    schema = current_schema()
    school = School.objects.filter(schema_name=schema).first()
    if school is None:
        raise RuntimeError(f"Нет школы для схемы {schema}")
    return school


def fail_stuck(job_id: int, message: str) -> None:
    """A task died on an unexpected error: the job says so instead of spinning forever."""
    _fail_running(ImportJob.objects.filter(pk=job_id), dict.fromkeys(RUNNING, message))


def _fail_running(jobs: QuerySet[ImportJob], messages: Mapping[JobStatus, str]) -> list[int]:
    """Marks the jobs among `jobs` in a state of `messages` failed, each with its state's message.
    A job row locked meanwhile (its work is saving it) is left alone. Returns the ids marked."""
    with transaction.atomic():
        found = list(jobs.filter(status__in=list(messages)).select_for_update(skip_locked=True).values_list("pk", "status"))
        for status, message in messages.items():
            ids = [pk for pk, state in found if state == status]
            if ids:
                ImportJob.objects.filter(pk__in=ids).update(status=JobStatus.FAILED, message=message)
    return [pk for pk, _ in found]


def fail_abandoned(now: dt.datetime | None = None) -> list[int]:
    """In the current school: checks and imports silent for `stuck_minutes()` — their process was
    killed (out of memory, a deploy, a request's timeout) and no handler ran — become «failed»
    with a Russian message, so the page stops waiting and the user uploads the file again.
    An import that holds the school's import lock is alive whatever its silence (its writing
    phase reports no progress): while the lock is taken, «applying» jobs are left alone. Once
    killed, its transaction is rolled back, so nothing of it was written."""
    minutes = stuck_minutes()
    silent = ImportJob.objects.filter(alive_at__lt=(now or timezone.now()) - dt.timedelta(minutes=minutes))
    if not silent.filter(status__in=RUNNING).exists():
        return []
    with transaction.atomic():
        messages = {status: text.format(minutes=minutes) for status, text in ABANDONED.items()}
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_xact_lock(%s, hashtext(%s))", [IMPORT_LOCK, current_schema()])
            if not cursor.fetchone()[0]:
                del messages[JobStatus.APPLYING]
        return _fail_running(silent, messages)


def drop_stale_files(now: dt.datetime | None = None) -> list[int]:
    """In the current school: uploaded lists hold children's personal data (152-ФЗ: kept no longer
    than their purpose needs). A done or rejected job has already lost its file; one checked but
    not confirmed, or failed, keeps it for `file_days()` after its last activity (so that the
    user can confirm, or the support can look into a failure), then the file is deleted and a
    «ready» job becomes «failed» with a message saying so. The job's results stay readable."""
    days = file_days()
    stale = list(ImportJob.objects.filter(status__in=(JobStatus.READY, JobStatus.FAILED),
                                          alive_at__lt=(now or timezone.now()) - dt.timedelta(days=days))
                 .exclude(file=""))
    for job in stale:
        with transaction.atomic():
            locked = ImportJob.objects.select_for_update().filter(pk=job.pk, status=job.status).first()
            if locked is None:  # confirmed or changed meanwhile
                continue
            if locked.status == JobStatus.READY:
                _fail(locked, UNCONFIRMED.format(days=days))
            _drop_file(locked)
    return [job.pk for job in stale]


def fail_abandoned_everywhere(now: dt.datetime | None = None) -> int:
    """The periodic sweep (tasks.fail_abandoned_imports) in every school: silent checks and imports
    fail, stale files go (drop_stale_files); returns how many jobs it marked failed as silent.
    Two queries for a school with nothing to do."""
    from tenants.models import School

    schools = list(School.objects.real())
    failed = 0
    try:
        for school in schools:
            use_school(school)
            try:
                ids = fail_abandoned(now)
                dropped = drop_stale_files(now)
            except Exception:
                logger.exception("import sweep: school %s failed", school.schema_name)
                continue
            if ids:
                logger.warning("import jobs %s of school %s were silent for %s min: marked failed",
                               ids, school.schema_name, stuck_minutes())
                failed += len(ids)
            if dropped:
                logger.info("import jobs %s of school %s: files older than %s days deleted", dropped, school.schema_name, file_days())
    finally:
        use_public()
    return failed


# --- templates and export ---------------------------------------------------------------------

def template_file(actor: Person, school: School, kind_code: str) -> tuple[bytes, str]:
    from .templates_xlsx import template_workbook

    kind = get_kind(kind_code)
    ensure_may(actor, school, kind)
    accepted, _ = kind.columns()
    return template_workbook(kind, accepted), f"{kind.file_stem} — шаблон.xlsx"


def export_file(actor: Person, school: School, kind_code: str, *, class_id: int | None = None) -> tuple[bytes, str]:
    """The kind's list as XLSX with the template's columns (it can be edited and imported
    back). Lists of people are personal data: each export is audited."""
    from .templates_xlsx import export_workbook

    kind = get_kind(kind_code)
    ensure_may(actor, school, kind)
    accepted, _ = kind.columns()
    rows = list(kind.export_rows(school, columns=accepted, class_id=class_id))
    suffix = kind.export_suffix(class_id)
    with transaction.atomic():
        record(actor=actor, action="import.export", school=school, object_type="bulkimport.export",
               object_repr=f"{kind.title}{suffix}", after={"kind": kind.code, "class_id": class_id, "rows": len(rows)})
    return export_workbook(accepted, rows, title=kind.title), f"{kind.file_stem}{suffix} {timezone.localdate():%d.%m.%Y}.xlsx"
