"""Logging of the processes the portal runs (gunicorn workers, ``portail worker``).

Lines of ``portail.request`` are JSON objects already: written as they are, one
per line on stderr; every other ``portail.*`` logger gets a timestamped line.
Only applied when nothing configured the ``portail`` logger before (an
operator's own logging configuration wins).
"""
from __future__ import annotations

import logging
import sys


def configure_logging(level: int = logging.INFO) -> None:
    root = logging.getLogger("portail")
    if root.handlers:
        return
    plain = logging.StreamHandler(sys.stderr)
    plain.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(process)d] %(message)s"))
    root.addHandler(plain)
    root.setLevel(level)
    requests = logging.getLogger("portail.request")
    json_lines = logging.StreamHandler(sys.stderr)
    json_lines.setFormatter(logging.Formatter("%(message)s"))
    requests.addHandler(json_lines)
    requests.propagate = False
