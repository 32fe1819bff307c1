from __future__ import annotations

from ._base import BaseRepository


class AccountRepository(BaseRepository):
    """TODO(owner of this domain): fill in."""
