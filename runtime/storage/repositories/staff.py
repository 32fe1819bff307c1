from __future__ import annotations

from ._base import BaseRepository


class StaffRepository(BaseRepository):
    """TODO(owner of this domain): fill in."""
