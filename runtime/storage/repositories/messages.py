from __future__ import annotations

from ._base import BaseRepository


class MessageRepository(BaseRepository):
    """TODO(owner of this domain): fill in."""
