"""Throttling of abuse-prone actions, shared by all workers (state in the store).

Each rule is a configuration entry ``(max attempts, window in seconds)``:
``THROTTLE_LOGIN``, ``THROTTLE_REGISTER``, ``THROTTLE_RESET``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from flask import render_template, request

from ..services import services


def client_ip() -> str:
    return request.remote_addr or "inconnue"


def retry_after(rule: str, keys: Iterable[str]) -> int:
    """Seconds before any of ``keys`` may try again under ``rule`` (0: now)."""
    limit, window = services().config[rule]
    throttle = services().repos.throttle
    return max((throttle.retry_after(f"{rule}:{key}", limit, window) for key in keys), default=0)


def record(rule: str, keys: Iterable[str]) -> None:
    _, window = services().config[rule]
    for key in keys:
        services().repos.throttle.record(f"{rule}:{key}", window)


def clear(rule: str, key: str) -> None:
    services().repos.throttle.clear(f"{rule}:{key}")


def too_many_attempts(seconds: int, action: str = "login"):
    """The 429 page, in French, with ``Retry-After``; ``action`` (``login``, ``register``,
    ``mail``) says what the person was doing, so the page speaks of it."""
    minutes = max(1, math.ceil(seconds / 60))
    wait = "1 minute" if minutes == 1 else f"{minutes} minutes"
    body = render_template("accounts/throttled.html", page_title="Trop de tentatives", wait=wait, action=action)
    return body, 429, {"Retry-After": str(seconds)}
