"""Stylesheets and scripts are fetched once per browser, not once per page.

Templates name them with ``asset_url(filename)``: the static file's URL with ``v``, a digest of
its content (``url_for('static', ...)`` adds it too). A request with the current digest is
answered as cacheable for a year and ``immutable``: the browser keeps the file and asks nothing
on the next pages (without it, each page revalidated its sixteen scripts and its stylesheet,
sixteen round trips on a slow line). A new release changes the digest, so the URL, of every file
it changes. A request without ``v``, or with an old one, gets the current file with
``no-cache``: never kept under an address that names another content.

A page names 17 files: their URLs are built once per process and the files' digests are checked
against their modification time at most once a second (an edit while ``portail serve`` runs).
"""
from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from flask import Flask, current_app, request, url_for

ONE_YEAR = 365 * 24 * 3600
RECHECK_SECONDS = 1.0


class Digests:
    """The first 12 hex digits of each static file's SHA-256 ("" for no such file)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._known: dict[str, tuple[float, tuple[int, int], str]] = {}  # name -> (checked at, stat, digest)

    def __call__(self, filename: str) -> str:
        now = time.monotonic()
        known = self._known.get(filename)
        if known and now - known[0] < RECHECK_SECONDS:
            return known[2]
        path = self.folder / filename
        try:
            stat = os.stat(path)
        except OSError:
            return ""
        key = (stat.st_mtime_ns, stat.st_size)
        digest = known[2] if known and known[1] == key else hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        self._known[filename] = (now, key, digest)
        return digest


class Assets:
    """One app's static files: their digests and the URLs already built."""

    def __init__(self, folder: Path):
        self.digest = Digests(folder)
        self.urls: dict[tuple[str, str, str], str] = {}  # (script root, file, digest) -> URL


def init_app(app: Flask) -> None:
    assets = app.extensions["static_assets"] = Assets(Path(app.static_folder or "static"))

    @app.url_defaults
    def _versioned(endpoint: str, values: dict) -> None:
        if endpoint == "static" and "filename" in values and "v" not in values:
            version = assets.digest(values["filename"])
            if version:
                values["v"] = version

    @app.after_request
    def _cache_forever(response):
        if request.endpoint == "static" and response.status_code == 200 and _current_version_asked(assets):
            response.cache_control.no_cache = None
            response.cache_control.public = True
            response.cache_control.max_age = ONE_YEAR
            response.cache_control.immutable = True
        return response


def asset_url(filename: str) -> str:
    """The URL of a static file, with its digest (the template global ``asset_url``)."""
    assets: Assets = current_app.extensions["static_assets"]
    key = (request.script_root, filename, assets.digest(filename))
    url = assets.urls.get(key)
    if url is None:
        url = assets.urls[key] = url_for("static", filename=filename, v=key[2] or None)
    return url


def _current_version_asked(assets: Assets) -> bool:
    asked = request.args.get("v")
    return bool(asked) and asked == assets.digest((request.view_args or {}).get("filename", ""))
