"""Domain repositories, written once over the ``Store`` interface.

Each repository owns the partitions and tables of its domain; see
``docs/storage.md`` for the layout.
"""
from __future__ import annotations

from ...clock import Clock
from ..base import Store


class Repositories:
    def __init__(self, store: Store, clock: Clock):
        from .accounts import AccountRepository
        from .demandes import DemandeRepository
        from .messages import MessageRepository
        from .previews import PreviewRepository
        from .staff import StaffRepository
        from .throttle import ThrottleRepository
        from .tiers import TiersRepository
        from .tokens import TokenRepository

        self.store = store
        self.clock = clock
        self.accounts = AccountRepository(store, clock)
        self.tokens = TokenRepository(store, clock)
        self.throttle = ThrottleRepository(store, clock)
        self.tiers = TiersRepository(store, clock)
        self.demandes = DemandeRepository(store, clock)
        self.messages = MessageRepository(store, clock)
        self.staff = StaffRepository(store, clock)
        self.previews = PreviewRepository(store, clock)
