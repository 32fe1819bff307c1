from __future__ import annotations

from flask import Blueprint

bp = Blueprint("demandes", __name__, url_prefix="/demandes" or None)
