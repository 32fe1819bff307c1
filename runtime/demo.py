"""Demo data for a newcomer (owner: accounts domain; extended by others)."""
from __future__ import annotations


def seed_demo_data(app) -> list[str]:
    return []
