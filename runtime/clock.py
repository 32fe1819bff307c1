"""Time source of the portal, replaceable in tests (token expiry, closing dates).

Moments are stored in UTC; the day of a closing date and every time shown are the Métropole's
(``METROPOLE_TIME``), whatever the zone of the server (containers often run in UTC).
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

METROPOLE_TIME = ZoneInfo("Europe/Paris")  # the tz database: the system's, else the tzdata package


class Clock:
    def __init__(self, offset: timedelta = timedelta(0)):
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def today(self) -> date:
        return self.now().astimezone(METROPOLE_TIME).date()

    def advance(self, **kwargs: float) -> None:
        self.offset += timedelta(**kwargs)
