"""Uploaded files (owner: storage domain)."""
from __future__ import annotations


class FileStore:
    def __init__(self, root):
        self.root = root
