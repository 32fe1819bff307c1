"""Stylesheets and scripts are fetched once per browser, not once per page.

Every ``url_for('static', filename=...)`` carries ``v``, a digest of the file's content. A request
with the current digest is answered as cacheable for a year and ``immutable``: the browser keeps
the file and asks nothing on the next pages (without it, each page revalidated its sixteen scripts
and its stylesheet, sixteen round trips on a slow line). A new release changes the digest, so the
URL, of every file it changes. A request without ``v``, or with an old one, gets the current file
with ``no-cache``: never kept under an address that names another content.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

from flask import Flask, request

ONE_YEAR = 365 * 24 * 3600
_digests: dict[str, tuple[tuple[int, int], str]] = {}  # path -> ((mtime, size), digest)


def init_app(app: Flask) -> None:
    folder = Path(app.static_folder or "static")

    @app.url_defaults
    def _versioned(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values:
            version = content_digest(folder / values["filename"])
            if version:
                values["v"] = version

    @app.after_request
    def _cache_forever(response):
        if request.endpoint == "static" and response.status_code == 200 and _current_version_asked(folder):
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = ONE_YEAR
            response.cache_control.immutable = True
        return response


def _current_version_asked(folder: Path) -> bool:
    asked = request.args.get("v")
    return bool(asked) and asked == content_digest(folder / (request.view_args or {}).get("filename", ""))


def content_digest(path: Path) -> str:
    """The first 12 hex digits of the file's SHA-256 ("" for no such file); read again only
    when its modification time or size changes (an edit while ``portail serve`` runs)."""
    try:
        stat = os.stat(path)
    except OSError:
        return ""
    key = (stat.st_mtime_ns, stat.st_size)
    known = _digests.get(str(path))
    if known and known[0] == key:
        return known[1]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    _digests[str(path)] = (key, digest)
    return digest
