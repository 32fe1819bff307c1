"""WSGI entry point for production servers.

    gunicorn -w 2 -b 127.0.0.1:8000 runtime.wsgi:app

Configuration comes from the environment (``PORTAIL_DATA``, ``PORTAIL_BASE_URL``,
``PORTAIL_SECRET_KEY``, ...; see ``runtime/config.py``). Every worker process
imports this module and builds its own app over the same data folder.
"""
from __future__ import annotations

from .app import create_app

app = create_app()
