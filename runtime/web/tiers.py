from __future__ import annotations

from flask import Blueprint

bp = Blueprint("tiers", __name__, url_prefix="/tiers" or None)
