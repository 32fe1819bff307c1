"""Attempt counters shared by every worker process: partition ``throttle``.

Table ``counters``: one document per key (its sha256, so no e-mail address
is stored in clear) holding the timestamps of recent attempts.
"""

from __future__ import annotations

import hashlib
import math

from ._base import BaseRepository

PARTITION = "throttle"


def _key_id(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


class ThrottleRepository(BaseRepository):
    def retry_after(self, key: str, limit: int, window: int) -> int:
        """Seconds to wait before the next attempt on ``key`` (0: allowed now)."""
        doc = self.store.read(PARTITION).table("counters").get(_key_id(key))
        hits = self._recent(doc["hits"] if doc else [], window)
        if len(hits) < limit:
            return 0
        oldest_counted = hits[-limit]
        return max(1, math.ceil(oldest_counted + window - self._now()))

    def record(self, key: str, window: int) -> None:
        key_id = _key_id(key)
        now = self._now()
        with self.store.transaction(PARTITION) as part:
            table = part.table("counters")
            for doc in table.all():  # forget counters whose every attempt is out of its window
                if doc["id"] != key_id and doc.get("until", 0) < now:
                    table.remove(doc["id"])
            doc = table.get(key_id)
            hits = self._recent(doc["hits"] if doc else [], window) + [now]
            if doc:
                table.update(key_id, {"hits": hits, "until": now + window})
            else:
                table.insert({"id": key_id, "hits": hits, "until": now + window})

    def clear(self, key: str) -> None:
        key_id = _key_id(key)
        with self.store.transaction(PARTITION) as part:
            table = part.table("counters")
            if table.get(key_id):
                table.remove(key_id)

    def _now(self) -> float:
        return self.clock.now().timestamp()

    def _recent(self, hits: list[float], window: int) -> list[float]:
        start = self._now() - window
        return [hit for hit in hits if hit > start]
