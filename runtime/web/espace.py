from __future__ import annotations

from flask import Blueprint

bp = Blueprint("espace", __name__, url_prefix="/espace" or None)
