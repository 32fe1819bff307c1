"""Time source of the portal, replaceable in tests (token expiry, closing dates)."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


class Clock:
    def __init__(self, offset: timedelta = timedelta(0)):
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def today(self) -> date:
        return self.now().astimezone().date()

    def advance(self, **kwargs: float) -> None:
        self.offset += timedelta(**kwargs)
