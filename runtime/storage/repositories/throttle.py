from __future__ import annotations

from ._base import BaseRepository


class ThrottleRepository(BaseRepository):
    """TODO(owner of this domain): fill in."""
