"""Mail layer (owner: accounts domain)."""
from __future__ import annotations


class Mailer:
    def __init__(self, config):
        self.config = config
