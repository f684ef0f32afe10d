"""Printable documents of the journal's control: the register of change requests
(«Замена сведений в электронном журнале», 003 §2.3.3) per period. The same standalone,
print-styled HTML is the page (the browser prints it) and, where WeasyPrint is installed,
the PDF; the document carries its own styles, so nothing is fetched while rendering."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string


def pdf_available() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):  # OSError: the package is there but Pango is not
        return False
    return True


def render_pdf(request: HttpRequest, template: str, context: dict[str, Any], filename: str) -> HttpResponse | None:
    """The template as a PDF, or None when WeasyPrint is not available here (the caller then
    serves the print-styled HTML)."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError):
        return None
    html = render_to_string(template, {**context, "pdf": True}, request=request)
    pdf = HTML(string=html).write_pdf()
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
