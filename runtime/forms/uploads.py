"""Upload checks: size, extension allow-list and type sniffed from the content."""
from __future__ import annotations

import io
import zipfile
from pathlib import PurePath
from typing import Any

DEFAULT_ACCEPT = ("pdf", "jpg", "png")

# extension → (label, sniffer name)
KINDS = {
    "pdf": ("PDF", "pdf"),
    "jpg": ("JPG", "jpeg"),
    "jpeg": ("JPG", "jpeg"),
    "png": ("PNG", "png"),
    "odt": ("ODT", "odf:application/vnd.oasis.opendocument.text"),
    "ods": ("ODS", "odf:application/vnd.oasis.opendocument.spreadsheet"),
    "docx": ("DOCX", "ooxml:word/"),
    "xlsx": ("XLSX", "ooxml:xl/"),
    "doc": ("DOC", "ole"),
    "xls": ("XLS", "ole"),
    "txt": ("TXT", "text"),
    "csv": ("CSV", "text"),
}
MIME_TO_EXT = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
    "application/vnd.oasis.opendocument.text": "odt",
    "application/vnd.oasis.opendocument.spreadsheet": "ods",
    "text/plain": "txt",
    "text/csv": "csv",
}
SNIFF_BYTES = 8192


def normalise_accept(accept: list[str] | tuple[str, ...]) -> list[str]:
    """``[".pdf", "image/png", "JPG"]`` → ``["pdf", "png", "jpg"]``."""
    result = []
    for item in accept:
        ext = MIME_TO_EXT.get(item.lower(), item.lower().lstrip("."))
        if ext in KINDS and ext not in result:
            result.append(ext)
    return result


def accept_text(accept) -> str:
    labels = []
    for ext in normalise_accept(accept):
        label = KINDS[ext][0]
        if label not in labels:
            labels.append(label)
    if len(labels) <= 1:
        return "".join(labels)
    return ", ".join(labels[:-1]) + " ou " + labels[-1]


def accept_attribute(accept) -> str:
    """The ``accept`` attribute of the file input."""
    return ",".join("." + ext for ext in normalise_accept(accept))


def check_upload(file_storage: Any, accept: list[str], max_bytes: int) -> str | None:
    """A French error for a refused upload, or None when it may be stored.

    The stream is left at position 0.
    """
    allowed = normalise_accept(accept)
    formats = accept_text(allowed)
    ext = PurePath(file_storage.filename or "").suffix.lower().lstrip(".")
    if ext not in allowed:
        return f"Le fichier doit être au format {formats}."
    stream = file_storage.stream
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    if size == 0:
        return "Le fichier est vide."
    if size > max_bytes:
        return f"Le fichier dépasse la taille maximale de {_megabytes(max_bytes)} Mo."
    ok = _matches(KINDS[ext][1], stream)
    stream.seek(0)
    if not ok:
        return f"Le contenu du fichier ne correspond pas à un fichier {KINDS[ext][0]} : il doit être au format {formats}."
    return None


def _megabytes(max_bytes: int) -> str:
    mb = max_bytes / (1024 * 1024)
    return str(int(mb)) if mb == int(mb) else f"{mb:.1f}".replace(".", ",")


def _matches(kind: str, stream) -> bool:
    head = stream.read(SNIFF_BYTES)
    if kind == "pdf":
        return head.startswith(b"%PDF-")
    if kind == "jpeg":
        return head.startswith(b"\xff\xd8\xff")
    if kind == "png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if kind == "ole":
        return head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    if kind == "text":
        return _is_text(head)
    if kind.startswith(("odf:", "ooxml:")):
        stream.seek(0)
        return _zip_matches(kind, stream)
    return False


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    lowered = head.lower()
    if b"<html" in lowered or b"<script" in lowered or b"<!doctype" in lowered:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        # a multi-byte character cut at the end of the sniffed bytes is fine
        if error.start < len(head) - 4:
            return False
    return True


def _zip_matches(kind: str, stream) -> bool:
    try:
        with zipfile.ZipFile(stream) as archive:
            names = archive.namelist()
            if kind.startswith("odf:"):
                return "mimetype" in names and archive.read("mimetype").decode("ascii", "replace") == kind[4:]
            prefix = kind[6:]
            return "[Content_Types].xml" in names and any(n.startswith(prefix) for n in names)
    except (zipfile.BadZipFile, OSError, KeyError):
        return False
