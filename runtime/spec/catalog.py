"""The catalog of published specs.

Loads every ``*.yaml`` under the specs folder; a bad file is logged and left
out (or, on reload, its previous valid version keeps serving). Every published
version is snapshotted into the store (partition ``specs``, table
``versions``) so that a demande filed under an old version always renders.

Several app servers (a shared store such as PostgreSQL, ``store.shared``): the map of
served versions is published in the store too (table ``published``) by every explicit
``reload()`` (``portail reload``, the staff button), and each server serves that map,
rebuilding the versions from their snapshots; it polls the generation once a second,
so every server serves the same versions within a second of ``portail reload``,
whatever the files on its own disk. A server that starts adopts the published map (it
publishes its own files only when none was ever published); editing a file on one
machine publishes nothing until ``portail reload``.

Every request calls ``refresh_if_changed()`` (at most one cheap check a second per
process: file mtimes and the shared generation), which also serves as the
development "watcher": an edited file is served within a second, so no file
watcher thread is needed. Staff pages showing spec states call it with
``force=True``.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .errors import SpecError, SpecErrors
from .lint import catalog_files, check_catalog
from .lists import load_list_text
from .loader import load_spec_text
from .model import Spec

log = logging.getLogger("portail.spec")

PARTITION = "specs"
VERSIONS = "versions"
GENERATION = "generation"
GENERATION_ID = "current"
PUBLISHED = "published"
PUBLISHED_ID = "current"
REFRESH_INTERVAL = 1.0  # seconds between two cheap change checks
VERSION_CACHE_SIZE = 64


@dataclass(frozen=True)
class SpecState:
    """What the staff page shows for one spec file."""

    source: str
    spec_id: str | None
    title: str | None
    kind: str | None
    valid: bool
    errors: tuple[SpecError, ...]
    opens: Any = None
    closes: Any = None
    version: str | None = None
    serving_version_key: str | None = None  # the version served (maybe an older one)


class Catalog:
    def __init__(self, specs_dir: Path, store: Any = None):
        self.specs_dir = Path(specs_dir)
        self.store = store
        self._published: dict[str, Spec] = {}  # spec id -> served version
        self._by_source: dict[str, Spec] = {}  # file -> last valid version of that file
        self._file_errors: dict[str, tuple[SpecError, ...]] = {}
        self._versions: OrderedDict[str, Spec] = OrderedDict()
        self._lock = threading.RLock()
        self._fingerprint: tuple = ()
        self._generation: Any = None
        self._checked_at = 0.0

    @classmethod
    def load(cls, specs_dir: str | Path, store: Any = None) -> Catalog:
        catalog = cls(Path(specs_dir), store)
        if not (catalog.shared and catalog._adopt_published()):
            catalog.reload()
        return catalog

    @property
    def shared(self) -> bool:
        """Several servers share the store: serve what was published there."""
        return bool(getattr(self.store, "shared", False))

    # -- reading ---------------------------------------------------------------
    def get(self, spec_id: str) -> Spec | None:
        return self._published.get(spec_id)

    def teleservices(self) -> list[Spec]:
        return sorted((s for s in self._published.values() if s.kind == "teleservice"), key=lambda s: s.title)

    def all(self) -> list[Spec]:
        return sorted(self._published.values(), key=lambda s: (s.kind, s.title))

    @property
    def tiers_creation(self) -> Spec | None:
        return self._first_of_kind("tiers_creation")

    @property
    def rattachement(self) -> Spec | None:
        return self._first_of_kind("rattachement")

    def _first_of_kind(self, kind: str) -> Spec | None:
        return next((s for s in self.all() if s.kind == kind), None)

    @property
    def errors(self) -> list[SpecError]:
        return [e for errors in self._file_errors.values() for e in errors]

    def version(self, version_key: str) -> Spec | None:
        """Any version ever published: served now, cached, or rebuilt from its snapshot."""
        with self._lock:
            if version_key in self._versions:
                self._versions.move_to_end(version_key)
                return self._versions[version_key]
        for spec in self._published.values():
            if spec.version_key == version_key:
                return self._remember(spec)
        snapshot = self._snapshot(version_key)
        if snapshot is None:
            return None
        try:
            lists = {list_id: load_list_text(text, list_id) for list_id, text in (snapshot.get("lists") or {}).items()}
            spec = load_spec_text(snapshot["text"], snapshot.get("source", snapshot["spec_id"]), lists)
        except SpecErrors as exc:  # the language became stricter since: should not happen, say it loudly
            log.error("version %s illisible : %s", version_key, exc)
            return None
        return self._remember(spec)

    def _remember(self, spec: Spec) -> Spec:
        with self._lock:
            self._versions[spec.version_key] = spec
            self._versions.move_to_end(spec.version_key)
            while len(self._versions) > VERSION_CACHE_SIZE:
                self._versions.popitem(last=False)
        return spec

    def _snapshot(self, version_key: str) -> dict[str, Any] | None:
        if self.store is None:
            return None
        return self.store.read(PARTITION).table(VERSIONS).get(version_key)

    def states(self) -> list[SpecState]:
        states = []
        for source in sorted(set(self._by_source) | set(self._file_errors)):
            spec = self._by_source.get(source)
            errors = self._file_errors.get(source, ())
            states.append(SpecState(
                source=source,
                spec_id=spec.id if spec else None,
                title=spec.title if spec else None,
                kind=spec.kind if spec else None,
                valid=not errors,
                errors=errors,
                opens=spec.opens if spec else None,
                closes=spec.closes if spec else None,
                version=spec.version if spec else None,
                serving_version_key=spec.version_key if spec and self.get(spec.id) is spec else None,
            ))
        return states

    # -- loading ---------------------------------------------------------------
    def spec_files(self) -> list[Path]:
        """Every spec and shared list file (``listes/``) of the folder."""
        return catalog_files(self.specs_dir)

    def reload(self) -> list[SpecError]:
        """Re-check every file through the one gate (``lint.check_catalog``): what it refuses is not
        served; for a file refused now, the previous version it accepted keeps serving."""
        with self._lock:
            self._fingerprint = self._directory_fingerprint()
            self._generation = self._stored_generation()
            self._checked_at = time.monotonic()
            verdict = check_catalog(self.spec_files())
            loaded: dict[str, Spec] = dict(verdict.specs)
            file_errors: dict[str, tuple[SpecError, ...]] = dict(verdict.errors)
            for source, errors in file_errors.items():
                for error in errors:
                    log.error("%s", error)
                if source in self._by_source:  # keep serving the last valid version
                    loaded[source] = self._by_source[source]
            published: dict[str, Spec] = {}
            for source, spec in loaded.items():
                other = published.get(spec.id)
                if other is not None:
                    error = SpecError(source, 1, 1, f"identifiant « {spec.id} » déjà utilisé par {other.source}")
                    log.error("%s", error)
                    file_errors[source] = file_errors.get(source, ()) + (error,)
                    continue
                published[spec.id] = spec
            self._by_source = {s: spec for s, spec in loaded.items() if published.get(spec.id) is spec}
            self._published = published
            self._file_errors = file_errors
            self._save_snapshots(published.values())
            if self.shared:
                self._publish()
            return self.errors

    def _publish(self) -> None:
        """Write the served versions (and the file errors) for the other servers."""
        doc = {
            "id": PUBLISHED_ID,
            "versions": {spec_id: spec.version_key for spec_id, spec in self._published.items()},
            "errors": [[e.source, e.line, e.column, e.message, e.path] for e in self.errors],
            "published_at": datetime.now(UTC).isoformat(),
        }
        with self.store.transaction(PARTITION) as part:
            table = part.table(PUBLISHED)
            if table.get(PUBLISHED_ID) is None:
                table.insert(doc)
            else:
                table.replace(PUBLISHED_ID, doc)

    def _adopt_published(self) -> bool:
        """Serve the versions published in the shared store; False if none ever was."""
        generation = self._stored_generation()  # read first: a later bump is seen at the next check
        doc = self.store.read(PARTITION).table(PUBLISHED).get(PUBLISHED_ID)
        if doc is None:
            return False
        published = {}
        for spec_id, version_key in doc["versions"].items():
            spec = self.version(version_key)
            if spec is not None:
                published[spec_id] = spec
        file_errors: dict[str, tuple[SpecError, ...]] = {}
        for source, line, column, message, *path in doc.get("errors", []):  # path: absent before
            error = SpecError(source, line, column, message, *path)
            file_errors[source] = file_errors.get(source, ()) + (error,)
        with self._lock:
            self._published = published
            self._by_source = {spec.source: spec for spec in published.values()}
            self._file_errors = file_errors
            self._generation = generation
            self._fingerprint = self._directory_fingerprint()
            self._checked_at = time.monotonic()
        return True

    def _save_snapshots(self, specs: Iterable[Spec]) -> None:
        """Keep a snapshot of every version served, in one write for the versions not kept yet
        (a start writes nothing when every version is known)."""
        if self.store is None:
            return
        known = self.store.read(PARTITION).table(VERSIONS)
        missing = [spec for spec in specs if known.get(spec.version_key) is None]
        if not missing:
            return
        with self.store.transaction(PARTITION) as part:
            versions = part.table(VERSIONS)
            for spec in missing:
                if versions.get(spec.version_key) is not None:
                    continue
                versions.insert({
                    "id": spec.version_key,
                    "spec_id": spec.id,
                    "version": spec.version,
                    "digest": spec.digest,
                    "text": spec.text,
                    "lists": dict(spec.lists),
                    "source": spec.source,
                    "published_at": datetime.now(UTC).isoformat(),
                })

    # -- multi-process refresh -------------------------------------------------
    def refresh_if_changed(self, force: bool = False) -> bool:
        """Reload when the folder or the shared generation changed.

        Ordinary requests check at most once a second (``REFRESH_INTERVAL``);
        ``force=True`` checks now, for pages that must never show a stale list
        (the staff specs page, right after "Recharger les specs" on another worker).
        """
        now = time.monotonic()
        if not force and now - self._checked_at < REFRESH_INTERVAL:
            return False
        self._checked_at = now
        if self.shared:  # one indexed read: has a server published since?
            if self._stored_generation() == self._generation:
                return False
            return self._adopt_published()
        if self._directory_fingerprint() == self._fingerprint and self._stored_generation() == self._generation:
            return False
        self.reload()
        return True

    def bump_generation(self) -> None:
        """Tell every worker process to reload (at its next ``refresh_if_changed``)."""
        if self.store is None:
            return
        with self.store.transaction(PARTITION) as part:
            table = part.table(GENERATION)
            current = table.get(GENERATION_ID)
            value = (current["value"] if current else 0) + 1
            if current is None:
                table.insert({"id": GENERATION_ID, "value": value})
            else:
                table.update(GENERATION_ID, {"value": value})
        with self._lock:
            # This worker has just reloaded: its own bump must not trigger a second reload.
            if self._fingerprint == self._directory_fingerprint():
                self._generation = value

    def _stored_generation(self) -> Any:
        if self.store is None:
            return None
        doc = self.store.read(PARTITION).table(GENERATION).get(GENERATION_ID)
        return doc["value"] if doc else 0

    def _directory_fingerprint(self) -> tuple:
        entries = []
        for path in self.spec_files():
            try:
                stat = path.stat()
            except OSError:
                continue
            entries.append((str(path), stat.st_mtime_ns, stat.st_size))
        return tuple(entries)
