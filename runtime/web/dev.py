from __future__ import annotations

from flask import Blueprint

bp = Blueprint("dev", __name__, url_prefix="/dev" or None)
