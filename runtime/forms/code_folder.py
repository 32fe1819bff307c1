"""Compiled template code kept on disk: compiled once per deploy, not once per process.

A compiled page (every field inlined, what depends only on the spec evaluated, see
``templating.Folder``) costs 20 to 50 ms of CPU, and each of gunicorn's workers compiled every
page and layout again after each start, each ``kill -9`` or timeout. ``SharedCode`` keeps the
code in memory for the process and here for the next processes.

An entry is found only by what its code depends on: the compile options and the template's name
and source (as in memory), and the *stamp*: the versions of Python (``marshal``'s format) and
Jinja and MarkupSafe, and the text of every module of ``runtime/`` and every file of ``templates/`` (a page's
folding runs the portal's own code). A deploy that changes any of them starts a new folder and
drops the folders of other stamps left for a day. An entry that cannot be read is compiled again.
"""
from __future__ import annotations

import functools
import hashlib
import marshal
import os
import re
import shutil
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from types import CodeType

from .. import ROOT

STALE_AFTER_SECONDS = 86_400  # another stamp's folder (a server not yet upgraded may use it)
STAMP = re.compile(r"[0-9a-f]{16}")


@functools.cache
def code_stamp() -> str:
    libraries = "|".join(metadata.version(name) for name in ("jinja2", "markupsafe"))
    digest = hashlib.sha256(f"{sys.version}|{libraries}".encode())
    sources = sorted([*(ROOT / "runtime").rglob("*.py"), *(ROOT / "templates").rglob("*")])
    for path in sources:
        if path.is_file():
            digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def portable(value) -> str:
    """A text for the compile options that is the same in every process (functions by name)."""
    if isinstance(value, tuple):
        return "(" + ",".join(portable(v) for v in value) + ")"
    if callable(value):
        return f"{getattr(value, '__module__', '')}.{getattr(value, '__qualname__', repr(value))}"
    return repr(value)


def group_of(name) -> str:
    """The files of one spec version's pages share a prefix (``forget`` removes them)."""
    if isinstance(name, tuple) and len(name) > 1 and name[0] == "page":
        return "page-" + hashlib.sha256(str(name[1]).encode()).hexdigest()[:16]
    return "file"


class CodeFolder:
    def __init__(self, root: Path):
        self.folder = Path(root) / code_stamp()
        self.folder.mkdir(parents=True, exist_ok=True)
        self._drop_other_stamps()

    def load(self, key: tuple, checksum: str) -> CodeType | None:
        try:
            code = marshal.loads(self._path(key, checksum).read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            return None
        return code if isinstance(code, CodeType) else None

    def save(self, key: tuple, checksum: str, code: CodeType) -> None:
        path = self._path(key, checksum)
        try:
            handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
            with os.fdopen(handle, "wb") as out:
                out.write(marshal.dumps(code))
            os.replace(temporary, path)  # readers see the whole entry or none
        except OSError:
            return  # a full or read-only disk: the code stays in memory

    def forget(self, name_prefix: tuple) -> None:
        for path in self.folder.glob(group_of(name_prefix) + "-*.code"):
            path.unlink(missing_ok=True)

    def _path(self, key: tuple, checksum: str) -> Path:
        options, name, filename = key
        digest = hashlib.sha256(f"{portable(options)}|{name!r}|{filename!r}|{checksum}".encode()).hexdigest()
        return self.folder / f"{group_of(name)}-{digest[:40]}.code"

    def _drop_other_stamps(self) -> None:
        """Only folders named like a stamp: the configured folder may hold other things."""
        now = time.time()
        for other in self.folder.parent.iterdir():
            try:
                if (other != self.folder and STAMP.fullmatch(other.name) and other.is_dir()
                        and now - other.stat().st_mtime > STALE_AFTER_SECONDS):
                    shutil.rmtree(other, ignore_errors=True)
            except OSError:
                continue
