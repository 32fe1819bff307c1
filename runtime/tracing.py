"""The id of the request being served, carried into what it leaves behind.

The web layer sets it for each request (``X-Request-Id`` or a generated id);
effects and jobs recorded by that request store it, and their delivery logs
it, so an operator can follow one click from the access log to the mail.
No Flask here: the domain reads it through ``current_request_id()``.
"""
from __future__ import annotations

import re
import secrets
from contextvars import ContextVar

_REQUEST_ID: ContextVar[str | None] = ContextVar("portail_request_id", default=None)
# A caller-supplied id is kept only when it is short and plain (it ends up in logs).
ACCEPTED_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


def new_request_id() -> str:
    return secrets.token_hex(8)


def accept_request_id(candidate: str | None) -> str:
    """The id to use for a request: the proxy's ``X-Request-Id`` when sane, else a new one."""
    if candidate and ACCEPTED_ID.fullmatch(candidate):
        return candidate
    return new_request_id()


def set_request_id(request_id: str | None):
    """Set the current id; returns a token for ``reset_request_id``."""
    return _REQUEST_ID.set(request_id)


def reset_request_id(token) -> None:
    _REQUEST_ID.reset(token)


def current_request_id() -> str | None:
    return _REQUEST_ID.get()
