"""Pages: /s/<slug>/import/… — upload, preview with progress, confirm. The templates and
exports are files: the pages link to their API addresses (session sign-in works there)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from core.access import access_school
from core.errors import DomainError, NotFound, ValidationFailed
from core.views import form_error, page

from . import selectors, services
from .kinds import KINDS, get_kind
from .models import ApplyMode, ImportJob
from .readers import ReadError, check_size
from .templates_xlsx import XLSX_CONTENT_TYPE

ROWS_PER_PAGE = 200
# Room for the multipart envelope and the form's other fields around the file.
MULTIPART_SLACK = 64 * 1024
STATUS_LABELS = {"new": "новая", "update": "изменение", "unchanged": "без изменений", "error": "ошибка"}
RESULT_LABELS = {"created": "создано", "updated": "обновлено", "unchanged": "без изменений", "skipped": "пропущено"}


def refuse_oversized(request: HttpRequest) -> None:
    """Refuses a too large upload from its Content-Length, before the body is parsed
    (nothing of it is read into memory or onto disk)."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    try:
        check_size(max(0, declared - MULTIPART_SLACK))
    except ReadError as exc:
        raise ValidationFailed(exc.message, fields={"file": [exc.message]}, code="too_large") from exc


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    from urllib.parse import quote

    response = HttpResponse(content, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label="Что загружаем")
    file = forms.FileField(label="Файл .xlsx или .csv", widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}))

    def __init__(self, *args: Any, kinds: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = [(k.code, k.title) for k in kinds]  # type: ignore[attr-defined]


@page
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest, school_slug: str) -> HttpResponse:
    school, _ = access_school(request)
    actor: Any = request.user
    kinds = services.ensure_may_open(actor, school)
    form = UploadForm(kinds=kinds)
    too_large = ""
    if request.method == "POST":
        try:
            refuse_oversized(request)
        except ValidationFailed as exc:
            too_large = exc.message  # the body is not parsed, so there is no bound form to put it on
        else:
            chosen = request.POST.get("kind", "")
            if chosen in KINDS and KINDS[chosen] not in kinds:
                services.ensure_may(actor, school, KINDS[chosen])  # refused (403, audited), not a form error
            form = UploadForm(request.POST, request.FILES, kinds=kinds)
            if form.is_valid():
                try:
                    job = services.start_import(actor, school, form.cleaned_data["kind"], form.cleaned_data["file"])
                except DomainError as exc:
                    form_error(form, exc)
                else:
                    return redirect("school:import-job", school_slug=school.slug, job_id=job.pk)
    return render(request, "bulkimport/home.html", {
        "school": school, "form": form, "too_large": too_large, "kinds": kinds, "jobs": selectors.recent_jobs(kinds=[k.code for k in kinds]),
        "classes": selectors.classes_for_export(),
    })


def access_import(request: HttpRequest) -> Any:
    """Fetch-and-authorise for the import pages and API: a member of the request's school who
    may import or export at least one kind of list (services.kinds_for)."""
    school, _ = access_school(request)
    services.ensure_may_open(request.user, school)  # type: ignore[arg-type]
    return school


def access_job(request: HttpRequest, job_id: int) -> tuple[Any, ImportJob]:
    """Fetch-and-authorise for the pages and the API: the right to import this job's kind
    of list in the request's school, then the job (another school's id finds nothing)."""
    school = access_import(request)
    job = selectors.job(job_id)
    if job is None:
        raise NotFound("Загрузка не найдена.")
    services.ensure_may(request.user, school, get_kind(job.kind))  # type: ignore[arg-type]
    return school, job


@page
@require_GET
def job_detail(request: HttpRequest, school_slug: str, job_id: int) -> HttpResponse:
    """The preview, then the result. While a task runs, HTMX polls this same page every
    second and swaps in its progress bar; when the task ends, the page reloads."""
    school, job = access_job(request, job_id)
    if getattr(request, "htmx", False) and not job.is_running:
        return HttpResponseClientRefresh()
    only = request.GET.get("status", "")
    rows = [r for r in job.rows if not only or r.get("status") == only or r.get("result") == only]
    page_obj = Paginator(rows, ROWS_PER_PAGE).get_page(request.GET.get("page"))
    for r in page_obj:
        r["shown"] = RESULT_LABELS.get(r.get("result", "")) or STATUS_LABELS.get(r.get("status", ""), "")
    return render(request, "bulkimport/job.html", {
        "school": school, "job": job, "page": page_obj, "only": only, "modes": ApplyMode,
        "status_labels": STATUS_LABELS, "result_labels": RESULT_LABELS,
        "result_counts": job.counts.get("result", {}),
    })


@page
@require_POST
def job_confirm(request: HttpRequest, school_slug: str, job_id: int) -> HttpResponse:
    school, job = access_job(request, job_id)
    try:
        job = services.confirm_import(request.user, school, job.pk, request.POST.get("mode", ""))  # type: ignore[arg-type]
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if job.status == "done":
            result = job.counts.get("result", {})
            messages.success(request, "Загружено: создано {created}, обновлено {updated}, без изменений {unchanged}, "
                                      "пропущено {skipped}.".format(**{k: result.get(k, 0) for k in RESULT_LABELS}))
    return redirect("school:import-job", school_slug=school.slug, job_id=job.pk)
