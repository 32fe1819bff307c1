"""WSGI entry point for production servers.

    gunicorn -w 2 -b 127.0.0.1:8000 runtime.wsgi:app

Configuration comes from the environment (``PORTAIL_DATA``, ``PORTAIL_BASE_URL``,
``PORTAIL_SECRET_KEY``, ...; see ``runtime/config.py``). gunicorn's master builds the
app once and forks its workers from it (``gunicorn.conf.py``: ``preload_app`` and the
two fork hooks below, which give each worker connections of its own).

Time budget: a request answers within a second as a rule and never works more
than 10 s; gunicorn's ``--timeout`` (30 s by default) kills a worker past it.
Heavier work (large exports, index rebuilds) runs as jobs in ``portail worker``,
which must run beside gunicorn (it also delivers the mails and index rows that
a request could not, see ``docs/outbox.md``). One JSON line per request is
written on stderr (logger ``portail.request``).
"""
from __future__ import annotations

from .app import create_app
from .logs import configure_logging

configure_logging()
app = create_app()


def before_fork() -> None:
    """gunicorn's master, before it forks a worker (``gunicorn.conf.py``)."""
    app.extensions["portail"].store.before_fork()


def after_fork() -> None:
    """A worker just forked from the master (``gunicorn.conf.py``)."""
    app.extensions["portail"].store.after_fork()
