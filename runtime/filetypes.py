"""What a file is, read from its bytes (never from what the client declared).

Used by the upload checks (``runtime.forms.uploads``: does the content match
the extension?), by the file store (the content type it records) and by the
downloads (the content type they serve). No dependency on the rest of the portal.
"""
from __future__ import annotations

import io
import os
import zipfile
from pathlib import PurePath
from typing import BinaryIO

SNIFF_BYTES = 8192
OCTET_STREAM = "application/octet-stream"
ODF_TEXT = "application/vnd.oasis.opendocument.text"
ODF_SPREADSHEET = "application/vnd.oasis.opendocument.spreadsheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "application/x-ole-storage"),
)
# Formats one signature cannot tell apart: the accepted extension picks the name.
BY_EXTENSION = {
    "application/x-ole-storage": {"doc": "application/msword", "xls": "application/vnd.ms-excel"},
    "text/plain": {"csv": "text/csv"},
}


def sniff(stream: BinaryIO, filename: str | None = None) -> str:
    """The content type of the stream's bytes (``application/octet-stream`` when
    unknown); ``filename`` only names a format the bytes alone leave ambiguous.
    The stream is left at position 0."""
    stream.seek(0)
    head = stream.read(SNIFF_BYTES)
    detected = next((kind for magic, kind in MAGIC if head.startswith(magic)), None)
    if detected is None and head.startswith(b"PK\x03\x04"):
        stream.seek(0)
        detected = _zip_kind(stream)
    if detected is None and head and is_text(head):
        detected = "text/plain"
    stream.seek(0)
    ext = PurePath(filename or "").suffix.lower().lstrip(".")
    return BY_EXTENSION.get(detected or "", {}).get(ext, detected or OCTET_STREAM)


def sniff_path(path: str | os.PathLike[str], filename: str | None = None) -> str:
    with open(path, "rb") as stream:
        return sniff(stream, filename)


def is_text(head: bytes) -> bool:
    """Plain UTF-8 text, not markup a browser would run."""
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


def _zip_kind(stream: BinaryIO) -> str | None:
    try:
        with zipfile.ZipFile(stream) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                declared = archive.read("mimetype").decode("ascii", "replace").strip()
                return declared if declared in (ODF_TEXT, ODF_SPREADSHEET) else None
            if "[Content_Types].xml" in names:
                if any(n.startswith("word/") for n in names):
                    return DOCX
                if any(n.startswith("xl/") for n in names):
                    return XLSX
    except (zipfile.BadZipFile, OSError, KeyError, io.UnsupportedOperation):
        return None
    return None
