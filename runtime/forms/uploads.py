"""Upload checks: size, extension allow-list and type sniffed from the content."""
from __future__ import annotations

import io
from pathlib import PurePath
from typing import Any

from .. import filetypes
from ..spec.errors import Error

DEFAULT_ACCEPT = ("pdf", "jpg", "png")

# extension → (label, content type its bytes must show, see ``runtime.filetypes``)
KINDS = {
    "pdf": ("PDF", "application/pdf"),
    "jpg": ("JPG", "image/jpeg"),
    "jpeg": ("JPG", "image/jpeg"),
    "png": ("PNG", "image/png"),
    "odt": ("ODT", filetypes.ODF_TEXT),
    "ods": ("ODS", filetypes.ODF_SPREADSHEET),
    "docx": ("DOCX", filetypes.DOCX),
    "xlsx": ("XLSX", filetypes.XLSX),
    "doc": ("DOC", "application/msword"),
    "xls": ("XLS", "application/vnd.ms-excel"),
    "txt": ("TXT", "text/plain"),
    "csv": ("CSV", "text/csv"),
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


def check_upload(file_storage: Any, accept: list[str], max_bytes: int) -> Error | None:
    """The error of a refused upload (code ``upload``, path ""), or None when it may be stored.

    The stream is left at position 0.
    """
    allowed = normalise_accept(accept)
    formats = accept_text(allowed)
    ext = PurePath(file_storage.filename or "").suffix.lower().lstrip(".")
    if ext not in allowed:
        return _refused(f"Le fichier doit être au format {formats}.")
    stream = file_storage.stream
    stream.seek(0, io.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    if size == 0:
        return _refused("Le fichier est vide.")
    if size > max_bytes:
        return _refused(f"Le fichier dépasse la taille maximale de {_megabytes(max_bytes)} Mo.")
    if filetypes.sniff(stream, file_storage.filename) != KINDS[ext][1]:
        return _refused(f"Le contenu du fichier ne correspond pas à un fichier {KINDS[ext][0]} : "
                        f"il doit être au format {formats}.")
    return None


def _refused(message: str) -> Error:
    return Error("", message, code="upload")

def _megabytes(max_bytes: int) -> str:
    mb = max_bytes / (1024 * 1024)
    return str(int(mb)) if mb == int(mb) else f"{mb:.1f}".replace(".", ",")
