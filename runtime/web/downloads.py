"""Serving stored documents: one way for every blueprint.

Always as an attachment (``Content-Disposition: attachment``) under a cleaned name, so a
document is never rendered by the browser in the portal's origin; the content type served is
read from the stored bytes (``runtime.filetypes``), never the one a client declared, even for
references recorded before the file store sniffed it.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask import Response, abort, send_file

from ..filetypes import sniff, sniff_path
from ..services import services
from ..storage.base import NotFound
from ..storage.files import FileStore, safe_filename


def send_stored_file(meta: Mapping[str, Any] | None, default_name: str = "document") -> Response:
    """The file a reference points to, or 404 when the reference or the file is missing."""
    if not meta or not meta.get("file_id"):
        abort(404)
    try:
        # a local file (by path: ranges, validators) or a stream of PostgreSQL chunks, sent in blocks
        files = services().files
        if isinstance(files, FileStore):
            source = files.path(meta["file_id"])
            mimetype = sniff_path(source, meta.get("filename"))
        else:
            source = files.open(meta["file_id"])
            mimetype = sniff(source, meta.get("filename"))
    except (NotFound, ValueError):
        abort(404)
    response = send_file(
        source,
        mimetype=mimetype,  # what the bytes are, whatever was recorded
        as_attachment=True,
        download_name=download_name(meta.get("filename"), default_name),
    )
    if response.content_length is None and isinstance(meta.get("size"), int):
        response.content_length = meta["size"]
    return response


def download_name(filename: str | None, default_name: str) -> str:
    """A name every operating system accepts: no characters Windows forbids, no markup."""
    name = re.sub(r'[<>:"/\\|?*]+', "", safe_filename(filename or default_name)).strip()
    return name or default_name
