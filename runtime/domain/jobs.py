"""Heavy work outside the request: jobs run by ``portail worker``.

A request has a time budget (gunicorn's ``--timeout``, 30 s by default; the
portal aims at answering within a second and never works past 10 s inside a
request). Work that grows with the data — an export of more than
``EXPORT_INLINE_MAX_ROWS`` demandes, an index rebuild — is *submitted* as a job
instead, and the page shows its progress until the result can be downloaded.

A job is a document of the partition ``jobs`` (table ``jobs``)::

    {"id", "kind": "export"|"index_rebuild", "params": {...}, "requested_by": staff id,
     "request_id", "status": "queued"|"running"|"done"|"failed", "progress": 0..100,
     "result": {"file": file metadata, "rows": 75000, ...} | None, "error": str | None,
     "created_at", "started_at", "finished_at", "lease_until"}

``run_next()`` claims the oldest queued job (or a running one whose worker
stopped reporting for ``JOB_LEASE_SECONDS``: it was killed) under the lock of
``jobs``, runs its handler outside the lock with a ``report(done, total)``
callback that stores the progress (at most once a second) and extends the
lease, then stores the result. A result file goes to the ``FileStore`` and is
served by ``runtime.web.downloads`` to the staff member who asked for it.

``Jobs(store, clock, files, config)`` is built once in ``Services``
(``services().jobs``) with the handlers of the domain (``index_rebuild``:
``StaffIndexer.rebuild_job``); the web layer adds its own when its blueprint is
registered (``export``: ``runtime/web/staff/exports.py``).
"""
from __future__ import annotations

import io
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from typing import Any

from ..storage.base import Store, new_id
from ..tracing import current_request_id

log = logging.getLogger("portail.jobs")

PARTITION = "jobs"
TABLE = "jobs"
QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
ACTIVE = (QUEUED, RUNNING)
REPORT_EVERY = 1.0  # seconds between two progress writes

Report = Callable[[int, int], None]
Handler = Callable[[Mapping[str, Any], Report], dict[str, Any]]


class Jobs:
    """The queue of jobs of one instance, with the handler of each kind."""

    def __init__(self, store: Store, clock: Any, files: Any, config: Mapping[str, Any],
                 handlers: Mapping[str, Handler] | None = None):
        self.store, self.clock, self.files, self.config = store, clock, files, config
        self.handlers: dict[str, Handler] = dict(handlers or {})

    def register(self, kind: str, fn: Handler) -> None:
        """The function that runs jobs of ``kind``: ``fn(job, report) -> result``."""
        self.handlers[kind] = fn

    def _now_iso(self, delta: timedelta = timedelta(0)) -> str:
        return (self.clock.now() + delta).isoformat(timespec="seconds")

    def _lease(self) -> timedelta:
        return timedelta(seconds=self.config["JOB_LEASE_SECONDS"])

    def submit(self, kind: str, params: Mapping[str, Any], requested_by: str) -> dict[str, Any]:
        """Queue a job, or return the same person's identical job still queued or running."""
        if kind not in self.handlers:
            raise ValueError(f"tâche inconnue : {kind}")
        with self.store.transaction(PARTITION) as part:
            table = part.table(TABLE)
            same = table.find(lambda j: j["status"] in ACTIVE, kind=kind, params=dict(params),
                              requested_by=requested_by)
            if same:
                return same[0]
            job = {
                "id": new_id(), "kind": kind, "params": dict(params), "requested_by": requested_by,
                "request_id": current_request_id(), "status": QUEUED, "progress": 0, "result": None,
                "error": None, "created_at": self._now_iso(), "started_at": None, "finished_at": None,
                "lease_until": None,
            }
            table.insert(job)
        log.info("Tâche %s (%s) demandée par %s (requête %s)", job["id"], kind, requested_by, job["request_id"])
        return job

    def get(self, job_id: str) -> dict[str, Any] | None:
        return self.store.read(PARTITION).table(TABLE).get(job_id)

    def _claim(self) -> dict[str, Any] | None:
        now = self._now_iso()
        with self.store.transaction(PARTITION) as part:
            table = part.table(TABLE)
            ready = [j for j in table.all()
                     if j["status"] == QUEUED or (j["status"] == RUNNING and (j["lease_until"] or "") < now)]
            if not ready:
                return None
            job = min(ready, key=lambda j: j["created_at"])
            return table.update(job["id"], {"status": RUNNING, "started_at": job["started_at"] or now,
                                            "lease_until": self._now_iso(self._lease())})

    def _update(self, job_id: str, changes: Mapping[str, Any]) -> None:
        with self.store.transaction(PARTITION) as part:
            if part.table(TABLE).get(job_id) is not None:
                part.table(TABLE).update(job_id, dict(changes))

    def run_next(self) -> dict[str, Any] | None:
        """Run the next job if there is one; returns it as stored at the end."""
        if not self.store.read(PARTITION).table(TABLE).find(lambda j: j["status"] in ACTIVE):
            return None
        job = self._claim()
        if job is None:
            return None
        log.info("Tâche %s (%s) commencée (requête %s)", job["id"], job["kind"], job.get("request_id"))
        try:
            result = self.handlers[job["kind"]](job, self._reporter(job["id"]))
        except Exception as error:  # stored for the person who asked, logged for operators
            log.exception("Tâche %s (%s) en échec (requête %s)", job["id"], job["kind"], job.get("request_id"))
            self._update(job["id"], {"status": FAILED, "error": f"{type(error).__name__}: {error}"[:500],
                                     "finished_at": self._now_iso(), "lease_until": None})
        else:
            self._update(job["id"], {"status": DONE, "progress": 100, "result": result,
                                     "finished_at": self._now_iso(), "lease_until": None})
            log.info("Tâche %s (%s) terminée (requête %s)", job["id"], job["kind"], job.get("request_id"))
        return self.get(job["id"])

    def _reporter(self, job_id: str) -> Report:
        """``report(done, total)``: stores the progress (at most every ``REPORT_EVERY`` s), extends the lease."""
        last = [0.0]

        def report(done: int, total: int) -> None:
            if time.monotonic() - last[0] < REPORT_EVERY:
                return
            last[0] = time.monotonic()
            progress = min(99, int(100 * done / total)) if total else 0
            self._update(job_id, {"progress": progress, "lease_until": self._now_iso(self._lease())})

        return report

    def save_result_file(self, chunks: Iterable[bytes], filename: str, content_type: str) -> dict[str, Any]:
        """Store a job's file as its chunks are produced: the file store reads them as a stream,
        so the whole file is never held in memory."""
        return self.files.save(ChunkStream(chunks), filename, content_type)

    def prune(self) -> int:
        """Remove finished jobs older than ``JOB_KEEP_DAYS`` and their files."""
        limit = self._now_iso(-timedelta(days=self.config["JOB_KEEP_DAYS"]))

        def old_job(j):
            return j["status"] not in ACTIVE and (j["finished_at"] or "") < limit

        if not self.store.read(PARTITION).table(TABLE).find(old_job):
            return 0
        with self.store.transaction(PARTITION) as part:
            table = part.table(TABLE)
            old = table.find(old_job)
            for job in old:
                table.remove(job["id"])
        for job in old:
            file_meta = (job.get("result") or {}).get("file")
            if file_meta:
                try:
                    self.files.delete(file_meta["file_id"])
                except Exception as error:  # noqa: BLE001 - already gone: nothing to free
                    log.info("Fichier de la tâche %s déjà supprimé : %s", job["id"], error)
        return len(old)


class ChunkStream(io.RawIOBase):
    """A readable binary stream over an iterator of ``bytes`` chunks, consumed lazily."""

    def __init__(self, chunks: Iterable[bytes]):
        self._chunks = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size
