"""Anti-robot check backends (owner: accounts domain)."""
from __future__ import annotations


def make_captcha(config):
    return None
