"""Attachments: which files may be sent, recognised by their content, not only their name.

A short allow-list checked by signature is enough here (documents and photos a family or a
teacher sends); anything else, and any executable whatever its name, is refused with a
Russian message. No external library: the signatures below are the whole job."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import IO, Any

from core.errors import ValidationFailed

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_FILES = 5
# All the files of one message together. The ingress takes at most 20 MiB per request
# (helm/values.yaml, nginx.ingress.kubernetes.io/proxy-body-size: 20m): 19 MiB of files leaves
# room for the text and the multipart envelope, so a message over it gets this Russian refusal
# from the application instead of the proxy's bare «413 Request Entity Too Large».
MAX_MESSAGE_BYTES = 19 * 1024 * 1024
MAX_NAME = 150

# Programs and scripts: refused by name even when the content looks harmless.
EXECUTABLE_SUFFIXES = frozenset({
    ".exe", ".com", ".bat", ".cmd", ".scr", ".pif", ".msi", ".msp", ".dll", ".cpl", ".js", ".jse", ".vbs", ".vbe",
    ".wsf", ".wsh", ".ps1", ".psm1", ".sh", ".bash", ".jar", ".apk", ".app", ".lnk", ".hta", ".reg", ".elf", ".bin",
    ".run", ".py", ".pl", ".docm", ".xlsm", ".pptm",
})
# Signatures of executables (PE/MZ, ELF, Mach-O, Java class, script with a shebang).
EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe",
                    b"\xca\xfe\xba\xbe", b"#!")

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


@dataclass(frozen=True)
class Kind:
    label: str
    content_type: str


KINDS: dict[str, Kind] = {
    ".pdf": Kind("PDF", "application/pdf"),
    ".jpg": Kind("JPEG", "image/jpeg"),
    ".jpeg": Kind("JPEG", "image/jpeg"),
    ".png": Kind("PNG", "image/png"),
    ".gif": Kind("GIF", "image/gif"),
    ".webp": Kind("WebP", "image/webp"),
    ".txt": Kind("текст", "text/plain; charset=utf-8"),
    ".docx": Kind("Word", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".xlsx": Kind("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".pptx": Kind("PowerPoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
    ".doc": Kind("Word 97–2003", "application/msword"),
    ".xls": Kind("Excel 97–2003", "application/vnd.ms-excel"),
    ".odt": Kind("OpenDocument", "application/vnd.oasis.opendocument.text"),
    ".ods": Kind("OpenDocument", "application/vnd.oasis.opendocument.spreadsheet"),
}
ALLOWED_TEXT = "PDF, JPEG, PNG, GIF, WebP, TXT, DOC(X), XLS(X), PPTX, ODT, ODS"
_OOXML_PART = {".docx": "word/", ".xlsx": "xl/", ".pptx": "ppt/"}
_ODF_MIME = {".odt": b"application/vnd.oasis.opendocument.text", ".ods": b"application/vnd.oasis.opendocument.spreadsheet"}


def _zip_names(stream: IO[bytes]) -> tuple[list[str], bytes] | None:
    try:
        with zipfile.ZipFile(stream) as archive:
            names = archive.namelist()
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
            return names, mimetype
    except (zipfile.BadZipFile, OSError, KeyError, RuntimeError, ValueError):
        return None


def _content_matches(suffix: str, head: bytes, stream: IO[bytes]) -> bool:
    if suffix == ".pdf":
        return head.startswith(b"%PDF-")
    if suffix in (".jpg", ".jpeg"):
        return head.startswith(b"\xff\xd8\xff")
    if suffix == ".png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if suffix == ".gif":
        return head[:6] in (b"GIF87a", b"GIF89a")
    if suffix == ".webp":
        return head[:4] == b"RIFF" and head[8:12] == b"WEBP"
    if suffix in (".doc", ".xls"):
        return head.startswith(OLE)
    if suffix == ".txt":
        if b"\x00" in head:
            return False
        try:
            head.decode("utf-8")
        except UnicodeDecodeError as exc:
            # A multi-byte character cut by the 8 KB window is fine; anything else is not text in UTF-8.
            if exc.start < len(head) - 4:
                try:
                    head.decode("cp1251")
                except UnicodeDecodeError:
                    return False
        return True
    if suffix in _OOXML_PART or suffix in _ODF_MIME:
        if not head.startswith(b"PK\x03\x04"):
            return False
        stream.seek(0)
        listing = _zip_names(stream)
        if listing is None:
            return False
        names, mimetype = listing
        if suffix in _OOXML_PART:
            return "[Content_Types].xml" in names and any(n.startswith(_OOXML_PART[suffix]) for n in names) \
                and not any(n.lower().endswith("vbaproject.bin") for n in names)
        return mimetype == _ODF_MIME[suffix]
    return False


def clean_name(name: str) -> str:
    """The file name as shown to the reader: no folders, no control characters, bounded length."""
    base = PurePosixPath(name.replace("\\", "/")).name
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '"<>|:*?').strip(" .") or "файл"
    if len(base) > MAX_NAME:
        stem, suffix = base[: -len(PurePosixPath(base).suffix) or None], PurePosixPath(base).suffix[:10]
        base = stem[: MAX_NAME - len(suffix)] + suffix
    return base


@dataclass(frozen=True)
class CheckedFile:
    upload: Any  # a Django UploadedFile (or any File)
    name: str
    content_type: str
    size: int


def check_file(upload: Any, *, field: str = "attachments") -> CheckedFile:
    """Refuses an executable, an oversized file, a type outside the list, or content that is not
    what the name says (an .exe renamed to .pdf). `field` names the form field in the error
    (journal.attachments checks a lesson's files with it too)."""
    name = clean_name(str(getattr(upload, "name", "") or "файл"))
    suffix = PurePosixPath(name).suffix.lower()
    size = int(getattr(upload, "size", 0) or 0)
    if suffix in EXECUTABLE_SUFFIXES:
        msg = f"Файл «{name}» — программа или сценарий; такие файлы прикладывать нельзя."
        raise ValidationFailed(msg, code="attachment_executable", fields={field: [msg]})
    if size > MAX_FILE_BYTES:
        msg = f"Файл «{name}» больше {MAX_FILE_BYTES // (1024 * 1024)} МБ; приложите файл поменьше или ссылку на него."
        raise ValidationFailed(msg, code="attachment_too_large", fields={field: [msg]})
    if size == 0:
        msg = f"Файл «{name}» пустой."
        raise ValidationFailed(msg, code="attachment_empty", fields={field: [msg]})
    upload.seek(0)
    head = upload.read(8192)
    if any(head.startswith(magic) for magic in EXECUTABLE_MAGIC):
        msg = f"Файл «{name}» — исполняемая программа (по содержимому); такие файлы прикладывать нельзя."
        raise ValidationFailed(msg, code="attachment_executable", fields={field: [msg]})
    kind = KINDS.get(suffix)
    if kind is None:
        msg = f"Файлы такого типа прикладывать нельзя: «{name}». Можно: {ALLOWED_TEXT}, до 10 МБ."
        raise ValidationFailed(msg, code="attachment_type", fields={field: [msg]})
    matches = _content_matches(suffix, head, upload)
    upload.seek(0)
    if not matches:
        msg = f"Содержимое файла «{name}» не соответствует его типу ({kind.label}); файл не принят."
        raise ValidationFailed(msg, code="attachment_mismatch", fields={field: [msg]})
    return CheckedFile(upload=upload, name=name, content_type=kind.content_type, size=size)


def check_files(uploads: list[Any]) -> list[CheckedFile]:
    """The files of one message: at most MAX_FILES, each checked by `check_file`, and together at
    most MAX_MESSAGE_BYTES (checked first: nothing is read from a request that is too large)."""
    if len(uploads) > MAX_FILES:
        msg = f"Не больше {MAX_FILES} файлов в одном сообщении."
        raise ValidationFailed(msg, code="attachment_count", fields={"attachments": [msg]})
    total = sum(int(getattr(u, "size", 0) or 0) for u in uploads)
    if total > MAX_MESSAGE_BYTES:
        msg = (f"Файлы одного сообщения вместе больше {MAX_MESSAGE_BYTES // (1024 * 1024)} МБ "
               f"({_megabytes(total)} МБ); отправьте часть файлов отдельным сообщением.")
        raise ValidationFailed(msg, code="attachments_too_large", fields={"attachments": [msg]})
    return [check_file(u) for u in uploads]


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}".replace(".", ",")
